"""Print an HTML report to PDF with WeasyPrint, offline.

The page layout (A4, running header, "Page N of M", page breaks, repeated table headers) lives
in the report's own print stylesheet (``templates/report.css``), so a browser's "print to PDF"
and this module give the same pages. This module only renders, and keeps the renderer off the
network: a report is a self-contained file, and a PDF built on a ward PC or a CI runner must not
depend on (or leak anything to) another server.

WeasyPrint needs Pango and fonts from the operating system; ``scripts/system-deps.sh`` installs
them (``make install`` runs it).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from wardwatch.errors import InputError, WardwatchError

if TYPE_CHECKING:
    import weasyprint

__all__ = ["PdfRendererMissing", "html_to_pdf", "local_only_fetcher", "require_renderer"]

_SYSTEM_DEPS_HINT = (
    "install them with `bash scripts/system-deps.sh` (as root, Debian/Ubuntu: Pango, fonts, "
    "poppler-utils) and `pip install 'weasyprint>=68.1'`"
)


class PdfRendererMissing(WardwatchError):
    """WeasyPrint or the system libraries it loads (Pango, HarfBuzz, fontconfig) are missing."""


def _import_weasyprint() -> Any:
    try:
        import weasyprint
    except ImportError as exc:
        raise PdfRendererMissing(
            f"PDF output needs the Python package WeasyPrint ({exc}); {_SYSTEM_DEPS_HINT}."
        ) from None
    except OSError as exc:
        # WeasyPrint loads Pango with cffi at import time: a missing shared library is an OSError
        raise PdfRendererMissing(
            f"PDF output needs system libraries WeasyPrint could not load ({exc}); {_SYSTEM_DEPS_HINT}."
        ) from None
    return weasyprint


def require_renderer() -> None:
    """Raise PdfRendererMissing (saying how to install it) unless WeasyPrint and Pango load."""
    _import_weasyprint()


def local_only_fetcher(root: Path) -> weasyprint.urls.URLFetcher:
    """A URL fetcher that serves ``data:`` URLs and files inside ``root``, and refuses the rest.

    Refused URLs are recorded in the fetcher's ``refused`` list. WeasyPrint logs a refusal and
    leaves the resource out of the page (an image shows its alt text); it never opens a socket.
    """
    weasyprint = _import_weasyprint()
    root = root.resolve()

    class LocalOnlyFetcher(weasyprint.urls.URLFetcher):
        def __init__(self) -> None:
            # no proxy, HTTP or FTP handler is even consulted: fetch() refuses before opening
            super().__init__(allowed_protocols=("file", "data"), allow_redirects=False, timeout=1)
            self.root = root
            self.refused: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> Any:
            parts = urlsplit(url)
            scheme = parts.scheme.lower()
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file" and parts.netloc in ("", "localhost"):
                target = Path(unquote(parts.path)).resolve()
                if target.is_relative_to(self.root):
                    return super().fetch(url, headers)
            self.refused.append(url)
            # ValueError is what WeasyPrint expects from a fetcher for an unusable URL
            raise ValueError(f"wardwatch renders offline: {url} is not a file inside {self.root}")

    return LocalOnlyFetcher()


def html_to_pdf(html_path: Path, pdf_path: Path) -> Path:
    """Render ``html_path`` (a wardwatch report) to ``pdf_path`` and return ``pdf_path``.

    Relative links resolve against the HTML file's folder; nothing outside that folder and no
    network URL is read. Headings h1-h3 become the PDF's bookmarks (outline); text stays text,
    so it can be selected, searched and read by a screen reader.
    """
    html_path = Path(html_path)
    pdf_path = Path(pdf_path)
    if not html_path.is_file():
        raise InputError(
            f"{html_path}: no such HTML file to print; write the report first "
            "(`wardwatch report --out DIR`), then print DIR/report.html"
        )
    weasyprint = _import_weasyprint()
    folder = html_path.resolve().parent
    document = weasyprint.HTML(
        filename=str(html_path.resolve()),
        base_url=str(folder) + "/",
        url_fetcher=local_only_fetcher(folder),
        media_type="print",
    )
    pdf_bytes = document.write_pdf()  # rendered in memory: a failed render leaves no half-written file
    try:
        pdf_path.parent.mkdir(parents=True, exist_ok=True)
        pdf_path.write_bytes(pdf_bytes)
    except OSError as exc:
        raise InputError(
            f"{pdf_path}: cannot write the PDF ({exc.strerror or exc}); choose a writable folder"
        ) from None
    return pdf_path
