"""CQC's published provider ratings export, and a check of the engine against it.

Format (docs/SOURCES §3, the shipped ``wardwatch/data/cqc_ratings_nhs_providers_2019.csv``):
``org_code, org_name, publication_date, service_population_group, key_question, rating_score,
rating``; ``service_population_group == "Overall"`` holds the provider-level ratings. Source:
Care Quality Commission "latest ratings" export via miqdadasaria/hospital_management
(Open Government Licence v3.0).

``check_published`` recomputes each provider's Overall/Overall from its five Overall key-question
ratings with the rule set and reports agreement and every disagreement with the explanation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

import pandas as pd

from wardwatch.errors import InputError
from wardwatch.ratings.model import KEY_QUESTIONS, KeyQuestion, Rating, framework_for
from wardwatch.ratings.rules import RuleSet, aggregate_list, load_ruleset

PUBLISHED_COLUMNS = ["org_code", "org_name", "publication_date", "service_population_group", "key_question",
                     "rating_score", "rating"]
SHIPPED = "cqc_ratings_nhs_providers_2019.csv"
_KQ_LABELS = [kq.label for kq in KEY_QUESTIONS]
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _kq_label(value: str) -> str:
    text = str(value).strip()
    if text.lower() == "overall":
        return "Overall"
    try:
        return KeyQuestion.parse(text).label
    except InputError:
        return text


def _framework(published: str) -> str:
    """Framework in force on the publication date (the provider sheet holds quality ratings)."""
    try:
        return framework_for(date.fromisoformat(str(published)[:10])).value
    except ValueError:
        return ""


def shipped_ratings_path() -> Path:
    return Path(str(resources.files("wardwatch") / "data" / SHIPPED))


def load_published(path: str | Path | None = None) -> pd.DataFrame:
    """Read a CQC provider ratings export (default: the shipped 2019 subset), validated."""
    path = Path(path) if path is not None else shipped_ratings_path()
    if not path.exists():
        raise InputError(f"{path}: file not found; give a CQC ratings export CSV")
    if not path.is_file():
        raise InputError(f"{path}: not a file; give a CQC ratings export CSV")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: the file is empty; give a CQC ratings export CSV") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a readable CSV ({' '.join(str(exc).split())})") from None
    missing = [c for c in ("org_code", "service_population_group", "key_question", "rating") if c not in frame]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(PUBLISHED_COLUMNS)}")
    for column in PUBLISHED_COLUMNS:
        if column not in frame:
            frame[column] = ""
    for i, value in enumerate(frame["rating"], start=2):
        Rating.parse(value, f"{path} row {i}, column rating")
    # the latest publication wins, by string order: only ISO dates sort in time order, and the
    # day/month order of 01/04/2016 is never guessed
    for i, value in enumerate(frame["publication_date"], start=2):
        text = str(value).strip()
        if text and not _ISO_DATE.fullmatch(text[:10]):
            raise InputError(f"{path} row {i}, column publication_date: {text!r} is not an ISO date; "
                             "write dates as 2019-04-01 (day/month order is never guessed)")
    return frame[PUBLISHED_COLUMNS + [c for c in frame.columns if c not in PUBLISHED_COLUMNS]]


@dataclass(frozen=True)
class CheckResult:
    """Agreement of the engine with published trust Overall ratings."""

    table: pd.DataFrame  # one row per provider with published and computed Overall and explanation
    ruleset: str
    # providers in the export with no published Overall/Overall rating: nothing to check them against
    skipped: tuple[str, ...] = ()

    @property
    def providers(self) -> int:
        return len(self.table)

    @property
    def agree(self) -> int:
        return int(self.table["agrees"].sum())

    @property
    def rate(self) -> float:
        return self.agree / self.providers if self.providers else float("nan")

    @property
    def disagreements(self) -> pd.DataFrame:
        return self.table[~self.table["agrees"]].reset_index(drop=True)

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def to_dict(self) -> dict:
        cols = ["org_code", "org_name", "publication_date", "framework", *_KQ_LABELS, "published", "computed", "rule_id",
                "verified", "explanation"]
        return {
            "ruleset": self.ruleset,
            "providers": self.providers,
            "agree": self.agree,
            "rate": self.rate,
            "skipped": len(self.skipped),
            "skipped_providers": list(self.skipped),
            "disagreements": self.disagreements[cols].to_dict("records"),
        }


def check_published(published: pd.DataFrame | str | Path | None = None,
                    ruleset: RuleSet | str = "nhs_trust_2014") -> CheckResult:
    """Recompute each provider's Overall/Overall from its five Overall key questions (docs/methods.md 1.3).

    Providers without an Overall/Overall rating are skipped and listed in ``skipped``; a missing
    key question counts as "Not rated" (dropped before counting, as CQC does)."""
    frame = published if isinstance(published, pd.DataFrame) else load_published(published)
    rs = load_ruleset(ruleset) if not isinstance(ruleset, RuleSet) else ruleset
    overall = frame[frame["service_population_group"].str.strip().str.lower() == "overall"].copy()
    overall["kq"] = overall["key_question"].map(_kq_label)
    # if a provider has several Overall rows for a key question, the latest publication speaks
    overall = overall.sort_values("publication_date", ascending=False, kind="stable")
    wide = overall.pivot_table(index="org_code", columns="kq", values="rating", aggfunc="first")
    meta = overall.groupby("org_code").agg(org_name=("org_name", "first"),
                                           publication_date=("publication_date", "max"))
    rows = []
    checked: set[str] = set()
    for org_code, ratings in wide.iterrows():
        published_overall = ratings.get("Overall")
        if published_overall is None or pd.isna(published_overall):
            continue
        checked.add(str(org_code))
        kq_ratings = [Rating.parse(ratings.get(label)) for label in _KQ_LABELS]
        result = aggregate_list(kq_ratings, rs, "key questions")
        published_rating = Rating.parse(published_overall)
        rows.append({
            "org_code": org_code,
            "org_name": meta.loc[org_code, "org_name"],
            "publication_date": meta.loc[org_code, "publication_date"],
            "framework": _framework(meta.loc[org_code, "publication_date"]),
            **{label: r.value for label, r in zip(_KQ_LABELS, kq_ratings)},
            "published": published_rating.value,
            "computed": result.rating.value,
            "agrees": published_rating is result.rating,
            "rule_id": result.rule_id,
            "verified": result.verified,
            "explanation": result.explanation,
        })
    table = pd.DataFrame(rows)
    if table.empty:
        raise InputError("no provider with an Overall/Overall rating found (service_population_group 'Overall', "
                         "key_question 'Overall')")
    providers = pd.unique(frame["org_code"].astype(str).str.strip())
    skipped = tuple(sorted(code for code in providers if code and code not in checked))
    return CheckResult(table, rs.id, skipped)
