"""The starter workbooks: every Excel function once, with the library's values cached.

The cached values are checked against the package's Excel functions run through xlwings'
Office.js dispatch (tests/officejs_harness.py) on the sheet's own data, read back from the file.
"""

import datetime as dt
import re
import zipfile

import openpyxl
import pytest

from loyalty_xl import excel_starter, udfs
from loyalty_xl.report import TEMPLATE_DIR
from tests.test_excel_bundle import KNOWN
from tests.test_udfs_officejs import OfficeJS
from tests.workbook_compare import differences

PATHS = {lang: TEMPLATE_DIR / excel_starter.file_name(lang) for lang in excel_starter.LANGS}
CELL = re.compile(r'<c r="([A-Z]+)(\d+)"[^>]*><f(?: t="array" ref="[A-Z]+\d+:([A-Z]+)(\d+)")?>'
                  r"([^<]*)</f><v>([^<]*)</v></c>")


@pytest.fixture(scope="module")
def package():
    runtime = OfficeJS()
    yield runtime
    runtime.process.stdin.close()
    runtime.process.wait(timeout=30)


def formulas(path):
    """{anchor: (formula, last column, last row)} of the Functions sheet."""
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    out = {}
    for col, row, last_col, last_row, formula, _ in CELL.findall(xml):
        out[f"{col}{row}"] = (formula.replace("&quot;", '"'), last_col or col,
                              int(last_row or row))
    return out


def test_committed_starter_workbooks_are_what_the_generator_writes(tmp_path):
    for lang, path in PATHS.items():
        fresh = excel_starter.write(lang, tmp_path / path.name)
        assert not differences(path, fresh), \
            f"{path.name} is stale: run python -m loyalty_xl.excel_starter"


@pytest.mark.parametrize("lang", excel_starter.LANGS)
def test_every_function_is_on_the_sheet_once(lang):
    found = [f.split("(")[0] for f, *_ in formulas(PATHS[lang]).values()]
    assert all(f.startswith(excel_starter.UDF_PREFIX) for f in found)
    names = [f[len(excel_starter.UDF_PREFIX):] for f in found]
    assert len(names) == len(set(names))
    assert set(names) == KNOWN & set(udfs.__all__)
    sheet = openpyxl.load_workbook(PATHS[lang]).worksheets[0]
    also = {sheet.cell(r, 1).value for r in range(1, sheet.max_row + 1)}
    assert set(udfs.__all__) - set(names) <= also  # newer functions: listed, described


def _argument(text, data, functions):
    """A formula argument as Office.js sends it."""
    if text.startswith('"'):
        return [[text.strip('"')]]
    if text in ("TRUE", "FALSE"):
        return [[text == "TRUE"]]
    sheet = data if text.startswith("Data!") else functions
    ref = text.split("!")[-1].replace("$", "")
    cells = sheet[ref]
    if not isinstance(cells, tuple):
        cells = ((cells,),)
    return [[_office_js(c.value) for c in row] for row in cells]


def _office_js(value):
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return (value - dt.datetime(1899, 12, 30)).days
    return value


@pytest.mark.parametrize("lang", excel_starter.LANGS)
def test_cached_values_equal_the_library(package, lang):
    book = openpyxl.load_workbook(PATHS[lang], data_only=True)
    functions, data = book.worksheets[0], book["Data"]
    for anchor, (formula, last_col, last_row) in formulas(PATHS[lang]).items():
        name, args = re.match(r"_xldudf_(\w+)\((.*)\)$", formula).groups()
        result = package.call(name, *[_argument(a, data, functions) for a in args.split(",")])
        cached = [[("" if c.value is None else c.value) for c in row]
                  for row in functions[f"{anchor}:{last_col}{last_row}"]]
        assert cached == result, (lang, formula)
        assert not any(isinstance(v, dict) for row in result for v in row), (formula, result)


def test_formulas_keep_cached_values_and_spills_are_dynamic_arrays():
    with zipfile.ZipFile(PATHS["en"]) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
        assert "xl/metadata.xml" in z.namelist()
        assert 'fullCalcOnLoad="0"' in z.read("xl/workbook.xml").decode()
    assert re.search(r'<c r="D\d+" s="\d+"><f>_xldudf_NPS\(Data!\$A\$2:\$A\$41\)</f>'
                     r"<v>40\.0</v></c>", xml)
    breakdown = re.search(r'<c r="(D\d+)"[^>]* cm="1"><f t="array" ref="D\d+:F\d+">'
                          r"_xldudf_NPS_BREAKDOWN", xml)
    assert breakdown  # spilled 6 x 3, marked as a dynamic array


NEVER_RECALC = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
           xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
  <prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>1</value></prop></item>
</oor:items>
"""


@pytest.mark.office
def test_a_spreadsheet_program_shows_the_stored_values_without_python(tmp_path):
    """LibreOffice, told not to recalculate (as Excel does not for this file), keeps every
    single-cell result; it recomputes array formulas itself, so spilled tables are not checked."""
    import subprocess

    from tests import office

    office.require_office()
    profile = tmp_path / "profile"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(NEVER_RECALC)
    subprocess.run([office.soffice(), f"-env:UserInstallation=file://{profile}", "--headless",
                    "--norestore", "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir",
                    str(tmp_path / "out"), str(PATHS["en"])], capture_output=True, timeout=240)
    saved = openpyxl.load_workbook(tmp_path / "out" / PATHS["en"].name, data_only=True)
    ours = openpyxl.load_workbook(PATHS["en"], data_only=True)
    checked = 0
    for anchor, (formula, last_col, last_row) in formulas(PATHS["en"]).items():
        if f"{last_col}{last_row}" == anchor:
            assert saved.worksheets[0][anchor].value == pytest.approx(
                ours.worksheets[0][anchor].value, rel=1e-12), formula
            checked += 1
    assert checked >= 15
