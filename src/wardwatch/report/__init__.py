"""The board report: one self-contained, accessible HTML page (``wardwatch report``)."""

from __future__ import annotations

from wardwatch.report.build import build_report
from wardwatch.report.format import SmallNumberRule

__all__ = ["SmallNumberRule", "build_report"]
