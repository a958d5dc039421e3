"""Errors that mean the user gave us something we cannot use.

The CLI's root command group catches ``WardwatchError`` and prints it as ONE plain line,
``Error: <message>``, on stderr, with no traceback and no box, and exits with ``exit_code`` (2).
Python callers get an ordinary exception.
"""

from __future__ import annotations


class WardwatchError(Exception):
    """A user-facing error: the message says what was wrong, where, and what to do."""

    exit_code = 2

    @property
    def message(self) -> str:
        return str(self)


class InputError(WardwatchError, ValueError):
    """Bad input file or option (missing column, unreadable file, invalid value)."""
