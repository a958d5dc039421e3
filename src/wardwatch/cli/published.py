"""`wardwatch load-published KIND FILE --db FILE`: published statistics into the warehouse."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wardwatch.errors import InputError

_KINDS_HELP = (
    "Published dataset: ae-monthly (NHS England monthly A&E), shmi (NHS Digital SHMI), rtt (RTT incomplete "
    "pathways), kh03 (KH03 beds), staff-survey (NHS Staff Survey), ae-annual (A&E 4-hour by financial "
    "year), cqc-ratings (CQC provider ratings history), providers (organisation names). Formats: docs/guide/published.md."
)


def register(app: typer.Typer) -> None:
    @app.command("load-published")
    def load_published(
        dataset: Annotated[str, typer.Argument(help=_KINDS_HELP)],
        file: Annotated[Path, typer.Argument(help="CSV file in the format of that publication (read as given: no wildcards).")],
        db: Annotated[Path, typer.Option("--db", help="Warehouse DuckDB file (created if needed).")],
    ) -> None:
        """Load published statistics into the warehouse (re-loading the same file changes nothing)."""
        from wardwatch.published import LOADERS, preparer, write

        if dataset not in LOADERS:
            raise InputError(
                f"unknown published dataset {dataset!r}; choose from {', '.join(sorted(LOADERS))}"
            )
        from wardwatch.warehouse import connect_duckdb

        result = preparer(dataset)(file)  # check the file before touching (or creating) the warehouse
        con = connect_duckdb(db)
        try:
            write(con, result)
        finally:
            con.disconnect()
        typer.echo(result.summary(db))
