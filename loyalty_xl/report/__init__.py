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
from loyalty_xl.errors import LoyaltyXLError
from loyalty_xl.report.catalogue import TEXT

PACKAGED = Path(__file__).resolve().parent.parent / "workbook_templates"
TEMPLATE_DIR = PACKAGED if PACKAGED.is_dir() else \
    Path(__file__).resolve().parents[2] / "workbook_templates"
PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)(?::([A-Za-z0-9_]+))?(?::([a-z_]+))?\s*\}\}")
TEXT_NAMES = {"period", "period_range", "generated_at", "version", "inputs", "settings",
              "excluded_total", "nps_interval", "nps_interval_previous", "nps_interval_year_ago"}
BLOCKS = {"cohorts", "quality", "segments"}
WHEN = {None: 0, "previous": 1, "year_ago": None}  # None: a year earlier


def default_template(lang: str = "en") -> Path:
    if lang not in ("en", "de"):
        raise LoyaltyXLError("--lang must be en or de", argument="lang", value=lang,
                             has_value=True)
    return TEMPLATE_DIR / f"monthly_report_{lang}.xlsx"


PER_YEAR = {"month": 12, "week": 52, "quarter": 4, "year": 1}


def periods_needed(kind: str, shown: int) -> int:
    """Periods to compute so that the report's period has its year-earlier comparison."""
    return max(shown, PER_YEAR[kind] + 1)


def build_report(result, out, *, template=None, lang="en", force=False, generated_at=None,
                 segments=None, shown=None) -> Path:
    """Fill ``template`` (default: the bundled one for ``lang``) and save it to ``out``.

    ``shown``: how many of the result's periods the period table, charts and cohort matrix
    show (default all); the summary's comparisons may reach further back (a year earlier).
    Writes atomically, refuses to overwrite an existing file unless ``force``, and never
    writes into the template.
    """
    import openpyxl

    from loyalty_xl.files import atomic_path, check_writable

    template = Path(template) if template else default_template(lang)
    if not template.exists():
        raise LoyaltyXLError(f"template {template} does not exist", argument="template")
    out = check_writable(Path(out), force=force, protected=(template,))
    try:
        wb = openpyxl.load_workbook(template)
    except Exception as err:
        raise LoyaltyXLError(f"template {template} could not be read: "
                             f"{' '.join(str(err).split())[:200]}", argument="template") from None
    _Filler(wb, template.name, result, lang, generated_at, segments, shown).fill()
    with atomic_path(out, force=force, protected=(template,)) as tmp:
        wb.save(tmp)
    return out


def set_text(cell, value):
    """Write data as text: a value starting with '=' stays a literal string, not a formula."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"


class _Filler:
    def __init__(self, wb, name, result, lang, generated_at, segments, shown):
        self.wb, self.name, self.result, self.lang = wb, name, result, lang
        self.t = TEXT.get(lang, TEXT["en"])
        self.full = result.periods.reset_index(drop=True)  # for the comparisons
        self.shown = min(shown or len(self.full), len(self.full))
        self.table = self.full.tail(self.shown).reset_index(drop=True)
        self.generated_at = generated_at or dt.datetime.now().replace(microsecond=0)
        self.segments = segments

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
        elif kind in BLOCKS:
            if key or when or match.group(0) != cell.value.strip():
                self._broken(ws, cell, f"{{{{{kind}}}}} must stand alone in its cell")
        else:
            self._broken(ws, cell, "unknown placeholder (kpi, text, col, cohorts, quality, "
                                   "segments)")

    # -- filling --------------------------------------------------------------------------
    def fill(self):
        found = self._placeholders()
        columns = [(ws, cell, m[0]) for ws, cell, m in found if m[0].group(1) == "col"]
        blocks = [(ws, cell, m[0].group(1)) for ws, cell, m in found
                  if m[0].group(1) in BLOCKS]
        for _, cell, matches in found:
            kind = matches[0].group(1)
            if kind == "kpi":
                self._kpi(cell, matches[0])
            elif kind == "text":
                set_text(cell, PLACEHOLDER.sub(lambda m: self._text(m.group(2)), cell.value))
        if columns:
            self._period_table(columns)
        for ws, cell, kind in blocks:
            getattr(self, f"_{kind}")(ws, cell)

    def _row_at(self, when):
        last = len(self.full) - 1
        if when == "previous":
            index = last - 1
        elif when == "year_ago":
            index = last - PER_YEAR[self.result.settings.period]
        else:
            index = last
        return self.full.iloc[index] if index >= 0 else None

    def _kpi(self, cell, match):
        row = self._row_at(match.group(3))
        value = None if row is None else row[match.group(2)]
        cell.value = _number(value)
        if cell.value is None:
            cell.value = "–"
            cell.data_type = "s"
            aligned = copy.copy(cell.alignment)
            aligned.horizontal = "right"  # in line with the numbers around it
            cell.alignment = aligned

    def _text(self, name):
        s, last = self.result.settings, self.full.iloc[-1]
        if name == "period":
            return str(last["period"])
        if name == "period_range":
            return (f"{self.table.iloc[0]['period']} – {last['period']} "
                    f"({len(self.table)} {s.period}s)")
        if name == "generated_at":
            return self.generated_at.strftime("%Y-%m-%d %H:%M")
        if name == "version":
            return __version__
        if name == "inputs":
            return "; ".join(f"{k}: {v}" for k, v in self.result.inputs.items())
        if name == "settings":
            return (f"{s.period}s, activity window {s.activity_days} days, trailing window "
                    f"{s.trailing_months} months, CSAT scale {s.csat_scale}, CES scale "
                    f"{s.ces_scale}, NPS interval {s.confidence:.0%} (adjusted Wald)")
        if name == "excluded_total":
            return f"{self.result.quality.rows_excluded:,}"
        when = name.removeprefix("nps_interval").lstrip("_") or None
        row = self._row_at(when)
        if row is None or pd.isna(row["nps_low"]):
            return "–"
        return f"[{row['nps_low']:.1f}; {row['nps_high']:.1f}]"

    def _period_table(self, columns):
        sheets = {ws.title for ws, _, _ in columns}
        rows = {cell.row for _, cell, _ in columns}
        ws, first = columns[0][0], columns[0][1]
        if len(sheets) > 1 or len(rows) > 1:
            self._broken(ws, first, "all {{col:...}} placeholders must be in one row of one "
                                    "sheet")
        row0 = first.row
        keys = {cell.column: m.group(2) for _, cell, m in columns}
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
                if key == "period":
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
        for ws in self.wb.worksheets:
            for chart in getattr(ws, "_charts", []):
                for series in chart.series:
                    for ref in _series_refs(series):
                        ref.f = _stretch(ref.f, sheet, row0, last)

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
        header = [self.t["cohorts_sheet"], self.t["customers_n"]] + [
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
        from openpyxl.utils import get_column_letter

        table = self.result.quality.table().iloc[:, :7]  # without how inputs were read
        header = self.t["quality_columns"]
        rows = [[("" if pd.isna(v) else v) for v in row] for row in table.itertuples(index=False)]
        r0, c0 = self._block_rows(ws, anchor, header, rows,
                                  [None, None, "#,##0", "#,##0", None, "#,##0", None])
        notes = self.result.quality.notes()
        if notes:
            at = r0 + len(rows) + 2
            ws.cell(at, c0, self.t["notes"]).font = _header_font(dark=True)
            for i, note in enumerate(notes, 1):
                set_text(ws.cell(at + i, c0), note)
        for j, width in enumerate([11, 22, 11, 11, 30, 13, 70]):
            ws.column_dimensions[get_column_letter(c0 + j)].width = width

    def _segments(self, ws, anchor):
        table = self.segments
        if table is None or not len(table):
            set_text(anchor, "–")
            return
        header = ["Segment", "Answers", "NPS", "95% interval"] if self.lang != "de" else \
            ["Segment", "Antworten", "NPS", "95%-Intervall"]
        rows = [[str(s), n, nps, "–" if pd.isna(low) else f"[{low:.1f}; {high:.1f}]"]
                for s, n, nps, low, high in
                table[["segment", "n", "nps", "low", "high"]].itertuples(index=False)]
        self._block_rows(ws, anchor, header, rows, [None, "#,##0", "0.0", None])


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
