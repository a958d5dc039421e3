"""Multi-level aggregation (docs/methods.md 1.2, 1.5, 1.6), the demo history and overrides with audit trail."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from wardwatch.errors import InputError
from wardwatch.ratings import OverrideStore, aggregate_ratings, demo_history, make_override

KQ = ["safe", "effective", "caring", "responsive", "well_led"]


def services(org: str, location: str, grid: dict[str, list[str]], enforcement: dict | None = None) -> list[dict]:
    rows = []
    for service, ratings in grid.items():
        for kq, rating in zip(KQ, ratings):
            rows.append({"level": "service", "org": org, "location": location, "service": service,
                         "key_question": kq, "rating": rating,
                         "enforcement": (enforcement or {}).get((service, kq))})
    return rows


def trust_row(org: str, kq: str, rating: str) -> dict:
    return {"level": "trust", "org": org, "location": None, "service": None, "key_question": kq, "rating": rating}


def test_trust_well_led_is_never_aggregated():
    rows = services("T1", "L1", {"UEC": ["G", "G", "G", "G", "O"], "MEDICAL": ["G", "G", "G", "G", "O"]})
    rows += services("T1", "L2", {"SURGERY": ["G", "G", "G", "G", "O"]})
    result = aggregate_ratings(pd.DataFrame(rows + [trust_row("T1", "well_led", "RI")]))
    assert result.rating("T1", "trust", "well_led") == "Requires improvement"
    assert "never aggregated" in result.get("T1", "trust", "well_led")["explanation"]
    # the locations' well-led ARE aggregated from services (multi-location trust)
    assert result.rating("T1", "location", "well_led", location="L1") == "Outstanding"
    # without the trust-level assessment, trust well-led is not rated, not made up from services
    alone = aggregate_ratings(pd.DataFrame(rows))
    assert alone.rating("T1", "trust", "well_led") == "Not rated"
    assert "not supplied" in alone.get("T1", "trust", "well_led")["explanation"]


def test_single_location_trust_location_well_led_equals_trust_well_led():
    rows = services("T2", "L1", {"UEC": ["G"] * 5, "MEDICAL": ["G"] * 5})
    result = aggregate_ratings(pd.DataFrame(rows + [trust_row("T2", "well_led", "Inadequate")]))
    assert result.rating("T2", "location", "well_led", location="L1") == "Inadequate"
    assert result.get("T2", "location", "well_led", location="L1")["rule_id"] == "WELL-LED-SINGLE-LOCATION"


def test_additional_services_not_aggregated_by_default():
    grid = {"UEC": ["I", "G", "G", "G", "G"], "MEDICAL": ["G"] * 5, "SURGERY": ["G"] * 5, "EOLC": ["G"] * 5,
            "DIAGNOSTIC_IMAGING": ["I", "NR", "G", "G", "G"]}
    frame = pd.DataFrame(services("T3", "L1", grid) + [trust_row("T3", "well_led", "G")])
    default = aggregate_ratings(frame)
    # only UEC Inadequate counts among four core services -> single inadequate -> RI
    assert default.rating("T3", "location", "safe", location="L1") == "Requires improvement"
    assert "DIAGNOSTIC_IMAGING" in default.get("T3", "location", "safe", location="L1")["explanation"]
    included = aggregate_ratings(frame, include_additional=["DIAGNOSTIC_IMAGING"])
    # two Inadequate among five -> Inadequate
    assert included.rating("T3", "location", "safe", location="L1") == "Inadequate"
    # the additional service itself is still rated
    assert default.rating("T3", "service", "overall", location="L1", service="DIAGNOSTIC_IMAGING") == \
        "Requires improvement"


def test_enforcement_limiter_flows_upward():
    grid = {"UEC": ["G"] * 5, "MEDICAL": ["G"] * 5}
    frame = pd.DataFrame(services("T4", "L1", grid, {("UEC", "safe"): "enforcement_action"})
                         + [trust_row("T4", "well_led", "G")])
    result = aggregate_ratings(frame)
    cell = result.get("T4", "service", "safe", location="L1", service="UEC")
    assert cell["rating"] == "Inadequate" and cell["input_rating"] == "Good" and cell["rule_id"] == \
        "LIMIT-ENFORCEMENT-ACTION"
    assert result.rating("T4", "location", "safe", location="L1") == "Inadequate"  # 1 of 2 -> table 1-3
    assert result.rating("T4", "trust", "overall") == "Requires improvement"


def test_trust_rows_used_as_given_and_combined_rating():
    rows = [trust_row("T5", kq, r) for kq, r in zip(KQ, ["RI", "RI", "G", "G", "RI"])]
    rows.append(trust_row("T5", "use of resources", "G"))
    result = aggregate_ratings(pd.DataFrame(rows))
    assert result.rating("T5", "trust", "overall") == "Requires improvement"  # 3 RI of 5
    assert result.rating("T5", "trust", "combined") == "Requires improvement"  # 3 RI of 6
    rows[-1] = trust_row("T5", "use of resources", "O")
    rows[1] = trust_row("T5", "effective", "G")
    result = aggregate_ratings(pd.DataFrame(rows))
    assert result.rating("T5", "trust", "overall") == "Requires improvement"  # 2 RI of 5
    assert result.rating("T5", "trust", "combined") == "Good"  # 2 RI of 6 tolerated


@pytest.mark.parametrize("inspection_id", ["ZFV-2017", "ZFV-2019"])
def test_demo_history_aggregates_to_its_published_ratings(inspection_id):
    history = demo_history()
    inspection = next(i for i in history.inspections if i.id == inspection_id)
    result = inspection.aggregate()
    for kq, published in inspection.published_trust.items():
        assert result.rating("ZFV", "trust", kq) == published, kq


def test_demo_2019_pattern_and_diagnostic_imaging_flag():
    inspection = demo_history().latest()
    result = inspection.aggregate()
    got = {kq: result.rating("ZFV", "trust", kq) for kq in KQ + ["overall"]}
    assert got == {"safe": "Inadequate", "effective": "Good", "caring": "Good",
                   "responsive": "Requires improvement", "well_led": "Requires improvement",
                   "overall": "Requires improvement"}
    assert result.rating("ZFV", "service", "safe", location="ZFV01", service="UEC") == "Inadequate"
    assert result.rating("ZFV", "service", "safe", location="ZFV02", service="DIAGNOSTIC_IMAGING") == "Inadequate"
    assert result.rating("ZFV", "location", "overall", location="ZFV02") == "Inadequate"  # like Corbett
    # without diagnostic imaging (CQC's usual practice) trust Safe would only be RI
    assert inspection.aggregate(include_additional=False).rating("ZFV", "trust", "safe") == "Requires improvement"


def test_override_requires_reason_and_author():
    with pytest.raises(InputError, match="reason"):
        make_override(level="trust", org="T", key_question="overall", to="Good", reason="  ", who="A")
    with pytest.raises(InputError, match="who"):
        make_override(level="trust", org="T", key_question="overall", to="Good", reason="judgement", who="")


@pytest.mark.parametrize("suffix", [".jsonl", ".duckdb"])
def test_override_is_audited_and_applied(tmp_path, suffix):
    rows = [trust_row("T6", kq, r) for kq, r in zip(KQ, ["G", "O", "O", "G", "G"])]
    computed = aggregate_ratings(pd.DataFrame(rows))
    assert computed.rating("T6") == "Outstanding"
    store = OverrideStore(tmp_path / f"audit{suffix}")
    store.append(make_override(level="trust", org="T6", key_question="overall", to="Good",
                               reason="outstanding practice limited to one site", who="Lead inspector",
                               from_rating="Outstanding"))
    trail = store.read()
    assert len(trail) == 1
    entry = trail[0]
    assert (entry.who, entry.from_rating, entry.to_rating) == ("Lead inspector", "Outstanding", "Good")
    assert entry.reason and entry.when.startswith("20")
    result = aggregate_ratings(pd.DataFrame(rows), overrides=trail)
    cell = result.get("T6")
    assert cell["rating"] == "Good" and cell["rule_id"] == "OVERRIDE"
    assert "Lead inspector" in cell["explanation"] and "outstanding practice" in cell["explanation"]
    assert "Outstanding" in cell["explanation"]  # the computed rating stays visible
    assert store.to_frame().shape == (1, 10)


def test_override_for_unknown_cell_is_refused():
    rows = [trust_row("T7", kq, "G") for kq in KQ]
    override = make_override(level="trust", org="NOPE", key_question="overall", to="Good", reason="x", who="y")
    with pytest.raises(InputError, match="not in the result"):
        aggregate_ratings(pd.DataFrame(rows), overrides=[override])


def test_input_errors_say_what_and_where():
    with pytest.raises(InputError, match="rating"):
        aggregate_ratings(pd.DataFrame({"org": ["T"], "key_question": ["Safe"]}))
    with pytest.raises(InputError, match="row 3"):
        aggregate_ratings(pd.DataFrame({"org": ["T", "T"], "key_question": ["Safe", "Safe"],
                                        "rating": ["Good", "Brilliant"]}))


def test_cli_aggregate_and_override(cli, tmp_path):
    rows = services("T8", "L1", {"UEC": ["RI", "G", "G", "RI", "G"], "MEDICAL": ["G"] * 5})
    rows.append(trust_row("T8", "well_led", "G"))
    src = tmp_path / "in.csv"
    pd.DataFrame(rows).to_csv(src, index=False)
    out = tmp_path / "out.csv"
    result = cli("ratings", "aggregate", src, "--out", out)
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    assert {"level", "org", "location", "service", "key_question", "rating", "rule_id", "verified",
            "explanation"} <= set(frame.columns)
    trust = frame[(frame.level == "trust") & (frame.key_question == "overall")].iloc[0]
    assert trust.rating == "Requires improvement"  # safe RI + responsive RI at trust level
    audit = tmp_path / "audit.jsonl"
    result = cli("ratings", "override", "--store", audit, "--org", "T8", "--to", "Good", "--who", "Panel",
                 "--reason", "improvements verified at a follow-up visit", "--from", "Requires improvement")
    assert result.exit_code == 0, result.output
    assert json.loads(audit.read_text().splitlines()[0])["reason"].startswith("improvements")
    result = cli("ratings", "aggregate", src, "--out", out, "--overrides", audit)
    assert result.exit_code == 0 and "1 override(s) applied" in result.output
    frame = pd.read_csv(out)
    assert frame[(frame.level == "trust") & (frame.key_question == "overall")].iloc[0].rating == "Good"
    missing_reason = cli("ratings", "override", "--store", audit, "--org", "T8", "--to", "Good", "--who", "P",
                         "--reason", " ")
    assert missing_reason.exit_code == 2 and len(audit.read_text().splitlines()) == 1
