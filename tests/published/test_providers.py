"""Organisation lookup -> ``organisations`` table (trust names for reports on published measures)."""

from __future__ import annotations

import pytest

from wardwatch.errors import InputError
from wardwatch.published import load_published, preparer, sample_path
from wardwatch.published.providers import org_names
from wardwatch.warehouse import connect_duckdb

HEADER = "org_code,org_name,org_type,hee_region_code,specialist,hee_region_name\n"


# RNA,Dudley Group NHS Foundation Trust,Acute,YDF32,False,Health Education West Midlands
# 00D,"NHS Durham Dales, Easington and Sedgefield CCG",Clinical Commissioning Group,YDF30,False,...
def test_shipped_lookup_by_hand():
    con = connect_duckdb(None)
    result = load_published("providers", sample_path("providers"), con)
    assert (result.read, result.loaded, result.refused_total) == (431, 431, 0)
    names = org_names(con)
    assert names["RNA"] == "Dudley Group NHS Foundation Trust"
    assert names["00D"] == "NHS Durham Dales, Easington and Sedgefield CCG"  # quoted comma kept
    row = con.con.execute("SELECT org_type, specialist, hee_region_code FROM organisations "
                          "WHERE org_code = 'RNA'").fetchone()
    assert row == ("Acute", False, "YDF32")
    before = con.con.execute("SELECT * FROM organisations ORDER BY org_code").fetchall()
    load_published("providers", sample_path("providers"), con)
    assert con.con.execute("SELECT * FROM organisations ORDER BY org_code").fetchall() == before


def test_no_lookup_loaded_gives_no_names():
    assert org_names(connect_duckdb(None)) == {}


@pytest.mark.parametrize(
    "rows, where",
    [
        ("RNA,A,Acute,Y,False,H\nRNA,B,Acute,Y,False,H\n", "line 3, column org_code: duplicate of line 2"),
        ("RNA,A,Acute,Y,maybe,H\n", "line 2, column specialist"),
        ("RNA,,Acute,Y,False,H\n", "line 2, column org_name"),
        ("R-NA,A,Acute,Y,False,H\n", "line 2, column org_code"),
    ],
)
def test_bad_lookups(tmp_path, rows, where):
    path = tmp_path / "lookup.csv"
    path.write_text(HEADER + rows)
    with pytest.raises(InputError) as info:
        preparer("providers")(path)
    assert "\n" not in str(info.value) and where in str(info.value)
