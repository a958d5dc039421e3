"""docs/data-contracts.md is generated from the contracts and must stay in step with them."""

from __future__ import annotations

from pathlib import Path

from wardwatch.contracts.docs import render_markdown
from wardwatch.contracts.reasons import REASON_CODES
from wardwatch.contracts.schema import CONTRACTS

DOC = Path(__file__).resolve().parents[2] / "docs" / "data-contracts.md"


def test_committed_document_equals_generated() -> None:
    assert DOC.read_text(encoding="utf-8") == render_markdown(), (
        "docs/data-contracts.md is out of date: run `python -m wardwatch.contracts.docs > docs/data-contracts.md`"
    )


def test_document_covers_every_dataset_column_and_reason() -> None:
    text = render_markdown()
    for contract in CONTRACTS.values():
        assert f"## {contract.name}\n" in text
        for column in contract.columns:
            assert f"| `{column.name}` |" in text
    for code in REASON_CODES:
        assert f"`{code}`" in text
    # reasons table in the documented order
    positions = [text.index(f"| `{code}` |") for code in REASON_CODES]
    assert positions == sorted(positions)
