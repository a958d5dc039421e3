"""Property: any arrival order, any batching, any re-sends of a set of messages give one state."""

from __future__ import annotations

import itertools
import shutil

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from live_helpers import state

from wardwatch.live import messages as m
from wardwatch.live.store import LiveStore, key_path

STREAM = [
    m.adt("A04", "P1", "2024-03-01 08:00", "1", "V1", "E", "ED", "ZFV01"),
    m.oru_observation("P2", "2024-03-01 08:20", "1", "V1", "NEWS2", "6", "E", "ED"),
    m.oru_observation("P3", "2024-03-01 08:40", "1", "V1", "NEWS2", "9", "E", "ED"),
    m.ras("P4", "2024-03-01 09:30", "1", "V1", patient_class="E", location="ED"),
    m.adt("A01", "P5", "2024-03-01 12:00", "1", "V1", "I", "WARD2", "ZFV01"),
    m.adt("A04", "P6", "2024-03-01 09:00", "2", "V2", "E", "ED", "ZFV01"),
    m.adt("A03", "P7", "2024-03-01 11:00", "2", "V2", "E", "ED", "ZFV01", disposition="04"),
    m.adt("A13", "P8", "2024-03-01 11:05", "2", "V2", "E", "ED", "ZFV01"),
    m.adt("A03", "P9", "2024-03-01 15:00", "2", "V2", "E", "ED", "ZFV01", disposition="01"),
    m.orm("NW", "P10", "2024-03-01 07:00", "3", "R1", modality="MR", visit_id="V3"),
    m.orm("SC", "P11", "2024-03-01 13:00", "3", "R1", status="CM", performed_at="2024-03-01 13:00"),
    m.oru_report("P12", "2024-03-01 16:00", "3", "R1", "2024-03-01 13:00", "2024-03-01 16:00"),
]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    order=st.permutations(range(len(STREAM))),
    resend=st.lists(st.integers(0, len(STREAM) - 1), max_size=5),
    cuts=st.lists(st.integers(1, len(STREAM) + 4), max_size=4),
)
def test_state_is_independent_of_order_batching_and_resends(tmp_path_factory, order, resend, cuts):
    base = tmp_path_factory.mktemp("ref")
    reference = LiveStore(base / "w.duckdb")
    reference.ingest_hl7(STREAM)
    expected = state(reference)
    reference.close()
    assert expected["encounters"] and expected["sepsis"] and expected["imaging"]

    folder = tmp_path_factory.mktemp("perm")
    shutil.copy(key_path(base / "w.duckdb"), key_path(folder / "w.duckdb"))
    live = LiveStore(folder / "w.duckdb")
    sequence = [STREAM[i] for i in order] + [STREAM[i] for i in resend]
    bounds = sorted({0, len(sequence), *[c for c in cuts if c < len(sequence)]})
    statuses = []
    for start, end in itertools.pairwise(bounds):
        statuses += [o.status for o in live.ingest_hl7(sequence[start:end])]
    assert statuses.count("applied") == len(STREAM) and statuses.count("duplicate") == len(resend)
    assert state(live) == expected
    live.close()
