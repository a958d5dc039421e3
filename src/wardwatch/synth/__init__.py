"""Seeded synthetic data: a focal trust (ZFV), 14 peers and known, injected signals.

``synthesise(out_dir)`` writes one file per dataset contract (``ed_attendances.parquet``, ...)
plus ``organisations.csv``. The same seed gives byte-identical data; the world's fixed facts
(window, trusts, signal dates, the true mortality model) live in ``wardwatch.synth.signals``.
See docs/synthetic-data.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from wardwatch.contracts.schema import CONTRACTS
from wardwatch.errors import InputError
from wardwatch.synth.ed import ed_chunks, write_ed_attendances
from wardwatch.synth.orgs import FOCAL, ORG_CODES, ORGS, PEERS, write_organisations
from wardwatch.synth.signals import (
    EXTRACT_AT,
    FOCAL_ORG,
    HIGH_MORTALITY_PEER,
    INSPECTIONS,
    PEER_ORGS,
    SIGNALS,
    TRUE_MORTALITY_MODEL,
    WINDOW_END,
    WINDOW_START,
    MortalityModel,
    Signal,
    signal,
)
from wardwatch.synth.writer import FORMATS, DatasetWriter, write_table

__all__ = [
    "DATASETS",
    "EXTRACT_AT",
    "FOCAL",
    "FOCAL_ORG",
    "FORMATS",
    "HIGH_MORTALITY_PEER",
    "INSPECTIONS",
    "ORGS",
    "ORG_CODES",
    "PEERS",
    "PEER_ORGS",
    "SCALES",
    "SIGNALS",
    "TRUE_MORTALITY_MODEL",
    "WINDOW_END",
    "WINDOW_START",
    "DatasetWriter",
    "MortalityModel",
    "Scale",
    "Signal",
    "ed_chunks",
    "signal",
    "synthesise",
    "write_ed_attendances",
]


@dataclass(frozen=True)
class Scale:
    """How much data a scale generates (rows are totals over all 15 trusts and 3 years)."""

    ed_rows: int
    imaging_requests: int
    admissions: int
    sepsis_focal_per_month: int  # suspected-sepsis episodes a month at the focal trust
    headcount_per_size: int  # staff of an average-size trust (radiography apart)
    radiography_per_size: int  # radiography staff of an average-size trust


SCALES: dict[str, Scale] = {
    "small": Scale(40_000, 60_000, 40_000, 75, 250, 60),
    "medium": Scale(1_000_000, 600_000, 300_000, 200, 1_500, 80),
    "large": Scale(5_000_000, 2_000_000, 1_000_000, 400, 3_000, 120),
}

#: dataset names in the order they are written (same as the contracts)
DATASETS: tuple[str, ...] = tuple(CONTRACTS)


def synthesise(
    out_dir: str | Path,
    seed: int = 0,
    scale: str = "small",
    ed_rows: int | None = None,
    fmt: str = "parquet",
    datasets: Iterable[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Path]:
    """Write the synthetic trusts' datasets to ``out_dir`` and return ``{dataset: path}``.

    ``organisations`` (always written, CSV) lists trusts and sites. ``ed_rows`` overrides the
    scale's number of ED attendances (all trusts together). ``datasets`` limits which contract
    datasets are written; each dataset's content depends only on the seed and scale, not on
    which others are written.
    """
    if scale not in SCALES:
        raise InputError(f"unknown scale {scale!r}: use one of {', '.join(SCALES)}")
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    if ed_rows is not None and ed_rows < 0:
        raise InputError(f"ED rows must be zero or more, not {ed_rows}")
    wanted = tuple(DATASETS if datasets is None else datasets)
    unknown = [d for d in wanted if d not in CONTRACTS]
    if unknown:
        raise InputError(f"unknown dataset(s) {', '.join(unknown)}: choose from {', '.join(DATASETS)}")
    size = SCALES[scale]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    say = progress or (lambda _message: None)

    paths: dict[str, Path] = {"organisations": write_organisations(out / "organisations.csv")}
    training_tables = None
    for name in DATASETS:
        if name not in wanted:
            continue
        path = out / f"{name}.{fmt}"
        say(name)
        if name == "ed_attendances":
            paths[name] = write_ed_attendances(path, size.ed_rows if ed_rows is None else ed_rows, seed, fmt)
            continue
        if name == "sepsis_episodes":
            from wardwatch.synth.sepsis import generate_sepsis

            data = generate_sepsis(seed, size.sepsis_focal_per_month)
        elif name == "imaging_requests":
            from wardwatch.synth.imaging import generate_imaging

            data = generate_imaging(seed, size.imaging_requests)
        elif name in ("staff_training", "irmer_entitlements"):
            if training_tables is None:
                from wardwatch.synth.training import generate_training

                training_tables = generate_training(seed, size.headcount_per_size, size.radiography_per_size)
            data = training_tables[0 if name == "staff_training" else 1]
        elif name == "staffing":
            from wardwatch.synth.staffing import generate_staffing

            data = generate_staffing(seed)
        elif name == "admissions":
            from wardwatch.synth.admissions import generate_admissions

            data = generate_admissions(seed, size.admissions)
        else:  # pragma: no cover - a new contract without a generator
            raise NotImplementedError(f"no synthetic generator for {name}")
        paths[name] = write_table(path, CONTRACTS[name], data, fmt)
    return paths
