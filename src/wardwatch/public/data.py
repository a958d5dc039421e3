"""The published-data warehouse behind ``wardwatch public`` and everything computed for all trusts at once.

The heavy work happens once per warehouse (:func:`prepare`): every shipped published file is loaded
(or an existing warehouse is read), the measures are read into memory, and SPC is run for every
trust in one vectorised call per indicator; the national funnels are computed once. Drawing one
trust's page afterwards is only selection and SVG drawing (``wardwatch.public.page``), which is
what makes a page for every organisation in the files cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import ibis
import pandas as pd

from wardwatch.disclosure import SmallNumberRule
from wardwatch.engines import table_names
from wardwatch.errors import InputError
from wardwatch.indicators.published import AE_MONTHLY_SOURCE, RTT_SOURCE
from wardwatch.published import SAMPLES, load_published, sample_path
from wardwatch.stats.funnel import FunnelResult, funnel
from wardwatch.stats.spc import SPCResult, spc
from wardwatch.warehouse import connect_duckdb

#: SPC charts drawn for every trust: indicator id -> (target, source)
SPC_INDICATORS: dict[str, tuple[float, str]] = {
    "ae_4h_type1": (0.95, AE_MONTHLY_SOURCE),
    "ae_4h_all_types": (0.95, AE_MONTHLY_SOURCE),
    "rtt_incomplete_18wk": (0.92, RTT_SOURCE),
}
#: funnels of four-hour performance over the latest full financial year
FUNNEL_INDICATORS = ("ae_4h_type1", "ae_4h_all_types")
#: the small-number rule of public outputs (counts 1-7 hidden)
RULE = SmallNumberRule()


@dataclass(frozen=True)
class NationalFunnel:
    """A funnel of one indicator over one financial year (trusts reporting all 12 months)."""

    indicator_id: str
    result: FunnelResult
    year_start: date  # 1 April of the financial year
    n_trusts: int
    #: what the drawing reads (``funnel_svg`` hashes its whole input frame: fewer columns, faster pages)
    drawn: pd.DataFrame
    by_group: dict[str, pd.Series]

    @property
    def label(self) -> str:
        return f"{self.year_start.year}/{(self.year_start.year + 1) % 100:02d}"


@dataclass
class PublicData:
    """Everything the pages need, for every organisation (read once, drawn many times)."""

    measures: pd.DataFrame  # trust-level published measures (all indicators, all organisations)
    ratings: pd.DataFrame  # cqc_ratings history (may be empty)
    organisations: pd.DataFrame  # the provider lookup (may be empty)
    spc: dict[str, SPCResult] = field(default_factory=dict)
    #: indicator id -> number of rows left out of the SPC input by the small-number rule, by org
    suppressed: dict[str, pd.Series] = field(default_factory=dict)
    funnels: dict[str, NationalFunnel] = field(default_factory=dict)
    db_label: str = "shipped published files (in-memory warehouse)"

    def __post_init__(self) -> None:
        self.by_org: dict[str, pd.DataFrame] = {
            code: frame for code, frame in self.measures.groupby("org_code", sort=False)
        }
        # one frame per (organisation, indicator): a page only looks rows up, never filters
        self.series: dict[tuple[str, str], pd.DataFrame] = {
            key: frame for key, frame in self.measures.groupby(["org_code", "indicator_id"], sort=False)
        }
        self.empty = self.measures.iloc[0:0]
        self.spc_points: dict[tuple[str, str], pd.DataFrame] = {}
        self.spc_last: dict[tuple[str, str], pd.Series] = {}
        self.ratings_by_org: dict[str, pd.DataFrame] = (
            {code: frame for code, frame in self.ratings.groupby("org_code", sort=False)}
            if len(self.ratings) else {}
        )
        self.names: dict[str, str] = (
            dict(zip(self.organisations["org_code"], self.organisations["org_name"], strict=True))
            if len(self.organisations) else {}
        )
        self.org_types: dict[str, str] = (
            {c: t for c, t in zip(self.organisations["org_code"], self.organisations["org_type"], strict=True)
             if isinstance(t, str)}
            if len(self.organisations) else {}
        )

    def org_codes(self) -> list[str]:
        """Every organisation in the warehouse: with measures, CQC ratings or a lookup entry."""
        codes = set(self.by_org) | set(self.ratings_by_org) | set(self.names)
        return sorted(codes)

    def org_name(self, code: str) -> tuple[str, str]:
        """(name, where it came from): the provider lookup first, else the CQC export's name."""
        if code in self.names:
            return self.names[code], "NHS provider lookup (ODS)"
        rated = self.ratings_by_org.get(code)
        if rated is not None:
            names = rated["org_name"].dropna()
            if len(names):
                return str(names.iloc[-1]), "CQC ratings export"
        return code, "not in the provider lookup"

    def check_org(self, code: str) -> str:
        """The code in upper case; ``InputError`` if no shipped or loaded file has it."""
        wanted = code.strip().upper()
        if wanted not in self.by_org and wanted not in self.ratings_by_org and wanted not in self.names:
            raise InputError(
                f"no organisation {code!r} in the published data ({self.db_label}); give an ODS code such "
                "as RNA: `wardwatch public --list` prints every code with its name (or see "
                "src/wardwatch/data/nhs_provider_lookup_2019.csv)"
            )
        return wanted


def build_warehouse(db: str | Path | None = None) -> ibis.BaseBackend:
    """A warehouse holding every shipped published file.

    ``db=None``: an in-memory DuckDB loaded from the shipped files. ``db`` that does not exist yet:
    created and loaded (a cache for later runs). ``db`` that exists: opened read-only as it is (it
    may hold other or more recent publications loaded with ``wardwatch load-published``).
    """
    if db is not None and Path(db).exists():
        return connect_duckdb(db, read_only=True)
    con = connect_duckdb(db)
    for kind in SAMPLES:
        load_published(kind, sample_path(kind), con)
    return con


def _read(con: ibis.BaseBackend) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    tables = set(table_names(con))
    raw = con.con
    measures = (
        raw.execute(
            "SELECT indicator_id, org_code, period_start, period_grain, numerator, denominator, value, source "
            "FROM measures WHERE site_code IS NULL AND unit_code IS NULL "
            "ORDER BY indicator_id, org_code, period_start"
        ).df()
        if "measures" in tables
        else pd.DataFrame(columns=["indicator_id", "org_code", "period_start", "period_grain", "numerator",
                                   "denominator", "value", "source"])
    )
    measures["period_start"] = pd.to_datetime(measures["period_start"]).dt.date
    ratings = (
        raw.execute("SELECT * FROM cqc_ratings ORDER BY org_code, publication_date, service, key_question").df()
        if "cqc_ratings" in tables
        else pd.DataFrame(columns=["org_code", "org_name", "service", "key_question", "publication_date",
                                   "rating", "rating_score", "source"])
    )
    ratings["publication_date"] = pd.to_datetime(ratings["publication_date"]).dt.date
    organisations = (
        raw.execute("SELECT org_code, org_name, org_type FROM organisations ORDER BY org_code").df()
        if "organisations" in tables
        else pd.DataFrame(columns=["org_code", "org_name", "org_type"])
    )
    return measures, ratings, organisations


def _small(frame: pd.DataFrame) -> pd.Series:
    return frame["numerator"].between(RULE.low, RULE.high) | frame["denominator"].between(RULE.low, RULE.high)


def _national_funnel(measures: pd.DataFrame, indicator_id: str) -> NationalFunnel | None:
    """Funnel over the latest financial year in which some trust reported all 12 months."""
    rows = measures[(measures["indicator_id"] == indicator_id) & (measures["denominator"] > 0)]
    if rows.empty:
        return None
    starts = pd.to_datetime(rows["period_start"])
    fin_year = starts.dt.year - (starts.dt.month < 4).astype(int)
    rows = rows.assign(fin_year=fin_year.to_numpy())
    months = rows.groupby(["fin_year", "org_code"])["period_start"].nunique()
    complete = months[months == 12]
    if complete.empty:
        return None
    year = int(complete.index.get_level_values("fin_year").max())
    trusts = complete.loc[year].index
    in_year = rows[(rows["fin_year"] == year) & rows["org_code"].isin(trusts)]
    sums = in_year.groupby("org_code", as_index=False)[["numerator", "denominator"]].sum()
    if len(sums) < 3:
        return None
    # 150 points per limit curve are smooth at the drawn width and keep every page quick to draw
    result = funnel(sums, group="org_code", numerator="numerator", denominator="denominator", type="PR",
                    limit_points=150)
    units = result.units
    drawn = units[["group", "denominator", "value", "target", "outlier", "band"]].copy()
    by_group = {str(row["group"]): row for _, row in units.iterrows()}
    return NationalFunnel(indicator_id, result, date(year, 4, 1), len(sums), drawn, by_group)


def prepare(con: ibis.BaseBackend, db_label: str | None = None) -> PublicData:
    """Read the warehouse and compute SPC and funnels for every organisation at once."""
    measures, ratings, organisations = _read(con)
    data = PublicData(measures=measures, ratings=ratings, organisations=organisations)
    if db_label:
        data.db_label = db_label
    for indicator_id, (target, _source) in SPC_INDICATORS.items():
        rows = measures[(measures["indicator_id"] == indicator_id) & (measures["denominator"] > 0)]
        small = _small(rows)
        data.suppressed[indicator_id] = small.groupby(rows["org_code"]).sum()
        rows = rows[~small]
        if rows.empty:
            continue
        result = spc(rows, x="period_start", y="numerator", n="denominator", by=["org_code"],
                     chart="pp", improvement="increase", target=target)
        data.spc[indicator_id] = result
        for code, points in result.points.groupby("org_code", sort=False):
            data.spc_points[(str(code), indicator_id)] = points.reset_index(drop=True)
        for _, last in result.summary_table().iterrows():
            data.spc_last[(str(last["org_code"]), indicator_id)] = last
    for indicator_id in FUNNEL_INDICATORS:
        national = _national_funnel(measures, indicator_id)
        if national is not None:
            data.funnels[indicator_id] = national
    return data


def load_public_data(db: str | Path | None = None) -> PublicData:
    """Build (or open) the warehouse, compute everything, close the connection."""
    con = build_warehouse(db)
    try:
        label = f"warehouse {db}" if db is not None else "shipped published files (in-memory warehouse)"
        return prepare(con, label)
    finally:
        con.disconnect()


__all__ = [
    "FUNNEL_INDICATORS",
    "SPC_INDICATORS",
    "NationalFunnel",
    "PublicData",
    "build_warehouse",
    "load_public_data",
    "prepare",
]
