"""CQC ratings export -> cqc_ratings history table (provider, service, key question, publication date)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from wardwatch.errors import InputError
from wardwatch.published import load_published, preparer, sample_path
from wardwatch.published.cqc_ratings import latest_ratings, read_cqc_ratings
from wardwatch.warehouse import connect_duckdb

HEADER = "org_code,org_name,publication_date,service_population_group,key_question,rating_score,rating\n"


@pytest.fixture
def con():
    con = connect_duckdb(None)
    yield con
    con.disconnect()


# RNA,Dudley Group NHS Foundation Trust,2018-04-18,Overall,<kq>,<score>,<rating>  (12 RNA rows; SOURCES.md:
# Overall RI, Safe RI, Effective RI, Caring Good, Responsive RI, Well-led RI)
def test_shipped_file_rna_by_hand(con):
    result = load_published("cqc-ratings", sample_path("cqc-ratings"), con)
    assert (result.read, result.loaded, result.refused_total) == (3733, 3733, 0)
    rna = read_cqc_ratings(con, "RNA")
    assert len(rna) == 12
    overall = rna[rna.service == "Overall"].set_index("key_question")
    assert overall["rating"].to_dict() == {
        "Caring": "Good", "Effective": "Requires improvement", "Overall": "Requires improvement",
        "Responsive": "Requires improvement", "Safe": "Requires improvement",
        "Well-led": "Requires improvement",
    }
    assert overall.loc["Caring", "rating_score"] == 2 and overall.loc["Safe", "rating_score"] == 1
    assert set(pd.to_datetime(rna.publication_date).dt.date) == {dt.date(2018, 4, 18)}
    assert set(rna.service) == {"Overall", "Community health services for adults"}
    # all providers are kept, including those known only by a CQC provider ID
    everything = read_cqc_ratings(con)
    assert everything.org_code.nunique() == 115
    assert everything.org_code.str.startswith("1-").any()


def test_reload_changes_nothing_and_a_later_publication_adds_history(con, tmp_path):
    load_published("cqc-ratings", sample_path("cqc-ratings"), con)
    before = read_cqc_ratings(con)
    load_published("cqc-ratings", sample_path("cqc-ratings"), con)
    pd.testing.assert_frame_equal(before, read_cqc_ratings(con))
    later = tmp_path / "later.csv"
    later.write_text(HEADER + "RNA,Dudley Group NHS Foundation Trust,2019-09-04,Overall,Overall,2,Good\n"
                              "RNA,Dudley Group NHS Foundation Trust,2019-09-04,Overall,Safe,2,Good\n")
    load_published("cqc-ratings", later, con)
    rna = read_cqc_ratings(con, "RNA")
    assert len(rna) == 14  # the 2018 publication is kept as history
    latest = latest_ratings(con, "RNA").set_index(["service", "key_question"])
    assert latest.loc[("Overall", "Overall"), "rating"] == "Good"
    assert latest.loc[("Overall", "Effective"), "rating"] == "Requires improvement"  # still 2018's
    assert str(latest.loc[("Overall", "Overall"), "publication_date"])[:10] == "2019-09-04"


def test_latest_ratings_without_data_is_a_one_line_error(con):
    with pytest.raises(InputError, match="no CQC ratings for 'RNA'"):
        latest_ratings(con, "RNA")


@pytest.mark.parametrize(
    "row, where",
    [
        (("RNA,x,2018-04-18,Overall,Safe,1,Requires Improvement\nRNA,x,2018-04-18,Overall,Safe,1,Requires "
         "improvement"), "line 3, columns org_code, service_population_group, key_question, publication_date"),
        (("RNA,x,2018-04-18,Overall,Safe,1,Requires improvement\nRNA,x,2018-04-18,Overall,Well led,2,Good\n"
         "RNA,x,2018-04-18,Overall,Well-led,2,Good"), "line 4, columns"),
        ("RNA,x,2018-04-18,Overall,Kind,2,Good", "line 2, column key_question"),
        ("RNA,x,2018-04-18,Overall,Safe,2,Excellent", "line 2, column rating"),
        ("RNA,x,2018-04-18,Overall,Safe,3,Good", "line 2, column rating_score"),
        ("RNA,x,18/04/2018,Overall,Safe,2,Good", "line 2, column publication_date"),
        ("RNA,x,2018-04-18,,Safe,2,Good", "line 2, column service_population_group"),
        ("1-ABC,x,2018-04-18,Overall,Safe,2,Good", "line 2, column org_code"),
        ("RNA,x,2018-04-18,Overall,Safe,2", "line 2: 6 fields but the header has 7"),
    ],
)
def test_bad_exports(tmp_path, row, where):
    path = tmp_path / "cqc.csv"
    path.write_text(HEADER + row + "\n")
    with pytest.raises(InputError) as info:
        preparer("cqc-ratings")(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message and where in message


def test_cli_cqc_ratings(cli, tmp_path):
    db = tmp_path / "ww.duckdb"
    result = cli("load-published", "cqc-ratings", sample_path("cqc-ratings"), "--db", db)
    assert result.exit_code == 0, result.output
    assert "cqc-ratings: read 3733 rows, loaded 3733, refused 0" in result.output
    assert "wrote 3733 cqc_ratings rows for 115 providers, published 2014-07-02 to 2019-02-26" in result.output
