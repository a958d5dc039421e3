"""The CQC ratings model: key questions, the rating scale, core services, levels and frameworks.

Sources (docs/methods.md section 1):
- 1.1 five key questions and the four-point scale plus "Not rated"
  (https://www.cqc.org.uk/guidance-providers/nhs-trusts/your-ratings-nhs-trusts).
- 1.2 levels of rating for NHS trusts (https://gl-cqc.axis12.com/node/2611).
- 1.5 frameworks over time (KLOE 2014–2023, combined with Use of Resources from March 2018,
  Single Assessment Framework from 2023 and the 2024 trust well-led-only regime).
- 1.6 acute core services, additional services (diagnostic imaging, gynaecology) and legacy names.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from enum import Enum

from wardwatch.errors import InputError
from wardwatch.vocabulary import KEY_QUESTION_LABELS, OVERALL


class Rating(str, Enum):
    """CQC four-point scale plus "Not rated" (docs/methods.md 1.1)."""

    OUTSTANDING = "Outstanding"
    GOOD = "Good"
    REQUIRES_IMPROVEMENT = "Requires improvement"
    INADEQUATE = "Inadequate"
    NOT_RATED = "Not rated"

    @property
    def score(self) -> int | None:
        """0 = Inadequate .. 3 = Outstanding (the scale of CQC's ratings export); None if not rated."""
        return _SCORE.get(self)

    @property
    def short(self) -> str:
        return _SHORT[self]

    @classmethod
    def parse(cls, value: object, where: str = "") -> Rating:
        """Read a rating from its label, abbreviation (O/G/RI/I/NR) or export score (0..3)."""
        if isinstance(value, Rating):
            return value
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return cls.NOT_RATED
        if isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer():
            for rating, score in _SCORE.items():
                if score == int(value):
                    return rating
        text = re.sub(r"[\s_\-]+", " ", str(value).strip().lower())
        found = _ALIASES.get(text)
        if found is None:
            raise InputError(
                f"unknown rating {value!r}{' in ' + where if where else ''}: use Outstanding, Good, "
                "Requires improvement, Inadequate or Not rated (or O/G/RI/I/NR, or a score 0-3)"
            )
        return found


_SCORE = {
    Rating.INADEQUATE: 0,
    Rating.REQUIRES_IMPROVEMENT: 1,
    Rating.GOOD: 2,
    Rating.OUTSTANDING: 3,
}
_SHORT = {
    Rating.OUTSTANDING: "O",
    Rating.GOOD: "G",
    Rating.REQUIRES_IMPROVEMENT: "RI",
    Rating.INADEQUATE: "I",
    Rating.NOT_RATED: "NR",
}
_ALIASES: dict[str, Rating] = {}
for _r in Rating:
    _ALIASES[_r.value.lower()] = _r
    _ALIASES[_SHORT[_r].lower()] = _r
    _ALIASES[str(_SCORE.get(_r, "nr"))] = _r
_ALIASES.update(
    {
        "requires improvement": Rating.REQUIRES_IMPROVEMENT,
        "requires improvements": Rating.REQUIRES_IMPROVEMENT,
        "ri": Rating.REQUIRES_IMPROVEMENT,
        "not rated": Rating.NOT_RATED,
        "not applicable": Rating.NOT_RATED,
        "insufficient evidence to rate": Rating.NOT_RATED,
        "no rating": Rating.NOT_RATED,
        "not yet rated": Rating.NOT_RATED,
        "n/a": Rating.NOT_RATED,
        "": Rating.NOT_RATED,
        "nan": Rating.NOT_RATED,
        "none": Rating.NOT_RATED,
    }
)


class KeyQuestion(str, Enum):
    """The five key questions (docs/methods.md 1.1); values match the indicator registry's ``key_questions``."""

    SAFE = "safe"
    EFFECTIVE = "effective"
    CARING = "caring"
    RESPONSIVE = "responsive"
    WELL_LED = "well_led"

    @property
    def label(self) -> str:
        return KEY_QUESTION_LABELS[self.value]

    @classmethod
    def parse(cls, value: object, where: str = "") -> KeyQuestion:
        text = re.sub(r"[\s\-]+", "_", str(value).strip().lower())
        for kq in cls:
            if text == kq.value:
                return kq
        raise InputError(
            f"unknown key question {value!r}{' in ' + where if where else ''}: use Safe, Effective, "
            "Caring, Responsive or Well-led"
        )


KEY_QUESTIONS: tuple[KeyQuestion, ...] = tuple(KeyQuestion)


def parse_key_question(value: object, where: str = "") -> str:
    """Return ``"safe"`` .. ``"well_led"`` or ``"overall"``."""
    if str(value).strip().lower() == OVERALL:
        return OVERALL
    return KeyQuestion.parse(value, where).value


@dataclass(frozen=True)
class ServiceInfo:
    code: str
    label: str
    additional: bool = False
    aggregate_default: bool = True
    legacy: bool = False
    aliases: tuple[str, ...] = ()


class CoreService(str, Enum):
    """Acute hospital services (docs/methods.md 1.6).

    Eight core services; diagnostic imaging and gynaecology are *additional* services that are
    rated but in a non-specialist trust are not usually aggregated (``aggregate_default=False``);
    ``OUTPATIENTS_AND_DI`` and ``MATERNITY_AND_GYNAECOLOGY`` are the pre-2018 core-service names.
    """

    UEC = "UEC"
    MEDICAL = "MEDICAL"
    SURGERY = "SURGERY"
    CRITICAL_CARE = "CRITICAL_CARE"
    MATERNITY = "MATERNITY"
    CYP = "CYP"
    EOLC = "EOLC"
    OUTPATIENTS = "OUTPATIENTS"
    DIAGNOSTIC_IMAGING = "DIAGNOSTIC_IMAGING"
    GYNAECOLOGY = "GYNAECOLOGY"
    OUTPATIENTS_AND_DI = "OUTPATIENTS_AND_DI"
    MATERNITY_AND_GYNAECOLOGY = "MATERNITY_AND_GYNAECOLOGY"

    @property
    def info(self) -> ServiceInfo:
        return SERVICES[self.value]

    @property
    def additional(self) -> bool:
        return self.info.additional

    @property
    def aggregate_default(self) -> bool:
        return self.info.aggregate_default

    @classmethod
    def parse(cls, value: object) -> CoreService | None:
        """The enum member for a code or CQC label, or None for services outside the acute list."""
        text = _norm(value)
        return _SERVICE_ALIASES.get(text)


def _norm(value: object) -> str:
    return re.sub(r"[^a-z0-9]+", " ", str(value).lower()).strip()


SERVICES: dict[str, ServiceInfo] = {
    s.code: s
    for s in (
        ServiceInfo("UEC", "Urgent and emergency services",
                    aliases=("urgent and emergency care", "emergency and urgent care", "a e", "ed")),
        ServiceInfo("MEDICAL", "Medical care (including older people's care)",
                    aliases=("medical care", "medical care including older people s care", "medicine")),
        ServiceInfo("SURGERY", "Surgery"),
        ServiceInfo("CRITICAL_CARE", "Critical care", aliases=("intensive critical care",)),
        ServiceInfo("MATERNITY", "Maternity"),
        ServiceInfo("CYP", "Services for children and young people",
                    aliases=("services for children young people", "children and young people")),
        ServiceInfo("EOLC", "End of life care"),
        ServiceInfo("OUTPATIENTS", "Outpatients"),
        ServiceInfo("DIAGNOSTIC_IMAGING", "Diagnostic imaging", additional=True, aggregate_default=False),
        ServiceInfo("GYNAECOLOGY", "Gynaecology", additional=True, aggregate_default=False),
        ServiceInfo("OUTPATIENTS_AND_DI", "Outpatients and diagnostic imaging", legacy=True,
                    aliases=("outpatient and diagnostic imaging services",
                             "outpatients diagnostic imaging")),
        ServiceInfo("MATERNITY_AND_GYNAECOLOGY", "Maternity and gynaecology", legacy=True),
    )
}
_SERVICE_ALIASES: dict[str, CoreService] = {}
for _code, _info in SERVICES.items():
    for _alias in (_code, _info.label, *_info.aliases):
        _SERVICE_ALIASES[_norm(_alias)] = CoreService(_code)


class Level(str, Enum):
    """Where a rating sits (docs/methods.md 1.2): a service at a location, a location, or the trust."""

    SERVICE = "service"
    LOCATION = "location"
    TRUST = "trust"

    @classmethod
    def parse(cls, value: object, where: str = "") -> Level:
        text = str(value).strip().lower()
        aliases = {"provider": cls.TRUST, "site": cls.LOCATION, "hospital": cls.LOCATION, "core_service": cls.SERVICE}
        if text in aliases:
            return aliases[text]
        try:
            return cls(text)
        except ValueError:
            raise InputError(
                f"unknown level {value!r}{' in ' + where if where else ''}: use service, location or trust"
            ) from None


class Framework(str, Enum):
    """The assessment framework a rating was given under (docs/methods.md 1.4, 1.5, 1.7)."""

    KLOE_2014 = "kloe_2014"
    COMBINED_UOR_2018 = "combined_uor_2018"
    SAF_2023 = "saf_2023"

    @property
    def valid_from(self) -> date:
        return _FRAMEWORK_DATES[self][0]

    @property
    def valid_to(self) -> date | None:
        return _FRAMEWORK_DATES[self][1]


# Dates: KLOE inspections from October 2014; combined trust ratings with Use of Resources from
# 5 March 2018 (CQC news story); the Single Assessment Framework from November 2023.
_FRAMEWORK_DATES: dict[Framework, tuple[date, date | None]] = {
    Framework.KLOE_2014: (date(2014, 10, 1), date(2023, 11, 20)),
    Framework.COMBINED_UOR_2018: (date(2018, 3, 5), date(2023, 11, 20)),
    Framework.SAF_2023: (date(2023, 11, 21), None),
}


def framework_for(published: date, combined: bool = False) -> Framework:
    """The framework in force on a publication date (``combined`` for a trust's combined UoR rating)."""
    if published >= Framework.SAF_2023.valid_from:
        return Framework.SAF_2023
    if combined and published >= Framework.COMBINED_UOR_2018.valid_from:
        return Framework.COMBINED_UOR_2018
    return Framework.KLOE_2014


@dataclass(frozen=True)
class RatingRecord:
    """One published or inspected rating cell."""

    level: Level
    org_code: str
    key_question: str  # a KeyQuestion value or "overall"
    rating: Rating
    location: str | None = None
    service: str | None = None
    published: date | None = None
    framework: Framework = Framework.KLOE_2014
    enforcement: str | None = None  # "requirement_notice" | "enforcement_action"


@dataclass(frozen=True)
class AggregatedRating:
    """The result of one aggregation, with the rule that decided it and why."""

    rating: Rating
    rule_id: str
    verified: bool
    source: str
    explanation: str
    n: int = 0
    counts: dict[str, int] = field(default_factory=dict)
