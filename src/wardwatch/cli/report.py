"""`wardwatch report`: the board report (one offline HTML page) from a warehouse's measures."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report(
        db: Path = typer.Option(..., "--db", help="DuckDB warehouse holding the `measures` table."),
        out: Path = typer.Option(..., "--out", help="Directory to write report.html into."),
        org: str = typer.Option("ZFV", "--org", help="Organisation code of the focal trust."),
        org_name: str = typer.Option(None, "--org-name", help="Trust name shown in the header."),
        mortality_dir: Path = typer.Option(
            None, "--mortality-dir", help="Where to write mortality outputs (default: OUT/mortality)."
        ),
        skip_mortality: bool = typer.Option(
            False, "--skip-mortality", help="Do not run the mortality analysis (it fits a model: slowest part)."
        ),
        as_of: str = typer.Option(
            None, "--as-of", help="Date (YYYY-MM-DD) for action status and overdue flags (default: today)."
        ),
        no_suppress: bool = typer.Option(
            False, "--no-suppress", help="Clinical edition: counts 1-7 and patient-by-patient CUSUM/VLAD charts (not for publication)."
        ),
        pdf: bool = typer.Option(
            False, "--pdf", help="Also write OUT/report.pdf (A4, bookmarks, page numbers; needs WeasyPrint)."
        ),
    ) -> None:
        """Write OUT/report.html: summary table, SPC charts by CQC key question, mortality, ratings, actions."""
        from wardwatch.cli.paths import output_folder, warehouse_file
        from wardwatch.report.format import SmallNumberRule
        from wardwatch.report.sections import build_full_report

        if pdf:
            from wardwatch.report.pdf import require_renderer

            require_renderer()  # fail before the slow part, not after it
        as_of_date = _parse_date(as_of)
        warehouse_file(db, "--db")
        output_folder(out, "report: --out")
        if mortality_dir is not None:
            output_folder(mortality_dir, "report: --mortality-dir")
        # user mistakes raise wardwatch.errors.InputError: the root command prints one line, exit 2
        path = build_full_report(
            db,
            out,
            org,
            org_name=org_name,
            mortality_dir=mortality_dir,
            small_numbers=SmallNumberRule(enabled=not no_suppress),
            run_mortality=not skip_mortality,
            as_of=as_of_date,
        )
        typer.echo(f"Report written to {path}")
        if pdf:
            from wardwatch.report.pdf import html_to_pdf

            pdf_path = html_to_pdf(path, path.with_suffix(".pdf"))
            typer.echo(f"PDF written to {pdf_path}")


def _parse_date(value: str | None) -> date | None:
    from wardwatch.errors import InputError

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"--as-of {value!r} is not a date: use YYYY-MM-DD, e.g. 2020-03-31") from None
