"""``wardwatch public``: a board-style report for any NHS trust from published data alone.

``load_public_data()`` loads every shipped published file (``wardwatch/data``) into a warehouse, or
reads one given with ``--db``, and computes SPC and the national funnels for all organisations at
once; ``write_public_report()`` draws one organisation's page, ``DIR/index.html`` (offline,
self-contained: styles and SVG charts inline). Guide: docs/guide/public.md.
"""

from __future__ import annotations

from pathlib import Path

from wardwatch.errors import InputError
from wardwatch.public.data import PublicData, load_public_data
from wardwatch.public.page import page_view
from wardwatch.public.render import render_html


def render_org(data: PublicData, org: str, generated_at: str | None = None) -> str:
    """The HTML page of ``org`` (an ODS code, any case); ``InputError`` for a code not in the data."""
    return render_html(page_view(data, data.check_org(org)), generated_at)


def write_public_report(org: str, out: str | Path, db: str | Path | None = None, pdf: bool = False,
                        data: PublicData | None = None) -> Path:
    """Write ``out/index.html`` (and ``out/index.pdf`` with ``pdf=True``); returns the HTML path."""
    if pdf:
        from wardwatch.report.pdf import require_renderer

        require_renderer()  # fail before the work, not after it
    if data is None:
        data = load_public_data(db)
    html = render_org(data, org)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a directory; give --out a directory (created if needed)")
    out.mkdir(parents=True, exist_ok=True)
    path = out / "index.html"
    path.write_text(html, encoding="utf-8")
    if pdf:
        from wardwatch.report.pdf import html_to_pdf

        html_to_pdf(path, out / "index.pdf")
    return path


__all__ = ["PublicData", "load_public_data", "render_org", "write_public_report"]
