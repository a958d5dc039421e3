"""Multi-level aggregation: service → location → trust (docs/methods.md 1.2, 1.3, 1.5, 1.6).

Input: one row per rated cell, columns (case-insensitive; synonyms in brackets)
    level         service | location | trust          (default: service if a service is given, else trust)
    org           trust code                            [org_code, provider]
    location      location (hospital) code              [site, site_code]; blank = the trust's only location
    service       core service code or CQC label        [core_service, service_population_group]
    key_question  Safe | Effective | Caring | Responsive | Well-led | Overall | Use of resources
    rating        Outstanding | Good | Requires improvement | Inadequate | Not rated (or O/G/RI/I/NR, 0-3)
    enforcement   optional: requirement_notice | enforcement_action (service rows: the limiter)

Cells are computed from the lowest level present: a trust's key questions are aggregated from
its locations when service rows are given, else the trust rows are used as given. Trust-level
well-led is never aggregated (it comes from the trust row ``key_question = Well-led``). When an
input row also exists for a computed cell, it is kept as ``input_rating`` so that published and
computed ratings can be compared.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from wardwatch.errors import InputError
from wardwatch.ratings.model import (
    KEY_QUESTIONS,
    OVERALL,
    AggregatedRating,
    CoreService,
    Level,
    Rating,
    parse_key_question,
)
from wardwatch.ratings.overrides import Override
from wardwatch.ratings.rules import RuleSet, aggregate_list, apply_limiter, load_ruleset

USE_OF_RESOURCES = "use_of_resources"
COMBINED = "combined"
OUTPUT_COLUMNS = ["level", "org", "location", "service", "key_question", "rating", "rule_id", "verified",
                  "source", "explanation", "input_rating"]

_SYNONYMS = {
    "org_code": "org", "provider": "org", "provider_code": "org", "trust": "org",
    "site": "location", "site_code": "location", "location_code": "location",
    "core_service": "service", "service_population_group": "service",
    "kq": "key_question", "domain": "key_question",
}
_KQ = [kq.value for kq in KEY_QUESTIONS]


@dataclass(frozen=True)
class RatingsResult:
    """Every rating cell, given and computed, with the rule and explanation behind each."""

    frame: pd.DataFrame
    ruleset: str
    overrides_applied: tuple[Override, ...] = field(default_factory=tuple)

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()

    def get(self, org: str, level: str = "trust", key_question: str = OVERALL,
            location: str | None = None, service: str | None = None) -> pd.Series:
        f = self.frame
        kq = key_question if key_question in (COMBINED, USE_OF_RESOURCES) else parse_key_question(key_question)
        mask = (f.org == org) & (f.level == level) & (f.key_question == kq)
        mask &= f.location.isna() if location is None else (f.location == location)
        mask &= f.service.isna() if service is None else (f.service == service)
        rows = f[mask]
        if rows.empty:
            raise KeyError(f"no {level} {key_question} rating for {org} {location or ''} {service or ''}")
        return rows.iloc[0]

    def rating(self, org: str, level: str = "trust", key_question: str = OVERALL,
               location: str | None = None, service: str | None = None) -> str:
        return str(self.get(org, level, key_question, location, service)["rating"])


def _read_table(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(f"{path}: no such file; give a ratings table CSV")
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: the file is empty; give a ratings table CSV with a header row") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        first = " ".join(str(exc).split())
        raise InputError(f"{path}: not a readable CSV ({first}); save it as UTF-8 CSV") from None


def normalise_input(table: pd.DataFrame | str | Path) -> pd.DataFrame:
    """Rename synonyms, parse ratings and key questions, fill level; errors name the row."""
    frame = _read_table(Path(table)) if isinstance(table, (str, Path)) else table.copy()
    frame.columns = [_SYNONYMS.get(c.strip().lower(), c.strip().lower()) for c in frame.columns]
    for required in ("org", "key_question", "rating"):
        if required not in frame.columns:
            raise InputError(
                f"ratings table has no {required!r} column: expected columns level, org, location, service, "
                "key_question, rating (see docs/guide/ratings.md)"
            )
    for optional in ("level", "location", "service", "enforcement"):
        if optional not in frame.columns:
            frame[optional] = None
    out = []
    for i, row in enumerate(frame.to_dict("records"), start=2):
        where = f"row {i}"
        service = _blank(row.get("service"))
        if service is not None and service.strip().lower() == "overall":
            service = None  # CQC export: service_population_group "Overall" = the provider rating
        location = _blank(row.get("location"))
        level_value = _blank(row.get("level"))
        if level_value is None:
            level = Level.SERVICE if service else (Level.LOCATION if location else Level.TRUST)
        else:
            level = Level.parse(level_value, where)
        kq_text = str(row["key_question"]).strip().lower().replace("-", "_").replace(" ", "_")
        if kq_text in {"use_of_resources", "uor"}:
            key_question = USE_OF_RESOURCES
        elif kq_text == COMBINED:
            key_question = COMBINED
        else:
            key_question = parse_key_question(row["key_question"], where)
        if level is Level.SERVICE and service is None:
            raise InputError(f"{where}: a service-level rating needs a service")
        if service is not None:
            parsed = CoreService.parse(service)
            service = parsed.value if parsed else service
        out.append({
            "level": level.value,
            "org": str(row["org"]).strip(),
            "location": location if level is not Level.TRUST else None,
            "service": service if level is Level.SERVICE else None,
            "key_question": key_question,
            "rating": Rating.parse(row["rating"], where).value,
            "enforcement": _blank(row.get("enforcement")),
        })
    return pd.DataFrame(out, columns=["level", "org", "location", "service", "key_question", "rating",
                                      "enforcement"])


def _blank(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def aggregate_ratings(
    table: pd.DataFrame | str | Path,
    ruleset: RuleSet | str = "nhs_trust_2014",
    *,
    include_additional: bool | Iterable[str] | None = None,
    trust_from: str | None = None,
    overrides: Iterable[Override] = (),
    combined_ruleset: RuleSet | str = "combined_uor_2018",
) -> RatingsResult:
    """Aggregate a ratings table service → location → trust by a rule set (docs/methods.md 1.2–1.6).

    ``include_additional``: aggregate additional services (diagnostic imaging, gynaecology) too;
    True/False for all, or a list of service codes; default from the rule set (False).
    ``trust_from``: "location" (default from the rule set) or "service" for the trust's S/E/C/R.
    ``overrides``: human overrides (with reasons), applied to their cell before aggregating upward.
    A trust row ``key_question = Use of resources`` adds the combined rating (docs/methods.md 1.4).
    """
    rs = load_ruleset(ruleset) if not isinstance(ruleset, RuleSet) else ruleset
    frame = normalise_input(table)
    if include_additional is None:
        include_additional = bool(rs.level_option("additional_services", "aggregate_additional", False))
    if isinstance(include_additional, bool):
        included_extra = {c.value for c in CoreService if c.additional} if include_additional else set()
    else:
        included_extra = {CoreService.parse(s).value if CoreService.parse(s) else s for s in include_additional}
    trust_from = trust_from or rs.level_option("trust_key_questions_from", "value", "location")
    if trust_from not in {"location", "service"}:
        raise InputError(f"trust_from must be 'location' or 'service', not {trust_from!r}")
    override_map = {o.cell: o for o in overrides}
    applied: list[Override] = []
    rows: list[dict] = []

    def emit(level: str, org: str, location: str | None, service: str | None, kq: str,
             result: AggregatedRating, source: str, input_rating: str | None) -> str:
        cell = (level, org, location, service, kq)
        rating, rule_id, verified, explanation = result.rating.value, result.rule_id, result.verified, result.explanation
        override = override_map.get(cell)
        if override is not None:
            applied.append(override)
            explanation = (f"override by {override.who} on {override.when}: {rating} → {override.to_rating} "
                           f"because {override.reason} (computed: {explanation})")
            rating, rule_id, verified, source = override.to_rating, "OVERRIDE", False, "override"
        rows.append({"level": level, "org": org, "location": location, "service": service,
                     "key_question": kq, "rating": rating, "rule_id": rule_id, "verified": verified,
                     "source": source, "explanation": explanation, "input_rating": input_rating})
        return rating

    def given(rating: str, what: str) -> AggregatedRating:
        return AggregatedRating(Rating.parse(rating), "INPUT", True, "input", f"{what}: as given in the input")

    Cells = dict[str, tuple[str, str | None]]  # key question -> (rating, enforcement); first row wins

    def lookup(cells: Cells, kq: str) -> str | None:
        hit = cells.get(kq)
        return None if hit is None else hit[0]

    # one pass over the rows into plain dicts: the per-cell logic below then costs no DataFrame scans
    by_org: dict[str, tuple[dict[tuple[str, str], Cells], dict[str, Cells], Cells]] = {}
    for r in frame.to_dict("records"):
        services_o, locations_o, trust_o = by_org.setdefault(r["org"], ({}, {}, {}))
        cell = (r["rating"], r["enforcement"])
        if r["level"] == Level.SERVICE.value:
            services_o.setdefault((r["location"] or r["org"], r["service"]), {}).setdefault(r["key_question"], cell)
        elif r["level"] == Level.LOCATION.value:
            locations_o.setdefault(r["location"], {}).setdefault(r["key_question"], cell)
        else:
            trust_o.setdefault(r["key_question"], cell)

    for org in sorted(by_org):
        services_in, locations_in, trust_in = by_org[org]
        location_codes = sorted({loc for loc, _ in services_in} | {loc for loc in locations_in if loc})
        single_location = len(location_codes) == 1
        trust_well_led = lookup(trust_in, "well_led")

        # levels 1 and 2: service key questions (with limiters) and service overall
        service_kq: dict[tuple[str, str], dict[str, str]] = {}
        for (location, service), cells in sorted(services_in.items()):
            ratings: dict[str, str] = {}
            for kq in _KQ:
                if kq not in cells:
                    continue
                base, enforcement = cells[kq]
                limited = apply_limiter(base, enforcement, rs)
                if limited is not None:
                    ratings[kq] = emit("service", org, location, service, kq, limited, "limiter", base)
                else:
                    ratings[kq] = emit("service", org, location, service, kq,
                                       given(base, f"{service} {kq}"), "input", base)
            noun = "key questions"
            result = aggregate_list([ratings.get(k, Rating.NOT_RATED) for k in _KQ], rs, noun)
            emit("service", org, location, service, OVERALL, result, "aggregated", lookup(cells, OVERALL))
            service_kq[(location, service)] = ratings

        def counts_in_aggregate(service: str) -> bool:
            code = CoreService.parse(service)
            if code is None or not code.additional:
                return True
            return code.value in included_extra

        # levels 3 and 4: location key questions and location overall
        location_kq: dict[str, dict[str, str]] = {}
        for location in location_codes:
            loc_given = locations_in.get(location, {})
            members = {svc: r for (loc, svc), r in service_kq.items() if loc == location}
            included = {svc: r for svc, r in members.items() if counts_in_aggregate(svc)}
            excluded = sorted(set(members) - set(included))
            ratings = {}
            for kq in _KQ:
                if kq == "well_led" and single_location and trust_well_led is not None:
                    cfg = rs.levels.get("single_location_well_led", {})
                    result = AggregatedRating(
                        Rating.parse(trust_well_led), cfg.get("id", "WELL-LED-SINGLE-LOCATION"), True,
                        cfg.get("source", ""),
                        f"single-location trust: location well-led = trust-level well-led "
                        f"(rule {cfg.get('id')}, verified, source {cfg.get('source')})")
                    ratings[kq] = emit("location", org, location, None, kq, result, "trust well-led",
                                       lookup(loc_given, kq))
                elif included:
                    result = aggregate_list([r.get(kq, Rating.NOT_RATED) for r in included.values()], rs,
                                            "services")
                    if excluded:
                        result = _note(result, f"; additional services not aggregated: {', '.join(excluded)} "
                                               f"(rule ADDITIONAL-NOT-AGGREGATED)")
                    ratings[kq] = emit("location", org, location, None, kq, result, "aggregated",
                                       lookup(loc_given, kq))
                elif lookup(loc_given, kq) is not None:
                    ratings[kq] = emit("location", org, location, None, kq,
                                       given(lookup(loc_given, kq), f"{location} {kq}"), "input",
                                       lookup(loc_given, kq))
            if ratings:
                result = aggregate_list([ratings.get(k, Rating.NOT_RATED) for k in _KQ], rs, "key questions")
                emit("location", org, location, None, OVERALL, result, "aggregated", lookup(loc_given, OVERALL))
                location_kq[location] = ratings

        # levels 5 and 6: trust key questions (well-led assessed, never aggregated) and trust overall
        trust_ratings: dict[str, str] = {}
        for kq in _KQ:
            if kq == "well_led":
                cfg = rs.levels.get("well_led", {})
                if trust_well_led is None:
                    result = AggregatedRating(Rating.NOT_RATED, cfg.get("id", "WELL-LED-TRUST-ASSESSED"), True,
                                              cfg.get("source", ""),
                                              "trust-level well-led not supplied: it comes from the separate "
                                              "trust-level well-led assessment and is never aggregated "
                                              f"(rule {cfg.get('id')}, verified, source {cfg.get('source')})")
                else:
                    result = AggregatedRating(Rating.parse(trust_well_led), cfg.get("id", "WELL-LED-TRUST-ASSESSED"),
                                              True, cfg.get("source", ""),
                                              "trust-level well-led as assessed (never aggregated from services "
                                              f"or locations; rule {cfg.get('id')}, verified, source {cfg.get('source')})")
                trust_ratings[kq] = emit("trust", org, None, None, kq, result, "assessed", trust_well_led)
                continue
            if trust_from == "service" and service_kq:
                underlying = [r.get(kq, Rating.NOT_RATED) for (loc, svc), r in service_kq.items()
                              if counts_in_aggregate(svc)]
                noun = "services"
            else:
                underlying = [r.get(kq, Rating.NOT_RATED) for r in location_kq.values()]
                noun = "locations"
            if underlying:
                result = aggregate_list(underlying, rs, noun)
                trust_ratings[kq] = emit("trust", org, None, None, kq, result, "aggregated", lookup(trust_in, kq))
            elif lookup(trust_in, kq) is not None:
                trust_ratings[kq] = emit("trust", org, None, None, kq, given(lookup(trust_in, kq), f"trust {kq}"),
                                         "input", lookup(trust_in, kq))
        if trust_ratings:
            result = aggregate_list([trust_ratings.get(k, Rating.NOT_RATED) for k in _KQ], rs, "key questions")
            overall = emit("trust", org, None, None, OVERALL, result, "aggregated", lookup(trust_in, OVERALL))
            uor = lookup(trust_in, USE_OF_RESOURCES)
            if uor is not None:
                emit("trust", org, None, None, USE_OF_RESOURCES, given(uor, "use of resources"), "input", uor)
                combined = aggregate_list([*(trust_ratings.get(k, Rating.NOT_RATED) for k in _KQ), uor],
                                          combined_ruleset, "ratings (five quality key questions and use of "
                                          "resources)")
                emit("trust", org, None, None, COMBINED, combined, "aggregated", lookup(trust_in, COMBINED))
            del overall

    unknown = set(override_map) - {o.cell for o in applied}
    if unknown:
        raise InputError(f"override(s) for cells not in the result: {sorted(map(str, unknown))}")
    result_frame = pd.DataFrame(rows, columns=OUTPUT_COLUMNS)
    return RatingsResult(result_frame, rs.id, tuple(applied))


def _note(result: AggregatedRating, note: str) -> AggregatedRating:
    return AggregatedRating(result.rating, result.rule_id, result.verified, result.source,
                            result.explanation + note, result.n, result.counts)
