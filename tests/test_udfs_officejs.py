"""Contract tests through xlwings' own Office.js dispatch (xlwings Lite and Server).

``custom_functions_meta`` gives what Excel registers; ``custom_functions_call`` runs a call as
the Office.js runtime sends it: every argument a 2-D list, a single blank cell as None, blank
cells in ranges as "", error cells as {"type": "Error", ...} dicts, dates as serial numbers.
They run in a child process (tests/officejs_harness.py) with XLWINGS_ON_SERVER=true and the
noncommercial licence key set there only.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_udfs import EXCEL_NAMES

HARNESS = Path(__file__).with_name("officejs_harness.py")
DIV0 = {"type": "Error", "errorType": "Div0"}


class OfficeJS:
    def __init__(self):
        self.process = subprocess.Popen([sys.executable, str(HARNESS)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True,
                                        cwd=Path(__file__).parent.parent)

    def ask(self, request):
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        answer = json.loads(self.process.stdout.readline())
        assert "raised" not in answer, answer["raised"]
        return answer["ok"]

    def call(self, func_name, *args):
        return self.ask({"op": "call", "func_name": func_name, "args": list(args)})


@pytest.fixture(scope="module")
def officejs():
    runtime = OfficeJS()
    yield runtime
    runtime.process.stdin.close()
    runtime.process.wait(timeout=30)


@pytest.fixture(scope="module")
def meta(officejs):
    return {f["name"]: f for f in officejs.ask({"op": "meta"})["functions"]}


def col(*values):
    return [[v] for v in values]


def test_every_function_is_registered_with_descriptions(meta):
    assert set(meta) == set(EXCEL_NAMES)
    for name, f in meta.items():
        assert f["description"].strip(), name
        assert f["parameters"], name
        for param in f["parameters"]:
            assert not param["description"].startswith("Positional argument"), (name, param)


def test_optional_parameters_are_registered_as_optional(meta):
    def optional(name):
        return [p["name"] for p in meta[name]["parameters"] if p.get("optional")]

    assert optional("NPS") == ["weights"]
    assert optional("NPS_INTERVAL") == ["confidence", "method", "weights"]
    assert optional("CSAT") == ["threshold", "weights"]
    assert optional("CHURN_RATE") == ["lost_customers", "new_customers", "customers_end",
                                      "method"]
    assert optional("RETENTION_RATE") == []


def test_nps_on_a_column_with_blank_cells_and_a_missing_optional(officejs):
    scores = col(*([10] * 90 + [8] * 70 + [3] * 40 + [""] * 10))
    assert officejs.call("NPS", scores, None) == [[25.0]]
    assert officejs.call("NPS", [[10, "", 0], ["", 9, ""]]) == [[100 / 3]]


def test_single_blank_cell_and_no_answers_give_div0(officejs):
    assert officejs.call("NPS", None) == [[DIV0]]
    assert officejs.call("NPS", col("", "")) == [[DIV0]]
    assert officejs.call("RETENTION_RATE", [[0]], [[0]], [[0]]) == [[DIV0]]


def test_bad_input_is_value_error_with_one_line_message(officejs):
    [[result]] = officejs.call("NPS", col(10, 11))
    assert result == {"type": "Error", "errorType": "Value", "message":
                      "scores must be whole numbers from 0 to 10; got 11 at row 2 of scores"}
    [[result]] = officejs.call("NPS", [[10, {"type": "Error", "basicValue": "#N/A",
                                             "errorType": "NotAvailable"}]])
    assert result["errorType"] == "Value"
    assert result["message"] == "scores contains the Excel error #N/A at column 2 of scores"
    [[result]] = officejs.call("CSAT", col(5), [["1-6"]])
    assert result["message"].startswith("scale must be one of")


def test_spilled_results(officejs):
    scores = col(*([10] * 90 + [8] * 70 + [3] * 40))
    low, high = officejs.call("NPS_INTERVAL", scores, None, None, None)[0]
    assert (round(low, 1), round(high, 1)) == (14.1, 35.2)
    table = officejs.call("NPS_BREAKDOWN", scores)
    assert table[1] == ["Promoters", 90, 0.45] and table[5][:2] == ["NPS", 25]
    by = officejs.call("NPS_BY", col(10, 0, 9), col("north", "south", "north"))
    assert [row[:3] for row in by] == [["Segment", "Answers", "NPS"], ["north", 2, 100],
                                       ["south", 1, -100]]
    assert officejs.call("RETENTION_RATE", col(200, 100), col(180, 100), [[25]]) == \
        [[0.775], [0.75]]


def test_dates_as_serial_numbers(officejs):
    # 44927 = 2023-01-01, 46388 = 2027-01-01: four years of 365.25 days.
    assert officejs.call("CUSTOMER_LIFESPAN", col("a", "a", ""), col(44927, 46388, "")) == [[4.0]]
    matrix = officejs.call("COHORT_RETENTION", col("a", "b", "a"), col(46023, 46054, 46054))
    assert matrix == [["Cohort", "Customers", 0, 1], ["2026-01", 1, 1, 1], ["2026-02", 1, 1, ""]]


def test_options_passed_as_cells(officejs):
    assert officejs.call("CES", col(1, 2, 5), [["1-5"]], [["share"]], [[True]], None) == \
        [[pytest.approx(2 / 3)]]
    assert officejs.call("CLV", [[50]], [[2]], [[5]], [[0.5]]) == [[250.0]]
    assert officejs.call("CAC", [[9000]], [[50]], None) == [[180.0]]
