"""Shared pieces of the generator: seeded random streams, the calendar and activity patterns.

Every dataset (and every chunk of a chunked dataset) draws from its own stream derived from
``(seed, dataset name, chunk)``, so the data for one dataset do not depend on which other
datasets were asked for, nor on how the work is split into chunks.
"""

from __future__ import annotations

import zlib

import numpy as np

from wardwatch.synth.signals import WINDOW_END, WINDOW_START

SECONDS_PER_DAY = 86_400
#: Days of the window as datetime64[D] and as int days since 1970-01-01.
DAYS = np.arange(np.datetime64(WINDOW_START, "D"), np.datetime64(WINDOW_END, "D") + 1)
DAY_NUMBERS = DAYS.astype(np.int64)
EXTRACT_SECOND = int((np.datetime64(WINDOW_END, "D") + 1).astype("datetime64[s]").astype(np.int64))
WINDOW_START_SECOND = int(np.datetime64(WINDOW_START, "D").astype("datetime64[s]").astype(np.int64))

#: ED attendances by weekday (Monday first): Monday is the busiest day.
ED_WEEKDAY_FACTOR = np.array([1.14, 1.03, 1.00, 0.99, 1.00, 0.92, 0.92])
#: Arrivals by hour of day (sums to 1): quiet 03:00-07:00, busiest late morning to early evening.
ED_HOUR_WEIGHTS = np.array(
    [
        2.2,
        1.8,
        1.5,
        1.2,
        1.1,
        1.1,
        1.4,
        2.4,
        4.3,
        5.8,
        6.5,
        6.6,
        6.3,
        6.0,
        5.8,
        5.7,
        5.7,
        5.8,
        5.9,
        5.6,
        5.0,
        4.3,
        3.5,
        2.7,
    ]
)
ED_HOUR_WEIGHTS = ED_HOUR_WEIGHTS / ED_HOUR_WEIGHTS.sum()


def rng(seed: int, stream: str, *extra: int) -> np.random.Generator:
    """An independent random stream for ``(seed, stream name, *extra)``."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), zlib.crc32(stream.encode()), *extra]))


def weekday(day_numbers: np.ndarray) -> np.ndarray:
    """0 = Monday ... 6 = Sunday for int days since 1970-01-01 (a Thursday)."""
    return (np.asarray(day_numbers) + 3) % 7


def month_index(day_numbers: np.ndarray) -> np.ndarray:
    """Months since the window start (0 = April 2017)."""
    months = np.asarray(day_numbers).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return months - np.datetime64(WINDOW_START, "M").astype(np.int64)


def calendar_month(day_numbers: np.ndarray) -> np.ndarray:
    """1..12."""
    return np.asarray(day_numbers).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12 + 1


def financial_year_index(day_numbers: np.ndarray) -> np.ndarray:
    """0 for 2017/18, 1 for 2018/19, 2 for 2019/20."""
    return month_index(day_numbers) // 12


def winter_pressure(day_numbers: np.ndarray) -> np.ndarray:
    """0 in late July, 1 in mid January: a smooth seasonal curve used to lengthen waits."""
    day_of_year = (np.asarray(day_numbers) - np.datetime64("1970-01-15", "D").astype(np.int64)) % 365.25
    return 0.5 * (1.0 + np.cos(2.0 * np.pi * day_of_year / 365.25))


def season_factor(day_numbers: np.ndarray, amplitude: float = 0.07) -> np.ndarray:
    """Activity multiplier: about 1 + amplitude in January, 1 - amplitude in July."""
    return 1.0 + amplitude * (2.0 * winter_pressure(day_numbers) - 1.0)


def growth_factor(day_numbers: np.ndarray, per_year: float = 0.02) -> np.ndarray:
    """Slow growth in demand over the window (about 2% a year)."""
    years = (np.asarray(day_numbers) - DAY_NUMBERS[0]) / 365.25
    return (1.0 + per_year) ** years


def lognormal_minutes(
    gen: np.random.Generator, median: np.ndarray | float, sigma: np.ndarray | float, size: int
) -> np.ndarray:
    """Lognormal durations in minutes with the given median and log-scale sigma."""
    return np.exp(np.log(median) + sigma * gen.standard_normal(size))
