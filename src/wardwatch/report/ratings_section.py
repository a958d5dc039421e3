"""CQC ratings section: the latest inspection's service × key question grid with the aggregated
location and trust ratings (and the rule behind each), plus the rating history.

Computing is done by :mod:`wardwatch.ratings` (``demo_history()`` / ``RatingsHistory``); this
module only arranges its result for the page.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from wardwatch.report.views import RatingCell, RatingsView, Table

KQ_ORDER = ("safe", "effective", "caring", "responsive", "well_led", "overall")
KQ_LABELS = ("Safe", "Effective", "Caring", "Responsive", "Well-led", "Overall")


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


def ratings_view(focal_org: str, history: Any | None = None) -> RatingsView | None:
    if history is None:
        return None
    if getattr(history, "org_code", focal_org) != focal_org:
        return None
    latest = history.latest()
    result = latest.aggregate().to_frame()
    locations = getattr(history, "locations", {}) or {}
    rows: list[tuple[str, tuple[RatingCell, ...]]] = []
    services = result[result["level"] == "service"]
    for (location, service), group in services.groupby(["location", "service"], sort=True, dropna=False):
        rows.append((f"{_service_label(service)} ({location})", _cells(group)))
    for location, group in result[result["level"] == "location"].groupby("location", sort=True):
        rows.append((f"Location overall: {locations.get(location, location)} ({location})", _cells(group)))
    trust = result[result["level"] == "trust"]
    if not trust.empty:
        rows.append((f"Trust: {getattr(history, 'name', focal_org)}", _cells(trust)))
    labels = dict(zip(KQ_ORDER, KQ_LABELS, strict=True))
    explanations = tuple(
        f"{_place(r)} – {labels.get(r.key_question, r.key_question)}: {r.explanation}"
        for r in result[(result["rule_id"] != "INPUT") & (result["level"] != "service")].itertuples()
    )
    history_rows = []
    for inspection in history.inspections:
        frame = inspection.aggregate().to_frame()
        trust_rows = frame[frame["level"] == "trust"].set_index("key_question")["rating"]
        cells = []
        for kq in KQ_ORDER:
            computed = str(trust_rows.get(kq, "Not rated"))
            published = inspection.published_trust.get(kq)
            cells.append(
                computed if not published or published == computed else f"{computed} (published: {published})"
            )
        when = inspection.published.isoformat()
        if inspection.inspection_start and inspection.inspection_end:
            when += (
                f" (inspected {inspection.inspection_start:%d %b %Y} – {inspection.inspection_end:%d %b %Y})"
            )
        history_rows.append((when, inspection.framework.value, *cells))
    inspection_text = f"Report published {latest.published:%d %B %Y}"
    if latest.inspection_start and latest.inspection_end:
        inspection_text += (
            f", following the inspection of {latest.inspection_start:%d %B %Y} to "
            f"{latest.inspection_end:%d %B %Y}"
        )
    inspection_text += (
        f". Service ratings are as given by the inspection; location and trust ratings are "
        f"aggregated by wardwatch with the {latest.ruleset} rule set, each with the rule "
        "that decided it."
    )
    return RatingsView(
        title=f"Latest inspection: {getattr(history, 'name', focal_org)} ({latest.id})",
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


def _place(row: Any) -> str:
    if row.level == "trust":
        return "Trust"
    if row.level == "location":
        return f"Location {row.location}"
    return f"{_service_label(row.service)} ({row.location})"
