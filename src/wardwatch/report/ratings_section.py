"""CQC ratings section: the latest inspection's service × key question grid with the aggregated
location and trust ratings (and the rule behind each), plus the rating history.

The ratings are computed by ``wardwatch refresh`` (:mod:`wardwatch.results.ratings`) and read
back from ``result_ratings``; this module only arranges them for the page.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from wardwatch.report.views import RatingCell, RatingsView, Table
from wardwatch.results.ratings import StoredRatings
from wardwatch.vocabulary import RATED_QUESTION_LABELS

KQ_ORDER = tuple(RATED_QUESTION_LABELS)
KQ_LABELS = tuple(RATED_QUESTION_LABELS.values())


def _css(rating: str) -> str:
    return str(rating).strip().lower().replace(" ", "-") or "not-rated"


def _service_label(code: str | None) -> str:
    if code is None:
        return ""
    from wardwatch.ratings.model import CoreService

    member = CoreService.parse(code)
    if member is not None:
        return member.info.label
    return str(code).replace("_", " ").title()


def _cells(frame: pd.DataFrame) -> tuple[RatingCell, ...]:
    by_kq = {r.key_question: r for r in frame.itertuples()}
    cells = []
    for kq in KQ_ORDER:
        row = by_kq.get(kq)
        if row is None:
            cells.append(RatingCell("Not rated", "not-rated"))
            continue
        rule = "" if row.rule_id == "INPUT" else f"rule {row.rule_id}"
        cells.append(RatingCell(str(row.rating), _css(row.rating), rule))
    return tuple(cells)


def ratings_view(focal_org: str, stored: StoredRatings | None = None) -> RatingsView | None:
    """The grid of the latest inspection and the trust rating at each inspection, from the stored
    ratings (``wardwatch.results.ratings.read_history``)."""
    if stored is None or stored.org_code != focal_org:
        return None
    result = stored.inspection(stored.latest_id)
    first = result.iloc[0]
    locations = dict(zip(result["location"], result["location_name"], strict=True))
    rows: list[tuple[str, tuple[RatingCell, ...]]] = []
    services = result[result["level"] == "service"]
    for (location, service), group in services.groupby(["location", "service"], sort=True, dropna=False):
        rows.append((f"{_service_label(service)} ({location})", _cells(group)))
    for location, group in result[result["level"] == "location"].groupby("location", sort=True):
        name = locations.get(location)
        rows.append((f"Location overall: {name if isinstance(name, str) else location} ({location})",
                     _cells(group)))
    trust = result[result["level"] == "trust"]
    if not trust.empty:
        rows.append((f"Trust: {stored.name}", _cells(trust)))
    labels = dict(zip(KQ_ORDER, KQ_LABELS, strict=True))
    explanations = tuple(
        f"{_place(r)} – {labels.get(r.key_question, r.key_question)}: {r.explanation}"
        for r in result[(result["rule_id"] != "INPUT") & (result["level"] != "service")].itertuples()
    )
    history_rows = []
    for inspection_id in stored.inspections:
        frame = stored.inspection(inspection_id)
        trust_rows = frame[frame["level"] == "trust"].set_index("key_question")
        cells = []
        for kq in KQ_ORDER:
            computed = str(trust_rows["rating"].get(kq, "Not rated"))
            published = trust_rows["published_rating"].get(kq)
            cells.append(computed if not isinstance(published, str) or published == computed
                         else f"{computed} (published: {published})")
        head = frame.iloc[0]
        history_rows.append((_when(head), str(head["framework"]), *cells))
    inspection_text = f"Report published {_day(first['publication_date'], '%d %B %Y')}"
    if _present(first["inspection_start"]) and _present(first["inspection_end"]):
        inspection_text += (f", following the inspection of {_day(first['inspection_start'], '%d %B %Y')} to "
                            f"{_day(first['inspection_end'], '%d %B %Y')}")
    inspection_text += (
        f". Service ratings are as given by the inspection; location and trust ratings are "
        f"aggregated by wardwatch with the {first['ruleset']} rule set, each with the rule "
        "that decided it."
    )
    return RatingsView(
        title=f"Latest inspection: {stored.name} ({stored.latest_id})",
        inspection=inspection_text,
        key_questions=KQ_LABELS,
        rows=tuple(rows),
        history=Table(
            caption=f"Trust-level ratings at each inspection of {focal_org} (computed; published shown where "
            "different)",
            columns=("Report published", "Framework", *KQ_LABELS),
            rows=tuple(history_rows),
        ),
        explanations=explanations,
        notes=("Rules marked UNVERIFIED come from docs/methods.md where the CQC wording could not be read.",),
    )


def _present(value: Any) -> bool:
    return value is not None and not pd.isna(value)


def _day(value: Any, fmt: str) -> str:
    return pd.Timestamp(value).strftime(fmt)


def _when(row: pd.Series) -> str:
    when = _day(row["publication_date"], "%Y-%m-%d")
    if _present(row["inspection_start"]) and _present(row["inspection_end"]):
        when += (f" (inspected {_day(row['inspection_start'], '%d %b %Y')} – "
                 f"{_day(row['inspection_end'], '%d %b %Y')})")
    return when


def _place(row: Any) -> str:
    if row.level == "trust":
        return "Trust"
    if row.level == "location":
        return f"Location {row.location}"
    return f"{_service_label(row.service)} ({row.location})"
