"""`wardwatch funnel` on the golden input and on the A&E file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

REF = Path(__file__).parents[1] / "data" / "reference" / "funnel"


def test_funnel_cli_reproduces_golden_phi(cli, tmp_path):
    data = pd.read_csv(REF / "funnel_input.csv")
    data[data["case_id"] == "SR_CQC"].to_csv(tmp_path / "in.csv", index=False)
    expected = pd.read_csv(REF / "funnel_expected.csv")
    expected = expected[expected["case_id"] == "SR_CQC"]
    out = tmp_path / "out.csv"
    svg = tmp_path / "f.svg"
    result = cli("funnel", tmp_path / "in.csv", "--group", "group", "--numerator", "numerator",
                 "--denominator", "denominator", "--type", "SR", "--method", "spiegelhalter",
                 "--style", "funnelplotr", "--out", out, "--svg", svg, "--highlight", "RNA")
    assert result.exit_code == 0, result.output
    units = pd.read_csv(out)
    assert units["phi"].iloc[0] == pytest.approx(expected["phi"].iloc[0], rel=1e-9)
    assert units["tau2"].iloc[0] == pytest.approx(expected["tau2"].iloc[0], rel=1e-9)
    assert {"group", "numerator", "denominator", "value", "target", "ll95", "ul95", "ll998", "ul998",
            "ll95_unadj", "z", "outlier", "band", "phi", "tau2"} <= set(units.columns)
    assert svg.read_text().lstrip().startswith("<svg") and "RNA" in svg.read_text()
    assert "135 groups" in result.output


def test_funnel_cli_user_errors(cli, tmp_path):
    (tmp_path / "in.csv").write_text("g,y,n\nA,1,10\nB,2,10\nC,3,10\n")
    cases = [
        (("funnel", tmp_path / "missing.csv", "--group", "g", "--numerator", "y", "--denominator", "n",
          "--out", tmp_path / "o.csv"), "not found"),
        (("funnel", tmp_path / "in.csv", "--group", "g", "--numerator", "nope", "--denominator", "n",
          "--out", tmp_path / "o.csv"), "column 'nope'"),
        (("funnel", tmp_path / "in.csv", "--group", "g", "--numerator", "y", "--denominator", "n",
          "--out", tmp_path / "o.csv", "--highlight", "ZZZ"), "highlight"),
    ]
    for args, message in cases:
        result = cli(*args)
        # one line "Error: ...", exit code 2, no traceback
        assert result.exit_code == 2, result.output
        assert result.output.startswith("Error: ") and message in result.output
        assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
