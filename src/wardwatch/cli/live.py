"""`wardwatch listen`, `ingest-hl7`, `ingest-fhir`, `watchlist`, `replay`, `live-sync`: live
watchlists (docs/guide/watchlists.md)."""

from __future__ import annotations

import logging
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from wardwatch.errors import InputError


class Status(str, Enum):
    red = "red"
    amber = "amber"
    green = "green"


def _host_port(text: str, option: str) -> tuple[str, int]:
    text = text.removeprefix("mllp://")
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise InputError(f"{option} {text!r}: expected HOST:PORT, e.g. 127.0.0.1:2575")
    return host, int(port)


def _parse_at(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"--at {text!r}: expected a date/time like 2024-01-31T14:00") from None


DbOption = Annotated[Path, typer.Option("--db", help="Warehouse file; live state is kept in <db>.live.sqlite.")]
RulesOption = Annotated[
    Path | None,
    typer.Option("--rules", dir_okay=False, help="A site's rules YAML (default: the packaged rules.yaml)."),
]


def _rules(path: Path | None):
    from wardwatch.live.rules import load_rules

    return load_rules(path)


def register(app: typer.Typer) -> None:
    @app.command("listen")
    def listen(
        db: DbOption,
        mllp: Annotated[str, typer.Option("--mllp", help="HOST:PORT to accept HL7 v2 over MLLP on.")],
        max_batch: Annotated[int, typer.Option("--max-batch", min=1, help="Most messages per commit.")] = 500,
        rules: RulesOption = None,
    ) -> None:
        """Receive HL7 v2 messages over MLLP; each is committed before it is acknowledged."""
        import asyncio

        from wardwatch.live.server import serve

        host, port = _host_port(mllp, "--mllp")
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

        def ready(bound: int) -> None:
            typer.echo(f"listening on {host}:{bound} (live state {db}.live.sqlite)", err=True)

        try:
            asyncio.run(serve(db, host, port, max_batch=max_batch, ready=ready, rules=_rules(rules)))
        except OSError as err:
            raise InputError(f"--mllp {mllp}: cannot listen ({err.strerror})") from None
        except KeyboardInterrupt:
            typer.echo("stopped", err=True)

    @app.command("ingest-hl7")
    def ingest_hl7(
        files: Annotated[list[Path], typer.Argument(help="Files of HL7 v2 messages (plain, MLLP or batch).")],
        db: DbOption,
        rules: RulesOption = None,
    ) -> None:
        """Apply HL7 v2 messages from files (same rules as the listener)."""
        from wardwatch.live.files import read_text, split_hl7
        from wardwatch.live.store import LiveStore, Summary

        store = LiveStore(db, rules=_rules(rules))
        total = Summary()
        try:
            for path in files:
                messages, stray = split_hl7(read_text(path))
                for start in range(0, len(messages), 1000):
                    for outcome in store.ingest_hl7(messages[start:start + 1000], source=f"file:{path.name}"):
                        total.add(outcome)
                if stray:
                    typer.echo(f"{path}: {stray} segment(s) before the first MSH ignored", err=True)
        finally:
            store.close()
        typer.echo(f"applied {total.applied}, duplicates {total.duplicate}, quarantined {total.quarantined}")

    @app.command("ingest-fhir")
    def ingest_fhir(
        files: Annotated[list[Path], typer.Argument(help="FHIR R4 JSON Bundles (or single resources).")],
        db: DbOption,
        rules: RulesOption = None,
    ) -> None:
        """Apply FHIR R4 Encounter, ServiceRequest, ImagingStudy, Observation (NEWS2, sepsis
        screen) and MedicationAdministration resources from JSON files."""
        from wardwatch.live.fhir import process_bundle, read_bundle
        from wardwatch.live.store import LiveStore, Summary

        store = LiveStore(db, rules=_rules(rules))
        total = Summary()
        try:
            for path in files:
                summary = process_bundle(store, read_bundle(path), source=f"file:{path.name}")
                total.applied += summary.applied
                total.duplicate += summary.duplicate
                total.quarantined += summary.quarantined
        finally:
            store.close()
        typer.echo(f"applied {total.applied}, duplicates {total.duplicate}, quarantined {total.quarantined}")

    @app.command("watchlist")
    def watchlist_command(
        name: Annotated[str, typer.Argument(help="imaging_inpatient_waiting, ed_long_stay, "
                                                 "sepsis_antibiotics_due or sepsis_screen_due.")],
        db: DbOption,
        status: Annotated[Status | None, typer.Option("--status", help="Only items with this status.")] = None,
        at: Annotated[str | None, typer.Option("--at", help="Evaluate at this time (default: now).")] = None,
        rules_file: RulesOption = None,
    ) -> None:
        """Print the open items of a watchlist: pseudonymised patient, location, start, minutes, status."""
        from wardwatch.live.store import live_path, open_readonly
        from wardwatch.live.watchlist import format_items, watchlist

        rules = _rules(rules_file)
        rule = rules.rule(name)
        if not live_path(db).exists():
            raise InputError(f"{live_path(db)}: no live database yet; start `wardwatch listen --db {db}` "
                             "or run `wardwatch ingest-hl7 FILE --db ...` first")
        when = _parse_at(at) or datetime.now()
        con = open_readonly(db)
        try:
            items = watchlist(con, rules, name, when, status.value if status else None)
        finally:
            con.close()
        typer.echo(format_items(items, rule, when, rules.version))

    @app.command("replay")
    def replay_command(
        data: Annotated[Path, typer.Option("--data", file_okay=False, help="Folder written by `wardwatch synth`.")],
        to: Annotated[str, typer.Option("--to", help="mllp://HOST:PORT of a running `wardwatch listen`.")],
        speed: Annotated[float, typer.Option("--speed", min=0, help="Times real time; 0 = as fast as possible.")] = 0,
        org: Annotated[str | None, typer.Option("--org", help="Only this trust (ODS code), e.g. ZFV.")] = None,
        since: Annotated[str | None, typer.Option("--since", help="Only events at or after this time.")] = None,
        until: Annotated[str | None, typer.Option("--until", help="Only events before this time.")] = None,
        window: Annotated[int, typer.Option("--window", min=1, help="Messages in flight before an ACK.")] = 32,
    ) -> None:
        """Turn synthetic ED, imaging and sepsis records into an HL7 v2 stream in event-time order."""
        from wardwatch.live.replay import build_stream, send_stream

        host, port = _host_port(to, "--to")
        stream = build_stream(data, org=org, since=_parse_at(since), until=_parse_at(until))
        typer.echo(f"{len(stream)} messages from {data}", err=True)
        counts = send_stream(stream, host, port, speed=speed, window=window)
        typer.echo(", ".join(f"{code} {n}" for code, n in sorted(counts.items())))

    @app.command("live-sync")
    def live_sync(
        db: DbOption,
        at: Annotated[str | None, typer.Option(
            "--at", help="Treat this as the current time when deciding what has settled (default: now).")] = None,
    ) -> None:
        """Load the completed live episodes (ED departed, imaging performed or cancelled, sepsis
        treated or closed) into the warehouse tables, through `wardwatch load`'s checks."""
        from wardwatch.live.export import format_sync, sync_completed

        report = sync_completed(db, _parse_at(at))
        typer.echo(format_sync(report))
