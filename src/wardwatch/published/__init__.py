"""Loaders for published national statistics into ``measures`` (same charts as local data)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

#: dataset name -> file shipped in ``wardwatch/data`` (attribution in ``data/SOURCES.md``)
SAMPLES = {"ae-monthly": "nhse_ae_attendances_2016_2019.csv"}
LOADERS = {"ae-monthly": "wardwatch.published.ae_monthly:load_ae_monthly"}


def sample_path(name: str) -> Path:
    """Path of the published data file shipped with wardwatch for ``name`` (e.g. ``"ae-monthly"``)."""
    try:
        filename = SAMPLES[name]
    except KeyError:
        raise KeyError(f"no shipped sample {name!r}; choose from {sorted(SAMPLES)}") from None
    return Path(str(resources.files("wardwatch") / "data" / filename))
