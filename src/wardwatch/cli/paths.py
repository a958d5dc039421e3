"""Check the paths a command was given before it does any work.

Every ordinary path mistake (input missing, input is a folder, empty input, output is a folder,
output's folder missing, output folder is a file) becomes one ``InputError`` line naming the
option and the path, so the user fixes it at once instead of reading a traceback after minutes
of computing.
"""

from __future__ import annotations

import os
from pathlib import Path

from wardwatch.errors import InputError


def input_file(path: Path, what: str, *, allow_empty: bool = False) -> Path:
    """``path`` if it is a readable file (non-empty unless ``allow_empty``); else one-line error.

    ``what`` names the argument for the message, e.g. ``"spc: INPUT.csv"`` or ``"--overrides"``.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{what} {path}: file not found; check the path")
    if path.is_dir():
        raise InputError(f"{what} {path} is a folder; give the path of a file in it")
    if not path.is_file():
        raise InputError(f"{what} {path} is not a regular file; give the path of a file")
    if not os.access(path, os.R_OK):
        raise InputError(f"{what} {path}: permission denied; make the file readable")
    if not allow_empty and path.stat().st_size == 0:
        raise InputError(f"{what} {path} is empty; give a file with a header row and data")
    return path


def output_file(path: Path, what: str) -> Path:
    """``path`` if a file can be written there (its folder exists, it is not a folder)."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{what} {path} is a folder; give a file name, e.g. {path / 'out.csv'}")
    if path.exists() and not path.is_file():
        raise InputError(f"{what} {path} is not a regular file; choose another file name")
    parent = path.parent
    if not parent.exists():
        raise InputError(f"{what} {path}: folder {parent} does not exist; create it first")
    if not parent.is_dir():
        raise InputError(f"{what} {path}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise InputError(f"{what} {path}: permission denied; choose a writable location")
    return path


def output_folder(path: Path, what: str) -> Path:
    """``path`` if it is a folder or can be created as one (parents included); not a file."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"{what} {path} is a file; give a folder (it is created if missing)")
    for ancestor in path.parents:
        if ancestor.exists():
            if not ancestor.is_dir():
                raise InputError(f"{what} {path}: {ancestor} is a file, not a folder")
            if not os.access(ancestor, os.W_OK) and not path.exists():
                raise InputError(f"{what} {path}: permission denied in {ancestor}")
            break
    return path


def distinct_outputs(*named: tuple[str, Path | None]) -> None:
    """Two options writing the same file would silently overwrite one result with another."""
    seen: dict[Path, str] = {}
    for what, path in named:
        if path is None:
            continue
        key = Path(os.path.abspath(path))
        if key in seen:
            raise InputError(f"{seen[key]} and {what} are the same file ({path}); give two file names")
        seen[key] = what


def warehouse_file(path: Path, what: str = "--db") -> Path:
    """``path`` if it is an existing wardwatch warehouse file; an empty or foreign file is refused
    before DuckDB opens it (the check itself is the warehouse module's, the one way in)."""
    from wardwatch.warehouse import check_warehouse_file

    path = Path(path)
    if not path.exists():
        raise InputError(f"{what} {path} does not exist (no such warehouse file); load data first "
                         f"(wardwatch load ...) or check {what}")
    input_file(path, what, allow_empty=True)
    check_warehouse_file(path)
    return path
