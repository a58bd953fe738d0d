"""Predictive customer value: the RFM summary, BG/NBD, Gamma-Gamma and the predicted CLV.

Golden values: the CDNOW cohort of 2,357 customers, 39-week calibration period (Fader, Hardie and
Lee 2005, "Counting your customers the easy way", and 2005b / Fader and Hardie 2013 for the
Gamma-Gamma model); data in tests/data (see tests/data/README.md).
"""

import datetime as dt
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import loyalty_xl as lx
from loyalty_xl.errors import InputError
from loyalty_xl.kpis.predictive import BGNBDModel, GammaGammaModel

DATA = Path(__file__).parent / "data"
PAPER_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # paper, section 5
PAPER_GG = {"p": 6.25, "q": 3.74, "v": 15.44}  # Fader and Hardie (2013), 946 repeat customers


@pytest.fixture(scope="module")
def cdnow_summary():
    """The published summary: x, t_x, T (weeks) and zbar (mean repeat spend, rounded to cents)."""
    return pd.read_csv(DATA / "cdnow_summary.csv", index_col="ID")


@pytest.fixture(scope="module")
def cdnow_orders():
    """The CDNOW sample's transactions up to the end of the 39-week calibration period."""
    rows = pd.read_csv(DATA / "cdnow_sample.txt.gz", sep=r"\s+", header=None,
                       names=["master_id", "id", "date", "cds", "amount"], dtype={"date": str})
    rows["date"] = pd.to_datetime(rows["date"], format="%Y%m%d")
    return rows[rows["date"] <= "1997-09-30"]


@pytest.fixture(scope="module")
def cdnow_rfm(cdnow_orders):
    return lx.rfm_summary(cdnow_orders["id"], cdnow_orders["date"], cdnow_orders["amount"],
                          end="1997-09-30", unit="W")


@pytest.fixture(scope="module")
def cdnow_bgnbd(cdnow_summary):
    s = cdnow_summary
    return lx.fit_bgnbd(s["x"], s["t_x"], s["T"])


# --- the summary -----------------------------------------------------------------------------

def test_rfm_summary_of_the_cdnow_transactions_is_the_published_summary(cdnow_rfm,
                                                                       cdnow_summary):
    ours, published = cdnow_rfm, cdnow_summary
    assert len(ours) == 2357 and list(ours.index) == list(published.index)
    assert (ours["frequency"].to_numpy() == published["x"].to_numpy()).all()
    np.testing.assert_allclose(ours["recency"], published["t_x"], atol=0.005)
    np.testing.assert_allclose(ours["T"], published["T"], atol=0.005)
    np.testing.assert_allclose(ours["monetary_value"], published["zbar"], atol=0.005 + 1e-9)
    assert ours.attrs == {"unit": "W", "end": "1997-09-30"}


def pandas_summary(ids, dates, amounts, end, unit_days):
    """An independent computation: one row per customer and day, then per customer."""
    frame = pd.DataFrame({"id": ids, "day": pd.to_datetime(dates).normalize(), "amount": amounts})
    days = frame.groupby(["id", "day"], as_index=False)["amount"].sum()
    out = {}
    for cid, rows in days.groupby("id"):
        rows = rows.sort_values("day")
        first, last = rows["day"].iloc[0], rows["day"].iloc[-1]
        repeat = rows["amount"].iloc[1:]
        out[cid] = ((len(rows) - 1), (last - first).days / unit_days,
                    (end - first).days / unit_days, repeat.mean() if len(repeat) else 0.0)
    return pd.DataFrame.from_dict(out, orient="index",
                                  columns=["frequency", "recency", "T", "monetary_value"])


order_rows = st.lists(st.tuples(st.sampled_from(["a", "b", "c", "d", "e"]),
                                st.datetimes(dt.datetime(2024, 1, 1), dt.datetime(2024, 3, 31)),
                                st.floats(0, 1000).map(lambda v: round(v, 2))),
                      min_size=1, max_size=40)


@given(order_rows, st.sampled_from(["W", "D", "M"]), st.integers(0, 30), st.booleans())
def test_rfm_summary_equals_an_independent_pandas_computation(rows, unit, extra_days, give_end):
    ids, dates, amounts = (list(c) for c in zip(*rows))
    last = max(dates).date()
    end = last + dt.timedelta(days=extra_days) if give_end else None
    ours = lx.rfm_summary(ids, dates, amounts, end=end, unit=unit)
    unit_days = {"W": 7, "D": 1, "M": 365.25 / 12}[unit]
    expected = pandas_summary(ids, dates, amounts, pd.Timestamp(end or last), unit_days)
    assert list(ours.index) == sorted(expected.index)
    pd.testing.assert_frame_equal(ours.reset_index(drop=True),
                                  expected.sort_index().reset_index(drop=True).astype(float),
                                  rtol=1e-9, atol=1e-9)


def test_rfm_summary_counts_days_not_orders_and_skips_blank_rows():
    out = lx.rfm_summary([7, 7.0, 7, None, 8], ["2026-01-01", "2026-01-01T18:00", "2026-01-08",
                                                None, "2026-01-08"],
                         [10, 5, 30, None, 4], unit="D")
    assert out.loc[7].tolist() == [1.0, 7.0, 7.0, 30.0]  # 7 and 7.0 are one customer
    assert out.loc[8].tolist() == [0.0, 0.0, 0.0, 0.0]
    empty = lx.rfm_summary([], [], [])
    assert empty.empty and list(empty.columns) == ["frequency", "recency", "T",
                                                   "monetary_value"]


@pytest.mark.parametrize("args, kwargs, message", [
    ((["a"], ["2026-01-01"], [-5]), {}, "amounts must be >= 0 (refunds are not purchases"),
    ((["a", "a"], ["2026-01-01", "2026-02-01"], [1, 2]), {"end": "2026-01-15"},
     ("dates must not be later than end (filter the orders first); got '2026-02-01' at "
      "position 1")),
    ((["a", None, "a"], ["2026-01-01", None, "2026-02-01"], [1, None, 2]), {"end": "2026-01-15"},
     "got '2026-02-01' at position 2"),  # positions count the skipped blank row
    ((["a", "b"], ["2026-01-01"], [1, 2]), {}, "must have the same length"),
    ((["a", None], ["2026-01-01", "2026-01-02"], [1, 2]), {}, "customer_ids is blank where"),
    ((["a", "b"], ["2026-01-01", "2026-01-02"], [1, None]), {}, "amounts is blank where"),
    ((["a"], ["soon"], [1]), {}, "dates must be dates"),
    ((["a"], ["2026-01-01"], ["ten"]), {}, "amounts must be numbers, not text"),
    ((["a"], ["2026-01-01"], [1]), {"unit": "Y"}, "unit must be one of"),
    ((["a"], ["2026-01-01"], [1]), {"end": "later"}, "end must be dates"),
])
def test_rfm_summary_bad_input_is_one_line_input_error(args, kwargs, message):
    with pytest.raises(InputError) as err:
        lx.rfm_summary(*args, **kwargs)
    assert message in str(err.value) and "\n" not in str(err.value)


# --- BG/NBD ----------------------------------------------------------------------------------

def test_fit_bgnbd_reproduces_the_papers_cdnow_parameters(cdnow_bgnbd):
    m = cdnow_bgnbd
    assert {k: round(getattr(m, k), 3) for k in PAPER_BGNBD} == PAPER_BGNBD
    assert m.log_likelihood == pytest.approx(-9582.4, abs=0.05)  # the paper's LL
    assert m.n == 2357


def test_fit_bgnbd_on_the_summary_from_transactions_matches_too(cdnow_rfm):
    m = lx.fit_bgnbd(cdnow_rfm.frequency, cdnow_rfm.recency, cdnow_rfm["T"])
    assert {k: round(getattr(m, k), 3) for k in PAPER_BGNBD} == PAPER_BGNBD


def test_fit_bgnbd_expected_purchases_of_the_papers_example_customer(cdnow_bgnbd):
    # Paper, section 5: x = 2, t_x = 30.43, T = 38.86 expects 1.226 purchases in 39 weeks.
    assert round(cdnow_bgnbd.expected_purchases(39, 2, 30.43, 38.86), 3) == 1.226
    paper = BGNBDModel(**PAPER_BGNBD)
    assert round(paper.expected_purchases(39, 2, 30.43, 38.86), 3) == 1.226


def naive_conditional(m, t, x, tx, T):
    """Paper eq. 10 as printed (overflows for large x; fine for the small x used here)."""
    from scipy.special import hyp2f1

    z = t / (m.alpha + T + t)
    bracket = 1 - ((m.alpha + T) / (m.alpha + T + t)) ** (m.r + x) * hyp2f1(
        m.r + x, m.b + x, m.a + m.b + x - 1, z)
    odds = (x > 0) * m.a / (m.b + x - 1) * ((m.alpha + T) / (m.alpha + tx)) ** (m.r + x)
    return (m.a + m.b + x - 1) / (m.a - 1) * bracket / (1 + odds)


def test_fit_bgnbd_conditional_expectation_equals_the_printed_formula():
    m = BGNBDModel(**PAPER_BGNBD)
    x = np.array([0, 1, 2, 5, 10, 20])
    tx = np.array([0, 3.0, 30.43, 20, 35, 38])
    T = np.full(6, 38.86)
    for t in (1.0, 39.0, 78.0, 520.0):
        np.testing.assert_allclose(m.expected_purchases(t, x, tx, T),
                                   naive_conditional(m, t, x, tx, T), rtol=1e-9)
    # Unconditional (eq. 9) = conditional for a customer just acquired (x = 0, T = 0).
    np.testing.assert_allclose(m.unconditional_expected_purchases([39.0, 78.0]),
                               m.expected_purchases([39.0, 78.0], 0, 0, 0), rtol=1e-12)
    # A customer seen for no time at all behaves like a new one: E[X(t)] grows with t.
    assert m.unconditional_expected_purchases(0.0) == 0.0


def test_fit_bgnbd_predictions_are_finite_and_right_for_large_counts():
    m = BGNBDModel(**PAPER_BGNBD)
    T = np.full(5, 100.0)
    x = np.array([100, 1000, 2000, 20000, 200000])
    out = m.expected_purchases(52, x, T, T)
    # The printed formula, where double precision can still evaluate it (it fails from ~2,000).
    np.testing.assert_allclose(out[:2], naive_conditional(m, 52.0, x[:2], T[:2], T[:2]),
                               rtol=1e-9)
    with np.errstate(all="ignore"):
        assert np.isnan(naive_conditional(m, 52.0, x[2:3], T[:1], T[:1])).all()
    # Beyond: finite, below the no-dropout expectation 52 (r + x) / (alpha + T), and per past
    # purchase converging.
    per_purchase = out / x
    assert np.all(np.isfinite(out))
    assert np.all(out < 52 * (m.r + x) / (m.alpha + T))
    assert per_purchase[-1] == pytest.approx(per_purchase[-2], rel=1e-4)
    assert np.all(m.probability_alive(x, np.full(5, 1.0), T) < 1e-100)


def test_fit_bgnbd_probability_alive_follows_the_paper():
    m = BGNBDModel(**PAPER_BGNBD)
    # No repeat purchase: alive for sure (dropout happens only after a repeat purchase).
    assert m.probability_alive(0, 0, 38.86) == 1.0
    expected = 1 / (1 + 0.793 / (2.426 + 2 - 1) * ((4.414 + 38.86) / (4.414 + 30.43)) ** 2.243)
    assert m.probability_alive(2, 30.43, 38.86) == pytest.approx(expected, rel=1e-12)
    # The longer since the last purchase, the less likely alive.
    alive = m.probability_alive(3, [38.0, 30.0, 10.0, 1.0], 38.86)
    assert np.all(np.diff(alive) < 0)


def simulate_bgnbd(seed, n, r, alpha, a, b):
    """Customers from BG/NBD: x = min(Poisson arrivals in T, purchases until dropout); t_x is
    the x-th of the N uniform arrival times (an order statistic, Beta(x, N - x + 1) * T)."""
    rng = np.random.default_rng(seed)
    T = rng.uniform(20, 52, n)
    lam, p = rng.gamma(r, 1 / alpha, n), rng.beta(a, b, n)
    arrivals, until_dropout = rng.poisson(lam * T), rng.geometric(p)
    x = np.minimum(arrivals, until_dropout)
    tx = np.where(x > 0, T * rng.beta(np.maximum(x, 1), arrivals - x + 1), 0.0)
    return x, tx, T


@settings(max_examples=4)
@given(st.integers(0, 2**32 - 1), st.sampled_from([(0.25, 4.0, 0.8, 2.5), (1.0, 10.0, 2.0, 6.0)]))
def test_fit_bgnbd_recovers_simulated_parameters(seed, truth):
    r, alpha, a, b = truth
    m = lx.fit_bgnbd(*simulate_bgnbd(seed, 20_000, r, alpha, a, b))
    # Tolerances about 5 standard deviations at this size (30 fits: r 2%, alpha 2.4%, mean
    # dropout 1.6%, a 9%, b 10%).
    assert m.r == pytest.approx(r, rel=0.12) and m.alpha == pytest.approx(alpha, rel=0.12)
    assert m.a / (m.a + m.b) == pytest.approx(a / (a + b), rel=0.1)  # mean dropout
    assert m.a == pytest.approx(a, rel=0.5) and m.b == pytest.approx(b, rel=0.5)


def test_fit_bgnbd_does_not_depend_on_the_time_unit(cdnow_summary):
    s = cdnow_summary
    weeks = lx.fit_bgnbd(s["x"], s["t_x"], s["T"])
    days = lx.fit_bgnbd(s["x"], s["t_x"] * 7, s["T"] * 7)
    assert days.alpha == pytest.approx(weeks.alpha * 7, rel=1e-4)
    assert (days.r, days.a, days.b) == pytest.approx((weeks.r, weeks.a, weeks.b), rel=1e-4)


@pytest.mark.parametrize("x, tx, T, message", [
    ([1] * 12, [0] * 12, [10] * 12, "recency must be > 0 for a customer with repeat purchases"),
    ([1] * 12, [11] * 12, [10] * 12, "recency must not exceed T"),
    ([0] * 12, [3] * 12, [10] * 12, "recency must be 0 for a customer without repeat"),
    ([1, -1], [1, 1], [2, 2], "frequency must be a whole number >= 0; got -1 at position 1"),
    ([1.5], [1], [2], "frequency must be a whole number"),
    ([1], [1], [None], "T must be a number >= 0; got a blank"),
    ([1, 2], [1], [2, 3], "must have the same length"),
    ([0] * 50 + [1] * 9, [0] * 50 + [1] * 9, [5] * 59,
     "the BG/NBD model needs at least 10 customers with repeat purchases; got 9"),
    # Everyone bought at a steady pace until today: no sign of anyone dropping out.
    ([0] * 20 + [5] * 40, [0] * 20 + [10] * 40, [10] * 60,
     "the data cannot support a BG/NBD fit: parameter a runs off to 0"),
])
def test_fit_bgnbd_inputs_it_cannot_fit_are_one_line_input_errors(x, tx, T, message):
    with pytest.raises(InputError) as err:
        lx.fit_bgnbd(x, tx, T)
    assert message in str(err.value) and "\n" not in str(err.value)


# --- Gamma-Gamma -----------------------------------------------------------------------------

def test_fit_gamma_gamma_reproduces_the_notes_cdnow_parameters(cdnow_rfm):
    g = lx.fit_gamma_gamma(cdnow_rfm.frequency, cdnow_rfm.monetary_value)
    assert g.n == 946
    assert {k: round(getattr(g, k), 2) for k in PAPER_GG} == PAPER_GG


def test_fit_gamma_gamma_on_the_rounded_published_spend_matches_lifetimes(cdnow_summary):
    # The summary's zbar is rounded to cents; on it the fit (like lifetimes' documentation:
    # p 6.25, q 3.74, v 15.45) moves v by 0.01, and lifetimes' documented mean of the
    # conditional expected average profit over all 2,357 customers is 35.2529588256.
    s = cdnow_summary
    g = lx.fit_gamma_gamma(s["x"], s["zbar"])
    assert (round(g.p, 2), round(g.q, 2), round(g.v, 2)) == (6.25, 3.74, 15.45)
    spend = g.conditional_expected_average_profit(s["x"], s["zbar"])
    assert spend.mean() == pytest.approx(35.2529588256, abs=5e-4)
    assert g.mean_spend == pytest.approx(g.p * g.v / (g.q - 1))


def test_fit_gamma_gamma_conditional_spend_is_a_weighted_mean():
    g = GammaGammaModel(**PAPER_GG)
    x, m = np.array([1, 2, 10]), np.array([20.0, 50.0, 50.0])
    weight = g.p * x / (g.p * x + g.q - 1)
    expected = (1 - weight) * g.mean_spend + weight * m
    np.testing.assert_allclose(g.conditional_expected_average_profit(x, m), expected)
    # More purchases: more weight on the customer's own mean.
    assert abs(expected[2] - 50) < abs(expected[1] - 50)


@settings(max_examples=4)
@given(st.integers(0, 2**32 - 1))
def test_fit_gamma_gamma_recovers_simulated_parameters(seed):
    rng = np.random.default_rng(seed)
    p, q, v, n = 6.0, 4.0, 15.0, 20_000
    x = rng.integers(1, 8, n)
    nu = rng.gamma(q, 1 / v, n)
    m = rng.gamma(p * x, 1 / (nu * x))  # mean of x Gamma(p, nu) spends
    g = lx.fit_gamma_gamma(x, m)
    # Tolerances about 5 standard deviations of each estimate at this size (40 seeds: p 4%,
    # q 1.4%, v 5.3%, mean spend 0.5%): p and v trade off, their ratio is what the data pins.
    assert g.mean_spend == pytest.approx(p * v / (q - 1), rel=0.03)
    assert g.q == pytest.approx(q, rel=0.08)
    assert (g.p, g.v) == pytest.approx((p, v), rel=0.3)


@pytest.mark.parametrize("x, m, message", [
    ([1] * 12, [10] * 11 + [0], "monetary_value must be > 0 for a customer with repeat"),
    ([1] * 12, [10] * 11 + [-3], "monetary_value must be a number >= 0; got -3"),
    ([1] * 9 + [0] * 5, [10] * 14, "needs at least 10 customers with repeat purchases; got 9"),
    ([2] * 30, [25.0] * 30, ("the data cannot support a Gamma-Gamma fit: parameter p runs off "
                             "to infinity")),
])
def test_fit_gamma_gamma_inputs_it_cannot_fit_are_one_line_input_errors(x, m, message):
    with pytest.raises(InputError) as err:
        lx.fit_gamma_gamma(x, m)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_fit_gamma_gamma_without_a_finite_mean_refuses_to_predict_for_new_customers():
    g = GammaGammaModel(p=2.0, q=0.8, v=10.0)
    assert g.conditional_expected_average_profit(3, 40.0) > 0
    with pytest.raises(InputError, match="no finite mean"):
        g.conditional_expected_average_profit(0, 0.0)


# --- predicted CLV ---------------------------------------------------------------------------

def test_predict_clv_sums_discounted_monthly_purchases_valued_at_expected_spend(cdnow_rfm):
    out = lx.predict_clv(cdnow_rfm, horizon_months=6, discount=0.01, margin=0.3)
    bg, gg = out.attrs["bgnbd"], out.attrs["gamma_gamma"]
    assert {k: round(getattr(bg, k), 3) for k in PAPER_BGNBD} == PAPER_BGNBD
    assert list(out.columns) == ["expected_purchases", "p_alive", "expected_spend", "clv"]
    s = cdnow_rfm
    month = 365.25 / 12 / 7  # weeks
    args = (s.frequency, s.recency, s["T"])
    cumulative = [np.zeros(len(s))] + [bg.expected_purchases(i * month, *args)
                                       for i in range(1, 7)]
    by_hand = sum((cumulative[i] - cumulative[i - 1]) / 1.01 ** i for i in range(1, 7))
    spend = gg.conditional_expected_average_profit(s.frequency, s.monetary_value)
    np.testing.assert_allclose(out["clv"], 0.3 * spend * by_hand, rtol=1e-12)
    np.testing.assert_allclose(out["expected_purchases"], cumulative[-1], rtol=1e-12)
    np.testing.assert_allclose(out["p_alive"], bg.probability_alive(*args), rtol=1e-12)
    assert out["clv"].notna().all() and (out["clv"] > 0).all()


def test_predict_clv_without_discount_is_margin_times_spend_times_purchases(cdnow_rfm):
    out = lx.predict_clv(cdnow_rfm, horizon_months=12)
    np.testing.assert_allclose(out["clv"], out["expected_spend"] * out["expected_purchases"])
    longer = lx.predict_clv(cdnow_rfm, horizon_months=24, bgnbd=out.attrs["bgnbd"],
                            gamma_gamma=out.attrs["gamma_gamma"])
    assert (longer["clv"] > out["clv"]).all()


def test_predict_clv_does_not_depend_on_the_time_unit(cdnow_orders):
    o = cdnow_orders
    weeks = lx.predict_clv(lx.rfm_summary(o["id"], o["date"], o["amount"], end="1997-09-30"))
    days = lx.predict_clv(lx.rfm_summary(o["id"], o["date"], o["amount"], end="1997-09-30",
                                         unit="D"))
    pd.testing.assert_frame_equal(weeks, days, rtol=1e-4, check_like=True)


def test_predict_clv_leaves_zero_spend_repeat_customers_out_of_the_spend_fit_and_says_so(
        cdnow_rfm):
    s = cdnow_rfm.copy()
    s.loc[s.index[s.frequency > 0][:3], "monetary_value"] = 0.0
    out = lx.predict_clv(s)
    assert out.attrs["notes"] == [("3 repeat customers whose repeat purchases total 0 are "
                                   "left out of the spend model's fit")]
    assert out.attrs["gamma_gamma"].n == int(((s.frequency > 0) & (s.monetary_value > 0)).sum())


@pytest.mark.parametrize("kwargs, message", [
    ({"discount": 1.5}, "discount must be a number from 0 to"),
    ({"margin": 2}, "margin must be a number from 0 to 1"),
    ({"horizon_months": 0}, "horizon_months must be a whole number >= 1"),
    ({"horizon_months": 2.5}, "horizon_months must be a whole number"),
])
def test_predict_clv_bad_options_are_input_errors(cdnow_rfm, kwargs, message):
    with pytest.raises(InputError, match=message):
        lx.predict_clv(cdnow_rfm, **kwargs)


@pytest.mark.parametrize("column, value, message", [
    ("frequency", "two", "frequency must be numbers, not text; got 'two' at position 1"),
    ("recency", None, "recency must be a number >= 0; got a blank at position 1"),
    ("monetary_value", -1.0, "monetary_value must be a number >= 0; got -1 at position 1"),
])
def test_predict_clv_bad_summary_values_are_input_errors(cdnow_rfm, column, value, message):
    s = cdnow_rfm.astype(object)
    s.iloc[1, s.columns.get_loc(column)] = value
    with pytest.raises(InputError) as err:
        lx.predict_clv(s)
    assert str(err.value) == message


def test_predict_clv_needs_a_summary_table():
    with pytest.raises(InputError, match="summary must be a table from rfm_summary"):
        lx.predict_clv([1, 2, 3])
    with pytest.raises(InputError, match="summary lacks the column 'monetary_value'"):
        lx.predict_clv(pd.DataFrame({"frequency": [1], "recency": [1], "T": [2]}))


def test_importing_loyalty_xl_and_the_excel_functions_does_not_import_scipy():
    code = ("import sys, loyalty_xl, loyalty_xl.udfs; "
            "assert 'scipy' not in sys.modules, sorted(m for m in sys.modules if 'scipy' in m)")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_models_are_plain_dataclasses_with_the_documented_attributes(cdnow_bgnbd):
    assert math.isfinite(cdnow_bgnbd.log_likelihood)
    assert set(vars(cdnow_bgnbd)) == {"r", "alpha", "a", "b", "log_likelihood", "n"}
    assert set(vars(GammaGammaModel(1, 2, 3))) == {"p", "q", "v", "log_likelihood", "n"}
