"""The KPI library under fuzz: hostile shapes and values for every argument of every KPI.

Each call ends in one of the allowed outcome classes: a number (finite, or NaN when undefined),
an array of such numbers, a result tuple or table of them, or ``InputError`` with a one-line
message. Anything else (another exception, inf, a value outside the KPI's range) fails.

The number of examples comes from the hypothesis profile (tests/conftest.py): 10^4 calls
of KPIs and Excel functions together in CI, 10^5 with ``HYPOTHESIS_PROFILE=nightly``. Run with
``-s`` to see the outcome table.
"""

from __future__ import annotations

import datetime as dt
import inspect
import math
import tracemalloc
from collections import Counter
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import loyalty_xl as lx
from loyalty_xl import kpis
from loyalty_xl.errors import InputError, LoyaltyXLError
from tests.conftest import FUZZ_EXAMPLES
from tests.test_kpis_common import REGISTRY


class JsNull:
    """Stand-in for Pyodide's JsNull sentinel (the library recognises it by its type name)."""

    def __repr__(self):
        return "JsNull"


# --- Hostile values ----------------------------------------------------------------------------

SPECIAL_FLOATS = [1e308, -1e308, 1.7976931348623157e308, 5e-324, -0.0, math.nan, math.inf,
                  -math.inf, 2.0 ** 53 + 2, 2.0 ** 63, 0.5, 9.5, 1e-300]
WORDS = ["", " ", "\t", "5", "10", "1-5", "1-7", "1-10", "0-10", "mean", "share", "wald",
         "adjusted_wald", "points", "month", "week", "quarter", "year", "lost", "complement",
         "2026-01-31", "2020-02-29T10:00:00+05:00", "9999-12-31", "10000-01-01", "1700-01-01",
         "2262-04-12", "nan", "NaN", "TRUE", "#N/A", "#DIV/0!", "a\x00b", "é"]
NP_DATES = [np.datetime64("NaT"), np.datetime64("2026-01-31"), np.datetime64("9999-12-31"),
            np.datetime64("1500-01-01", "D"), np.datetime64("10000-01-01", "D"),
            np.datetime64("-0001-01-01", "D"), np.datetime64("2300-01-01", "s"),
            np.datetime64(2**62, "s"), np.datetime64("2026-01-31T10:11:12.123456789", "ns")]
OTHER = [pd.NA, pd.NaT, np.nan, JsNull(), object(), set(), frozenset([1]), 1 + 2j,
         Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), Decimal("1e400"), Decimal(7),
         Fraction(1, 3), np.int64(2**63 - 1), np.int64(7), np.uint64(2**64 - 1),
         np.float32(3.0e38), np.float16(9), np.bool_(True), np.str_("x"), b"", b"10",
         {"type": "Error", "basicValue": "#N/A"}, {"type": "Double", "basicValue": 5.0}, {},
         pd.Timestamp("2026-01-31"), pd.Timestamp("2026-01-31", tz="Europe/Berlin"),
         pd.Period("2026-01", freq="M"), dt.timedelta(days=3), np.timedelta64(3, "D"),
         Ellipsis, type, range(3)]

DATES = [dt.date(1, 1, 1), dt.date(1700, 1, 1), dt.date(1969, 12, 31), dt.date(2020, 2, 29),
         dt.date(2026, 1, 31), dt.date(2026, 3, 1), dt.date(2262, 4, 12), dt.date(9999, 12, 31),
         dt.datetime(2026, 1, 31, 23, 59, 59, 999999), dt.datetime(1600, 1, 1, 12),
         dt.datetime(2026, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=-14))),
         dt.datetime(9999, 12, 31, 23, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
         dt.datetime(1, 1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=5)))]
#: Fixed hostile values, drawn by index (cheap); the strategies below add generated ones.
POOL = (SPECIAL_FLOATS + WORDS + NP_DATES + OTHER + DATES
        + [None, True, False, 0, 1, 6, 7, 9, 10, 11, -1, 2**63, -2**63 - 1, 10**30, 10**400])

scalars = st.one_of(
    st.sampled_from(POOL), st.integers(0, 12), st.floats(), st.integers(-10**20, 10**20),
    st.text(max_size=4), st.dates(),
)
numbers = st.one_of(st.integers(0, 12), st.floats(0, 1e6), st.sampled_from(SPECIAL_FLOATS),
                    st.none())
def _rectangular(elements, max_side=4):
    return st.integers(0, max_side).flatmap(
        lambda width: st.lists(st.lists(elements, min_size=width, max_size=width),
                               max_size=max_side))


def _array(draw):
    kind = draw(st.sampled_from(["float", "int", "object", "str", "date", "bool", "2d", "0d"]))
    size = draw(st.integers(0, 8))
    if kind == "float":
        return np.array(draw(st.lists(st.one_of(st.floats(), numbers.filter(
            lambda v: v is not None)), min_size=size, max_size=size)), dtype=float)
    if kind == "int":
        return np.array(draw(st.lists(st.integers(-2**63, 2**63 - 1), min_size=size,
                                      max_size=size)), dtype=np.int64)
    if kind == "object":
        out = np.empty(size, dtype=object)
        out[:] = draw(st.lists(scalars, min_size=size, max_size=size))
        return out
    if kind == "str":
        return np.array(draw(st.lists(st.sampled_from(WORDS), min_size=size, max_size=size)),
                        dtype=str)
    if kind == "date":
        unit = draw(st.sampled_from(["D", "s", "ns", "us", "M"]))
        days = draw(st.lists(st.integers(-800_000, 3_000_000), min_size=size, max_size=size))
        return np.array(days, "datetime64[D]").astype(f"datetime64[{unit}]")
    if kind == "bool":
        return np.array(draw(st.lists(st.booleans(), min_size=size, max_size=size)))
    if kind == "2d":
        rows = draw(_rectangular(numbers.filter(lambda v: v is not None)))
        return np.array(rows, dtype=float) if rows and rows[0] else np.empty((0, 0))
    return np.array(draw(numbers.filter(lambda v: v is not None)), dtype=float)


def _series(draw):
    kind = draw(st.sampled_from(["Int64", "Float64", "object", "datetime", "string",
                                 "category", "boolean", "frame"]))
    size = draw(st.integers(0, 8))
    ints = st.lists(st.one_of(st.integers(0, 12), st.none()), min_size=size, max_size=size)
    if kind in ("Int64", "Float64"):
        return pd.Series(draw(ints), dtype=kind)
    if kind == "object":
        return pd.Series(draw(st.lists(scalars, min_size=size, max_size=size)), dtype=object)
    if kind == "datetime":
        return pd.Series(pd.to_datetime(draw(st.lists(st.one_of(
            st.dates(dt.date(1700, 1, 1), dt.date(2260, 12, 31)), st.none()),
            min_size=size, max_size=size))))
    if kind == "string":
        return pd.Series(draw(st.lists(st.one_of(st.sampled_from(WORDS), st.none()),
                                       min_size=size, max_size=size)), dtype="string")
    if kind == "category":
        return pd.Series(draw(ints), dtype="category")
    if kind == "boolean":
        return pd.Series(draw(st.lists(st.one_of(st.booleans(), st.none()), min_size=size,
                                       max_size=size)), dtype="boolean")
    return pd.DataFrame({"a": draw(ints), "b": draw(ints)})


@st.composite
def containers(draw):
    kind = draw(st.sampled_from(["list", "nested", "ragged", "rect", "tuple", "array",
                                 "series", "numbers", "dates", "ids", "empty"]))
    if kind == "list":
        return draw(st.lists(scalars, max_size=8))
    if kind == "nested":
        return draw(st.recursive(scalars, lambda inner: st.lists(inner, max_size=3),
                                 max_leaves=8))
    if kind == "ragged":
        return draw(st.lists(st.lists(numbers, max_size=3), min_size=2, max_size=3))
    if kind == "rect":
        return draw(_rectangular(st.one_of(numbers, scalars)))
    if kind == "tuple":
        return tuple(draw(st.lists(numbers, max_size=6)))
    if kind == "array":
        return _array(draw)
    if kind == "series":
        return _series(draw)
    if kind == "numbers":  # plausible values, lengths that need not match the other arguments
        return draw(st.lists(numbers, max_size=8))
    if kind == "dates":
        return draw(st.lists(st.one_of(st.dates(), st.sampled_from(WORDS[20:26])), max_size=6))
    if kind == "ids":
        return draw(st.lists(st.one_of(st.sampled_from("abc"), st.integers(-3, 3),
                                       st.floats(-3, 3)), max_size=6))
    return draw(st.sampled_from([[], [[]], (), np.empty(0), pd.Series([], dtype=float),
                                 [[], []], [None], [[None]]]))


hostile = st.one_of(scalars, containers())


# --- Calls -----------------------------------------------------------------------------------

def _parameters(func):
    params = inspect.signature(func).parameters.values()
    positional = [p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
    keyword = [p.name for p in params if p.kind is p.KEYWORD_ONLY]
    return positional, keyword


@st.composite
def kpi_calls(draw, name):
    """A plausible call of the KPI, with 0 to 3 of its arguments replaced by hostile values."""
    func = getattr(kpis, name)
    args, kwargs = draw(REGISTRY[name][0])
    args, kwargs = list(args), dict(kwargs)
    positional, keyword = _parameters(func)
    chosen = draw(st.sets(st.sampled_from(positional + keyword), max_size=3))
    for param in chosen:
        value = draw(hostile)
        if param in positional and positional.index(param) < len(args):
            args[positional.index(param)] = value
        else:
            kwargs[param] = value
    return tuple(args), kwargs


# Ranges every result must lie in, whatever the input (None: any finite number).
BOUNDS = {
    "net_promoter_score": (-100, 100), "csat": (0, 1), "csat_mean": (0, 10),
    "customer_effort_score": (0, 7), "retention_rate": (0, 1), "churn_rate": (0, None),
    "repeat_purchase_rate": (0, 1), "returning_to_one_time_ratio": (0, None),
    "average_purchase_value": (None, None), "purchase_frequency": (1, None),
    "customer_value": (None, None), "average_customer_lifespan": (0, 10_000),
    "customer_lifetime_value": (None, None), "customer_acquisition_cost": (0, None),
    "clv_cac_ratio": (None, None), "participation_rate": (0, 1), "redemption_rate": (0, None),
    "active_engagement_rate": (0, 1), "customer_loyalty_index": (None, None),
}


def _check_number(value, bounds, what):
    assert isinstance(value, (float, np.floating)), f"{what}: {type(value).__name__} {value!r}"
    if math.isnan(value):
        return
    assert math.isfinite(value), f"{what} is {value}"
    low, high = bounds
    assert low is None or value >= low - 1e-9, f"{what} = {value} < {low}"
    assert high is None or value <= high + 1e-9, f"{what} = {value} > {high}"


def check_result(name, out) -> str:
    """The outcome class of a KPI's return value; AssertionError if it is not allowed."""
    if isinstance(out, kpis.NPSBreakdown):
        for field in ("promoters", "passives", "detractors", "n"):
            _check_number(getattr(out, field), (0, None), f"{name}.{field}")
        for field in ("promoter_share", "passive_share", "detractor_share"):
            _check_number(getattr(out, field), (0, 1), f"{name}.{field}")
        _check_number(out.nps, (-100, 100), f"{name}.nps")
        return "tuple"
    if isinstance(out, kpis.NPSInterval):
        for field in ("nps", "center", "low", "high"):
            _check_number(getattr(out, field), (-100, 100), f"{name}.{field}")
        _check_number(out.standard_error, (0, None), f"{name}.standard_error")
        assert math.isnan(out.low) or out.low <= out.high
        return "tuple"
    if isinstance(out, kpis.NPSTest):
        _check_number(out.difference, (-200, 200), f"{name}.difference")
        _check_number(out.z, (None, None), f"{name}.z")
        _check_number(out.p_value, (0, 1), f"{name}.p_value")
        return "tuple"
    if isinstance(out, pd.DataFrame) and name in ("nps_by_segment", "cohort_retention"):
        if name == "nps_by_segment":
            assert list(out.columns) == ["segment", "n", "nps", "low", "high"]
            for column, bounds in (("n", (0, None)), ("nps", (-100, 100)), ("low", (-100, 100)),
                                   ("high", (-100, 100))):
                for value in out[column]:
                    _check_number(float(value), bounds, f"{name}.{column}")
        else:
            assert out.columns[0] == "customers"
            assert out.shape[1] <= kpis.customers.MAX_COHORT_PERIODS + 1
            for value in out["customers"]:
                _check_number(float(value), (0, None), f"{name}.customers")
            for value in out.iloc[:, 1:].to_numpy(dtype=float).ravel():
                _check_number(value, (0, 1), f"{name} share")
        return "table"
    if isinstance(out, pd.DataFrame) or (isinstance(out, tuple) and not hasattr(out, "nps")):
        values = out.select_dtypes("number").to_numpy(dtype=float).ravel() if isinstance(
            out, pd.DataFrame) else [v for v in out if isinstance(v, float)]
        for value in values:  # a KPI added later: finite or NaN at least
            _check_number(float(value), (None, None), name)
        return "table"
    if not isinstance(out, (float, np.floating, np.ndarray)):
        return "object"  # a KPI added later returning a model or the like
    bounds = BOUNDS.get(name, (None, None))
    if isinstance(out, np.ndarray):
        assert out.dtype == float, f"{name} returned an array of {out.dtype}"
        for value in out.ravel():
            _check_number(value, bounds, name)
        return "array"
    _check_number(out, bounds, name)
    return "nan" if math.isnan(out) else "number"


def outcome_of(name, args, kwargs) -> str:
    """Call the KPI and return its outcome class; fail on anything not allowed."""
    func = getattr(kpis, name)
    try:
        with np.errstate(all="raise"):  # a numpy warning is an unhandled case, not an answer
            out = func(*args, **kwargs)
    except LoyaltyXLError as err:
        message = str(err)
        assert isinstance(err, InputError), f"{type(err).__name__} for bad input: {message}"
        assert message and "\n" not in message and len(message) < 400, message
        return "InputError"
    return check_result(name, out)


OUTCOMES: Counter = Counter()


@pytest.fixture(scope="module", autouse=True)
def outcome_table():
    yield
    print_table("KPI library", OUTCOMES)


def print_table(title, outcomes):
    columns = sorted({outcome for _, outcome in outcomes})
    names = sorted({name for name, _ in outcomes})
    if not names:
        return
    width = max(map(len, names)) + 2
    print(f"\n{title}: {sum(outcomes.values())} calls")
    print("".ljust(width) + "".join(c.rjust(12) for c in columns) + "total".rjust(9))
    for name in names:
        row = [outcomes[name, c] for c in columns]
        print(name.ljust(width) + "".join(str(v).rjust(12) for v in row)
              + str(sum(row)).rjust(9))
    totals = [sum(outcomes[n, c] for n in names) for c in columns]
    print("total".ljust(width) + "".join(str(v).rjust(12) for v in totals)
          + str(sum(totals)).rjust(9))


FUZZ_SETTINGS = settings(
    max_examples=max(1, FUZZ_EXAMPLES // 2 // len(kpis.__all__)), deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much])


@pytest.mark.parametrize("name", kpis.__all__)
@FUZZ_SETTINGS
@given(data=st.data())
def test_fuzz_kpi_gives_a_number_or_input_error(name, data):
    args, kwargs = data.draw(kpi_calls(name), label="call")
    try:
        outcome = outcome_of(name, args, kwargs)
    except Exception as err:
        OUTCOMES[name, "FAILED"] += 1
        event(f"{name}: FAILED {type(err).__name__}")
        raise
    OUTCOMES[name, outcome] += 1
    event(f"{name}: {outcome}")


# --- Regression tests: each finding of issue 13, exactly ------------------------------------

@pytest.mark.parametrize("call", [
    lambda: lx.csat([5, 4], scale=["1-5"]),
    lambda: lx.csat([5, 4], scale={"1-5": 1}),
    lambda: lx.csat([5, 4], scale=pd.NA),
    lambda: lx.nps_interval([10, 9], method=pd.NA),
    lambda: lx.nps_interval([10, 9], method=["wald"]),
    lambda: lx.nps_interval([10, 9], method=np.array(["wald", "wald"])),
    lambda: lx.churn_rate(10, 2, method=pd.NA),
    lambda: lx.cohort_retention(["a"], ["2026-01-01"], period=pd.NA),
    lambda: lx.cohort_retention(["a"], ["2026-01-01"], period=["month"]),
    lambda: lx.purchase_frequency([10, 20, 30], [1, 2]),
    lambda: lx.retention_rate([10, 20], [5, 6, 7], 0),
    lambda: lx.participation_rate([[1, 2]], [1, 2, 3]),
])
def test_fuzz_regression_options_and_shapes_raise_input_error(call):
    with pytest.raises(InputError) as info:
        call()
    assert "\n" not in str(info.value)


def test_fuzz_regression_unequal_lengths_name_both_lengths():
    with pytest.raises(InputError, match=r"orders and customers must have the same shape; "
                                         r"got \(3,\) and \(2,\)"):
        lx.purchase_frequency([10, 20, 30], [1, 2])


def test_fuzz_regression_lifespan_beyond_nanoseconds():
    # 2020-01-01 to 2300-01-01 is 102,268 days: 279.99 years, not -279.99 (ns overflow).
    years = lx.average_customer_lifespan(["a", "a"], ["2020-01-01", "2300-01-01"])
    assert years == pytest.approx(102_268 / 365.25)
    years = lx.average_customer_lifespan(["a", "a", "b"], [dt.date(1700, 1, 1),
                                                           dt.date(9999, 12, 31),
                                                           np.datetime64("2300-01-01")])
    assert years == pytest.approx((dt.date(9999, 12, 31) - dt.date(1700, 1, 1)).days
                                  / 365.25 / 2)


def test_fuzz_regression_dates_outside_years_1_to_9999_are_input_errors():
    with pytest.raises(InputError, match="order_dates must be dates from year 1 to 9999"):
        lx.average_customer_lifespan(["a"], [np.datetime64("10000-01-01")])


def test_fuzz_regression_nps_with_a_huge_weight():
    # Weight 1e308 on a detractor, 1 on a promoter: the NPS is -100 (to 1e-300), not -inf.
    assert lx.net_promoter_score([10, 0], weights=[1, 1e308]) == -100.0
    assert lx.net_promoter_score([10, 0], weights=[1e308, 1e308]) == 0.0
    b = lx.nps_breakdown([10, 10, 0], weights=[4e307, 4e307, 8e307])
    assert (b.promoters, b.detractors, b.n, b.nps) == (8e307, 8e307, 1.6e308, 0.0)
    with pytest.raises(InputError, match="weights are too large"):
        lx.nps_breakdown([10, 10, 0], weights=[1e308, 1e308, 1e308])
    ci = lx.nps_interval([10, 0, 8], weights=[1e308, 1e308, 1e-300])
    assert ci.nps == 0.0 and -100 <= ci.low < 0 < ci.high <= 100
    assert lx.csat_mean([5, 1], scale="1-5", weights=[1e308, 1e308]) == 3.0
    assert lx.customer_loyalty_index([1, 6], [1, 6], [1, 6], weights=[1e308, 1e308]) == 50.0
    t = lx.nps_by_segment([10, 0], ["a", "a"], weights=[1e308, 1e307])
    assert t["n"].tolist() == [1.1e308] and t["nps"].tolist() == pytest.approx([900 / 11])
    with pytest.raises(InputError, match="weights are too large"):
        lx.nps_by_segment([10, 0], ["a", "a"], weights=[1e308, 1e308])


def test_fuzz_regression_confidence_next_to_1_and_0():
    # Found by the nightly run: 0.5 + 0.9999999999999999 / 2 rounds to 1 (z = inf).
    ci = lx.nps_interval([10, 0, 8], confidence=0.9999999999999999)
    assert -100 <= ci.low < ci.high <= 100
    ci = lx.nps_interval([10, 0, 8], confidence=5e-324)
    assert ci.low == pytest.approx(ci.high)
    assert lx.nps_interval([10, 0, 8], confidence=0.95).high == pytest.approx(
        lx.nps_interval([10, 0, 8]).high)


def test_fuzz_regression_tiny_weights_do_not_underflow():
    # Squares of 1e-200 are 0 in floats; scaled weights keep Kish's n at 2.
    ci = lx.nps_interval([10, 0], weights=[1e-200, 1e-200])
    same = lx.nps_interval([10, 0], weights=[1, 1])
    assert (ci.low, ci.high) == pytest.approx((same.low, same.high))


@pytest.mark.parametrize("call", [
    lambda: lx.customer_value(1e308, 10),
    lambda: lx.customer_lifetime_value(1e308, 10, 10),
    lambda: lx.clv_cac_ratio(1e308, 1e-308),
    lambda: lx.customer_value([1, 1e308], [1, 1e10]),
])
def test_fuzz_regression_overflow_raises_instead_of_inf(call):
    with pytest.raises(InputError, match="too large"):
        call()


def test_fuzz_regression_no_inf_times_zero_nan():
    # 1e308 * 10 * 0 is 0: the intermediate overflow must not turn it into NaN.
    assert lx.customer_lifetime_value(1e308, 10, 0) == 0.0
    assert lx.customer_acquisition_cost(1e308, 2, sales_spend=1e308) == 1e308


def test_fuzz_regression_nps_test_without_variance_is_not_inf():
    t = lx.nps_difference_test([10, 10], [0, 0])
    assert t.difference == 200.0 and math.isnan(t.z) and t.p_value == 0.0


def test_fuzz_regression_cohort_matrix_is_bounded():
    tracemalloc.start()
    try:
        with pytest.raises(InputError, match=r"cohort matrix would have 6,721 months a side "
                                             r"\(1700-01 to 2260-01\); the limit is 1,200"):
            lx.cohort_retention(["a", "b"], ["1700-01-01", "2260-01-01"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20e6
    # The limit itself is fine: 100 years of months.
    m = lx.cohort_retention(["a", "a"], ["1900-01-01", "1999-12-31"])
    assert m.shape == (1200, 1201) and m.iloc[0, 1199 + 1] == 1.0


def test_fuzz_regression_cohorts_of_far_dates_keep_their_labels():
    m = lx.cohort_retention(["a", "a", "b"], ["1700-01-05", "1700-03-01", "1700-03-02"])
    assert m.index.tolist() == ["1700-01", "1700-02", "1700-03"]
    assert m.loc["1700-01"].tolist() == [1.0, 1.0, 0.0, 1.0]
    w = lx.cohort_retention(["a", "a"], ["9999-12-20", "9999-12-31"], period="week")
    assert w.index.tolist() == ["9999-W51", "9999-W52"]  # Mondays 9999-12-20 and -27


BLANKS = [None, math.nan, np.float32("nan"), pd.NA, pd.NaT, np.datetime64("NaT"), "", "  \t",
          np.str_(" "), JsNull()]


@pytest.mark.parametrize("blank", BLANKS, ids=repr)
def test_fuzz_one_blank_rule_everywhere(blank):
    from loyalty_xl import udfs
    from loyalty_xl.kpis._inputs import blank_mask

    cell = np.empty(1, dtype=object)
    cell[0] = blank
    assert blank_mask(cell).tolist() == [True]
    # Scores, ids, dates and Excel cells all skip it: the one rule, called from each place.
    assert lx.net_promoter_score([10, blank]) == 100.0
    assert udfs.NPS([[10], [blank]]) == 100.0
    assert lx.repeat_purchase_rate(["a", blank]) == 0.0
    assert lx.average_customer_lifespan(["a", blank], ["2020-01-01", blank]) == 0.0
    assert udfs.CUSTOMER_LIFESPAN([["a"], [blank]], [[45000], [blank]]) == 0.0
    assert lx.nps_by_segment([10], [blank])["segment"].tolist() == ["(blank)"]
