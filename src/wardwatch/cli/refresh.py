"""`wardwatch refresh`: compute every judgement once into the warehouse's result tables."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("refresh")
    def refresh(
        db: Path = typer.Option(..., "--db", help="The warehouse (after `wardwatch measures`)."),
        force: bool = typer.Option(False, "--force", help="Recompute every unit, changed or not."),
        ratings: list[Path] = typer.Option(
            [], "--ratings", help="Import an inspection history (YAML; repeatable), replacing its trust's earlier one."),
        actions: list[Path] = typer.Option(
            [], "--actions", help="Import an action plan (YAML; repeatable), replacing its trust's earlier one."),
        config: Path | None = typer.Option(
            None, "--config", help="A board.yaml: import the action_plan and ratings files it names."),
    ) -> None:
        """Compute every judgement once (SPC, funnels, mortality, data quality, ratings, action
        effects); a second run recomputes only what changed."""
        from rich.console import Console

        from wardwatch.cli.paths import warehouse_file
        from wardwatch.results.refresh import refresh as run_refresh

        warehouse_file(db, "--db")
        if config is not None:
            from wardwatch.report.board import load_board

            board = load_board(config)
            actions = [*actions, *([board.action_plan] if board.action_plan else [])]
            ratings = [*ratings, *([board.ratings] if board.ratings else [])]
        console = Console(stderr=True)
        with console.status("refreshing results") as status:
            summary = run_refresh(db, force=force, progress=lambda m: status.update(m),
                                  ratings_files=ratings, action_plans=actions)
        for stage, counts in summary.stages.items():
            typer.echo(
                f"{stage}: {counts['recomputed']:,} of {counts['units']:,} recomputed, "
                f"{counts['removed']:,} removed ({summary.seconds[stage]:.1f} s)"
            )
        typer.echo(f"run {summary.run_id}: {summary.recomputed:,} units recomputed")
