"""Benchmark: `wardwatch refresh` on a demo warehouse, first run, unchanged re-run, one changed measure.

    .venv/bin/python benchmarks/refresh.py --db build/demo/warehouse.duckdb

The warehouse is copied (the original is not touched); its result tables are dropped first so the
first refresh computes everything. Prints wall and CPU seconds per stage and the units recomputed.
The third run changes one monthly measure of one trust and shows that only that series, and the
funnels of that indicator and period, are recomputed.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from wardwatch.results.refresh import refresh
from wardwatch.results.tables import RESULT_TABLES
from wardwatch.warehouse import RESULT_UNITS_TABLE, RUNS_TABLE


def run(db: Path, label: str) -> float:
    wall, cpu = time.perf_counter(), time.process_time()
    summary = refresh(db)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    stages = ", ".join(f"{k} {v['recomputed']}/{v['units']} ({summary.seconds[k]:.1f} s)"
                       for k, v in summary.stages.items())
    print(f"{label:<28} wall {wall:6.1f} s  cpu {cpu:6.1f} s  recomputed {summary.recomputed:>5}  [{stages}]")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="a demo warehouse (wardwatch demo)")
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {platform.system()} {platform.release()}")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "warehouse.duckdb"
        shutil.copy(args.db, db)
        with duckdb.connect(str(db)) as con:
            for name in (*RESULT_TABLES, RESULT_UNITS_TABLE, RUNS_TABLE):
                con.execute(f"DROP TABLE IF EXISTS {name}")
            con.execute("CHECKPOINT")
        first = run(db, "first refresh")
        second = run(db, "second, inputs unchanged")
        print(f"second / first = {second / first:.1%}")
        with duckdb.connect(str(db)) as con:
            con.execute(
                "UPDATE measures SET numerator = numerator - 1, value = (numerator - 1) / denominator "
                "WHERE indicator_id = 'sepsis_screened_1h' AND org_code = 'ZP03' AND site_code IS NULL "
                "AND unit_code IS NULL AND period_grain = 'month' AND period_start = DATE '2019-06-01'"
            )
        run(db, "one monthly measure changed")


if __name__ == "__main__":
    main()
