"""Statistical disclosure control for published counts (docs/methods.md 7.5; docs/methods/disclosure-control.md).

Pure functions on NumPy arrays: no I/O, no rendering, so the board report, the web dashboard and
the API all publish a table the same way.

- **Audience.** ``"public"`` (the board report, anything a reader outside the clinical role can see)
  gets disclosure control; ``"clinical"`` (the trust's own clinical governance) gets every count and
  the patient-by-patient charts (CUSUM, VLAD).
- **Primary suppression.** A count from 1 to 7 (configurable) is shown as ``*``. Zero is shown: it
  identifies nobody.
- **Secondary suppression.** A published total lets a reader subtract: a year hidden as ``*`` comes
  back as *whole period − the other years*. :func:`protect_table` hides further cells (the smallest
  ones first, never zeros when another cell will do) until no hidden cell can be worked out exactly
  from what is shown; :func:`recoverable_cells` is the independent check (linear algebra on the
  table's sums), usable by any output before it publishes.
- **Rounding** (``method="round"``, NHS Digital HES practice): counts 1–7 shown as ``*`` and every
  other shown count rounded to the nearest 5, totals rounded on their own. Rounding alone can still
  pin a lone hidden count (see :func:`protect_extended`), so the secondary suppression runs too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

PUBLIC = "public"
CLINICAL = "clinical"
AUDIENCES = (PUBLIC, CLINICAL)
METHODS = ("suppress", "round")
SUPPRESSED = "*"

#: cell status in a protected table
SHOWN = "shown"
PRIMARY = "primary"
SECONDARY = "secondary"
ROUNDED = "rounded"

#: a null-space component below this is zero: the constraint matrices hold only 0 and ±1 and are
#: small, so their singular values are far from this on any BLAS
_NULL_TOL = 1e-8


@dataclass(frozen=True)
class DisclosureRule:
    """What an output may show to its ``audience``.

    ``low``..``high`` is the small-number band (docs/design.md: 1–7); ``method`` is ``"suppress"``
    (primary and secondary suppression) or ``"round"`` (primary suppression, the rest rounded to
    the nearest ``base``).
    """

    audience: str = PUBLIC
    low: int = 1
    high: int = 7
    method: str = "suppress"
    base: int = 5

    def __post_init__(self) -> None:
        if self.audience not in AUDIENCES:
            raise ValueError(f"audience {self.audience!r} not in {AUDIENCES}")
        if self.method not in METHODS:
            raise ValueError(f"method {self.method!r} not in {METHODS}")
        if not 0 < self.low <= self.high:
            raise ValueError(f"small-number band {self.low}..{self.high} must satisfy 0 < low <= high")
        if self.base < 1:
            raise ValueError(f"rounding base {self.base} must be at least 1")

    @property
    def controlled(self) -> bool:
        """Whether counts are protected at all (public outputs)."""
        return self.audience == PUBLIC

    @property
    def patient_level_charts(self) -> bool:
        """Whether charts drawn patient by patient (CUSUM, VLAD on a date axis) may be shown."""
        return self.audience == CLINICAL

    def is_small(self, count: float | None) -> bool:
        """A count in the primary-suppression band (missing values are not counts)."""
        if not self.controlled or count is None or _isnan(count):
            return False
        return self.low <= count <= self.high

    def round_count(self, count: float) -> float:
        """Nearest multiple of ``base``, halves rounded up (HES practice: 12.5 -> 15)."""
        return float(math.floor(count / self.base + 0.5) * self.base)


def _isnan(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


@dataclass(frozen=True)
class ProtectedTable:
    """A count table with its margins after disclosure control.

    ``values`` is the *extended* table: the interior cells plus, when present, a last column of row
    totals and a last row of column totals (and the grand total in the corner). ``status`` gives
    each cell's fate (``shown``, ``primary``, ``secondary``, ``rounded``); ``published`` is what may
    be printed: the count (rounded under ``method="round"``) or ``nan`` when suppressed.
    """

    values: np.ndarray
    status: np.ndarray
    published: np.ndarray
    row_totals: bool
    column_totals: bool

    @property
    def hidden(self) -> np.ndarray:
        return np.isin(self.status, (PRIMARY, SECONDARY))

    @property
    def interior(self) -> tuple[slice, slice]:
        rows = slice(0, self.values.shape[0] - (1 if self.column_totals else 0))
        cols = slice(0, self.values.shape[1] - (1 if self.row_totals else 0))
        return rows, cols

    def label(self, i: int, j: int, fmt: str = "{:,.0f}") -> str:
        """The printable cell: ``*`` when suppressed, ``–`` when missing, else the formatted count."""
        if self.hidden[i, j]:
            return SUPPRESSED
        value = self.published[i, j]
        return "–" if _isnan(float(value)) else fmt.format(value)


def constraint_matrix(shape: tuple[int, int], row_totals: bool, column_totals: bool) -> np.ndarray:
    """The linear relations a reader knows hold in the extended table, one per row (cells flattened
    row-major): every row sums to its total, every column to its total."""
    n_rows, n_cols = shape
    inner_rows = n_rows - (1 if column_totals else 0)
    inner_cols = n_cols - (1 if row_totals else 0)
    relations = []
    if row_totals:
        for i in range(n_rows):
            rel = np.zeros(shape)
            rel[i, :inner_cols] = 1.0
            rel[i, inner_cols] = -1.0
            relations.append(rel.ravel())
    if column_totals:
        for j in range(n_cols):
            rel = np.zeros(shape)
            rel[:inner_rows, j] = 1.0
            rel[inner_rows, j] = -1.0
            relations.append(rel.ravel())
    return np.array(relations).reshape(len(relations), n_rows * n_cols)


def recoverable_cells(hidden: np.ndarray, row_totals: bool, column_totals: bool) -> np.ndarray:
    """Which hidden cells a reader can work out *exactly* from the shown cells and the sums.

    The hidden cells solve ``A_h x = b`` (``A_h``: the constraint columns of the hidden cells, ``b``
    from the shown ones); a hidden cell is fixed by the published figures exactly when every
    solution agrees on it, i.e. its coordinate is zero on the whole null space of ``A_h``.
    """
    hidden = np.asarray(hidden, dtype=bool)
    out = np.zeros(hidden.shape, dtype=bool)
    flat = np.flatnonzero(hidden.ravel())
    if flat.size == 0 or not (row_totals or column_totals):
        return out
    a = constraint_matrix(hidden.shape, row_totals, column_totals)[:, flat]
    _, sing, vt = np.linalg.svd(a)
    rank = int((sing > _NULL_TOL * max(1.0, sing.max(initial=0.0))).sum())
    null = vt[rank:].T  # orthonormal columns spanning the null space
    # the length of a cell's row is the length of its projection on the null space (any basis):
    # zero exactly when the cell is fixed; a free cell on a cycle of length L has at least 1/sqrt(L)
    reach = np.linalg.norm(null, axis=1) if null.size else np.zeros(flat.size)
    out.flat[flat[reach < _NULL_TOL]] = True
    return out


def _extend(cells: np.ndarray, row_totals: bool, column_totals: bool) -> np.ndarray:
    known = np.nan_to_num(cells, nan=0.0)
    table = cells
    if row_totals:
        table = np.column_stack([table, known.sum(axis=1)])
        known = np.column_stack([known, known.sum(axis=1)])
    if column_totals:
        table = np.vstack([table, known.sum(axis=0)])
    return table


def protect_table(
    cells: Sequence[Sequence[float]] | np.ndarray,
    rule: DisclosureRule | None = None,
    *,
    row_totals: bool = True,
    column_totals: bool = True,
) -> ProtectedTable:
    """Protect a table of counts published with its row and/or column totals.

    ``cells`` is the interior (rows x columns; ``nan`` = not available, taken as 0 in the totals).
    The totals are computed here from the cells, so the published margins always add up.
    For a clinical audience nothing is hidden.
    """
    interior = np.atleast_2d(np.asarray(cells, dtype=float))
    return protect_extended(_extend(interior, row_totals, column_totals), rule, row_totals, column_totals)


def protect_extended(
    values: np.ndarray, rule: DisclosureRule | None, row_totals: bool, column_totals: bool
) -> ProtectedTable:
    """As :func:`protect_table` for a table that already carries its margins (last column = row
    totals, last row = column totals), e.g. a whole-period figure that is not exactly the sum of the
    periods. The protection only assumes the reader knows the margins are the sums."""
    rule = rule or DisclosureRule()
    values = np.asarray(values, dtype=float)
    status = np.full(values.shape, SHOWN, dtype=object)
    published = values.astype(float).copy()
    if not rule.controlled:
        return ProtectedTable(values, status, published, row_totals, column_totals)
    small = np.vectorize(rule.is_small, otypes=[bool])(values)
    status[small] = PRIMARY
    # rounding alone does not protect a lone hidden count: in 1, 8, 8 (total 17) published as
    # *, 10, 10, 15 the others are at least 8 each (else they would be hidden), so the hidden one is
    # at most 17 - 16 = 1, i.e. exactly 1. Both methods therefore give it a hidden partner.
    _secondary(values, status, row_totals, column_totals)
    if rule.method == "round":
        rounding = (status == SHOWN) & np.isfinite(values) & (values != 0)
        published[rounding] = np.vectorize(rule.round_count, otypes=[float])(values[rounding])
        status[rounding] = ROUNDED
    published[np.isin(status, (PRIMARY, SECONDARY))] = np.nan
    return ProtectedTable(values, status, published, row_totals, column_totals)


def _secondary(values: np.ndarray, status: np.ndarray, row_totals: bool, column_totals: bool) -> None:
    """Hide complementary cells until no hidden cell is recoverable.

    With both margins a recoverable cell (i, j) gets the cheapest rectangle (i, j), (i, j2), (i2, j),
    (i2, j2): every row and column through it then holds two hidden cells that can trade counts, so
    no sum pins either down. With one margin the line through the cell gets its cheapest partner.
    Cheapest: no margin if avoidable (the totals are the figures readers want), no zero if avoidable
    (a hidden zero beside a hidden count gives the count away to anyone who guesses it), then the
    smallest total hidden. The loop re-checks with :func:`recoverable_cells` until nothing is exposed,
    then makes sure no line with a total hides only counts from the band (see below).
    """
    margin = np.zeros(values.shape, dtype=bool)
    if row_totals:
        margin[:, -1] = True
    if column_totals:
        margin[-1, :] = True
    known = np.nan_to_num(values, nan=0.0)
    n_rows, n_cols = values.shape

    def cost(cells: list[tuple[int, int]], hidden: np.ndarray) -> tuple:
        new = [c for c in cells if not hidden[c]]
        return (
            sum(bool(margin[c]) for c in new),
            sum(known[c] == 0 for c in new),
            sum(known[c] for c in new),
            len(new),
        )

    lines: list[list[tuple[int, int]]] = []
    if row_totals:
        lines += [[(i, j) for j in range(n_cols)] for i in range(n_rows)]
    if column_totals:
        lines += [[(i, j) for i in range(n_rows)] for j in range(n_cols)]

    while True:
        hidden = np.isin(status, (PRIMARY, SECONDARY))
        exposed = recoverable_cells(hidden, row_totals, column_totals)
        if not exposed.any():
            # the band itself is a bound: hidden cells on a line that are all 1..7 and add up to
            # (number hidden) x 1 or x 7 are each exactly 1 or 7 ("*, *" = 2 means 1 and 1); a
            # hidden cell from outside the band on every such line removes that bound
            # (a line whose every cell is in the band has nothing else to hide: left as it is)
            banded = [
                line
                for line in lines
                if any(hidden[c] for c in line)
                and all(status[c] == PRIMARY for c in line if hidden[c])
                and any(not hidden[c] for c in line)
            ]
            if not banded:
                return
            free = [[c] for c in banded[0] if not hidden[c]]
            for c in min(free, key=lambda o: cost(o, hidden)):
                status[c] = SECONDARY
            continue
        i, j = map(int, np.argwhere(exposed)[0])
        options: list[list[tuple[int, int]]] = []
        if row_totals and column_totals:
            options = [
                [(i, j2), (i2, j), (i2, j2)]
                for i2 in range(n_rows)
                for j2 in range(n_cols)
                if i2 != i and j2 != j
            ]
        elif row_totals:
            options = [[(i, j2)] for j2 in range(n_cols) if j2 != j]
        else:
            options = [[(i2, j)] for i2 in range(n_rows) if i2 != i]
        options = [o for o in options if any(not hidden[c] for c in o)]
        if not options:  # cannot happen for a consistent table; hide the rest rather than loop
            status[~hidden] = SECONDARY
            return
        best = min(options, key=lambda o: cost(o, hidden))
        for c in best:
            if not hidden[c]:
                status[c] = SECONDARY


def protect_series(
    counts: Sequence[float] | np.ndarray,
    rule: DisclosureRule | None = None,
    *,
    total: bool = True,
    total_value: float | None = None,
) -> ProtectedTable:
    """Counts by period (or by any one breakdown) published with their whole-period total: a one-row
    table with a row total. ``table.values[0, :-1]`` are the periods, ``[0, -1]`` the total
    (``total_value`` when given, e.g. a whole-period count that also holds undated rows)."""
    row = np.asarray(counts, dtype=float).reshape(1, -1)
    if total_value is not None:
        return protect_extended(np.column_stack([row, [[total_value]]]), rule, True, False)
    return protect_table(row, rule, row_totals=total, column_totals=False)


# --- the one-band rule the board report, the dashboard and the results layer share ---------------
@dataclass(frozen=True)
class SmallNumberRule:
    """Suppress counts ``low <= count <= high`` (default 1–7); ``enabled=False`` shows everything."""

    low: int = 1
    high: int = 7
    enabled: bool = True

    def hides(self, count: float | None) -> bool:
        if not self.enabled or count is None or (isinstance(count, float) and math.isnan(count)):
            return False
        return self.low <= count <= self.high

    @property
    def audience(self) -> str:
        """Suppression on = a public output (the board report); off = the clinical edition."""
        return PUBLIC if self.enabled else CLINICAL

    @property
    def patient_level_charts(self) -> bool:
        """Charts drawn patient by patient (CUSUM, VLAD) only in the clinical edition."""
        return self.disclosure().patient_level_charts

    def disclosure(self) -> DisclosureRule:
        """The same rule as a :class:`wardwatch.disclosure.DisclosureRule` (tables with totals)."""
        return DisclosureRule(audience=self.audience, low=self.low, high=self.high)

    def describe(self) -> str:
        if not self.enabled:
            return "Small-number suppression is switched off for this report (internal use only)."
        return (
            f"Counts from {self.low} to {self.high} are suppressed and shown as “{SUPPRESSED}”, "
            "together with any rate calculated from them, so that individuals cannot be identified. "
            "Where a total is shown, further counts are hidden (secondary suppression) so that a "
            "hidden count cannot be worked out by subtraction, and charts drawn patient by patient "
            "are left out (disclosure control, NHS Digital HES practice)."
        )
