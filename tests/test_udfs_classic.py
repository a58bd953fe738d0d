"""Classic xlwings (Windows desktop Excel): the VBA wrapper its UDF import generates."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_udfs import EXCEL_NAMES

HARNESS = Path(__file__).with_name("classic_vba_harness.py")


@pytest.fixture(scope="module")
def classic():
    out = subprocess.run([sys.executable, str(HARNESS)], capture_output=True, text=True,
                         cwd=HARNESS.parent.parent)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout)


def test_vba_wrapper_declares_every_function(classic):
    declared = re.findall(r"^Function (\w+)\(([^)]*)\)", classic["vba"], re.MULTILINE)
    assert {name for name, _ in declared} == set(EXCEL_NAMES)
    params = dict(declared)
    assert params["NPS"] == "scores, Optional weights"
    assert params["CHURN_RATE"] == ("customers_start, Optional lost_customers, "
                                    "Optional new_customers, Optional customers_end, "
                                    "Optional method")
    assert params["RETENTION_RATE"] == "customers_start, customers_end, new_customers"
    assert 'XLPy.CallUDF("loyalty_xl.udfs", "NPS", Array(scores, weights)' in classic["vba"]


def test_classic_metadata_for_the_function_wizard(classic):
    for name, f in classic["functions"].items():
        assert f["category"] == "Loyalty KPIs", name
        # Excel's MacroOptions limit descriptions to 255 characters.
        assert 0 < len(f["description"].strip()) <= 255, name
        for a in f["args"]:
            assert not a["doc"].startswith("Positional argument"), (name, a["name"])
            assert len(a["doc"]) <= 255, (name, a["name"])
