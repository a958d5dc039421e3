"""NHS England monthly A&E statistics into measures, checked against the raw CSV rows by hand."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from wardwatch.errors import InputError
from wardwatch.indicators.store import read_measures
from wardwatch.published import sample_path
from wardwatch.published.ae_monthly import load_ae_monthly
from wardwatch.warehouse import connect_duckdb

SOURCE = "NHS England A&E monthly"


@pytest.fixture
def loaded():
    con = connect_duckdb(None)
    load_ae_monthly(sample_path("ae-monthly"), con)
    yield con
    con.disconnect()


def _row(frame, indicator, org, period):
    rows = frame[
        (frame.indicator_id == indicator)
        & (frame.org_code == org)
        & (frame.period_start == dt.date.fromisoformat(period))
    ]
    assert len(rows) == 1
    return rows.iloc[0]


# Raw CSV lines (period, org_code, type, attendances, breaches, admissions):
#   2016-04-01,RNA,1,7824,529,2310      2016-04-01,RNA,other,6470,0,0
#   2017-01-01,RNA,1,8593,1903,2460     2017-01-01,RNA,other,6882,0,0
#   2019-03-01,RNA,1,9593,3209,2315     2019-03-01,RNA,other,5587,43,0
@pytest.mark.parametrize(
    "period, type1, all_types",
    [
        ("2016-04-01", (7824 - 529, 7824), (7824 - 529 + 6470, 7824 + 6470)),
        ("2017-01-01", (8593 - 1903, 8593), (8593 - 1903 + 6882, 8593 + 6882)),
        ("2019-03-01", (9593 - 3209, 9593), (9593 - 3209 + 5587 - 43, 9593 + 5587)),
    ],
)
def test_rna_hand_values(loaded, period, type1, all_types):
    frame = read_measures(loaded)
    t1 = _row(frame, "ae_4h_type1", "RNA", period)
    assert (t1.numerator, t1.denominator) == type1
    assert t1.value == pytest.approx(type1[0] / type1[1], abs=1e-15)
    allt = _row(frame, "ae_4h_all_types", "RNA", period)
    assert (allt.numerator, allt.denominator) == all_types
    assert allt.source == SOURCE and allt.period_grain == "month"
    assert pd.isna(allt.site_code) and pd.isna(allt.unit_code)


def test_rna_type1_january_2017_is_78_percent(loaded):
    # 1 - 1903/8593 = 0.77854...: the winter dip in Dudley's published type 1 performance
    t1 = _row(read_measures(loaded), "ae_4h_type1", "RNA", "2017-01-01")
    assert round(t1.value, 4) == 0.7785


def test_counts_of_rows(loaded):
    frame = read_measures(loaded)
    assert (frame.indicator_id == "ae_4h_all_types").sum() > 0
    assert (frame[frame.org_code == "RNA"].groupby("indicator_id").size() == 36).all()


def test_reload_is_idempotent_and_keeps_other_rows(loaded):
    before = read_measures(loaded)
    load_ae_monthly(sample_path("ae-monthly"), loaded)
    after = read_measures(loaded)
    pd.testing.assert_frame_equal(before, after)


def test_loading_another_extract_adds_and_replaces(tmp_path, loaded):
    # a revised figure for RNA March 2019 and a new month: the revision replaces, the new month adds
    path = tmp_path / "revised.csv"
    path.write_text(
        "period,org_code,type,attendances,breaches,admissions\n"
        "2019-03-01,RNA,1,9593,3000,2315\n"
        "2019-04-01,RNA,1,9000,900,2000\n"
    )
    n_before = len(read_measures(loaded))
    load_ae_monthly(path, loaded)
    frame = read_measures(loaded)
    assert _row(frame, "ae_4h_type1", "RNA", "2019-03-01").numerator == 9593 - 3000
    assert _row(frame, "ae_4h_type1", "RNA", "2019-04-01").value == pytest.approx(0.9)
    # all-types for RNA March 2019 now comes from the revised file (type 1 only in it)
    assert _row(frame, "ae_4h_all_types", "RNA", "2019-03-01").denominator == 9593
    assert len(frame) == n_before + 2


def test_sample_path_is_the_shipped_file():
    path = sample_path("ae-monthly")
    assert path.is_file() and path.name == "nhse_ae_attendances_2016_2019.csv"
    with pytest.raises(KeyError):
        sample_path("no-such-dataset")


@pytest.mark.parametrize(
    "content, message",
    [
        (
            "period,org_code,type,attendances,breaches\n2019-01-01,RNA,1,10,1\n",
            "missing column(s) admissions",
        ),
        (
            "period,org_code,type,attendances,breaches,admissions\n2019-01-15,RNA,1,10,1,0\n",
            "line 2, column period",
        ),
        (
            "period,org_code,type,attendances,breaches,admissions\n2019-01-01,RNA,1,ten,1,0\n",
            "column attendances",
        ),
        (
            "period,org_code,type,attendances,breaches,admissions\n2019-01-01,RNA,1,10,11,0\n",
            "column breaches",
        ),
    ],
)
def test_bad_files(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    con = connect_duckdb(None)
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_ae_monthly(path, con)


def test_cli_load_published(cli, tmp_path):
    db = tmp_path / "ww.duckdb"
    result = cli("load-published", "ae-monthly", sample_path("ae-monthly"), "--db", db)
    assert result.exit_code == 0, result.output
    assert "274 organisations" in result.output
    again = cli("load-published", "ae-monthly", sample_path("ae-monthly"), "--db", db)
    assert again.exit_code == 0
    con = connect_duckdb(db)
    n = con.table("measures").count().execute()
    con.disconnect()
    assert "read 12765 rows, loaded 12765, refused 0" in result.output  # wc -l minus the header
    wrote = int(result.output.split("wrote ")[1].split()[0])
    assert n == wrote  # "wrote N measures rows ..." once, not twice


def test_cli_errors_exit_2(cli, tmp_path):
    db = tmp_path / "ww.duckdb"
    missing = cli("load-published", "ae-monthly", tmp_path / "none.csv", "--db", db)
    assert missing.exit_code == 2 and "no such file" in missing.output
    assert not db.exists()  # a bad file leaves no warehouse behind
    bad = tmp_path / "bad.csv"
    bad.write_text("period,org_code\n2019-01-01,RNA\n")
    result = cli("load-published", "ae-monthly", bad, "--db", db)
    assert result.exit_code == 2 and "missing column(s)" in result.output
    assert cli("load-published", "no-such-dataset", bad, "--db", db).exit_code == 2
