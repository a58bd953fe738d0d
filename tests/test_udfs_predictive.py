"""The predictive Excel functions (RFM_SUMMARY, P_ALIVE, CLV_MODEL, CLV_PREDICT) called as plain
Python with Excel-shaped input: they equal the library, cell for cell."""

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import loyalty_xl as lx
from loyalty_xl import udfs

DATA = Path(__file__).parent / "data"
EPOCH = np.datetime64("1899-12-30")


@pytest.fixture(scope="module")
def cdnow():
    """CDNOW's calibration-period orders: ids, datetime64 dates, amounts."""
    rows = pd.read_csv(DATA / "cdnow_sample.txt.gz", sep=r"\s+", header=None,
                       names=["master_id", "id", "date", "cds", "amount"], dtype={"date": str})
    rows["date"] = pd.to_datetime(rows["date"], format="%Y%m%d")
    rows = rows[rows["date"] <= "1997-09-30"]
    return rows["id"].to_numpy(), rows["date"].to_numpy(), rows["amount"].to_numpy()


def column(values):
    return [[v] for v in values]


@pytest.fixture(scope="module")
def office_js_ranges(cdnow):
    """As Office.js sends them: numbers as floats, dates as serial numbers."""
    ids, dates, amounts = cdnow
    serials = (dates - EPOCH).astype("timedelta64[D]").astype(float)
    return column(ids.astype(float).tolist()), column(serials.tolist()), column(amounts.tolist())


@pytest.fixture(scope="module")
def com_ranges(cdnow):
    """As classic xlwings sends them: tuples of rows, datetimes for date cells."""
    ids, dates, amounts = cdnow
    stamps = pd.DatetimeIndex(dates).to_pydatetime()
    return (tuple((float(v),) for v in ids), tuple((d,) for d in stamps),
            tuple((float(v),) for v in amounts))


def test_clv_predict_equals_the_library(cdnow, office_js_ranges):
    out = udfs.CLV_PREDICT(*office_js_ranges, 6, 0.01, 0.3)
    assert out[0] == ["Customer", "Purchases expected", "P(alive)", "Predicted CLV"]
    table = lx.predict_clv(lx.rfm_summary(*cdnow), horizon_months=6, discount=0.01, margin=0.3)
    assert [row[0] for row in out[1:]] == table.index.tolist()
    assert all(isinstance(row[0], int) for row in out[1:])  # 7.0 from Excel is customer 7
    got = np.array([row[1:] for row in out[1:]], float)
    np.testing.assert_allclose(got, table[["expected_purchases", "p_alive", "clv"]].to_numpy(),
                               rtol=1e-12)


def test_clv_predict_defaults_and_blank_options(cdnow, office_js_ranges):
    ids, dates, amounts = office_js_ranges
    default = udfs.CLV_PREDICT(ids, dates, amounts)
    assert udfs.CLV_PREDICT(ids, dates, amounts, None, "", [[None]]) == default
    table = lx.predict_clv(lx.rfm_summary(*cdnow))  # 12 months, no discount, margin 1
    np.testing.assert_allclose([row[3] for row in default[1:]], table["clv"], rtol=1e-12)


def test_p_alive_equals_the_library_and_ignores_amounts(cdnow, com_ranges):
    ids, dates, _ = com_ranges
    out = udfs.P_ALIVE(ids, dates)
    summary = lx.rfm_summary(*cdnow)
    x, tx, T = summary.frequency, summary.recency, summary["T"]
    alive = lx.fit_bgnbd(x, tx, T).probability_alive(x, tx, T)
    assert out[0] == ["Customer", "P(alive)"]
    np.testing.assert_allclose([row[1] for row in out[1:]], alive, rtol=1e-12)
    # An explicit end (a date cell) moves every customer's age T.
    later = udfs.P_ALIVE(ids, dates, dt.datetime(1997, 12, 31))
    summary = lx.rfm_summary(*cdnow, end="1997-12-31")
    x, tx, T = summary.frequency, summary.recency, summary["T"]
    alive = lx.fit_bgnbd(x, tx, T).probability_alive(x, tx, T)
    np.testing.assert_allclose([row[1] for row in later[1:]], alive, rtol=1e-12)


def test_clv_model_spills_the_published_cdnow_parameters(office_js_ranges):
    out = udfs.CLV_MODEL(*office_js_ranges)
    values = {label: value for label, value in out[1:]}
    assert out[0] == ["Parameter", "Value"]
    assert round(values["r (purchase rate shape)"], 3) == 0.243
    assert round(values["alpha (purchase rate scale, weeks)"], 3) == 4.414
    assert (round(values["a (dropout shape)"], 3), round(values["b (dropout shape)"], 3)) == \
        (0.793, 2.426)
    assert (round(values["p (spend shape)"], 2), round(values["q (spend scale shape)"], 2),
            round(values["v (spend scale)"], 2)) == (6.25, 3.74, 15.44)
    assert values["Customers"] == 2357 and values["Repeat customers"] == 946


def test_rfm_summary_spills_the_library_table(cdnow, com_ranges):
    out = udfs.RFM_SUMMARY(*com_ranges, None, "D")
    table = lx.rfm_summary(*cdnow, unit="D")
    assert out[0] == ["Customer", "Repeat purchases", "Recency", "T", "Mean repeat spend"]
    np.testing.assert_allclose(np.array([row[1:] for row in out[1:]], float), table.to_numpy())


def test_blank_rows_of_whole_columns_are_skipped(cdnow, office_js_ranges):
    ids, dates, amounts = (r + [[None]] * 50 + [[""]] * 3 for r in office_js_ranges)
    assert udfs.CLV_PREDICT(ids, dates, amounts) == udfs.CLV_PREDICT(*office_js_ranges)


@pytest.mark.parametrize("call, message", [
    (lambda: udfs.CLV_PREDICT(column(["a", "b"]), column([45000, 45001]), column([1, 2])),
     "#VALUE! the BG/NBD model needs at least 10 customers with repeat purchases; got 0"),
    (lambda: udfs.CLV_PREDICT(column(["a", "b"]), column([45000, 45001]), column([1, -2])),
     ("#VALUE! amounts must be >= 0 (refunds are not purchases: leave them out); got -2 at "
      "row 2 of amounts")),
    (lambda: udfs.P_ALIVE(column(["a", None, "b"]), column([45000, 45000, 45001])),
     ("#VALUE! customer_ids is blank where dates is not; got '2023-03-15' at row 2 of "
      "customer_ids")),
    (lambda: udfs.CLV_MODEL(column(["a", "b"]), column([45000, "soon"]), column([1, 2])),
     "#VALUE! dates must be dates (YYYY-MM-DD); got 'soon' at row 2 of dates"),
    (lambda: udfs.CLV_PREDICT(column(["a"]), column([45000]), column([1]), 12, 2),
     "#VALUE! discount must be a number from 0 to"),
    (lambda: udfs.RFM_SUMMARY(column(["a"]), column([45000]), column([1]), None, "Y"),
     "#VALUE! unit must be one of"),
    (lambda: udfs.P_ALIVE(column(["a"]), column([45000]), 44000),
     "#VALUE! dates must not be later than end (filter the orders first); got '2023-03-15'"),
])
def test_bad_input_shows_value_with_one_line(call, message):
    result = call()
    assert isinstance(result, str) and result.startswith(message), result
    assert "\n" not in result and "Traceback" not in result
