"""CQC-style ratings: model, versioned aggregation rules, published ratings check, evidence view.

``aggregate_ratings(table, ruleset)`` aggregates service → location → trust (docs/methods.md 1.2–1.6);
every computed rating carries the rule that decided it, that rule's source and verified flag, and a
plain-English explanation.
"""

from __future__ import annotations

from wardwatch.ratings.aggregate import RatingsResult, aggregate_ratings, normalise_input
from wardwatch.ratings.evidence import evidence_by_key_question, evidence_summary
from wardwatch.ratings.history import Inspection, RatingsHistory, demo_history, load_history
from wardwatch.ratings.model import (
    AggregatedRating,
    CoreService,
    Framework,
    KeyQuestion,
    Level,
    Rating,
    RatingRecord,
    framework_for,
)
from wardwatch.ratings.overrides import Override, OverrideStore, make_override
from wardwatch.ratings.published import CheckResult, check_published, load_published
from wardwatch.ratings.rules import (
    RuleSet,
    aggregate_list,
    apply_limiter,
    available_rulesets,
    load_ruleset,
    saf_key_question,
    saf_overall,
)

__all__ = [
    "AggregatedRating", "CheckResult", "CoreService", "Framework", "Inspection", "KeyQuestion", "Level",
    "Override", "OverrideStore", "Rating", "RatingRecord", "RatingsHistory", "RatingsResult", "RuleSet",
    "aggregate_list", "aggregate_ratings", "apply_limiter", "available_rulesets", "check_published",
    "demo_history", "evidence_by_key_question", "evidence_summary", "framework_for", "load_history", "load_published", "load_ruleset", "make_override",
    "normalise_input", "saf_key_question", "saf_overall",
]
