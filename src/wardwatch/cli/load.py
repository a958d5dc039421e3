"""`wardwatch load DIR --db FILE`: validate dataset files and load them into the warehouse."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command("load")
    def load_command(
        directory: Annotated[
            Path, typer.Argument(help="Folder holding <dataset>.csv or <dataset>.parquet files (with --mapping, "
                                   "the files its patterns name).")
        ],
        db: Annotated[Path, typer.Option("--db", help="Warehouse DuckDB file (created if needed).")],
        dataset: Annotated[
            list[str] | None,
            typer.Option("--dataset", "-d", help="Load only this dataset (repeat for several)."),
        ] = None,
        as_json: Annotated[
            bool, typer.Option("--json", help="Print one JSON object per dataset, one per line.")
        ] = False,
        strict: Annotated[
            bool,
            typer.Option(
                "--strict",
                help="Refuse the whole load (exit 2, nothing written) if every row of a dataset is quarantined.",
            ),
        ] = False,
        mapping: Annotated[
            str | None,
            typer.Option(
                "--mapping",
                help="Read extracts in their own columns and formats: a mapping YAML file, or a shipped "
                "mapping's name (ecds, esr_training, ris, sepsis_audit). See docs/guide/mappings.md.",
            ),
        ] = None,
        mode: Annotated[
            str,
            typer.Option(
                "--mode",
                help="append (default): new keys only, a stored key with other values is quarantined "
                "(key_conflict); upsert: replace such rows, old and new values kept in load_changes; "
                "replace-period: first remove the stored rows of every (organisation, month) the file covers.",
            ),
        ] = "append",
        memory_limit: Annotated[
            str,
            typer.Option("--memory-limit", help="DuckDB working memory for the load (e.g. 2GB, 4GiB); "
                         "larger staging spills to a temporary folder."),
        ] = "2GB",
    ) -> None:
        """Validate dataset files against their contracts and load them into the warehouse.

        Every row is loaded or quarantined with its reason; re-loading the same files adds nothing.

        A missing required column or an unreadable file stops the load before anything is written.
        All datasets of one load are written in one transaction: all of them, or none.
        """
        from rich.console import Console

        from wardwatch.ingest import load
        from wardwatch.mappings import load_mapping

        console = Console(stderr=True)
        if as_json or not console.is_terminal:
            report = load(directory, db, dataset or None, strict=strict, mapping=mapping, mode=mode,
                          memory_limit=memory_limit)
        else:
            with _progress_bar(console, directory, dataset or None, mapping) as on_progress:
                report = load(
                    directory,
                    db,
                    dataset or None,
                    on_progress=on_progress,
                    strict=strict,
                    mapping=mapping,
                    mode=mode,
                    memory_limit=memory_limit,
                )
        for item in report.loaded_datasets:
            # Said loudly, on stderr: a load that kept nothing of a file is rarely what was meant.
            if item.read and not item.loaded:
                console.print(
                    f"[bold red]Warning:[/] every row of {item.dataset} ({item.read:,}) was quarantined; "
                    "see the reasons below (--strict makes this an error).",
                    soft_wrap=True,
                )
            elif not item.read:
                console.print(f"[bold red]Warning:[/] {item.file} holds no data rows.", soft_wrap=True)
        for item in report.loaded_datasets:
            for column, codes in item.unmapped_codes.items():
                listed = ", ".join(f"{code} ({n:,} row{'s' if n != 1 else ''})" for code, n in codes.items())
                console.print(
                    f"[bold red]Unmapped codes[/] in {item.dataset}.{column} (rows quarantined as "
                    f"unmapped_code; add them to the mapping's values): {listed}",
                    soft_wrap=True,
                )
        if as_json:
            for item in report.datasets:
                typer.echo(json.dumps(item.to_dict()))
            return
        _print_tables(report, dict(load_mapping(mapping).datasets) if mapping else {})


@contextmanager
def _progress_bar(console, directory: Path, datasets: list[str] | None, mapping: str | None):
    """A bar over the load's steps: reading and checking each file, writing each, committing."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    from wardwatch.contracts.sources import find_files
    from wardwatch.mappings import load_mapping

    mapped = dict(load_mapping(mapping).datasets) if mapping else {}
    files, _ = find_files(directory, datasets, mapped)
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("Loading", total=2 * len(files) + 1)

        def on_progress(name: str, step: str) -> None:
            progress.update(task, description=f"{name}: {step}")
            if step in ("reading and checking", "writing", "committing"):
                progress.advance(task)

        yield on_progress


def _print_tables(report, mapped: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    out = Console(width=120)
    table = Table(title=f"wardwatch load -> {report.db}", header_style="bold #005EB8")
    for name, justify in (
        ("dataset", "left"),
        ("file", "left"),
        ("read", "right"),
        ("loaded", "right"),
        ("added", "right"),
        ("quarantined", "right"),
        ("filtered", "right"),
    ):
        table.add_column(name, justify=justify)
    for item in report.loaded_datasets:
        table.add_row(
            item.dataset,
            Path(item.file).name,
            f"{item.read:,}",
            f"{item.loaded:,}",
            f"{item.added:,}",
            f"{item.quarantined:,}",
            f"{item.filtered:,}" if item.mapped else "-",
        )
    out.print(table)
    for item in report.loaded_datasets:
        if item.mode == "upsert":
            out.print(f"{item.dataset}: {item.updated:,} stored rows replaced by changed rows "
                      "(old and new values in the load_changes table).", soft_wrap=True)
        elif item.mode == "replace-period":
            out.print(f"{item.dataset}: {item.removed:,} stored rows of the periods in the file removed "
                      "before loading.", soft_wrap=True)
        for label, n in item.filters.items():
            rows = f"{n:,} row{'s' if n != 1 else ''}"
            out.print(f"Filtered out of {item.dataset} by the mapping ({label}): {rows}.", soft_wrap=True)
    reasons = report.reasons_frame()
    if len(reasons):
        by_reason = Table(title="Quarantined rows by reason", header_style="bold #005EB8")
        for name, justify in (
            ("dataset", "left"),
            ("reason", "left"),
            ("meaning", "left"),
            ("rows", "right"),
        ):
            by_reason.add_column(name, justify=justify)
        for row in reasons.itertuples(index=False):
            by_reason.add_row(row.dataset, row.reason, row.label, f"{row.rows:,}")
        out.print(by_reason)
    else:
        out.print("No rows quarantined.")
    for line in skipped_lines(report.skipped, mapped):
        out.print(line, soft_wrap=True, markup=False, highlight=False)


def skipped_lines(skipped: tuple[str, ...], mapped: dict) -> list[str]:
    """Why each skipped dataset was skipped, naming the files that would have been read.

    A dataset the mapping covers is read from any file matching its ``file`` pattern (a
    spreadsheet, or delimited text); any other from ``<dataset>.csv`` or ``<dataset>.parquet``.
    """
    from wardwatch.mappings import SPREADSHEET_SUFFIXES

    lines = []
    own = [name for name in skipped if name not in mapped]
    if own:
        lines.append(f"Skipped (no <dataset>.csv or <dataset>.parquet file in the folder): {', '.join(own)}.")
    by_pattern = [f"{name} ({mapped[name].file!r})" for name in skipped if name in mapped]
    if by_pattern:
        kinds = ", ".join(SPREADSHEET_SUFFIXES)
        lines.append(
            f"Skipped (no file in the folder matches the mapping's file pattern; a spreadsheet {kinds} "
            f"or a delimited text file is read): {', '.join(by_pattern)}."
        )
    return lines
