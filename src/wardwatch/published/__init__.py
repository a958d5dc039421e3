"""Loaders for published national statistics into the warehouse (same charts as local data).

``wardwatch load-published KIND FILE --db DB``: each KIND reads one publication's file format,
checks it (one-line ``InputError`` naming file, line and column), and writes trust-level rows
(``org_code`` = ODS code) to ``measures``, or for CQC ratings to the ``cqc_ratings`` history
table, or for the organisation lookup (trust names) to ``organisations``. Loading the same file twice changes nothing; every row read is loaded or refused (counted).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module, resources
from pathlib import Path

import ibis

from wardwatch.published._common import LoadResult, write_measures

#: dataset name -> file shipped in ``wardwatch/data`` (attribution in ``data/SOURCES.md``)
SAMPLES = {
    "ae-monthly": "nhse_ae_attendances_2016_2019.csv",
    "shmi": "nhsd_shmi_annual_by_trust_2012_2018.csv",
    "rtt": "nhse_rtt_incomplete_18wk_by_trust_2013_2019.csv",
    "kh03": "nhse_kh03_beds_annual_by_trust_2010_2018.csv",
    "staff-survey": "staff_survey_and_shmi_by_trust_2012_2019.csv",
    "ae-annual": "nhse_ae_4hr_annual_by_trust_2012_2018.csv",
    "cqc-ratings": "cqc_ratings_nhs_providers_2019.csv",
    "providers": "nhs_provider_lookup_2019.csv",
}
#: dataset name -> "module:function" reading and checking a file into a ``LoadResult`` (no writes)
LOADERS = {
    "ae-monthly": "wardwatch.published.ae_monthly:prepare_ae_monthly",
    "shmi": "wardwatch.published.national:prepare_shmi",
    "rtt": "wardwatch.published.national:prepare_rtt",
    "kh03": "wardwatch.published.national:prepare_kh03",
    "staff-survey": "wardwatch.published.national:prepare_staff_survey",
    "ae-annual": "wardwatch.published.national:prepare_ae_annual",
    "cqc-ratings": "wardwatch.published.cqc_ratings:prepare_cqc_ratings",
    "providers": "wardwatch.published.providers:prepare_providers",
}


def sample_path(name: str) -> Path:
    """Path of the published data file shipped with wardwatch for ``name`` (e.g. ``"ae-monthly"``)."""
    try:
        filename = SAMPLES[name]
    except KeyError:
        raise KeyError(f"no shipped sample {name!r}; choose from {sorted(SAMPLES)}") from None
    return Path(str(resources.files("wardwatch") / "data" / filename))


def preparer(kind: str) -> Callable[[str | Path], LoadResult]:
    """The read-and-check function of ``kind``; ``KeyError`` for an unknown kind."""
    module, _, name = LOADERS[kind].partition(":")
    return getattr(import_module(module), name)


def write(con: ibis.BaseBackend, result: LoadResult) -> LoadResult:
    """Write a prepared load to the warehouse (``measures``, ``cqc_ratings`` or ``organisations``)."""
    if result.table == "measures":
        return write_measures(con, result)
    if result.table == "organisations":
        from wardwatch.published.providers import write_providers

        return write_providers(con, result)
    from wardwatch.published.cqc_ratings import write_cqc_ratings

    return write_cqc_ratings(con, result)


def load_published(kind: str, path: str | Path, con: ibis.BaseBackend) -> LoadResult:
    """Read, check and write one published file of ``kind`` (see ``LOADERS``)."""
    return write(con, preparer(kind)(path))
