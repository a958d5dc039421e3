"""Indicator metadata as every output needs it (results, report, dashboard), whatever registry it
came from.

The indicator registry (``wardwatch.indicators.INDICATORS``) is owned elsewhere; the results layer,
the report and the dashboard read its fields through :func:`as_meta` so a registry object, a plain
mapping or a hand-made test definition all work.  Published indicators (NHS England A&E monthly) get built-in metadata when
the registry does not list them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wardwatch.vocabulary import KEY_QUESTION_LABELS


@dataclass(frozen=True)
class IndicatorMeta:
    """What the report shows about one indicator (a read-only view of the registry entry)."""

    id: str
    title: str
    description: str = ""
    key_questions: tuple[str, ...] = ()
    core_service: str = "TRUST_WIDE"
    unit: str = "proportion"
    grains: tuple[str, ...] = ("month",)
    improvement: str = "increase"
    target: float | None = None
    target_source: str = ""
    chart: str = "xmr"

    @property
    def primary_key_question(self) -> str:
        for kq in self.key_questions:
            if kq in KEY_QUESTION_LABELS:
                return kq
        return "other"

    @property
    def is_ed(self) -> bool:
        """ED indicators are charted weekly on a p' chart (large weekly denominators)."""
        return self.id.startswith("ed_")


def _field(obj: Any, name: str, default: Any) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def as_meta(indicator_id: str, obj: Any | None) -> IndicatorMeta:
    """Read a registry entry (dataclass, mapping or ``None``) into :class:`IndicatorMeta`."""
    if obj is None:
        return IndicatorMeta(id=indicator_id, title=indicator_id.replace("_", " ").capitalize())
    if isinstance(obj, IndicatorMeta):
        return obj
    key_questions = _field(obj, "key_questions", ()) or ()
    if isinstance(key_questions, str):
        key_questions = (key_questions,)
    grains = _field(obj, "grains", ("month",)) or ("month",)
    if isinstance(grains, str):
        grains = (grains,)
    target = _field(obj, "target", None)
    return IndicatorMeta(
        id=str(_field(obj, "id", indicator_id)),
        title=str(_field(obj, "title", indicator_id)),
        description=str(_field(obj, "description", "") or ""),
        key_questions=tuple(str(k).lower().replace("-", "_") for k in key_questions),
        core_service=str(_field(obj, "core_service", "TRUST_WIDE") or "TRUST_WIDE"),
        unit=str(_field(obj, "unit", "proportion") or "proportion"),
        grains=tuple(grains),
        improvement=str(_field(obj, "improvement", "increase") or "increase"),
        target=None if target is None else float(target),
        target_source=str(_field(obj, "target_source", "") or ""),
        chart=str(_field(obj, "chart", "xmr") or "xmr"),
    )


def load_registry() -> dict[str, Any]:
    """The project's indicator registry."""
    from wardwatch.indicators import INDICATORS

    return dict(INDICATORS)


def metadata_for(
    indicator_ids: list[str], registry: Mapping[str, Any] | None = None
) -> dict[str, IndicatorMeta]:
    """Metadata for every id in ``indicator_ids`` (registry first, built-ins, then a plain fallback)."""
    registry = load_registry() if registry is None else registry
    return {i: as_meta(i, registry.get(i)) for i in indicator_ids}
