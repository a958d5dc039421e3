"""`wardwatch users add`, `wardwatch tokens create` and `wardwatch serve`: the web dashboard."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from wardwatch.web import ROLES

users_app = typer.Typer(help="Accounts of the web dashboard (wardwatch serve).", no_args_is_help=True)
tokens_app = typer.Typer(help="Bearer tokens for the JSON API of wardwatch serve.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.add_typer(tokens_app, name="tokens")
    app.command("serve")(serve)


def _read_password() -> str:
    from wardwatch.errors import InputError

    if sys.stdin is None:
        raise InputError("password: give it on standard input (e.g. `wardwatch users add ... < secret.txt`)")
    text = sys.stdin.readline()
    password = text.removesuffix("\n")
    password = password.removesuffix("\r")
    if not password:
        raise InputError("password: give it on standard input (one line); none was read")
    return password


@users_app.command("add")
def users_add(
    name: str = typer.Argument(..., help="Account name (letters, digits, . _ @ -)."),
    role: str = typer.Option(..., "--role", help=f"One of {', '.join(ROLES)}."),
    db: Path = typer.Option(..., "--db", help="Warehouse file (the dashboard's accounts live in it)."),
) -> None:
    """Add an account (or reset its role and password); the password is read from standard input."""
    from wardwatch.cli.paths import warehouse_file
    from wardwatch.errors import InputError
    from wardwatch.warehouse import web_writer
    from wardwatch.web import store

    warehouse_file(db, "--db")
    store.check_name(name)
    if role not in ROLES:
        raise InputError(f"--role {role}: must be one of {', '.join(ROLES)}")
    password = _read_password()
    with web_writer(db) as raw:
        account = store.add_user(raw, name, role, password)
    typer.echo(f"Account {account.name} ({account.role}) saved in {db}")


@tokens_app.command("create")
def tokens_create(
    name: str = typer.Argument(..., help="Account the token signs in as."),
    db: Path = typer.Option(..., "--db", help="Warehouse file holding the account."),
) -> None:
    """Print a new bearer token for NAME (shown once; only its SHA-256 is stored)."""
    from wardwatch.cli.paths import warehouse_file
    from wardwatch.warehouse import web_writer
    from wardwatch.web import store

    warehouse_file(db, "--db")
    store.check_name(name)
    with web_writer(db) as raw:
        token = store.create_token(raw, name)
    typer.echo(token)


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(0)


def serve(
    db: Path = typer.Option(..., "--db", help="Warehouse with results (`wardwatch refresh` first)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback by default)."),
    port: int = typer.Option(8000, "--port", help="TCP port (1-65535)."),
    insecure_cookie: bool = typer.Option(
        False, "--insecure-cookie", help="Send the session cookie over plain HTTP too (loopback testing only)."),
    workers: int = typer.Option(1, "--workers", help="Server processes (1-32); more use more cores."),
    mllp: str | None = typer.Option(
        None, "--mllp", help="Also accept HL7 v2 over MLLP on HOST:PORT, in this process (live watchlists)."),
    webhook: list[str] = typer.Option(
        [], "--webhook", help="POST a JSON notice here when a watchlist item turns red (repeatable)."),
    rules: Path | None = typer.Option(
        None, "--rules", dir_okay=False, help="A site's watchlist rules YAML (default: the packaged rules.yaml)."),
    clock_from: str | None = typer.Option(
        None, "--clock-from", help="Run the watchlists' clock from this time instead of now, e.g. "
                                   "2019-01-14T12:00 (demonstrations and replays of old data)."),
) -> None:
    """Serve the dashboard and the JSON API (/api/v1) over the warehouse's results, and the live
    watchlists (/watchlists) over the live state beside it."""
    from wardwatch.cli.paths import warehouse_file
    from wardwatch.errors import InputError
    from wardwatch.warehouse import reader

    warehouse_file(db, "--db")
    if not 1 <= port <= 65535:
        raise InputError(f"--port {port}: must be between 1 and 65535")
    if not 1 <= workers <= 32:
        raise InputError(f"--workers {workers}: must be between 1 and 32")
    if not host or any(c.isspace() for c in host):
        raise InputError(f"--host {host!r}: give an address such as 127.0.0.1")
    with reader(db):
        pass  # a foreign or locked file fails here, in one line, before the server starts
    import logging
    import signal
    from datetime import datetime

    import uvicorn

    from wardwatch.cli.live import _host_port
    from wardwatch.live.notify import check_url
    from wardwatch.live.rules import load_rules
    from wardwatch.web.app import create_app
    from wardwatch.web.assets import MISSING, frontend_dir
    from wardwatch.web.live import LiveHub
    from wardwatch.web.watchlists import configure

    if workers > 1 and (mllp or webhook or rules or clock_from):
        raise InputError("--workers: the live options (--mllp, --webhook, --rules, --clock-from) need one process, "
                         "the one writer of the live state; leave --workers at 1")
    if frontend_dir() is None:
        typer.echo(MISSING, err=True)
    if workers > 1:
        typer.echo(f"Serving {db} on http://{host}:{port}/ with {workers} workers (Ctrl+C to stop)")
        # each worker process builds its own app from these two variables (uvicorn imports the factory)
        os.environ[_DB_VARIABLE] = str(db.resolve())
        os.environ[_INSECURE_VARIABLE] = "1" if insecure_cookie else ""
        uvicorn.run("wardwatch.cli.web:_worker_app", factory=True, workers=workers, host=host, port=port,
                    log_level="warning")
        return
    listen = _host_port(mllp, "--mllp") if mllp else None
    clock = datetime.now
    if clock_from:
        try:
            start, launched = datetime.fromisoformat(clock_from).replace(tzinfo=None), datetime.now()
        except ValueError:
            raise InputError(f"--clock-from {clock_from!r}: expected a date/time like 2019-01-14T12:00") from None

        def clock() -> datetime:  # runs at real speed from --clock-from
            return start + (datetime.now() - launched)
    hooks = [check_url(url) for url in webhook]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    app = create_app(db, secure_cookies=not insecure_cookie)
    hub = LiveHub(db, rules=load_rules(rules), webhooks=hooks, mllp=listen, clock=clock)
    if listen or hub.sender is not None:
        hub.start()  # intake and webhooks from the start; otherwise on the first watchlist request
    try:
        configure(app, hub)
        if listen:
            typer.echo(f"listening on {listen[0]}:{hub.mllp_port} (live state {db}.live.sqlite)", err=True)
        typer.echo(f"Serving {db} on http://{host}:{port}/ (Ctrl+C to stop)")
        # uvicorn re-raises a SIGTERM it handled once it has shut down: end through `finally` instead
        previous = signal.signal(signal.SIGTERM, _terminate)
        try:
            uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=2)
        finally:
            signal.signal(signal.SIGTERM, previous)
    finally:
        hub.stop()


_DB_VARIABLE = "WARDWATCH_SERVE_DB"
_INSECURE_VARIABLE = "WARDWATCH_SERVE_INSECURE_COOKIE"


def _worker_app():
    """The app of one `wardwatch serve --workers N` process (set up by ``serve``)."""
    from wardwatch.web.app import create_app

    return create_app(Path(os.environ[_DB_VARIABLE]), secure_cookies=not os.environ.get(_INSECURE_VARIABLE))
