import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pandas as pd
import pytest

from wardwatch.render.summary_table import summary_table_html

VOID = {"br", "img", "meta", "link", "hr", "input"}


class Collector(HTMLParser):
    """Records start tags with attributes and checks every element is closed in order."""

    def __init__(self):
        super().__init__()
        self.stack, self.starts, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.starts.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.starts.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (self.stack, tag)
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def rows():
    return pd.DataFrame(
        [
            {
                "indicator_id": "ed_initial_assessment_15min",
                "title": "ED initial assessment < 15 min",
                "key_question": "responsive",
                "org_code": "ZFV",
                "latest_period": pd.Timestamp("2020-03-02"),
                "period_grain": "week",
                "latest_value": 0.78,
                "target": 0.95,
                "unit": "proportion",
                "improvement": "increase",
                "variation": "common_cause",
                "assurance": "consistent_fail",
                "href": "charts/ed15.html",
            },
            {
                "indicator_id": "sepsis_antibiotics_1h_news2_7plus",
                "title": "Sepsis antibiotics within 1 hour",
                "key_question": ("safe", "effective"),
                "org_code": "ZFV",
                "latest_period": pd.Timestamp("2020-03-01"),
                "period_grain": "month",
                "latest_value": 0.853,
                "target": 0.9,
                "unit": "proportion",
                "improvement": "increase",
                "variation": "special_cause_improvement",
                "assurance": "inconsistent",
                "href": "charts/sepsis.html",
            },
            {
                "indicator_id": "mortality_crude_30d",
                "title": "Crude 30-day mortality",
                "key_question": "effective",
                "org_code": "ZFV",
                "latest_period": pd.Timestamp("2020-03-01"),
                "latest_value": 0.031,
                "target": None,
                "unit": "proportion",
                "improvement": "decrease",
                "variation": "special_cause_concern",
                "assurance": "none",
                "href": "charts/mortality.html",
            },
            {
                "indicator_id": "irmer_training_in_date",
                "title": "IR(ME)R training in date",
                "key_question": "safe",
                "org_code": "ZFV",
                "latest_period": pd.Timestamp("2020-03-01"),
                "latest_value": 0.95,
                "target": 0.95,
                "unit": "proportion",
                "improvement": "increase",
                "variation": None,
                "assurance": None,
                "href": None,
            },
            {
                "indicator_id": "staffing_fill_rate",
                "title": "Staffing fill rate",
                "key_question": "well_led",
                "org_code": "ZFV",
                "latest_period": pd.Timestamp("2020-03-01"),
                "latest_value": 1.02,
                "target": None,
                "unit": "ratio",
                "improvement": "neutral",
                "variation": "special_cause_neutral_high",
                "assurance": "none",
                "href": "charts/staffing.html",
            },
        ]
    )


def parsed(html):
    collector = Collector()
    collector.feed(html)
    collector.close()
    assert collector.stack == []
    return collector


def test_one_row_per_indicator_grouped_by_key_question_in_cqc_order():
    collector = parsed(summary_table_html(rows()))
    indicator_rows = [
        a["data-indicator-id"] for tag, a in collector.starts if tag == "tr" and "data-indicator-id" in a
    ]
    assert sorted(indicator_rows) == sorted(rows()["indicator_id"])
    groups = [a["data-key-question"] for tag, a in collector.starts if tag == "tbody"]
    assert groups == ["safe", "effective", "responsive", "well_led"]
    # A tuple of key questions files the indicator under the first one (safe).
    assert indicator_rows[:2] == ["sepsis_antibiotics_1h_news2_7plus", "irmer_training_in_date"]


def test_headers_caption_and_scopes():
    html = summary_table_html(rows(), caption="Board summary")
    collector = parsed(html)
    scopes = [a.get("scope") for tag, a in collector.starts if tag == "th"]
    assert scopes.count("col") == 8 and scopes.count("rowgroup") == 4 and scopes.count("row") == 5
    assert "Board summary" in collector.text
    assert ["Safe", "Effective", "Responsive", "Well-led"] == [
        t for t in collector.text if t in ("Safe", "Effective", "Responsive", "Well-led")
    ]


def test_values_periods_and_targets_formatted():
    collector = parsed(summary_table_html(rows()))
    text = collector.text
    assert "78.0%" in text and "95.0%" in text and "w/c 2 Mar 2020" in text and "Mar 2020" in text
    assert "1.02" in text  # a ratio stays a number
    assert "No target" in text


def test_icons_inline_with_titles_matching_the_codes():
    root = ET.fromstring("<div>" + summary_table_html(rows(), include_style=False) + "</div>")
    ns = "{http://www.w3.org/2000/svg}"
    titles = [t.text for t in root.iter(f"{ns}title")]
    assert "Special cause variation – improvement (high)" in titles
    assert "Special cause variation – concern (high)" in titles  # mortality: lower is better
    assert "Consistently failing the target" in titles
    assert "Hit and miss: the target will be met only some of the time" in titles
    assert "Common cause variation – no significant change" in titles
    assert all(svg.get("role") == "img" for svg in root.iter(f"{ns}svg"))
    # Missing variation/assurance are a dash with hidden text, not an empty cell.
    assert "Not enough data for a variation judgement" in "".join(root.itertext())


def test_links_have_descriptive_accessible_names():
    collector = parsed(summary_table_html(rows()))
    links = [a for tag, a in collector.starts if tag == "a"]
    assert len(links) == 4
    assert {
        "href": "charts/sepsis.html",
        "aria-label": "Chart for Sepsis antibiotics within 1 hour (ZFV)",
    } in links


def test_markup_is_escaped_and_well_formed():
    data = rows()
    data.loc[0, "title"] = 'A & E <4h> "type 1"'
    html = summary_table_html(data)
    assert "<4h>" not in html and "A &amp; E &lt;4h&gt;" in html
    ET.fromstring("<div>" + html + "</div>")  # well-formed XML as well as HTML


def test_custom_link_column_and_no_org_column():
    data = rows().drop(columns=["org_code"]).rename(columns={"href": "url"})
    collector = parsed(summary_table_html(data, link_column="url"))
    assert "Organisation" not in collector.text
    assert [a.get("scope") for tag, a in collector.starts if tag == "th"].count("col") == 7
    assert any(a.get("href") == "charts/ed15.html" for tag, a in collector.starts if tag == "a")


def test_requires_a_title_or_id():
    with pytest.raises(ValueError, match="title"):
        summary_table_html(pd.DataFrame({"x": [1]}))
