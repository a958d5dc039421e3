"""Evidence view: what the numbers say about each key question (it proposes no rating).

Each indicator maps to CQC key questions and a core service (``wardwatch.indicators.INDICATORS``:
fields ``key_questions``, ``core_service``, ``improvement``). For each key question this lists:
- SPC special causes (the variation of the latest point) and assurance (consistent pass/fail)
  from SPC summary rows (columns indicator_id, org_code, variation, assurance);
- funnel-plot outliers (columns indicator_id, group/org_code, outlier or band, z or value/target);
- mortality alerts (columns indicator_id, org_code, and optionally kind, detail, direction);
- overdue actions (columns id/action_id, title, due, status, and the finding's key_question).

Every item carries the direction it points: ``positive`` (better than expected, improving,
consistently passing), ``negative`` (worse, deteriorating, consistently failing, overdue) or
``neutral``. Input is plain DataFrames so this module does not depend on other modules'
internals. Inspectors rate with professional judgement (docs/methods.md 1.1); this view only
gathers the evidence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from wardwatch.ratings.model import KEY_QUESTIONS

EVIDENCE_COLUMNS = ["key_question", "core_service", "indicator_id", "org_code", "kind", "direction", "detail"]
UNMAPPED = "unmapped"


@dataclass(frozen=True)
class IndicatorMeta:
    key_questions: tuple[str, ...]
    core_service: str
    improvement: str  # increase | decrease | neutral
    title: str = ""


def indicator_meta(indicators: Mapping[str, Any] | None = None) -> dict[str, IndicatorMeta]:
    """Key questions, core service and improvement direction of each indicator.

    Reads any objects with ``key_questions`` / ``core_service`` / ``improvement`` attributes (or
    dict keys); by default the registry ``wardwatch.indicators.INDICATORS``."""
    if indicators is None:
        from wardwatch.indicators import INDICATORS as indicators
    out = {}
    for key, ind in indicators.items():
        def get(name: str, default: Any, ind: Any = ind) -> Any:
            return ind.get(name, default) if isinstance(ind, Mapping) else getattr(ind, name, default)

        kqs = get("key_questions", ()) or ()
        if isinstance(kqs, str):
            kqs = (kqs,)
        out[str(key)] = IndicatorMeta(tuple(str(k) for k in kqs), str(get("core_service", "") or ""),
                                      str(get("improvement", "neutral") or "neutral"), str(get("title", "") or ""))
    return out


def _items(meta: dict[str, IndicatorMeta], indicator_id: str, org: Any, kind: str, direction: str,
           detail: str) -> list[dict]:
    m = meta.get(indicator_id)
    kqs = m.key_questions if m and m.key_questions else (UNMAPPED,)
    service = m.core_service if m else ""
    return [{"key_question": kq, "core_service": service, "indicator_id": indicator_id, "org_code": org,
             "kind": kind, "direction": direction, "detail": detail} for kq in kqs]


_VARIATION = {
    "special_cause_improvement": ("positive", "special cause improvement"),
    "special_cause_concern": ("negative", "special cause concern"),
    "special_cause_neutral_high": ("neutral", "special cause (neutral, high)"),
    "special_cause_neutral_low": ("neutral", "special cause (neutral, low)"),
}
_ASSURANCE = {"consistent_pass": ("positive", "consistently passing the target"),
              "consistent_fail": ("negative", "consistently failing the target")}


def evidence_by_key_question(
    spc_summary: pd.DataFrame | None = None,
    funnel_units: pd.DataFrame | None = None,
    alerts: pd.DataFrame | None = None,
    actions: pd.DataFrame | None = None,
    *,
    indicators: Mapping[str, Any] | None = None,
    org_code: str | None = None,
    today: date | None = None,
) -> pd.DataFrame:
    """One row per piece of evidence per key question (columns ``EVIDENCE_COLUMNS``), sorted by
    key question. ``org_code`` keeps only that trust's evidence; ``today`` decides overdue actions
    when the actions frame has no ``overdue`` column."""
    meta = indicator_meta(indicators)
    rows: list[dict] = []
    if spc_summary is not None and len(spc_summary):
        summary = spc_summary
        if "segment" in summary.columns:  # only the latest segment of each series speaks for now
            keys = [c for c in ("indicator_id", "org_code", "site_code", "unit_code") if c in summary.columns]
            summary = summary.sort_values("segment").groupby(keys, dropna=False, sort=False).tail(1)
        for r in summary.to_dict("records"):
            ind, org = str(r.get("indicator_id")), r.get("org_code")
            variation = _VARIATION.get(str(r.get("variation")))
            if variation:
                rows += _items(meta, ind, org, "spc_variation", variation[0], variation[1])
            assurance = _ASSURANCE.get(str(r.get("assurance")))
            if assurance:
                rows += _items(meta, ind, org, "spc_assurance", assurance[0], assurance[1])
    if funnel_units is not None and len(funnel_units):
        for r in funnel_units.to_dict("records"):
            ind = str(r.get("indicator_id", ""))
            org = r.get("org_code", r.get("group"))
            if not _is_outlier(r):
                continue
            high = _is_high(r)
            improvement = meta[ind].improvement if ind in meta else "neutral"
            if improvement == "neutral" or high is None:
                direction = "neutral"
            else:
                better = high == (improvement == "increase")
                direction = "positive" if better else "negative"
            band = r.get("band")
            rows += _items(meta, ind, org, "funnel_outlier", direction,
                           f"funnel outlier {'above' if high else 'below'} the limits"
                           + (f" ({band})" if _present(band) and band != "" else ""))
    if alerts is not None and len(alerts):
        for r in alerts.to_dict("records"):
            ind = str(r.get("indicator_id", ""))
            direction = str(r.get("direction") or "negative")
            detail = str(r.get("detail") or r.get("kind") or "mortality alert")
            rows += _items(meta, ind, r.get("org_code"), "mortality_alert", direction, detail)
    if actions is not None and len(actions):
        on = pd.Timestamp(today or date.today())
        for r in actions.to_dict("records"):
            overdue = r.get("overdue")
            if overdue is None:
                due = pd.to_datetime(r.get("due"), errors="coerce")
                overdue = bool(pd.notna(due) and due < on and str(r.get("status")) not in ("complete", "cancelled"))
            if not overdue:
                continue
            kq = str(r.get("key_question") or "well_led")
            action_id = r.get("id", r.get("action_id"))
            detail = f"action {action_id} '{r.get('title', '')}' overdue (due {str(r.get('due'))[:10]})"
            # an overdue action is evidence on the key question of its finding and on governance
            for key in dict.fromkeys((kq, "well_led")):
                rows.append({"key_question": key, "core_service": str(r.get("service") or ""),
                             "indicator_id": "", "org_code": r.get("org_code", org_code), "kind": "overdue_action",
                             "direction": "negative", "detail": detail})
    frame = pd.DataFrame(rows, columns=EVIDENCE_COLUMNS)
    if org_code is not None:
        frame = frame[frame["org_code"].isna() | (frame["org_code"] == org_code)]
    order = {kq.value: i for i, kq in enumerate(KEY_QUESTIONS)}
    frame = frame.assign(_o=frame["key_question"].map(order).fillna(len(order)))
    return frame.sort_values(["_o", "kind", "indicator_id"], kind="stable").drop(columns="_o").reset_index(drop=True)


def evidence_summary(evidence: pd.DataFrame) -> pd.DataFrame:
    """Counts of positive / negative / neutral evidence per key question (no rating is proposed)."""
    counts = evidence.groupby(["key_question", "direction"]).size().unstack(fill_value=0)
    for column in ("positive", "negative", "neutral"):
        if column not in counts:
            counts[column] = 0
    return counts[["positive", "negative", "neutral"]].reset_index()


def _is_outlier(r: Mapping[str, Any]) -> bool:
    value = r.get("outlier")
    if _present(value):
        if isinstance(value, str):
            return value.strip().lower() not in {"", "false", "no", "none", "0", "within"}
        return bool(value)
    band = str(r.get("band") or "").lower()
    return bool(band) and "within" not in band and "expected" not in band


def _is_high(r: Mapping[str, Any]) -> bool | None:
    z = r.get("z")
    if _present(z):
        return float(z) > 0
    value, target = r.get("value"), r.get("target")
    if _present(value) and _present(target):
        return float(value) > float(target)
    outlier = str(r.get("outlier") or "").lower()
    if outlier in {"high", "above", "upper"}:
        return True
    if outlier in {"low", "below", "lower"}:
        return False
    return None


def _present(value: Any) -> bool:
    """Not None and not NaN/NA."""
    if value is None:
        return False
    try:
        return not bool(pd.isna(value))
    except (TypeError, ValueError):
        return True
