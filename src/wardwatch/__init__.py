"""wardwatch: hospital quality and safety surveillance for the NHS (England).

``import wardwatch as ww`` gives the public API; heavy modules load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it (loaded lazily so `wardwatch --help` stays fast)
_API = {
    "spc": "wardwatch.stats.spc",
    "funnel": "wardwatch.stats.funnel",
    "synthesise": "wardwatch.synth",
    "load": "wardwatch.ingest",
    "compute_measures": "wardwatch.indicators.engine",
    "INDICATORS": "wardwatch.indicators",
    "aggregate_ratings": "wardwatch.ratings",
    "CONTRACTS": "wardwatch.contracts.schema",
    "fit_risk_model": "wardwatch.stats.riskmodel",
    "run_cusums": "wardwatch.stats.cusum",
    "run_mortality": "wardwatch.mortality",
    "sepsis_answer": "wardwatch.mortality",
}


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'wardwatch' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_API])
