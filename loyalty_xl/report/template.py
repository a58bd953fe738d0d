"""The monthly report templates (English, German), generated with openpyxl.

``python -m loyalty_xl.report.template`` rewrites ``workbook_templates/monthly_report_*.xlsx``;
a test checks that the committed files are what this produces. Staff may restyle or move things
in Excel afterwards: the builder finds the placeholders wherever they are.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo

from loyalty_xl.files import save_workbook_reproducibly
from loyalty_xl.report.catalogue import (
    BY_KEY,
    KPIS,
    TABLE_COLUMNS,
    TEXT,
    column_format,
    column_label,
)

LANGS = ("en", "de")
SUMMARY_KPIS = ["nps", "csat", "ces", "cli", "retention_rate", "churn_rate",
                "repeat_purchase_rate", "average_purchase_value", "purchase_frequency",
                "customer_value", "customer_lifetime_value", "customer_acquisition_cost",
                "clv_cac_ratio", "participation_rate", "redemption_rate",
                "active_engagement_rate", "customers", "new_customers", "lost_customers",
                "orders", "revenue"]
FIXED_TIME = dt.datetime(2026, 1, 1)  # reproducible files: no "created now"

NAVY, LIGHT, GREEN, RED = "1F3864", "D9E2F3", "1E7B34", "C00000"
HEADER = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor=NAVY)
BAND = PatternFill("solid", fgColor=LIGHT)
THIN = Border(bottom=Side(style="thin", color="BFBFBF"))


def template_path(folder: Path, lang: str) -> Path:
    return Path(folder) / f"monthly_report_{lang}.xlsx"


def build(lang: str) -> Workbook:
    t = TEXT[lang]
    wb = Workbook()
    wb.properties.creator = "loyalty_xl"
    wb.properties.created = wb.properties.modified = FIXED_TIME
    wb.properties.title = t["title"]
    summary = wb.active
    summary.title = t["summary_sheet"]
    periods = wb.create_sheet(t["periods_sheet"])
    charts = wb.create_sheet(t["charts_sheet"])
    cohorts = wb.create_sheet(t["cohorts_sheet"])
    quality = wb.create_sheet(t["quality_sheet"])
    about = wb.create_sheet(t["about_sheet"])
    _summary(summary, lang)
    _periods(periods, lang)
    _charts(charts, periods, lang)
    _block(cohorts, t["cohorts_title"], "{{cohorts}}")
    _block(quality, t["quality_title"], "{{quality}}",
           f"{t['excluded']}: {{{{text:excluded_total}}}}")
    _about(about, lang)
    wb.calculation.fullCalcOnLoad = True  # Excel computes the change formulas on open
    return wb


def landscape(ws):
    """Print landscape, fitted to the page width."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _title(ws, text):
    ws["A1"] = text
    ws["A1"].font = Font(size=16, bold=True, color=NAVY)
    ws.row_dimensions[1].height = 24


def _summary(ws, lang):
    t = TEXT[lang]
    _title(ws, f"{t['title']} {{{{text:period}}}}")
    ws["A2"] = t["generated"]
    ws["B2"] = "{{text:generated_at}}"
    ws["A2"].font = ws["B2"].font = Font(italic=True, color="595959")
    headers = [t["kpi"], t["current"], t["previous"], t["change"], "", t["year_ago"],
               t["change"], ""]
    ws.row_dimensions[4].height = 32
    for col, text in enumerate(headers, 1):
        cell = ws.cell(4, col, text)
        cell.font, cell.fill = HEADER, HEADER_FILL
        cell.alignment = Alignment(horizontal="center" if col > 1 else "left", wrap_text=True)
    row = 5
    for key in SUMMARY_KPIS:
        kpi = BY_KEY[key]
        _summary_row(ws, row, kpi.label(lang), key, kpi.number_format, kpi.better)
        row += 1
        if key == "nps":
            ws.cell(row, 1, t["interval"]).alignment = Alignment(indent=1)
            for col, when in ((2, ""), (3, "_previous"), (6, "_year_ago")):
                ws.cell(row, col, f"{{{{text:nps_interval{when}}}}}").alignment = \
                    Alignment(horizontal="right")
            row += 1
    last = row - 1
    for r in range(5, last + 1):
        if r % 2:
            for col in range(1, 9):
                ws.cell(r, col).fill = BAND
    ws.cell(row + 1, 1, t["segments"]).font = Font(bold=True, color=NAVY, size=12)
    ws.cell(row + 2, 1, "{{segments}}")
    widths = [38, 15, 15, 12, 4, 17, 12, 4]
    for col, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = "B5"
    landscape(ws)


def _summary_row(ws, row, label, key, number_format, better):
    ws.cell(row, 1, label)
    cells = {2: f"{{{{kpi:{key}}}}}", 3: f"{{{{kpi:{key}:previous}}}}",
             6: f"{{{{kpi:{key}:year_ago}}}}"}
    for col, text in cells.items():
        ws.cell(row, col, text).number_format = number_format
    for change, base, other, arrow in (("D", "B", "C", "E"), ("G", "B", "F", "H")):
        ws[f"{change}{row}"] = (f'=IF(AND(ISNUMBER({base}{row}),ISNUMBER({other}{row})),'
                                f'{base}{row}-{other}{row},"")')
        ws[f"{change}{row}"].number_format = "+" + number_format + ";-" + number_format
        ws[f"{arrow}{row}"] = (f'=IF(ISNUMBER({change}{row}),IF({change}{row}>0,"▲",'
                               f'IF({change}{row}<0,"▼","►")),"")')
        ws[f"{arrow}{row}"].alignment = Alignment(horizontal="center")
        if better:
            good, bad = (">", "<") if better > 0 else ("<", ">")
            target = f"{change}{row}:{arrow}{row}"
            test = f"ISNUMBER(${change}{row})"
            ws.conditional_formatting.add(target, FormulaRule(
                formula=[f"AND({test},${change}{row}{good}0)"], font=Font(color=GREEN,
                                                                          bold=True)))
            ws.conditional_formatting.add(target, FormulaRule(
                formula=[f"AND({test},${change}{row}{bad}0)"], font=Font(color=RED, bold=True)))


def _periods(ws, lang):
    for col, key in enumerate(TABLE_COLUMNS, 1):
        ws.cell(1, col, column_label(key, lang))
        cell = ws.cell(2, col, f"{{{{col:{key}}}}}")
        cell.number_format = column_format(key)
        ws.column_dimensions[get_column_letter(col)].width = 14 if col > 1 else 10
    ws.row_dimensions[1].height = 45
    for col in range(1, len(TABLE_COLUMNS) + 1):
        ws.cell(1, col).alignment = Alignment(wrap_text=True, vertical="top")
    ref = f"A1:{get_column_letter(len(TABLE_COLUMNS))}2"
    table = Table(displayName="Periods", ref=ref)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(table)
    ws.freeze_panes = "B2"
    landscape(ws)
    ws.page_setup.fitToWidth = 3  # 29 columns: readable on three pages, not tiny on one
    ws.print_title_cols = "A:A"


def _series_ref(periods, key):
    col = TABLE_COLUMNS.index(key) + 1
    return Reference(periods, min_col=col, min_row=1, max_row=2)


def _chart(kind, title, periods, keys, y_format, anchor, ws, y_title=None):
    chart = kind()
    chart.title = title
    chart.height, chart.width = 7.5, 16
    for key in keys:
        chart.add_data(_series_ref(periods, key), titles_from_data=True)
    chart.set_categories(Reference(periods, min_col=1, min_row=2, max_row=2))
    for series in chart.series:
        series.smooth = False  # a trend is drawn point to point, not as a guessed curve
    chart.y_axis.number_format = y_format
    chart.y_axis.majorGridlines = chart.y_axis.majorGridlines
    chart.y_axis.delete = False
    chart.x_axis.delete = False
    if y_title:
        chart.y_axis.title = y_title
    chart.legend.position = "b"
    ws.add_chart(chart, anchor)


def _charts(ws, periods, lang):
    t = TEXT[lang]
    _title(ws, t["charts_sheet"])
    _chart(LineChart, t["chart_nps"], periods, ["nps", "nps_low", "nps_high"], "0", "A3", ws)
    _chart(LineChart, t["chart_retention"], periods, ["retention_rate", "churn_rate"], "0%",
           "K3", ws)
    _chart(BarChart, t["chart_clv"], periods, ["customer_lifetime_value",
                                               "customer_acquisition_cost"], "#,##0", "A19", ws)
    _chart(LineChart, t["chart_programme"], periods, ["participation_rate", "redemption_rate",
                                                      "active_engagement_rate"], "0%", "K19", ws)
    landscape(ws)


def _block(ws, title, anchor, subtitle=None):
    _title(ws, title)
    if subtitle:
        ws["A2"] = subtitle
        ws["A2"].font = Font(italic=True)
    ws["A4"] = anchor
    landscape(ws)


def _about(ws, lang):
    t = TEXT[lang]
    _title(ws, t["about_title"])
    rows = [(t["period"], "{{text:period_range}}"), (t["generated"], "{{text:generated_at}}"),
            (t["inputs"], "{{text:inputs}}"), (t["settings"], "{{text:settings}}"),
            (t["version"], "{{text:version}}")]
    for r, (label, value) in enumerate(rows, 3):
        ws.cell(r, 1, label).font = Font(bold=True)
        ws.cell(r, 2, value).alignment = Alignment(wrap_text=True, vertical="top")
    start = len(rows) + 5
    ws.cell(start, 1, t["definitions"]).font = Font(bold=True, size=12, color=NAVY)
    for r, kpi in enumerate(KPIS, start + 1):
        ws.cell(r, 1, kpi.label(lang)).border = THIN
        ws.cell(r, 2, kpi.definition(lang)).border = THIN
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 90
    landscape(ws)


def write_templates(folder: Path) -> list[Path]:
    paths = []
    for lang in LANGS:
        path = template_path(folder, lang)
        save_workbook_reproducibly(build(lang), path)
        paths.append(path)
    return paths


if __name__ == "__main__":
    from loyalty_xl.report import TEMPLATE_DIR

    for written in write_templates(TEMPLATE_DIR):
        print(written)
