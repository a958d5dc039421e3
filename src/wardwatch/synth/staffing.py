"""Monthly establishment and staff in post by staff group (contract ``staffing``).

Establishment (budgeted whole-time equivalents) is set each April from the trust's size and the
staff group's share, growing about 1.5% a year. Staff in post = establishment x (the trust's
fill rate + a group offset + a slowly wandering AR(1) term, sd about 1.2 points). There is no
step anywhere: signal 6 makes staffing fill rate a control (the 2019-06-01 "staffing review"
has no effect). Bank and agency WTE cover 40-90% of the gap; 2% of months are not reported.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from wardwatch.contracts.schema import STAFF_GROUPS, STAFFING
from wardwatch.synth import writer as w
from wardwatch.synth.common import rng
from wardwatch.synth.orgs import ORGS
from wardwatch.synth.signals import WINDOW_START

STREAM = "staffing"
WTE_PER_SIZE = 4200.0
GROUP_WTE_SHARES = {
    "medical": 0.13,
    "nursing": 0.30,
    "midwifery": 0.04,
    "ahp": 0.07,
    "radiography": 0.025,
    "healthcare_science": 0.05,
    "support": 0.215,
    "admin": 0.17,
}
GROUP_FILL_OFFSET = {
    "medical": -0.02,
    "nursing": -0.03,
    "midwifery": -0.01,
    "ahp": 0.0,
    "radiography": -0.04,
    "healthcare_science": 0.01,
    "support": 0.02,
    "admin": 0.03,
}
N_MONTHS = 36


def generate_staffing(seed: int) -> pa.Table:
    gen = rng(seed, STREAM)
    months = np.arange(np.datetime64(WINDOW_START, "M"), np.datetime64(WINDOW_START, "M") + N_MONTHS)
    year = np.arange(N_MONTHS) // 12
    rows_org, rows_group, rows_month, est, inpost, bank, bank_missing = [], [], [], [], [], [], []
    for i, o in enumerate(ORGS):
        for g_idx, g in enumerate(STAFF_GROUPS):
            base = WTE_PER_SIZE * o.size * GROUP_WTE_SHARES[g]
            establishment = np.round(base * (1.015**year) * (1 + 0.01 * gen.standard_normal()), 2)
            # AR(1) wander around the trust's fill rate: common-cause variation only
            noise = np.zeros(N_MONTHS)
            for m in range(N_MONTHS):
                noise[m] = (0.6 * noise[m - 1] if m else 0.0) + 0.01 * gen.standard_normal()
            fill = np.clip(o.fill_rate + GROUP_FILL_OFFSET[g] + noise, 0.6, 1.05)
            in_post = np.round(establishment * fill, 2)
            gap = np.maximum(establishment - in_post, 0)
            rows_org.append(np.full(N_MONTHS, i))
            rows_group.append(np.full(N_MONTHS, g_idx))
            rows_month.append(months)
            est.append(establishment)
            inpost.append(in_post)
            bank.append(np.round(gap * gen.uniform(0.4, 0.9, N_MONTHS) + 0.5 * gen.random(N_MONTHS), 2))
            bank_missing.append(gen.random(N_MONTHS) < 0.02)
    org_idx = np.concatenate(rows_org)
    return w.table(
        STAFFING,
        {
            "org_code": w.labels([o.code for o in ORGS], org_idx),
            "staff_group": w.labels(STAFF_GROUPS, np.concatenate(rows_group)),
            "month": w.dates(np.concatenate(rows_month).astype("datetime64[D]").astype(np.int64)),
            "establishment_wte": np.concatenate(est),
            "in_post_wte": np.concatenate(inpost),
            "bank_agency_wte": pa.array(np.concatenate(bank), mask=np.concatenate(bank_missing)),
        },
    )
