"""Properties shared by every KPI, run over a registry of all of them (scikit-learn style).

The registry must list every public KPI: adding a KPI without registering it here, or without a
test of its own in a per-KPI file, fails ``test_registry_covers_every_public_kpi``.
"""

import ast
import dataclasses
import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import loyalty_xl as lx
from loyalty_xl import LoyaltyXLError
from loyalty_xl import kpis
from loyalty_xl.errors import InputError

nps_scores = st.lists(st.one_of(st.integers(0, 10), st.none()), max_size=60)
scale_1_5 = st.lists(st.one_of(st.integers(1, 5), st.none()), max_size=40)
scale_1_7 = st.lists(st.integers(1, 7), max_size=40)
cli_answers = st.lists(st.tuples(*[st.one_of(st.integers(1, 6), st.none())] * 3), max_size=30)
counts = st.integers(0, 10_000)
amounts = st.floats(0, 1e7, allow_nan=False)
ids = st.lists(st.sampled_from(list("abcdefgh")), max_size=40)
dates = st.dates(dt.date(2020, 1, 1), dt.date(2026, 12, 31))


@st.composite
def crr_counts(draw):
    cs = draw(counts)
    kept = draw(st.integers(0, cs))
    cn = draw(counts)
    return cs, kept + cn, cn


@st.composite
def ordered_pair(draw, whole=True):
    big = draw(counts if whole else amounts)
    small = draw(st.integers(0, big) if whole else st.floats(0, big))
    return small, big


def simulated_customers(seed, n, r, alpha, a, b):
    """Per-customer frequency, recency, T (BG/NBD) and mean repeat spend (Gamma-Gamma)."""
    rng = np.random.default_rng(seed)
    T = rng.uniform(1, 52, n).round(2)
    arrivals = rng.poisson(rng.gamma(r, 1 / alpha, n) * T)
    x = np.minimum(arrivals, rng.geometric(rng.beta(a, b, n)))
    tx = np.where(x > 0, np.maximum(T * rng.beta(np.maximum(x, 1), arrivals - x + 1), 0.01), 0)
    spend = np.where(x > 0, rng.gamma(6 * np.maximum(x, 1), 1 / (rng.gamma(4, 1 / 15, n) *
                                                                    np.maximum(x, 1))), 0)
    return x, np.minimum(tx.round(2), T), T, spend.round(2) + (x > 0) * 0.01


@st.composite
def bgnbd_customers(draw):
    """Customers from drawn parameters: usually, not always, enough for a fit (a fit may
    refuse data that cannot support it; test_model_fit_strategies_mostly_fit keeps this
    strategy from testing nothing)."""
    return simulated_customers(draw(st.integers(0, 2**32 - 1)), draw(st.integers(30, 150)),
                               draw(st.floats(0.2, 3)), draw(st.floats(1, 20)),
                               draw(st.floats(0.3, 3)), draw(st.floats(0.5, 10)))


@st.composite
def rfm_table(draw):
    x, tx, T, spend = draw(bgnbd_customers())
    return pd.DataFrame({"frequency": x, "recency": tx, "T": T, "monetary_value": spend})


@st.composite
def order_rows(draw):
    n = draw(st.integers(0, 30))
    return (draw(st.lists(st.sampled_from("abcde"), min_size=n, max_size=n)),
            draw(st.lists(dates, min_size=n, max_size=n)),
            draw(st.lists(st.floats(0, 1e4), min_size=n, max_size=n)))


@st.composite
def orders(draw):
    n = draw(st.integers(0, 30))
    return draw(st.lists(st.sampled_from("abcde"), min_size=n, max_size=n)), \
        draw(st.lists(dates, min_size=n, max_size=n))


# name -> (strategy of valid (args, kwargs), bounds of the result or None)
REGISTRY = {
    "net_promoter_score": (nps_scores.map(lambda s: ((s,), {})), (-100, 100)),
    "nps_breakdown": (nps_scores.map(lambda s: ((s,), {})), None),
    "nps_interval": (nps_scores.map(lambda s: ((s,), {})), None),
    "nps_difference_test": (st.tuples(nps_scores, nps_scores).map(lambda p: (p, {})), None),
    "nps_by_segment": (st.lists(st.tuples(st.one_of(st.integers(0, 10), st.none()),
                                          st.sampled_from(["a", "b", None, 3])), max_size=40)
                       .map(lambda rows: (([r[0] for r in rows], [r[1] for r in rows]), {})),
                       None),
    "csat": (scale_1_5.map(lambda s: ((s,), {"scale": "1-5"})), (0, 1)),
    "csat_mean": (scale_1_5.map(lambda s: ((s,), {"scale": "1-5"})), (1, 5)),
    "customer_effort_score": (scale_1_7.map(lambda s: ((s,), {})), (1, 7)),
    "customer_loyalty_index": (cli_answers.map(
        lambda rows: (tuple(list(c) for c in zip(*rows)) if rows else ([], [], []), {})),
        (0, 100)),
    "retention_rate": (crr_counts().map(lambda c: (c, {})), (0, 1)),
    "churn_rate": (ordered_pair().map(lambda p: ((p[1], p[0]), {})), (0, 1)),
    "repeat_purchase_rate": (ids.map(lambda i: ((i,), {})), (0, 1)),
    "returning_to_one_time_ratio": (ids.map(lambda i: ((i,), {})), (0, math.inf)),
    "average_purchase_value": (st.tuples(amounts, counts).map(lambda p: (p, {})),
                               (0, math.inf)),  # (amounts >= 0 here; net revenue may be < 0)
    "purchase_frequency": (ordered_pair().map(lambda p: ((p[1], p[0]), {})), (1, math.inf)),
    "customer_value": (st.tuples(amounts, amounts).map(lambda p: (p, {})), (0, math.inf)),
    "average_customer_lifespan": (orders().map(lambda o: (o, {})), (0, 7)),
    "customer_lifetime_value": (st.tuples(amounts, amounts, st.floats(0, 50)).map(
        lambda p: (p, {})), (0, math.inf)),
    "customer_acquisition_cost": (st.tuples(amounts, counts).map(lambda p: (p, {})),
                                  (0, math.inf)),
    # (a CAC below 1e-300 would make the ratio overflow: an error, tested in test_fuzz_kpis)
    "clv_cac_ratio": (st.tuples(amounts, st.one_of(st.just(0.0), st.floats(1e-2, 1e7)))
                      .map(lambda p: (p, {})), (0, math.inf)),
    "participation_rate": (ordered_pair().map(lambda p: (p, {})), (0, 1)),
    "redemption_rate": (ordered_pair(whole=False).map(lambda p: (p, {})), (0, 1)),
    "active_engagement_rate": (ordered_pair().map(lambda p: (p, {})), (0, 1)),
    "cohort_retention": (orders().map(lambda o: (o, {})), None),
    "rfm_summary": (order_rows().map(lambda o: (o, {})), (0, math.inf)),
    "fit_bgnbd": (bgnbd_customers().map(lambda c: (c[:3], {})), (0, math.inf)),
    "fit_gamma_gamma": (bgnbd_customers().map(lambda c: ((c[0], c[3]), {})), (0, math.inf)),
    "predict_clv": (rfm_table().map(lambda t: ((t,), {"discount": 0.01})), (0, math.inf)),
}
# Model fits: valid input may still be data a model cannot fit (too few repeat buyers, a
# parameter running off); then they raise InputError with one line, never return NaN.
MODEL_FITS = {"fit_bgnbd", "fit_gamma_gamma", "predict_clv"}

# Inputs a user might pass by mistake: every KPI must answer them with a number, NaN or
# LoyaltyXLError, never with a TypeError, IndexError or a numpy warning turned error.
junk_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(), st.text(max_size=5),
    st.dates(), st.just(""), st.just(" "), st.binary(max_size=3), st.just(pd.NA),
    st.just(np.datetime64("NaT")), st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
)
junk = st.one_of(junk_scalar, st.lists(junk_scalar, max_size=6),
                 st.lists(st.lists(st.integers(0, 10), max_size=3), max_size=3),
                 st.lists(st.floats(), max_size=6).map(np.array))


def _kpi_functions():
    return {name: getattr(kpis, name) for name in kpis.__all__}


def _test_function_names():
    names = set()
    for path in Path(__file__).parent.glob("test_*.py"):
        if path.name == Path(__file__).name:
            continue
        tree = ast.parse(path.read_text())
        names |= {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    return names


def test_registry_covers_every_public_kpi():
    assert set(REGISTRY) == set(kpis.__all__), "register every public KPI in REGISTRY"
    tests = _test_function_names()
    untested = [name for name in kpis.__all__
                if not any(t.startswith(f"test_{name}") for t in tests)]
    assert not untested, f"KPIs without a test_<name>... of their own: {untested}"
    # Every KPI is also reachable from the top-level package.
    assert all(getattr(lx, name) is func for name, func in _kpi_functions().items())


def _numbers(value):
    if isinstance(value, kpis.MODEL_TYPES):  # a fitted model: its parameters
        return [float(getattr(value, f.name)) for f in dataclasses.fields(value)
                if f.name not in ("log_likelihood", "n")]
    if isinstance(value, tuple):
        return [v for v in value if isinstance(v, float)]
    if isinstance(value, pd.DataFrame):
        return list(value.select_dtypes("number").to_numpy(dtype=float).ravel())
    return list(np.ravel(value))


@pytest.mark.parametrize("name", kpis.__all__)
@given(data=st.data())
def test_valid_input_gives_numbers_within_bounds(name, data):
    strategy, bounds = REGISTRY[name]
    args, kwargs = data.draw(strategy)
    try:
        out = getattr(kpis, name)(*args, **kwargs)
    except InputError as err:
        assert name in MODEL_FITS and "\n" not in str(err)
        assert "fit" in str(err) or "model" in str(err), err
        return
    numbers = _numbers(out)
    if name in MODEL_FITS:
        assert numbers and all(math.isfinite(v) for v in numbers)  # never a silent NaN
    for value in numbers:
        assert isinstance(value, (float, np.floating))
        if bounds and not math.isnan(value):
            assert bounds[0] - 1e-9 <= value <= bounds[1] + 1e-9


def test_model_fit_strategies_mostly_fit():
    fitted = 0
    for seed in range(10):
        x, tx, T, spend = simulated_customers(seed, 150, 0.5, 5.0, 1.0, 3.0)
        try:
            kpis.fit_bgnbd(x, tx, T), kpis.fit_gamma_gamma(x, spend)
            fitted += 1
        except InputError:
            pass
    assert fitted >= 7


@pytest.mark.parametrize("name", kpis.__all__)
@given(data=st.data())
def test_any_input_returns_a_number_or_raises_the_project_error(name, data):
    func = getattr(kpis, name)
    strategy, _ = REGISTRY[name]
    args, kwargs = data.draw(strategy)
    position = data.draw(st.integers(0, len(args) - 1))
    args = list(args)
    args[position] = data.draw(junk)
    try:
        out = func(*args, **kwargs)
    except LoyaltyXLError as err:
        assert "\n" not in str(err) and str(err)
        return
    assert isinstance(out, (float, np.ndarray, tuple, pd.DataFrame, *kpis.MODEL_TYPES))


@pytest.mark.parametrize("name", ["net_promoter_score", "csat", "customer_effort_score",
                                  "repeat_purchase_rate", "nps_interval"])
@given(data=st.data())
def test_order_of_answers_does_not_matter(name, data):
    args, kwargs = data.draw(REGISTRY[name][0])
    values = list(args[0])
    shuffled = data.draw(st.permutations(values))
    first, second = (getattr(kpis, name)(v, *args[1:], **kwargs) for v in (values, shuffled))
    np.testing.assert_allclose(_numbers(first), _numbers(second), rtol=1e-12, equal_nan=True)


@given(orders())
def test_lifespan_and_cohorts_do_not_depend_on_row_order(rows):
    ids_, dates_ = rows
    order = np.random.default_rng(len(ids_)).permutation(len(ids_))
    shuffled = [ids_[i] for i in order], [dates_[i] for i in order]
    a, b = lx.average_customer_lifespan(*rows), lx.average_customer_lifespan(*shuffled)
    assert a == pytest.approx(b, nan_ok=True)
    pd.testing.assert_frame_equal(lx.cohort_retention(*rows), lx.cohort_retention(*shuffled))


@given(crr_counts())
def test_churn_and_retention_are_consistent(c):
    cs, ce, cn = c
    crr = lx.retention_rate(cs, ce, cn)
    complement = lx.churn_rate(cs, customers_end=ce, new_customers=cn, method="complement")
    # If no new customer left within the period, lost = CS - (CE - CN) and the two agree.
    lost = lx.churn_rate(cs, cs - (ce - cn), new_customers=cn)
    if cs == 0:
        assert math.isnan(crr) and math.isnan(complement) and math.isnan(lost)
    else:
        assert crr + complement == pytest.approx(1.0)
        assert lost == pytest.approx(complement)


@given(nps_scores, st.floats(0.5, 0.999))
def test_nps_interval_contains_its_estimate(scores, confidence):
    for method in ("adjusted_wald", "wald"):
        ci = lx.nps_interval(scores, confidence=confidence, method=method)
        if math.isnan(ci.nps):
            assert not any(s is not None for s in scores)
            continue
        assert -100 <= ci.low <= ci.high <= 100
        assert ci.low - 1e-9 <= ci.center <= ci.high + 1e-9
        if method == "wald":
            assert ci.center == pytest.approx(ci.nps)
            assert ci.low - 1e-9 <= ci.nps <= ci.high + 1e-9


@given(nps_scores, st.floats(0.01, 100))
def test_nps_breakdown_agrees_with_nps_and_constant_weights_change_nothing(scores, weight):
    b = lx.nps_breakdown(scores)
    nps = lx.net_promoter_score(scores)
    assert b.promoters + b.passives + b.detractors == b.n == sum(s is not None for s in scores)
    if b.n:
        assert nps == pytest.approx(100 * (b.promoter_share - b.detractor_share))
        weighted = lx.net_promoter_score(scores, weights=[weight] * len(scores))
        assert weighted == pytest.approx(nps)


@given(st.lists(st.tuples(st.integers(0, 10), st.sampled_from("xyz"), st.floats(0.1, 10)),
                max_size=40))
def test_nps_by_segment_equals_nps_interval_of_each_segment(rows):
    scores, segments, weights = ([r[i] for r in rows] for i in range(3))
    table = lx.nps_by_segment(scores, segments, weights=weights)
    assert table["n"].sum() == pytest.approx(sum(weights))
    for row in table.itertuples():
        mine = [i for i, s in enumerate(segments) if s == row.segment]
        ci = lx.nps_interval([scores[i] for i in mine], weights=[weights[i] for i in mine])
        assert (row.nps, row.low, row.high) == pytest.approx((ci.nps, ci.low, ci.high))


@given(nps_scores, nps_scores)
def test_nps_difference_test_is_antisymmetric(a, b):
    ab, ba = lx.nps_difference_test(a, b), lx.nps_difference_test(b, a)
    assert ab.difference == pytest.approx(-ba.difference, nan_ok=True)
    assert ab.p_value == pytest.approx(ba.p_value, nan_ok=True)
    if not math.isnan(ab.p_value):
        assert 0 <= ab.p_value <= 1


@given(st.lists(st.integers(0, 10), min_size=1, max_size=50), st.integers(1, 5))
def test_two_dimensional_input_equals_its_flattened_form(scores, columns):
    rows = math.ceil(len(scores) / columns)
    grid = np.full(rows * columns, np.nan)
    grid[:len(scores)] = scores
    assert lx.net_promoter_score(grid.reshape(rows, columns)) == lx.net_promoter_score(scores)
