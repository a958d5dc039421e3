"""`wardwatch measures --db FILE [--out FILE.csv] [--engine duckdb|spark] [--indicator ID ...]`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wardwatch.cli.paths import distinct_outputs, output_file, warehouse_file
from wardwatch.errors import InputError


def register(app: typer.Typer) -> None:
    @app.command("measures")
    def measures(
        db: Annotated[Path, typer.Option("--db", help="Warehouse DuckDB file.")],
        out: Annotated[
            Path | None, typer.Option("--out", help="Export the measures table to this CSV file.")
        ] = None,
        engine: Annotated[
            str, typer.Option("--engine", help="duckdb (default) or spark (local PySpark).")
        ] = "duckdb",
        indicator: Annotated[
            list[str] | None, typer.Option("--indicator", help="Indicator id (repeatable; default all).")
        ] = None,
        start: Annotated[
            str | None,
            typer.Option("--from", help="First day of the window (YYYY-MM-DD; default: all data)."),
        ] = None,
        end: Annotated[str | None, typer.Option("--to", help="Last day of the window (YYYY-MM-DD).")] = None,
        computed_only: Annotated[
            bool,
            typer.Option("--computed-only", help="Export only the rows computed now, not the whole table."),
        ] = False,
    ) -> None:
        """Compute the indicators from the warehouse tables into the measures table."""
        import duckdb
        from rich.console import Console

        from wardwatch.engines import ENGINES, open_duckdb, spark_over_duckdb, table_names
        from wardwatch.indicators import INDICATORS
        from wardwatch.indicators.engine import write_measures
        from wardwatch.indicators.store import export_csv, read_measures

        window = {"start": _date(start, "--from"), "end": _date(end, "--to")}
        if window["start"] and window["end"] and window["start"] > window["end"]:
            raise InputError(f"--from {start} is after --to {end}; give the window's first day first")
        if out is not None:
            output_file(out, "measures: --out")
        if engine not in ENGINES:
            raise InputError(f"--engine {engine!r}: choose duckdb or spark")
        warehouse_file(db, "--db")
        ids = list(indicator) if indicator else None
        for i in ids or []:
            if i not in INDICATORS:
                raise InputError(f"--indicator {i!r}: unknown; see docs/indicators.md for the ids")
            if not INDICATORS[i].computed:
                raise InputError(
                    f"--indicator {i}: loaded from published data (wardwatch load-published), not computed"
                )
        if out is not None:
            distinct_outputs(("--db", db), ("--out", out))
        try:
            con = open_duckdb(db)
        except duckdb.Error as exc:
            first = " ".join(str(exc).split())
            raise InputError(f"--db {db}: not a wardwatch warehouse ({first})") from None
        try:
            tables = set(table_names(con))
            wanted = [INDICATORS[i] for i in ids] if ids else [x for x in INDICATORS.values() if x.computed]
            if ids:
                for ind in wanted:
                    missing = [t for t in ind.tables if t not in tables]
                    if missing:
                        raise InputError(
                            f"{db}: table {', '.join(missing)} needed by {ind.id} is missing; load it first"
                        )
            elif not any(all(t in tables for t in ind.tables) for ind in wanted):
                raise InputError(
                    f"{db}: none of the source tables of any indicator is there; load data first"
                )
            console = Console(stderr=True)
            with console.status(f"computing measures on {engine}"):
                if engine == "spark":
                    needed = sorted({t for ind in wanted for t in ind.tables if t in tables})
                    with spark_over_duckdb(con, needed) as spark:
                        run = write_measures(con, ids, compute_on=spark, **window)
                else:
                    run = write_measures(con, ids, **window)
            for indicator_id, why in run.skipped.items():
                typer.echo(f"skipped {indicator_id}: {why}")
            typer.echo(
                f"computed {len(run.frame)} measures rows for {len(run.computed)} indicators on {engine}"
            )
            if out is not None:
                frame = run.frame if computed_only else read_measures(con)
                export_csv(frame, out)
                typer.echo(f"wrote {len(frame)} rows to {out}")
        finally:
            con.disconnect()


def _date(text: str | None, option: str):
    import datetime as dt

    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option} {text!r}: not a date; use YYYY-MM-DD") from None
