"""`wardwatch refresh`: compute every judgement once into the warehouse's result tables."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("refresh")
    def refresh(
        db: Path = typer.Option(..., "--db", help="The warehouse (after `wardwatch measures`)."),
        force: bool = typer.Option(False, "--force", help="Recompute every unit, changed or not."),
    ) -> None:
        """Compute SPC series (and the other results) once; a second run recomputes only what changed."""
        from rich.console import Console

        from wardwatch.cli.paths import warehouse_file
        from wardwatch.results.refresh import refresh as run_refresh

        warehouse_file(db, "--db")
        console = Console(stderr=True)
        with console.status("refreshing results") as status:
            summary = run_refresh(db, force=force, progress=lambda m: status.update(m))
        for stage, counts in summary.stages.items():
            typer.echo(
                f"{stage}: {counts['recomputed']:,} of {counts['units']:,} recomputed, "
                f"{counts['removed']:,} removed ({summary.seconds[stage]:.1f} s)"
            )
        typer.echo(f"run {summary.run_id}: {summary.recomputed:,} units recomputed")
