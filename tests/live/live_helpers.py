"""Helpers shared by the live tests (a uniquely named module: `conftest` names clash across folders)."""

from __future__ import annotations

from wardwatch.live.store import LiveStore


def state(store: LiveStore) -> dict[str, list[tuple]]:
    """Derived state, in a canonical order, for comparisons."""
    return {
        table: store.con.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
        for table in ("encounters", "sepsis", "imaging")
    }
