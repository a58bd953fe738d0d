"""The Excel functions under fuzz: any argument shape Excel, Office.js or a caller can send.

Every call must return a value (a finite number), a spill (a rectangular list of rows of
numbers and text) or an Excel error: ``#DIV/0!``, ``#NUM!``, or ``#VALUE!`` with a one-line
message (as text in classic xlwings, as an error dict in xlwings Lite and Server). A raised
exception, or ``#VALUE! internal error: ...`` (the wrappers' last resort), fails.

Examples per run come from the hypothesis profile (tests/conftest.py); run with ``-s`` to see
the outcome table.
"""

from __future__ import annotations

import datetime as dt
import inspect
import math
import tracemalloc
from collections import Counter
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import loyalty_xl as lx
from loyalty_xl import excel_cells, udfs
from tests.conftest import FUZZ_EXAMPLES
from tests.test_fuzz_kpis import POOL, JsNull, print_table
from tests.test_udfs import excel_functions

FUNCTIONS = sorted(excel_functions())

# --- What Excel sends ------------------------------------------------------------------------

ERROR_DICTS = [{"type": "Error", "basicValue": "#N/A", "errorType": "NotAvailable"},
               {"type": "Error", "basicValue": "#DIV/0!", "errorType": "Div0"},
               {"type": "Error", "errorType": "Value"}, {"type": "Error"},
               {"type": "Double", "basicValue": 5.0, "numberFormat": "0.00%"},
               {"type": "String", "basicValue": "x"},
               {"type": "Entity", "text": "Berlin", "properties": {}}]
excel_cells_ = st.one_of(
    st.none(), st.just(""), st.just(" "), st.booleans(), st.integers(0, 12),
    st.integers(-10**21, 10**21), st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1e308, -1e308, 5e-324, -0.0, 0.5, 2958465.0, 2958466.0, 60.0, 0.0]),
    st.text(max_size=6), st.sampled_from(["1-5", "1-7", "0-10", "wald", "mean", "month",
                                          "2026-01-31", "#N/A", "TRUE"]),
    st.builds(JsNull), st.sampled_from(ERROR_DICTS),
    st.sampled_from(sorted(excel_cells.COM_ERRORS)),
    st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(9999, 12, 31)),
)
# What no Excel sends, but a caller of the Python functions might.
any_cells = st.one_of(excel_cells_, st.sampled_from(POOL), st.just(math.nan),
                      st.just(math.inf), st.just(10**400), st.just(Decimal("1e400")))


def excel_ranges(cells, max_side=5):
    """A range as the runtimes send it: one cell, rows (lists or COM tuples), a bare row."""
    rect = st.integers(0, max_side).flatmap(lambda width: st.lists(
        st.lists(cells, min_size=width, max_size=width), min_size=1, max_size=max_side))
    return st.one_of(cells, rect, rect.map(lambda rows: tuple(map(tuple, rows))),
                     st.lists(cells, min_size=1, max_size=max_side))


odd_shapes = st.one_of(
    st.sampled_from([[], [[]], [[], []], (), [[[]]], [[1, 2], [3]], [[1], 2], [[[1, 2]]],
                     [[[1], [2]], [[3], [4]]], np.array([[1.0, 2.0]]), np.empty((0, 3)),
                     {"a": 1}, {1, 2}, b"\x00", object()]),
    st.recursive(any_cells, lambda inner: st.lists(inner, max_size=3), max_leaves=8),
)
hostile_args = st.one_of(excel_ranges(excel_cells_), excel_ranges(any_cells), odd_shapes)

# --- Plausible arguments, by parameter name ----------------------------------------------------


def column(cells, n):
    return st.lists(cells, min_size=n, max_size=n).map(lambda values: [[v] for v in values])


answers = st.one_of(st.integers(0, 10), st.just(""), st.none())
counts = st.integers(0, 1000)
PLAUSIBLE = {
    "scores": lambda n: column(answers, n), "scores_a": lambda n: column(answers, n),
    "scores_b": lambda n: column(answers, n),
    "weights": lambda n: column(st.floats(0, 1e3) | st.sampled_from([1e308, 5e-324]), n),
    "recommend": lambda n: column(st.integers(1, 6) | st.none(), n),
    "buy_again": lambda n: column(st.integers(1, 6) | st.none(), n),
    "other_products": lambda n: column(st.integers(1, 6) | st.none(), n),
    "points": lambda n: st.just([[100, 80, 60, 40, 20, 0]]),
    "scale": lambda n: st.sampled_from(["1-5", "1-7", "1-10", "0-10"]),
    "threshold": lambda n: st.integers(0, 10), "confidence": lambda n: st.floats(0, 1),
    "method": lambda n: st.sampled_from(["wald", "adjusted_wald", "mean", "share", "points",
                                         "lost", "complement"]),
    "reverse": lambda n: st.booleans(), "carry_over": lambda n: st.booleans(),
    "segments": lambda n: column(st.sampled_from(["web", "shop", "", 3, None]), n),
    "customer_ids": lambda n: column(st.sampled_from(["a", "b", "c", 7.0, 8.0]), n),
    "order_dates": lambda n: column(st.integers(1, 2958465) | st.datetimes(
        dt.datetime(1900, 3, 1), dt.datetime(9999, 12, 31)), n),
    "period": lambda n: st.sampled_from(["month", "week", "quarter", "year"]),
}


def plausible(name, n):
    if name in PLAUSIBLE:
        return PLAUSIBLE[name](n)
    return st.one_of(counts, st.floats(0, 1e7), column(counts, n))  # counts and amounts


@st.composite
def udf_calls(draw, name):
    """Arguments for every parameter: mostly plausible and aligned, some hostile or missing."""
    params = list(inspect.signature(getattr(udfs, name)).parameters.values())
    n = draw(st.integers(1, 6))
    args = []
    for param in params:
        kind = draw(st.sampled_from(["plausible", "plausible", "plausible", "hostile",
                                     "missing"]))
        if kind == "missing":
            args.append(None if param.default is param.empty else param.default)
        elif kind == "hostile":
            args.append(draw(hostile_args))
        else:
            args.append(draw(plausible(param.name, n)))
    return args


# --- Outcomes --------------------------------------------------------------------------------

def _check_cell(value, what):
    if isinstance(value, float):
        assert math.isfinite(value), f"{what}: {value}"
    else:
        assert isinstance(value, (str, int, bool)), f"{what}: {type(value).__name__}"


def udf_outcome(result) -> str:
    """The outcome class of an Excel function's return value; AssertionError if not allowed."""
    if isinstance(result, str):
        if result in ("#DIV/0!", "#NUM!"):
            return result
        assert result.startswith("#VALUE! "), f"unexpected text {result!r}"
        assert "internal error" not in result, result
        assert "\n" not in result and len(result) < 500, result
        return "#VALUE!"
    if isinstance(result, list) and len(result) == 1 and len(result[0]) == 1 \
            and isinstance(result[0][0], dict):
        error = result[0][0]
        assert error.get("type") == "Error" and error.get("errorType") == "Value", error
        message = error.get("message", "")
        assert message and "internal error" not in message and "\n" not in message, message
        return "#VALUE!"
    if isinstance(result, list):
        assert result and all(isinstance(row, list) for row in result), result
        width = len(result[0])
        assert width and all(len(row) == width for row in result), "ragged spill"
        for row in result:
            for value in row:
                _check_cell(value, "spill cell")
        return "spill"
    assert not isinstance(result, bool), result
    assert isinstance(result, float) and math.isfinite(result), repr(result)
    return "number"


OUTCOMES: Counter = Counter()


@pytest.fixture(scope="module", autouse=True)
def outcome_table():
    yield
    print_table("Excel functions", OUTCOMES)


def call(name, args, office=False):
    """Call an Excel function as classic xlwings (errors as text) or Office.js (error dicts)."""
    original = excel_cells.office_js
    excel_cells.office_js = lambda: office
    try:
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            return getattr(udfs, name)(*args)
    finally:
        excel_cells.office_js = original


@pytest.mark.parametrize("name", FUNCTIONS)
@settings(max_examples=max(1, FUZZ_EXAMPLES // 2 // len(FUNCTIONS)), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.filter_too_much])
@given(args=st.data(), office=st.booleans())
def test_fuzz_udf_returns_a_value_a_spill_or_an_excel_error(name, args, office):
    arguments = args.draw(udf_calls(name), label="arguments")
    try:
        outcome = udf_outcome(call(name, arguments, office))
    except Exception as err:
        OUTCOMES[name, "FAILED"] += 1
        event(f"{name}: FAILED {type(err).__name__}")
        raise
    OUTCOMES[name, outcome] += 1
    event(f"{name}: {outcome}")


@settings(max_examples=max(1, FUZZ_EXAMPLES // 50), deadline=None)
@given(excel_ranges(st.one_of(st.integers(0, 10), st.sampled_from(["", None, " "]),
                              st.builds(JsNull))))
def test_fuzz_udf_nps_equals_the_library_on_any_range(scores):
    flat, _ = excel_cells.rows_of(scores)
    answers = [v for v in flat if isinstance(v, int)]
    expected = lx.net_promoter_score(answers)
    assert udfs.NPS(scores) == ("#DIV/0!" if math.isnan(expected) else expected)


# --- Regression tests: each finding of issue 13, exactly ------------------------------------

def test_fuzz_regression_cohort_retention_over_45000_days_is_refused_without_allocating():
    tracemalloc.start()
    try:
        result = udfs.COHORT_RETENTION([["a"], ["b"]], [[1], [45001]])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.startswith("#VALUE! the cohort matrix would have 1,479 months a side "
                             "(1900-01 to 2023-03); the limit is 1,200 periods")
    assert peak < 20e6  # was 2.3 GB


@pytest.mark.parametrize("args, expected", [
    (([[10, 9], [3]],), "#VALUE! scores must be a cell or a rectangular range"),
    (([[10], 9],), "#VALUE! scores must be a cell or a rectangular range"),
    (([[[10, 9]]],), "#VALUE! scores must be a cell or a rectangular range, not nested"),
    (([[10, [9]]],), "#VALUE! scores must be a cell or a rectangular range, not nested"),
    (([[]],), "#DIV/0!"),
    (([],), "#DIV/0!"),
    (([[10**400]],), "#VALUE! scores must be numbers that fit in a float"),
    (([[math.inf]],), "#VALUE! scores must be whole numbers from 0 to 10; got inf"),
    (([[10], [math.nan]],), 100.0),
    (([[10]], [[1e308]]), 100.0),
    (([[10], [0]], [[1e308], [1e308]]), 0.0),
])
def test_fuzz_regression_nps_shapes_and_huge_numbers(args, expected):
    result = udfs.NPS(*args)
    assert result == expected or (isinstance(expected, str) and result.startswith(expected))


@pytest.mark.parametrize("call_, expected", [
    (lambda: udfs.CSAT([[5]], [["1-5", "1-7"]]), "#VALUE! scale must be a single cell"),
    (lambda: udfs.CSAT([[5]], {"type": "Error", "basicValue": "#N/A"}),
     "#VALUE! scale contains the Excel error #N/A"),
    (lambda: udfs.CSAT([[5]], -2146826246), "#VALUE! scale contains the Excel error #N/A"),
    (lambda: udfs.CSAT([[5]], {"type": "String", "basicValue": "1-5"}), 1.0),
    (lambda: udfs.NPS_INTERVAL([[10]], [[0.9, 0.95]]),
     "#VALUE! confidence must be a single cell"),
    (lambda: udfs.CES([[5]], "1-7", "mean", [[True, False]]),
     "#VALUE! reverse must be a single cell"),
    (lambda: udfs.COHORT_RETENTION([["a"]], [[45000]], [["month"], ["year"]]),
     "#VALUE! period must be a single cell"),
    (lambda: udfs.CHURN_RATE(10, 1, None, None, JsNull()), 0.1),
    (lambda: udfs.CUSTOMER_VALUE([[]], 2), "#DIV/0!"),
    (lambda: udfs.CUSTOMER_VALUE(1e308, 10), "#VALUE! customer_value is too large"),
    (lambda: udfs.CLV_CAC_RATIO(1e308, 1e-308), "#VALUE! clv_cac_ratio is too large"),
    (lambda: udfs.NPS_TEST([[10], [10]], [[0]]), "spill"),
    (lambda: udfs.NPS_INTERVAL([[0]], 0.9999999999999999), "spill"),  # found by the nightly run
    (lambda: udfs.NPS_BY([[0]], [["web"]], 0.9999999999999999), "spill"),
    (lambda: udfs.CHURN_RATE(10, 1, None, [[5], [6]], "lost"), [[0.1], [0.1]]),
])
def test_fuzz_regression_options_and_overflow(call_, expected):
    result = call_()
    if expected == "spill":
        assert udf_outcome(result) == "spill"
    else:
        assert result == expected or (isinstance(expected, str) and result.startswith(expected))


@pytest.mark.parametrize("serial, message", [
    (1e300, ("#VALUE! order_dates must be dates; a number is read as an Excel date serial from "
             "1 (1900-01-01) to 2,958,465 (9999-12-31); got 1e+300 at row 2 of order_dates")),
    (-5, "#VALUE! order_dates must be dates; a number is read as an Excel date serial"),
    (60, "#VALUE! order_dates must be dates; a number is read as an Excel date serial"),
    (2958466, "#VALUE! order_dates must be dates; a number is read as an Excel date serial"),
])
def test_fuzz_regression_serial_numbers_outside_excel_dates(serial, message):
    assert udfs.CUSTOMER_LIFESPAN([["a"], ["a"]], [[45000], [serial]]).startswith(message)


def test_fuzz_regression_serial_numbers_of_early_1900_and_far_years():
    # Excel's serial 59 is 1900-02-28 and 61 is 1900-03-01 (60 is its phantom 29 February).
    assert udfs.CUSTOMER_LIFESPAN([["a"], ["a"]], [[59], [61]]) == pytest.approx(1 / 365.25)
    com = [[dt.datetime(1900, 1, 1)], [dt.datetime(9999, 12, 31)]]
    span = (dt.date(9999, 12, 31) - dt.date(1900, 1, 1)).days / 365.25
    assert udfs.CUSTOMER_LIFESPAN([["a"], ["a"]], com) == pytest.approx(span)
    assert udfs.CUSTOMER_LIFESPAN([["a"], ["a"]], [[1], [2958465]]) == pytest.approx(span)


def test_fuzz_regression_office_js_errors_are_error_values():
    result = call("NPS", [[[11]]], office=True)
    assert result == [[{"type": "Error", "errorType": "Value",
                        "message": "scores must be whole numbers from 0 to 10; got 11 at row 1 "
                                   "of scores"}]]
    assert call("NPS", [[[None]]], office=True) == "#DIV/0!"


def test_fuzz_regression_nps_by_segment_labels_are_cell_values():
    table = udfs.NPS_BY([[10], [0], [9]], [[np.datetime64("2026-01-31")], [True], [None]])
    assert udf_outcome(table) == "spill"
    assert [row[0] for row in table[1:]] == ["2026-01-31", True, "(blank)"]


def test_fuzz_regression_an_unexpected_exception_is_one_line_and_counted(monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("x\ny")

    monkeypatch.setattr(lx.kpis, "net_promoter_score", broken)
    result = udfs.NPS([[10]])
    assert result == "#VALUE! internal error: KeyError: 'x\\ny'"
    with pytest.raises(AssertionError, match="internal error"):
        udf_outcome(result)
