"""Inspection histories: dated inspections with service-level ratings, aggregated by their rule set.

The demo history (``demo_history()``) is the fictional focal trust ZFV of the synthetic world,
read from ``wardwatch/data/demo_inspections.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path

import pandas as pd
import yaml

from wardwatch.errors import InputError
from wardwatch.ratings.aggregate import RatingsResult, aggregate_ratings
from wardwatch.ratings.model import KEY_QUESTIONS, OVERALL, Framework, Rating, parse_key_question

_KQ = [kq.value for kq in KEY_QUESTIONS]


@dataclass(frozen=True)
class Inspection:
    id: str
    org_code: str
    published: date
    framework: Framework
    ruleset: str
    table: pd.DataFrame  # aggregate_ratings input (level, org, location, service, key_question, rating, enforcement)
    include_additional: bool | tuple[str, ...] = False
    published_trust: dict[str, str] = field(default_factory=dict)
    inspection_start: date | None = None
    inspection_end: date | None = None

    def aggregate(self, **options) -> RatingsResult:
        return aggregate_ratings(self.table, self.ruleset, include_additional=options.pop(
            "include_additional", self.include_additional), **options)


@dataclass(frozen=True)
class RatingsHistory:
    org_code: str
    name: str
    locations: dict[str, str]
    inspections: tuple[Inspection, ...]

    def latest(self) -> Inspection:
        return max(self.inspections, key=lambda i: i.published)

    def to_frame(self) -> pd.DataFrame:
        """All computed cells of all inspections, with inspection id, publication date and framework."""
        frames = []
        for inspection in self.inspections:
            f = inspection.aggregate().to_frame()
            f.insert(0, "inspection_id", inspection.id)
            f.insert(1, "publication_date", inspection.published)
            f.insert(2, "framework", inspection.framework.value)
            trust = f["level"] == "trust"
            f["published_rating"] = f["key_question"].map(inspection.published_trust).where(trust, None)
            frames.append(f)
        return pd.concat(frames, ignore_index=True)


def load_history(path: str | Path) -> RatingsHistory:
    """Read an inspection history YAML (format: ``wardwatch/data/demo_inspections.yaml``)."""
    doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return history_from_dict(doc, str(path))


def demo_history() -> RatingsHistory:
    """The synthetic focal trust ZFV: 2017 RI; 2019 RI with Safe Inadequate (docs/design.md)."""
    text = (resources.files("wardwatch") / "data" / "demo_inspections.yaml").read_text(encoding="utf-8")
    return history_from_dict(yaml.safe_load(text), "demo_inspections.yaml")


def history_from_dict(doc: dict, where: str) -> RatingsHistory:
    """A history from its parsed YAML (layout: ``wardwatch/data/demo_inspections.yaml``)."""
    try:
        provider = doc["provider"]
        org = str(provider["org_code"])
        inspections = []
        for item in doc["inspections"]:
            rows = []
            for svc in item.get("services", []):
                enforcement = svc.get("enforcement") or {}
                for kq, rating in zip(_KQ, svc["ratings"], strict=True):
                    rows.append({"level": "service", "org": org, "location": svc.get("location"),
                                 "service": svc["service"], "key_question": kq,
                                 "rating": Rating.parse(rating).value,
                                 "enforcement": enforcement.get(kq)})
            if item.get("trust_well_led") is not None:
                rows.append({"level": "trust", "org": org, "location": None, "service": None,
                             "key_question": "well_led", "rating": Rating.parse(item["trust_well_led"]).value,
                             "enforcement": None})
            additional = item.get("aggregate_additional", False)
            inspections.append(Inspection(
                id=str(item["id"]),
                org_code=org,
                published=_date(item["published"]),
                framework=Framework(item.get("framework", "kloe_2014")),
                ruleset=str(item.get("ruleset", "nhs_trust_2014")),
                table=pd.DataFrame(rows, columns=["level", "org", "location", "service", "key_question",
                                                  "rating", "enforcement"]),
                include_additional=additional if isinstance(additional, bool) else tuple(additional),
                published_trust={parse_key_question(k) if k != OVERALL else OVERALL: Rating.parse(v).value
                                 for k, v in (item.get("published_trust") or {}).items()},
                inspection_start=_date(item.get("inspection_start")),
                inspection_end=_date(item.get("inspection_end")),
            ))
        return RatingsHistory(org, str(provider.get("name", org)), dict(provider.get("locations", {})),
                              tuple(sorted(inspections, key=lambda i: i.published)))
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{where}: inspection history is malformed ({exc!r})") from None


def _date(value: object) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
