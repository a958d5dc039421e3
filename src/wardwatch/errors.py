"""Errors that mean the user gave us something we cannot use.

They are Click exceptions, so the CLI (and Click's test runner) prints them as one line,
``Error: <message>``, with no traceback, and exits with ``exit_code`` (2).
"""

from __future__ import annotations

import click


class WardwatchError(click.ClickException):
    """A user-facing error: the message says what was wrong, where, and what to do."""

    exit_code = 2


class InputError(WardwatchError):
    """Bad input file or option (missing column, unreadable file, invalid value)."""
