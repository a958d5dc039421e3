"""`ratings check` on the shipped CQC provider ratings (115-provider subset, docs SOURCES §3)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from wardwatch.errors import InputError
from wardwatch.ratings import check_published, load_published
from wardwatch.ratings.published import shipped_ratings_path

#: measured on the shipped file with nhs_trust_2014 (110 of 115 = 95.7%); a floor, not a target
HONEST_FLOOR = 0.95


def test_agreement_rate_is_a_fraction_of_the_file():
    raw = pd.read_csv(shipped_ratings_path(), dtype=str)
    overall = raw[(raw.service_population_group == "Overall") & (raw.key_question == "Overall")]
    result = check_published()
    assert result.providers == overall.org_code.nunique() == 115
    assert result.rate == result.agree / result.providers
    assert result.rate >= HONEST_FLOOR
    table = result.to_frame()
    # agreement is exactly published == computed, row by row
    assert (table.agrees == (table.published == table.computed)).all()
    published = dict(zip(overall.org_code, overall.rating))
    assert all(published[o] == p for o, p in zip(table.org_code, table.published))


def test_every_disagreement_has_an_explanation():
    result = check_published()
    dis = result.disagreements
    assert len(dis) == result.providers - result.agree > 0
    for row in dis.to_dict("records"):
        assert row["explanation"] and "rule " in row["explanation"] and "⇒" in row["explanation"]


def test_known_departure_moorfields():
    # RP6: Safe RI and Responsive RI, others Good -> the verified rule of two gives RI; CQC published Good
    dis = check_published().disagreements.set_index("org_code")
    assert dis.loc["RP6", "published"] == "Good"
    assert dis.loc["RP6", "computed"] == "Requires improvement"
    assert dis.loc["RP6", "rule_id"] == "RI-4-8"


def test_cli_check_prints_rate_and_disagreements(cli):
    result = check_published()
    out = cli("ratings", "check", shipped_ratings_path())
    assert out.exit_code == 0, out.output
    assert f"{result.agree} of {result.providers} providers agree ({100 * result.rate:.1f}%)" in out.output
    for org in result.disagreements.org_code:
        assert f"- {org}" in out.output
    data = json.loads(cli("ratings", "check", "--json").output)
    assert data["providers"] == result.providers and data["agree"] == result.agree
    assert data["rate"] == result.rate
    assert len(data["disagreements"]) == result.providers - result.agree
    assert all(d["explanation"] for d in data["disagreements"])


def test_load_published_refuses_missing_columns(tmp_path, cli):
    bad = tmp_path / "bad.csv"
    bad.write_text("org_code,rating\nX,Good\n")
    out = cli("ratings", "check", bad)
    assert out.exit_code == 2 and "missing column" in out.output
    assert len(load_published()) == len(pd.read_csv(shipped_ratings_path()))


def test_check_handles_variant_labels_missing_ratings_and_older_rows(tmp_path):
    rows = [
        # X1: latest (2019) ratings give RI; an older 2015 set (all Good) must be ignored
        *[("X1", "2019-01-01", kq, r) for kq, r in zip(
            ["Safe", "Effective", "Caring", "Responsive", "Well led", "Overall"],
            ["Requires Improvement", "Good", "Good", "Requires improvement", "Good", "Requires improvement"])],
        *[("X1", "2015-01-01", kq, "Good") for kq in ["Safe", "Effective", "Caring", "Responsive", "Well-led",
                                                       "Overall"]],
        # X2: Effective not rated -> four ratings; one RI among four -> Good
        *[("X2", "2018-01-01", kq, r) for kq, r in zip(
            ["Safe", "Effective", "Caring", "Responsive", "Well-led", "Overall"],
            ["Requires improvement", "Insufficient evidence to rate", "Good", "Good", "Good", "Good"])],
    ]
    frame = pd.DataFrame(rows, columns=["org_code", "publication_date", "key_question", "rating"])
    frame["service_population_group"] = "Overall"
    path = tmp_path / "export.csv"
    frame.to_csv(path, index=False)
    result = check_published(path)
    assert result.providers == 2 and result.agree == 2
    table = result.to_frame().set_index("org_code")
    assert table.loc["X1", "Well-led"] == "Good" and table.loc["X2", "Effective"] == "Not rated"


def test_check_counts_providers_without_an_overall_rating():
    # issue 12: 6 of 134 providers of a real export have no Overall rating; say so, do not drop them silently
    from wardwatch.ratings.published import check_published

    kqs = ["Safe", "Effective", "Caring", "Responsive", "Well-led"]
    rows = []
    for code in ("RAA", "RBB"):
        rows += [{"org_code": code, "org_name": code, "publication_date": "2019-01-01",
                  "service_population_group": "Overall", "key_question": kq, "rating_score": "2",
                  "rating": "Good"} for kq in [*kqs, "Overall"]]
    rows += [{"org_code": "RCC", "org_name": "RCC", "publication_date": "2019-01-01",
              "service_population_group": "Overall", "key_question": kq, "rating_score": "2",
              "rating": "Good"} for kq in kqs]  # key questions rated, Overall not
    rows.append({"org_code": "RDD", "org_name": "RDD", "publication_date": "2019-01-01",
                 "service_population_group": "Maternity", "key_question": "Safe", "rating_score": "1",
                 "rating": "Requires improvement"})
    result = check_published(pd.DataFrame(rows))
    assert result.providers == 2 and result.skipped == ("RCC", "RDD")
    assert result.to_dict()["skipped"] == 2


def test_non_iso_publication_dates_are_refused(tmp_path):
    # "latest publication wins" compares dates as text: 01/04/2016 would sort before 2015-12-01
    path = tmp_path / "export.csv"
    path.write_text("org_code,org_name,publication_date,service_population_group,key_question,rating_score,rating\n"
                    "RAA,A,2019-01-01,Overall,Safe,2,Good\n"
                    "RAA,A,01/04/2016,Overall,Overall,2,Good\n")
    with pytest.raises(InputError, match="row 3, column publication_date.*never guessed"):
        load_published(path)
