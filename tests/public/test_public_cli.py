"""The `wardwatch public` command: files written, errors as one line."""

from __future__ import annotations

import sys

import pytest

from wardwatch.errors import WardwatchError


def test_cli_writes_an_offline_page(cli, public_data, public_db, tmp_path):
    out = tmp_path / "rna"
    result = cli("public", "--org", "RNA", "--out", out, "--db", public_db)
    assert result.exit_code == 0, result.output
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "Dudley Group NHS Foundation Trust" in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html


def test_public_page_in_a_real_browser_has_no_serious_accessibility_violation(cli, public_data, public_db,
                                                                              tmp_path, browser):
    from browsertools import axe_violations

    out = tmp_path / "rna"
    assert cli("public", "--org", "RNA", "--out", out, "--db", public_db).exit_code == 0
    page = browser.new_page()
    page.goto((out / "index.html").as_uri())
    assert axe_violations(page) == []
    assert page.locator("h1").count() == 1 and "Dudley" in page.title()
    page.close()


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


def test_pdf_is_a4_with_the_trust_and_its_sources(public_data, tmp_path):
    import subprocess

    from wardwatch.public import write_public_report

    write_public_report("RNA", tmp_path, pdf=True, data=public_data)
    pdf = tmp_path / "index.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "595.276 x 841.89 pts (A4)" in info or "595 x 842 pts (A4)" in info, info
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Dudley Group NHS Foundation Trust" in text
    assert "Open Government Licence" in text or "OGL" in text


def test_pdf_without_a_renderer_is_one_error_before_any_work(public_data, tmp_path, monkeypatch):
    from wardwatch.public import write_public_report

    monkeypatch.setitem(sys.modules, "weasyprint", None)  # what an absent package looks like to import
    with pytest.raises(WardwatchError, match="system-deps"):
        write_public_report("RNA", tmp_path / "out", pdf=True, data=public_data)
    assert not (tmp_path / "out").exists()
