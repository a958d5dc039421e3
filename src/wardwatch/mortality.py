"""Risk-adjusted mortality surveillance: the pipeline behind ``wardwatch mortality``.

Reads the ``admissions`` table of the warehouse, fits the case-mix risk model
(``wardwatch.stats.riskmodel``, one logistic model per diagnosis group), and writes:

- ``smr.csv``: observed and expected deaths, SMR = O/E with exact Poisson (Garwood) 95% CI, by
  org x diagnosis group x period (financial years and "overall"), plus all groups together
  ("all"); each row banded against the other trusts with the SHMI funnel method (standardised
  ratio, log transform, 10% truncation, additive tau2, 95% limits; docs/methods.md 3.3), so "lower than
  expected" is said only when the SMR is below the lower 95% limit;
- ``funnel_sepsis.csv`` (+ ``funnel_sepsis.svg``): the sepsis SMR funnel over the whole window;
- ``cusum_alerts.csv``: risk-adjusted CUSUM alerts (Steiner et al. 2000; upper RA = 2, lower RA =
  1/2) per org x diagnosis group, each chart's threshold chosen by simulation from its own case
  mix to an in-control ARL of ``arl_years`` years of its own volume;
  ``cusum_thresholds.csv`` lists them; CUSUM and VLAD SVGs for every alerting series (``charts/``);
- ``calibration.csv`` (observed vs expected by risk decile), ``calibration_levels.csv`` (O/E by
  covariate level, trust and diagnosis group) and ``model.json`` (the model fitted on all trusts);
- ``mortality_settings.json``: the fit mode, follow-up cut-off and death-data lag, and the spells
  excluded for incomplete follow-up.

Death = died in hospital OR died within 30 days of discharge (SHMI outcome, docs/methods.md 4.1).
Spells are ordered by admission time within a series for the CUSUM.

No false reassurance (issue 13; docs/methods.md 7.3, 7.4):

- Expected deaths are leave-one-trust-out by default (``fit="leave-one-trust-out"``): each
  trust's expected risks come from the model fitted on the other trusts, so its own outcomes do
  not pull its SMR towards 1; the CUSUM uses the same risks, so a chart is never judged against a
  model fitted on the outcomes it monitors. ``fit="pooled"`` is the in-sample fit; ``model=``
  applies a model fitted on an earlier period or national data.
- Follow-up: "death within 30 days of discharge" is known only for spells discharged at least 30
  days plus the death-data lag before the death-data cut-off. Later spells (and spells with no
  discharge date) are excluded from every output, and the cut-off is printed; otherwise the
  latest months count their deaths as survivors (crude mortality dips, VLAD rises, the lower
  CUSUM drifts to "improvement").
- A spell whose death flags are unknown (NULL, with no flag true) is refused with an
  :class:`InputError`: an unknown outcome is not a survival.
- Bands are a screening device: the SHMI method (10% truncation, additive tau2) is kept for SHMI
  parity, but with truncation tau2 is biased low and with few trusts it is unstable, so every
  banded row carries the number of peers and a warning when they are fewer than
  ``MIN_PEERS_FOR_BANDS``.

The A&E four-hour funnel of published data is not here: ``wardwatch refresh`` draws it per
financial year from the ``ae_4h_type1`` measures (wardwatch.results.funnels).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from wardwatch.csvsafe import write_csv
from wardwatch.errors import InputError
from wardwatch.render.results import plot_cusum, plot_funnel, plot_vlad
from wardwatch.stats.cusum import CusumResult, run_cusums, threshold_for_chart
from wardwatch.stats.exact import garwood_interval
from wardwatch.stats.funnel import BAND_AS, BAND_LOW, FunnelResult, funnel
from wardwatch.stats.riskmodel import RiskModel, fit_leave_one_out, fit_risk_model

ALL_GROUPS = "all"
OVERALL = "overall"
NOT_ASSESSED = "not assessed"
#: default lag between a death and its appearance in the death data (ONS registration; deaths must
#: be registered within 5 days, but coroners' cases take weeks): spells need 30 days + this
DEFAULT_DEATH_LAG_DAYS = 14
FOLLOW_UP_DAYS = 30
FIT_MODES = ("leave-one-trust-out", "pooled")
#: fewer trusts than this make the funnel's tau2 too unstable to band on (see the method page)
MIN_PEERS_FOR_BANDS = 30
SCREENING_NOTE = "bands are a screening device (SHMI method), not a verdict"
ADMISSION_COLUMNS = ("spell_id", "org_code", "admitted_at", "discharged_at", "age", "sex", "admission_method",
                     "diagnosis_group", "charlson_index", "died_in_hospital", "died_within_30d_of_discharge")


@dataclass(frozen=True)
class SepsisAnswer:
    """Is sepsis mortality at ``org_code`` below expected? (for the board report)."""

    org_code: str
    period: str
    spells: int
    observed: int
    expected: float
    smr: float
    ci_low: float
    ci_high: float
    band: str
    below_expected: bool  # True only when the band is "lower than expected"
    statement: str
    #: trusts banded together in this diagnosis group x period (0: not banded)
    peers: int = 0


@dataclass(frozen=True)
class FollowUp:
    """Which spells have complete 30-day follow-up (docs/methods.md 7.4)."""

    cutoff: pd.Timestamp  # the death data are complete up to this date
    death_lag_days: int
    follow_up_days: int
    complete_through: pd.Timestamp  # spells discharged on or before this are kept
    spells_total: int
    spells_excluded: int  # discharged after complete_through, or no discharge date
    cutoff_source: str  # "given" or "latest discharge in the data"

    @property
    def statement(self) -> str:
        return (f"Follow-up: death data to {self.cutoff:%Y-%m-%d} ({self.cutoff_source}), lag {self.death_lag_days} "
                f"days; spells discharged after {self.complete_through:%Y-%m-%d} excluded "
                f"({self.spells_excluded:,} of {self.spells_total:,}) because their 30-day outcome is not yet known.")

    def to_dict(self) -> dict:
        return {"cutoff": f"{self.cutoff:%Y-%m-%d}", "cutoff_source": self.cutoff_source,
                "death_lag_days": self.death_lag_days, "follow_up_days": self.follow_up_days,
                "complete_through": f"{self.complete_through:%Y-%m-%d}", "spells_total": self.spells_total,
                "spells_excluded": self.spells_excluded}


@dataclass(frozen=True, eq=False)
class MortalityResult:
    smr: pd.DataFrame
    funnel_sepsis: FunnelResult | None
    alerts: pd.DataFrame
    thresholds: pd.DataFrame
    calibration: pd.DataFrame
    model: RiskModel
    cusum: CusumResult
    focal_org: str | None
    files: dict[str, Path] = field(default_factory=dict)
    follow_up: FollowUp | None = None
    fit: str = "leave-one-trust-out"
    calibration_levels: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_frame(self) -> pd.DataFrame:
        return self.smr.copy()


# ---------------------------------------------------------------------------------------------
# reading


def read_admissions(con: Any) -> pd.DataFrame:
    """The ``admissions`` table from an Ibis backend, a DuckDB connection or a DuckDB file path."""
    if isinstance(con, (str, Path)):
        path = Path(con)
        if not path.exists():
            raise InputError(f"warehouse {path} not found; load data first with `wardwatch load`")
        from wardwatch.warehouse import connect_raw

        with connect_raw(path, read_only=True) as c:
            return _read_duckdb(c, path)
    raw = getattr(con, "con", None)  # an Ibis DuckDB backend wraps a DuckDB connection
    if raw is not None and hasattr(raw, "execute"):
        return _read_duckdb(raw, "the warehouse")
    if hasattr(con, "table") and hasattr(con, "list_tables"):  # another Ibis backend (e.g. Spark)
        if "admissions" not in con.list_tables():
            raise InputError("the warehouse has no 'admissions' table; load an admissions extract first")
        return con.table("admissions").select(*ADMISSION_COLUMNS).to_pandas()
    return _read_duckdb(con, "the connection")


def _read_duckdb(c: Any, where: object) -> pd.DataFrame:
    tables = {r[0] for r in c.execute("select table_name from information_schema.tables").fetchall()}
    if "admissions" not in tables:
        raise InputError(f"{where} has no 'admissions' table; load an admissions extract first")
    return c.execute(f"select {', '.join(ADMISSION_COLUMNS)} from admissions").df()


def prepare(spells: pd.DataFrame) -> pd.DataFrame:
    """Add ``died`` (in hospital or within 30 days of discharge) and ``fin_year`` (April start).

    A spell with no true death flag and a NULL one has an unknown outcome: refused with
    :class:`InputError`, never counted as a survivor (apply :func:`complete_follow_up` first, so
    recent spells whose 30-day outcome is not yet known are excluded rather than refused).
    """
    missing = [c for c in ADMISSION_COLUMNS if c not in spells.columns and c != "spell_id"]
    if missing:
        raise InputError(f"admissions data lacks column(s) {', '.join(missing)} (see contract 'admissions')")
    out = spells.copy()
    died_h = out["died_in_hospital"].astype("boolean")
    died_30 = out["died_within_30d_of_discharge"].astype("boolean")
    died = (died_h | died_30)  # Kleene logic: True | NA is True, False | NA is NA
    unknown = died.isna().to_numpy()
    if unknown.any():
        ids = ""
        if "spell_id" in out.columns:
            ids = f" (e.g. spell_id {', '.join(out.loc[unknown, 'spell_id'].astype(str).head(3))})"
        raise InputError(f"{int(unknown.sum())} of {len(out)} admissions have an unknown outcome: died_in_hospital or "
                         f"died_within_30d_of_discharge is NULL and neither is true{ids}. An unknown outcome is not "
                         "a survival: link the death data for those spells, or move --cutoff earlier if they are "
                         "too recent to have complete follow-up")
    out["died"] = died.to_numpy(dtype=bool).astype(np.int8)
    out["admitted_at"] = pd.to_datetime(out["admitted_at"])
    if out["admitted_at"].isna().any():
        raise InputError(f"{int(out['admitted_at'].isna().sum())} of {len(out)} admissions have no admitted_at; "
                         "the risk model and the CUSUM order need it: fix or remove those spells")
    out["fin_year"] = (out["admitted_at"].dt.year - (out["admitted_at"].dt.month < 4)).astype(int)
    out["org_code"] = out["org_code"].astype(str)
    out["diagnosis_group"] = out["diagnosis_group"].astype(str)
    return out


def complete_follow_up(spells: pd.DataFrame, cutoff: str | pd.Timestamp | None = None,
                       death_lag_days: int = DEFAULT_DEATH_LAG_DAYS, follow_up_days: int = FOLLOW_UP_DAYS
                       ) -> tuple[pd.DataFrame, FollowUp]:
    """Keep the spells whose 30-day outcome is known by the death-data ``cutoff`` (docs/methods.md 7.4).

    A spell is kept when discharged on or before ``cutoff - death_lag_days - follow_up_days``.
    ``cutoff`` defaults to the latest discharge in the data (the extract date's best proxy).
    Selection is on the discharge date only, never on the outcome: keeping recent in-hospital
    deaths while dropping recent survivors would bias the other way.
    """
    if death_lag_days < 0 or follow_up_days < 0:
        raise InputError(f"death lag ({death_lag_days}) and follow-up ({follow_up_days}) days must be >= 0")
    discharged = pd.to_datetime(spells["discharged_at"])
    if cutoff is None:
        if discharged.notna().sum() == 0:
            raise InputError("no admission has a discharge date, so no spell has known 30-day follow-up; "
                             "load discharged spells or give --cutoff")
        cut, source = discharged.max().normalize() + pd.Timedelta(days=1) - pd.Timedelta(seconds=1), \
            "latest discharge in the data"
    else:
        try:
            cut = pd.Timestamp(cutoff)
        except ValueError as exc:
            raise InputError(f"--cutoff {cutoff!r} is not a date (use YYYY-MM-DD)") from exc
        cut, source = cut.normalize() + pd.Timedelta(days=1) - pd.Timedelta(seconds=1), "given"
    through = cut - pd.Timedelta(days=death_lag_days + follow_up_days)
    keep = (discharged <= through).fillna(False).to_numpy(dtype=bool)
    info = FollowUp(cutoff=cut.normalize(), death_lag_days=int(death_lag_days), follow_up_days=int(follow_up_days),
                    complete_through=through.normalize(), spells_total=len(spells),
                    spells_excluded=int((~keep).sum()), cutoff_source=source)
    return spells.loc[keep].reset_index(drop=True), info


def fin_year_label(year: int) -> str:
    return f"{year}/{(year + 1) % 100:02d}"


# ---------------------------------------------------------------------------------------------
# SMR


def _band_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Band each org's SMR within one diagnosis group x period (SHMI method, additive, 95%)."""
    out = frame.copy()
    out["band"] = NOT_ASSESSED
    for col in ("ll95", "ul95", "z", "tau2"):
        out[col] = np.nan
    ok = _bandable(out["expected"])
    out["peers"] = int(ok.sum()) if ok.sum() >= 3 else 0
    out["band_warning"] = ""
    if ok.sum() < 3:
        return out
    if ok.sum() < MIN_PEERS_FOR_BANDS:
        out.loc[ok, "band_warning"] = (f"only {int(ok.sum())} trusts: tau2 is unstable and biased low with 10% "
                                       f"truncation; {SCREENING_NOTE}")
    res = funnel(out.loc[ok], "org_code", "observed", "expected", type="SR", method="shmi", od="additive")
    u = res.units.set_index("group")
    idx = out.loc[ok, "org_code"]
    for col in ("band", "ll95", "ul95", "z"):
        out.loc[ok, col] = u.loc[idx, col].to_numpy()
    out.loc[ok, "tau2"] = res.tau2
    return out


def _bandable(expected: pd.Series) -> pd.Series:
    """Rows the SHMI funnel can take: E still > 0 after its rounding to 2 dp.

    Tested with the funnel's own rounding (``Series.round``, half to even on the binary value),
    not ``E >= 0.005``: E = 0.005 rounds to 0.00 and would make the funnel reject the whole
    diagnosis group x period.
    """
    return expected.round(2) > 0


def smr_table(spells: pd.DataFrame) -> pd.DataFrame:
    """O, E, SMR with Garwood 95% CI and funnel band by org x diagnosis group x period.

    ``spells`` needs ``org_code, diagnosis_group, fin_year, died, expected``. Periods are
    financial years ("2018/19") and "overall"; diagnosis group "all" sums every group.
    """
    base = spells[["org_code", "diagnosis_group", "fin_year", "died", "expected"]].copy()
    base["period"] = base["fin_year"].map(fin_year_label)
    parts = []
    for period_col in ("period", None):
        for group_col in ("diagnosis_group", None):
            keys = ["org_code"]
            frame = base.assign(
                period=base["period"] if period_col else OVERALL,
                diagnosis_group=base["diagnosis_group"] if group_col else ALL_GROUPS,
            )
            agg = (frame.groupby(["org_code", "diagnosis_group", "period"], observed=True)
                   .agg(spells=("died", "size"), observed=("died", "sum"), expected=("expected", "sum"))
                   .reset_index())
            parts.append(agg)
            del keys
    table = pd.concat(parts, ignore_index=True)
    table["observed"] = table["observed"].astype(int)
    table["smr"] = table["observed"] / table["expected"]
    lo, hi = garwood_interval(table["observed"].to_numpy(float), 0.95)
    table["ci_low"] = lo / table["expected"]
    table["ci_high"] = hi / table["expected"]
    banded = [_band_rows(g) for _, g in table.groupby(["diagnosis_group", "period"], sort=False)]
    table = pd.concat(banded, ignore_index=True)
    table = table.rename(columns={"ll95": "funnel_ll95", "ul95": "funnel_ul95", "z": "funnel_z", "tau2": "funnel_tau2"})
    period_order = {p: i for i, p in enumerate(sorted(set(table["period"]) - {OVERALL}) + [OVERALL])}
    table["_p"] = table["period"].map(period_order)
    table["_g"] = (table["diagnosis_group"] != "sepsis").astype(int) + (table["diagnosis_group"] == ALL_GROUPS) * 2
    table = table.sort_values(["org_code", "_g", "diagnosis_group", "_p"]).drop(columns=["_p", "_g"])
    return table.reset_index(drop=True)


def _statement(a: dict) -> str:
    peers = a.get("peers", 0)
    against = f" against {peers} trusts, a screening device" if peers else ""
    few = " (few trusts: the band is unstable)" if 0 < peers < MIN_PEERS_FOR_BANDS else ""
    base = (f"{a['org_code']} sepsis mortality ({a['period']}): {a['observed']} deaths observed, "
            f"{a['expected']:.1f} expected, SMR {a['smr']:.2f} (95% CI {a['ci_low']:.2f} to {a['ci_high']:.2f}); "
            f"band{against}: {a['band']}{few}.")
    if a["band"] == BAND_LOW:
        return base + " Sepsis mortality is below expected."
    if a["band"] == BAND_AS:
        if a["smr"] < 1:
            return base + (" The SMR is below 1 but within the range expected by chance: "
                           "it is not evidence that mortality is below expected.")
        return base + " Mortality is within the range expected by chance."
    if a["band"] == NOT_ASSESSED:
        return base + " Too little data to band against other trusts."
    return base + " Sepsis mortality is higher than expected."


def sepsis_answer(result: MortalityResult | pd.DataFrame, org: str, period: str = OVERALL) -> SepsisAnswer:
    """Answer "is sepsis mortality at ``org`` below expected?" with O, E, SMR, 95% CI and band."""
    table = result.smr if isinstance(result, MortalityResult) else result
    row = table[(table["org_code"] == org) & (table["diagnosis_group"] == "sepsis") & (table["period"] == period)]
    if row.empty:
        raise InputError(f"no sepsis spells for organisation {org!r} in period {period!r}; "
                         f"organisations present: {', '.join(sorted(table['org_code'].unique())[:20])}")
    r = row.iloc[0]
    a = {"org_code": org, "period": period, "spells": int(r["spells"]), "observed": int(r["observed"]),
         "expected": float(r["expected"]), "smr": float(r["smr"]), "ci_low": float(r["ci_low"]),
         "ci_high": float(r["ci_high"]), "band": str(r["band"])}
    peers = int(r["peers"]) if "peers" in r.index and pd.notna(r["peers"]) else 0
    return SepsisAnswer(**a, below_expected=a["band"] == BAND_LOW, statement=_statement({**a, "peers": peers}),
                        peers=peers)


# ---------------------------------------------------------------------------------------------
# CUSUM


def cusum_thresholds(spells: pd.DataFrame, *, arl_years: float = 100.0, n_sim: int = 200, seed: int = 0,
                     max_horizon: int = 10_000, progress: Callable[[str], None] | None = None
                     ) -> tuple[dict, dict, pd.DataFrame]:
    """h for the upper (RA=2) and lower (RA=1/2) chart of every org x diagnosis group.

    Each chart gets its own threshold (docs/methods.md 4.3: the local case mix; 4.5: per chart, by
    volume): risks are resampled from that chart's own spells, and the target in-control ARL in
    patients is ``arl_years`` x that chart's spells per year (its spells / the length of the
    data window), so every chart, large or small, false-alarms about once per ``arl_years``
    years per direction. Targets above ``max_horizon`` patients use the exp(h) extrapolation of
    :func:`wardwatch.stats.cusum.threshold_for_chart` (``method`` column). Keys of the returned
    dicts are ``(org_code, diagnosis_group)``.
    """
    span = spells["admitted_at"].max() - spells["admitted_at"].min() if len(spells) else pd.Timedelta(0)
    years = max(max(span, pd.Timedelta(days=1)) / pd.Timedelta(days=365.25), 1.0 / 12)
    rows, h_up, h_lo = [], {}, {}
    charts = spells.groupby(["org_code", "diagnosis_group"], sort=True, observed=True)["expected"]
    for i, ((org, group), risks) in enumerate(charts):
        per_year = len(risks) / years
        target = max(100.0, arl_years * per_year)
        if progress:
            progress(f"CUSUM threshold: {org} {group}")
        p = risks.to_numpy(dtype=float)
        up = threshold_for_chart(p, target, ra=2.0, n_sim=n_sim, seed=seed + 2 * i, max_horizon=max_horizon)
        lo = threshold_for_chart(p, target, ra=0.5, n_sim=n_sim, seed=seed + 2 * i + 1, max_horizon=max_horizon)
        h_up[(org, group)] = up.h
        h_lo[(org, group)] = lo.h
        rows.append({"org_code": org, "diagnosis_group": group, "spells": len(p), "spells_per_year": per_year,
                     "mean_risk": float(p.mean()), "target_arl": target, "h_upper": up.h, "arl_upper": up.arl,
                     "arl_upper_se": up.arl_se, "h_lower": lo.h, "arl_lower": lo.arl, "arl_lower_se": lo.arl_se,
                     "method": up.method, "n_sim": n_sim})
    return h_up, h_lo, pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# pipeline


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def run_mortality(
    con: Any,
    out_dir: str | Path | None,
    focal_org: str | None = None,
    *,
    model: RiskModel | None = None,
    arl_years: float = 100.0,
    n_sim: int = 200,
    seed: int = 0,
    charts: bool = True,
    progress: Callable[[str], None] | None = None,
    fit: str = "leave-one-trust-out",
    cutoff: str | pd.Timestamp | None = None,
    death_lag_days: int = DEFAULT_DEATH_LAG_DAYS,
) -> MortalityResult:
    """Fit (or apply ``model``), compute SMRs, funnels and CUSUMs, and write the outputs to ``out_dir``
    (``None``: write nothing, return the result only).

    ``fit``: "leave-one-trust-out" (default) or "pooled" (in-sample); ignored when ``model`` is
    given. ``cutoff``/``death_lag_days``: see :func:`complete_follow_up`.
    """
    if fit not in FIT_MODES:
        raise InputError(f"--fit must be one of {', '.join(FIT_MODES)}, not {fit!r}")
    say = progress or (lambda _m: None)
    out = None if out_dir is None else Path(out_dir)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    say("reading admissions")
    raw = read_admissions(con)
    if raw.empty:
        raise InputError("the admissions table is empty; load an admissions extract first")
    raw, follow_up = complete_follow_up(raw, cutoff, death_lag_days)
    if raw.empty:
        raise InputError(f"no admission has complete follow-up: {follow_up.statement} Give a later --cutoff "
                         "or a shorter --death-lag-days if the death data allow")
    spells = prepare(raw)
    if focal_org is not None and focal_org not in set(spells["org_code"]):
        raise InputError(f"focal organisation {focal_org!r} has no admissions; "
                         f"present: {', '.join(sorted(spells['org_code'].unique())[:20])}")
    say("fitting the risk model")
    from wardwatch.stats.riskmodel import auc, calibration_by_level, calibration_table

    fit_used = "given model" if model is not None else fit
    if model is not None:
        fitted = model
        spells["expected"] = fitted.predict(spells)
    elif fit == "pooled" or spells["org_code"].nunique() < 2:
        fit_used = "pooled"  # one trust: nothing to leave out
        fitted = fit_risk_model(spells, "died")
        spells["expected"] = fitted.predict(spells)
    else:
        loo = fit_leave_one_out(spells, "died", progress=say)
        fitted = loo.model
        spells["expected"] = loo.expected

    calibration = calibration_table(spells["died"].to_numpy(), spells["expected"].to_numpy())
    c_stat = auc(spells["died"].to_numpy(), spells["expected"].to_numpy())
    if model is None:
        fitted.calibration = calibration
        fitted.c_statistic = c_stat
    calibration = calibration.assign(c_statistic=c_stat, fit=fit_used)
    levels = calibration_by_level(spells, spells["died"].to_numpy(), spells["expected"].to_numpy()).assign(fit=fit_used)

    say("SMR table")
    smr = smr_table(spells)

    sepsis = smr[(smr["diagnosis_group"] == "sepsis") & (smr["period"] == OVERALL)]
    funnel_sepsis = None
    sepsis = sepsis[_bandable(sepsis["expected"])]
    if len(sepsis) >= 3:
        funnel_sepsis = funnel(sepsis, "org_code", "observed", "expected", type="SR", method="shmi", od="additive")

    say("CUSUM thresholds")
    h_up, h_lo, thresholds = cusum_thresholds(spells, arl_years=arl_years, n_sim=n_sim, seed=seed, progress=progress)
    say("CUSUM charts")
    cres = run_cusums(spells, series=["org_code", "diagnosis_group"], date="admitted_at", risk="expected",
                      outcome="died", h_upper=h_up, h_lower=h_lo)
    alerts = cres.alerts.rename(columns={"observed": "observed_since_reset", "expected": "expected_since_reset"})

    files: dict[str, Path] = {}
    if out is None:  # results only (wardwatch refresh stores them in the warehouse)
        return MortalityResult(smr=smr, funnel_sepsis=funnel_sepsis, alerts=alerts, thresholds=thresholds,
                               calibration=calibration, model=fitted, cusum=cres, focal_org=focal_org,
                               follow_up=follow_up, fit=fit_used, calibration_levels=levels)
    files["smr"] = out / "smr.csv"
    write_csv(smr, files["smr"])
    if funnel_sepsis is not None:
        files["funnel_sepsis"] = out / "funnel_sepsis.csv"
        write_csv(funnel_sepsis.units, files["funnel_sepsis"])
    files["cusum_alerts"] = out / "cusum_alerts.csv"
    write_csv(alerts, files["cusum_alerts"])
    files["cusum_thresholds"] = out / "cusum_thresholds.csv"
    write_csv(thresholds, files["cusum_thresholds"])
    files["calibration"] = out / "calibration.csv"
    write_csv(calibration, files["calibration"])
    files["calibration_levels"] = out / "calibration_levels.csv"
    write_csv(levels, files["calibration_levels"])
    files["model"] = out / "model.json"
    fitted.save(files["model"])
    files["settings"] = out / "mortality_settings.json"
    files["settings"].write_text(json.dumps(settings_record(fit_used, follow_up), indent=1))

    if charts:
        say("drawing charts")
        files.update(_draw(out, funnel_sepsis, cres, alerts, focal_org))

    return MortalityResult(smr=smr, funnel_sepsis=funnel_sepsis, alerts=alerts, thresholds=thresholds,
                           calibration=calibration, model=fitted, cusum=cres, focal_org=focal_org, files=files,
                           follow_up=follow_up, fit=fit_used, calibration_levels=levels)


def settings_record(fit_used: str, follow_up: FollowUp) -> dict:
    """How the mortality results were made: fit, follow-up cut-off, what the bands and CUSUM risks are."""
    return {
        "fit": fit_used, "follow_up": follow_up.to_dict(), "statement": follow_up.statement,
        "bands": f"SHMI funnel method (log O/E, 10% truncation, additive tau2, 95%); {SCREENING_NOTE}; "
                 f"warning when fewer than {MIN_PEERS_FOR_BANDS} trusts are banded together",
        "cusum_risks": "the same expected risks as the SMRs" + (
            " (leave-one-trust-out: no chart is judged against a model fitted on its own outcomes)"
            if fit_used == "leave-one-trust-out" else "")}


def _draw(out: Path, funnel_sepsis: FunnelResult | None, cres: CusumResult, alerts: pd.DataFrame,
          focal_org: str | None) -> dict[str, Path]:
    files: dict[str, Path] = {}
    if funnel_sepsis is not None:
        path = out / "funnel_sepsis.svg"
        path.write_text(plot_funnel(funnel_sepsis, highlight=focal_org,
                                    title="Sepsis: standardised mortality ratio"))
        files["funnel_sepsis_svg"] = path
    chart_dir = out / "charts"
    series = alerts[["org_code", "diagnosis_group"]].drop_duplicates()
    if focal_org is not None:  # always draw the focal trust's sepsis charts, alert or not
        focal = pd.DataFrame({"org_code": [focal_org], "diagnosis_group": ["sepsis"]})
        series = pd.concat([series, focal]).drop_duplicates()
    if len(series):
        chart_dir.mkdir(exist_ok=True)
    for org, group in series.itertuples(index=False):
        if cres.series(org_code=org, diagnosis_group=group).empty:
            continue
        name = _safe(f"{org}_{group}")
        p1, p2 = chart_dir / f"cusum_{name}.svg", chart_dir / f"vlad_{name}.svg"
        p1.write_text(plot_cusum(cres, title=f"{org} {group}: risk-adjusted CUSUM",
                                 org_code=org, diagnosis_group=group))
        p2.write_text(plot_vlad(cres, title=f"{org} {group}: VLAD (expected - observed deaths)",
                                org_code=org, diagnosis_group=group))
        files[f"cusum_{name}"], files[f"vlad_{name}"] = p1, p2
    return files
