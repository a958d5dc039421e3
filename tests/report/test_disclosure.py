"""Disclosure control (wardwatch.disclosure; docs/methods/disclosure-control.md).

The recoverability check used by the protection (SVD null space) is tested here against an
independent one: a hidden cell of a table whose every line sums to its total can be worked out
exactly iff it is a *bridge* in the graph whose vertices are the table's lines (rows, columns; lines
without a published total merge into one free vertex) and whose edges are the hidden cells. A
cell on a cycle can trade a unit with its neighbours on the cycle (+1, -1, ...) and every
published sum stays the same, so readers cannot tell the two tables apart.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardwatch.disclosure import (
    CLINICAL,
    PRIMARY,
    SECONDARY,
    DisclosureRule,
    protect_series,
    protect_table,
    recoverable_cells,
)
from wardwatch.report.format import SmallNumberRule


def bridges(hidden: np.ndarray, row_totals: bool, column_totals: bool) -> np.ndarray:
    """Hidden cells that are bridges of the line graph (independent of recoverable_cells)."""
    free = "free"

    def ends(i: int, j: int) -> tuple[object, object]:
        return (("r", i) if row_totals else free, ("c", j) if column_totals else free)

    edges = [(i, j) for i, j in zip(*np.nonzero(hidden))]
    out = np.zeros(hidden.shape, dtype=bool)
    for k, (i, j) in enumerate(edges):
        a, b = ends(i, j)
        if a == b:  # a loop on the free vertex: a cell in no published sum is never determined
            continue
        adjacency: dict[object, list[object]] = {}
        for m, (p, q) in enumerate(edges):
            if m == k:
                continue
            u, v = ends(p, q)
            adjacency.setdefault(u, []).append(v)
            adjacency.setdefault(v, []).append(u)
        seen, todo = {a}, [a]
        while todo:
            node = todo.pop()
            for nxt in adjacency.get(node, []):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        out[i, j] = b not in seen
    return out


def _lines(shape, row_totals, column_totals):
    n_rows, n_cols = shape
    lines = []
    if row_totals:
        lines += [[(i, j) for j in range(n_cols)] for i in range(n_rows)]
    if column_totals:
        lines += [[(i, j) for i in range(n_rows)] for j in range(n_cols)]
    return lines


def test_two_small_counts_on_one_line_get_a_partner_from_outside_the_band():
    # 1, 1, 50 (total 52): "*, *, 50, 52" gives 52 - 50 = 2 for two counts of at least 1: both are 1
    table = protect_series([1, 1, 50])
    assert table.hidden[0, :3].all() and table.label(0, 3) == "52"
    # 7, 7, 50, 40 (total 104): "*, *" adding up to 14 would make both 7; 40 is hidden with them
    table = protect_series([7, 7, 50, 40])
    assert table.status[0].tolist() == [PRIMARY, PRIMARY, "shown", SECONDARY, "shown"]


# counts skewed towards the suppressed band and zero, as in real small tables
counts = st.one_of(st.integers(0, 9), st.integers(0, 200))


@st.composite
def tables(draw):
    n_rows = draw(st.integers(1, 4))
    n_cols = draw(st.integers(2, 5))
    cells = draw(st.lists(st.lists(counts, min_size=n_cols, max_size=n_cols), min_size=n_rows, max_size=n_rows))
    row_totals, column_totals = draw(
        st.sampled_from([(True, True), (True, False), (False, True)] if n_rows > 1 else [(True, False)])
    )
    return np.array(cells, dtype=float), row_totals, column_totals


@settings(max_examples=150, deadline=None)
@given(tables())
def test_protected_tables_hide_every_small_count_and_none_can_be_recovered(case):
    cells, row_totals, column_totals = case
    table = protect_table(cells, row_totals=row_totals, column_totals=column_totals)
    small = (table.values >= 1) & (table.values <= 7)
    assert (table.status[small] == PRIMARY).all()
    assert table.hidden[small].all() and np.isnan(table.published[table.hidden]).all()
    # independent check: no hidden cell is a bridge, so differencing any published totals fails
    assert not bridges(table.hidden, row_totals, column_totals).any()
    # and no line with a total hides only band counts (their sum could pin each at 1 or 7),
    # unless the whole line is in the band
    for line in _lines(table.values.shape, row_totals, column_totals):
        cells = [table.values[c] for c in line if table.hidden[c]]
        if cells and not all(1 <= table.values[c] <= 7 for c in line):
            assert any(not 1 <= v <= 7 for v in cells)
    # shown cells are the true counts, and totals add up
    shown = ~table.hidden
    assert np.array_equal(table.published[shown], table.values[shown])


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 4), st.integers(2, 5), st.data())
def test_recoverable_cells_agrees_with_the_bridge_rule(n_rows, n_cols, data):
    shape = (n_rows + 1, n_cols + 1)
    hidden = np.array(data.draw(st.lists(st.booleans(), min_size=shape[0] * shape[1], max_size=shape[0] * shape[1])))
    hidden = hidden.reshape(shape)
    for row_totals, column_totals in ((True, True), (True, False), (False, True)):
        assert np.array_equal(
            recoverable_cells(hidden, row_totals, column_totals), bridges(hidden, row_totals, column_totals)
        )


def test_a_single_hidden_year_gets_a_partner_and_the_total_stays():
    # years 40, 4, 30, 12 with their total 86: 4 alone hidden would be 86 - 40 - 30 - 12;
    # the smallest other year (12) is hidden too: 86 - 70 = 16 = 4 + 12, which split is unknown
    table = protect_series([40, 4, 30, 12])
    assert table.status[0].tolist() == ["shown", PRIMARY, "shown", SECONDARY, "shown"]
    assert table.label(0, 4) == "86" and table.label(0, 1) == "*" and table.label(0, 3) == "*"


def test_a_single_year_with_its_total_hides_the_total():
    # one year and the whole period: the total *is* the year
    table = protect_series([5], total_value=5)
    assert table.hidden.all()


def test_zeros_are_shown_and_not_chosen_as_partners_when_a_count_will_do():
    table = protect_series([0, 3, 50, 9])
    assert table.status[0].tolist() == ["shown", PRIMARY, "shown", SECONDARY, "shown"]


def test_two_way_table_gets_a_rectangle():
    # one small cell (3) in a 3x3 table with both margins: the cheapest rectangle hides 10, 15 and 12
    table = protect_table([[10, 3, 20], [15, 12, 9], [0, 30, 40]])
    assert set(map(tuple, np.argwhere(table.hidden))) == {(0, 0), (0, 1), (1, 0), (1, 1)}
    assert table.published[3, 3] == 139 and table.published[0, 3] == 33


def test_rounding_to_five_as_in_hes():
    rule = DisclosureRule(method="round")
    table = protect_series([12, 3, 18, 0], rule)
    # 3 suppressed and 12 hidden as its partner (see the next test for why), 18 -> 20, 0 stays,
    # total 33 -> 35 rounded on its own
    assert [table.label(0, j) for j in range(5)] == ["*", "*", "20", "0", "35"]
    assert rule.round_count(12.5) == 15  # halves up


def test_rounding_alone_would_pin_a_lone_hidden_count():
    """Why rounding also gets a partner: 1, 8, 8 (total 17) rounded is *, 10, 10, 15. Each shown
    year is at least 8 (a smaller one would be hidden) and the total at most 17, so the hidden year
    is at most 17 - 16 = 1: exactly 1. With the partner hidden too nothing is pinned."""
    years = [1, 8, 8]
    total_hi = 15 + 2  # rounded to 15: the truth is 13..17
    others_lo = 8 + 8  # shown, so not in 1..7
    assert total_hi - others_lo == 1  # the attack, had only the 1 been hidden
    table = protect_series(years, DisclosureRule(method="round"))
    assert int(table.hidden[0, :3].sum()) == 2 and not bridges(table.hidden, True, False).any()


@settings(max_examples=150, deadline=None)
@given(tables())
def test_rounded_tables_hide_every_small_count_and_none_can_be_recovered(case):
    cells, row_totals, column_totals = case
    table = protect_table(cells, DisclosureRule(method="round"), row_totals=row_totals, column_totals=column_totals)
    small = (table.values >= 1) & (table.values <= 7)
    assert table.hidden[small].all()
    assert not bridges(table.hidden, row_totals, column_totals).any()
    shown = ~table.hidden
    assert (np.abs(table.published[shown] - table.values[shown]) <= 2.5).all()
    assert (table.published[shown] % 5 == 0).all()


def test_clinical_audience_sees_everything():
    table = protect_series([40, 4, 30, 12], DisclosureRule(audience=CLINICAL))
    assert not table.hidden.any()
    assert DisclosureRule(audience=CLINICAL).patient_level_charts
    assert not DisclosureRule().patient_level_charts
    with pytest.raises(ValueError):
        DisclosureRule(audience="press")


# ---------------------------------------------------------------- what the report publishes


def _smr_rows(years: list[tuple[int, int]]) -> pd.DataFrame:
    rows = []
    for k, (deaths, spells) in enumerate(years):
        rows.append(_row(f"{2017 + k}/{(18 + k) % 100:02d}", deaths, spells))
    rows.append(_row("overall", sum(d for d, _ in years), sum(s for _, s in years)))
    return pd.DataFrame(rows)


def _row(period: str, deaths: int, spells: int) -> dict:
    expected = max(spells * 0.1, 0.5)
    return {
        "org_code": "ZT1",
        "diagnosis_group": "sepsis",
        "period": period,
        "spells": spells,
        "observed": deaths,
        "expected": expected,
        "smr": deaths / expected,
        "ci_low": 0.5,
        "ci_high": 1.5,
        "band": "as expected",
    }


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 25), st.integers(0, 120)), min_size=1, max_size=5))
def test_mortality_table_cannot_be_differenced(years):
    from wardwatch.report.mortality_section import mortality_view

    years = [(min(d, s), s) for d, s in years]
    smr = _smr_rows(years)
    result = SimpleNamespace(smr=smr, funnel_sepsis=None, alerts=pd.DataFrame(), cusum=None)
    view = mortality_view("ZT1", result, SmallNumberRule())
    printed = view.stats.rows
    for column, field in ((2, "observed"), (1, "spells")):
        hidden = np.array([[r[column] == "*" for r in printed]])
        values = smr[field].to_numpy()
        # every count 1..7 is hidden, and so are SMR and CI wherever deaths are
        assert all(hidden[0, k] for k, v in enumerate(values) if 1 <= v <= 7)
        # years + whole period: no hidden cell is a bridge (the last cell is the row total)
        assert not bridges(hidden, row_totals=True, column_totals=False).any()
        for k, r in enumerate(printed):
            if column == 2 and hidden[0, k]:
                assert r[4] == "*" and r[5] == "*"
            if not hidden[0, k]:
                assert r[column] == f"{values[k]:,}"
