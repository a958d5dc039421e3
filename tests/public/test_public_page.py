"""`wardwatch public`: a page for every organisation in the shipped files, checked against the CSVs."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from html.parser import HTMLParser
from importlib import resources

import pytest

from wardwatch.errors import InputError
from wardwatch.indicators.published import (
    AE_MONTHLY_SOURCE,
    CQC_RATINGS_SOURCE,
    KH03_SOURCE,
    PUBLISHED_SOURCES,
    RTT_SOURCE,
    SHMI_SOURCE,
    STAFF_SURVEY_SOURCE,
)
from wardwatch.public import render_org
from wardwatch.public.data import SPC_INDICATORS
from wardwatch.public.page import TITLES

FIXED = "2026-01-01 00:00 UTC"
_REF = re.compile(r"""\s*["']?\s*([^"'\s>)]*)""")


def external_references(html: str) -> list[str]:
    """Every src=, href= and url( target that is not a link inside the page (plain find: fast)."""
    found = []
    lower = html.lower()
    for opener in ("src=", "href=", "url("):
        at = lower.find(opener)
        while at >= 0:
            target = _REF.match(html, at + len(opener)).group(1)
            if not target.startswith("#"):
                found.append(target)
            at = lower.find(opener, at + 1)
    if "@import" in lower:
        found.append("@import")
    return found


def _csv(name: str) -> list[dict[str, str]]:
    path = resources.files("wardwatch").joinpath("data", name)
    with resources.as_file(path) as p, open(p, newline="", encoding="utf-8-sig") as handle:
        return [{k: v.strip() for k, v in row.items()} for row in csv.DictReader(handle)]


class _Checker(HTMLParser):
    """Parses the page; records unbalanced tags and the text of the page."""

    VOID = frozenset({"meta", "br", "img", "input", "link", "hr", "col", "path", "circle", "line", "rect", "polyline",
            "polygon", "use", "stop", "ellipse"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def _parse(html: str) -> str:
    checker = _Checker()
    checker.feed(html)
    checker.close()
    assert checker.errors == [], checker.errors[:3]
    assert checker.stack == [], checker.stack
    return " ".join(" ".join(checker.text).split())


def _missing_line(source: str) -> str:
    return f"No published data for this trust in {PUBLISHED_SOURCES[source].publisher} ({source})."


@pytest.mark.slow
def test_every_organisation_in_the_shipped_files_gets_a_page(public_data):
    codes = public_data.org_codes()
    # every code of every shipped file is covered (read straight from the CSVs, not from the warehouse)
    shipped = set()
    for name, column in (("nhse_ae_attendances_2016_2019.csv", "org_code"),
                         ("nhsd_shmi_annual_by_trust_2012_2018.csv", "org_code"),
                         ("nhse_rtt_incomplete_18wk_by_trust_2013_2019.csv", "org_code"),
                         ("nhse_kh03_beds_annual_by_trust_2010_2018.csv", "org_code"),
                         ("staff_survey_and_shmi_by_trust_2012_2019.csv", "org_code"),
                         ("cqc_ratings_nhs_providers_2019.csv", "org_code"),
                         ("nhs_provider_lookup_2019.csv", "org_code")):
        shipped |= {row[column] for row in _csv(name)}
    assert shipped <= set(codes)
    datasets = {
        SHMI_SOURCE: ("shmi",),
        KH03_SOURCE: ("kh03_beds_available", "kh03_bed_occupancy"),
        STAFF_SURVEY_SOURCE: ("staff_engagement", "staff_recommend_work", "staff_recommend_care",
                              "staff_work_stress"),
    }
    for code in codes:
        html = render_org(public_data, code, generated_at=FIXED)
        assert external_references(html) == [], code
        text = _parse(html)
        name = public_data.org_name(code)[0]
        assert f"Published data report: {name} ({code})" in text
        for source, indicators in datasets.items():
            has = any((code, i) in public_data.series for i in indicators)
            assert (_missing_line(source) in text) is not has, (code, source)
        for indicator_id in ("ae_4h_type1", "ae_4h_all_types", "rtt_incomplete_18wk"):
            has_rows = (code, indicator_id) in public_data.series
            charted = (code, indicator_id) in public_data.spc_points
            line = f"{TITLES[indicator_id]}: " + _missing_line(SPC_INDICATORS[indicator_id][1])
            assert (line in text) is not has_rows, (code, indicator_id)
            assert (f"{TITLES[indicator_id]}: Making Data Count p′ chart" in text) is charted, (code, indicator_id)
            if has_rows and not charted:  # every period held a count of 1-7
                assert f"{TITLES[indicator_id]}: all " in text and "(small-number rule)" in text
        rated = code in public_data.ratings_by_org
        assert ("No published ratings for this trust" in text) is not rated, code
        # every figure and table says where its numbers come from
        assert html.count("<figcaption>") == html.count("<figure>")
        assert html.count("Licence: Open Government Licence v3.0") >= html.count("<figcaption>")


def test_external_reference_check_finds_them():
    page = '<a href="#x">in</a><img src="https://cdn.example/x.png"><style>b{background:url( //e.org/i)}</style>'
    assert external_references(page) == ["https://cdn.example/x.png", "//e.org/i"]


def test_rna_page_matches_the_shipped_rows(public_data):
    text = _parse(render_org(public_data, "rna", generated_at=FIXED))
    assert "Published data report: Dudley Group NHS Foundation Trust (RNA)" in text

    ae = [r for r in _csv("nhse_ae_attendances_2016_2019.csv") if r["org_code"] == "RNA"]
    march = [r for r in ae if r["period"] == "2019-03-01"]
    type1 = next(r for r in march if r["type"] == "1")
    share1 = (int(type1["attendances"]) - int(type1["breaches"])) / int(type1["attendances"])
    all_att = sum(int(r["attendances"]) for r in march)
    share_all = (all_att - sum(int(r["breaches"]) for r in march)) / all_att
    assert f"Mar 2019 {share1:.1%} 95%" in text  # summary row: latest month, value, target
    assert f"Mar 2019 {share_all:.1%} 95%" in text

    # funnel sentence: the trust's 2018/19 type 1 totals and the national figure, summed from the CSV
    national = defaultdict(lambda: [0, 0, set()])
    for row in _csv("nhse_ae_attendances_2016_2019.csv"):
        if row["type"] == "1" and "2018-04-01" <= row["period"] <= "2019-03-01" and int(row["attendances"]) > 0:
            acc = national[row["org_code"]]
            acc[0] += int(row["attendances"]) - int(row["breaches"])
            acc[1] += int(row["attendances"])
            acc[2].add(row["period"])
    complete = {k: v for k, v in national.items() if len(v[2]) == 12}
    within, attendances = complete["RNA"][0], complete["RNA"][1]
    nat = sum(v[0] for v in complete.values()) / sum(v[1] for v in complete.values())
    assert (f"RNA in 2018/19: {within / attendances:.1%} ({within:,} of {attendances:,} attendances) against "
            f"the national {nat:.1%}") in text
    assert f"one of {len(complete)} trusts reporting all 12 months" in text

    shmi = {r["year"]: r["shmi"] for r in _csv("nhsd_shmi_annual_by_trust_2012_2018.csv") if r["org_code"] == "RNA"}
    assert f"2018 {float(shmi['2018']):.4f} not in the published file" in text
    beds = next(r for r in _csv("nhse_kh03_beds_annual_by_trust_2010_2018.csv")
                if r["org_code"] == "RNA" and r["year"] == "2018")
    assert f"2018 {int(float(beds['beds'])):,} {float(beds['occupancy_share']):.1%}" in text
    staff = next(r for r in _csv("staff_survey_and_shmi_by_trust_2012_2019.csv")
                 if r["org_code"] == "RNA" and r["year"] == "2019")
    assert (f"2019 {int(staff['staff_survey_responses']):,} {float(staff['engagement_score']):.2f} "
            f"{float(staff['recommend_as_place_to_work_score']):.2f}") in text
    rtt = next(r for r in _csv("nhse_rtt_incomplete_18wk_by_trust_2013_2019.csv")
               if r["org_code"] == "RNA" and r["snapshot_date"] == "2019-03-31")
    assert f"Mar 2019 {int(rtt['within_18_weeks']) / int(rtt['incomplete_pathways']):.1%} 92%" in text
    cqc = [r for r in _csv("cqc_ratings_nhs_providers_2019.csv") if r["org_code"] == "RNA"
           and r["service_population_group"] == "Overall"]
    by_kq = {r["key_question"]: r["rating"] for r in cqc}
    date = cqc[0]["publication_date"]
    assert f"{date} Overall " + " ".join(by_kq[k] for k in ("Safe", "Effective", "Caring", "Responsive",
                                                              "Well-led", "Overall")) in text
    # the 2016-2019 picture: the first and latest month of type 1 performance
    april = next(r for r in ae if r["period"] == "2016-04-01" and r["type"] == "1")
    first = (int(april["attendances"]) - int(april["breaches"])) / int(april["attendances"])
    assert f"{first:.1%} in Apr 2016, {share1:.1%} in Mar 2019" in text


def test_rna_p_prime_centre_line_is_the_pooled_share(public_data):
    # p' chart centre = total within 4 hours / total attendances over the 36 months (docs/methods.md 2.2)
    rows = [r for r in _csv("nhse_ae_attendances_2016_2019.csv") if r["org_code"] == "RNA" and r["type"] == "1"]
    pooled = sum(int(r["attendances"]) - int(r["breaches"]) for r in rows) / sum(int(r["attendances"]) for r in rows)
    points = public_data.spc_points[("RNA", "ae_4h_type1")]
    assert len(points) == len(rows) == 36
    assert points["centre"].to_numpy() == pytest.approx(pooled, rel=1e-12)


def test_an_organisation_with_only_a_name_gets_lines_not_charts(public_data):
    # a clinical commissioning group is in the provider lookup only
    ccg = next(c for c in public_data.org_codes() if public_data.org_types.get(c) == "Clinical Commissioning Group"
               and c not in public_data.by_org and c not in public_data.ratings_by_org)
    html = render_org(public_data, ccg, generated_at=FIXED)
    assert "<figure>" not in html
    text = _parse(html)
    for source in (AE_MONTHLY_SOURCE, SHMI_SOURCE, RTT_SOURCE, KH03_SOURCE, STAFF_SURVEY_SOURCE):
        assert _missing_line(source) in text, source
    assert f"No published ratings for this trust in {PUBLISHED_SOURCES[CQC_RATINGS_SOURCE].publisher}" in text


def test_names_are_escaped(public_data, monkeypatch):
    monkeypatch.setitem(public_data.names, "RNA", "Dudley <script>alert(1)</script> & Co")
    html = render_org(public_data, "RNA", generated_at=FIXED)
    assert "<script>" not in html
    assert "Dudley &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html
    assert "Published data report: Dudley <script>alert(1)</script> & Co (RNA)" in _parse(html)


def test_unknown_organisation_is_one_input_error(public_data):
    with pytest.raises(InputError, match=r"no organisation 'XYZ1' .*wardwatch public --list"):
        render_org(public_data, "XYZ1")


def test_small_counts_are_left_out_of_the_charts(public_data):
    # the RTT file has a few trusts with 1-7 patients waiting: those snapshots are not charted
    hidden = public_data.suppressed["rtt_incomplete_18wk"]
    assert hidden.sum() > 0
    for (code, indicator_id), points in public_data.spc_points.items():
        assert not points["n"].between(1, 7).any(), (code, indicator_id)
        assert not points["y"].mul(points["n"]).round().between(1, 7).any(), (code, indicator_id)


def test_a_warehouse_with_a_banded_shmi_file_shows_the_band(tmp_path):
    # --db with other publications: here an SHMI file that carries NHS Digital's banding column
    from wardwatch.public.data import prepare
    from wardwatch.published import load_published
    from wardwatch.warehouse import connect_duckdb

    path = tmp_path / "shmi.csv"
    path.write_text("year,org_code,shmi,banding\n2021,RAA,1.21,1\n2021,RBB,1.00,2\n2022,RAA,1.15,2\n"
                    "2021,RCC,0.85,3\n", encoding="utf-8")
    con = connect_duckdb(None)
    load_published("shmi", path, con)
    data = prepare(con, "test warehouse")
    con.disconnect()
    assert data.org_codes() == ["RAA", "RBB", "RCC"]
    html = render_org(data, "RAA", generated_at=FIXED)
    assert html.count("<figure>") == 1  # the SHMI trend, nothing else
    text = _parse(html)
    assert "2021 1.2100 1 higher than expected 2022 1.1500 2 as expected" in text
    assert "Published data report: RAA (RAA)" in text  # no provider lookup in this warehouse: the code
    assert _missing_line(AE_MONTHLY_SOURCE) in text and _missing_line(KH03_SOURCE) in text


def test_no_sentence_quotes_a_share_of_a_small_count(public_data):
    # R1G's only RTT snapshots had 3 and 7 patients waiting (all within 18 weeks): no 100.0% anywhere
    text = _parse(render_org(public_data, "R1G", generated_at=FIXED))
    assert "RTT waiting 18 weeks or less:" not in text
    assert f"{TITLES['rtt_incomplete_18wk']}: all 2 published period(s) for this trust have a count of 1–7" in text
