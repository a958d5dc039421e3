"""`wardwatch demo`: synthetic trust → warehouse → measures → statistics → board report."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        out: Path = typer.Option(
            Path("build/demo"), "--out", help="Directory for data, warehouse and report."
        ),
        seed: int = typer.Option(0, "--seed", min=0, help="Random seed of the synthetic world (0 or more)."),
        scale: str = typer.Option("medium", "--scale", help="small | medium | large."),
        quiet: bool = typer.Option(False, "--quiet", help="No progress display."),
    ) -> None:
        """Run the whole pipeline on synthetic data and write OUT/report.html."""
        from wardwatch.cli.paths import output_folder
        from wardwatch.demo import run_demo

        output_folder(out, "demo: --out")

        # user mistakes raise wardwatch.errors.InputError: the root command prints one line, exit 2
        path = run_demo(out, seed=seed, scale=scale, progress=not quiet)
        typer.echo(f"Report written to {path}")
