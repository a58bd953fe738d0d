"""The report's "customer value" sheet: predicted customer value from BG/NBD and Gamma-Gamma.

Built after the template is filled, from the engine's per-customer summary (``analyse(...,
predict=True)``, see ``engine/rfm.py``): the fitted parameters, the distribution of predicted
CLV (by decile, with a chart) and the customers most at risk (most repeat spend so far, P(alive)
below one half). When the data cannot support a fit, the sheet says why instead of failing the
report.
"""

from __future__ import annotations

import numpy as np

from loyalty_xl.errors import InputError
from loyalty_xl.texts import TEXTS, Texts

HORIZON_MONTHS = 12
AT_RISK_BELOW = 0.5  # P(alive) under which a customer counts as at risk
AT_RISK_ROWS = 20

def predict(summary):
    """The fitted models and per-customer predictions for the sheet, or the reason there are
    none (a one-line InputError message from the models)."""
    from loyalty_xl.kpis import predictive

    try:
        table = predictive.predict_clv(summary, horizon_months=HORIZON_MONTHS)
    except InputError as err:
        return None, str(err)
    return table, None


def add_sheet(wb, summary, *, lang: str = "en"):
    """Add the customer-value sheet to the workbook ``wb`` (openpyxl), from the per-customer
    summary; returns the sheet."""
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Alignment, Font, PatternFill

    words = Texts(lang)
    t = {key[len("clv."):]: words(key) for key in TEXTS if key.startswith("clv.")}
    ws = wb.create_sheet(t["sheet"])
    bold, header_font = Font(bold=True), Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="1F3864")
    ws["A1"] = t["title"].format(months=HORIZON_MONTHS)
    ws["A1"].font = Font(bold=True, size=14)
    customers = words.number(len(summary))
    ws["A2"] = t["basis"].format(customers=customers, end=summary.attrs.get("end", ""))
    ws["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells("A2:G2")
    ws.row_dimensions[2].height = 45
    for column, width in zip("ABCDEFG", (32, 14, 14, 14, 14, 14, 14)):
        ws.column_dimensions[column].width = width
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    table, reason = predict(summary)
    if table is None:
        ws["A4"] = t["no_fit"].format(reason=reason.rstrip("."))
        ws["A4"].font = bold
        return ws

    def header(row, labels):
        for col, label in enumerate(labels, start=1):
            cell = ws.cell(row, col, label)
            cell.font, cell.fill = header_font, header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        if len(labels) > 2:
            ws.row_dimensions[row].height = 30

    bg, gg = table.attrs["bgnbd"], table.attrs["gamma_gamma"]
    row = 4
    ws.cell(row, 1, t["parameters"]).font = bold
    header(row + 1, [t["parameter"], t["value"]])
    params = [(t["r"], bg.r), (t["alpha"], bg.alpha), (t["a"], bg.a), (t["b"], bg.b),
              (t["p"], gg.p), (t["q"], gg.q), (t["v"], gg.v),
              (t["mean_spend"], gg.mean_spend if np.isfinite(gg.mean_spend) else None),
              (t["customers"], bg.n), (t["repeat"], gg.n)]
    for i, (label, value) in enumerate(params, start=row + 2):
        ws.cell(i, 1, label)
        cell = ws.cell(i, 2, value)
        cell.number_format = "#,##0" if isinstance(value, int) else "0.000"
    row = row + 2 + len(params) + 1
    for note in table.attrs.get("notes", []):
        ws.cell(row, 1, t["notes"].format(note=note))
        row += 1

    # Distribution: customers sorted by predicted CLV, cut into ten equal groups.
    ws.cell(row, 1, t["distribution"]).font = bold
    header(row + 1, [t["decile"], t["customers"], t["mean_clv"], t["up_to"],
                     t["expected_purchases"]])
    clv = table["clv"].to_numpy()
    order = np.argsort(clv, kind="stable")
    groups = np.array_split(order, 10)
    first = row + 2
    for k, members in enumerate(groups, start=1):
        r = first + k - 1
        ws.cell(r, 1, f"{k}")
        ws.cell(r, 2, int(members.size)).number_format = "#,##0"
        values = clv[members]
        ws.cell(r, 3, float(values.mean()) if values.size else None).number_format = "#,##0.00"
        ws.cell(r, 4, float(values.max()) if values.size else None).number_format = "#,##0.00"
        purchases = table["expected_purchases"].to_numpy()[members]
        ws.cell(r, 5, float(purchases.mean()) if purchases.size else None).number_format = \
            "0.00"
    last = first + len(groups) - 1
    ws.cell(last + 1, 1, t["total"]).font = bold
    ws.cell(last + 1, 3, float(clv.sum())).number_format = "#,##0"
    chart = BarChart()
    chart.type, chart.style = "col", 10
    chart.title = t["chart"]
    chart.y_axis.title, chart.x_axis.title = t["mean_clv"], t["decile"]
    chart.add_data(Reference(ws, min_col=3, min_row=first - 1, max_row=last),
                   titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    chart.legend = None
    chart.height, chart.width = 7, 14
    ws.add_chart(chart, "D4")

    # At risk: P(alive) below the threshold, most repeat spend so far first.
    row = last + 3
    ws.cell(row, 1, t["at_risk"].format(share=AT_RISK_BELOW)).font = bold
    header(row + 1, [t["customer"], t["repeat_purchases"], t["repeat_spend"],
                     t["weeks_since"], t["p_alive"], t["clv"]])
    spent = (summary["frequency"] * summary["monetary_value"]).to_numpy()
    risky = np.flatnonzero(table["p_alive"].to_numpy() < AT_RISK_BELOW)
    risky = risky[np.argsort(-spent[risky], kind="stable")][:AT_RISK_ROWS]
    if not risky.size:
        ws.cell(row + 2, 1, t["none_at_risk"])
    since = (summary["T"] - summary["recency"]).to_numpy()
    for i, k in enumerate(risky, start=row + 2):
        customer = summary.index[k]
        cell = ws.cell(i, 1, int(customer) if isinstance(customer, (int, np.integer))
                       else str(customer))
        cell.data_type = "s" if isinstance(cell.value, str) else cell.data_type  # never a formula
        ws.cell(i, 2, int(summary["frequency"].iloc[k]))
        ws.cell(i, 3, float(spent[k])).number_format = "#,##0.00"
        ws.cell(i, 4, float(since[k])).number_format = "0.0"
        ws.cell(i, 5, float(table["p_alive"].iloc[k])).number_format = "0%"
        ws.cell(i, 6, float(table["clv"].iloc[k])).number_format = "#,##0.00"
    return ws
