"""The Excel wrappers called as plain Python with Excel-shaped input (classic COM shapes)."""

import datetime as dt
import inspect
import math
import subprocess
import sys

import pytest

import loyalty_xl as lx
from loyalty_xl import kpis, udfs

ARTICLE = [[10]] * 90 + [[8]] * 70 + [[3]] * 40
# Excel names the issue asks for, and the KPI each one exposes.
EXCEL_NAMES = {
    "NPS": "net_promoter_score", "NPS_BREAKDOWN": "nps_breakdown",
    "NPS_INTERVAL": "nps_interval", "NPS_TEST": "nps_difference_test",
    "NPS_BY": "nps_by_segment", "CSAT": "csat", "CSAT_MEAN": "csat_mean",
    "CES": "customer_effort_score", "CLI": "customer_loyalty_index",
    "RETENTION_RATE": "retention_rate", "CHURN_RATE": "churn_rate",
    "REPEAT_PURCHASE_RATE": "repeat_purchase_rate",
    "RETURNING_RATIO": "returning_to_one_time_ratio",
    "AVG_PURCHASE_VALUE": "average_purchase_value", "PURCHASE_FREQUENCY": "purchase_frequency",
    "CUSTOMER_VALUE": "customer_value", "CUSTOMER_LIFESPAN": "average_customer_lifespan",
    "CLV": "customer_lifetime_value", "CAC": "customer_acquisition_cost",
    "CLV_CAC_RATIO": "clv_cac_ratio", "PARTICIPATION_RATE": "participation_rate",
    "REDEMPTION_RATE": "redemption_rate", "ACTIVE_ENGAGEMENT_RATE": "active_engagement_rate",
    "COHORT_RETENTION": "cohort_retention",
    # Predictive customer value: P_ALIVE fits BG/NBD, CLV_MODEL both models, CLV_PREDICT both.
    "RFM_SUMMARY": "rfm_summary", "P_ALIVE": "fit_bgnbd", "CLV_MODEL": "fit_gamma_gamma",
    "CLV_PREDICT": "predict_clv",
}


def excel_functions():
    return {name for name, f in vars(udfs).items() if hasattr(f, "__wrapped__")
            and name.isupper()}


def test_every_kpi_has_an_excel_function_and_nothing_else_is_exposed():
    assert excel_functions() == set(EXCEL_NAMES)
    assert set(EXCEL_NAMES.values()) == set(kpis.__all__)


@pytest.mark.parametrize("name", sorted(EXCEL_NAMES))
def test_signatures_are_positional_with_descriptions(name):
    f = getattr(udfs, name)
    params = inspect.signature(f).parameters.values()
    assert all(p.kind is p.POSITIONAL_OR_KEYWORD for p in params)
    doc = f.__doc__.strip()
    assert doc and "\n" not in doc and len(doc) <= 255


def test_nps_article_example_in_a_column_with_trailing_blanks():
    column = ARTICLE + [[None]] * 1000 + [[""]] * 5  # =NPS(B:B) includes empty rows
    assert udfs.NPS(column) == 25.0
    assert udfs.NPS(tuple(tuple(r) for r in column)) == 25.0  # COM sends tuples


def test_any_range_shape_and_a_single_cell():
    assert udfs.NPS([[10, 9, 3], [None, 7, 0]]) == lx.net_promoter_score([10, 9, 3, 7, 0])
    assert udfs.NPS(10) == 100.0
    assert udfs.NPS([[10], [0]], [[3], [1]]) == 50.0


def test_undefined_shows_div0():
    assert udfs.NPS(None) == "#DIV/0!"
    assert udfs.NPS([[None], [""]]) == "#DIV/0!"
    assert udfs.RETENTION_RATE(0, 0, 0) == "#DIV/0!"
    assert udfs.CAC(100, 0) == "#DIV/0!"


@pytest.mark.parametrize("call, message", [
    (lambda: udfs.NPS([[10], [11]]),
     "#VALUE! scores must be whole numbers from 0 to 10; got 11 at row 2 of scores"),
    (lambda: udfs.NPS([[10, "ten"]]),
     "#VALUE! scores must be numbers, not text; got 'ten' at column 2 of scores"),
    (lambda: udfs.NPS([[10, 1], [2, -2146826246]]),
     "#VALUE! scores contains the Excel error #N/A at row 2, column 2 of scores"),
    (lambda: udfs.CSAT([[5]], "1-6"), "#VALUE! scale must be one of"),
    (lambda: udfs.CSAT([[5]], None), "#VALUE! scale is required"),
    (lambda: udfs.NPS_INTERVAL(ARTICLE, 2), "#VALUE! confidence must be a number between"),
    (lambda: udfs.RETENTION_RATE(100, 150, 20),
     "#VALUE! customers_end - new_customers must not exceed customers_start; got 130"),
    (lambda: udfs.RETENTION_RATE([[100], [None]], [[90], [90]], 0),
     "#VALUE! customers_start must be a whole number >= 0; got a blank at row 2 of "
     "customers_start"),
    (lambda: udfs.REDEMPTION_RATE(1, 2, "maybe"), "#VALUE! carry_over must be TRUE or FALSE"),
    (lambda: udfs.CUSTOMER_LIFESPAN([["a"], ["b"]], [[45000], ["soon"]]),
     "#VALUE! order_dates must be dates (YYYY-MM-DD); got 'soon' at row 2 of order_dates"),
])
def test_bad_input_shows_value_with_one_line(call, message):
    result = call()
    assert isinstance(result, str) and result.startswith(message)
    assert "\n" not in result and "Traceback" not in result


def test_nps_breakdown_spills_a_labelled_table():
    table = udfs.NPS_BREAKDOWN(ARTICLE)
    assert table[0] == ["", "Count", "Share"]
    assert table[1] == ["Promoters", 90, 0.45]
    assert table[4] == ["Total", 200, 1.0]
    assert table[5][:2] == ["NPS", 25.0]


def test_nps_interval_test_and_by_segment_spill():
    low, high = udfs.NPS_INTERVAL(ARTICLE)[0]
    assert (round(low, 1), round(high, 1)) == (14.1, 35.2)
    assert [round(v, 1) for v in udfs.NPS_INTERVAL(ARTICLE, 0.95, "wald")[0]] == [14.4, 35.6]
    difference, z, p = udfs.NPS_TEST(ARTICLE, [[10]] * 60 + [[8]] * 80 + [[3]] * 60)[0]
    assert difference == 25.0 and z == pytest.approx(3.2444, abs=1e-4)
    by = udfs.NPS_BY([[10], [9], [3], [None]], [["web"], ["web"], ["=HYPERLINK(1)"], ["x"]])
    assert by[0] == ["Segment", "Answers", "NPS", "Low", "High"]
    assert [row[:3] for row in by[1:]] == [["web", 2, 100.0], ["=HYPERLINK(1)", 1, -100.0]]


def test_survey_functions_match_the_library():
    five = [[5], [4], [3], [None], [1]]
    assert udfs.CSAT(five, "1-5") == lx.csat([5, 4, 3, 1], scale="1-5")
    assert udfs.CSAT(five, "1-5", 3) == 0.75
    assert udfs.CSAT_MEAN(five, "1-5") == 3.25
    assert udfs.CES([[7], [6], [2]]) == 5.0
    assert udfs.CES([[1], [2], [5]], "1-5", "share", True) == pytest.approx(2 / 3)
    assert udfs.CLI([[1], [6]], [[2], [None]], [[3], [4]]) == 50.0
    assert udfs.CLI([[1], [6]], [[2], [None]], [[3], [4]], "mean") == 3.5
    assert udfs.CLI([[2]], [[2]], [[3]], "points", [[10, 8, 6, 4, 2, 0]]) == pytest.approx(22 / 3)


def test_count_functions_take_cells_or_ranges_and_spill_per_period():
    assert udfs.RETENTION_RATE(200, 180, 25) == 0.775
    assert udfs.RETENTION_RATE([[200], [100]], [[180], [100]], 0) == [[0.9], [1.0]]
    assert udfs.CHURN_RATE(200, 30) == 0.15
    assert udfs.CHURN_RATE(200, None, 25, 70, "complement") == pytest.approx(0.775)
    assert udfs.AVG_PURCHASE_VALUE(20000, 400) == 50.0
    assert udfs.PURCHASE_FREQUENCY(400, 180) == pytest.approx(400 / 180)
    assert udfs.CUSTOMER_VALUE(50, 2) == 100.0
    assert round(udfs.CLV(50, 400 / 180, 5), 2) == 555.56
    assert udfs.CLV(50, 2, 5, 0.5) == 250.0
    assert udfs.CAC(9000, 50, 1000) == 200.0
    assert udfs.CLV_CAC_RATIO(600, 200) == 3.0
    assert udfs.PARTICIPATION_RATE(450, 1800) == 0.25
    assert udfs.REDEMPTION_RATE(9, 8, True) == 1.125
    assert udfs.ACTIVE_ENGAGEMENT_RATE([[270, 0]], [[450, 0]]) == [[0.6, "#DIV/0!"]]


def test_id_and_date_functions_with_com_datetimes_and_serial_numbers():
    ids = [["a"], ["b"], ["a"], [None]]
    assert udfs.REPEAT_PURCHASE_RATE(ids) == 0.5
    assert udfs.RETURNING_RATIO(ids) == 1.0
    assert udfs.REPEAT_PURCHASE_RATE([[7.0], [7.0], [8.0]]) == 0.5  # numeric ids as floats
    com = [[dt.datetime(2023, 1, 1)], [dt.datetime(2027, 1, 1)]]  # COM sends datetimes
    serial = [[44927.0], [46388.0]]  # Office.js sends serial numbers: same dates
    assert udfs.CUSTOMER_LIFESPAN([["a"], ["a"]], com) == 4.0
    assert udfs.CUSTOMER_LIFESPAN([["a"], ["a"]], serial) == 4.0
    matrix = udfs.COHORT_RETENTION([["a"], ["b"], ["a"]], [[46023], [46054], [46054]])
    assert matrix == [["Cohort", "Customers", 0, 1], ["2026-01", 1, 1, 1], ["2026-02", 1, 1, ""]]
    assert math.isnan(lx.average_customer_lifespan([], []))


def test_import_is_light():
    code = ("import sys, time; t = time.perf_counter(); import loyalty_xl.udfs; "
            "print(time.perf_counter() - t); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('ibis', 'duckdb', 'openpyxl', 'typer', 'rich') "
            "or m.startswith(('loyalty_xl.engine', 'loyalty_xl.report', 'loyalty_xl.cli'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out[1] == "[]", f"import loyalty_xl.udfs pulled in {out[1]}"


def test_star_import_exports_exactly_the_excel_functions():
    namespace = {}
    exec("from loyalty_xl.udfs import *", namespace)
    assert {k for k in namespace if not k.startswith("__")} == set(EXCEL_NAMES)
