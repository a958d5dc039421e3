"""Benchmark: ``wardwatch public`` for every organisation in the shipped published files.

    PYTHONPATH=src .venv/bin/python benchmarks/public_report.py [--orgs N]

Times (1) building the in-memory warehouse from the shipped files and computing SPC and the national
funnels for all organisations at once (``load_public_data``), then (2) drawing each organisation's
page (``render_org``: selection, SVG and HTML only). Prints ONE JSON line: prepare_s, organisations,
render_total_s, per_org_ms (mean), per_org_ms_with_charts (mean over organisations with any chart),
slowest_ms and the slowest code, load average at the start.
"""

from __future__ import annotations

import argparse
import json
import os
import time

from wardwatch.public import load_public_data, render_org


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=0, help="only the first N codes (0 = all)")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    start = time.perf_counter()
    data = load_public_data()
    prepare_s = time.perf_counter() - start
    codes = data.org_codes()[: args.orgs or None]
    timings = []
    for code in codes:
        t0 = time.perf_counter()
        html = render_org(data, code)
        timings.append((time.perf_counter() - t0, code, "<figure>" in html))
    total = sum(t for t, _, _ in timings)
    charted = [t for t, _, has in timings if has]
    slowest = max(timings)
    print(json.dumps({
        "prepare_s": round(prepare_s, 2),
        "organisations": len(codes),
        "render_total_s": round(total, 2),
        "per_org_ms": round(1000 * total / len(codes), 1),
        "per_org_ms_with_charts": round(1000 * sum(charted) / max(len(charted), 1), 1),
        "organisations_with_charts": len(charted),
        "slowest_ms": round(1000 * slowest[0], 1),
        "slowest_org": slowest[1],
        "load_average_1min": round(load, 2),
    }))


if __name__ == "__main__":
    main()
