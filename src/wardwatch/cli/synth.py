"""`wardwatch synth`: write the synthetic trusts' datasets (see docs/synthetic-data.md)."""

from __future__ import annotations

import time
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

# ten times the large scale: more would not fit in memory on a server, let alone a laptop
MAX_ED_ROWS = 50_000_000


class ScaleName(str, Enum):
    small = "small"
    medium = "medium"
    large = "large"


class FileFormat(str, Enum):
    parquet = "parquet"
    csv = "csv"


def register(app: typer.Typer) -> None:
    @app.command("synth")
    def synth(
        out: Annotated[
            Path,
            typer.Option(
                "--out", file_okay=False, help="Folder to write the files into (created if missing)."
            ),
        ],
        seed: Annotated[
            int, typer.Option("--seed", min=0, help="Random seed (0 or more): the same seed gives identical files.")
        ] = 0,
        scale: Annotated[
            ScaleName,
            typer.Option("--scale", help="small (tests, seconds), medium (demo, ~1M ED rows), large."),
        ] = ScaleName.medium,
        rows: Annotated[
            int | None,
            typer.Option(
                "--rows", min=0, max=MAX_ED_ROWS, help="ED attendances in total over all trusts (overrides the scale's)."
            ),
        ] = None,
        fmt: Annotated[FileFormat, typer.Option("--format", help="File format.")] = FileFormat.parquet,
    ) -> None:
        """Generate a synthetic focal trust (ZFV) and 14 peers with known, injected signals.

        Writes one file per dataset (ed_attendances, sepsis_episodes, imaging_requests,
        staff_training, irmer_entitlements, staffing, admissions) and organisations.csv.
        """
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        from wardwatch.cli.paths import output_folder
        from wardwatch.synth import DATASETS, synthesise

        output_folder(out, "synth: --out")

        started = time.perf_counter()
        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), transient=True
        ) as progress:
            task = progress.add_task("synthesising", total=len(DATASETS))

            def step(name: str) -> None:
                progress.update(task, description=f"writing {name}", advance=1)

            paths = synthesise(out, seed=seed, scale=scale.value, ed_rows=rows, fmt=fmt.value, progress=step)
        elapsed = time.perf_counter() - started
        for name, path in paths.items():
            typer.echo(f"{name:20s} {path}")
        typer.echo(f"wrote {len(paths)} files to {out} in {elapsed:.1f} s (seed {seed}, scale {scale.value})")
