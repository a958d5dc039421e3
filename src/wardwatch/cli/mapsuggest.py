"""`wardwatch map suggest FILE --dataset NAME --out MAP.yaml`: propose a mapping for an extract."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

map_app = typer.Typer(
    help="Mappings for `wardwatch load --mapping`: suggest one from an extract.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(map_app, name="map")


@map_app.command("suggest")
def suggest_command(
    file: Annotated[Path, typer.Argument(help="The extract: a CSV file (utf-8 or cp1252) or a spreadsheet.")],
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Contract the extract holds, e.g. ed_attendances.")],
    out: Annotated[Path, typer.Option("--out", help="Mapping YAML file to write (.yaml or .yml).")],
    sheet: Annotated[
        str | None, typer.Option("--sheet", help="Spreadsheet sheet to read (default: the first).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace --out if it exists.")] = False,
) -> None:
    """Suggest a mapping for an extract from its header and values.

    Column names are matched to the contract's, date formats and codes are read from the values.
    Lines it is not sure of are marked # CONFIRM and printed. See docs/guide/mappings.md.
    """
    from wardwatch.cli.paths import distinct_outputs, input_file, output_file
    from wardwatch.contracts.schema import CONTRACTS
    from wardwatch.errors import InputError
    from wardwatch.mappings.suggest import suggest

    if dataset not in CONTRACTS:
        raise InputError(f"--dataset {dataset!r}: unknown dataset (known: {', '.join(CONTRACTS)})")
    input_file(file, "map suggest: FILE")
    if out.is_dir():
        raise InputError(f"--out {out} is a folder; give a file name, e.g. {out / 'mapping.yaml'}")
    output_file(out, "--out")
    if out.suffix.lower() not in (".yaml", ".yml"):
        raise InputError(f"--out {out}: a mapping file name ends in .yaml or .yml (e.g. {out.with_suffix('.yaml')})")
    distinct_outputs(("FILE", file), ("--out", out))
    if out.exists() and not force:
        raise InputError(f"--out {out} exists; give another file name, or --force to replace it")
    if sheet is not None and not sheet.strip():
        raise InputError("--sheet: give a sheet name")
    result = suggest(file, dataset, sheet)
    try:
        out.write_text(result.text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"--out {out}: cannot be written ({exc.strerror or exc})") from None
    _print(result, out)


def _print(result, out: Path) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(width=120)
    table = Table(title=f"wardwatch map suggest -> {out}", header_style="bold #005EB8")
    for name in ("contract column", "source column(s)", "status"):
        table.add_column(name)
    for entry in result.entries:
        if entry.sources:
            status = "CONFIRM" if entry.confirm else "matched"
        elif entry.confirm:
            status = "CONFIRM: required, not found"
        else:
            status = "optional, not found"
        table.add_row(entry.target, escape(" + ".join(entry.sources)) or "-", status)
    console.print(table)
    if not result.source.rows:
        console.print("CONFIRM: the file has no data rows: formats and codes could not be checked.", soft_wrap=True)
    for key, message in result.confirm:
        console.print(f"{escape(key)}: {escape(message)}", soft_wrap=True, highlight=False)
    _dataset_hint(result, console)
    if result.unused:
        console.print(f"Columns of the file not used: {escape(', '.join(result.unused))}", soft_wrap=True)
    n = len(result.confirm)
    if n or not result.source.rows:
        lines = f"{n} line{'s' if n != 1 else ''}" if n else "the file"
        console.print(f"Wrote {out}: check {lines} marked CONFIRM before loading it.", soft_wrap=True)
    else:
        console.print(f"Wrote {out}: every contract column matched; load with "
                      f"wardwatch load FOLDER --db FILE --mapping {out}", soft_wrap=True, highlight=False)


def _dataset_hint(result, console) -> None:
    """When few required columns matched and another contract's names fit the header better."""
    from wardwatch.contracts.schema import CONTRACTS
    from wardwatch.mappings.suggest import closest_datasets

    required = CONTRACTS[result.dataset].required_columns
    here = dict(closest_datasets(result.source.header)).get(result.dataset, 0)
    if here * 2 >= len(required):
        return
    better = [(name, n) for name, n in closest_datasets(result.source.header) if n > here][:2]
    if not better:
        return
    listed = " or ".join(f"{name} ({n} column{'s' if n != 1 else ''} matched)" for name, n in better)
    console.print(
        f"Only {here} of the {len(required)} required columns of {result.dataset} matched by name: is --dataset "
        f"right? The header looks more like {listed}.",
        soft_wrap=True,
        highlight=False,
    )
