"""`wardwatch ratings check|aggregate|override|rules|demo`: CQC-style ratings from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

ratings_app = typer.Typer(
    help="CQC-style ratings: aggregate, check against published ratings, override.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(ratings_app, name="ratings")



@ratings_app.command("check")
def check(
    file: Annotated[
        Path | None,
        typer.Argument(help="CQC provider ratings export CSV (default: the shipped 2019 subset)."),
    ] = None,
    ruleset: Annotated[str, typer.Option("--ruleset", help="Rule set id or YAML path.")] = "nhs_trust_2014",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Recompute each provider's Overall rating from its five key questions; list disagreements."""
    from wardwatch.cli.paths import input_file
    from wardwatch.ratings.published import check_published
    from wardwatch.vocabulary import KEY_QUESTION_LABELS

    if file is not None:
        input_file(file, "ratings check: FILE")
    result = check_published(file, ruleset)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), default=str, ensure_ascii=False))
        return
    typer.echo(
        f"rule set {result.ruleset}: {result.agree} of {result.providers} providers agree "
        f"({100 * result.rate:.1f}%)"
    )
    if result.skipped:
        listed = ", ".join(result.skipped[:10]) + (", ..." if len(result.skipped) > 10 else "")
        typer.echo(
            f"skipped {len(result.skipped)} of {result.providers + len(result.skipped)} providers "
            f"with no published Overall rating: {listed}"
        )
    for row in result.disagreements.to_dict("records"):
        name = f" {row['org_name']}" if row["org_name"] else ""
        kqs = ", ".join(f"{k} {_short(row[k])}" for k in KEY_QUESTION_LABELS.values())
        typer.echo(
            f"- {row['org_code']}{name} ({row['publication_date']}): published {row['published']}, "
            f"computed {row['computed']} [{kqs}]"
        )
        typer.echo(f"    {row['explanation']}")


def _short(rating: str) -> str:
    from wardwatch.ratings.model import Rating

    return Rating.parse(rating).short


@ratings_app.command("aggregate")
def aggregate(
    input_csv: Annotated[
        Path,
        typer.Argument(
            help="Ratings table CSV: level, org, location, service, key_question, rating[, enforcement]."
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Output CSV with every computed cell and its explanation.")
    ],
    ruleset: Annotated[str, typer.Option("--ruleset", help="Rule set id or YAML path.")] = "nhs_trust_2014",
    include_additional: Annotated[
        str | None,
        typer.Option(
            "--include-additional",
            help="Aggregate additional services too: 'all', 'none', or codes such as DIAGNOSTIC_IMAGING,GYNAECOLOGY.",
        ),
    ] = None,
    trust_from: Annotated[
        str | None, typer.Option("--trust-from", help="Trust S/E/C/R from 'location' (default) or 'service'.")
    ] = None,
    overrides: Annotated[
        Path | None, typer.Option("--overrides", help="Override audit trail (.jsonl or .duckdb) to apply.")
    ] = None,
) -> None:
    """Aggregate any ratings table service → location → trust and write every rating with its explanation."""
    from wardwatch.cli.paths import distinct_outputs, input_file, output_file
    from wardwatch.csvsafe import write_csv
    from wardwatch.errors import InputError
    from wardwatch.ratings.aggregate import aggregate_ratings
    from wardwatch.ratings.overrides import OverrideStore

    input_file(input_csv, "ratings aggregate: INPUT_CSV")
    output_file(out, "ratings aggregate: --out")
    if overrides is not None:
        input_file(overrides, "ratings aggregate: --overrides", allow_empty=True)
    distinct_outputs(("INPUT_CSV", input_csv), ("--out", out), ("--overrides", overrides))
    include: bool | list[str] | None
    if include_additional is None:
        include = None
    elif include_additional.lower() in {"all", "true", "yes"}:
        include = True
    elif include_additional.lower() in {"none", "false", "no"}:
        include = False
    else:
        include = [s.strip() for s in include_additional.split(",") if s.strip()]
    applied = OverrideStore(overrides).read() if overrides else []
    result = aggregate_ratings(
        input_csv, ruleset, include_additional=include, trust_from=trust_from, overrides=applied
    )
    frame = result.to_frame()
    if frame.empty:
        raise InputError(f"ratings aggregate: {input_csv} holds no ratings (header only?); nothing to write")
    write_csv(frame, out)
    trusts = frame[(frame.level == "trust") & (frame.key_question == "overall")]
    typer.echo(
        f"wrote {len(frame)} ratings to {out} (rule set {result.ruleset}, "
        f"{len(result.overrides_applied)} override(s) applied)"
    )
    for row in trusts.to_dict("records"):
        typer.echo(f"{row['org']} overall: {row['rating']} — {row['explanation']}")


@ratings_app.command("override")
def override(
    store: Annotated[
        Path, typer.Option("--store", help="Audit trail: a .jsonl file or the DuckDB warehouse (.duckdb).")
    ],
    org: Annotated[str, typer.Option("--org")],
    to: Annotated[str, typer.Option("--to", help="The rating professional judgement gives.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (required, kept in the audit trail).")],
    who: Annotated[str, typer.Option("--who", help="Who made the judgement.")],
    key_question: Annotated[str, typer.Option("--key-question")] = "overall",
    level: Annotated[str, typer.Option("--level")] = "trust",
    location: Annotated[str | None, typer.Option("--location")] = None,
    service: Annotated[str | None, typer.Option("--service")] = None,
    from_rating: Annotated[
        str | None, typer.Option("--from", help="The computed rating being replaced.")
    ] = None,
) -> None:
    """Record a human override of one rating, with a reason, in the audit trail."""
    from wardwatch.cli.paths import output_file
    from wardwatch.ratings.overrides import OverrideStore, make_override

    output_file(store, "ratings override: --store")
    record = make_override(
        level=level,
        org=org,
        key_question=key_question,
        to=to,
        reason=reason,
        who=who,
        location=location,
        service=service,
        from_rating=from_rating,
    )
    OverrideStore(store).append(record)
    typer.echo(
        f"override recorded in {store}: {record.level} {record.org} {record.key_question} "
        f"{record.from_rating or '?'} → {record.to_rating} by {record.who} ({record.when}): {record.reason}"
    )


@ratings_app.command("rules")
def rules(
    ruleset: Annotated[str, typer.Option("--ruleset", help="Rule set id or YAML path.")] = "nhs_trust_2014",
) -> None:
    """List the rules of a rule set with thresholds, verified flags and sources."""
    from wardwatch.ratings.rules import load_ruleset

    rs = load_ruleset(ruleset)
    typer.echo(f"{rs.id} v{rs.version} ({rs.framework}): {rs.title}")
    for rule in rs.rules:
        band = (
            ""
            if rule.kind in {"good", "single_inadequate"}
            else (f" n {rule.min_n}-{rule.max_n if rule.max_n else '∞'} threshold {rule.threshold}")
        )
        flag = "verified" if rule.verified else "UNVERIFIED"
        typer.echo(
            f"  {rule.id:<24} {rule.kind:<21}{band} [{flag}{'' if rule.enabled else ', disabled'}] "
            f"{rule.source}"
        )
    for limiter in rs.limiters:
        typer.echo(
            f"  {limiter.id:<24} {limiter.enforcement} → {limiter.at_best.value} at best "
            f"[{'verified' if limiter.verified else 'UNVERIFIED'}] {limiter.source}"
        )
    for band in rs.raw.get("bands", []):
        typer.echo(
            f"  {band['id']:<24} {band['rating']} from {band['min_pct']}% "
            f"[{'verified' if band['verified'] else 'UNVERIFIED'}] {band['source']}"
        )


@ratings_app.command("demo")
def demo() -> None:
    """Aggregate the demo trust ZFV's inspection history and compare with its published ratings."""
    from wardwatch.ratings.history import demo_history

    history = demo_history()
    for inspection in history.inspections:
        frame = inspection.aggregate().to_frame()
        trust = frame[frame.level == "trust"]
        typer.echo(f"{inspection.id} (published {inspection.published}, {inspection.framework.value}):")
        for row in trust.to_dict("records"):
            published = inspection.published_trust.get(row["key_question"])
            mark = (
                ""
                if published is None
                else ("  = published" if published == row["rating"] else f"  ≠ published {published}")
            )
            typer.echo(f"  {row['key_question']:<11} {row['rating']:<21}{mark}")
