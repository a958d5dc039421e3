"""`wardwatch report`: the board report (one offline HTML page) from a warehouse's measures."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report(
        db: Path = typer.Option(..., "--db", help="Warehouse with results (`wardwatch refresh` first)."),
        out: Path = typer.Option(..., "--out", help="Directory to write report.html (and report.pdf) into."),
        org: str = typer.Option(None, "--org", help="Organisation code the report is about (or org_code in --config)."),
        config: Path = typer.Option(None, "--config", help="Board configuration (YAML): name, period, indicators, owners, narratives."),
        org_name: str = typer.Option(None, "--org-name", help="Name shown on the cover (default: from --config or the warehouse)."),
        as_of: str = typer.Option(
            None, "--as-of", help="Date (YYYY-MM-DD) for action status and overdue flags (default: the config's period end, else today)."
        ),
        no_suppress: bool = typer.Option(
            False, "--no-suppress", help="Clinical edition: counts 1-7 and patient-by-patient CUSUM/VLAD charts (not for publication)."
        ),
        pdf: bool = typer.Option(
            False, "--pdf", help="Also write OUT/report.pdf (A4, bookmarks, page numbers; needs WeasyPrint)."
        ),
    ) -> None:
        """Write the board pack for one organisation from the warehouse's results: cover, icon matrix,
        exception reports, SPC charts by CQC key question, mortality, national context, ratings, actions."""
        from wardwatch.cli.paths import output_folder, warehouse_file
        from wardwatch.errors import InputError
        from wardwatch.report.board import BoardConfig, load_board
        from wardwatch.report.format import SmallNumberRule
        from wardwatch.report.sections import build_full_report

        if pdf:
            from wardwatch.report.pdf import require_renderer

            require_renderer()  # fail before the slow part, not after it
        warehouse_file(db, "--db")
        output_folder(out, "report: --out")
        as_of_date = _parse_date(as_of)
        board = load_board(config) if config is not None else None
        if board is not None and org is not None and org != board.org_code:
            raise InputError(f"--org {org} differs from org_code {board.org_code} in {config}; give one of them")
        org = org or (board.org_code if board is not None else None)
        if not org:
            raise InputError("report: give --org CODE (or a --config with org_code)")
        # user mistakes raise wardwatch.errors.InputError: the root command prints one line, exit 2
        path = build_full_report(
            db,
            out,
            org,
            org_name=org_name,
            small_numbers=SmallNumberRule(enabled=not no_suppress),
            as_of=as_of_date,
            board=board or BoardConfig(org_code=org),
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
