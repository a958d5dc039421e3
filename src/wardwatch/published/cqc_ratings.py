"""CQC provider ratings (all providers in the file) -> the ``cqc_ratings`` history table.

Format: CQC's ratings export as shipped in ``wardwatch/data/cqc_ratings_nhs_providers_2019.csv``
(``org_code, org_name, publication_date, service_population_group, key_question, rating_score,
rating``). Ratings are not measures: each row is one rating of one provider for one key question
and one service (``Overall`` = provider-wide) as published on one date. The table keeps every
publication date, so loading a later export adds to the history, and loading the same export again
replaces its rows by key (``org_code, service, key_question, publication_date``): nothing changes.
``wardwatch.ratings.published.check_published`` reads the same file format to check the rules
engine against CQC's published aggregation.
"""

from __future__ import annotations

from pathlib import Path

import ibis
import pandas as pd
import pyarrow as pa

from wardwatch.engines import table_names
from wardwatch.errors import InputError
from wardwatch.indicators.published import CQC_RATINGS_SOURCE
from wardwatch.published._common import (
    LoadResult,
    check_org_codes,
    check_unique,
    dates,
    fail_first,
    read_rows,
)
from wardwatch.ratings.model import KEY_QUESTIONS, Rating
from wardwatch.warehouse import CQC_RATINGS_TABLE, upsert

TABLE = CQC_RATINGS_TABLE
KEY = ("org_code", "service", "key_question", "publication_date")
SCHEMA = pa.schema(
    [
        ("org_code", pa.string()),
        ("org_name", pa.string()),
        ("service", pa.string()),  # "Overall" (provider-wide) or the CQC core service / population group
        ("key_question", pa.string()),  # Safe, Effective, Caring, Responsive, Well-led or Overall
        ("publication_date", pa.date32()),
        ("rating", pa.string()),  # Outstanding, Good, Requires improvement, Inadequate, Not rated
        ("rating_score", pa.int64()),  # 0 Inadequate .. 3 Outstanding; null when not rated
        ("source", pa.string()),
    ]
)
_DDL = (
    "org_code VARCHAR NOT NULL, org_name VARCHAR, service VARCHAR NOT NULL, key_question VARCHAR NOT NULL, "
    "publication_date DATE NOT NULL, rating VARCHAR NOT NULL, rating_score BIGINT, source VARCHAR, "
    "PRIMARY KEY (org_code, service, key_question, publication_date)"
)
REQUIRED = ("org_code", "publication_date", "service_population_group", "key_question", "rating")
_KQ_LABELS = {kq.label.lower(): kq.label for kq in KEY_QUESTIONS} | {"well led": "Well-led", "overall": "Overall"}
_RATINGS = {r.value.lower(): r for r in Rating}


def prepare_cqc_ratings(path: str | Path) -> LoadResult:
    """Read and check a CQC ratings export; the rows to write, nothing written."""
    path = Path(path)
    frame = read_rows(path, REQUIRED, "a CQC ratings export CSV (" + ", ".join(REQUIRED) + ")")
    check_org_codes(path, frame, cqc_ids=True)
    published = dates(path, frame, "publication_date")
    fail_first(path, frame, "service_population_group", frame["service_population_group"] == "",
               "a service or population group ('Overall' for the provider-wide rating)")
    kq = frame["key_question"].str.lower().str.replace(r"[\s_]+", " ", regex=True).map(_KQ_LABELS)
    fail_first(path, frame, "key_question", kq.isna(),
               "a key question (Safe, Effective, Caring, Responsive, Well-led or Overall)")
    rating_text = frame["rating"].str.lower().str.replace(r"\s+", " ", regex=True)
    fail_first(path, frame, "rating", ~rating_text.isin(list(_RATINGS)),
               "a CQC rating (Outstanding, Good, Requires improvement, Inadequate or Not rated)")
    rating = [_RATINGS[text] for text in rating_text]
    score = pd.Series([r.score for r in rating], index=frame.index, dtype="Int64")
    if "rating_score" in frame.columns:
        given = frame["rating_score"]
        bad = (given != "") & (given != score.astype("string").fillna(""))
        fail_first(path, frame, "rating_score", bad,
                   "the score of the rating on the same line (0 Inadequate .. 3 Outstanding)")
    check_unique(path, frame, ["org_code", "service_population_group", "key_question", "publication_date"],
                 "provider, service, key question and publication date")
    # two spellings of one key question (e.g. "Well led" and "Well-led") are the same rating too
    check_unique(path, frame.assign(key_question=kq),
                 ["org_code", "service_population_group", "key_question", "publication_date"],
                 "provider, service, key question and publication date")
    rows = pd.DataFrame(
        {
            "org_code": frame["org_code"],
            "org_name": frame["org_name"].where(frame["org_name"] != "") if "org_name" in frame else None,
            "service": frame["service_population_group"],
            "key_question": kq,
            "publication_date": published.dt.date,
            "rating": [r.value for r in rating],
            "rating_score": score,
            "source": CQC_RATINGS_SOURCE,
        }
    ).sort_values(["org_code", "publication_date", "service", "key_question"], kind="mergesort")
    return LoadResult("cqc-ratings", path, read=len(frame), rows=rows.reset_index(drop=True),
                      table=TABLE, source=CQC_RATINGS_SOURCE)


def write_cqc_ratings(con: ibis.BaseBackend, result: LoadResult) -> LoadResult:
    """Upsert the rows into ``cqc_ratings`` in one transaction (same key: replaced)."""
    new = pa.Table.from_pandas(result.rows, schema=SCHEMA, preserve_index=False)
    upsert(con, TABLE, _DDL, new, KEY)
    return result


def load_cqc_ratings(path: str | Path, con: ibis.BaseBackend) -> LoadResult:
    return write_cqc_ratings(con, prepare_cqc_ratings(path))


def read_cqc_ratings(con: ibis.BaseBackend, org_code: str | None = None) -> pd.DataFrame:
    """The ratings history (optionally of one provider), oldest publication first."""
    if TABLE not in table_names(con):
        return pd.DataFrame(columns=SCHEMA.names)
    query = f"SELECT * FROM {TABLE}"
    params: list[str] = []
    if org_code is not None:
        query += " WHERE org_code = ?"
        params.append(org_code)
    query += " ORDER BY org_code, publication_date, service, key_question"
    return con.con.execute(query, params).df()


def latest_ratings(con: ibis.BaseBackend, org_code: str) -> pd.DataFrame:
    """Each service x key question of ``org_code`` at its most recent publication."""
    history = read_cqc_ratings(con, org_code)
    if history.empty:
        raise InputError(f"no CQC ratings for {org_code!r} in the warehouse; run "
                         "`wardwatch load-published cqc-ratings FILE --db DB` first")
    latest = history.sort_values("publication_date").groupby(["service", "key_question"]).tail(1)
    return latest.sort_values(["service", "key_question"]).reset_index(drop=True)


__all__ = ["TABLE", "latest_ratings", "load_cqc_ratings", "prepare_cqc_ratings", "read_cqc_ratings",
           "write_cqc_ratings"]
