"""Benchmark: wardwatch's ED indicators through the generic engine vs a hand-written DuckDB query.

    .venv/bin/python benchmarks/ed_indicators.py --rows 25000000 [--threads 2] [--memory-limit 1500MB]

1. Synthetic ED attendances (``wardwatch.synth.write_ed_attendances``) are written once to
   ``build/bench/ed_<rows>_<seed>.parquet`` and loaded into the DuckDB file
   ``build/bench/ed_<rows>_<seed>.duckdb`` (both cached between runs).
2. A fresh subprocess (so data generation and loading do not count towards its peak memory)
   opens the file with ``--threads`` and a DuckDB ``memory_limit``, then times, alternately,
   (a) ``compute_measures`` for ed_initial_assessment_15min, ed_4h and ed_12h_from_arrival (weekly and
   monthly, trust and site rows, collected to pandas) and (b) one hand-written SQL query giving the
   same rows (GROUPING SETS over the week and month of arrival: ``duckdb_sql_s``, ``ratio``), and
   (c) the same SQL written in two stages like the engine (per day, then roll-up:
   ``duckdb_sql_two_stage_s``, ``ratio_two_stage``); best of ``--repeat`` runs each. It checks all
   results are equal.
3. Prints ONE JSON line: rows, wardwatch_s, duckdb_sql_s, ratio, peak_rss_mb (ru_maxrss of that
   subprocess), plus the two-stage figures, threads, memory_limit and equal.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "build" / "bench"
ED_IDS = ("ed_initial_assessment_15min", "ed_4h", "ed_12h_from_arrival")

HAND_SQL = """
WITH flagged AS (
    SELECT
        org_code,
        site_code,
        CAST(date_trunc('week', arrival_at) AS DATE) AS week_start,
        CAST(date_trunc('month', arrival_at) AS DATE) AS month_start,
        CASE WHEN initial_assessment_at <= arrival_at + INTERVAL 900 SECOND THEN 1 ELSE 0 END AS assessed_15,
        CASE WHEN departed_at IS NOT NULL THEN 1 ELSE 0 END AS completed,
        CASE WHEN departed_at <= arrival_at + INTERVAL 14400 SECOND THEN 1 ELSE 0 END AS within_4h,
        CASE WHEN departed_at > arrival_at + INTERVAL 43200 SECOND THEN 1 ELSE 0 END AS over_12h
    FROM ed_attendances
    WHERE arrival_at IS NOT NULL
),
sums AS (
    SELECT
        org_code,
        CASE WHEN grouping(site_code) = 0 THEN site_code END AS site_code,
        CASE WHEN grouping(week_start) = 0 THEN 'week' ELSE 'month' END AS period_grain,
        coalesce(week_start, month_start) AS period_start,
        count(*) AS attendances,
        sum(assessed_15) AS assessed_15,
        sum(completed) AS completed,
        sum(within_4h) AS within_4h,
        sum(over_12h) AS over_12h
    FROM flagged
    GROUP BY GROUPING SETS (
        (org_code, week_start), (org_code, site_code, week_start),
        (org_code, month_start), (org_code, site_code, month_start)
    )
)
SELECT 'ed_initial_assessment_15min' AS indicator_id, org_code, site_code, period_start, period_grain,
       assessed_15::DOUBLE AS numerator, attendances::DOUBLE AS denominator FROM sums WHERE attendances > 0
UNION ALL
SELECT 'ed_4h', org_code, site_code, period_start, period_grain, within_4h::DOUBLE, completed::DOUBLE
FROM sums WHERE completed > 0
UNION ALL
SELECT 'ed_12h_from_arrival', org_code, site_code, period_start, period_grain, over_12h::DOUBLE, completed::DOUBLE
FROM sums WHERE completed > 0
"""


# The same result written the way the engine works: sum per org, site and day first (one pass over
# the big table), then roll the small daily table up to weeks and months.
HAND_SQL_TWO_STAGE = """
WITH daily AS (
    SELECT
        org_code, site_code, CAST(arrival_at AS DATE) AS day,
        count(*) AS attendances,
        sum(CASE WHEN initial_assessment_at <= arrival_at + INTERVAL 900 SECOND THEN 1 ELSE 0 END) AS assessed_15,
        sum(CASE WHEN departed_at IS NOT NULL THEN 1 ELSE 0 END) AS completed,
        sum(CASE WHEN departed_at <= arrival_at + INTERVAL 14400 SECOND THEN 1 ELSE 0 END) AS within_4h,
        sum(CASE WHEN departed_at > arrival_at + INTERVAL 43200 SECOND THEN 1 ELSE 0 END) AS over_12h
    FROM ed_attendances
    WHERE arrival_at IS NOT NULL
    GROUP BY ALL
),
flagged AS (
    SELECT *, CAST(date_trunc('week', day) AS DATE) AS week_start, CAST(date_trunc('month', day) AS DATE) AS month_start
    FROM daily
),
sums AS (
    SELECT
        org_code,
        CASE WHEN grouping(site_code) = 0 THEN site_code END AS site_code,
        CASE WHEN grouping(week_start) = 0 THEN 'week' ELSE 'month' END AS period_grain,
        coalesce(week_start, month_start) AS period_start,
        sum(attendances) AS attendances, sum(assessed_15) AS assessed_15, sum(completed) AS completed,
        sum(within_4h) AS within_4h, sum(over_12h) AS over_12h
    FROM flagged
    GROUP BY GROUPING SETS (
        (org_code, week_start), (org_code, site_code, week_start),
        (org_code, month_start), (org_code, site_code, month_start)
    )
)
""" + HAND_SQL[HAND_SQL.index("SELECT 'ed_initial") :]


def parquet_path(rows: int, seed: int) -> Path:
    return CACHE / f"ed_{rows}_{seed}.parquet"


def make_parquet(rows: int, seed: int) -> Path:
    path = parquet_path(rows, seed)
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.parquet")
    from wardwatch.synth import write_ed_attendances

    written = Path(write_ed_attendances(tmp, rows, seed))
    written.rename(path)
    return path


def make_duckdb(parquet: Path, memory_limit: str) -> Path:
    import duckdb

    db = parquet.with_suffix(".duckdb")
    if db.exists():
        return db
    tmp = db.with_suffix(".tmp.duckdb")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"CREATE TABLE ed_attendances AS SELECT * FROM read_parquet('{parquet.as_posix()}')")
    con.close()
    tmp.rename(db)
    return db


def timed_child(db: Path, threads: int, memory_limit: str, repeat: int) -> dict:
    """Runs in the fresh subprocess: time both, check equality, report peak RSS of this process."""
    import pandas as pd

    from wardwatch.indicators.engine import compute_measures
    from wardwatch.warehouse import connect_duckdb

    con = connect_duckdb(db, read_only=True)
    con.raw_sql(f"SET threads = {threads}")
    con.raw_sql(f"SET memory_limit = '{memory_limit}'")
    raw = con.con

    def run_wardwatch() -> pd.DataFrame:
        return compute_measures(con, ED_IDS, levels=("trust", "site"))

    def run_sql() -> pd.DataFrame:
        return raw.execute(HAND_SQL).df()

    def run_sql_two_stage() -> pd.DataFrame:
        return raw.execute(HAND_SQL_TWO_STAGE).df()

    best = {"wardwatch": float("inf"), "sql": float("inf"), "sql2": float("inf")}
    results = {}
    for _ in range(repeat):
        for name, fn in (("wardwatch", run_wardwatch), ("sql", run_sql), ("sql2", run_sql_two_stage)):
            start = time.perf_counter()
            results[name] = fn()
            best[name] = min(best[name], time.perf_counter() - start)
    equal = _same(results["wardwatch"], results["sql"]) and _same(results["wardwatch"], results["sql2"])
    con.disconnect()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "wardwatch_s": round(best["wardwatch"], 3),
        "duckdb_sql_s": round(best["sql"], 3),
        "ratio": round(best["wardwatch"] / best["sql"], 3),
        "duckdb_sql_two_stage_s": round(best["sql2"], 3),
        "ratio_two_stage": round(best["wardwatch"] / best["sql2"], 3),
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "equal": equal,
        "measures_rows": len(results["wardwatch"]),
    }


def _same(engine, sql) -> bool:
    import pandas as pd

    keys = ["indicator_id", "org_code", "site_code", "period_grain", "period_start"]
    a = engine[[*keys, "numerator", "denominator"]].copy()
    b = sql[[*keys, "numerator", "denominator"]].copy()
    for f in (a, b):
        f["period_start"] = pd.to_datetime(f["period_start"]).dt.date
        f["site_code"] = f["site_code"].astype(object).where(f["site_code"].notna(), "")
    a = a.sort_values(keys).reset_index(drop=True)
    b = b.sort_values(keys).reset_index(drop=True)
    return len(a) == len(b) and bool((a.astype(str).values == b.astype(str).values).all())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default="1500MB")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        print(json.dumps(timed_child(args.child, args.threads, args.memory_limit, args.repeat)))
        return

    db = make_duckdb(make_parquet(args.rows, args.seed), args.memory_limit)
    cmd = [
        sys.executable,
        __file__,
        "--rows",
        str(args.rows),
        "--threads",
        str(args.threads),
        "--memory-limit",
        args.memory_limit,
        "--repeat",
        str(args.repeat),
        "--child",
        str(db),
    ]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    child = json.loads(done.stdout.strip().splitlines()[-1])
    # ru_maxrss of the (only) waited-for child, as the kernel recorded it
    child_peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    line = {
        "rows": args.rows,
        "wardwatch_s": child["wardwatch_s"],
        "duckdb_sql_s": child["duckdb_sql_s"],
        "ratio": child["ratio"],
        "peak_rss_mb": round(max(child["peak_rss_mb"], child_peak_mb), 1),
        "duckdb_sql_two_stage_s": child["duckdb_sql_two_stage_s"],
        "ratio_two_stage": child["ratio_two_stage"],
        "threads": args.threads,
        "memory_limit": args.memory_limit,
        "equal": child["equal"],
        "measures_rows": child["measures_rows"],
    }
    print(json.dumps(line))
    if not child["equal"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
