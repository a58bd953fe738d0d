"""Time per KPI on 10^7 answers / orders (issue 2). Prints one line per KPI.

    python bench/bench_kpis.py [N]
"""

import sys
import time

import numpy as np
import pandas as pd

import loyalty_xl as lx


def timed(label, func, *args, **kwargs):
    func(*args, **kwargs)  # warm-up
    best = min(_once(func, args, kwargs) for _ in range(3))
    print(f"{label:<40} {best * 1e3:9.1f} ms")


def _once(func, args, kwargs):
    start = time.perf_counter()
    func(*args, **kwargs)
    return time.perf_counter() - start


def main(n=10_000_000):
    rng = np.random.default_rng(0)
    nps = rng.integers(0, 11, n).astype(float)
    nps[rng.random(n) < 0.05] = np.nan  # 5% blanks
    five = rng.integers(1, 6, n)
    seven = rng.integers(1, 8, n)
    six = [rng.integers(1, 7, n).astype(float) for _ in range(3)]
    weights = rng.random(n)
    ids = rng.integers(0, n // 5, n)
    dates = (np.datetime64("2020-01-01") + rng.integers(0, 2000, n).astype("timedelta64[D]"))
    counts = rng.integers(100, 1000, n), rng.integers(0, 100, n)
    print(f"n = {n:,} answers / orders / periods")
    timed("net_promoter_score (float, 5% blank)", lx.net_promoter_score, nps)
    timed("net_promoter_score (pandas Int64)", lx.net_promoter_score,
          pd.Series(nps).astype("Int64"))
    timed("net_promoter_score weighted", lx.net_promoter_score, nps, weights=weights)
    timed("nps_breakdown", lx.nps_breakdown, nps)
    timed("nps_interval", lx.nps_interval, nps)
    timed("nps_difference_test", lx.nps_difference_test, nps, nps[::-1])
    timed("csat (1-5)", lx.csat, five, scale="1-5")
    timed("csat_mean (1-5)", lx.csat_mean, five, scale="1-5")
    timed("customer_effort_score (1-7)", lx.customer_effort_score, seven)
    timed("customer_loyalty_index", lx.customer_loyalty_index, *six)
    timed("repeat_purchase_rate (int ids)", lx.repeat_purchase_rate, ids)
    timed("returning_to_one_time_ratio", lx.returning_to_one_time_ratio, ids)
    timed("average_customer_lifespan", lx.average_customer_lifespan, ids, dates)
    timed("cohort_retention (month)", lx.cohort_retention, ids, dates)
    big, small = counts[0] + counts[1], counts[1]
    timed("retention_rate (10^7 periods)", lx.retention_rate, big, big - small, small // 2)
    timed("churn_rate (10^7 periods)", lx.churn_rate, big, small)
    timed("average_purchase_value (arrays)", lx.average_purchase_value, big * 1.5, small + 1)
    timed("participation_rate (arrays)", lx.participation_rate, small, big)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000)
