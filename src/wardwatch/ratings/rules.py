"""Versioned aggregation rule sets (YAML) and the pure functions that apply them.

Each rule carries its id, source URL and a verified flag (docs/methods.md 1.3, 1.4, 1.7); the
explanation of every aggregated rating names the rule that decided it, so an assumption
(``verified: false``) is never hidden.

Algorithm for the ordinal rule sets (docs/methods.md 1.3 "Proposed algorithm", 1.4), with n the number
of underlying ratings after dropping "Not rated" and X the threshold for n:
    nI >= X_inadequate                         -> Inadequate
    nRI >= X_requires_improvement              -> Requires improvement
    nI >= 1 (single-inadequate rule enabled)   -> Requires improvement
(the verified RI threshold is tried before the unverified single-Inadequate rule, so when both
fire the explanation cites the verified one; the result is the same)
    nO >= X_outstanding and nO + nG == n       -> Outstanding
    otherwise                                  -> Good
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from wardwatch.errors import InputError
from wardwatch.ratings.model import AggregatedRating, Rating

_NUMBER_WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"]


def number_word(n: int) -> str:
    return _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else str(n)


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str  # inadequate | single_inadequate | requires_improvement | outstanding | good
    verified: bool
    source: str
    min_n: int = 1
    max_n: int | None = None
    threshold: int = 1
    enabled: bool = True

    def covers(self, n: int) -> bool:
        return self.min_n <= n and (self.max_n is None or n <= self.max_n)

    def cite(self) -> str:
        return f"rule {self.id}, {'verified' if self.verified else 'UNVERIFIED'}, source {self.source}"


@dataclass(frozen=True)
class Limiter:
    id: str
    enforcement: str
    at_best: Rating
    verified: bool
    source: str


@dataclass(frozen=True)
class RuleSet:
    """An ordered, versioned set of aggregation rules read from ``rulesets/<id>.yaml``."""

    id: str
    version: str
    framework: str
    title: str
    rules: tuple[Rule, ...]
    limiters: tuple[Limiter, ...] = ()
    levels: Mapping[str, Any] = field(default_factory=dict)
    raw: Mapping[str, Any] = field(default_factory=dict)

    def rule(self, kind: str, n: int) -> Rule | None:
        for rule in self.rules:
            if rule.kind == kind and rule.enabled and rule.covers(n):
                return rule
        return None

    def level_option(self, name: str, key: str = "value", default: Any = None) -> Any:
        return (self.levels.get(name) or {}).get(key, default)

    def with_changes(self, **thresholds: int | bool) -> RuleSet:
        """A copy with rule thresholds or flags changed, e.g. ``with_changes(**{"RI-4-8": 3})``
        or ``with_changes(**{"RI-SINGLE-INADEQUATE": False})`` (configurable, docs/methods.md 1.3)."""
        rules = []
        for rule in self.rules:
            if rule.id in thresholds:
                value = thresholds[rule.id]
                if isinstance(value, bool):
                    rule = Rule(**{**rule.__dict__, "enabled": value})
                else:
                    rule = Rule(**{**rule.__dict__, "threshold": int(value)})
            rules.append(rule)
        unknown = set(thresholds) - {r.id for r in self.rules}
        if unknown:
            raise InputError(f"unknown rule id(s) {sorted(unknown)} for rule set {self.id}")
        return RuleSet(self.id, self.version, self.framework, self.title, tuple(rules), self.limiters,
                       self.levels, self.raw)


def available_rulesets() -> list[str]:
    folder = resources.files("wardwatch.ratings") / "rulesets"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_ruleset(name_or_path: str | Path = "nhs_trust_2014") -> RuleSet:
    """Load a rule set by id (shipped under ``wardwatch/ratings/rulesets``) or from a YAML path."""
    if isinstance(name_or_path, RuleSet):
        return name_or_path
    path = Path(str(name_or_path))
    if path.suffix in {".yaml", ".yml"} and path.exists():
        if not path.is_file():
            raise InputError(f"rule set {path} is not a file; give a YAML file")
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            first = " ".join(str(exc).split())
            raise InputError(f"rule set {path} is not valid YAML ({first})") from None
        if not isinstance(doc, Mapping):
            raise InputError(f"rule set {path} must be a YAML mapping (id, version, rules, ...); "
                             "see wardwatch/ratings/rulesets/*.yaml")
        return _parse(doc, str(path))
    return _load_shipped(str(name_or_path))


@cache
def _load_shipped(name: str) -> RuleSet:
    resource = resources.files("wardwatch.ratings") / "rulesets" / f"{name}.yaml"
    if not resource.is_file():
        raise InputError(
            f"unknown rule set {name!r}: use one of {', '.join(available_rulesets())} or a path to a YAML file"
        )
    return _parse(yaml.safe_load(resource.read_text()), name)


def _parse(doc: Mapping[str, Any], where: str) -> RuleSet:
    try:
        rules = tuple(
            Rule(
                id=str(r["id"]),
                kind=str(r["kind"]),
                verified=bool(r["verified"]),
                source=str(r["source"]),
                min_n=int(r.get("min_n") or 1),
                max_n=None if r.get("max_n") is None else int(r["max_n"]),
                threshold=int(r.get("threshold") or 1),
                enabled=bool(r.get("enabled", True)),
            )
            for r in doc.get("rules", [])
        )
        limiters = tuple(
            Limiter(str(x["id"]), str(x["enforcement"]), Rating.parse(x["at_best"]), bool(x["verified"]),
                    str(x["source"]))
            for x in doc.get("limiters", [])
            if "enforcement" in x
        )
        return RuleSet(
            id=str(doc["id"]),
            version=str(doc["version"]),
            framework=str(doc["framework"]),
            title=str(doc.get("title", "")),
            rules=rules,
            limiters=limiters,
            levels=copy.deepcopy(doc.get("levels", {})),
            raw=copy.deepcopy(dict(doc)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"rule set {where} is malformed ({exc!r}): see wardwatch/ratings/rulesets/*.yaml") from exc


# ---------------------------------------------------------------------------------------------
# Ordinal aggregation (KLOE and combined UoR)
# ---------------------------------------------------------------------------------------------

_PHRASE = {
    Rating.INADEQUATE: "inadequate",
    Rating.REQUIRES_IMPROVEMENT: "requires improvement",
    Rating.GOOD: "good",
    Rating.OUTSTANDING: "outstanding",
}


def _plural(noun: str, n: int) -> str:
    if n == 1:
        return noun[:-1] if noun.endswith("s") and not noun.endswith("ss") else noun
    return noun


def aggregate_list(
    ratings: Iterable[Rating | str],
    ruleset: RuleSet | str = "nhs_trust_2014",
    noun: str = "ratings",
) -> AggregatedRating:
    """Aggregate underlying ratings with an ordinal rule set (docs/methods.md 1.3 / 1.4).

    ``noun`` names what is aggregated in the explanation ("key questions", "services", ...).
    """
    rs = load_ruleset(ruleset) if not isinstance(ruleset, RuleSet) else ruleset
    parsed = [Rating.parse(r) for r in ratings]
    rated = [r for r in parsed if r is not Rating.NOT_RATED]
    n = len(rated)
    counts = {r.short: rated.count(r) for r in (Rating.OUTSTANDING, Rating.GOOD,
                                               Rating.REQUIRES_IMPROVEMENT, Rating.INADEQUATE)}
    n_i, n_ri, n_o, n_g = counts["I"], counts["RI"], counts["O"], counts["G"]
    among = f"among {number_word(n)}"
    if n == 0:
        return AggregatedRating(Rating.NOT_RATED, "NO-RATINGS", True, "docs/methods.md 1.1",
                                f"no rated {noun} ⇒ not rated", 0, counts)

    def result(rating: Rating, rule: Rule, what: str, extra: str = "") -> AggregatedRating:
        text = f"{what} {among}{extra} ⇒ {_PHRASE[rating]} ({rule.cite()})"
        return AggregatedRating(rating, rule.id, rule.verified, rule.source, text, n, counts)

    def rated_as(k: int, rating: Rating) -> str:
        return f"{number_word(k)} {_plural(noun, k)} rated {_PHRASE[rating]}"

    rule = rs.rule("inadequate", n)
    if rule and n_i >= rule.threshold:
        return result(Rating.INADEQUATE, rule, rated_as(n_i, Rating.INADEQUATE),
                      f" (threshold {rule.threshold})")
    rule_ri = rs.rule("requires_improvement", n)
    if rule_ri and n_ri >= rule_ri.threshold:
        extra = f" (threshold {rule_ri.threshold})"
        if n_i:
            extra += f", and {number_word(n_i)} inadequate"
        return result(Rating.REQUIRES_IMPROVEMENT, rule_ri, rated_as(n_ri, Rating.REQUIRES_IMPROVEMENT), extra)
    rule = rs.rule("single_inadequate", n)
    if rule and n_i >= 1:
        return result(Rating.REQUIRES_IMPROVEMENT, rule, rated_as(n_i, Rating.INADEQUATE),
                      " (fewer than the Inadequate threshold)")
    rule = rs.rule("outstanding", n)
    if rule and n_o >= rule.threshold and n_o + n_g == n:
        return result(Rating.OUTSTANDING, rule, rated_as(n_o, Rating.OUTSTANDING),
                      f" (threshold {rule.threshold}), the rest good")
    rule = rs.rule("good", n)
    if rule is None:
        raise InputError(f"rule set {rs.id} has no 'good' default rule")
    parts = []
    if n_o:
        need = rs.rule("outstanding", n)
        reason = ("too few for Outstanding" if need and n_o < need.threshold
                  else "Outstanding ruled out by a lower rating")
        parts.append(f"{rated_as(n_o, Rating.OUTSTANDING)} {among} ({reason})")
    if n_ri:
        parts.append(f"{rated_as(n_ri, Rating.REQUIRES_IMPROVEMENT)} {among} (fewer than "
                     f"{rule_ri.threshold if rule_ri else '?'})")
    if not parts:
        parts.append(f"{rated_as(n_g, Rating.GOOD)} {among}")
    text = f"{'; '.join(parts)} ⇒ good ({rule.cite()})"
    return AggregatedRating(Rating.GOOD, rule.id, rule.verified, rule.source, text, n, counts)


def apply_limiter(
    rating: Rating | str, enforcement: str | None, ruleset: RuleSet | str = "nhs_trust_2014"
) -> AggregatedRating | None:
    """Enforcement limiter at key question x service (docs/methods.md 1.3): a requirement notice makes the
    rating Requires improvement at best; enforcement action (warning notice, condition) makes it
    Inadequate. Returns None when no limiter applies or it does not change the rating."""
    if enforcement is None or (isinstance(enforcement, float) and math.isnan(enforcement)) or not str(enforcement):
        return None
    rs = load_ruleset(ruleset) if not isinstance(ruleset, RuleSet) else ruleset
    key = str(enforcement).strip().lower().replace(" ", "_").replace("-", "_")
    aliases = {"warning_notice": "enforcement_action", "condition": "enforcement_action",
               "conditions": "enforcement_action", "rn": "requirement_notice"}
    key = aliases.get(key, key)
    limiter = next((x for x in rs.limiters if x.enforcement == key), None)
    if limiter is None:
        raise InputError(
            f"unknown enforcement {enforcement!r}: use requirement_notice or enforcement_action"
        )
    current = Rating.parse(rating)
    if current is Rating.NOT_RATED or current.score <= limiter.at_best.score:
        return None
    text = (f"{key.replace('_', ' ')} limits {_PHRASE[current]} to {_PHRASE[limiter.at_best]} at best "
            f"(rule {limiter.id}, {'verified' if limiter.verified else 'UNVERIFIED'}, source {limiter.source})")
    return AggregatedRating(limiter.at_best, limiter.id, limiter.verified, limiter.source, text, 1, {})


# ---------------------------------------------------------------------------------------------
# Single Assessment Framework (docs/methods.md 1.7)
# ---------------------------------------------------------------------------------------------

def _round_pct(pct: float, method: str) -> float:
    if method == "half_up":
        return math.floor(pct + 0.5 + 1e-9)
    if method == "floor":
        return math.floor(pct + 1e-9)
    if method == "none":
        return pct
    raise InputError(f"unknown SAF rounding {method!r}: use half_up, floor or none")


def saf_band(pct: float, ruleset: RuleSet | str = "saf_2023", rounding: str | None = None) -> tuple[Rating, str]:
    """Rating for a percentage by the SAF bands (88–100 O, 63–87 G, 39–62 RI, ≤38 I)."""
    rs = load_ruleset(ruleset) if not isinstance(ruleset, RuleSet) else ruleset
    method = rounding or rs.raw["rounding"]["method"]
    value = _round_pct(pct, method)
    for band in sorted(rs.raw["bands"], key=lambda b: -float(b["min_pct"])):
        if value >= float(band["min_pct"]):
            return Rating.parse(band["rating"]), str(band["id"])
    raise AssertionError("bands must include a 0% lower bound")


def saf_key_question(
    scores: Iterable[int | float],
    ruleset: RuleSet | str = "saf_2023",
    rounding: str | None = None,
    noun: str = "quality statements",
) -> AggregatedRating:
    """Key question rating from its quality statement scores (1–4), by percentage band (docs/methods.md 1.7).

    percentage = 100 * sum(scores) / (4 * number of statements scored); rounding at band edges and
    the optional limiters are configured in ``saf_2023.yaml`` (UNVERIFIED)."""
    rs = load_ruleset(ruleset) if not isinstance(ruleset, RuleSet) else ruleset
    values = [float(s) for s in scores if s is not None and not (isinstance(s, float) and math.isnan(s))]
    lo, hi = float(rs.raw["scores"]["min"]), float(rs.raw["scores"]["max"])
    bad = [s for s in values if not (lo <= s <= hi)]
    if bad:
        raise InputError(f"SAF scores must be between {lo:g} and {hi:g}; got {bad}")
    if not values:
        return AggregatedRating(Rating.NOT_RATED, "NO-RATINGS", True, "docs/methods.md 1.7",
                                f"no scored {noun} ⇒ not rated", 0, {})
    pct = 100.0 * sum(values) / (hi * len(values))
    method = rounding or rs.raw["rounding"]["method"]
    rating, band_id = saf_band(pct, rs, method)
    band = next(b for b in rs.raw["bands"] if b["id"] == band_id)
    rounding_cfg = rs.raw["rounding"]
    text = (f"{number_word(len(values))} {_plural(noun, len(values))} scoring {sum(values):g} of "
            f"{hi * len(values):g} = {pct:.1f}% ⇒ {_PHRASE[rating]} (rule {band_id}, "
            f"{'verified' if band['verified'] else 'UNVERIFIED'}, source {band['source']}; "
            f"rounding {method}, {'verified' if rounding_cfg['verified'] else 'UNVERIFIED'})")
    verified = bool(band["verified"]) and bool(rounding_cfg["verified"])
    result = AggregatedRating(rating, band_id, verified, str(band["source"]), text, len(values),
                              {"percent": round(pct, 4)})
    for limiter in rs.raw.get("limiters", []):
        if not limiter.get("enabled"):
            continue
        cap = Rating.parse(limiter["at_best"])
        if any(s <= float(limiter["any_statement_score"]) for s in values) and rating.score > cap.score:
            text += (f"; a statement scored {limiter['any_statement_score']} limits it to {_PHRASE[cap]} "
                     f"(rule {limiter['id']}, UNVERIFIED, source {limiter['source']})")
            result = AggregatedRating(cap, str(limiter["id"]), False, str(limiter["source"]), text,
                                      len(values), {"percent": round(pct, 4)})
            rating = cap
    return result


def saf_overall(key_question_ratings: Iterable[Rating | str], ruleset: RuleSet | str = "saf_2023",
                rounding: str | None = None) -> AggregatedRating:
    """Overall SAF rating: key question ratings scored I=1, RI=2, G=3, O=4, banded like statements
    (UNVERIFIED, docs/methods.md 1.7)."""
    parsed = [Rating.parse(r) for r in key_question_ratings]
    scores = [r.score + 1 for r in parsed if r is not Rating.NOT_RATED]
    out = saf_key_question(scores, ruleset, rounding, noun="key questions")
    rs = load_ruleset(ruleset) if not isinstance(ruleset, RuleSet) else ruleset
    cfg = rs.raw["overall"]
    text = out.explanation.replace("⇒", f"(key question ratings scored 1-4; {cfg['id']}, UNVERIFIED) ⇒", 1)
    return AggregatedRating(out.rating, out.rule_id, False, out.source, text, out.n, out.counts)
