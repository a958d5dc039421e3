"""`wardwatch synth` on the command line."""

from __future__ import annotations

import pandas as pd


def test_help_lists_options(cli):
    result = cli("synth", "--help")
    assert result.exit_code == 0
    for option in ("--out", "--seed", "--scale", "--rows", "--format"):
        assert option in result.output


def test_small_run_writes_every_file(cli, tmp_path):
    out = tmp_path / "world"
    result = cli("synth", "--out", out, "--seed", 2, "--scale", "small", "--rows", 2500)
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        [
            "admissions.parquet",
            "ed_attendances.parquet",
            "imaging_requests.parquet",
            "irmer_entitlements.parquet",
            "organisations.csv",
            "sepsis_episodes.parquet",
            "staff_training.parquet",
            "staffing.parquet",
        ]
    )
    assert len(pd.read_parquet(out / "ed_attendances.parquet")) == 2500
    assert "wrote 8 files" in result.output


def test_csv_format(cli, tmp_path):
    result = cli("synth", "--out", tmp_path, "--scale", "small", "--rows", 100, "--format", "csv")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "ed_attendances.csv").exists() and (tmp_path / "admissions.csv").exists()


def test_bad_scale_is_a_one_line_user_error(cli, tmp_path):
    result = cli("synth", "--out", tmp_path, "--scale", "huge")
    assert result.exit_code == 2
    assert "huge" in result.output and "Traceback" not in result.output
    assert not any(tmp_path.iterdir())
