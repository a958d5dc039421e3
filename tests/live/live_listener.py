"""Start/stop `wardwatch listen` as a real subprocess for the durability tests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def start_listener(db: Path, timeout: float = 20.0) -> tuple[subprocess.Popen, int]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "wardwatch", "listen", "--db", str(db), "--mllp", "127.0.0.1:0"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env,
    )
    deadline = time.monotonic() + timeout
    assert proc.stderr is not None
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        found = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
        if found:
            return proc, int(found.group(1))
    proc.kill()
    raise RuntimeError(f"listener did not start: {proc.stderr.read()}")
