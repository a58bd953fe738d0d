"""One answer set with every kind of invalid entry, through every exposure, gives one result.

The library (through the rule of loyalty_xl.kpis.answers), the Excel functions through
xlwings' Office.js dispatch, the engine reading a CSV and reading the filled survey template,
and the survey template recalculated by LibreOffice: the same NPS, CSAT, CES, CLI and the same
number of invalid entries. In the CSV, the text cell "9" is written the way the rule writes a
number stored as text once everything is text: with Excel's apostrophe ('9).
"""

import csv
import datetime as dt
import math

import numpy as np
import openpyxl
import pytest

import loyalty_xl as lx
from loyalty_xl.datasets import load_sample
from loyalty_xl.engine import analyse
from loyalty_xl.kpis import answers
from loyalty_xl.report import TEMPLATE_DIR
from loyalty_xl.staff_templates import file_name
from tests.office import convert, require_office
from tests.test_staff_templates import fill, named
from tests.test_udfs_officejs import OfficeJS

DAY = dt.date(2026, 10, 5)
NPS = [10, 9, 9, 8, 7, 3, 0, 6, 10, 7.5, 9.5, "9", 11, -1, "abc", 10]
CSAT = [5, 4, 4, 3, 1, 2, 5, 4.5, "5", 6, 0]
CES = [7, 6, 5, 2, 3.5, "4", 8, 1]
CLI = [(1, 2, 3), (2, None, 1), (6, 5, 2.5), ("2", 1, 7), (None, None, 4), (1, 1, 1),
       (7.5, 8, "x")]  # the last respondent has no valid answer at all
QUESTIONS = ("cli_recommend", "cli_buy_again", "cli_other_products")


def library():
    """KPIs of the valid answers and the invalid count, both by the one rule."""
    def valid(values, metric):
        return answers.valid_answers(values, *answers.scale_of(metric))

    cli = np.array([[np.nan if v is None else v for v in row] for row in CLI], dtype=object)
    columns = []
    for q in range(3):
        verdict = answers.classify(cli[:, q], 1, 6)
        columns.append(np.where(verdict == answers.VALID, cli[:, q], np.nan).astype(float))
    invalid = (answers.invalid_count(NPS, 0, 10) + answers.invalid_count(CSAT, 1, 5)
               + answers.invalid_count(CES, 1, 7) + answers.invalid_count(cli.ravel(), 1, 6))
    return {"nps": lx.net_promoter_score(valid(NPS, "nps")),
            "csat": lx.csat(valid(CSAT, "csat"), scale="1-5"),
            "ces": lx.customer_effort_score(valid(CES, "ces")),
            "cli": lx.customer_loyalty_index(*columns), "invalid": invalid}


def test_hand_checked_expectations():
    want = library()
    # valid NPS answers: 10, 9, 9, 8, 7, 3, 0, 6, 10, 10: 5 promoters, 3 detractors of 10
    assert want["nps"] == pytest.approx(20.0)
    assert want["csat"] == pytest.approx(4 / 7)  # 5, 4, 4, 3, 1, 2, 5
    assert want["ces"] == pytest.approx(21 / 5)  # 7, 6, 5, 2, 1
    assert want["cli"] == pytest.approx((80 + 90 + 10 + 100 + 40 + 100) / 6)
    assert want["invalid"] == 6 + 4 + 3 + 6


def as_officejs(values):
    return [["" if v is None else v] for v in values]


def test_excel_functions_by_officejs_dispatch():
    want = library()
    runtime = OfficeJS()
    try:
        got_invalid = 0
        for metric, values, call in (("nps", NPS, lambda c: ("NPS", c)),
                                     ("csat", CSAT, lambda c: ("CSAT", c, [["1-5"]])),
                                     ("ces", CES, lambda c: ("CES", c))):
            low, high = answers.scale_of(metric)
            verdicts = answers.classify(values, low, high)
            for value, verdict in zip(values, verdicts):  # each entry alone: same verdict
                [[result]] = runtime.call(*call(as_officejs([value])))
                is_error = isinstance(result, dict) and result.get("errorType") == "Value"
                assert is_error == (verdict not in (answers.VALID, answers.BLANK)), \
                    (metric, value, result)
                got_invalid += is_error
            kept = [v for v, verdict in zip(values, verdicts) if verdict == answers.VALID]
            [[result]] = runtime.call(*call(as_officejs(kept)))
            assert result == pytest.approx(want[metric]), metric
        cli = [[[("" if v is None else v)] for v in column] for column in zip(*CLI)]
        for column in cli:
            for [value] in column:
                [[result]] = runtime.call("CLI", [[value]], [[""]], [[""]])
                got_invalid += isinstance(result, dict) and result.get("errorType") == "Value"
        valid_cli = [[[v if answers.classify([v], 1, 6)[0] == answers.VALID else ""]
                      for [v] in column] for column in cli]
        [[result]] = runtime.call("CLI", *valid_cli)
        assert result == pytest.approx(want["cli"])
        assert got_invalid == want["invalid"]
    finally:
        runtime.process.stdin.close()
        runtime.process.wait(timeout=30)


def csv_rows():
    rows = []

    def text(v):  # a text cell as the rule writes it once everything is text
        return answers.TEXT_MARK + v if isinstance(v, str) else str(v)

    for metric, values in (("nps", NPS), ("csat", CSAT), ("ces", CES)):
        rows += [(DAY.isoformat(), metric, text(v), f"{metric}{i}") for i, v in
                 enumerate(values)]
    for i, answers_ in enumerate(CLI):
        rows += [(DAY.isoformat(), q, text(v), f"r{i}") for q, v in zip(QUESTIONS, answers_)
                 if v is not None]
    return rows


def engine_numbers(result):
    last = result.periods.iloc[-1]
    quality = next(i for i in result.quality.inputs if i.name == "responses")
    assert set(quality.excluded) <= set(answers.REASONS), quality.excluded
    return {"nps": last.nps, "csat": last.csat, "ces": last.ces, "cli": last.cli,
            "invalid": quality.rows_excluded}


def filled_template(folder):
    book = openpyxl.load_workbook(TEMPLATE_DIR / file_name("survey", "en"))
    fill(book, "NPSAnswers", {"Date": [DAY] * len(NPS), "Score": NPS})
    fill(book, "CSATAnswers", {"Date": [DAY] * len(CSAT), "Score": CSAT})
    fill(book, "CESAnswers", {"Date": [DAY] * len(CES), "Score": CES})
    columns = list(zip(*CLI))
    fill(book, "CLIAnswers", {"Date": [DAY] * len(CLI), "Recommend": list(columns[0]),
                              "BuyAgain": list(columns[1]), "OtherProducts": list(columns[2])})
    path = folder / "answers.xlsx"
    book.save(path)
    return path


def test_engine_from_csv_and_from_the_filled_template(tmp_path):
    want = library()
    orders = load_sample()["orders"]
    path = tmp_path / "responses.csv"
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["answered_at", "metric", "score", "respondent_id"])
        writer.writerows(csv_rows())
    for source in (str(path), str(filled_template(tmp_path))):
        got = engine_numbers(analyse(orders, responses=source))
        for key, value in want.items():
            assert got[key] == pytest.approx(value), (source, key)


@pytest.mark.office
def test_the_template_recalculated_by_libreoffice(tmp_path):
    require_office()
    want = library()
    book = openpyxl.load_workbook(convert(filled_template(tmp_path), "xlsx", tmp_path / "lo"),
                                  data_only=True)
    assert named(book, "net_promoter_score") == pytest.approx(want["nps"])
    assert named(book, "csat") == pytest.approx(want["csat"])
    assert named(book, "customer_effort_score") == pytest.approx(want["ces"])
    assert named(book, "customer_loyalty_index") == pytest.approx(want["cli"])
    results = book.worksheets[2]
    assert sum(results.cell(r, 2).value for r in range(18, 22)) == want["invalid"]
    answers_sheet = book.worksheets[1]
    checks = [answers_sheet.cell(r, 4).value for r in range(5, 5 + len(NPS))]
    assert checks[9:15] == ["not a whole number", "not a whole number",
                            "number stored as text", "off the scale", "off the scale",
                            "not a number"]
    assert not math.isnan(want["cli"])
