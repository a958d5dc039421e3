"""Time printing a board report to PDF (wardwatch.report.pdf.html_to_pdf).

Usage (after `make demo`, which writes build/demo/report.html):

    PYTHONPATH=src .venv/bin/python benchmarks/report_pdf.py build/demo/report.html --repeat 3

Prints the one-off import time of WeasyPrint (it loads Pango through cffi) and, per run, the wall
and CPU seconds of html_to_pdf, the page count and the file size.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", type=Path, help="report.html to print")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import pypdf  # dev dependency, only to count pages

    wall, cpu = time.perf_counter(), time.process_time()
    from wardwatch.report.pdf import html_to_pdf, require_renderer

    require_renderer()
    print(
        f"import weasyprint: {time.perf_counter() - wall:.2f} s wall, {time.process_time() - cpu:.2f} s CPU"
    )
    print(f"load average at start: {os.getloadavg()[0]:.1f}")

    with tempfile.TemporaryDirectory() as tmp:
        # the HTML's folder is the only place the renderer may read from: copy it next to the PDF
        html = Path(tmp) / "report.html"
        html.write_bytes(args.html.read_bytes())
        for run in range(1, args.repeat + 1):
            wall, cpu = time.perf_counter(), time.process_time()
            pdf = html_to_pdf(html, Path(tmp) / "report.pdf")
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            pages = len(pypdf.PdfReader(str(pdf)).pages)
            size = pdf.stat().st_size / 1e6
            print(f"run {run}: {wall:.2f} s wall, {cpu:.2f} s CPU, {size:.2f} MB, {pages} pages")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
