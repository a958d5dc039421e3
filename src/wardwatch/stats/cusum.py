"""Risk-adjusted CUSUM (Steiner, Cook, Farewell & Treasure 2000) and VLAD (docs/methods.md 4.3-4.4).

Patient t has predicted risk p_t and outcome y_t (1 = died). Testing odds ratio R0 (in control,
1) against RA, the log-likelihood-ratio weight is (docs/methods.md 4.3)

    death:    W_t = ln( (1 - p_t + R0 p_t) RA / ((1 - p_t + RA p_t) R0) )
    survival: W_t = ln( (1 - p_t + R0 p_t) / (1 - p_t + RA p_t) )

and the chart is X_t = max(0, X_{t-1} + W_t), signalling when X_t > h, then restarting at 0.
The upper chart (deterioration) uses RA = 2; the lower chart (improvement) uses RA = 1/2 with
the same recursion and is drawn downwards (``lower = -X_t``).

Computation: the recursion is sequential, but without a reset it has the closed form
X_t = S_t - min(0, min_{k<=t} S_k) with S the cumulative sum of W (Lindley), which NumPy
evaluates with ``cumsum`` and ``minimum.accumulate``. A reset only restarts that formula at the
next patient, so each series costs a few vectorised passes per signal, not a Python loop per
patient. The threshold h is chosen by Monte Carlo simulation of in-control outcomes for the
local case mix to a stated in-control average run length (ARL), as docs/methods.md 4.3 asks (not a fixed
4.5). VLAD: V_t = sum_{i<=t} (p_i - y_i), expected minus observed deaths (docs/methods.md 4.4).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from wardwatch.errors import InputError


def llr_weights(p: np.ndarray, y: np.ndarray, ra: float, r0: float = 1.0) -> np.ndarray:
    """Steiner et al. (2000) log-likelihood-ratio CUSUM weights (docs/methods.md 4.3), vectorised."""
    p = np.asarray(p, dtype=float)
    y = np.asarray(y, dtype=float)
    base = np.log(1.0 - p + r0 * p) - np.log(1.0 - p + ra * p)
    return base + y * (np.log(ra) - np.log(r0))


def _lindley(w: np.ndarray, x0: float = 0.0) -> np.ndarray:
    """X_t = max(0, X_{t-1} + w_t) from X_0 = x0 >= 0, as S_t - min(0, min_{k<=t} S_k), S = x0 + cumsum(w)."""
    s = np.cumsum(w) + x0
    return s - np.minimum(np.minimum.accumulate(s), 0.0)


def cusum_path(weights: np.ndarray, h: float, reset: bool = True, window: int = 4096
               ) -> tuple[np.ndarray, np.ndarray]:
    """CUSUM X_t = max(0, X_{t-1} + W_t), X_0 = 0; signal when X_t > h, then restart at 0.

    Returns (path, signal) where ``signal`` is a boolean array. At a signal the path shows the
    value that crossed h; the next patient starts again from 0. Work proceeds in windows of
    ``window`` patients carrying the state across, so a restart recomputes at most one window
    (cost O(n + signals x window), not O(n x signals)).
    """
    w = np.asarray(weights, dtype=float)
    n = len(w)
    bad = ~np.isfinite(w)
    if bad.any():  # a NaN would propagate through the cumulative sums and silence every later signal
        raise InputError(f"{int(bad.sum())} of {n} CUSUM weight(s) are not finite (first at position "
                         f"{int(np.flatnonzero(bad)[0])}); check the risks and outcomes")
    path = np.empty_like(w)
    signal = np.zeros(n, dtype=bool)
    if not reset:
        path[:] = _lindley(w)
        signal[:] = path > h
        return path, signal
    start, x0 = 0, 0.0
    while start < n:
        stop = min(n, start + window)
        x = _lindley(w[start:stop], x0)
        above = np.flatnonzero(x > h)
        if len(above) == 0:
            path[start:stop] = x
            start, x0 = stop, float(x[-1])
            continue
        j = int(above[0])
        path[start:start + j + 1] = x[:j + 1]
        signal[start + j] = True
        start, x0 = start + j + 1, 0.0
    return path, signal


@dataclass(frozen=True)
class Threshold:
    """A threshold chosen by simulation, with the simulated in-control ARL at that h."""

    h: float
    target_arl: float
    arl: float  # estimated in-control ARL at h
    arl_se: float
    ra: float
    n_sim: int
    horizon: int
    #: "simulated" (h found directly at target_arl) or "extrapolated" (see :func:`threshold_for_chart`)
    method: str = "simulated"


def _risk_pool(p_risks: np.ndarray, size: int = 2048) -> np.ndarray:
    """The case mix as ``size`` equal-probability quantiles of the risks (exact when fewer)."""
    p = np.sort(p_risks)
    if len(p) <= size:
        return p
    return np.quantile(p, (np.arange(size) + 0.5) / size)


def _simulated_running_max(p_risks: np.ndarray, ra: float, n_sim: int, horizon: int,
                           rng: np.random.Generator, batch: int) -> np.ndarray:
    """Running maximum of in-control CUSUM paths (no reset), shape (n_sim, horizon), float32.

    Each step draws one uniform u: ``floor(u m)`` picks a patient from the risk pool (m risks)
    and the fractional part, uniform and independent of the pick, decides death (< p). The two
    possible weights per pooled patient are computed once, so the inner work is a gather, a
    compare and the Lindley passes.
    """
    pool = _risk_pool(p_risks)
    m = len(pool)
    w_death = llr_weights(pool, np.ones(m), ra)
    w_surv = llr_weights(pool, np.zeros(m), ra)
    out = np.empty((n_sim, horizon), dtype=np.float32)
    for b0 in range(0, n_sim, batch):
        b1 = min(n_sim, b0 + batch)
        u = rng.random((b1 - b0, horizon)) * m
        idx = u.astype(np.int64)
        u -= idx  # fractional part: a fresh uniform
        w = np.where(u < pool[idx], w_death[idx], w_surv[idx])
        np.cumsum(w, axis=1, out=w)
        floor = np.minimum.accumulate(w, axis=1)
        np.minimum(floor, 0.0, out=floor)
        w -= floor
        out[b0:b1] = np.maximum.accumulate(w, axis=1)
    return out


def arl_from_running_max(running_max: np.ndarray, h: float) -> tuple[float, float]:
    """In-control ARL at threshold h from simulated running maxima (censored at the horizon).

    Run length = first t with X_t > h. Paths that never cross are censored at the horizon L; the
    ARL is estimated as total observed time / number of signals, the maximum-likelihood
    estimate for (approximately geometric) CUSUM run lengths under censoring. Returns (ARL, SE).
    """
    if running_max.dtype != np.float32:  # the simulation stores float32; anything else row by row
        h_cmp = np.float32(h)
        first = np.array([np.searchsorted(row, h_cmp, side="right") for row in running_max])
        crossed = running_max[:, -1] > h_cmp
        run = np.where(crossed, first + 1, running_max.shape[1])
        events = int(crossed.sum())
        if events == 0:
            return float("inf"), float("inf")
        arl = float(run.sum() / events)
        return arl, float(arl / np.sqrt(events))
    return _ArlCurve(running_max)(h)


class _ArlCurve:
    """ARL(h) for many h from one set of simulated running maxima.

    Each row is non-decreasing, so its first crossing of h is a binary search. All rows are
    searched in one call: a non-negative float32's bit pattern read as an integer orders the same
    way as the float, so adding ``row << 32`` makes the whole array one sorted integer sequence
    (exactly the float32 comparisons, without a Python loop over the rows).
    """

    def __init__(self, running_max: np.ndarray) -> None:
        rows, self.horizon = running_max.shape
        self.crossed_at_end = running_max[:, -1]
        bits = (running_max + np.float32(0.0)).view(np.int32).astype(np.int64)  # + 0 turns -0.0 into 0.0
        self.offsets = np.arange(rows, dtype=np.int64) << 32
        self.keys = (bits + self.offsets[:, None]).ravel()

    def __call__(self, h: float) -> tuple[float, float]:
        h32 = np.float32(h) + np.float32(0.0)  # compare in the stored precision, consistently
        crossed = self.crossed_at_end > h32
        if h32 < 0:  # every non-negative path is above a negative threshold from the start
            first = np.zeros(len(self.offsets), dtype=np.int64)
        else:
            query = np.int64(np.array(h32, dtype=np.float32).view(np.int32)) + self.offsets
            first = np.searchsorted(self.keys, query, side="right") - np.arange(len(self.offsets)) * self.horizon
        run = np.where(crossed, first + 1, self.horizon)
        events = int(crossed.sum())
        if events == 0:
            return float("inf"), float("inf")
        arl = float(run.sum() / events)
        return arl, float(arl / np.sqrt(events))


def choose_threshold(p_risks: np.ndarray, target_arl: float = 10_000, ra: float = 2.0,
                     n_sim: int = 200, seed: int = 0, horizon: int | None = None,
                     batch: int = 2) -> Threshold:
    """Smallest h whose simulated in-control ARL (in patients) is at least ``target_arl``.

    Patients' risks are resampled from ``p_risks`` (the local case mix) and outcomes drawn at
    those risks (in control, odds ratio 1). Each of ``n_sim`` paths runs ``horizon`` patients
    (default: ``target_arl``); ARL(h) is estimated with :func:`arl_from_running_max` for all h at
    once (the running maximum is monotone), and h is found by bisection.
    """
    p = np.asarray(p_risks, dtype=float)
    p = p[np.isfinite(p)]
    if len(p) == 0:
        raise ValueError("choose_threshold needs at least one predicted risk")
    p = np.clip(p, 1e-9, 1 - 1e-9)
    horizon = int(horizon or max(100, int(target_arl)))
    rng = np.random.default_rng(seed)
    rmax = _simulated_running_max(p, ra, n_sim, horizon, rng, batch)
    arl_at = _ArlCurve(rmax)
    lo, hi = 0.0, float(rmax[:, -1].max()) + 1e-6
    if arl_at(hi)[0] < target_arl:  # pragma: no cover - horizon too short
        hi = hi * 2
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        if arl_at(mid)[0] >= target_arl:
            hi = mid
        else:
            lo = mid
    arl, se = arl_at(hi)
    return Threshold(h=hi, target_arl=float(target_arl), arl=arl, arl_se=se, ra=ra, n_sim=n_sim,
                     horizon=horizon)


def threshold_for_chart(p_risks: np.ndarray, target_arl: float, ra: float = 2.0, n_sim: int = 200,
                        seed: int = 0, max_horizon: int = 10_000) -> Threshold:
    """h for one chart from its own case mix, affordable for very large target ARLs.

    When ``target_arl <= max_horizon`` this is :func:`choose_threshold`. Above it, simulating
    ``target_arl`` patients per path for every chart costs too much (cost grows with the ARL), so
    h is simulated at ARL = ``max_horizon`` and extended with the slope of the ARL curve known
    for a log-likelihood-ratio CUSUM: in control E[exp(W_t)] = sum over outcomes of
    P0 x LR = 1 for every patient whatever p_t, so the Cramer-Lundberg exponent is 1 and the
    in-control ARL grows like exp(h) (Siegmund's approximation; Lorden: ARL0 >= exp(h)). Hence
    h(target) = h(max_horizon) + ln(target / max_horizon); the returned ``arl`` and ``arl_se``
    are scaled the same way and ``method`` is "extrapolated". Checked against direct simulation
    in the tests (difference in h within the Monte Carlo noise of h, about 0.1-0.2).
    """
    if target_arl <= max_horizon:
        return choose_threshold(p_risks, target_arl=target_arl, ra=ra, n_sim=n_sim, seed=seed)
    base = choose_threshold(p_risks, target_arl=max_horizon, ra=ra, n_sim=n_sim, seed=seed)
    factor = float(target_arl) / float(max_horizon)
    return Threshold(h=base.h + float(np.log(factor)), target_arl=float(target_arl), arl=base.arl * factor,
                     arl_se=base.arl_se * factor, ra=ra, n_sim=n_sim, horizon=base.horizon,
                     method="extrapolated")


@dataclass(frozen=True, eq=False)
class CusumResult:
    """Paths (one row per patient, in date order within series) and the alert list."""

    paths: pd.DataFrame
    alerts: pd.DataFrame
    thresholds: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        return self.alerts.copy()

    def series(self, **keys: str) -> pd.DataFrame:
        """Path of one series, e.g. ``result.series(org_code="ZP07", diagnosis_group="sepsis")``."""
        mask = np.ones(len(self.paths), dtype=bool)
        for col, val in keys.items():
            mask &= (self.paths[col] == val).to_numpy()
        return self.paths.loc[mask].reset_index(drop=True)


ALERT_COLUMNS = ["org_code", "diagnosis_group", "direction", "date_signalled", "patients_since_reset",
                 "observed", "expected", "h"]


def run_cusums(
    spells: pd.DataFrame,
    *,
    series: list[str],
    date: str,
    risk: str,
    outcome: str,
    h_upper: float | dict[tuple, float],
    h_lower: float | dict[tuple, float],
    ra_upper: float = 2.0,
    ra_lower: float = 0.5,
) -> CusumResult:
    """Upper (RA=2) and lower (RA=1/2) risk-adjusted CUSUMs and VLAD for every series.

    ``series``: columns identifying a series (e.g. ``["org_code", "diagnosis_group"]``); rows are
    ordered by ``date`` within series. ``h_upper``/``h_lower``: one threshold, or a dict keyed by
    the series tuple (or by a prefix/suffix key such as ``(diagnosis_group,)`` via the last
    column). A tight loop over series; every series is vectorised inside (see module docstring).

    Every row must have a risk in [0, 1], an outcome of 0 or 1 and non-missing series keys and
    date, otherwise :class:`~wardwatch.errors.InputError` says how many rows are bad: one NaN
    risk would otherwise turn the rest of its series' CUSUM into NaN, which never signals.
    An empty ``spells`` gives empty paths, alerts and thresholds.
    """
    missing = [c for c in (*series, date, risk, outcome) if c not in spells.columns]
    if missing:
        raise InputError(f"run_cusums: column(s) {', '.join(missing)} not found")
    frame = spells[[*series, date, risk, outcome]]
    _validate_rows(frame, series, date, risk, outcome)
    frame = frame.sort_values([*series, date], kind="stable").reset_index(drop=True)
    p = frame[risk].to_numpy(dtype=float)
    y = frame[outcome].to_numpy(dtype=float)
    w_up = llr_weights(p, y, ra_upper)
    w_lo = llr_weights(p, y, ra_lower)
    n = len(frame)
    upper = np.zeros(n)
    lower = np.zeros(n)
    sig_up = np.zeros(n, dtype=bool)
    sig_lo = np.zeros(n, dtype=bool)
    index = np.zeros(n, dtype=np.int64)
    hu_col = np.zeros(n)
    hl_col = np.zeros(n)
    vlad = np.zeros(n)
    alerts: list[dict] = []
    thresholds: list[dict] = []
    dates = frame[date].to_numpy()

    def _h(spec, key):
        if isinstance(spec, dict):
            if key in spec:
                return float(spec[key])
            return float(spec[(key[-1],)])
        return float(spec)

    codes = frame.groupby(series, sort=False, observed=True).ngroup().to_numpy()
    bounds = np.flatnonzero(np.diff(codes)) + 1
    starts = np.concatenate([[0], bounds]).astype(np.int64) if n else np.zeros(0, dtype=np.int64)
    stops = np.concatenate([bounds, [n]]).astype(np.int64) if n else np.zeros(0, dtype=np.int64)
    key_values = frame.loc[starts, series].itertuples(index=False, name=None)
    for a, b, key in zip(starts, stops, key_values):
        hu, hl = _h(h_upper, key), _h(h_lower, key)
        up, su = cusum_path(w_up[a:b], hu)
        lo, sl = cusum_path(w_lo[a:b], hl)
        upper[a:b], lower[a:b] = up, -lo
        sig_up[a:b], sig_lo[a:b] = su, sl
        index[a:b] = np.arange(1, b - a + 1)
        hu_col[a:b], hl_col[a:b] = hu, hl
        cp, cy = np.cumsum(p[a:b]), np.cumsum(y[a:b])
        vlad[a:b] = cp - cy
        thresholds.append({**dict(zip(series, key)), "h_upper": hu, "h_lower": hl, "patients": b - a,
                           "observed": float(cy[-1]), "expected": float(cp[-1])})
        for direction, sig in (("higher", su), ("lower", sl)):
            last = -1
            for i in np.flatnonzero(sig):  # signals are few: this loop is over alerts, not patients
                o = float(cy[i] - (cy[last] if last >= 0 else 0.0))
                e = float(cp[i] - (cp[last] if last >= 0 else 0.0))
                alerts.append({**dict(zip(series, key)), "direction": direction,
                               "date_signalled": dates[a + i], "patients_since_reset": int(i - last),
                               "observed": o, "expected": e,
                               "h": hu if direction == "higher" else hl})
                last = i

    paths = frame.copy()
    if date != "date":
        paths["date"] = frame[date]
    paths["index"] = index
    paths["upper"] = upper
    paths["lower"] = lower
    paths["signal_upper"] = sig_up
    paths["signal_lower"] = sig_lo
    paths["h_upper"] = hu_col
    paths["h_lower"] = hl_col
    paths["vlad"] = vlad
    alert_cols = [*series, "direction", "date_signalled", "patients_since_reset", "observed", "expected", "h"]
    alert_frame = pd.DataFrame(alerts, columns=alert_cols)
    threshold_cols = [*series, "h_upper", "h_lower", "patients", "observed", "expected"]
    return CusumResult(paths=paths, alerts=alert_frame, thresholds=pd.DataFrame(thresholds, columns=threshold_cols))


def _validate_rows(frame: pd.DataFrame, series: list[str], date: str, risk: str, outcome: str) -> None:
    """InputError naming the number of rows with an unusable risk, outcome, series key or date."""
    p = pd.to_numeric(frame[risk], errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(frame[outcome], errors="coerce").to_numpy(dtype=float)
    checks = [
        (~(np.isfinite(p) & (p >= 0.0) & (p <= 1.0)), f"a risk ({risk!r}) that is missing or outside [0, 1]"),
        (~np.isin(y, (0.0, 1.0)), f"an outcome ({outcome!r}) that is not 0 or 1"),
        (frame[series].isna().any(axis=1).to_numpy(), f"a missing series key ({', '.join(series)})"),
        (frame[date].isna().to_numpy(), f"a missing date ({date!r})"),
    ]
    problems = [f"{int(bad.sum())} row(s) with {what} (first at index {frame.index[np.argmax(bad)]!r})"
                for bad, what in checks if bad.any()]
    if problems:
        raise InputError(f"CUSUM input of {len(frame)} rows has {'; '.join(problems)}; "
                         "fix or remove those rows")
