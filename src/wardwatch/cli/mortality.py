"""`wardwatch mortality`: risk-adjusted mortality (SMR, funnel, CUSUM/VLAD) from the warehouse."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wardwatch.errors import InputError


def register(app: typer.Typer) -> None:
    @app.command("mortality")
    def mortality_command(
        db: Annotated[Path, typer.Option("--db", help="DuckDB warehouse file with an 'admissions' table.")],
        out: Annotated[Path, typer.Option("--out", help="Output folder.")],
        focal: Annotated[str | None, typer.Option("--focal", help="Organisation to report on (e.g. ZFV).")] = None,
        model: Annotated[Path | None, typer.Option("--model", help="Apply this saved model.json instead of fitting.")] = None,
        arl_years: Annotated[float, typer.Option("--arl-years", help="In-control ARL of each CUSUM, in years of a typical trust's spells.")] = 100.0,
        n_sim: Annotated[int, typer.Option("--n-sim", help="Simulated paths for choosing CUSUM thresholds.")] = 200,
        seed: Annotated[int, typer.Option("--seed", help="Random seed for the threshold simulation.")] = 0,
        no_charts: Annotated[bool, typer.Option("--no-charts", help="Skip the SVG charts.")] = False,
        fit: Annotated[str, typer.Option("--fit", help="Expected deaths: leave-one-trust-out (each trust's risks "
                                         "from a model fitted on the other trusts) or pooled (in-sample).")
                       ] = "leave-one-trust-out",
        cutoff: Annotated[str | None, typer.Option("--cutoff", help="Date (YYYY-MM-DD) the death data are complete "
                                                   "to; default: the latest discharge in the data.")] = None,
        death_lag_days: Annotated[int, typer.Option("--death-lag-days", help="Days a death takes to reach the death "
                                                    "data; spells need 30 days + this before --cutoff.")] = 14,
    ) -> None:
        """Fit the case-mix model, write SMRs with bands, the sepsis funnel, CUSUM alerts and charts."""
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
        from rich.table import Table

        from wardwatch.cli.paths import input_file, output_folder, warehouse_file
        from wardwatch.mortality import run_mortality, sepsis_answer
        from wardwatch.stats.riskmodel import load

        warehouse_file(db, "mortality: --db")
        output_folder(out, "mortality: --out")
        fitted = None
        if model is not None:
            input_file(model, "mortality: --model")
            try:
                fitted = load(model)
            except (ValueError, KeyError) as exc:
                raise InputError(f"mortality: {model} is not a wardwatch risk model ({exc})") from None
        console = Console()
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                      console=console, transient=True) as progress:
            task = progress.add_task("mortality", total=None)
            result = run_mortality(db, out, focal_org=focal, model=fitted, arl_years=arl_years, n_sim=n_sim,
                                   seed=seed, charts=not no_charts,
                                   progress=lambda m: progress.update(task, description=m),
                                   fit=fit, cutoff=cutoff, death_lag_days=death_lag_days)
        smr = result.smr
        console.print(f"Risk model: c-statistic {result.calibration['c_statistic'].iloc[0]:.3f}; "
                      f"{len(result.model.groups)} diagnosis groups; spells {int(smr[(smr['diagnosis_group'] == 'all') & (smr['period'] == 'overall')]['spells'].sum())}")
        console.print(f"Expected deaths: {result.fit} fit. {result.follow_up.statement}")
        overall = smr[(smr["diagnosis_group"] == "all") & (smr["period"] == "overall")]
        peers = int(overall["peers"].max()) if len(overall) else 0
        table = Table(title="SMR, all diagnosis groups, whole window",
                      caption=f"Bands: SHMI funnel method against {peers} trusts, a screening device, not a verdict"
                              + (" (fewer than 30 trusts: unstable)" if 0 < peers < 30 else ""))
        for col in ("org", "O", "E", "SMR", "95% CI", "band"):
            table.add_column(col)
        for r in overall.itertuples(index=False):
            style = "bold" if r.org_code == focal else None
            table.add_row(r.org_code, str(r.observed), f"{r.expected:.1f}", f"{r.smr:.2f}",
                          f"{r.ci_low:.2f}-{r.ci_high:.2f}", r.band, style=style)
        console.print(table)
        alerts = result.alerts
        console.print(f"CUSUM alerts: {len(alerts)} ({int((alerts['direction'] == 'higher').sum())} higher, "
                      f"{int((alerts['direction'] == 'lower').sum())} lower) in "
                      f"{alerts[['org_code', 'diagnosis_group']].drop_duplicates().shape[0]} series")
        if focal:
            ans = sepsis_answer(result, focal)
            console.print(f"[bold]Is sepsis mortality at {focal} below expected?[/bold] "
                          f"{'Yes' if ans.below_expected else 'No'}.")
            console.print(ans.statement)
        console.print(f"Wrote {len(result.files)} files to {out}")
