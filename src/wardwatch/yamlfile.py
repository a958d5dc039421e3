"""Reading a YAML file a person wrote (board.yaml, an inspection history, an action plan), with
every failure as one line that names the option and the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from wardwatch.errors import InputError


def load_yaml(path: Path, what: str, *, give: str = "the YAML file") -> Any:
    """The parsed document in ``path``; ``what`` (e.g. ``--config``) leads every error line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{what} {path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{what} {path}: is a folder; give {give}") from None
    except NotADirectoryError:
        raise InputError(f"{what} {path}: a parent of this path is a file, not a folder") from None
    except UnicodeDecodeError:
        raise InputError(f"{what} {path}: not UTF-8 text") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"{what} {path}:{line} is not valid YAML ({getattr(exc, 'problem', exc)})") from None
