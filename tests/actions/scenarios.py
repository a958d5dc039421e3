"""Null and known-effect series for the action-effect simulation study (docs/methods/action-effects.md).

36 months, 2017-04 to 2020-03; the action starts 2019-04-01, so 24 months before and 12 after.
Noise is N(0, 1), so every size is in noise standard deviations (SD).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

MONTHS = pd.date_range("2017-04-01", "2020-03-01", freq="MS")
START = date(2019, 4, 1)
T = np.arange(len(MONTHS)) - 24  # months since the start


def scenarios(replicates: int, seed: int = 20261203) -> dict[str, np.ndarray]:
    """name -> values of shape (36, replicates)."""
    rng = np.random.default_rng(seed)
    n = len(MONTHS)

    def noise() -> np.ndarray:
        return rng.normal(size=(n, replicates))

    angle = 2 * np.pi * MONTHS.month.to_numpy()[:, None] / 12 + rng.uniform(0, 2 * np.pi, replicates)
    ar = np.empty((n, replicates))  # AR(1), phi 0.5, stationary with variance 1
    ar[0] = rng.normal(size=replicates)
    for i in range(1, n):
        ar[i] = 0.5 * ar[i - 1] + rng.normal(scale=np.sqrt(1 - 0.25), size=replicates)
    return {
        "null": noise(),
        "null AR(1) 0.5": ar,
        "trend +0.10 SD/month": noise() + 0.10 * T[:, None],
        "shift +1 SD 3 months early": noise() + 1.0 * (T >= -3)[:, None],
        "shift +2 SD 3 months early": noise() + 2.0 * (T >= -3)[:, None],
        "season 2 SD peak-to-trough": noise() + np.sin(angle),
        "season 4 SD peak-to-trough": noise() + 2 * np.sin(angle),
        "step +1 SD at start": noise() + 1.0 * (T >= 0)[:, None],
        "step +2 SD at start": noise() + 2.0 * (T >= 0)[:, None],
    }


if __name__ == "__main__":  # the table in docs/methods/action-effects.md
    import sys

    from wardwatch.actions.effect import assess

    replicates = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    print(f"{'scenario':30s} improved worsened no-change not-assessable  (R = {replicates})")
    for name, values in scenarios(replicates).items():
        verdicts = pd.Series(assess(pd.Series(MONTHS), values, START, "increase").verdict)
        share = verdicts.str.startswith("no change").mean()
        print(f"{name:30s} {(verdicts == 'improved').mean():8.3f} {(verdicts == 'worsened').mean():8.3f} "
              f"{share:9.3f} {(verdicts == 'not assessable').mean():14.3f}")
