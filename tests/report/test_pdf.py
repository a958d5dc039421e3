"""The board report printed to PDF (wardwatch.report.pdf): pages, text, bookmarks, breaks, offline.

The PDF is read back with poppler-utils (pdfinfo, pdftotext) and pypdf, independently of the
renderer. Missing system libraries make these tests FAIL with the install command: a PDF
pipeline that silently skips on CI would never be checked.
"""

from __future__ import annotations

import http.server
import re
import shutil
import subprocess
import threading
from html import unescape
from importlib.resources import files
from pathlib import Path
from typing import ClassVar

import duckdb
import pytest

from wardwatch.errors import InputError
from wardwatch.report import build_report
from wardwatch.report.pdf import html_to_pdf, local_only_fetcher, require_renderer

from .conftest import FOCAL, REGISTRY, make_measures

INSTALL_HINT = "run `bash scripts/system-deps.sh` as root (or `make install`)"
A4_POINTS = (595.28, 841.89)  # 210 x 297 mm at 72 pt per inch


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} (poppler-utils) is not installed: {INSTALL_HINT}")
    return path


def pdf_info(pdf: Path) -> dict[str, str]:
    out = subprocess.run([_tool("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True).stdout
    return {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in out.splitlines() if ":" in line)}


def pdf_pages_text(pdf: Path) -> list[str]:
    """Text of each page, whitespace collapsed (pdftotext separates pages with a form feed)."""
    out = subprocess.run(
        [_tool("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = out.split("\f")
    if pages and not pages[-1].strip():
        pages = pages[:-1]
    return [" ".join(p.split()) for p in pages]


def print_html(tmp: Path, body: str, name: str = "doc") -> Path:
    """A test page styled with the report's own stylesheet, printed to PDF."""
    css = files("wardwatch.report").joinpath("templates/report.css").read_text(encoding="utf-8")
    html = tmp / f"{name}.html"
    html.write_text(
        f'<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>t</title>'
        f"<style>{css}</style></head><body><main>{body}</main></body></html>",
        encoding="utf-8",
    )
    return html_to_pdf(html, tmp / f"{name}.pdf")


@pytest.fixture(scope="module")
def renderer() -> None:
    # raises PdfRendererMissing, whose message names the install script: a failure, not a skip
    require_renderer()


@pytest.fixture(scope="module")
def report_pdf(tmp_path_factory, renderer) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("pdf")
    db = tmp / "warehouse.duckdb"
    con = duckdb.connect(str(db))
    con.register("m", make_measures())
    con.execute(
        "CREATE TABLE measures AS SELECT indicator_id::VARCHAR AS indicator_id, org_code::VARCHAR AS org_code, "
        "site_code::VARCHAR AS site_code, unit_code::VARCHAR AS unit_code, period_start::DATE AS period_start, "
        "period_grain::VARCHAR AS period_grain, numerator::DOUBLE AS numerator, "
        "denominator::DOUBLE AS denominator, value::DOUBLE AS value, source::VARCHAR AS source FROM m"
    )
    con.close()
    from wardwatch.results.refresh import refresh

    refresh(db, registry=REGISTRY)
    html = build_report(db, tmp / "out", FOCAL, org_name="Test Trust", registry=REGISTRY)
    pdf = html_to_pdf(html, html.with_suffix(".pdf"))
    return html, pdf


def indicator_titles(html: Path) -> list[str]:
    """The h3 of every indicator article: the titles a reader must find in the PDF."""
    page = html.read_text(encoding="utf-8")
    titles = re.findall(r'<article class="indicator"[^>]*>\s*<h3[^>]*>(.*?)</h3>', page, flags=re.DOTALL)
    return [unescape(re.sub(r"<[^>]+>", "", t)).strip() for t in titles]


@pytest.mark.slow
def test_pages_are_a4_with_page_numbers_and_running_header(report_pdf):
    _, pdf = report_pdf
    info = pdf_info(pdf)
    n_pages = int(info["Pages"])
    assert n_pages > 1
    width, height = (float(x) for x in re.match(r"([\d.]+) x ([\d.]+) pts", info["Page size"]).groups())
    assert width == pytest.approx(A4_POINTS[0], abs=0.5) and height == pytest.approx(A4_POINTS[1], abs=0.5)
    pages = pdf_pages_text(pdf)
    assert len(pages) == n_pages
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {n_pages}" in text
    # running header from page 2 on (page 1 has the masthead itself)
    for text in pages[1:]:
        assert text.startswith("Test Trust Integrated quality and safety report"), text[:80]


@pytest.mark.slow
def test_every_indicator_title_is_selectable_text(report_pdf):
    html, pdf = report_pdf
    titles = indicator_titles(html)
    shown = {i.title for i in REGISTRY.values()}
    assert titles and set(titles) <= shown and len(titles) >= 4
    text = " ".join(pdf_pages_text(pdf))
    for title in titles:
        assert title in text, title
    assert "Summary: icon matrix" in text


@pytest.mark.slow
def test_bookmarks_follow_headings_and_point_at_their_page(report_pdf):
    import pypdf  # dev dependency: a missing one fails here, it does not skip

    html, pdf = report_pdf
    reader = pypdf.PdfReader(str(pdf))
    pages = pdf_pages_text(pdf)

    found: dict[str, tuple[int, int]] = {}  # title -> (depth, page index)

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                found[item.title] = (depth, reader.get_destination_page_number(item))

    walk(reader.outline, 0)
    assert found["Integrated quality and safety report"] == (0, 0)
    assert found["Summary: icon matrix"][0] == 1
    assert found["Safe"][0] == 1
    for title in indicator_titles(html):
        depth, page = found[title]
        assert depth == 2, title
        assert title in pages[page], f"bookmark {title!r} points at page {page + 1}, which does not show it"
    # the cover is a page of its own, then the contents, then "About", then the icon matrix
    assert found["Contents"] == (1, 1)
    assert found["Summary: icon matrix"][1] == 3
    assert "Contents" not in pages[0] and "Summary: icon matrix" in pages[3]
    # exception reports follow the matrix, each flagged indicator with its own
    assert found["Exception reports"][1] > found["Summary: icon matrix"][1]


@pytest.mark.slow
def test_long_table_repeats_its_header_and_never_cuts_a_row(tmp_path, renderer):
    # rows 2 to 10 lines tall over several pages: without `break-inside: avoid` on rows, some
    # straddle a page break (checked by deleting the rule: rows 7, 14, 21... were cut)
    rows = "".join(
        f"<tr><th scope='row'>row-{i}-top"
        + "<br>middle" * (i % 9)
        + f"<br>row-{i}-bottom</th><td>{i}</td></tr>"
        for i in range(60)
    )
    body = (
        "<section class='part' id='t'><h2>Long table</h2><table><caption>c</caption>"
        "<thead><tr><th scope='col'>HeaderCellA</th><th scope='col'>HeaderCellB</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></section>"
    )
    pages = pdf_pages_text(print_html(tmp_path, body))
    assert len(pages) >= 3
    for text in pages:
        assert "HeaderCellA" in text
    for i in range(60):
        top = [p for p, text in enumerate(pages) if f"row-{i}-top" in text]
        bottom = [p for p, text in enumerate(pages) if f"row-{i}-bottom" in text]
        assert len(top) == 1 and top == bottom, f"row {i} is cut across pages {top} and {bottom}"


def _chart(k: int) -> str:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 600 340" role="img"><title>chart</title>'
        f'<text x="10" y="20">chart-{k}-top</text><rect x="0" y="30" width="600" height="280" fill="#ccc"/>'
        f'<text x="10" y="330">chart-{k}-bottom</text></svg>'
    )


@pytest.mark.slow
def test_chart_and_its_caption_are_never_cut_across_pages(tmp_path, renderer):
    # each part starts a page; 0..45 filler lines move its chart down in steps, so some charts
    # reach the page foot (deleting `figure { break-inside: avoid }` cut 4 of these 16)
    body = "".join(
        f"<section class='part'><h2>Part {k}</h2>"
        + "".join(f"<p>filler {k}.{i}</p>" for i in range(k))
        + f"<figure>{_chart(k)}<figcaption>caption-{k}-first"
        + "<br>caption line" * 5
        + f"<br>caption-{k}-last</figcaption></figure></section>"
        for k in range(0, 48, 3)
    )
    pages = pdf_pages_text(print_html(tmp_path, body))
    assert len(pages) > 16, "some charts should have been pushed to a following page"
    for k in range(0, 48, 3):
        marks = [f"chart-{k}-top", f"chart-{k}-bottom", f"caption-{k}-first", f"caption-{k}-last"]
        where = {m: [p for p, text in enumerate(pages) if m in text] for m in marks}
        assert all(len(w) == 1 for w in where.values()) and len({w[0] for w in where.values()}) == 1, where


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self):
        type(self).requests.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.slow
def test_no_network_fetch_is_attempted(tmp_path, renderer):
    server = http.server.HTTPServer(("127.0.0.1", 0), _CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        body = (
            f'<link rel="stylesheet" href="{base}/style.css">'
            f"<style>@import url({base}/imported.css); body {{ background: url({base}/bg.png); }}</style>"
            f'<p>Offline</p><img src="{base}/logo.png" alt="remote logo">'
        )
        pdf = print_html(tmp_path, body)
    finally:
        server.shutdown()
        server.server_close()
    assert _CountingHandler.requests == []
    assert "Offline" in " ".join(pdf_pages_text(pdf))


def test_fetcher_serves_only_files_inside_the_report_folder(tmp_path, renderer):
    folder = tmp_path / "report"
    folder.mkdir()
    (folder / "inside.css").write_text("p { color: red }", encoding="utf-8")
    (tmp_path / "outside.css").write_text("p { color: blue }", encoding="utf-8")
    fetcher = local_only_fetcher(folder)

    response = fetcher.fetch((folder / "inside.css").as_uri())
    assert response.read() == b"p { color: red }"
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"
    for url in [
        (tmp_path / "outside.css").as_uri(),
        (folder / ".." / "outside.css").as_uri(),
        "http://127.0.0.1:9/x.png",
        "https://example.org/x.png",
        "ftp://example.org/x",
        "file://otherhost/etc/passwd",
    ]:
        with pytest.raises(ValueError, match="renders offline"):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 6


def test_missing_html_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match=r"no such HTML file.*wardwatch report"):
        html_to_pdf(tmp_path / "nope" / "report.html", tmp_path / "report.pdf")
    assert not (tmp_path / "report.pdf").exists()


@pytest.mark.slow
def test_cli_writes_pdf_beside_html(cli, warehouse, tmp_path, renderer):
    out = tmp_path / "out"
    result = cli("report", "--db", warehouse, "--out", out, "--org", FOCAL, "--pdf")
    assert result.exit_code == 0, result.output
    assert (out / "report.html").is_file()
    assert "PDF written to" in result.output
    assert int(pdf_info(out / "report.pdf")["Pages"]) > 1


@pytest.mark.slow
def test_unwritable_pdf_path_is_an_input_error(tmp_path, renderer):
    html = tmp_path / "r.html"
    html.write_text("<!DOCTYPE html><title>t</title><p>x</p>", encoding="utf-8")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(InputError, match="cannot write the PDF"):
        html_to_pdf(html, blocker / "report.pdf")


def test_missing_renderer_is_one_clear_error_before_the_report_is_built(cli, monkeypatch, tmp_path):
    import sys

    from wardwatch.report.pdf import PdfRendererMissing

    monkeypatch.setitem(sys.modules, "weasyprint", None)  # what an absent package looks like to import
    with pytest.raises(PdfRendererMissing, match=r"scripts/system-deps\.sh"):
        require_renderer()
    result = cli("report", "--db", tmp_path / "none.duckdb", "--out", tmp_path / "out", "--pdf")
    assert result.exit_code == 2
    assert "Error:" in result.output and "system-deps.sh" in result.output
    assert not (tmp_path / "out" / "report.html").exists()
