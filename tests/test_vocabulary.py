"""The shared words (key questions, point types, assurance, chart names) are defined once and used
everywhere: a second definition would let the board pack and the charts disagree."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from wardwatch import vocabulary

SRC = Path(__file__).parents[1] / "src" / "wardwatch"


def test_ratings_enum_and_registry_use_the_shared_key_questions():
    from wardwatch.indicators import INDICATORS
    from wardwatch.ratings.model import KeyQuestion

    assert tuple(kq.value for kq in KeyQuestion) == vocabulary.KEY_QUESTIONS
    assert [kq.label for kq in KeyQuestion] == list(vocabulary.KEY_QUESTION_LABELS.values())
    used = {kq for ind in INDICATORS.values() for kq in ind.key_questions}
    assert used <= set(vocabulary.KEY_QUESTIONS)


def test_spc_emits_only_the_shared_point_types():
    from wardwatch.stats.spc import spc

    rng = np.random.default_rng(1)
    y = np.r_[rng.normal(10, 1, 20), rng.normal(14, 1, 10)]  # a shift: special cause points
    frame = pd.DataFrame({"x": pd.date_range("2020-01-01", periods=30, freq="MS"), "y": y})
    result = spc(frame, x="x", y="y", chart="xmr", improvement="decrease")
    types = set(result.points["point_type"])
    assert types <= set(vocabulary.POINT_TYPES) and "special_cause_concern" in types
    assert set(result.summary["assurance"]) <= set(vocabulary.ASSURANCES)


def test_no_second_definition_of_the_shared_words_in_the_source():
    # a literal label of a key question or point type next to its identifier is a second definition
    patterns = [r'"well_led":\s*"Well-led"', r'"special_cause_concern":\s*"Special cause',
                r'\("Safe", "Effective", "Caring"', r'"xmr":\s*"XmR"']
    found = [
        f"{path.relative_to(SRC)}: {pattern}"
        for path in SRC.rglob("*.py") if path.name != "vocabulary.py"
        for pattern in patterns if re.search(pattern, path.read_text(encoding="utf-8"))
    ]
    assert not found, found
