"""The end-to-end demo: synthetic trust and peers → warehouse → measures → statistics → board report.

``run_demo(out_dir)`` is what ``make demo`` runs (``wardwatch demo --out build/demo``). Each step
is timed and shown with rich progress; a step that fails stops the demo with its error.
The step timings are written to ``out_dir/demo_timings.json``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from wardwatch.errors import InputError

SCALES = ("small", "medium", "large")
FOCAL_ORG = "ZFV"
#: "Today" for the demo's action plan: the synthetic data window ends 2020-03-31.
DEMO_AS_OF = date(2020, 3, 31)


@dataclass
class StepOutcome:
    name: str
    seconds: float
    status: str  # "ok" | "skipped" | "failed"
    detail: str = ""
    cpu_seconds: float = 0.0  # CPU time of this process (all threads): less sensitive to a busy machine


@dataclass
class DemoState:
    """What the steps hand to each other."""

    out_dir: Path
    seed: int
    scale: str
    con: Any = None
    load_report: Any = None
    steps: list[StepOutcome] = field(default_factory=list)
    report_timings: dict[str, float] = field(default_factory=dict)

    def open(self) -> None:
        from wardwatch.warehouse import connect_duckdb

        self.con = connect_duckdb(self.db_path)

    def close(self) -> None:
        if self.con is not None:
            self.con.disconnect()
        self.con = None

    @property
    def data_dir(self) -> Path:
        return self.out_dir / "data"

    @property
    def board_path(self) -> Path:
        return self.out_dir / "demo_board.yaml"

    @property
    def db_path(self) -> Path:
        return self.out_dir / "warehouse.duckdb"


# ----------------------------------------------------------------------------------------------
# steps (each returns a one-line detail for the progress display)


def step_synthesise(state: DemoState) -> str:
    from wardwatch.synth import synthesise

    result = synthesise(state.data_dir, seed=state.seed, scale=state.scale)
    files = sorted(p for p in state.data_dir.rglob("*") if p.is_file())
    size = sum(p.stat().st_size for p in files) / 1e6
    return f"{len(files)} files, {size:.0f} MB in {state.data_dir}" if result is not None or files else ""


def step_load(state: DemoState) -> str:
    from wardwatch.ingest import load

    # ingest attaches the warehouse file to its own scratch connection, so close ours for the load
    # and reopen it afterwards
    state.close()
    try:
        report = load(state.data_dir, state.db_path)
    finally:
        state.open()
    state.load_report = report
    loaded = getattr(report, "loaded_datasets", ())
    rows = sum(int(getattr(d, "loaded", 0) or 0) for d in loaded)
    quarantined = sum(int(getattr(d, "quarantined", 0) or 0) for d in loaded)
    return f"{len(loaded)} datasets, {rows:,} rows loaded, {quarantined:,} quarantined"


def step_published(state: DemoState) -> str:
    from wardwatch.published import sample_path
    from wardwatch.published.ae_monthly import load_ae_monthly

    result = load_ae_monthly(sample_path("ae-monthly"), state.con)
    trusts = result["org_code"].nunique() if hasattr(result, "columns") else 0
    return f"NHS England A&E monthly: {len(result):,} measures rows, {trusts} organisations"


def step_measures(state: DemoState) -> str:
    from wardwatch.indicators.engine import write_measures
    from wardwatch.synth.signals import WINDOW_END, WINDOW_START

    # month-end training counts would otherwise start at the first recorded completion (2015)
    run = write_measures(state.con, start=WINDOW_START, end=WINDOW_END)
    n = _count(state.con, "measures")
    skipped = getattr(run, "skipped", None)
    extra = f"; skipped: {', '.join(map(str, skipped))}" if skipped else ""
    return f"{n:,} measures rows{extra}"


def step_inputs(state: DemoState) -> str:
    """The board's own files beside the warehouse: its configuration, its action plan, and the
    service-level ratings of its inspections (what a trust keeps outside its data extracts)."""
    from importlib import resources

    data = resources.files("wardwatch").joinpath("data")
    names = ("demo_board.yaml", "demo_action_plan.yaml", "demo_inspections.yaml")
    for name in names:
        (state.out_dir / name).write_text(data.joinpath(name).read_text(encoding="utf-8"), encoding="utf-8")
    return f"{', '.join(names)} in {state.out_dir}"


def step_refresh(state: DemoState) -> str:
    from wardwatch.report.board import load_board
    from wardwatch.results.refresh import refresh

    board = load_board(state.board_path)
    state.close()  # refresh is the warehouse's one writer
    try:
        summary = refresh(state.db_path, action_plans=[p for p in (board.action_plan,) if p],
                          ratings_files=[p for p in (board.ratings,) if p])
    finally:
        state.open()
    state.report_timings.update({f"refresh: {k}": v for k, v in summary.seconds.items()})
    return f"{summary.recomputed:,} result units computed (run {summary.run_id})"


def step_export(state: DemoState) -> str:
    path = state.out_dir / "measures.csv"
    raw = state.con.con.cursor()
    raw.execute(
        f"COPY (SELECT * FROM measures ORDER BY indicator_id, org_code, site_code NULLS FIRST, "
        f"unit_code NULLS FIRST, period_grain, period_start) TO '{_sql_path(path)}' (HEADER, DELIMITER ',')"
    ).fetchall()
    return str(path)


def step_report(state: DemoState) -> str:
    from wardwatch.report.board import load_board
    from wardwatch.report.pdf import html_to_pdf
    from wardwatch.report.sections import build_full_report

    path = build_full_report(
        state.con, state.out_dir, FOCAL_ORG, as_of=DEMO_AS_OF, timings=state.report_timings,
        board=load_board(state.board_path),
    )
    started = time.perf_counter()
    pdf = html_to_pdf(path, path.with_suffix(".pdf"))
    state.report_timings["report: PDF"] = time.perf_counter() - started
    return f"{path} and {pdf.name}"


STEPS: tuple[tuple[str, Callable[[DemoState], str]], ...] = (
    ("Synthesise trust and 14 peers", step_synthesise),
    ("Load into the warehouse", step_load),
    ("Load published A&E data", step_published),
    ("Compute indicators", step_measures),
    ("Board's files (configuration, action plan, ratings)", step_inputs),
    ("Results: SPC, funnels, mortality, ratings, actions, data quality", step_refresh),
    ("Export measures.csv", step_export),
    ("Build the board pack (HTML and PDF)", step_report),
)


def _count(con: Any, table: str) -> int:
    return int(con.con.cursor().execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def fresh_warehouse(path: Path) -> Any:
    """Remove an old warehouse (and its WAL) so every demo run starts clean, then open a new one."""
    for old in (path, path.with_name(path.name + ".wal")):
        if old.exists():
            old.unlink()
    from wardwatch.warehouse import connect_duckdb

    return connect_duckdb(path)


def run_demo(out_dir: str | Path, seed: int = 0, scale: str = "medium", progress: bool = True) -> Path:
    """Run the whole pipeline into ``out_dir`` and return the path of ``report.html``."""
    if scale not in SCALES:
        raise InputError(f"--scale must be one of {', '.join(SCALES)}, not {scale!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    state = DemoState(out_dir=out, seed=seed, scale=scale)
    state.con = fresh_warehouse(state.db_path)
    started = time.perf_counter()
    console = _console() if progress else None
    try:
        if console is not None:
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            with Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=console,
                transient=False,
            ) as bar:
                for name, step in STEPS:
                    task = bar.add_task(name, total=1)
                    outcome = _run_step(state, name, step)
                    mark = {"ok": "[green]✓[/]", "skipped": "[yellow]–[/]", "failed": "[red]✗[/]"}[
                        outcome.status
                    ]
                    bar.update(
                        task,
                        completed=1,
                        description=f"{mark} {name} [dim]({outcome.seconds:.1f} s) {outcome.detail}[/]",
                    )
        else:
            for name, step in STEPS:
                _run_step(state, name, step)
    finally:
        state.close()
    total = time.perf_counter() - started
    report = out / "report.html"
    _write_timings(state, total)
    if console is not None:
        _print_summary(console, state, total, report)
    if not report.exists():
        raise InputError(f"the demo did not produce {report}: see the failed steps above")
    return report


def _run_step(state: DemoState, name: str, step: Callable[[DemoState], str]) -> StepOutcome:
    # a failing step stops the demo with its own error: a demo that carries on would hide it
    t0, c0 = time.perf_counter(), time.process_time()
    detail = step(state) or ""
    outcome = StepOutcome(name, time.perf_counter() - t0, "ok", detail, time.process_time() - c0)
    state.steps.append(outcome)
    return outcome


def _write_timings(state: DemoState, total: float) -> None:
    doc = {
        "seed": state.seed,
        "scale": state.scale,
        "total_seconds": round(total, 2),
        "cpu_seconds": round(sum(s.cpu_seconds for s in state.steps), 2),
        "steps": [
            {
                "step": s.name,
                "seconds": round(s.seconds, 2),
                "cpu_seconds": round(s.cpu_seconds, 2),
                "status": s.status,
                "detail": s.detail,
            }
            for s in state.steps
        ],
        "report_parts": {k: round(v, 2) for k, v in state.report_timings.items()},
    }
    (state.out_dir / "demo_timings.json").write_text(json.dumps(doc, indent=2), encoding="utf-8")


def _console() -> Any:
    from rich.console import Console

    return Console(highlight=False)


def _print_summary(console: Any, state: DemoState, total: float, report: Path) -> None:
    from rich.table import Table

    table = Table(title=f"wardwatch demo (seed {state.seed}, scale {state.scale})", show_lines=False)
    table.add_column("Step")
    table.add_column("Seconds", justify="right")
    table.add_column("CPU s", justify="right")
    table.add_column("Status")
    table.add_column("Detail", overflow="fold")
    for s in state.steps:
        colour = {"ok": "green", "skipped": "yellow", "failed": "red"}[s.status]
        table.add_row(
            s.name, f"{s.seconds:.1f}", f"{s.cpu_seconds:.1f}", f"[{colour}]{s.status}[/]", s.detail
        )
    cpu = sum(s.cpu_seconds for s in state.steps)
    table.add_row("[bold]Total[/]", f"[bold]{total:.1f}[/]", f"{cpu:.1f}", "", "")
    console.print(table)
    if report.exists():
        console.print(f"Report: [bold]{report.resolve()}[/] (open it in a browser; it works offline)")
