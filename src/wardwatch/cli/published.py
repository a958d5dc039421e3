"""`wardwatch load-published DATASET FILE --db FILE`: published statistics into ``measures``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wardwatch.errors import InputError


def register(app: typer.Typer) -> None:
    @app.command("load-published")
    def load_published(
        dataset: Annotated[
            str, typer.Argument(help="Published dataset: ae-monthly (NHS England monthly A&E).")
        ],
        file: Annotated[
            Path, typer.Argument(help="CSV file: period, org_code, type, attendances, breaches, admissions.")
        ],
        db: Annotated[Path, typer.Option("--db", help="Warehouse DuckDB file (created if needed).")],
    ) -> None:
        """Load published statistics into the measures table (re-loading replaces, never duplicates)."""
        from wardwatch.published import LOADERS

        if dataset not in LOADERS:
            raise InputError(
                f"unknown published dataset {dataset!r}; choose from {', '.join(sorted(LOADERS))}"
            )
        from wardwatch.published.ae_monthly import load_ae_monthly, read_ae_monthly
        from wardwatch.warehouse import connect_duckdb

        read_ae_monthly(file)  # check the file before touching (or creating) the warehouse
        con = connect_duckdb(db)
        try:
            rows = load_ae_monthly(file, con)
        finally:
            con.disconnect()
        n_orgs = rows["org_code"].nunique()
        periods = rows["period_start"]
        typer.echo(
            f"loaded {len(rows)} measures rows ({', '.join(sorted(rows['indicator_id'].unique()))}) for "
            f"{n_orgs} organisations, {min(periods)} to {max(periods)}, into {db}"
        )
