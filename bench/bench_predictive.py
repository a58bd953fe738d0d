"""Predictive customer value on synthetic orders (issue 15): RFM summary, BG/NBD and Gamma-Gamma
fits and per-customer predictions, for 10^6 and 10^7 orders; lifetimes' summary and
BetaGeoFitter on the same data when lifetimes imports (it is not a dependency: install it in a
throwaway venv to compare, e.g. ``pip install lifetimes``; it is skipped otherwise).

    python bench/bench_predictive.py [N ...]          # default 1000000 10000000
    (first: the Excel functions on 100,000 order rows)
    python bench/bench_predictive.py --lifetimes-max 1000000  # lifetimes only up to this size

The orders follow BG/NBD (r=0.25, alpha=40 days, a=0.8, b=2.5) with Gamma-Gamma spend, first
purchases spread over two years, observed to the end of the second year; the recovered
parameters are printed next to the true ones.
"""

import argparse
import time

import numpy as np
import pandas as pd

import loyalty_xl as lx

TRUE = {"r": 0.25, "alpha": 40.0 / 7, "a": 0.8, "b": 2.5, "p": 6.0, "q": 4.0, "v": 15.0}
DAYS = 730


def orders(n_orders: int, seed: int = 0):
    """Order rows (customer id, datetime64 date, amount) from BG/NBD + Gamma-Gamma customers."""
    rng = np.random.default_rng(seed)
    n = int(n_orders / 2.2)  # about 2.2 orders per customer with these parameters
    lam = rng.gamma(TRUE["r"], 1 / TRUE["alpha"], n) / 7  # per day (alpha is in weeks)
    drop = rng.beta(TRUE["a"], TRUE["b"], n)
    first = rng.integers(0, DAYS, n)
    age = DAYS - first
    arrivals = rng.poisson(lam * age)
    alive_for = rng.geometric(drop)  # repeat purchases until dropout, the fatal one included
    repeats = np.minimum(arrivals, alive_for)
    # Repeat purchase times: the first `repeats` of `arrivals` uniform times on (0, age).
    owner = np.repeat(np.arange(n), arrivals)
    times = rng.random(owner.size) * age[owner]
    order = np.lexsort((times, owner))
    owner, times = owner[order], times[order]
    rank = np.arange(owner.size) - np.repeat(np.cumsum(arrivals) - arrivals, arrivals)
    keep = rank < repeats[owner]
    owner, times = owner[keep], times[keep]
    customer = np.concatenate([np.arange(n), owner])
    day = np.concatenate([first, first[owner] + times.astype(np.int64)])
    nu = rng.gamma(TRUE["q"], 1 / TRUE["v"], n)
    amount = np.round(rng.gamma(TRUE["p"], 1 / nu[customer]), 2)
    dates = np.datetime64("2024-01-01") + day.astype("timedelta64[D]")
    return customer, dates, amount


def timed(label, func, *args, **kwargs):
    """Run once; print wall time and this process's CPU time (the two differ on a busy
    machine; both exclude the data generation)."""
    start, cpu = time.perf_counter(), time.process_time()
    out = func(*args, **kwargs)
    elapsed, used = time.perf_counter() - start, time.process_time() - cpu
    print(f"  {label:<46} {elapsed:8.2f} s wall {used:8.2f} s cpu")
    return out, elapsed


def ours(ids, dates, amounts, end):
    summary, t1 = timed("rfm_summary", lx.rfm_summary, ids, dates, amounts, end=end)
    bg, t2 = timed("fit_bgnbd", lx.fit_bgnbd, summary.frequency, summary.recency, summary["T"])
    repeat = summary[summary.frequency > 0]
    gg, t3 = timed("fit_gamma_gamma", lx.fit_gamma_gamma, repeat.frequency,
                   repeat.monetary_value)
    _, t4 = timed("predict_clv (12 months, 1%/month)", lx.predict_clv, summary,
                  discount=0.01, bgnbd=bg, gamma_gamma=gg)
    print(f"  {'loyalty_xl total':<46} {t1 + t2 + t3 + t4:8.2f} s   "
          f"({len(summary):,} customers, {int((summary.frequency > 0).sum()):,} repeat)")
    print(f"  fitted  r={bg.r:.3f} alpha={bg.alpha:.3f} a={bg.a:.3f} b={bg.b:.3f}  "
          f"p={gg.p:.2f} q={gg.q:.2f} v={gg.v:.2f}")
    return summary


def theirs(ids, dates, amounts, end):
    try:
        import lifetimes
        from lifetimes.utils import summary_data_from_transaction_data
    except Exception as err:  # noqa: BLE001 - not installed, or broken on this numpy/pandas
        print(f"  lifetimes: skipped ({type(err).__name__}: {str(err)[:80]})")
        return
    frame = pd.DataFrame({"id": ids, "date": dates, "amount": amounts})
    try:
        summary, t1 = timed("lifetimes summary_data_from_transaction_data",
                            summary_data_from_transaction_data, frame, "id", "date",
                            monetary_value_col="amount", observation_period_end=end,
                            freq="D", freq_multiplier=7)  # exact weeks, as ours
        fitter = lifetimes.BetaGeoFitter()
        _, t2 = timed("lifetimes BetaGeoFitter.fit", fitter.fit, summary.frequency,
                      summary.recency, summary["T"])
        repeat = summary[summary.frequency > 0]
        gg = lifetimes.GammaGammaFitter()
        _, t3 = timed("lifetimes GammaGammaFitter.fit", gg.fit, repeat.frequency,
                      repeat.monetary_value)
        _, t4 = timed("lifetimes customer_lifetime_value", gg.customer_lifetime_value,
                      fitter, summary.frequency, summary.recency, summary["T"],
                      summary.monetary_value, time=12, discount_rate=0.01, freq="W")
        print(f"  {'lifetimes total':<46} {t1 + t2 + t3 + t4:8.2f} s")
        print(f"  fitted  r={fitter.params_['r']:.3f} alpha={fitter.params_['alpha']:.3f} "
              f"a={fitter.params_['a']:.3f} b={fitter.params_['b']:.3f}")
    except Exception as err:  # noqa: BLE001 - a peer failing must not stop the bench
        print(f"  lifetimes: failed ({type(err).__name__}: {' '.join(str(err).split())[:100]})")


def excel(n_orders=100_000):
    """The Excel functions on a column of order rows as xlwings Lite sends them (lists of
    rows, serial-number dates), after one warm-up call (scipy's import)."""
    from loyalty_xl import udfs

    ids, dates, amounts = orders(n_orders, seed=1)
    serials = (dates - np.datetime64("1899-12-30")).astype("timedelta64[D]").astype(float)
    cells = [[[v] for v in a.tolist()] for a in (ids.astype(float), serials, amounts)]
    udfs.CLV_MODEL(*cells)
    print(f"Excel functions, {ids.size:,} order rows (warm)")
    for name, args in (("CLV_PREDICT", cells), ("P_ALIVE", cells[:2]), ("CLV_MODEL", cells),
                       ("RFM_SUMMARY", cells)):
        out, _ = timed(f"={name}", getattr(udfs, name), *args)
        assert isinstance(out, list), out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("sizes", nargs="*", type=int, default=[1_000_000, 10_000_000])
    parser.add_argument("--lifetimes-max", type=int, default=10_000_000)
    args = parser.parse_args()
    excel()
    print("true    " + " ".join(f"{k}={v:.3f}" for k, v in TRUE.items()))
    for size in args.sizes:
        ids, dates, amounts = orders(size)
        end = str(np.datetime64("2024-01-01") + np.timedelta64(DAYS - 1, "D"))
        print(f"{ids.size:,} orders")
        ours(ids, dates, amounts, end)
        if size <= args.lifetimes_max:
            theirs(ids, dates, amounts, end)


if __name__ == "__main__":
    main()
