// wardwatch live watchlist: listen to the page's server-sent events and, on each update,
// fetch the page again and swap in its item table (rendered and escaped by the server).
// Without JavaScript the page still works: reload it, or use the filter form.
(function () {
  "use strict";
  var root = document.getElementById("watchlist");
  var status = document.getElementById("stream-status");
  if (!root || !status || !window.EventSource || !window.fetch || !window.DOMParser) {
    return;
  }
  function show(state, text) {
    status.setAttribute("data-state", state);
    status.textContent = text;
  }
  function busy() {
    // do not replace the table under someone typing a name to assign
    var active = document.activeElement;
    var items = document.getElementById("watchlist-items");
    return active && items && items.contains(active) && active.tagName === "INPUT" && active.value !== "";
  }
  // a name typed into an item's "assign to" box survives an update of the table
  function keepTyped(current, fresh) {
    current.querySelectorAll("form input[type=text]").forEach(function (input) {
      if (input.value === "") { return; }
      fresh.querySelectorAll("form input[type=text]").forEach(function (other) {
        if (other.name === input.name && other.form && input.form &&
            other.form.getAttribute("action") === input.form.getAttribute("action")) {
          other.setAttribute("value", input.value);  // an attribute survives importNode
        }
      });
    });
  }
  var pending = false;
  function refresh() {
    if (busy()) {
      pending = true;
      return;
    }
    pending = false;
    fetch(window.location.href, {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("watchlist-items");
        var current = document.getElementById("watchlist-items");
        if (fresh && current) {
          keepTyped(current, fresh);
          current.replaceWith(document.importNode(fresh, true));
          root.setAttribute("data-updated", String(Date.now()));
        }
      })
      .catch(function () {
        show("reconnecting", "Live updates: the last update failed; retrying.");
      });
  }
  document.addEventListener("focusout", function (event) {
    // focus moving on within the table (to the Assign button) is still someone at work there
    var items = document.getElementById("watchlist-items");
    if (event.relatedTarget && items && items.contains(event.relatedTarget)) { return; }
    if (pending) { window.setTimeout(refresh, 0); }
  });
  var source = new EventSource(root.getAttribute("data-events"));
  source.addEventListener("open", function () {
    show("connected", "Live updates: connected.");
  });
  source.addEventListener("error", function () {
    show("reconnecting", "Live updates: connection lost, reconnecting…");
  });
  source.addEventListener("items", function () {
    show("connected", "Live updates: connected.");
    refresh();
  });
}());
