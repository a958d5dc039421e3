/* wardwatch: hover and keyboard focus on the points of the indicator page's SPC chart.
 *
 * The page works without this script (the chart's points are in the table below it, with CSV and
 * SVG downloads). With it, each point shows its date, value, numerator/denominator, limits and
 * signal when the pointer is over it or when it has keyboard focus: Tab reaches the chart's
 * points (one tab stop), the arrow keys move between points, Home/End go to the first/last
 * point, Escape hides the box. The values come from the stored points the server embedded in
 * <script type="application/json" id="spc-tips"> (the same numbers as the table).
 */
(function () {
  "use strict";

  var SIGNALS = {
    common_cause: "common cause (no signal)",
    special_cause_improvement: "special cause: improvement",
    special_cause_concern: "special cause: concern",
    special_cause_neutral_high: "special cause: neutral (high)",
    special_cause_neutral_low: "special cause: neutral (low)"
  };

  function number(value, digits) {
    if (value === null || value === undefined) { return "–"; }
    if (digits) { return String(parseFloat(Number(value).toPrecision(digits))); }
    return String(value);
  }

  function lines(tip) {
    var text = tip.text || {};  // the server's labels, formatted as the chart's axis is
    var out = [["Period", tip.x]];
    out.push(["Value", text.y || (tip.y === null ? "suppressed" : number(tip.y, 4))]);
    if (tip.numerator !== null || tip.denominator !== null) {
      out.push(["Numerator / denominator", number(tip.numerator) + " / " + number(tip.denominator)]);
    }
    out.push(["Centre", text.centre || number(tip.centre, 4)]);
    out.push(["Limits", (text.lpl || number(tip.lpl, 4)) + " to " + (text.upl || number(tip.upl, 4))]);
    out.push(["Signal", SIGNALS[tip.point_type] || tip.point_type || "–"]);
    if (typeof tip.segment === "number" && tip.segment > 0) {
      out.push(["Segment", "after rebase " + tip.segment]);
    }
    return out;
  }

  function label(tip) {
    return lines(tip).map(function (pair) { return pair[0] + ": " + pair[1]; }).join("; ");
  }

  function start() {
    var figure = document.getElementById("spc-figure");
    var data = document.getElementById("spc-tips");
    var box = document.getElementById("spc-tip");
    if (!figure || !data || !box) { return; }
    var svg = figure.querySelector("svg");
    var tips;
    try { tips = JSON.parse(data.textContent); } catch (e) { return; }
    if (!svg || !Array.isArray(tips)) { return; }

    var points = [];
    Array.prototype.forEach.call(svg.querySelectorAll(".ww-point[data-index]"), function (el) {
      var tip = tips[Number(el.getAttribute("data-index"))];
      if (!tip) { return; }
      var native = el.querySelector("title");
      if (native) { el.removeChild(native); }  // our box replaces the browser's title tooltip
      el.setAttribute("tabindex", "-1");
      el.setAttribute("role", "img");
      el.setAttribute("aria-label", label(tip));
      el.setAttribute("data-tip", "");
      points.push({ el: el, tip: tip });
    });
    if (!points.length) { return; }
    // the chart becomes a group of labelled points rather than one flat image
    svg.setAttribute("role", "group");
    points[points.length - 1].el.setAttribute("tabindex", "0");
    Array.prototype.forEach.call(figure.querySelectorAll(".js-only"), function (el) { el.hidden = false; });

    var current = null;

    function show(entry) {
      if (current && current !== entry) { current.el.classList.remove("is-active"); }
      current = entry;
      entry.el.classList.add("is-active");
      box.textContent = "";
      lines(entry.tip).forEach(function (pair) {
        var row = document.createElement("div");
        var name = document.createElement("span");
        name.className = "spc-tip__name";
        name.textContent = pair[0] + ": ";
        row.appendChild(name);
        row.appendChild(document.createTextNode(pair[1]));
        box.appendChild(row);
      });
      box.hidden = false;
      var where = entry.el.getBoundingClientRect();
      var frame = figure.getBoundingClientRect();
      var left = where.left - frame.left + where.width / 2 + 12;
      var top = where.top - frame.top - 10;
      var room = frame.width - box.offsetWidth - 4;
      if (left > room) { left = Math.max(0, where.left - frame.left - box.offsetWidth - 12); }
      box.style.left = left + "px";
      box.style.top = Math.max(0, top) + "px";
    }

    function hide() {
      box.hidden = true;
      if (current) { current.el.classList.remove("is-active"); }
      current = null;
    }

    function move(to) {
      var target = points[Math.max(0, Math.min(points.length - 1, to))];
      points.forEach(function (p) { p.el.setAttribute("tabindex", p === target ? "0" : "-1"); });
      target.el.focus();
    }

    points.forEach(function (entry, i) {
      entry.el.addEventListener("mouseenter", function () { show(entry); });
      entry.el.addEventListener("mouseleave", function () {
        if (document.activeElement !== entry.el) { hide(); }
      });
      entry.el.addEventListener("focus", function () { show(entry); });
      entry.el.addEventListener("blur", hide);
      entry.el.addEventListener("keydown", function (event) {
        var key = event.key;
        if (key === "ArrowRight" || key === "ArrowUp") { move(i + 1); }
        else if (key === "ArrowLeft" || key === "ArrowDown") { move(i - 1); }
        else if (key === "Home") { move(0); }
        else if (key === "End") { move(points.length - 1); }
        else if (key === "Escape") { hide(); }
        else { return; }
        event.preventDefault();
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
