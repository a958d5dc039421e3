"""`wardwatch spc` from the command line (typer CliRunner via the ``cli`` fixture)."""

from __future__ import annotations

import pandas as pd
import pytest


@pytest.fixture
def small_csv(tmp_path):
    path = tmp_path / "in.csv"
    rows = ["trust,month,value"]
    for trust, values in {"RNA": [10, 12, 10, 12, 10, 12, 17], "R01": [5, 6, 5, 6]}.items():
        for i, v in enumerate(values):
            rows.append(f"{trust},2019-{i + 1:02d}-01,{v}")
    path.write_text("\n".join(rows) + "\n")
    return path


def test_help(cli):
    result = cli("spc", "--help")
    assert result.exit_code == 0
    for option in (
        "--chart",
        "--improvement",
        "--rebase",
        "--fix-after",
        "--rules",
        "--screen",
        "--run-length",
    ):
        assert option in result.output


def test_run_writes_points_and_summary(cli, small_csv, tmp_path):
    out, summary = tmp_path / "out.csv", tmp_path / "summary.csv"
    result = cli(
        "spc",
        small_csv,
        "--out",
        out,
        "--summary",
        summary,
        "--x",
        "month",
        "--y",
        "value",
        "--by",
        "trust",
        "--improvement",
        "increase",
        "--target",
        "20",
        "--fix-after",
        "6",
    )
    assert result.exit_code == 0, result.output
    points = pd.read_csv(out, dtype={"trust": str})
    assert list(points.columns) == [
        "trust",
        "x",
        "y",
        "n",
        "centre",
        "lpl",
        "upl",
        "lower_near",
        "upper_near",
        "segment",
        "special_cause",
        "point_type",
    ]
    rna = points[points["trust"] == "RNA"]
    assert rna["x"].iloc[0] == "2019-01-01"
    assert rna["upl"].iloc[0] == pytest.approx(16.32)
    assert rna["special_cause"].iloc[-1] == "outside_limits"
    table = pd.read_csv(summary, dtype={"trust": str}).set_index("trust")
    assert table.loc["RNA", "variation"] == "special_cause_improvement"
    assert table.loc["RNA", "assurance"] == "consistent_fail"
    assert "2 series" in result.output


def test_rebase_and_rules_options(cli, small_csv, tmp_path):
    out = tmp_path / "out.csv"
    result = cli(
        "spc",
        small_csv,
        "--out",
        out,
        "--x",
        "month",
        "--y",
        "value",
        "--by",
        "trust",
        "--improvement",
        "decrease",
        "--rebase",
        "2019-03-01",
        "--rules",
        "ptd",
        "--no-screen",
        "--run-length",
        "6",
    )
    assert result.exit_code == 0, result.output
    points = pd.read_csv(out, dtype={"trust": str})
    assert points.groupby("trust")["segment"].max().to_dict() == {"R01": 1, "RNA": 1}


@pytest.mark.parametrize(
    "args, message",
    [
        (["--y", "missing"], "not found"),
        (["--y", "value", "--chart", "zz"], "unknown chart"),
        (["--y", "value", "--improvement", "sideways"], "unknown improvement"),
    ],
)
def test_bad_input_exits_2_with_one_line(cli, small_csv, tmp_path, args, message):
    base = ["spc", small_csv, "--out", tmp_path / "o.csv", "--x", "month"]
    if "--improvement" not in args:
        args = [*args, "--improvement", "increase"]
    result = cli(*base, *args)
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error:") and message in lines[0]
    assert "Traceback" not in result.output


def test_non_numeric_y(cli, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("month,value\n2019-01-01,1\n2019-02-01,lots\n2019-03-01,2\n")
    result = cli(
        "spc", path, "--out", tmp_path / "o.csv", "--x", "month", "--y", "value", "--improvement", "increase"
    )
    assert result.exit_code == 2
    assert "non-numeric" in result.output and "'lots'" in result.output and "row 2" in result.output


def test_missing_file(cli, tmp_path):
    result = cli(
        "spc",
        tmp_path / "nope.csv",
        "--out",
        tmp_path / "o.csv",
        "--x",
        "m",
        "--y",
        "v",
        "--improvement",
        "increase",
    )
    assert result.exit_code == 2 and "not found" in result.output


def test_attribute_chart_with_numeric_x_and_rebase(cli, tmp_path):
    path = tmp_path / "counts.csv"
    rows = ["week,events,total"] + [f"{w},{10 + (w % 3)},{100 + w}" for w in range(1, 21)]
    path.write_text("\n".join(rows) + "\n")
    out, summary = tmp_path / "o.csv", tmp_path / "s.csv"
    result = cli(
        "spc",
        path,
        "--out",
        out,
        "--summary",
        summary,
        "--x",
        "week",
        "--y",
        "events",
        "--n",
        "total",
        "--chart",
        "pp",
        "--improvement",
        "decrease",
        "--rebase",
        "11",
    )
    assert result.exit_code == 0, result.output
    points = pd.read_csv(out)
    assert points["x"].tolist() == list(range(1, 21))
    assert points["y"].iloc[0] == pytest.approx(11 / 101) and points["n"].iloc[0] == 101
    assert points["segment"].tolist() == [0] * 10 + [1] * 10
    assert pd.read_csv(summary)["n_points"].tolist() == [10, 10]


def test_public_api_name():
    import wardwatch as ww
    from wardwatch.stats.spc import spc

    assert ww.spc is spc
