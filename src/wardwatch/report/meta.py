"""The report's name for :mod:`wardwatch.indicator_meta` (the results layer and the dashboard
read indicator metadata there too, so it lives outside the report)."""

from __future__ import annotations

from wardwatch.indicator_meta import IndicatorMeta, as_meta, load_registry, metadata_for

__all__ = ["IndicatorMeta", "as_meta", "load_registry", "metadata_for"]
