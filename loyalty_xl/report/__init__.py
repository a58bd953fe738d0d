"""The report builder: fills a workbook template with the period engine's result.

Placeholders are text cells anywhere in the template (see the README, "Customise the template"):

- ``{{kpi:KEY}}``, ``{{kpi:KEY:previous}}``, ``{{kpi:KEY:year_ago}}``: a KPI of the report's
  period, the period before, the same period a year earlier (KEY: a period-table column);
- ``{{text:NAME}}``, also inside other text: period, period_range, generated_at, version,
  inputs, settings, excluded_total, nps_interval (and nps_interval_previous/_year_ago);
- ``{{col:KEY}}``: one row of these inside an Excel Table is the period table's template row;
  the builder writes one row per period in its place, copies its styles, resizes the table and
  makes every chart series that pointed at that row cover exactly the filled periods;
- ``{{cohorts}}``, ``{{quality}}``, ``{{segments}}``: the top-left cell of the cohort matrix,
  the data-quality table and NPS by segment.

Text from the input data is always written as text, never as a formula.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from loyalty_xl import __version__
from loyalty_xl.errors import InputError, LoyaltyXLError
from loyalty_xl.report.catalogue import (
    BY_KEY,
    CURRENCIES,
    DEFAULT_CURRENCY,
    DERIVED,
    money_format,
)
from loyalty_xl.report.layout import fit_rows
from loyalty_xl.safe_text import cell_text
from loyalty_xl.texts import LANGS, TEXTS, Texts

PACKAGED = Path(__file__).resolve().parent.parent / "workbook_templates"
TEMPLATE_DIR = PACKAGED if PACKAGED.is_dir() else \
    Path(__file__).resolve().parents[2] / "workbook_templates"
PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)(?::([A-Za-z0-9_]+))?(?::([a-z_]+))?\s*\}\}")
TEXT_NAMES = {"period", "period_range", "generated_at", "version", "inputs", "settings",
              "excluded_total", "nps_interval", "nps_interval_previous", "nps_interval_year_ago",
              "cohorts_title", "money_axis"}
BLOCKS = {"cohorts", "quality", "segments"}
WHEN = {None: 0, "previous": 1, "year_ago": None}  # None: a year earlier


def default_template(lang: str = "en") -> Path:
    if lang not in LANGS:
        raise LoyaltyXLError(f"--lang must be one of {', '.join(LANGS)}", argument="lang",
                             value=lang, has_value=True)
    return TEMPLATE_DIR / f"monthly_report_{lang}.xlsx"


PER_YEAR = {"month": 12, "week": 52, "quarter": 4, "year": 1}


def periods_needed(kind: str, shown: int) -> int:
    """Periods to compute so that the report's period has its year-earlier comparison."""
    return max(shown, PER_YEAR[kind] + 1)


def check_currency(currency):
    """A currency code as written (eur -> EUR); None for the default. InputError otherwise."""
    if currency is None:
        return None
    code = str(currency).strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise InputError("currency must be a three-letter code such as EUR or USD",
                         argument="currency", value=currency, has_value=True)
    return code


def build_report(result, out, *, template=None, lang="en", force=False, generated_at=None,
                 segments=None, shown=None, currency=None) -> Path:
    """Fill ``template`` (default: the bundled one for ``lang``) and save it to ``out``.

    ``shown``: how many of the result's periods the period table, charts and cohort matrix
    show (default all); the summary's comparisons may reach further back (a year earlier).
    ``segments``: NPS by segment (default ``result.segments``, the engine's). ``currency``:
    the money's currency code (EUR, USD, GBP, CHF, JPY or any other code; default EUR, the
    bundled sample's currency and the euro area's, in either language's way of writing it).
    Writes atomically, refuses to overwrite an existing file unless ``force``, and never
    writes into the template.
    """
    import openpyxl

    from loyalty_xl.files import atomic_path, check_writable
    from loyalty_xl.workbook_limits import check_workbook

    currency = check_currency(currency)
    template = Path(template) if template else default_template(lang)
    if not template.exists():
        raise LoyaltyXLError(f"template {template} does not exist", argument="template")
    out = check_writable(Path(out), force=force, protected=(template,))
    check_workbook(template, role="template")  # size limits; no macros
    try:
        wb = openpyxl.load_workbook(template)
    except Exception as err:
        raise LoyaltyXLError(f"template {template} could not be read: "
                             f"{' '.join(str(err).split())[:200]}", argument="template") from None
    if segments is None:
        segments = getattr(result, "segments", None)
    _Filler(wb, template.name, result, lang, generated_at, segments, shown,
            currency or DEFAULT_CURRENCY).fill()
    if getattr(result, "customer_summary", None) is not None:  # analyse(..., predict=True)
        from loyalty_xl.report.customer_value import add_sheet
        add_sheet(wb, result.customer_summary, lang=lang)
    with atomic_path(out, force=force, protected=(template,)) as tmp:
        wb.save(tmp)
    return out


def set_text(cell, value):
    """Write data as text: a value starting with '=' stays a literal string, not a formula."""
    cell.value = cell_text(value)  # control characters a workbook cannot hold: U+FFFD
    if isinstance(value, str):
        cell.data_type = "s"


class _Filler:
    def __init__(self, wb, name, result, lang, generated_at, segments, shown, currency):
        self.wb, self.name, self.result, self.lang = wb, name, result, lang
        self.t = Texts(lang)
        self.currency = currency
        self.settings = result.settings
        self.full = _derived(result.periods.reset_index(drop=True), result, self.t)
        self.shown = min(shown or len(self.full), len(self.full))
        self.table = self.full.tail(self.shown).reset_index(drop=True)
        self.generated_at = generated_at or dt.datetime.now().replace(microsecond=0)
        self.segments = segments
        self.warm_marks = []  # (sheet, row, comparison) of summary rows that compare warm-up

    def fields(self) -> dict:
        """The settings in force, as fields of the texts (windows, period kind, scales)."""
        s = self.settings
        return {**self.t.units(s.period), "activity_days": s.activity_days,
                "trailing_months": s.trailing_months, "engagement_days": s.engagement_days,
                "csat_scale": s.csat_scale, "ces_scale": s.ces_scale,
                "trailing": self.t("trailing", trailing_months=s.trailing_months),
                "currency": self.currency}

    # -- where is what --------------------------------------------------------------------
    def _placeholders(self):
        found = []
        for ws in self.wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str) and "{{" in cell.value:
                        matches = list(PLACEHOLDER.finditer(cell.value))
                        if not matches or cell.value.count("{{") != len(matches):
                            self._broken(ws, cell, "a placeholder is not closed or not "
                                                   "understood")
                        for match in matches:
                            self._check(ws, cell, match)
                        found.append((ws, cell, matches))
        return found

    def _broken(self, ws, cell, why):
        raise LoyaltyXLError(f"template {self.name}: sheet {ws.title!r}, cell "
                             f"{cell.coordinate}: {why}; got {cell.value!r}",
                             argument="template")

    def _check(self, ws, cell, match):
        kind, key, when = match.groups()
        columns = set(self.table.columns)
        if kind == "kpi":
            if key not in columns or when not in WHEN or match.group(0) != cell.value.strip():
                self._broken(ws, cell, "{{kpi:KEY[:previous|:year_ago]}} must stand alone "
                                       "and name a column of the period table")
        elif kind == "col":
            if key not in columns or when:
                self._broken(ws, cell, "{{col:KEY}} must name a column of the period table")
        elif kind == "text":
            if key not in TEXT_NAMES or when:
                self._broken(ws, cell, f"unknown text placeholder (known: "
                                       f"{', '.join(sorted(TEXT_NAMES))})")
        elif kind == "def":
            if f"def.{key}" not in TEXTS or when or match.group(0) != cell.value.strip():
                self._broken(ws, cell, "{{def:KEY}} must stand alone and name a definition")
        elif kind in BLOCKS:
            if key or when or match.group(0) != cell.value.strip():
                self._broken(ws, cell, f"{{{{{kind}}}}} must stand alone in its cell")
        else:
            self._broken(ws, cell, "unknown placeholder (kpi, text, def, col, cohorts, "
                                   "quality, segments)")

    # -- filling --------------------------------------------------------------------------
    def fill(self):
        found = self._placeholders()
        columns = [(ws, cell, m[0]) for ws, cell, m in found if m[0].group(1) == "col"]
        blocks = [(ws, cell, m[0].group(1)) for ws, cell, m in found
                  if m[0].group(1) in BLOCKS]
        for ws, cell, matches in found:
            kind = matches[0].group(1)
            if kind == "kpi":
                self._kpi(ws, cell, matches[0])
            elif kind == "text":
                set_text(cell, PLACEHOLDER.sub(lambda m: self._text(m.group(2)), cell.value))
            elif kind == "def":
                set_text(cell, self.t(f"def.{matches[0].group(2)}", **self.fields()))
        if columns:
            self._period_table(columns)
        for ws, cell, kind in blocks:
            getattr(self, f"_{kind}")(ws, cell)
        self._warm_up_marks()
        self._chart_texts()
        if self.currency != DEFAULT_CURRENCY:
            self._currency()
        # (further sheets, such as report/customer_value.py's, hook in here)
        for ws in self.wb.worksheets:
            fit_rows(ws)

    def _row_at(self, when):
        last = len(self.full) - 1
        if when == "previous":
            index = last - 1
        elif when == "year_ago":
            index = last - PER_YEAR[self.result.settings.period]
        else:
            index = last
        return self.full.iloc[index] if index >= 0 else None

    def _kpi(self, ws, cell, match):
        key, when = match.group(2), match.group(3)
        row = self._row_at(when)
        value = None if row is None or (when and row["before_data"]) else row[key]
        current = self._row_at(None)
        kpi = BY_KEY.get(key)
        flag = {"activity": "warm_up", "trailing": "warm_up_trailing"}.get(
            kpi.warm_up if kpi is not None else None)
        if when and flag and row is not None and (row[flag] or current[flag]):
            self.warm_marks.append((ws, cell))
        cell.value = _number(value)
        if cell.value is None:
            cell.value = "–"
            cell.data_type = "s"
            aligned = copy.copy(cell.alignment)
            aligned.horizontal = "right"  # in line with the numbers around it
            cell.alignment = aligned

    def _text(self, name):
        s, last, t = self.settings, self.full.iloc[-1], self.t
        if name == "period":
            return str(last["period"])
        if name == "period_range":
            return t("period_range", first=self.table.iloc[0]["period"], last=last["period"],
                     n=len(self.table), units=t.unit(s.period, plural=True))
        if name == "generated_at":
            return t.datetime(self.generated_at)
        if name == "version":
            return __version__
        if name == "inputs":
            return "; ".join(f"{t.input_name(k)}: {v}" for k, v in self.result.inputs.items())
        if name == "settings":
            return t("settings_text", **{**self.fields(), "units": t.unit(s.period, True),
                                         "confidence": t.percent(s.confidence)})
        if name == "excluded_total":
            return t.number(self.result.quality.rows_excluded)
        if name == "cohorts_title":
            return t("cohorts_title", **self.fields())
        if name == "money_axis":
            return t("axis_money", currency=CURRENCIES.get(self.currency, self.currency))
        when = name.removeprefix("nps_interval").lstrip("_") or None
        row = self._row_at(when)
        if row is None or pd.isna(row["nps_low"]):
            return "–"
        return f"[{t.number(row['nps_low'], 1)}; {t.number(row['nps_high'], 1)}]"

    def _period_table(self, columns):
        sheets = {ws.title for ws, _, _ in columns}
        rows = {cell.row for _, cell, _ in columns}
        ws, first = columns[0][0], columns[0][1]
        if len(sheets) > 1 or len(rows) > 1:
            self._broken(ws, first, "all {{col:...}} placeholders must be in one row of one "
                                    "sheet")
        row0 = first.row
        keys = {cell.column: m.group(2) for _, cell, m in columns}
        self._column_keys = keys
        n = len(self.table)
        lo, hi = min(keys), max(keys)
        for r in range(row0 + 1, row0 + n + 1):  # refuse to overwrite what is below
            for c in range(lo, hi + 1):
                if ws.cell(r, c).value not in (None, ""):
                    self._broken(ws, ws.cell(r, c), f"the period table needs {n} rows here; "
                                                    "this cell is in the way")
        template_cells = {c: ws.cell(row0, c) for c in range(lo, hi + 1)}
        for i, record in enumerate(self.table.itertuples(index=False)):
            values = record._asdict()
            for c, source in template_cells.items():
                target = ws.cell(row0 + i, c)
                if i:
                    _copy_style(source, target)
                key = keys.get(c)
                if key is None:
                    continue
                value = values[key]
                if key in ("period", *DERIVED):
                    set_text(target, str(value))
                else:
                    target.value = _number(value)
        if ws.row_dimensions[row0].height:
            for r in range(row0 + 1, row0 + n):
                ws.row_dimensions[r].height = ws.row_dimensions[row0].height
        for table in ws.tables.values():
            ref = _parse_ref(table.ref)
            if ref[1] <= row0 <= ref[3]:
                table.ref = _ref(ref[0], ref[1], ref[2], row0 + n - 1)
                if table.autoFilter is not None:
                    table.autoFilter.ref = table.ref
        self._charts(ws.title, row0, row0 + n - 1)

    def _charts(self, sheet, row0, last):
        keys = {}  # column letter of the period table -> its key, for the axis scales
        for ws in self.wb.worksheets:
            if ws.title == sheet:
                from openpyxl.utils import get_column_letter

                for cell in ws[row0]:
                    keys[get_column_letter(cell.column)] = self._column_keys.get(cell.column)
        for ws in self.wb.worksheets:
            for chart in getattr(ws, "_charts", []):
                shown = []
                for series in chart.series:
                    for ref in _series_refs(series):
                        ref.f = _stretch(ref.f, sheet, row0, last)
                    if series.val is not None and series.val.numRef is not None:
                        match = RANGE.match(series.val.numRef.f or "")
                        if match and match["sheet"].strip("'") == sheet:
                            shown.append(keys.get(match["c1"]))
                self._scale(chart, shown)

    def _scale(self, chart, keys):
        """Rates on an axis that shows their movement: the data's range with a margin, not
        0-100% (a churn of 2% and a retention of 98% both look flat there)."""
        if not keys or not all(k in ("retention_rate", "churn_rate") for k in keys):
            return
        values = self.table[keys].to_numpy(dtype=float).ravel()
        values = values[np.isfinite(values)]
        if not values.size:
            return
        low, high = float(values.min()), float(values.max())
        step = _nice_step(max(high - low, 0.01))
        chart.y_axis.scaling.min = max(0.0, math.floor(low / step) * step - step)
        chart.y_axis.scaling.max = min(1.0, math.ceil(high / step) * step + step)
        chart.y_axis.majorUnit = step

    def _chart_texts(self):
        """Placeholders in chart and axis titles ({{text:money_axis}})."""
        for ws in self.wb.worksheets:
            for chart in getattr(ws, "_charts", []):
                for title in (chart.title, chart.x_axis.title, chart.y_axis.title):
                    rich = getattr(getattr(title, "tx", None), "rich", None)
                    for paragraph in getattr(rich, "p", None) or []:
                        for run in paragraph.r or []:
                            if run.t and "{{" in run.t:
                                run.t = PLACEHOLDER.sub(lambda m: self._text(m.group(2))
                                                        if m.group(1) == "text" else m.group(0),
                                                        run.t)

    def _currency(self):
        """Money formats of the template (its default currency) in the chosen currency."""
        pairs = [(money_format(lang, DEFAULT_CURRENCY), money_format(lang, self.currency))
                 for lang in LANGS]
        for ws in self.wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    fmt = cell.number_format
                    for old, new in pairs:
                        if old in fmt:
                            cell.number_format = fmt.replace(old, new)

    def _warm_up_marks(self):
        """A comparison with a warm-up period (less history than the activity window): the
        change is shown but not coloured better or worse, and marked."""
        from openpyxl.styles import Font

        for ws, cell in self.warm_marks:
            change, arrow = cell.column + 1, cell.column + 2
            _drop_formats(ws, cell.row, change, arrow)
            mark = ws.cell(cell.row, arrow)
            set_text(mark, self.t("warm_up_mark"))
            mark.font = Font(italic=True, color="7F7F7F", size=9)

    def _block_rows(self, ws, anchor, header, rows, formats, header_style=True):
        r0, c0 = anchor.row, anchor.column
        for j, text in enumerate(header):
            cell = ws.cell(r0, c0 + j)
            set_text(cell, str(text))
            if header_style:
                cell.font = _header_font()
                cell.fill = _header_fill()
        for i, row in enumerate(rows, 1):
            for j, value in enumerate(row):
                cell = ws.cell(r0 + i, c0 + j)
                if isinstance(value, str):
                    set_text(cell, value)
                else:
                    cell.value = _number(value)
                    if formats[j]:
                        cell.number_format = formats[j]
        return r0, c0

    def _cohorts(self, ws, anchor):
        from openpyxl.formatting.rule import ColorScaleRule
        from openpyxl.utils import get_column_letter

        matrix = self.result.cohorts
        matrix = matrix.iloc[-self.shown:, :self.shown + 1]  # the shown cohorts and offsets
        header = [self.t("cohorts_sheet"), self.t("customers_n")] + [
            f"+{k}" for k in matrix.columns[1:]]
        rows = [[str(label), *values] for label, values in
                zip(matrix.index, matrix.to_numpy(dtype=float).tolist())]
        formats = [None, "#,##0"] + ["0%"] * (len(header) - 2)
        r0, c0 = self._block_rows(ws, anchor, header, rows, formats)
        if rows and len(header) > 3:  # +0 is 100% by definition: scale from +1 on
            first = f"{get_column_letter(c0 + 3)}{r0 + 1}"
            last = f"{get_column_letter(c0 + len(header) - 1)}{r0 + len(rows)}"
            ws.conditional_formatting.add(f"{first}:{last}", ColorScaleRule(
                start_type="num", start_value=0, start_color="F8F9FB", end_type="max",
                end_color="2E75B6"))
        for j in range(len(header)):
            ws.column_dimensions[get_column_letter(c0 + j)].width = 9 if j > 1 else 11

    def _quality(self, ws, anchor):
        from openpyxl.styles import Alignment
        from openpyxl.utils import get_column_letter

        t = self.t
        header = t.parts("quality_columns")
        rows = []
        for item in self.result.quality.inputs:
            for reason, count in (item.excluded or {"": 0}).items():
                examples = "; ".join(
                    t("row_value", row=t.number(row),
                      value=t("blank_value") if value == "(blank)" else value)
                    for row, value in item.examples.get(reason, []))
                read_as = ", ".join(t(f"read.{key}", value=value)
                                    for key, value in item.read.items() if value)
                rows.append([t.input_name(item.name), item.label, read_as, item.rows_read,
                             item.rows_used, t.reason(reason) if reason else "", count,
                             examples])
        r0, c0 = self._block_rows(ws, anchor, header, rows,
                                  [None, None, None, "#,##0", "#,##0", None, "#,##0", None])
        wrap = Alignment(wrap_text=True, vertical="top")
        for r in range(r0, r0 + len(rows) + 1):
            for j in range(len(header)):
                ws.cell(r, c0 + j).alignment = wrap
        notes = [self._note(item, note) for item in self.result.quality.inputs
                 for note in item.notes]
        if notes:
            at = r0 + len(rows) + 2
            ws.cell(at, c0, t("notes")).font = _header_font(dark=True)
            for i, note in enumerate(notes, 1):
                set_text(ws.cell(at + i, c0), note)
        for j, width in enumerate([17, 24, 22, 11, 11, 26, 14, 56]):
            ws.column_dimensions[get_column_letter(c0 + j)].width = width

    def _note(self, item, note):
        """An engine note in the report's language (known notes; others as they are)."""
        match = REFUNDS.fullmatch(note)
        if match:
            n = int(match["n"].replace(",", ""))
            total = float(match["total"].replace(",", ""))
            note = self.t("note.refunds", n=self.t.number(n), total=self.t.money(
                total, CURRENCIES.get(self.currency, self.currency)))
        return f"{self.t.input_name(item.name)}: {note}"

    def _segments(self, ws, anchor):
        table = self.segments
        if table is None or not len(table):
            set_text(anchor, "–")
            return
        header = self.t.parts("segment_columns")
        rows = [[str(s), n, nps, low, high] for s, n, nps, low, high in
                table[["segment", "n", "nps", "low", "high"]].itertuples(index=False)]
        self._block_rows(ws, anchor, header, rows, [None, "#,##0", "0.0", "0.0", "0.0"])


REFUNDS = re.compile(r"(?P<n>[\d,]+) refunds \(negative amounts, total (?P<total>-?[\d,]+\.\d+)\) "
                     r"reduce revenue in their period; they are not orders and do not make a "
                     r"customer active")


def _derived(table, result, t):
    """The period table with the columns the report adds: a short label for chart axes
    ("Oct 25", "Okt 25": one line under a chart) and the warm-up mark."""
    out = table.copy()
    kind = result.settings.period
    out["period_label"] = [short_label(str(p), kind, t) for p in out["period"]]
    first = getattr(result, "first_order", None)
    days = result.settings.activity_days
    if first is not None and "period_start" in out:
        starts = pd.to_datetime(out["period_start"])
        young = (starts - pd.Timestamp(first)).dt.days < days
        out["warm_up"] = [t("warm_up_mark") if y else "" for y in young]
        # Less history at the period's end than the trailing window of the value KPIs.
        ends = pd.to_datetime(out["period_end"]) + pd.Timedelta(days=1)
        window = pd.DateOffset(months=result.settings.trailing_months)
        out["warm_up_trailing"] = [end - window < pd.Timestamp(first) for end in ends]
        out["before_data"] = [end <= pd.Timestamp(first) for end in ends]  # nothing to compare
    else:
        out["warm_up"] = ""
        out["warm_up_trailing"] = out["before_data"] = False
    return out


def short_label(period: str, kind: str, t) -> str:
    """A period label for a chart axis, kept on one line by a no-break space."""
    nbsp = "\u00a0"
    if kind == "month" and re.fullmatch(r"\d{4}-\d{2}", period):
        months = t.parts("months")
        return f"{months[int(period[5:]) - 1]}{nbsp}{period[2:4]}"
    if kind == "quarter" and "-Q" in period:
        return f"{period[5:]}{nbsp}{period[2:4]}"
    if kind == "week" and "-W" in period:
        return f"{t('week_short')}{period[6:]}{nbsp}{period[2:4]}"
    return period


def _nice_step(span: float) -> float:
    """An axis step of 1, 2 or 5 times a power of ten giving about 4-8 steps over ``span``."""
    raw = span / 5
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def _drop_formats(ws, row, first_col, last_col):
    """Remove the conditional formats of one row's cells first_col..last_col."""
    from openpyxl.utils import get_column_letter

    target = f"{get_column_letter(first_col)}{row}:{get_column_letter(last_col)}{row}"
    rules = ws.conditional_formatting._cf_rules
    for key in list(rules):
        if str(key.sqref) == target:
            del rules[key]


def _number(value):
    if value is None:
        return None
    if isinstance(value, (dt.date, pd.Timestamp)):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value
    if math.isnan(number) or math.isinf(number):
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    return number


def _copy_style(source, target):
    target.font = copy.copy(source.font)
    target.fill = copy.copy(source.fill)
    target.border = copy.copy(source.border)
    target.alignment = copy.copy(source.alignment)
    target.number_format = source.number_format
    target.protection = copy.copy(source.protection)


def _header_font(dark=False):
    from openpyxl.styles import Font

    return Font(bold=True, color="1F3864" if dark else "FFFFFF")


def _header_fill():
    from openpyxl.styles import PatternFill

    return PatternFill("solid", fgColor="1F3864")


def _parse_ref(ref):
    from openpyxl.utils.cell import range_boundaries

    return range_boundaries(ref)  # (min_col, min_row, max_col, max_row)


def _ref(c1, r1, c2, r2):
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2}"


def _series_refs(series):
    for part in (series.val, series.cat, series.xVal, series.yVal):
        if part is None:
            continue
        for attr in ("numRef", "strRef"):
            ref = getattr(part, attr, None)
            if ref is not None and ref.f:
                yield ref


RANGE = re.compile(r"^(?P<sheet>'[^']+'|[^!]+)!\$?(?P<c1>[A-Z]+)\$?(?P<r1>\d+)"
                   r"(?::\$?(?P<c2>[A-Z]+)\$?(?P<r2>\d+))?$")


def _stretch(formula, sheet, row0, last):
    """A series range on the table's template row, stretched to cover the filled rows."""
    match = RANGE.match(formula or "")
    if not match:
        return formula
    name = match["sheet"].strip("'").replace("''", "'")
    r1 = int(match["r1"])
    r2 = int(match["r2"] or r1)
    if name != sheet or not r1 <= row0 <= r2:
        return formula
    c2 = match["c2"] or match["c1"]
    start = min(r1, row0)
    quoted = "'" + sheet.replace("'", "''") + "'"
    return f"{quoted}!${match['c1']}${start}:${c2}${last}"
