"""The board report built from a hand-made measures table (no other engineer's module needed)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from wardwatch.report import SmallNumberRule, build_report
from wardwatch.report.format import format_measure_value

from .conftest import FOCAL, REGISTRY


class PageParser(HTMLParser):
    """Collects ids, links, headings, section ids, summary rows and every attribute."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.id_list: list[str] = []
        self.hrefs: list[str] = []
        self.attrs: list[tuple[str, str, str]] = []
        self.headings: list[int] = []
        self.sections: list[str] = []
        self.tags: list[str] = []
        self.summary_rows: dict[str, dict[str, str]] = {}
        self.captions = 0
        self._row: str | None = None
        self._cell_class: str | None = None
        self._text: list[str] = []
        self._in_summary = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        for k, v in attrs:
            self.attrs.append((tag, k, v or ""))
        if "id" in a:
            self.ids.add(a["id"])
            self.id_list.append(a["id"])
        if tag == "a" and "href" in a:
            self.hrefs.append(a["href"])
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "section" and "key-question" in (a.get("class") or ""):
            self.sections.append(a["id"])
        if tag == "table" and a.get("id") == "summary-table":
            self._in_summary = True
        if tag == "caption":
            self.captions += 1
        if self._in_summary and tag == "tr" and "data-indicator" in a:
            self._row = a["data-indicator"]
            self.summary_rows[self._row] = {}
        if self._row and tag == "a":
            self.summary_rows[self._row]["href"] = a.get("href", "")
        if self._row and tag == "td" and "latest-value" in (a.get("class") or ""):
            self._cell_class = "latest"
            self._text = []

    def handle_endtag(self, tag):
        if tag == "td" and self._cell_class == "latest":
            self.summary_rows[self._row]["latest"] = "".join(self._text).strip()
            self._cell_class = None
        if tag == "tr":
            self._row = None
        if tag == "table":
            self._in_summary = False

    def handle_data(self, data):
        if self._cell_class:
            self._text.append(data)


@pytest.fixture
def page(warehouse, tmp_path):
    path = build_report(warehouse, tmp_path / "out", FOCAL, org_name="Test Trust", registry=REGISTRY)
    return path


def parse(path) -> PageParser:
    parser = PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


def test_one_self_contained_file(page):
    assert page.name == "report.html"
    assert sorted(p.name for p in page.parent.iterdir()) == ["report.html"]
    text = page.read_text(encoding="utf-8")
    assert text.lstrip().startswith("<!DOCTYPE html>")
    assert "<style>" in text and "<link" not in text
    assert "<script" not in text


def test_no_external_resources(page):
    text = page.read_text(encoding="utf-8")
    parsed = parse(page)
    for tag, attr, value in parsed.attrs:
        if attr in ("src", "href", "xlink:href", "action", "poster", "data"):
            assert not re.match(r"\s*(https?:)?//", value), (tag, attr, value)
    assert "@import" not in text
    assert not re.search(r"url\(\s*['\"]?\s*(https?:)?//", text)


def test_one_section_per_key_question_and_heading_order(page):
    parsed = parse(page)
    assert parsed.sections == ["kq-safe", "kq-effective", "kq-caring", "kq-responsive", "kq-well_led"]
    assert parsed.headings[0] == 1 and parsed.headings.count(1) == 1
    # no heading level is skipped on the way down (h2 -> h4 would break screen-reader navigation)
    for before, after in zip(parsed.headings, parsed.headings[1:]):
        assert after <= before + 1
    for landmark in ("header", "nav", "main", "footer"):
        assert landmark in parsed.tags
    assert "main" in parsed.ids and "#main" in parsed.hrefs  # skip link
    assert parsed.captions >= 1


def test_every_indicator_has_a_summary_row_linking_to_an_anchor(page):
    parsed = parse(page)
    assert set(parsed.summary_rows) == set(REGISTRY)
    for indicator, row in parsed.summary_rows.items():
        assert row["href"].startswith("#")
        assert row["href"][1:] in parsed.ids, indicator
    assert len(parsed.id_list) == len(parsed.ids), "duplicate id attributes"
    # all in-page links resolve
    for href in parsed.hrefs:
        if href.startswith("#"):
            assert href[1:] in parsed.ids, href


def test_latest_values_are_the_last_measure_rows(page):
    rows = parse(page).summary_rows
    # Hand check against conftest.make_measures: the last complete weekly ED row is week 29:
    # 700 + (29*37) % 60 = 700 + 53 = 753 of 1000 -> 75.3% (ED indicators are shown weekly; the
    # week after it has 300 attendances, under half the usual 1000, so it is incomplete).
    assert rows["ed_initial_assessment_15min"]["latest"] == "75.3%"
    # Crude mortality, month 23: 50 + (23*3) % 9 = 50 + 6 = 56 of 2000 -> 2.8%.
    assert rows["mortality_crude_30d"]["latest"] == "2.8%"
    # Staffing fill rate, month 23: 0.9 + ((23*13) % 10)/100 = 0.9 + 0.09 = 0.99 (ratio, two decimals).
    assert rows["staffing_fill_rate"]["latest"] == "0.99"


def test_small_counts_are_suppressed(page):
    rows = parse(page).summary_rows
    # sepsis screening, last month 5 of 60 (numerator in 1..7): rate and count hidden
    assert rows["sepsis_screened_1h"]["latest"] == "*"
    # never events: a count of 3 is hidden
    assert rows["rare_event_count"]["latest"] == "*"
    text = page.read_text(encoding="utf-8")
    assert "8.3%" not in text  # 5/60 must not leak anywhere, charts and tooltips included
    assert "Counts from 1 to 7 are suppressed" in text


def test_suppression_can_be_switched_off(warehouse, tmp_path):
    path = build_report(
        warehouse, tmp_path / "open", FOCAL, registry=REGISTRY, small_numbers=SmallNumberRule(enabled=False)
    )
    rows = parse(path).summary_rows
    assert rows["sepsis_screened_1h"]["latest"] == "8.3%"
    assert rows["rare_event_count"]["latest"] == "3"


@pytest.mark.parametrize(
    ("value", "num", "den", "unit", "expected"),
    [
        (0.5, 4.0, 8.0, "proportion", "*"),  # 8 is not small but 4 is: the rate would reveal it
        (0.5, 8.0, 16.0, "proportion", "50.0%"),
        (0.0, 0.0, 20.0, "proportion", "0.0%"),  # zero discloses nothing
        (7.0, None, None, "count", "*"),
        (8.0, None, None, "count", "8"),
    ],
)
def test_suppression_rule_boundaries(value, num, den, unit, expected):
    assert format_measure_value(value, num, den, unit, SmallNumberRule()) == expected


def test_weekly_small_counts_are_shown_monthly_and_incomplete_weeks_dropped(page):
    parsed = parse(page)
    # ed_12h weekly numerators are 0..5 (most weeks suppressed): shown monthly instead;
    # month 23 (Mar 2020): 20 + 23 % 4 = 23 of 4300 -> 0.5%
    text = page.read_text(encoding="utf-8")
    assert parsed.summary_rows["ed_12h_from_arrival"]["latest"] == "0.5%"
    assert "Shown monthly: weekly counts are too small to publish." in text
    assert "The last period (29 Oct 2018) is incomplete and not shown." in text


def test_other_orgs_do_not_leak(page):
    # ZT2 screens 13% every month; the focal trust never does (80..90%)
    assert "13.0%" not in page.read_text(encoding="utf-8")


def test_cli_report(cli, warehouse, tmp_path):
    result = cli("report", "--db", warehouse, "--out", tmp_path / "cli", "--org", FOCAL)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cli" / "report.html").exists()
    assert "report.html" in result.output


def test_cli_report_bad_date_is_a_one_line_error(cli, warehouse, tmp_path):
    result = cli("report", "--db", warehouse, "--out", tmp_path / "x", "--as-of", "31/03/2020")
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output and "Traceback" not in result.output


def test_cli_report_missing_db_is_a_one_line_error(cli, tmp_path):
    result = cli("report", "--db", tmp_path / "nope.duckdb", "--out", tmp_path / "x")
    assert result.exit_code == 2
    assert "does not exist" in result.output
    assert "Traceback" not in result.output
