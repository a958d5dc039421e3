"""`wardwatch public --org CODE --out DIR [--pdf] [--db FILE]`: a trust's report from published data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wardwatch.errors import InputError


def register(app: typer.Typer) -> None:
    @app.command("public")
    def public(
        org: Annotated[str | None, typer.Option("--org", help="ODS code of the trust, e.g. RNA.")] = None,
        out: Annotated[Path | None, typer.Option("--out", help="Directory for index.html (created if needed).")] = None,
        pdf: Annotated[bool, typer.Option("--pdf", help="Also write index.pdf.")] = False,
        db: Annotated[
            Path | None,
            typer.Option("--db", help="Warehouse to read (made from the shipped files if it does not exist); "
                                      "default: an in-memory warehouse of the shipped files."),
        ] = None,
        list_orgs: Annotated[bool, typer.Option("--list", help="Print every organisation code and name, then stop.")] = False,
    ) -> None:
        """Board-style report for any NHS trust from published data alone (A&E, SHMI, RTT, beds, staff survey, CQC)."""
        from wardwatch.public import load_public_data, write_public_report

        if not list_orgs and (org is None or out is None):
            raise InputError("give --org CODE and --out DIR (or --list to see the organisation codes)")
        data = load_public_data(db)
        if list_orgs:
            for code in data.org_codes():
                typer.echo(f"{code}\t{data.org_name(code)[0]}")
            return
        path = write_public_report(str(org), Path(str(out)), pdf=pdf, data=data)
        typer.echo(f"wrote {path}")
