"""The ``wardwatch`` command.

Each module in this package that defines ``register(app: typer.Typer)`` adds its commands;
modules are found automatically, so a feature adds its CLI without editing this file.
User mistakes raise ``wardwatch.errors.WardwatchError``: the root group prints one line, exit 2.
"""

from __future__ import annotations

import importlib
import pkgutil

import typer
from typer.core import TyperGroup

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
