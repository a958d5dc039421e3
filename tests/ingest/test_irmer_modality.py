"""An IR(ME)R training record without a modality is refused at load (``blank_required_value`` at
``modality``), not loaded to drop silently out of both IR(ME)R indicators (issue 10, item 4).

Expected counts are from the rows below, by hand.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ingest_cases import query_rows as _rows

from wardwatch.ingest import load

HEADER = "record_id,staff_id,org_code,staff_group,role,course,modality,required_from,completed_on,valid_until"
ROWS = [
    "T1,ST1,ZFV,radiography,Diagnostic radiographer,irmer_operator,CT,2017-04-01,2018-01-10,2019-01-10",
    # IR(ME)R courses with a blank modality (an empty value and spaces): refused
    "T2,ST1,ZFV,radiography,Diagnostic radiographer,irmer_practitioner,,2017-04-01,2018-01-10,2019-01-10",
    "T3,ST3,ZFV,medical,Consultant radiologist,irmer_operator,  ,2017-04-01,,",
    # a mandatory course needs no modality: loads
    "T4,ST2,ZFV,nursing,Staff nurse,fire_safety,,2017-04-01,,",
    # blank modality AND a bad course code: the earlier rule (unknown_code) is its one reason
    "T5,ST2,ZFV,nursing,Staff nurse,juggling,,2017-04-01,,",
]


def test_blank_modality_on_irmer_row_is_quarantined_with_reason(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "staff_training.csv").write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    db = tmp_path / "wh.duckdb"
    item = load(folder, db)["staff_training"]
    assert (item.read, item.loaded, item.quarantined) == (5, 2, 3)
    assert item.read == item.loaded + item.quarantined
    assert item.reasons == {"unknown_code": 1, "blank_required_value": 2}
    got = _rows(db, "SELECT row_number, reason, column_name, record FROM quarantine ORDER BY row_number")
    assert [(r[0], r[1], r[2]) for r in got] == [
        (2, "blank_required_value", "modality"),
        (3, "blank_required_value", "modality"),
        (5, "unknown_code", "course"),
    ]
    assert json.loads(got[0][3])["record_id"] == "T2"
    assert _rows(db, "SELECT record_id FROM staff_training ORDER BY 1") == [("T1",), ("T4",)]


def test_modality_column_absent_refuses_every_irmer_row(tmp_path: Path) -> None:
    # modality is optional as a column (a file of mandatory training only needs none), but then
    # every IR(ME)R row lacks it
    folder = tmp_path / "in"
    folder.mkdir()
    table = pa.table({
        "record_id": ["T1", "T2"],
        "staff_id": ["ST1", "ST2"],
        "org_code": ["ZFV", "ZFV"],
        "staff_group": ["radiography", "nursing"],
        "role": ["Radiographer", "Staff nurse"],
        "course": ["irmer_operator", "fire_safety"],
        "required_from": pa.array([date(2017, 4, 1)] * 2, pa.date32()),
        "completed_on": pa.array([None, None], pa.date32()),
        "valid_until": pa.array([None, None], pa.date32()),
    })
    pq.write_table(table, folder / "staff_training.parquet")
    db = tmp_path / "wh.duckdb"
    item = load(folder, db)["staff_training"]
    assert (item.read, item.loaded, item.reasons) == (2, 1, {"blank_required_value": 1})
    assert _rows(db, "SELECT record_id FROM staff_training") == [("T2",)]


@pytest.mark.parametrize("course", ["irmer_practitioner", "irmer_operator"])
def test_rule_is_listed_in_the_contract_docs(course: str) -> None:
    from wardwatch.contracts.docs import render_markdown

    text = render_markdown()
    section = text[text.index("## staff_training"):text.index("## irmer_entitlements")]
    line = next(x for x in section.splitlines() if x.startswith("| `modality` |"))
    assert f"`{course}`" in line
