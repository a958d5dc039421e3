"""Benchmark: time `wardwatch.ingest.load` on a generated ED attendances file.

Not a test (no timed assertions): run it by hand and record the figure.

    .venv/bin/python benchmarks/load.py --rows 1000000 --format parquet

The file is generated here with NumPy (vectorised, seeded); about 1% of rows carry a defect so
that the quarantine path is exercised too. Prints read/loaded/quarantined, wall-clock and
CPU seconds for a first load and for a re-load of the same file (which must add nothing), the peak
resident memory of each, and, for Parquet, DuckDB's own
`CREATE TABLE AS SELECT * FROM read_parquet(...)` of the same file under the same memory limit as
the floor no loader can beat. Each step runs in a fresh Python process (as `wardwatch load`
does), so its peak memory is its own; the load average is printed at the start and the end.

    .venv/bin/python benchmarks/load.py --rows 25000000 --format parquet --memory-limit 2GB
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq


def ed_table(rows: int, seed: int = 1) -> pa.Table:
    """A synthetic ED extract with ``rows`` rows, ~1% defective (vectorised)."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2017-04-01T00:00", "m")
    arrival = start + rng.integers(0, 3 * 365 * 24 * 60, rows).astype("timedelta64[m]")
    assess = arrival + rng.integers(0, 60, rows).astype("timedelta64[m]")
    seen = assess + rng.integers(0, 180, rows).astype("timedelta64[m]")
    departed = seen + rng.integers(10, 600, rows).astype("timedelta64[m]")
    ages = rng.integers(0, 100, rows)
    ids = np.char.add("A", np.arange(rows).astype(str))
    # defects: 0.3% negative ages, 0.3% departure before arrival, 0.2% duplicate ids, 0.2% blank ids
    u = rng.random(rows)
    ages = np.where(u < 0.003, -1, ages)
    departed = np.where((u >= 0.003) & (u < 0.006), arrival - np.timedelta64(5, "m"), departed)
    dup = (u >= 0.006) & (u < 0.008)
    ids = np.where(dup, "A0", ids)
    ids_obj = ids.astype(object)
    ids_obj[(u >= 0.008) & (u < 0.010)] = None
    modes = np.array(["ambulance", "walk_in", "police", "other"])[rng.integers(0, 4, rows)]
    disposals = np.array(["admitted", "discharged", "referred", "transferred"])[rng.integers(0, 4, rows)]
    return pa.table(
        {
            "attendance_id": pa.array(ids_obj, pa.string()),
            "org_code": pa.array(np.full(rows, "ZFV")),
            "site_code": pa.array(np.full(rows, "ZFV01")),
            "department_type": pa.array(rng.integers(1, 4, rows)),
            "arrival_at": pa.array(arrival.astype("datetime64[us]")),
            "initial_assessment_at": pa.array(assess.astype("datetime64[us]")),
            "clinician_seen_at": pa.array(seen.astype("datetime64[us]")),
            "departed_at": pa.array(departed.astype("datetime64[us]")),
            "arrival_mode": pa.array(modes),
            "acuity": pa.array(rng.integers(1, 6, rows)),
            "age": pa.array(ages),
            "disposal": pa.array(disposals),
        }
    )


#: Appended to each step: the peak resident memory of the step's own address space. Not
#: ru_maxrss, which Linux carries over from the forking parent (here, the file generator's peak).
PEAK = """
for _line in open("/proc/self/status"):
    if _line.startswith("VmHWM:"):
        print("peak_kib", _line.split()[1])
"""


def _child(code: str, *args: str) -> tuple[float, float, float, str]:
    """Run ``code`` in a fresh Python process: (wall s, CPU s of the process, peak RSS GB, stdout).

    A fresh process per step, as ``wardwatch load`` runs, so the peak is the step's own. CPU time
    (user + system, all threads) as well as wall time: on a shared machine wall time varies with
    the load average.
    """
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code + PEAK, *args], stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.stdout.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"step failed (exit {proc.returncode})")
    lines = out.strip().splitlines()
    peak = int(lines[-1].split()[1]) * 1024 / 1e9
    return wall, usage.ru_utime + usage.ru_stime, peak, "\n".join(lines[:-1])


GENERATE = """
import sys
sys.path.insert(0, sys.argv[1])
from load import ed_table, pq, pacsv
table = ed_table(int(sys.argv[2]))
if sys.argv[3] == "parquet":
    pq.write_table(table, sys.argv[4])
else:
    pacsv.write_csv(table, sys.argv[4])
"""


COPY = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
con.execute(f"SET memory_limit = '{sys.argv[3]}'")
con.execute(f"SET temp_directory = '{sys.argv[4]}'")
con.execute(f"CREATE TABLE t AS SELECT * FROM read_parquet('{sys.argv[2]}')")
con.close()
"""

LOAD = """
import json, sys
from wardwatch.ingest import load
item = load(sys.argv[1], sys.argv[2], memory_limit=sys.argv[3])["ed_attendances"]
print(json.dumps(item.to_dict()))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    parser.add_argument("--memory-limit", default="2GB", help="passed to the load and to DuckDB's own copy")
    args = parser.parse_args()
    print(f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, load average "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} (1, 5, 15 min)", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        # generated in a child process too, so that this one stays small
        wall, _, _, _ = _child(GENERATE, str(Path(__file__).parent), str(args.rows), args.format,
                               str(folder / f"ed_attendances.{args.format}"))
        print(f"generated {args.rows:,} rows ({args.format}) in {wall:.1f} s", flush=True)
        floor = None
        if args.format == "parquet":
            copy_db = Path(tmp) / "copy.duckdb"
            wall, cpu, rss, _ = _child(COPY, str(copy_db), str(folder / "ed_attendances.parquet"),
                                       args.memory_limit, str(Path(tmp) / "spill"))
            floor = wall
            copy_db.unlink()
            print(f"DuckDB's own CREATE TABLE AS SELECT: {wall:.1f} s wall, {cpu:.1f} s CPU, peak RSS {rss:.2f} GB",
                  flush=True)
        db = Path(tmp) / "wh.duckdb"
        for attempt in ("first load", "re-load"):
            wall, cpu, rss, out = _child(LOAD, str(folder), str(db), args.memory_limit)
            item = json.loads(out.strip().splitlines()[-1])
            ratio = f" ({wall / floor:.1f}x DuckDB's copy)" if floor else ""
            print(
                f"{attempt}: {wall:.1f} s wall{ratio}, {cpu:.1f} s CPU, peak RSS {rss:.2f} GB  "
                f"read={item['read']:,} loaded={item['loaded']:,} added={item['added']:,} "
                f"quarantined={item['quarantined']:,} reasons={item['reasons']}",
                flush=True,
            )
    print(f"load average at the end {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
