"""The `wardwatch public` command: files written, errors as one line."""

from __future__ import annotations

import sys

import pytest

from wardwatch.errors import InputError


def test_cli_writes_an_offline_page(cli, public_data, public_db, tmp_path):
    out = tmp_path / "rna"
    result = cli("public", "--org", "RNA", "--out", out, "--db", public_db)
    assert result.exit_code == 0, result.output
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "Dudley Group NHS Foundation Trust" in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html


def test_cli_unknown_org_is_one_error_line(cli, public_data, public_db, tmp_path):
    result = cli("public", "--org", "NOPE", "--out", tmp_path / "x", "--db", public_db)
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: no organisation 'NOPE'")
    assert not (tmp_path / "x").exists()


def test_cli_list_prints_codes_and_names(cli, public_data, public_db):
    result = cli("public", "--list", "--db", public_db)
    assert result.exit_code == 0
    assert "RNA\tDudley Group NHS Foundation Trust" in result.output.splitlines()
    assert len(result.output.splitlines()) == len(public_data.org_codes())


def test_pdf_without_the_pdf_module_is_an_input_error(public_data, tmp_path, monkeypatch):
    from wardwatch.public import write_public_report

    monkeypatch.setitem(sys.modules, "wardwatch.report.pdf", None)  # import now raises ImportError
    with pytest.raises(InputError, match="--pdf: PDF output is not available"):
        write_public_report("RNA", tmp_path, pdf=True, data=public_data)
    assert (tmp_path / "index.html").is_file()  # the HTML is still there


def test_out_must_be_a_directory(public_data, tmp_path):
    from wardwatch.public import write_public_report

    target = tmp_path / "file.html"
    target.write_text("x")
    with pytest.raises(InputError, match="not a directory"):
        write_public_report("RNA", target, data=public_data)
