"""The monthly report templates (English, German), generated with openpyxl.

``python -m loyalty_xl.report.template`` rewrites ``workbook_templates/monthly_report_*.xlsx``;
a test checks that the committed files are what this produces. Staff may restyle or move things
in Excel afterwards: the builder finds the placeholders wherever they are. Every word comes from
:mod:`loyalty_xl.texts`; text that depends on the settings in force (definitions, the cohort
title) is a placeholder the builder fills.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.marker import Marker
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.chart.text import RichText
from openpyxl.drawing.line import LineProperties
from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo

from loyalty_xl.files import REPRODUCIBLE_TIME, save_workbook_reproducibly
from loyalty_xl.report.catalogue import (
    BY_KEY,
    KPIS,
    TABLE_COLUMNS,
    change_format,
    column_format,
    column_label,
)
from loyalty_xl.report.layout import fit_rows, one_page
from loyalty_xl.texts import LANGS, Texts

SUMMARY_KPIS = ["nps", "csat", "ces", "cli", "retention_rate", "churn_rate",
                "repeat_purchase_rate", "average_purchase_value", "purchase_frequency",
                "customer_value", "customer_lifetime_value", "customer_acquisition_cost",
                "clv_cac_ratio", "participation_rate", "redemption_rate",
                "active_engagement_rate", "customers", "new_customers", "lost_customers",
                "orders", "revenue"]
DEFINITIONS = ["active", *(k.key for k in KPIS), "warm_up"]

NAVY, LIGHT, GREEN, RED, GREY = "1F3864", "D9E2F3", "1E7B34", "C00000", "8C8C8C"
HEADER = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor=NAVY)
BAND = PatternFill("solid", fgColor=LIGHT)
THIN = Border(bottom=Side(style="thin", color="BFBFBF"))
WRAP_TOP = Alignment(wrap_text=True, vertical="top")


def template_path(folder: Path, lang: str) -> Path:
    return Path(folder) / f"monthly_report_{lang}.xlsx"


def build(lang: str) -> Workbook:
    t = Texts(lang)
    wb = Workbook()
    wb.properties.creator = "loyalty_xl"
    wb.properties.created = wb.properties.modified = REPRODUCIBLE_TIME
    wb.properties.title = t("title")
    summary = wb.active
    summary.title = t("summary_sheet")
    periods = wb.create_sheet(t("periods_sheet"))
    charts = wb.create_sheet(t("charts_sheet"))
    cohorts = wb.create_sheet(t("cohorts_sheet"))
    quality = wb.create_sheet(t("quality_sheet"))
    about = wb.create_sheet(t("about_sheet"))
    _summary(summary, t)
    _periods(periods, t)
    _charts(charts, periods, t)
    _block(cohorts, "{{text:cohorts_title}}", "{{cohorts}}")
    _block(quality, t("quality_title"), "{{quality}}",
           f"{t('excluded')}: {{{{text:excluded_total}}}}")
    _about(about, t)
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


def _summary(ws, t):
    _title(ws, f"{t('title')} {{{{text:period}}}}")
    ws["A2"] = t("generated")
    ws["B2"] = "{{text:generated_at}}"
    ws["A2"].font = ws["B2"].font = Font(italic=True, color="595959")
    headers = [t("kpi"), t("current"), t("previous"), t("change"), "", t("year_ago"),
               t("change"), ""]
    for col, text in enumerate(headers, 1):
        cell = ws.cell(4, col, text)
        cell.font, cell.fill = HEADER, HEADER_FILL
        cell.alignment = Alignment(horizontal="center" if col > 1 else "left",
                                   vertical="center", wrap_text=True)
    row = 5
    for key in SUMMARY_KPIS:
        _summary_row(ws, row, BY_KEY[key], t.lang)
        row += 1
        if key == "nps":
            ws.cell(row, 1, t("interval")).alignment = Alignment(indent=1)
            for col, when in ((2, ""), (3, "_previous"), (6, "_year_ago")):
                ws.cell(row, col, f"{{{{text:nps_interval{when}}}}}").alignment = \
                    Alignment(horizontal="right")
            row += 1
    last = row - 1
    for r in range(5, last + 1):
        if r % 2:
            for col in range(1, 9):
                ws.cell(r, col).fill = BAND
    note = ws.cell(row, 1, t("pp_note"))
    note.font = Font(italic=True, color="595959", size=9)
    ws.cell(row + 1, 1, t("segments")).font = Font(bold=True, color=NAVY, size=12)
    ws.cell(row + 2, 1, "{{segments}}")
    widths = [38, 16, 16, 13, 10, 17, 13, 10]  # E, H: arrows or the warm-up mark
    for col, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(col)].width = width
    fit_rows(ws, {4})
    ws.freeze_panes = "B5"
    landscape(ws)


def _summary_row(ws, row, kpi, lang):
    ws.cell(row, 1, kpi.label(lang))
    number_format = kpi.number_format(lang)
    cells = {2: f"{{{{kpi:{kpi.key}}}}}", 3: f"{{{{kpi:{kpi.key}:previous}}}}",
             6: f"{{{{kpi:{kpi.key}:year_ago}}}}"}
    for col, text in cells.items():
        ws.cell(row, col, text).number_format = number_format
    scale = "100*" if kpi.is_rate else ""  # rates change in percentage points
    for change, base, other, arrow in (("D", "B", "C", "E"), ("G", "B", "F", "H")):
        ws[f"{change}{row}"] = (f'=IF(AND(ISNUMBER({base}{row}),ISNUMBER({other}{row})),'
                                f'{scale}({base}{row}-{other}{row}),"")')
        ws[f"{change}{row}"].number_format = change_format(kpi.kind, lang)
        ws[f"{arrow}{row}"] = (f'=IF(ISNUMBER({change}{row}),IF({change}{row}>0,"▲",'
                               f'IF({change}{row}<0,"▼","►")),"")')
        ws[f"{arrow}{row}"].alignment = Alignment(horizontal="center")
        if kpi.better:
            good, bad = (">", "<") if kpi.better > 0 else ("<", ">")
            target = f"{change}{row}:{arrow}{row}"
            test = f"ISNUMBER(${change}{row})"
            ws.conditional_formatting.add(target, FormulaRule(
                formula=[f"AND({test},${change}{row}{good}0)"], font=Font(color=GREEN,
                                                                          bold=True)))
            ws.conditional_formatting.add(target, FormulaRule(
                formula=[f"AND({test},${change}{row}{bad}0)"], font=Font(color=RED, bold=True)))


def header_width(key) -> float:
    """A period-table column wide enough for the longest word of its header in any language."""
    words = [w for lang in LANGS for w in column_label(key, lang).split()]
    return max(11.0, max(len(w) for w in words) + 3.0)


def _periods(ws, t):
    for col, key in enumerate(TABLE_COLUMNS, 1):
        cell = ws.cell(1, col, column_label(key, t.lang))
        cell.alignment = WRAP_TOP
        cell = ws.cell(2, col, f"{{{{col:{key}}}}}")
        cell.number_format = column_format(key, t.lang)
        ws.column_dimensions[get_column_letter(col)].width = header_width(key)
    # the header row is as high as the longest header needs in either language
    ws.row_dimensions[1].height = max(
        fit_height(column_label(k, lang), header_width(k)) for k in TABLE_COLUMNS
        for lang in LANGS)
    ref = f"A1:{get_column_letter(len(TABLE_COLUMNS))}2"
    table = Table(displayName="Periods", ref=ref)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(table)
    ws.freeze_panes = "B2"
    landscape(ws)
    ws.page_setup.fitToWidth = 3  # 31 columns: readable on three pages, not tiny on one
    ws.print_title_cols = "A:A"


def fit_height(text, width):
    from loyalty_xl.report.layout import LINE_POINTS, lines_needed

    return lines_needed(text, width) * LINE_POINTS + 4


def _series_ref(periods, key):
    col = TABLE_COLUMNS.index(key) + 1
    return Reference(periods, min_col=col, min_row=1, max_row=2)


def _small_text(rotation=None):
    """Axis labels at 8 pt (optionally rotated, in degrees), so period labels stay on one line."""
    from openpyxl.drawing.text import RichTextProperties

    body = RichTextProperties(rot=int(rotation * 60000) if rotation else None, vert="horz")
    return RichText(bodyPr=body, p=[Paragraph(pPr=ParagraphProperties(
        defRPr=CharacterProperties(sz=800)), endParaRPr=CharacterProperties(sz=800))])


def _chart_title(text, size=1200):
    """A chart title at ``size`` hundredths of a point (the default 18 pt crowds the plot)."""
    from openpyxl.chart.text import Text
    from openpyxl.chart.title import Title
    from openpyxl.drawing.text import RegularTextRun

    bold = CharacterProperties(sz=size, b=True)
    paragraph = Paragraph(pPr=ParagraphProperties(defRPr=bold), r=[RegularTextRun(
        rPr=bold, t=text)])
    return Title(tx=Text(rich=RichText(p=[paragraph])), overlay=False)


def _chart(kind, title, periods, keys, y_format, anchor, ws, t, y_title, colours):
    chart = kind()
    chart.title = _chart_title(title)
    chart.height, chart.width = 8, 15
    for key in keys:
        chart.add_data(_series_ref(periods, key), titles_from_data=True)
    label_col = TABLE_COLUMNS.index("period_label") + 1
    chart.set_categories(Reference(periods, min_col=label_col, min_row=2, max_row=2))
    for series, (colour, dashed) in zip(chart.series, colours):
        series.smooth = False  # a trend is drawn point to point, not as a guessed curve
        if kind is BarChart:
            series.graphicalProperties = GraphicalProperties(
                solidFill=colour, ln=LineProperties(solidFill=colour))
        else:  # the interval's ends: thin grey dashes, no markers; a KPI: a solid line
            series.graphicalProperties = GraphicalProperties(ln=LineProperties(
                solidFill=colour, w=12700 if dashed else 28575,
                prstDash="dash" if dashed else "solid"))
            series.marker = Marker(symbol="none") if dashed else Marker(
                symbol="circle", size=5, spPr=GraphicalProperties(
                    solidFill=colour, ln=LineProperties(solidFill=colour)))
    chart.y_axis.number_format = y_format
    chart.y_axis.delete = False
    chart.x_axis.delete = False
    chart.y_axis.title = y_title
    chart.x_axis.title = t("axis_period")
    chart.x_axis.txPr = _small_text()
    chart.y_axis.txPr = _small_text()
    chart.legend.position = "b"
    ws.add_chart(chart, anchor)
    return chart


def _charts(ws, periods, t):
    _title(ws, t("charts_sheet"))
    navy, grey, green, orange = NAVY, "A6A6A6", "548235", "C55A11"
    _chart(LineChart, t("chart_nps"), periods, ["nps", "nps_low", "nps_high"], "0", "A3", ws,
           t, t("axis_points"), [(navy, False), (grey, True), (grey, True)])
    _chart(LineChart, t("chart_retention"), periods, ["retention_rate"], "0%", "J3", ws, t,
           t("axis_share"), [(green, False)])
    _chart(LineChart, t("chart_churn"), periods, ["churn_rate"], "0%", "A20", ws, t,
           t("axis_share"), [(orange, False)])
    _chart(BarChart, t("chart_clv"), periods, ["customer_lifetime_value",
                                               "customer_acquisition_cost"], "#,##0", "J20",
           ws, t, "{{text:money_axis}}", [(navy, False), (orange, False)])
    _chart(LineChart, t("chart_programme"), periods, ["participation_rate", "redemption_rate",
                                                      "active_engagement_rate"], "0%", "A37",
           ws, t, t("axis_rate"), [(navy, False), (green, False), (orange, False)])
    one_page(ws, landscape=True)


def _block(ws, title, anchor, subtitle=None):
    _title(ws, title)
    if subtitle:
        ws["A2"] = subtitle
        ws["A2"].font = Font(italic=True)
    ws["A4"] = anchor
    landscape(ws)


def _about(ws, t):
    _title(ws, t("about_title"))
    rows = [(t("period"), "{{text:period_range}}"), (t("generated"), "{{text:generated_at}}"),
            (t("inputs"), "{{text:inputs}}"), (t("settings"), "{{text:settings}}"),
            (t("version"), "{{text:version}}")]
    for r, (label, value) in enumerate(rows, 3):
        ws.cell(r, 1, label).font = Font(bold=True)
        ws.cell(r, 1).alignment = WRAP_TOP
        ws.cell(r, 2, value).alignment = WRAP_TOP
    start = len(rows) + 4
    ws.cell(start, 1, t("definitions")).font = Font(bold=True, size=12, color=NAVY)
    for r, key in enumerate(DEFINITIONS, start + 1):
        label = column_label(key, t.lang)
        ws.cell(r, 1, label).border = THIN
        ws.cell(r, 1).alignment = WRAP_TOP
        ws.cell(r, 2, f"{{{{def:{key}}}}}").border = THIN
        ws.cell(r, 2).alignment = WRAP_TOP
    ws.column_dimensions["A"].width = 44
    ws.column_dimensions["B"].width = 95
    landscape(ws)
    ws.page_setup.orientation = "portrait"


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
