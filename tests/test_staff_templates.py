"""Staff templates: filled with random valid data, recalculated by LibreOffice, and every named
result checked against the KPI library on the same data (to 1e-9)."""

import math

import numpy as np
import openpyxl
import pytest
from typer.testing import CliRunner

import loyalty_xl as lx
from loyalty_xl.cli import app
from loyalty_xl.report import TEMPLATE_DIR
from loyalty_xl.staff_templates import BUILDERS, file_name
from loyalty_xl.texts import Texts
from tests.office import convert_many, require_office
from tests.workbook_compare import differences

SIZES = (0, 1, 9, 300)


def table(book, name):
    for ws in book.worksheets:
        if name in ws.tables:
            return ws, ws.tables[name]
    raise KeyError(name)


def fill(book, name, columns):
    """Write columns (lists, None for blank) into the table's input rows, top down."""
    ws, t = table(book, name)
    min_col, min_row, _, _ = openpyxl.utils.cell.range_boundaries(t.ref)
    headers = [ws.cell(min_row, c).value for c in range(min_col, min_col + len(t.tableColumns))]
    for key, values in columns.items():
        col = min_col + headers.index(key)
        for i, value in enumerate(values):
            ws.cell(min_row + 1 + i, col, value)


def named(book, name):
    (sheet, ref), = book.defined_names[name].destinations
    cells = book[sheet][ref.replace("$", "")]
    if isinstance(cells, tuple):
        return [[c.value for c in row] for row in cells]
    return cells.value


def survey_case(rng, n, lang):
    t = Texts(lang)
    score = t("survey.score")
    nps = rng.integers(0, 11, n)
    csat = rng.integers(1, 6, n)
    ces = rng.integers(1, 8, n)
    cli = rng.integers(1, 7, (n, 3)).astype(float)
    cli[rng.random((n, 3)) < 0.2] = np.nan  # some respondents skip questions
    book = openpyxl.load_workbook(TEMPLATE_DIR / file_name("survey", lang))
    fill(book, "NPSAnswers", {score: nps.tolist(), "Segment": ["web"] * n})
    fill(book, "CSATAnswers", {score: csat.tolist()})
    fill(book, "CESAnswers", {score: ces.tolist()})
    questions = [t("survey.recommend"), t("survey.buy_again"), t("survey.other_products")]
    fill(book, "CLIAnswers", {q: [None if math.isnan(v) else int(v) for v in cli[:, i]]
                       for i, q in enumerate(questions)})
    ci = lx.nps_interval(nps)
    b = lx.nps_breakdown(nps)
    expected = {
        "net_promoter_score": lx.net_promoter_score(nps),
        "nps_interval": [[ci.low, ci.high]],
        "nps_breakdown": [[b.promoters, b.promoter_share], [b.passives, b.passive_share],
                          [b.detractors, b.detractor_share], [b.n, 1.0 if n else math.nan]],
        "csat": lx.csat(csat, scale="1-5"), "csat_mean": lx.csat_mean(csat, scale="1-5"),
        "customer_effort_score": lx.customer_effort_score(ces),
        "customer_loyalty_index": lx.customer_loyalty_index(*cli.T),
    }
    return book, expected, t("staff.no_answers")


def periods_case(kind, rng, n, lang, gaps=False):
    """Random valid periods; ``gaps``: blank rows in between, and one more row after the last
    with a number typed as text (the latest period is then that row, flagged)."""
    tx = Texts(lang)
    book = openpyxl.load_workbook(TEMPLATE_DIR / file_name(kind, lang))
    ws, t = table(book, kind.capitalize())
    min_col, min_row, _, _ = openpyxl.utils.cell.range_boundaries(t.ref)
    headers = [ws.cell(min_row, c).value for c in range(min_col, min_col + 20)]
    labels = [f"2026-{i + 1:02d}" for i in range(n)]
    if kind == "retention":
        start = rng.integers(0, 500, n)
        if n > 3:
            start[1] = 0  # an undefined period in the middle of the data
        kept = np.array([rng.integers(0, s + 1) for s in start])
        new = rng.integers(0, 100, n)
        reactivated = rng.integers(0, 30, n)
        lost = start - kept
        acquired = new + reactivated  # the engine's acquired customers
        data = [labels, start, kept + acquired, new, reactivated, lost]
        last = n - 1
        expected = {"retention_rate": lx.retention_rate(start[last], kept[last] + acquired[last],
                                                        acquired[last]) if n else None,
                    "churn_rate": lx.churn_rate(start[last], lost[last]) if n else None}
    elif kind == "value":
        orders = rng.integers(1, 2000, n)
        customers = np.minimum(orders, rng.integers(1, 800, n))
        revenue = np.round(rng.uniform(0, 1e5, n), 2)
        life = np.round(rng.uniform(0.2, 8, n), 3)
        marketing = np.round(rng.uniform(0, 2e4, n), 2)
        sales = np.round(rng.uniform(0, 5e3, n), 2)
        new = rng.integers(1, 200, n)
        data = [labels, revenue, orders, customers, life, marketing, sales, new]
        i = n - 1
        if n:
            apv = lx.average_purchase_value(revenue[i], orders[i])
            freq = lx.purchase_frequency(orders[i], customers[i])
            clv = lx.customer_lifetime_value(apv, freq, life[i])
            cac = lx.customer_acquisition_cost(marketing[i], new[i], sales_spend=sales[i])
            expected = {"average_purchase_value": apv, "purchase_frequency": freq,
                        "customer_value": lx.customer_value(apv, freq),
                        "customer_lifetime_value": clv, "customer_acquisition_cost": cac,
                        "clv_cac_ratio": lx.clv_cac_ratio(clv, cac)}
        else:
            expected = dict.fromkeys(["average_purchase_value", "purchase_frequency",
                                      "customer_value", "customer_lifetime_value",
                                      "customer_acquisition_cost", "clv_cac_ratio"])
    else:
        customers = rng.integers(1, 5000, n)
        members = np.array([rng.integers(0, c + 1) for c in customers])
        issued = np.round(rng.uniform(1, 1e5, n), 1)
        redeemed = np.round(rng.uniform(0, 1.3e5, n), 1)
        active = np.array([rng.integers(0, m + 1) for m in members])
        data = [labels, customers, members, issued, redeemed, active]
        i = n - 1
        expected = {
            "participation_rate": lx.participation_rate(members[i], customers[i]) if n else None,
            "redemption_rate": lx.redemption_rate(redeemed[i], issued[i], carry_over=True)
            if n else None,
            "active_engagement_rate": lx.active_engagement_rate(active[i], members[i])
            if n else None}
    columns = {h: [v.item() if hasattr(v, "item") else v for v in values]
               for h, values in zip(headers, data)}
    if gaps:  # a blank row after every second period, then a row with a number as text
        for h, values in columns.items():
            spaced = []
            for i, v in enumerate(values):
                spaced += [v, None] if i % 2 else [v]
            columns[h] = spaced + ["2027-01" if h == headers[0] else "5"]
        expected = dict.fromkeys(expected, tx("staff.text_number"))
    fill(book, kind.capitalize(), columns)
    return book, expected, tx("staff.no_data")


PERIOD_SIZES = (0, 1, 9, 120)  # 120: every row of the period tables
CASES = [("survey", n, "en") for n in SIZES] + [("survey", 2000, "en")] + \
        [(kind, n, "en") for kind in BUILDERS if kind != "survey" for n in PERIOD_SIZES] + \
        [(kind, 9, "de") for kind in BUILDERS] + [("survey", 0, "de")] + \
        [(kind, "gaps", "en") for kind in BUILDERS if kind != "survey"]


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory):
    require_office()
    folder = tmp_path_factory.mktemp("staff")
    rng = np.random.default_rng(2026)
    cases, paths = [], []
    for kind, n, lang in CASES:
        if n == "gaps":
            book, expected, empty_text = periods_case(kind, rng, 5, lang, gaps=True)
        else:
            book, expected, empty_text = (survey_case(rng, n, lang) if kind == "survey"
                                          else periods_case(kind, rng, n, lang))
        path = folder / f"{kind}_{lang}_{n}.xlsx"
        book.save(path)
        cases.append((kind, n, lang, expected, empty_text))
        paths.append(path)
    outs = convert_many(paths, "xlsx", folder / "recalculated")
    return [(case, openpyxl.load_workbook(out, data_only=True)) for case, out in zip(cases, outs)]


def test_every_named_result_equals_the_kpi_library(recalculated):
    checked = 0
    for (kind, n, lang, expected, empty_text), book in recalculated:
        for name, want in expected.items():
            got = named(book, name)
            where = f"{kind} {lang} n={n} {name}"
            if isinstance(want, list):
                for got_row, want_row in zip(got, want):
                    for g, e in zip(got_row, want_row):
                        if isinstance(e, float) and math.isnan(e):
                            assert g in (None, "", empty_text), where
                        elif n == 0:
                            assert g in (empty_text, 0, None, ""), where
                        else:
                            assert g == pytest.approx(e, rel=1e-9, abs=1e-9), where
            elif isinstance(want, str):
                assert got == want, where
            elif want is None or (isinstance(want, float) and math.isnan(want)):
                assert isinstance(got, str) and got, f"{where}: {got!r} should be readable text"
                if n == 0:
                    assert got == empty_text, where
            else:
                assert got == pytest.approx(want, rel=1e-9, abs=1e-9), where
            checked += 1
    assert checked > 80


def test_table_names_never_collide_with_defined_names():
    for kind in BUILDERS:
        book = openpyxl.load_workbook(TEMPLATE_DIR / file_name(kind, "en"))
        tables = {t.lower() for ws in book.worksheets for t in ws.tables}
        assert not tables & {n.lower() for n in book.defined_names}, kind


def test_validation_on_every_input_column_and_protection():
    for kind in BUILDERS:
        for lang in ("en", "de"):
            book = openpyxl.load_workbook(TEMPLATE_DIR / file_name(kind, lang))
            for ws in book.worksheets:
                assert ws.protection.sheet, (kind, ws.title)
                assert not ws.protection.password, (kind, ws.title)
                for t in ws.tables.values():
                    min_col, min_row, max_col, max_row = \
                        openpyxl.utils.cell.range_boundaries(t.ref)
                    validated = set()
                    for dv in ws.data_validations.dataValidation:
                        assert dv.showErrorMessage and dv.error
                        for rng in dv.sqref.ranges:
                            validated |= set(range(rng.min_col, rng.max_col + 1))
                    for col in range(min_col, max_col + 1):
                        cell = ws.cell(min_row + 1, col)
                        if cell.protection.locked:  # a result column: a formula
                            assert str(cell.value).startswith("="), (kind, cell.coordinate)
                        else:
                            assert col in validated, (kind, lang, ws.title, cell.coordinate)
            for name in book.defined_names:
                (sheet, ref), = book.defined_names[name].destinations
                first = book[sheet][ref.replace("$", "").split(":")[0]]
                assert first.protection.locked and str(first.value).startswith("=")


def test_formulas_use_only_functions_excel_2016_and_libreoffice_share():
    import re
    allowed = {"IF", "COUNTIFS", "COUNTIF", "COUNT", "COUNTA", "SUMPRODUCT", "AVERAGEIFS",
               "IFERROR", "INDEX", "MAX", "MIN", "SQRT", "NORMSINV", "ISNUMBER", "ISTEXT", "OR",
               "AND", "LEN", "TRIM", "INT", "VALUE", "ISERROR", "CHOOSE", "ROW", "AVERAGE", "SUM"}
    for kind in BUILDERS:
        book = openpyxl.load_workbook(TEMPLATE_DIR / file_name(kind, "en"))
        for ws in book.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str) and cell.value.startswith("="):
                        used = set(re.findall(r"([A-Z][A-Z0-9.]*)\(", cell.value))
                        assert used <= allowed, (kind, cell.coordinate, used - allowed)


def test_committed_staff_templates_are_what_the_generator_writes(tmp_path):
    from loyalty_xl.files import save_workbook_reproducibly

    for kind, builder in BUILDERS.items():
        for lang in ("en", "de"):
            fresh = save_workbook_reproducibly(builder(lang), tmp_path / file_name(kind, lang))
            assert not differences(TEMPLATE_DIR / fresh.name, fresh), \
                f"{fresh.name} differs; run python -m loyalty_xl.staff_templates"


def test_cli_templates_copies_them_for_handing_out(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["templates", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == sorted(file_name(k, lang) for k in BUILDERS for lang in ("en", "de"))
    again = runner.invoke(app, ["templates", str(tmp_path / "out")])
    assert again.exit_code == 1 and "already exists; use --force" in again.output
    assert runner.invoke(app, ["templates", str(tmp_path / "out"), "--force"]).exit_code == 0


def test_the_engine_reads_a_filled_survey_template_as_responses(tmp_path):
    import datetime as dt

    from loyalty_xl.datasets import load_sample
    from loyalty_xl.engine import analyse

    book = openpyxl.load_workbook(TEMPLATE_DIR / file_name("survey", "en"))
    day = dt.date(2026, 10, 5)
    fill(book, "NPSAnswers", {"Date": [day, day, day, None], "Score": [10, 9, 2, 7],
                              "Segment": ["web", "web", "shop", "web"]})
    fill(book, "CSATAnswers", {"Date": [day, day], "Score": [5, 3]})
    fill(book, "CLIAnswers", {"Date": [day], "Recommend": [1], "BuyAgain": [2]})
    path = tmp_path / "answers.xlsx"
    book.save(path)
    result = analyse(load_sample()["orders"], responses=str(path))
    last = result.periods.iloc[-1]
    assert last.period == "2026-10"
    assert last.nps == pytest.approx(lx.net_promoter_score([10, 9, 2]))
    assert last.nps_responses == 3 and last.csat == 0.5 and last.cli == 90.0
    quality = next(i for i in result.quality.inputs if i.name == "responses")
    assert quality.label == "answers.xlsx (survey template)"
    assert quality.excluded == {"unparseable answer date": 1}  # the NPS answer without a date
    assert quality.examples["unparseable answer date"][0][0] == 8  # its Excel row


def test_invalid_entries_are_marked_red_by_the_answers_rule():
    from loyalty_xl.kpis import answers

    for lang in ("en", "de"):
        book = openpyxl.load_workbook(TEMPLATE_DIR / file_name("survey", lang))
        ws = book.worksheets[1]
        rules = {str(cf.sqref): [r.formula[0] for r in cf.rules]
                 for cf in ws.conditional_formatting}
        assert rules["B5:B2004"] == [answers.excel_invalid("B5", 0, 10)]  # NPS
        assert rules["G5:G2004"] == [answers.excel_invalid("G5", 1, 5)]  # CSAT
        assert rules["K5:K2004"] == [answers.excel_invalid("K5", 1, 7)]  # CES
        for col in "OPQ":  # the three CLI questions
            assert rules[f"{col}5:{col}2004"] == [answers.excel_invalid(f"{col}5", 1, 6)]
        for kind in ("retention", "value", "programme"):
            periods = openpyxl.load_workbook(TEMPLATE_DIR / file_name(kind, lang)).worksheets[1]
            marked = {str(cf.sqref) for cf in periods.conditional_formatting}
            assert "B4:B123" in marked, kind  # a number typed as text turns red
