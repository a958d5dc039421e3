"""Fixtures for the synthetic-data tests: one small world, generated once per session."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from wardwatch.contracts.schema import CONTRACTS


@pytest.fixture(scope="session")
def small_world(tmp_path_factory) -> dict[str, Path]:
    from wardwatch.synth import synthesise

    return synthesise(tmp_path_factory.mktemp("synth_small"), seed=0, scale="small")


@pytest.fixture(scope="session")
def frames(small_world) -> dict[str, pd.DataFrame]:
    return {name: pd.read_parquet(small_world[name]) for name in CONTRACTS}
