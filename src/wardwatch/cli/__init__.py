"""The ``wardwatch`` command.

Each module in this package that defines ``register(app: typer.Typer)`` adds its commands;
modules are found automatically, so a feature adds its CLI without editing this file.
User mistakes raise ``wardwatch.errors.WardwatchError``: the root group prints one line, exit 2.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from typing import Any

import typer
from typer.core import TyperGroup

try:  # recent typer vendors click: its usage errors are typer._click's classes, not click's
    from typer import _click as click
except ImportError:  # pragma: no cover - typer releases that depend on click
    import click  # type: ignore[no-redef]

from wardwatch.errors import WardwatchError


class _WardwatchGroup(TyperGroup):
    """Root group: turns user errors raised by any (sub)command into one line and exit code 2."""

    def invoke(self, ctx):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except WardwatchError as err:
            message = " ".join(str(err).split())  # one line, whatever the message held
            typer.echo(f"Error: {message}", err=True)
            raise typer.Exit(err.exit_code) from None

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:  # type: ignore[override]
        """Usage errors (missing option, bad value, unknown command) as one ``Error:`` line, exit 2.

        Typer would draw them in a multi-line box; a script reading stderr wants one line.
        """
        try:
            result = super().main(args=args, prog_name=prog_name, complete_var=complete_var,
                                  standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as err:
            if not standalone_mode:
                raise
            if err.message.strip():  # without rich the help is the message; with rich it is printed
                typer.echo(err.message, err=True)
            sys.exit(err.exit_code)
        except click.exceptions.ClickException as err:
            if not standalone_mode:
                raise
            typer.echo(f"Error: {_one_line_usage(err)}", err=True)
            sys.exit(err.exit_code)
        except typer.Abort:
            if not standalone_mode:
                raise
            typer.echo("Error: aborted", err=True)
            sys.exit(1)
        if standalone_mode:
            sys.exit(result if isinstance(result, int) else 0)
        return result


def _one_line_usage(err: Any) -> str:
    message = " ".join(err.format_message().split())
    ctx = getattr(err, "ctx", None)
    if ctx is not None and isinstance(err, click.exceptions.UsageError):
        message += f" (see '{ctx.command_path} --help')"
    return message


app = typer.Typer(
    cls=_WardwatchGroup,
    name="wardwatch",
    help="Hospital quality and safety surveillance for the NHS (England).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_registered = False


@app.callback()
def _root() -> None:
    """Hospital quality and safety surveillance for the NHS (England)."""


def _register_all() -> None:
    global _registered
    if _registered:
        return
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if callable(register):
            register(app)
    _registered = True


def main(argv: list[str] | None = None) -> None:
    _register_all()
    app(args=argv)


def get_app() -> typer.Typer:
    """The Typer app with every command registered (for tests: typer.testing.CliRunner)."""
    _register_all()
    return app
