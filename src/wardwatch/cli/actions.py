"""`wardwatch actions list|add|update|evaluate|demo`: inspection findings and action plans."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

actions_app = typer.Typer(
    help="Inspection findings and action plans, and whether the actions worked.", no_args_is_help=True
)

PLAN = typer.Option("--plan", help="Action plan: YAML file, or a folder with findings.csv and actions.csv.")


def register(app: typer.Typer) -> None:
    app.add_typer(actions_app, name="actions")



def _today(value: str | None) -> date:
    from wardwatch.actions.model import parse_date

    return parse_date(value, "--today") if value else date.today()


@actions_app.command("list")
def list_actions(
    plan: Annotated[Path, PLAN],
    today: Annotated[
        str | None, typer.Option("--today", help="Date for the overdue check (default: today).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List findings (marking repeats) and actions (marking overdue ones)."""
    from wardwatch.actions.store import load_plan

    p = load_plan(plan)
    on = _today(today)
    repeats = p.repeat_findings().set_index("finding_id")
    overdue = set(p.overdue(on)["id"])
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "org_code": p.org_code,
                    "findings": p.findings_frame()
                    .assign(
                        repeat_of=lambda f: (
                            f["id"].map(repeats["repeat_of"]).astype(object).where(lambda s: s.notna(), None)
                        )
                    )
                    .to_dict("records"),
                    "actions": p.actions_frame()
                    .assign(overdue=lambda f: f["id"].isin(overdue))
                    .to_dict("records"),
                },
                default=str,
            )
        )
        return
    typer.echo(f"{p.org_code} {p.title}".strip())
    typer.echo("Findings:")
    for f in p.findings:
        mark = f"  REPEAT of {repeats.loc[f.id, 'repeat_of']}" if f.id in repeats.index else ""
        typer.echo(f"  {f.id} {f.date} {f.service} {f.key_question} [{f.theme}] {f.text}{mark}")
    typer.echo(f"Actions (overdue as of {on}):")
    for a in p.actions:
        mark = "  OVERDUE" if a.id in overdue else ""
        links = ", ".join(f"{x.indicator_id} ({x.expected})" for x in a.indicators)
        typer.echo(
            f"  {a.id} [{a.status}] {a.title} — {a.owner}; {a.start} → due {a.due}"
            f"{' done ' + str(a.completed_on) if a.completed_on else ''}{mark}; measures: {links or '-'}"
        )


@actions_app.command("add")
def add_action(
    plan: Annotated[Path, PLAN],
    finding: Annotated[str, typer.Option("--finding", help="Finding id the action answers.")],
    title: Annotated[str, typer.Option("--title")],
    owner: Annotated[str, typer.Option("--owner")],
    start: Annotated[str, typer.Option("--start", help="YYYY-MM-DD")],
    due: Annotated[str, typer.Option("--due", help="YYYY-MM-DD")],
    indicator: Annotated[
        list[str] | None, typer.Option("--indicator", help="indicator_id:increase|decrease (repeatable).")
    ] = None,
    status: Annotated[str, typer.Option("--status")] = "not_started",
    action_id: Annotated[str | None, typer.Option("--id", help="Action id (default: next A<n>).")] = None,
) -> None:
    """Add an action to the plan and save the plan."""
    from wardwatch.actions.store import load_plan, save_plan

    p = load_plan(plan)
    action = p.add_action(
        finding_id=finding,
        title=title,
        owner=owner,
        start=start,
        due=due,
        indicators=list(indicator or []),
        status=status,
        id=action_id,
    )
    save_plan(p, plan)
    typer.echo(f"added {action.id}: {action.title} (finding {action.finding_id}) to {plan}")


@actions_app.command("update")
def update_action(
    action_id: Annotated[str, typer.Argument(help="Action id.")],
    plan: Annotated[Path, PLAN],
    status: Annotated[str, typer.Option("--status", help="not_started | in_progress | complete | cancelled")],
    completed_on: Annotated[
        str | None, typer.Option("--completed-on", help="YYYY-MM-DD (default today when complete).")
    ] = None,
) -> None:
    """Change an action's status and save the plan."""
    from wardwatch.actions.store import load_plan, save_plan

    p = load_plan(plan)
    action = p.update_status(action_id, status, completed_on)
    save_plan(p, plan)
    typer.echo(
        f"{action.id} is now {action.status}"
        + (f" (completed {action.completed_on})" if action.completed_on else "")
    )


@actions_app.command("evaluate")
def evaluate(
    plan: Annotated[Path, PLAN],
    db: Annotated[Path, typer.Option("--db", help="DuckDB warehouse with the measures table.")],
    svg_dir: Annotated[
        Path | None, typer.Option("--svg-dir", help="Write each chart, annotated at the start date, here.")
    ] = None,
    min_after: Annotated[
        int, typer.Option("--min-after", help="Points after the start needed for a verdict.")
    ] = 7,
    alpha: Annotated[
        float, typer.Option("--alpha", help="1 - confidence level of the effect's interval (0.10: 90%).")
    ] = 0.10,
    horizon: Annotated[
        float | None,
        typer.Option("--horizon", help="Months after the start at which the effect is read (default: mid follow-up)."),
    ] = None,
    comparator: Annotated[
        str | None,
        typer.Option("--comparator", help="Org code of a peer or national series: controlled ITS on the difference."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Measure each action's effect on its linked indicators (interrupted time series + SPC baseline check)."""
    from wardwatch.actions.effect import EffectSettings, evaluate_plan
    from wardwatch.actions.store import load_plan
    from wardwatch.errors import InputError

    p = load_plan(plan)
    if not 0 < alpha < 1:
        raise InputError(f"--alpha must be between 0 and 1, got {alpha}")
    settings = EffectSettings(min_points_after=min_after, alpha=alpha, horizon=horizon)
    effects = evaluate_plan(p, db, settings=settings, comparator=comparator)
    frame = effects.to_frame()
    if svg_dir is not None:
        svg_dir.mkdir(parents=True, exist_ok=True)
        for effect in effects.effects:
            if effect.rebased is not None:
                (svg_dir / f"{effect.action_id}_{effect.indicator_id}.svg").write_text(
                    effect.plot(), encoding="utf-8"
                )
    if as_json:
        typer.echo(frame.to_json(orient="records", date_format="iso"))
        return
    for row in frame.to_dict("records"):
        typer.echo(
            f"{row['action_id']} {row['title']} → {row['indicator_id']} ({row['expected']}): "
            f"{row['verdict'].upper()} — {row['reason']}"
        )
    if svg_dir is not None:
        typer.echo(f"charts written to {svg_dir}")


@actions_app.command("demo")
def demo(
    out: Annotated[
        Path, typer.Option("--out", help="Where to write the demo plan (YAML, or a folder for CSV).")
    ],
) -> None:
    """Write the demo action plan of the synthetic trust ZFV."""
    from wardwatch.actions.store import demo_plan, save_plan
    from wardwatch.cli.paths import output_file, output_folder

    if out.suffix.lower() in (".yaml", ".yml"):
        output_file(out, "actions demo: --out")
    else:
        output_folder(out, "actions demo: --out")
    save_plan(demo_plan(), out)
    typer.echo(f"demo action plan written to {out}")
