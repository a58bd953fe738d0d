"""Workbook templates for staff without Python: KPIs computed by native Excel formulas.

``python -m loyalty_xl.staff_templates`` writes them into ``workbook_templates/`` (English and
German); a test checks that the committed files are what this produces. Formulas use only what
Excel 2016+ and LibreOffice 7.4 both compute: COUNTIFS, SUMPRODUCT, AVERAGEIFS, IFERROR, INDEX,
NORMSINV and structured references such as ``NPSAnswers[Score]`` (no LET, LAMBDA, XLOOKUP).
Table names differ from the defined names: Excel keeps both in one case-insensitive namespace.

Each template: an instructions sheet; inputs in Excel Tables with data validation; results in
locked cells with defined names equal to the KPI library's function names; sheets protected
without a password (inputs unlocked). Input tables are pre-sized (a protected sheet cannot grow a
table): 2,000 answers per survey table, 120 periods per period table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo

from loyalty_xl.files import save_workbook_reproducibly
from loyalty_xl.report.template import landscape

FIXED_TIME = dt.datetime(2026, 1, 1)
ANSWER_ROWS = 2000
PERIOD_ROWS = 120
NAVY = "1F3864"
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
RESULT_FILL = PatternFill("solid", fgColor="E2EFDA")
NAMES = ("survey", "retention", "value", "programme")


@dataclass(frozen=True)
class Words:
    lang: str
    no_answers: str
    no_data: str
    check: str

    def t(self, en: str, de: str) -> str:
        return de if self.lang == "de" else en


WORDS = {
    "en": Words("en", "no answers yet", "no data yet", "check the inputs"),
    "de": Words("de", "noch keine Antworten", "noch keine Daten", "Eingaben prüfen"),
}


def file_name(kind: str, lang: str) -> str:
    return f"{kind}_kpis_{lang}.xlsx"


def _workbook(title: str) -> Workbook:
    wb = Workbook()
    wb.properties.creator = "loyalty_xl"
    wb.properties.created = wb.properties.modified = FIXED_TIME
    wb.properties.title = title
    wb.calculation.fullCalcOnLoad = True
    return wb


def _instructions(ws, title: str, lines: list[str]):
    ws["A1"] = title
    ws["A1"].font = Font(size=16, bold=True, color=NAVY)
    for i, line in enumerate(lines, 3):
        ws.cell(i, 1, line).alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 110
    ws.protection.sheet = True


def _name(wb, name: str, ws, ref: str):
    wb.defined_names[name] = DefinedName(name, attr_text=f"'{ws.title}'!{ref}")


def _input_table(ws, name, first_col, header_row, columns, rows, validations, w: Words,
                 calculated=None):
    """An Excel Table of ``rows`` input rows; returns the table's column letters by name.

    ``validations``: {column: (type, operator, formula1, formula2, prompt)} for input columns;
    ``calculated``: {column: row formula with {r} for the row} (locked result columns).
    """
    calculated = calculated or {}
    names = list(columns) + list(calculated)
    letters = {}
    for i, column in enumerate(names):
        letter = get_column_letter(first_col + i)
        letters[column] = letter
        cell = ws.cell(header_row, first_col + i, column)
        cell.font = Font(bold=True)
        ws.column_dimensions[letter].width = max(12, len(column) + 3)
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
                            errorTitle=w.t("Not a valid entry", "Ungültige Eingabe"),
                            error=prompt, promptTitle=column, prompt=prompt)
        dv.add(f"{letter}{header_row + 1}:{letter}{last_row}")
        ws.add_data_validation(dv)
        if kind == "date":
            for r in range(header_row + 1, last_row + 1):
                ws[f"{letter}{r}"].number_format = "yyyy-mm-dd"
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
    ws.column_dimensions["A"].width = 42
    ws.column_dimensions["B"].width = 24  # room for "noch keine Antworten"
    ws.column_dimensions["C"].width = 24
    ws.protection.sheet = True


def _whole(low, high, what):
    return ("whole", "between", str(low), str(high), what)


# --- survey ------------------------------------------------------------------------------------

def survey(lang: str) -> Workbook:
    w = WORDS[lang]
    wb = _workbook(w.t("Survey KPIs", "Umfrage-Kennzahlen"))
    info = wb.active
    info.title = w.t("Instructions", "Anleitung")
    answers = wb.create_sheet(w.t("Answers", "Antworten"))
    results = wb.create_sheet(w.t("Results", "Ergebnisse"))
    _instructions(info, w.t("Survey KPIs: how to use this workbook",
                            "Umfrage-Kennzahlen: so nutzen Sie diese Arbeitsmappe"), [
        w.t("1. Go to the sheet 'Answers'. Type or paste one answer per row into the yellow "
            "cells of the table for that question (NPS, CSAT, CES, CLI).",
            "1. Gehen Sie zum Blatt 'Antworten'. Tragen Sie je Zeile eine Antwort in die gelben "
            "Zellen der Tabelle zur Frage ein (NPS, CSAT, CES, CLI)."),
        w.t("2. NPS: 'How likely are you to recommend us?' 0-10. CSAT: satisfaction 1-5. CES: "
            "'The company made it easy for me' 1-7. CLI: three questions answered 1-6, where 1 "
            "is best (recommend, buy again, try other products); one respondent per row.",
            "2. NPS: 'Wie wahrscheinlich empfehlen Sie uns weiter?' 0-10. CSAT: Zufriedenheit "
            "1-5. CES: 'Das Unternehmen hat es mir leicht gemacht' 1-7. CLI: drei Fragen, "
            "Antworten 1-6, 1 ist am besten (empfehlen, wieder kaufen, andere Produkte); ein "
            "Befragter pro Zeile."),
        w.t("3. The date and segment columns are optional; fill the date if the answers should "
            "go into the monthly report (loyalty-xl report --responses this-file.xlsx).",
            "3. Datum und Segment sind freiwillig; tragen Sie das Datum ein, wenn die Antworten "
            "in den Monatsbericht sollen (loyalty-xl report --responses diese-Datei.xlsx)."),
        w.t("4. The sheet 'Results' computes everything at once. Until there are answers it "
            "shows 'no answers yet'. Entries that are not valid answers are counted there, "
            "never silently used.",
            "4. Das Blatt 'Ergebnisse' rechnet alles sofort aus. Ohne Antworten steht dort "
            "'noch keine Antworten'. Ungültige Einträge werden dort gezählt, nie stillschweigend "
            "verwendet."),
        w.t("5. Each table has room for 2,000 answers. The sheets are protected without a "
            "password so formulas are not overwritten by accident (Review > Unprotect Sheet).",
            "5. Jede Tabelle hat Platz für 2.000 Antworten. Die Blätter sind ohne Kennwort "
            "geschützt, damit Formeln nicht versehentlich überschrieben werden (Überprüfen > "
            "Blattschutz aufheben)."),
        w.t("Definitions: NPS = % promoters (9-10) - % detractors (0-6), in points; its 95% "
            "interval is the adjusted Wald interval (Rocks 2016). CSAT = share of 4s and 5s. "
            "CES = mean answer. CLI: answers 1-6 score 100, 80, 60, 40, 20, 0; each "
            "respondent's mean over the questions they answered, averaged over respondents.",
            "Definitionen: NPS = % Promotoren (9-10) - % Detraktoren (0-6), in Punkten; das "
            "95%-Intervall ist das angepasste Wald-Intervall (Rocks 2016). CSAT = Anteil der 4 "
            "und 5. CES = mittlere Antwort. CLI: Antworten 1-6 zählen 100, 80, 60, 40, 20, 0; "
            "je Befragtem der Mittelwert der beantworteten Fragen, gemittelt über alle."),
    ])
    answers["A1"] = w.t("Survey answers", "Umfrageantworten")
    answers["A1"].font = Font(size=14, bold=True, color=NAVY)
    answers["A2"] = w.t("Yellow cells are inputs. One answer (CLI: one respondent) per row.",
                        "Gelbe Zellen sind Eingaben. Eine Antwort (CLI: ein Befragter) pro Zeile.")
    date_rule = ("date", "between", "DATE(2000,1,1)", "DATE(2100,12,31)",
                 w.t("A date (optional), e.g. 2026-10-15", "Ein Datum (freiwillig)"))
    seg_rule = ("textLength", "lessThanOrEqual", "100", None,
                w.t("Optional segment, up to 100 characters", "Segment (freiwillig), bis 100 "
                                                              "Zeichen"))
    date, score, segment = w.t("Date", "Datum"), w.t("Score", "Wert"), "Segment"
    _input_table(answers, "NPSAnswers", 1, 4, [date, score, segment], ANSWER_ROWS, {
        date: date_rule, segment: seg_rule,
        score: _whole(0, 10, w.t("NPS: a whole number from 0 to 10", "NPS: ganze Zahl 0 bis 10"))},
        w)
    _input_table(answers, "CSATAnswers", 5, 4, [date, score], ANSWER_ROWS, {
        date: date_rule, score: _whole(1, 5, w.t("CSAT: a whole number from 1 to 5",
                                                 "CSAT: ganze Zahl 1 bis 5"))}, w)
    _input_table(answers, "CESAnswers", 8, 4, [date, score], ANSWER_ROWS, {
        date: date_rule, score: _whole(1, 7, w.t("CES: a whole number from 1 to 7",
                                                 "CES: ganze Zahl 1 bis 7"))}, w)
    cli = [w.t("Recommend", "Empfehlen"), w.t("BuyAgain", "WiederKaufen"),
           w.t("OtherProducts", "AndereProdukte")]
    rule = _whole(1, 6, w.t("CLI: a whole number from 1 (best) to 6",
                            "CLI: ganze Zahl von 1 (am besten) bis 6"))
    _input_table(answers, "CLIAnswers", 11, 4, [date, *cli], ANSWER_ROWS,
                 {date: date_rule, **{c: rule for c in cli}}, w)
    for header in ("A4", "E4", "H4", "K4"):
        answers[header.replace("4", "3")] = {"A4": "NPS", "E4": "CSAT", "H4": "CES",
                                             "K4": "CLI"}[header]
        answers[header.replace("4", "3")].font = Font(bold=True, color=NAVY)
    answers.freeze_panes = "A5"
    answers.protection.sheet = True
    landscape(answers)

    _results_sheet(results, w.t("Survey results", "Umfrageergebnisse"))
    s = f"NPSAnswers[{score}]"
    none = f'"{w.no_answers}"'
    _result(results, 3, "Net Promoter Score", f"=IF($B$10=0,{none},100*($B$7-$B$9)/$B$10)",
            "0.0", "net_promoter_score", wb)
    _result(results, 4, w.t("NPS 95% interval (low, high)", "NPS 95%-Intervall (unten, oben)"),
            f"=IF($B$10=0,{none},MAX(-100,100*($G$6-$G$8*$G$7)))", "0.0")
    _result(results, 4, "", '=IF($B$10=0,"",MIN(100,100*($G$6+$G$8*$G$7)))', "0.0", col=3)
    _name(wb, "nps_interval", results, "$B$4:$C$4")
    results["B6"], results["C6"] = w.t("Count", "Anzahl"), w.t("Share", "Anteil")
    groups = [(w.t("Promoters (9-10)", "Promotoren (9-10)"), 9, 10),
              (w.t("Passives (7-8)", "Passive (7-8)"), 7, 8),
              (w.t("Detractors (0-6)", "Detraktoren (0-6)"), 0, 6)]
    for r, (label, low, high) in enumerate(groups, 7):
        _result(results, r, label, f'=COUNTIFS({s},">={low}",{s},"<={high}")', "0")
        _result(results, r, "", f'=IF($B$10=0,"",B{r}/$B$10)', "0.0%", col=3)
    _result(results, 10, w.t("Answers", "Antworten"), "=B7+B8+B9", "0")
    _result(results, 10, "", '=IF($B$10=0,"",1)', "0.0%", col=3)
    _name(wb, "nps_breakdown", results, "$B$7:$C$10")
    c = f"CSATAnswers[{score}]"
    valid_csat = f'COUNTIFS({c},">=1",{c},"<=5")'
    _result(results, 12, "CSAT", f'=IF({valid_csat}=0,{none},'
                                 f'COUNTIFS({c},">=4",{c},"<=5")/{valid_csat})', "0.0%",
            "csat", wb)
    _result(results, 13, w.t("Mean satisfaction (1-5)", "Mittlere Zufriedenheit (1-5)"),
            f'=IFERROR(AVERAGEIFS({c},{c},">=1",{c},"<=5"),{none})', "0.00", "csat_mean", wb)
    e = f"CESAnswers[{score}]"
    _result(results, 14, "Customer Effort Score (1-7)",
            f'=IFERROR(AVERAGEIFS({e},{e},">=1",{e},"<=7"),{none})', "0.00",
            "customer_effort_score", wb)
    valid = [f"ISNUMBER(CLIAnswers[{q}])*(CLIAnswers[{q}]>=1)*(CLIAnswers[{q}]<=6)"
             for q in cli]
    points = "+".join(f"{v}*(120-20*CLIAnswers[{q}])" for v, q in zip(valid, cli))
    given = "(" + "+".join(valid) + ")"
    _result(results, 15, "Customer Loyalty Index",
            f'=IFERROR(IF(SUMPRODUCT(--({given}>0))=0,{none},SUMPRODUCT(({points})/'
            f'({given}+({given}=0)))/SUMPRODUCT(--({given}>0))),"{w.check}")', "0.0",
            "customer_loyalty_index", wb)
    results["A17"] = w.t("Entries that are not valid answers (ignored)",
                         "Ungültige Einträge (nicht gezählt)")
    results["A17"].font = Font(bold=True)
    ignored = [("NPS", f"=COUNTA({s})-$B$10"), ("CSAT", f"=COUNTA({c})-{valid_csat}"),
               ("CES", f'=COUNTA({e})-COUNTIFS({e},">=1",{e},"<=7")'),
               ("CLI", "=" + "+".join(f"COUNTA(CLIAnswers[{q}])" for q in cli)
                + f"-SUMPRODUCT({'+'.join(valid)})")]
    for r, (label, formula) in enumerate(ignored, 18):
        results.cell(r, 1, label).alignment = Alignment(indent=1)
        results.cell(r, 2, formula).number_format = "0"
    results["F2"] = w.t("Workings of the NPS interval", "Rechenweg des NPS-Intervalls")
    results["F2"].font = Font(italic=True, color="7F7F7F")
    workings = [("n' = N + 3", "=$B$10+3"), ("p' = (P + 0.75) / n'", "=($B$7+0.75)/$G$3"),
                ("d' = (D + 0.75) / n'", "=($B$9+0.75)/$G$3"), ("NPS' = p' - d'", "=$G$4-$G$5"),
                ("SE' = sqrt((p' + d' - NPS'^2) / n')", "=SQRT(($G$4+$G$5-$G$6^2)/$G$3)"),
                ("z (95%)", "=NORMSINV(0.975)")]
    for r, (label, formula) in enumerate(workings, 3):
        results.cell(r, 6, label).font = Font(color="7F7F7F")
        results.cell(r, 7, formula).font = Font(color="7F7F7F")
    results.column_dimensions["F"].width = 34
    chart = BarChart()
    chart.type = "bar"
    chart.title = w.t("NPS breakdown", "NPS-Aufteilung")
    chart.add_data(Reference(results, min_col=2, min_row=7, max_row=9))
    chart.set_categories(Reference(results, min_col=1, min_row=7, max_row=9))
    chart.legend = None
    chart.height, chart.width = 6, 12
    results.add_chart(chart, "E11")
    return wb


# --- period tables ------------------------------------------------------------------------------

def _period_workbook(lang, title, table, inputs, calculated, named, instructions):
    """A workbook with one period table (inputs + calculated columns) and the latest results."""
    w = WORDS[lang]
    wb = _workbook(title)
    info = wb.active
    info.title = w.t("Instructions", "Anleitung")
    data = wb.create_sheet(w.t("Periods", "Zeiträume"))
    results = wb.create_sheet(w.t("Results", "Ergebnisse"))
    _instructions(info, title, instructions + [
        w.t("One period (e.g. a month) per row, oldest first, without gaps. The green columns "
            "compute each period's KPIs; the sheet 'Results' shows the latest period. Until "
            "there are data it shows 'no data yet'. Room for 120 periods; the sheets are "
            "protected without a password.",
            "Ein Zeitraum (z. B. Monat) pro Zeile, der älteste zuerst, ohne Lücken. Die grünen "
            "Spalten rechnen die Kennzahlen je Zeitraum; das Blatt 'Ergebnisse' zeigt den "
            "letzten Zeitraum. Ohne Daten steht dort 'noch keine Daten'. Platz für 120 "
            "Zeiträume; die Blätter sind ohne Kennwort geschützt.")])
    data["A1"] = title
    data["A1"].font = Font(size=14, bold=True, color=NAVY)
    columns = [name for name, _ in inputs]
    rules = dict(inputs)
    letters = _input_table(data, table, 1, 3, columns, PERIOD_ROWS, rules, w, calculated)
    for column in calculated:
        for r in range(4, 4 + PERIOD_ROWS):
            data[f"{letters[column]}{r}"].fill = RESULT_FILL
    data.freeze_panes = "B4"
    data.protection.sheet = True
    landscape(data)
    _results_sheet(results, w.t("Latest period", "Letzter Zeitraum"))
    key = columns[1]
    count = f"COUNT({table}[{key}])"
    _result(results, 3, w.t("Period", "Zeitraum"),
            f'=IF({count}=0,"{w.no_data}",INDEX({table}[{columns[0]}],{count}))', "@")
    for r, (column, name, number_format, label) in enumerate(named, 4):
        _result(results, r, label,
                f'=IF({count}=0,"{w.no_data}",INDEX({table}[{column}],{count}))',
                number_format, name, wb)
    return wb


def _count_rule(w, what_en, what_de):
    return ("whole", "greaterThanOrEqual", "0", None,
            w.t(f"{what_en}: a whole number, 0 or more", f"{what_de}: ganze Zahl ab 0"))


def _amount_rule(w, what_en, what_de):
    return ("decimal", "greaterThanOrEqual", "0", None,
            w.t(f"{what_en}: a number, 0 or more", f"{what_de}: Zahl ab 0"))


def _period_rule(w):
    return ("textLength", "lessThanOrEqual", "20", None,
            w.t("The period's name, e.g. 2026-10", "Name des Zeitraums, z. B. 2026-10"))


def _ratio(w, condition_cells, denominator, numerator, undefined_en, undefined_de, check=None):
    """A row formula: blank until the inputs are there, readable text when undefined."""
    guard = f"COUNT({condition_cells})<{condition_cells.count(',') + 1}" \
        if "," in condition_cells else f"COUNT({condition_cells})<1"
    text = w.t(undefined_en, undefined_de)
    inner = f'IF({denominator}=0,"{text}",{numerator}/{denominator})'
    if check:
        inner = f'IF({check},"{w.check}",{inner})'
    return f'=IF({guard},"",{inner})'


def retention(lang: str) -> Workbook:
    w = WORDS[lang]
    cols = [w.t("Period", "Zeitraum"), w.t("CustomersStart", "KundenAnfang"),
            w.t("CustomersEnd", "KundenEnde"), w.t("NewCustomers", "Neukunden"),
            w.t("LostCustomers", "VerloreneKunden")]
    rate, churn = w.t("RetentionRate", "Bindungsrate"), w.t("ChurnRate", "Abwanderungsrate")
    calculated = {
        rate: _ratio(w, "B{r},C{r},D{r}", "B{r}", "(C{r}-D{r})", "no customers at start",
                     "keine Kunden am Anfang", check="OR(C{r}-D{r}<0,C{r}-D{r}>B{r})"),
        churn: _ratio(w, "B{r},E{r}", "B{r}", "E{r}", "no customers at start",
                      "keine Kunden am Anfang", check="E{r}>B{r}+IF(ISNUMBER(D{r}),D{r},0)"),
    }
    inputs = [(cols[0], _period_rule(w)),
              (cols[1], _count_rule(w, "Customers at the start", "Kunden am Anfang")),
              (cols[2], _count_rule(w, "Customers at the end", "Kunden am Ende")),
              (cols[3], _count_rule(w, "New customers in the period", "Neukunden")),
              (cols[4], _count_rule(w, "Customers lost in the period", "Verlorene Kunden"))]
    named = [(rate, "retention_rate", "0.0%", w.t("Retention rate", "Kundenbindungsrate")),
             (churn, "churn_rate", "0.0%", w.t("Churn rate", "Abwanderungsrate"))]
    return _period_workbook(lang, w.t("Retention and churn", "Kundenbindung und Abwanderung"),
                            "Retention", inputs, calculated, named, [
        w.t("Retention rate = (customers at the end - new customers) / customers at the start. "
            "Churn rate = customers lost / customers at the start.",
            "Bindungsrate = (Kunden am Ende - Neukunden) / Kunden am Anfang. Abwanderungsrate "
            "= verlorene Kunden / Kunden am Anfang.")])


def value(lang: str) -> Workbook:
    w = WORDS[lang]
    cols = [w.t("Period", "Zeitraum"), w.t("Revenue", "Umsatz"), w.t("Orders", "Bestellungen"),
            w.t("Customers", "Kunden"), w.t("LifespanYears", "LebensdauerJahre"),
            w.t("MarketingSpend", "Marketingkosten"), w.t("SalesSpend", "Vertriebskosten"),
            w.t("NewCustomers", "Neukunden")]
    apv, freq, cv = (w.t("PurchaseValue", "Bestellwert"), w.t("Frequency", "Kauffrequenz"),
                     w.t("CustomerValue", "Kundenwert"))
    clv, cac, ratio = "CLV", "CAC", "CLV_CAC"
    calculated = {
        apv: _ratio(w, "B{r},C{r}", "C{r}", "B{r}", "no orders", "keine Bestellungen"),
        freq: _ratio(w, "C{r},D{r}", "D{r}", "C{r}", "no customers", "keine Kunden",
                     check="D{r}>C{r}"),
        cv: '=IF(OR(I{r}="",J{r}=""),"",IF(ISTEXT(I{r}),I{r},IF(ISTEXT(J{r}),J{r},'
            'I{r}*J{r})))',
        clv: '=IF(OR(K{r}="",E{r}=""),"",IF(ISTEXT(K{r}),K{r},K{r}*E{r}))',
        cac: '=IF(COUNT(F{r},H{r})<2,"",IF(H{r}=0,"' + w.t("no new customers",
                                                             "keine Neukunden")
             + '",(F{r}+IF(ISNUMBER(G{r}),G{r},0))/H{r}))',
        ratio: '=IF(OR(L{r}="",M{r}=""),"",IF(OR(ISTEXT(L{r}),ISTEXT(M{r})),"' + w.t(
            "not defined", "nicht definiert") + '",IF(M{r}=0,"' + w.t(
            "not defined", "nicht definiert") + '",L{r}/M{r})))',
    }
    inputs = [(cols[0], _period_rule(w)),
              (cols[1], _amount_rule(w, "Revenue of the last 12 months",
                                     "Umsatz der letzten 12 Monate")),
              (cols[2], _count_rule(w, "Orders of the last 12 months", "Bestellungen")),
              (cols[3], _count_rule(w, "Customers who ordered in those 12 months", "Kunden")),
              (cols[4], _amount_rule(w, "Average customer lifespan in years", "Lebensdauer")),
              (cols[5], _amount_rule(w, "Marketing spend in the period", "Marketingkosten")),
              (cols[6], _amount_rule(w, "Sales spend in the period (optional)",
                                     "Vertriebskosten (freiwillig)")),
              (cols[7], _count_rule(w, "New customers in the period", "Neukunden"))]
    named = [(apv, "average_purchase_value", "#,##0.00",
              w.t("Average purchase value", "Durchschnittlicher Bestellwert")),
             (freq, "purchase_frequency", "0.00", w.t("Purchase frequency", "Kauffrequenz")),
             (cv, "customer_value", "#,##0.00", w.t("Customer value", "Kundenwert")),
             (clv, "customer_lifetime_value", "#,##0.00", "Customer lifetime value"),
             (cac, "customer_acquisition_cost", "#,##0.00",
              w.t("Customer acquisition cost", "Kundengewinnungskosten")),
             (ratio, "clv_cac_ratio", "0.00", "CLV : CAC")]
    return _period_workbook(lang, w.t("Customer value, CLV and CAC",
                                      "Kundenwert, CLV und CAC"), "Value", inputs, calculated,
                            named, [
        w.t("Enter revenue, orders and customers of the 12 months up to each period (so the "
            "frequency is per year), the average customer lifespan in years, and the period's "
            "spend and new customers.",
            "Tragen Sie Umsatz, Bestellungen und Kunden der 12 Monate bis zum Zeitraum ein "
            "(dann ist die Kauffrequenz pro Jahr), die Kundenlebensdauer in Jahren sowie "
            "Kosten und Neukunden des Zeitraums."),
        w.t("Purchase value = revenue / orders; frequency = orders / customers; customer value "
            "= value x frequency; CLV = customer value x lifespan; CAC = (marketing + sales "
            "spend) / new customers.",
            "Bestellwert = Umsatz / Bestellungen; Kauffrequenz = Bestellungen / Kunden; "
            "Kundenwert = Bestellwert x Frequenz; CLV = Kundenwert x Lebensdauer; CAC = "
            "(Marketing- + Vertriebskosten) / Neukunden.")])


def programme(lang: str) -> Workbook:
    w = WORDS[lang]
    cols = [w.t("Period", "Zeitraum"), w.t("Customers", "Kunden"), w.t("Members", "Mitglieder"),
            w.t("PointsIssued", "PunkteAusgegeben"), w.t("PointsRedeemed", "PunkteEingelöst"),
            w.t("ActiveMembers", "AktiveMitglieder")]
    part, red, act = (w.t("Participation", "Teilnahme"), w.t("Redemption", "Einlösung"),
                      w.t("ActiveEngagement", "AktiveNutzung"))
    calculated = {
        part: _ratio(w, "B{r},C{r}", "B{r}", "C{r}", "no customers", "keine Kunden",
                     check="C{r}>B{r}"),
        red: _ratio(w, "D{r},E{r}", "D{r}", "E{r}", "no points issued",
                    "keine Punkte ausgegeben"),
        act: _ratio(w, "C{r},F{r}", "C{r}", "F{r}", "no members", "keine Mitglieder",
                    check="F{r}>C{r}"),
    }
    inputs = [(cols[0], _period_rule(w)),
              (cols[1], _count_rule(w, "All customers", "Alle Kunden")),
              (cols[2], _count_rule(w, "Programme members", "Programmmitglieder")),
              (cols[3], _amount_rule(w, "Points issued in the period", "Ausgegebene Punkte")),
              (cols[4], _amount_rule(w, "Points redeemed in the period", "Eingelöste Punkte")),
              (cols[5], _count_rule(w, "Members who earned or redeemed in the last 90 days",
                                    "Mitglieder mit Punkten in 90 Tagen"))]
    named = [(part, "participation_rate", "0.0%", w.t("Participation rate", "Teilnahmequote")),
             (red, "redemption_rate", "0.0%", w.t("Redemption rate", "Einlösequote")),
             (act, "active_engagement_rate", "0.0%", w.t("Active engagement rate",
                                                          "Aktive Nutzung"))]
    return _period_workbook(lang, w.t("Loyalty programme", "Kundenprogramm"), "Programme",
                            inputs, calculated, named, [
        w.t("Participation = members / all customers; redemption = points redeemed / points "
            "issued (can exceed 100% when earlier points are redeemed); active engagement = "
            "members active in the last 90 days / members.",
            "Teilnahme = Mitglieder / alle Kunden; Einlösung = eingelöste / ausgegebene Punkte "
            "(über 100%, wenn frühere Punkte eingelöst werden); aktive Nutzung = in 90 Tagen "
            "aktive Mitglieder / Mitglieder.")])


BUILDERS = {"survey": survey, "retention": retention, "value": value, "programme": programme}


def write_all(folder: Path) -> list[Path]:
    paths = []
    for kind, builder in BUILDERS.items():
        for lang in ("en", "de"):
            path = Path(folder) / file_name(kind, lang)
            save_workbook_reproducibly(builder(lang), path)
            paths.append(path)
    return paths


if __name__ == "__main__":
    from loyalty_xl.report import TEMPLATE_DIR

    for written in write_all(TEMPLATE_DIR):
        print(written)
