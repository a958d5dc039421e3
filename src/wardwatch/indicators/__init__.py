"""Quality indicators: declarative definitions and their registry.

``INDICATORS`` maps id -> ``Indicator`` (frozen dataclass, see ``model.py``); the generic engine
``wardwatch.indicators.engine.compute_measures`` turns them into ``measures`` rows.
"""

from __future__ import annotations

from wardwatch.indicators.ed import ED_INDICATORS
from wardwatch.indicators.imaging import IMAGING_INDICATORS
from wardwatch.indicators.model import EventSpec, Indicator, PublishedSpec, SnapshotSpec
from wardwatch.indicators.mortality import MORTALITY_INDICATORS
from wardwatch.indicators.published import PUBLISHED_INDICATORS
from wardwatch.indicators.sepsis import SEPSIS_INDICATORS
from wardwatch.indicators.workforce import WORKFORCE_INDICATORS

INDICATORS: dict[str, Indicator] = {
    ind.id: ind
    for ind in (
        *ED_INDICATORS,
        *SEPSIS_INDICATORS,
        *IMAGING_INDICATORS,
        *WORKFORCE_INDICATORS,
        *MORTALITY_INDICATORS,
        *PUBLISHED_INDICATORS,
    )
}

__all__ = ["INDICATORS", "EventSpec", "Indicator", "PublishedSpec", "SnapshotSpec"]
