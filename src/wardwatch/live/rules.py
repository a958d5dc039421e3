"""Watchlist rules (versioned YAML shipped in the package) and the code lists intake uses."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from wardwatch.errors import InputError

RULE_NAMES = ("imaging_inpatient_waiting", "ed_long_stay", "sepsis_antibiotics_due", "sepsis_screen_due")


@dataclass(frozen=True)
class Rule:
    name: str
    title: str
    description: str
    amber_minutes: float
    red_minutes: float

    def status(self, minutes: float) -> str:
        if minutes >= self.red_minutes:
            return "red"
        if minutes >= self.amber_minutes:
            return "amber"
        return "green"


@dataclass(frozen=True)
class Vocabulary:
    news2_codes: frozenset[str]
    screen_codes: frozenset[str]
    antibiotic_prefixes: tuple[str, ...]
    antibiotic_codes: frozenset[str]
    assessment_units: tuple[str, ...]
    screen_threshold: int
    antibiotic_threshold: int

    def is_antibiotic(self, code: str) -> bool:
        return code in self.antibiotic_codes or code.upper().startswith(self.antibiotic_prefixes)


@dataclass(frozen=True)
class RuleSet:
    version: int
    rules: dict[str, Rule]
    vocabulary: Vocabulary
    source: str
    #: URLs that get a JSON POST when an item turns red (``notify.webhooks``; ``serve --webhook`` adds more)
    webhooks: tuple[str, ...] = ()

    def rule(self, name: str) -> Rule:
        if name not in self.rules:
            raise InputError(f"unknown watchlist {name!r}; choose one of: {', '.join(self.rules)}")
        return self.rules[name]


def _need(mapping: dict, key: str, where: str):
    if not isinstance(mapping, dict) or key not in mapping:
        raise InputError(f"{where}: missing key {key!r}")
    return mapping[key]


def load_rules(path: Path | None = None) -> RuleSet:
    """The packaged rules, or a site's own copy at ``path``."""
    if path is None:
        text = resources.files("wardwatch.live").joinpath("rules.yaml").read_text()
        source = "wardwatch/live/rules.yaml"
    else:
        try:
            text = path.read_text()
        except OSError as err:
            raise InputError(f"{path}: cannot read rules file ({err.strerror})") from None
        source = str(path)
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise InputError(f"{source}: not valid YAML ({err})") from None
    codes = _need(doc, "codes", source)
    sepsis = _need(doc, "sepsis", source)
    vocab = Vocabulary(
        news2_codes=frozenset(str(c) for c in _need(codes, "news2", f"{source} codes")),
        screen_codes=frozenset(str(c) for c in _need(codes, "sepsis_screen", f"{source} codes")),
        antibiotic_prefixes=tuple(str(c).upper() for c in codes.get("antibiotic_atc_prefixes", [])),
        antibiotic_codes=frozenset(str(c) for c in codes.get("antibiotic_codes", [])),
        assessment_units=tuple(str(c) for c in codes.get("assessment_unit_locations", [])),
        screen_threshold=int(_need(sepsis, "screen_threshold", f"{source} sepsis")),
        antibiotic_threshold=int(_need(sepsis, "antibiotic_threshold", f"{source} sepsis")),
    )
    rules = {}
    raw_rules = _need(doc, "rules", source)
    for name in RULE_NAMES:
        spec = _need(raw_rules, name, f"{source} rules")
        amber = float(_need(spec, "amber_minutes", f"{source} rules.{name}"))
        red = float(_need(spec, "red_minutes", f"{source} rules.{name}"))
        if not 0 <= amber <= red:
            raise InputError(f"{source} rules.{name}: need 0 <= amber_minutes <= red_minutes")
        rules[name] = Rule(name, str(spec.get("title", name)), str(spec.get("description", "")), amber, red)
    unknown = set(raw_rules) - set(RULE_NAMES)
    if unknown:
        raise InputError(f"{source}: unknown rules {sorted(unknown)}; known: {', '.join(RULE_NAMES)}")
    notify = doc.get("notify") or {}
    hooks = (notify.get("webhooks") or []) if isinstance(notify, dict) else None
    if not isinstance(hooks, list) or not all(isinstance(h, str) for h in hooks):
        raise InputError(f"{source} notify.webhooks: expected a list of URLs")
    return RuleSet(int(_need(doc, "version", source)), rules, vocab, source, tuple(hooks))
