"""Workbook templates for staff without Python: KPIs computed by native Excel formulas.

``python -m loyalty_xl.staff_templates`` writes them into ``workbook_templates/`` (English and
German); a test checks that the committed files are what this produces. Formulas use only what
Excel 2016+ and LibreOffice 7.4 both compute: COUNTIFS, SUMPRODUCT, AVERAGEIFS, IFERROR, INDEX,
NORMSINV and structured references such as ``NPSAnswers[Score]`` (no LET, LAMBDA, XLOOKUP).
Table names differ from the defined names: Excel keeps both in one case-insensitive namespace.

Every word comes from the translation table (:mod:`loyalty_xl.texts`); the rule for a valid answer
from :mod:`loyalty_xl.kpis.answers` (its Excel form: a Check column per answer, invalid entries
marked red and counted, never used); the constants (CLI points, CSAT top-two-box thresholds,
the adjusted-Wald constants, z) from the KPI library.

Each template: an instructions sheet; inputs in Excel Tables with data validation; results in
locked cells with defined names equal to the KPI library's function names; sheets protected
without a password (inputs unlocked). Input tables are pre-sized (a protected sheet cannot grow a
table): 2,000 answers per survey table, 120 periods per period table.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo

from loyalty_xl.files import save_workbook_reproducibly
from loyalty_xl.kpis import answers
from loyalty_xl.kpis.survey import (
    ADJUST_COUNT,
    ADJUST_N,
    CLI_POINTS,
    CSAT_SCALES,
    DEFAULT_CONFIDENCE,
)
from loyalty_xl.report.layout import fit_rows, one_page
from loyalty_xl.files import REPRODUCIBLE_TIME
from loyalty_xl.report.template import landscape
from loyalty_xl.texts import LANGS, Texts

ANSWER_ROWS = 2000
PERIOD_ROWS = 120
HEADER_ROW = 3  # of the period tables
PRINTED_ROWS = 36  # input rows in the print area (File > Print Range to print more)
NAVY = "1F3864"
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
RESULT_FILL = PatternFill("solid", fgColor="E2EFDA")
INVALID_FILL = PatternFill("solid", fgColor="FFC7CE", bgColor="FFC7CE")
INVALID_FONT = Font(color="9C0006", bold=True)
NAMES = ("survey", "retention", "value", "programme")
CSAT_SCALE, CES_SCALE = "1-5", "1-7"  # the survey template's declared scales


def file_name(kind: str, lang: str) -> str:
    return f"{kind}_kpis_{lang}.xlsx"


def _workbook(title: str) -> Workbook:
    wb = Workbook()
    wb.properties.creator = "loyalty_xl"
    wb.properties.created = wb.properties.modified = REPRODUCIBLE_TIME
    wb.properties.title = title
    wb.calculation.fullCalcOnLoad = True
    return wb


def _instructions(ws, title: str, lines: list[str]):
    """One printed page: wrapped paragraphs with explicit row heights."""
    ws["A1"] = title
    ws["A1"].font = Font(size=16, bold=True, color=NAVY)
    ws.row_dimensions[1].height = 24
    for i, line in enumerate(lines, 3):
        ws.cell(i, 1, line).alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 75  # fits a portrait A4 or Letter page unscaled
    fit_rows(ws)
    one_page(ws)
    ws.protection.sheet = True


def _name(wb, name: str, ws, ref: str):
    wb.defined_names[name] = DefinedName(name, attr_text=f"'{ws.title}'!{ref}")


def _input_table(ws, name, first_col, header_row, columns, rows, validations, t: Texts,
                 calculated=None, invalid=None):
    """An Excel Table of ``rows`` input rows; returns the table's column letters by name.

    ``validations``: {column: (type, operator, formula1, formula2, prompt)} for input columns;
    ``calculated``: {column: row formula with {r} for the row} (locked result columns);
    ``invalid``: {column: formula with {cell} that is TRUE for an invalid entry} (marked red).
    """
    calculated = calculated or {}
    names = list(columns) + list(calculated)
    letters = {}
    for i, column in enumerate(names):
        letter = get_column_letter(first_col + i)
        letters[column] = letter
        cell = ws.cell(header_row, first_col + i, column)
        cell.font = Font(bold=True)
        ws.column_dimensions[letter].width = max(12, len(column) + 4)
    last_row = header_row + rows
    for column in columns:
        letter = letters[column]
        for r in range(header_row + 1, last_row + 1):
            cell = ws[f"{letter}{r}"]
            cell.protection = Protection(locked=False)
            cell.fill = INPUT_FILL
        kind, operator, low, high, prompt = validations[column]
        dv = DataValidation(type=kind, operator=operator, formula1=low, formula2=high,
                            allow_blank=True, showErrorMessage=True, showInputMessage=True,
                            errorTitle=t("staff.invalid_title"), error=prompt,
                            promptTitle=column, prompt=prompt)
        dv.add(f"{letter}{header_row + 1}:{letter}{last_row}")
        ws.add_data_validation(dv)
        if kind == "date":
            for r in range(header_row + 1, last_row + 1):
                ws[f"{letter}{r}"].number_format = "yyyy-mm-dd"
    for column, rule in (invalid or {}).items():
        letter, first = letters[column], header_row + 1
        ws.conditional_formatting.add(
            f"{letter}{first}:{letter}{last_row}",
            FormulaRule(formula=[rule.format(cell=f"{letter}{first}")], fill=INVALID_FILL,
                        font=INVALID_FONT))
    for column, formula in calculated.items():
        letter = letters[column]
        for r in range(header_row + 1, last_row + 1):
            ws[f"{letter}{r}"] = formula.format(r=r)
    ref = f"{get_column_letter(first_col)}{header_row}:{letters[names[-1]]}{last_row}"
    table = Table(displayName=name, ref=ref)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    table._initialise_columns()
    for tc in table.tableColumns:
        if tc.name in calculated:
            tc.calculatedColumnFormula = calculated[tc.name].format(r=header_row + 1).lstrip("=")
    ws.add_table(table)
    return letters


def _result(ws, row, label, formula, number_format, name=None, wb=None, col=2):
    if label:  # a second result in the same row keeps the row's label
        ws.cell(row, 1, label)
    cell = ws.cell(row, col, formula)
    cell.number_format = number_format
    cell.fill = RESULT_FILL
    cell.font = Font(bold=True)
    cell.alignment = Alignment(horizontal="right")
    if name:
        _name(wb, name, ws, f"${get_column_letter(col)}${row}")
    return cell


def _results_sheet(ws, title):
    landscape(ws)
    ws["A1"] = title
    ws["A1"].font = Font(size=16, bold=True, color=NAVY)
    ws.column_dimensions["A"].width = 46
    ws.column_dimensions["B"].width = 24  # room for "noch keine Antworten"
    ws.column_dimensions["C"].width = 24
    ws.protection.sheet = True


def _whole(low, high, what):
    return ("whole", "between", str(low), str(high), what)


# --- survey ------------------------------------------------------------------------------------

def _status_labels(t: Texts) -> dict[str, str]:
    return {answers.VALID: t("staff.valid"),
            **{reason: t(f"staff.status.{reason}") for reason in answers.REASONS}}


def survey(lang: str) -> Workbook:
    t = Texts(lang)
    wb = _workbook(t("survey.title"))
    info = wb.active
    info.title = t("staff.instructions")
    sheet_answers = wb.create_sheet(t("staff.answers"))
    results = wb.create_sheet(t("staff.results"))
    points_text = ", ".join(f"{p:g}" for p in CLI_POINTS)
    _instructions(info, t("survey.howto_title"), [
        t("survey.step1"), t("survey.step2"), t("survey.step3"), t("survey.step4"),
        t("survey.step5", rows=t.number(ANSWER_ROWS)),
        t("survey.definitions", points=points_text)])
    ws = sheet_answers
    ws["A1"] = t("survey.answers_title")
    ws["A1"].font = Font(size=14, bold=True, color=NAVY)
    ws["A2"] = t("survey.answers_hint")
    date_rule = ("date", "between", "DATE(2000,1,1)", "DATE(2100,12,31)", t("survey.date_rule"))
    seg_rule = ("textLength", "lessThanOrEqual", "100", None, t("survey.segment_rule"))
    date, score, segment = t("survey.date"), t("survey.score"), "Segment"
    check = t("survey.check")
    labels = _status_labels(t)

    def status(letter, metric, scale=None):
        low, high = answers.scale_of(metric, csat_scale=scale or CSAT_SCALE,
                                     ces_scale=scale or CES_SCALE)
        return "=" + answers.excel_status(f"{letter}{{r}}", low, high, labels)

    def invalid(metric):
        low, high = answers.scale_of(metric, csat_scale=CSAT_SCALE, ces_scale=CES_SCALE)
        return answers.excel_invalid("{cell}", low, high)

    nps_low, nps_high = answers.scale_of("nps")
    _input_table(ws, "NPSAnswers", 1, 4, [date, score, segment], ANSWER_ROWS, {
        date: date_rule, segment: seg_rule,
        score: _whole(nps_low, nps_high, t("survey.nps_rule"))}, t,
        calculated={check: status("B", "nps")}, invalid={score: invalid("nps")})
    csat_low, csat_high = answers.scale_of("csat", csat_scale=CSAT_SCALE)
    _input_table(ws, "CSATAnswers", 6, 4, [date, score], ANSWER_ROWS, {
        date: date_rule, score: _whole(csat_low, csat_high, t("survey.csat_rule"))}, t,
        calculated={check: status("G", "csat")}, invalid={score: invalid("csat")})
    ces_low, ces_high = answers.scale_of("ces", ces_scale=CES_SCALE)
    _input_table(ws, "CESAnswers", 10, 4, [date, score], ANSWER_ROWS, {
        date: date_rule, score: _whole(ces_low, ces_high, t("survey.ces_rule"))}, t,
        calculated={check: status("K", "ces")}, invalid={score: invalid("ces")})
    cli = [t("survey.recommend"), t("survey.buy_again"), t("survey.other_products")]
    cli_low, cli_high = answers.scale_of("cli")
    rule = _whole(cli_low, cli_high, t("survey.cli_rule"))
    cells = ["O{r}", "P{r}", "Q{r}"]
    valid = [answers.excel_valid(c, cli_low, cli_high) for c in cells]
    choose = ",".join(f"{p:g}" for p in CLI_POINTS)  # the library's points for answers 1-6
    given = "(" + "+".join(valid) + ")"
    points = "+".join(f"IF({v}=1,CHOOSE({c}-{cli_low - 1},{choose}),0)"
                      for v, c in zip(valid, cells))
    _input_table(ws, "CLIAnswers", 14, 4, [date, *cli], ANSWER_ROWS,
                 {date: date_rule, **{c: rule for c in cli}}, t, calculated={
                     t("survey.points"): f'=IF({given}=0,"",({points})/{given})',
                     t("survey.invalid"): f'=IF(COUNTA({",".join(cells)})=0,"",' + "+".join(
                         f"({answers.excel_invalid(c, cli_low, cli_high)})" for c in cells)
                     + ")"},
                 invalid={c: answers.excel_invalid("{cell}", cli_low, cli_high) for c in cli})
    for cell, title in (("A3", "NPS"), ("F3", "CSAT"), ("J3", "CES"), ("N3", "CLI")):
        ws[cell] = title
        ws[cell].font = Font(bold=True, color=NAVY)
    ws.freeze_panes = "A5"
    ws.protection.sheet = True
    landscape(ws)
    ws.print_area = f"A1:S{4 + PRINTED_ROWS}"  # not 2,000 empty rows
    ws.print_title_rows = "3:4"

    _results_sheet(results, t("survey.results_title"))
    s, chk = f"NPSAnswers[{score}]", f"NPSAnswers[{check}]"
    ok = labels[answers.VALID]
    none = f'"{t("staff.no_answers")}"'
    _result(results, 3, "Net Promoter Score", f"=IF($B$10=0,{none},100*($B$7-$B$9)/$B$10)",
            "0.0", "net_promoter_score", wb)
    _result(results, 4, t("survey.interval"),
            f"=IF($B$10=0,{none},MAX(-100,100*($G$6-$G$8*$G$7)))", "0.0")
    _result(results, 4, "", '=IF($B$10=0,"",MIN(100,100*($G$6+$G$8*$G$7)))', "0.0", col=3)
    _name(wb, "nps_interval", results, "$B$4:$C$4")
    results["B6"], results["C6"] = t("survey.count"), t("survey.share")
    groups = [(t("survey.promoters"), 9, 10), (t("survey.passives"), 7, 8),
              (t("survey.detractors"), 0, 6)]
    for r, (label, low, high) in enumerate(groups, 7):
        _result(results, r, label,
                f'=COUNTIFS({chk},"{ok}",{s},">={low}",{s},"<={high}")', "0")
        _result(results, r, "", f'=IF($B$10=0,"",B{r}/$B$10)', "0.0%", col=3)
    _result(results, 10, t("survey.answers_n"), "=B7+B8+B9", "0")
    _result(results, 10, "", '=IF($B$10=0,"",1)', "0.0%", col=3)
    _name(wb, "nps_breakdown", results, "$B$7:$C$10")
    c, c_chk = f"CSATAnswers[{score}]", f"CSATAnswers[{check}]"
    valid_csat = f'COUNTIF({c_chk},"{ok}")'
    threshold = CSAT_SCALES[CSAT_SCALE][2]  # the library's top two boxes
    _result(results, 12, "CSAT", f'=IF({valid_csat}=0,{none},'
                                 f'COUNTIFS({c_chk},"{ok}",{c},">={threshold}")/{valid_csat})',
            "0.0%", "csat", wb)
    _result(results, 13, t("survey.csat_mean"),
            f'=IF({valid_csat}=0,{none},AVERAGEIFS({c},{c_chk},"{ok}"))', "0.00", "csat_mean",
            wb)
    e, e_chk = f"CESAnswers[{score}]", f"CESAnswers[{check}]"
    _result(results, 14, f"Customer Effort Score ({CES_SCALE})",
            f'=IF(COUNTIF({e_chk},"{ok}")=0,{none},AVERAGEIFS({e},{e_chk},"{ok}"))', "0.00",
            "customer_effort_score", wb)
    pts = f"CLIAnswers[{t('survey.points')}]"
    _result(results, 15, "Customer Loyalty Index",
            f"=IF(COUNT({pts})=0,{none},AVERAGE({pts}))", "0.0", "customer_loyalty_index", wb)
    results["A17"] = t("survey.invalid_title")
    results["A17"].font = Font(bold=True)

    def entries(column):
        return f"SUMPRODUCT(--(LEN({column})>0))"

    ignored = [("NPS", f"={entries(chk)}-$B$10"),
               ("CSAT", f"={entries(c_chk)}-{valid_csat}"),
               ("CES", f'={entries(e_chk)}-COUNTIF({e_chk},"{ok}")'),
               ("CLI", f"=SUM(CLIAnswers[{t('survey.invalid')}])")]
    for r, (label, formula) in enumerate(ignored, 18):
        results.cell(r, 1, label).alignment = Alignment(indent=1)
        cell = results.cell(r, 2, formula)
        cell.number_format = "0"
    results.conditional_formatting.add("B18:B21", FormulaRule(
        formula=["AND(ISNUMBER(B18),B18>0)"], fill=INVALID_FILL, font=INVALID_FONT))
    results["F2"] = t("survey.workings")
    results["F2"].font = Font(italic=True, color="7F7F7F")
    z = 0.5 + DEFAULT_CONFIDENCE / 2
    workings = [(f"n' = N + {ADJUST_N:g}", f"=$B$10+{ADJUST_N:g}"),
                (f"p' = (P + {ADJUST_COUNT:g}) / n'", f"=($B$7+{ADJUST_COUNT:g})/$G$3"),
                (f"d' = (D + {ADJUST_COUNT:g}) / n'", f"=($B$9+{ADJUST_COUNT:g})/$G$3"),
                ("NPS' = p' - d'", "=$G$4-$G$5"),
                ("SE' = sqrt((p' + d' - NPS'^2) / n')", "=SQRT(($G$4+$G$5-$G$6^2)/$G$3)"),
                (f"z ({DEFAULT_CONFIDENCE:.0%})", f"=NORMSINV({z:g})")]
    for r, (label, formula) in enumerate(workings, 3):
        results.cell(r, 6, label).font = Font(color="7F7F7F")
        results.cell(r, 7, formula).font = Font(color="7F7F7F")
    results.column_dimensions["F"].width = 34
    chart = BarChart()
    chart.type = "bar"
    chart.title = t("survey.breakdown")
    chart.add_data(Reference(results, min_col=2, min_row=7, max_row=9))
    chart.set_categories(Reference(results, min_col=1, min_row=7, max_row=9))
    chart.legend = None
    chart.height, chart.width = 6, 12
    results.add_chart(chart, "E11")
    return wb


# --- period tables ------------------------------------------------------------------------------

def _period_workbook(lang, title, table, inputs, calculated, named, instructions):
    """A workbook with one period table (inputs + calculated columns) and the latest results.

    The latest period is the last filled row (blank rows in between are allowed): the
    highest row with a period name or a first count. A number typed as text is marked red.
    """
    t = Texts(lang)
    wb = _workbook(title)
    info = wb.active
    info.title = t("staff.instructions")
    data = wb.create_sheet(t("staff.periods"))
    results = wb.create_sheet(t("staff.results"))
    _instructions(info, title, instructions + [t("staff.periods_howto", rows=PERIOD_ROWS)])
    data["A1"] = title
    data["A1"].font = Font(size=14, bold=True, color=NAVY)
    columns = [name for name, _ in inputs]
    rules = dict(inputs)
    text_number = {column: "ISTEXT({cell})" for column in columns[1:]}
    letters = _input_table(data, table, 1, HEADER_ROW, columns, PERIOD_ROWS, rules, t, calculated,
                           invalid=text_number)
    formats = {column: number_format for column, _, number_format, _ in named}
    for column in calculated:
        for r in range(HEADER_ROW + 1, HEADER_ROW + 1 + PERIOD_ROWS):
            data[f"{letters[column]}{r}"].fill = RESULT_FILL
            if column in formats:
                data[f"{letters[column]}{r}"].number_format = formats[column]
    data.freeze_panes = "B4"
    data.protection.sheet = True
    landscape(data)
    last_col = get_column_letter(len(columns) + len(calculated))
    data.print_area = f"A1:{last_col}{HEADER_ROW + PRINTED_ROWS}"  # not 120 empty rows
    data.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    _results_sheet(results, t("staff.latest"))
    first, key = columns[0], columns[1]
    # the table row (1 = first data row) of the last filled row, 0 when there is none
    results["A12"] = t("staff.last_row")
    results["A12"].font = Font(color="7F7F7F")
    results["B12"] = (f"=SUMPRODUCT(MAX(((LEN({table}[{first}])+LEN({table}[{key}]))>0)"
                      f"*(ROW({table}[{first}])-{HEADER_ROW})))")
    results["B12"].font = Font(color="7F7F7F")
    results["B12"].number_format = "0"
    latest = "$B$12"
    _result(results, 3, t("staff.period"),
            f'=IF({latest}=0,"{t("staff.no_data")}",INDEX({table}[{first}],{latest})&"")', "@")
    for r, (column, name, number_format, label) in enumerate(named, 4):
        _result(results, r, label,
                f'=IF({latest}=0,"{t("staff.no_data")}",INDEX({table}[{column}],{latest}))',
                number_format, name, wb)
    return wb


def _count_rule(t, what):
    return ("whole", "greaterThanOrEqual", "0", None, t("staff.count_rule", what=what))


def _amount_rule(t, what):
    return ("decimal", "greaterThanOrEqual", "0", None, t("staff.amount_rule", what=what))


def _period_rule(t):
    return ("textLength", "lessThanOrEqual", "20", None, t("staff.period_rule"))


def _ratio(t, condition_cells, denominator, numerator, undefined, check=None, optional=()):
    """A row formula: blank until the inputs are there, readable text when undefined or when a
    number was typed as text (``optional`` cells may be blank, never text)."""
    cells = condition_cells.split(",")
    blank_guard = f"COUNT({condition_cells})<{len(cells)}"
    as_text = ",".join(f"ISTEXT({c})" for c in cells + list(optional))
    inner = f'IF({denominator}=0,"{undefined}",{numerator}/{denominator})'
    if check:
        inner = f'IF({check},"{t("staff.check")}",{inner})'
    return (f'=IF(OR({as_text}),"{t("staff.text_number")}",IF({blank_guard},"",{inner}))')


def retention(lang: str) -> Workbook:
    t = Texts(lang)
    cols = [t("staff.period"), t("retention.start"), t("retention.end"), t("retention.new"),
            t("retention.reactivated"), t("retention.lost")]
    acquired = t("retention.acquired")
    rate, churn = t("retention.rate"), t("retention.churn")
    no_start = t("retention.no_start")
    calculated = {  # G: acquired = new + reactivated (blank reactivated = 0), as the engine
        acquired: f'=IF(OR(ISTEXT(D{{r}}),ISTEXT(E{{r}})),"{t("staff.text_number")}",'
                  f'IF(COUNT(D{{r}})<1,"",D{{r}}+IF(ISNUMBER(E{{r}}),E{{r}},0)))',
        rate: _ratio(t, "B{r},C{r},D{r}", "B{r}", "(C{r}-G{r})", no_start,
                     check="OR(C{r}-G{r}<0,C{r}-G{r}>B{r})", optional=("E{r}",)),
        churn: _ratio(t, "B{r},F{r}", "B{r}", "F{r}", no_start, check="F{r}>B{r}"),
    }
    inputs = [(cols[0], _period_rule(t)),
              (cols[1], _count_rule(t, t("retention.start_rule"))),
              (cols[2], _count_rule(t, t("retention.end_rule"))),
              (cols[3], _count_rule(t, t("retention.new_rule"))),
              (cols[4], _count_rule(t, t("retention.reactivated_rule"))),
              (cols[5], _count_rule(t, t("retention.lost_rule")))]
    named = [(rate, "retention_rate", "0.0%", t("retention.rate_label")),
             (churn, "churn_rate", "0.0%", t("retention.churn_label"))]
    return _period_workbook(lang, t("retention.title"), "Retention", inputs, calculated, named,
                            [t("retention.howto")])


def value(lang: str) -> Workbook:
    t = Texts(lang)
    cols = [t("staff.period"), t("value.revenue"), t("value.orders"), t("value.customers"),
            t("value.lifespan"), t("value.marketing"), t("value.sales"), t("value.new")]
    apv, freq, cv = t("value.apv"), t("value.frequency"), t("value.cv")
    clv, cac, ratio = "CLV", "CAC", "CLV_CAC"
    not_defined = t("staff.not_defined")
    text_number = t("staff.text_number")
    calculated = {
        apv: _ratio(t, "B{r},C{r}", "C{r}", "B{r}", t("value.no_orders")),
        freq: _ratio(t, "C{r},D{r}", "D{r}", "C{r}", t("value.no_customers"),
                     check="D{r}>C{r}"),
        cv: '=IF(OR(I{r}="",J{r}=""),"",IF(ISTEXT(I{r}),I{r},IF(ISTEXT(J{r}),J{r},'
            'I{r}*J{r})))',
        clv: f'=IF(ISTEXT(E{{r}}),"{text_number}",IF(OR(K{{r}}="",E{{r}}=""),"",'
             f'IF(ISTEXT(K{{r}}),K{{r}},K{{r}}*E{{r}})))',
        cac: _ratio(t, "F{r},H{r}", "H{r}", "(F{r}+IF(ISNUMBER(G{r}),G{r},0))",
                    t("value.no_new"), optional=("G{r}",)),
        ratio: '=IF(OR(L{r}="",M{r}=""),"",IF(ISTEXT(L{r}),L{r},IF(ISTEXT(M{r}),M{r},IF(M{r}=0,"'
               + not_defined + '",L{r}/M{r}))))',
    }
    inputs = [(cols[0], _period_rule(t)),
              (cols[1], _amount_rule(t, t("value.revenue_rule"))),
              (cols[2], _count_rule(t, t("value.orders_rule"))),
              (cols[3], _count_rule(t, t("value.customers_rule"))),
              (cols[4], _amount_rule(t, t("value.lifespan_rule"))),
              (cols[5], _amount_rule(t, t("value.marketing_rule"))),
              (cols[6], _amount_rule(t, t("value.sales_rule"))),
              (cols[7], _count_rule(t, t("value.new_rule")))]
    named = [(apv, "average_purchase_value", "#,##0.00", t("value.apv_label")),
             (freq, "purchase_frequency", "0.00", t("value.frequency_label")),
             (cv, "customer_value", "#,##0.00", t("value.cv_label")),
             (clv, "customer_lifetime_value", "#,##0.00", t("value.clv_label")),
             (cac, "customer_acquisition_cost", "#,##0.00", t("value.cac_label")),
             (ratio, "clv_cac_ratio", "0.00", "CLV : CAC")]
    return _period_workbook(lang, t("value.title"), "Value", inputs, calculated, named,
                            [t("value.howto1"), t("value.howto2")])


def programme(lang: str) -> Workbook:
    t = Texts(lang)
    cols = [t("staff.period"), t("programme.customers"), t("programme.members"),
            t("programme.issued"), t("programme.redeemed"), t("programme.active")]
    part, red, act = (t("programme.participation"), t("programme.redemption"),
                      t("programme.engagement"))
    calculated = {
        part: _ratio(t, "B{r},C{r}", "B{r}", "C{r}", t("programme.no_customers"),
                     check="C{r}>B{r}"),
        red: _ratio(t, "D{r},E{r}", "D{r}", "E{r}", t("programme.no_points")),
        act: _ratio(t, "C{r},F{r}", "C{r}", "F{r}", t("programme.no_members"),
                    check="F{r}>C{r}"),
    }
    inputs = [(cols[0], _period_rule(t)),
              (cols[1], _count_rule(t, t("programme.customers_rule"))),
              (cols[2], _count_rule(t, t("programme.members_rule"))),
              (cols[3], _amount_rule(t, t("programme.issued_rule"))),
              (cols[4], _amount_rule(t, t("programme.redeemed_rule"))),
              (cols[5], _count_rule(t, t("programme.active_rule")))]
    named = [(part, "participation_rate", "0.0%", t("programme.participation_label")),
             (red, "redemption_rate", "0.0%", t("programme.redemption_label")),
             (act, "active_engagement_rate", "0.0%", t("programme.engagement_label"))]
    return _period_workbook(lang, t("programme.title"), "Programme", inputs, calculated, named,
                            [t("programme.howto")])


BUILDERS = {"survey": survey, "retention": retention, "value": value, "programme": programme}


def write_all(folder: Path) -> list[Path]:
    paths = []
    for kind, builder in BUILDERS.items():
        for lang in LANGS:
            path = Path(folder) / file_name(kind, lang)
            save_workbook_reproducibly(builder(lang), path)
            paths.append(path)
    return paths


if __name__ == "__main__":
    from loyalty_xl.report import TEMPLATE_DIR

    for written in write_all(TEMPLATE_DIR):
        print(written)
