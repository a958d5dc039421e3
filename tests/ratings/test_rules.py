"""Aggregation rules (docs/methods.md 1.3, 1.4, 1.7): hand-made cases for every rule and limiter."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from wardwatch.errors import InputError
from wardwatch.ratings import (
    Rating,
    aggregate_list,
    apply_limiter,
    load_ruleset,
    saf_key_question,
    saf_overall,
)
from wardwatch.ratings.rules import available_rulesets, saf_band

O, G, RI, I, NR = "O", "G", "RI", "I", "NR"


def agg(*ratings: str, ruleset: str = "nhs_trust_2014") -> str:
    return aggregate_list(list(ratings), ruleset).rating.value


def test_story_pattern_safe_inadequate_gives_requires_improvement():
    # Dudley 2019 / ZFV 2019: Safe I, Effective G, Caring G, Responsive RI, Well-led RI -> RI
    result = aggregate_list([I, G, G, RI, RI], "nhs_trust_2014", "key questions")
    assert result.rating is Rating.REQUIRES_IMPROVEMENT
    assert result.rule_id == "RI-4-8" and result.verified
    assert "two key questions rated requires improvement among five" in result.explanation
    assert "verified" in result.explanation and "capsticks.com" in result.explanation


@pytest.mark.parametrize(
    "ratings, expected",
    [
        # 1-3 underlying ratings: one Outstanding suffices when the rest are Good
        ((O,), "Outstanding"),
        ((O, G, G), "Outstanding"),
        ((G, G, G), "Good"),
        # 4-8: two needed
        ((O, G, G, G), "Good"),
        ((O, O, G, G), "Outstanding"),
        ((O, G, G, G, G, G, G, G), "Good"),
        ((O, O, G, G, G, G, G, G), "Outstanding"),
        # 9+: three needed
        ((O, O, G, G, G, G, G, G, G), "Good"),
        ((O, O, O, G, G, G, G, G, G), "Outstanding"),
        # any RI or Inadequate rules Outstanding out
        ((O, O, O, O, RI), "Good"),
        ((O, O, O, O, I), "Requires improvement"),
    ],
)
def test_outstanding_table_boundaries(ratings, expected):
    assert agg(*ratings) == expected


@pytest.mark.parametrize(
    "ratings, expected, rule",
    [
        ((RI, G), "Requires improvement", "RI-1-3"),
        ((G, G, G, G, RI), "Good", "GOOD-DEFAULT"),
        ((G, G, G, RI, RI), "Requires improvement", "RI-4-8"),
        ((RI,) * 2 + (G,) * 6, "Requires improvement", "RI-4-8"),
        ((RI,) * 2 + (G,) * 7, "Good", "GOOD-DEFAULT"),
        ((RI,) * 3 + (G,) * 6, "Requires improvement", "RI-9+"),
    ],
)
def test_requires_improvement_thresholds(ratings, expected, rule):
    result = aggregate_list(list(ratings))
    assert (result.rating.value, result.rule_id) == (expected, rule)


@pytest.mark.parametrize(
    "ratings, expected, rule",
    [
        ((I, G, G), "Inadequate", "INADEQUATE-1-3"),
        ((I, G, G, G, G), "Requires improvement", "RI-SINGLE-INADEQUATE"),
        ((I, I, G, G, G), "Inadequate", "INADEQUATE-4-8"),
        ((I, I, O, O, O, O, O, O), "Inadequate", "INADEQUATE-4-8"),
        ((I, I) + (G,) * 7, "Requires improvement", "RI-SINGLE-INADEQUATE"),
        ((I, I, I) + (G,) * 6, "Inadequate", "INADEQUATE-9+"),
    ],
)
def test_inadequate_thresholds(ratings, expected, rule):
    result = aggregate_list(list(ratings))
    assert (result.rating.value, result.rule_id) == (expected, rule)


def test_single_inadequate_rule_is_unverified_and_configurable():
    rs = load_ruleset("nhs_trust_2014")
    on = aggregate_list([I, G, G, G, G], rs)
    assert on.rating is Rating.REQUIRES_IMPROVEMENT and not on.verified and "UNVERIFIED" in on.explanation
    off = aggregate_list([I, G, G, G, G], rs.with_changes(**{"RI-SINGLE-INADEQUATE": False}))
    assert off.rating is Rating.GOOD


def test_thresholds_are_configurable():
    rs = load_ruleset("nhs_trust_2014").with_changes(**{"RI-4-8": 3})
    assert aggregate_list([G, G, G, RI, RI], rs).rating is Rating.GOOD
    assert aggregate_list([G, G, RI, RI, RI], rs).rating is Rating.REQUIRES_IMPROVEMENT
    with pytest.raises(InputError):
        load_ruleset("nhs_trust_2014").with_changes(**{"NO-SUCH-RULE": 1})


def test_not_rated_is_dropped_before_counting():
    # three rated among five -> the 1-3 table applies: one RI is enough
    result = aggregate_list([G, G, NR, NR, RI])
    assert result.n == 3 and result.rating is Rating.REQUIRES_IMPROVEMENT and result.rule_id == "RI-1-3"
    assert aggregate_list([NR, NR]).rating is Rating.NOT_RATED


@pytest.mark.parametrize(
    "rating, enforcement, expected",
    [
        ("Outstanding", "requirement_notice", "Requires improvement"),
        ("Good", "requirement_notice", "Requires improvement"),
        ("Good", "enforcement_action", "Inadequate"),
        ("Good", "warning notice", "Inadequate"),
        ("Requires improvement", "enforcement_action", "Inadequate"),
    ],
)
def test_enforcement_limiters(rating, enforcement, expected):
    limited = apply_limiter(rating, enforcement)
    assert limited is not None and limited.rating.value == expected and limited.verified
    assert "at best" in limited.explanation and "LIMIT-" in limited.rule_id


def test_limiter_does_not_raise_a_rating_and_ignores_blank():
    assert apply_limiter("Inadequate", "requirement_notice") is None
    assert apply_limiter("Requires improvement", "requirement_notice") is None
    assert apply_limiter("Good", None) is None
    with pytest.raises(InputError):
        apply_limiter("Good", "stern letter")


@pytest.mark.parametrize(
    "ratings, expected, rule",
    [
        ((RI, RI, RI, G, G, G), "Requires improvement", "COMBINED-RI-3"),
        ((RI, RI, G, G, G, G), "Good", "COMBINED-GOOD-DEFAULT"),  # tolerance raised from 2 to 3
        ((I, I, G, G, G, G), "Inadequate", "COMBINED-INADEQUATE-2"),
        ((I, I, O, O, O, O), "Inadequate", "COMBINED-INADEQUATE-2"),
        ((O, O, G, G, G, G), "Outstanding", "COMBINED-OUTSTANDING-2"),
        ((O, G, G, G, G, G), "Good", "COMBINED-GOOD-DEFAULT"),
        ((O, O, RI, G, G, G), "Good", "COMBINED-GOOD-DEFAULT"),
        ((I, G, G, G, G, G), "Requires improvement", "COMBINED-RI-SINGLE-INADEQUATE"),
    ],
)
def test_combined_use_of_resources_rules(ratings, expected, rule):
    result = aggregate_list(list(ratings), "combined_uor_2018")
    assert (result.rating.value, result.rule_id) == (expected, rule)


def test_combined_single_inadequate_is_configurable():
    rs = load_ruleset("combined_uor_2018").with_changes(**{"COMBINED-RI-SINGLE-INADEQUATE": False})
    assert aggregate_list([I, G, G, G, G, G], rs).rating is Rating.GOOD


@pytest.mark.parametrize(
    "pct, rounding, expected",
    [
        (100, "half_up", "Outstanding"), (88, "none", "Outstanding"), (87.9, "half_up", "Outstanding"),
        (87.9, "floor", "Good"), (87.9, "none", "Good"), (87, "half_up", "Good"), (63, "none", "Good"),
        (62.5, "half_up", "Good"), (62.5, "floor", "Requires improvement"), (62.5, "none", "Requires improvement"),
        (39, "none", "Requires improvement"), (38.5, "half_up", "Requires improvement"),
        (38.5, "none", "Inadequate"), (38, "half_up", "Inadequate"), (25, "half_up", "Inadequate"),
    ],
)
def test_saf_bands_and_edges(pct, rounding, expected):
    assert saf_band(pct, rounding=rounding)[0].value == expected


@pytest.mark.parametrize(
    "scores, pct, expected",
    [
        ([4, 4, 4, 3], 93.75, "Outstanding"),
        ([3] * 8, 75.0, "Good"),
        ([3, 3, 3, 2, 2, 3, 3, 2], 65.625, "Good"),  # 21 of 32, the matar.co.uk worked example
        ([2] * 8, 50.0, "Requires improvement"),
        ([1] * 8, 25.0, "Inadequate"),
        ([2, 1, 2, 1], 37.5, "Inadequate"),  # 37.5 -> 38 (half up) -> Inadequate
        ([3, 2, 2, 3, 2, 3, 2, 3], 62.5, "Good"),  # 62.5 -> 63 with the default half-up rounding
    ],
)
def test_saf_key_question_from_statement_scores(scores, pct, expected):
    result = saf_key_question(scores)
    assert result.counts["percent"] == pytest.approx(pct)
    assert result.rating.value == expected
    assert "UNVERIFIED" in result.explanation  # rounding is an assumption and says so


def test_saf_rejects_scores_outside_1_to_4():
    with pytest.raises(InputError):
        saf_key_question([3, 5])


def test_saf_optional_limiter(tmp_path: Path):
    doc = yaml.safe_load((Path(__file__).parents[2] / "src/wardwatch/ratings/rulesets/saf_2023.yaml").read_text())
    assert all(not x["enabled"] for x in doc["limiters"])  # off by default (secondary sources only)
    doc["limiters"][0]["enabled"] = True
    path = tmp_path / "saf_strict.yaml"
    path.write_text(yaml.safe_dump(doc))
    scores = [4, 4, 4, 4, 4, 4, 4, 1]  # 29/32 = 90.6% -> Outstanding without the limiter
    assert saf_key_question(scores).rating is Rating.OUTSTANDING
    limited = saf_key_question(scores, load_ruleset(path))
    assert limited.rating is Rating.REQUIRES_IMPROVEMENT and limited.rule_id == "SAF-LIMIT-SCORE-1"


def test_saf_overall_from_key_questions():
    # G,G,O,RI,G -> 3+3+4+2+3 = 15 of 20 = 75% -> Good
    result = saf_overall(["Good", "Good", "Outstanding", "Requires improvement", "Good"])
    assert result.rating is Rating.GOOD and result.counts["percent"] == pytest.approx(75.0)
    assert not result.verified


def test_every_rule_has_a_source_and_a_verified_flag():
    assert {"nhs_trust_2014", "combined_uor_2018", "saf_2023"} <= set(available_rulesets())
    folder = Path(__file__).parents[2] / "src/wardwatch/ratings/rulesets"
    for path in folder.glob("*.yaml"):
        doc = yaml.safe_load(path.read_text())
        items = doc.get("rules", []) + doc.get("limiters", []) + doc.get("bands", [])
        assert items, path
        for item in items:
            assert item["id"] and str(item["source"]).strip(), (path.name, item)
            assert isinstance(item["verified"], bool), (path.name, item)


def test_rating_parse_accepts_labels_scores_and_abbreviations():
    assert Rating.parse("requires improvement") is Rating.REQUIRES_IMPROVEMENT
    assert Rating.parse(0) is Rating.INADEQUATE and Rating.parse("3") is Rating.OUTSTANDING
    assert Rating.parse("RI") is Rating.REQUIRES_IMPROVEMENT and Rating.parse("") is Rating.NOT_RATED
    with pytest.raises(InputError, match="row 7"):
        Rating.parse("Excellent", "row 7")


SCALE = ["I", "RI", "G", "O"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(SCALE), min_size=1, max_size=12), st.data())
def test_raising_one_rating_never_lowers_the_aggregate(ratings, data):
    """Monotonicity: every rule counts worse ratings against and better ones for the aggregate."""
    i = data.draw(st.integers(0, len(ratings) - 1))
    if ratings[i] == "O":
        return
    better = list(ratings)
    better[i] = SCALE[SCALE.index(ratings[i]) + 1]
    for ruleset in ("nhs_trust_2014", "combined_uor_2018"):
        before = aggregate_list(ratings, ruleset).rating.score
        after = aggregate_list(better, ruleset).rating.score
        assert after >= before, (ruleset, ratings, better)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(SCALE + ["NR"]), min_size=1, max_size=12), st.randoms())
def test_order_of_ratings_does_not_matter(ratings, rnd):
    shuffled = list(ratings)
    rnd.shuffle(shuffled)
    assert aggregate_list(ratings).rating is aggregate_list(shuffled).rating
