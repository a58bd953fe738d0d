"""Compare two workbooks by what a user sees and Excel evaluates, not by their bytes.

The committed templates are generated; a test regenerates them and compares. Comparing bytes
would break on any openpyxl patch release that writes the same workbook with other XML (attribute
order, defaults); this compares the content instead: every cell's value, formula, number format,
font, fill, border and alignment, merged ranges, column widths and row heights, defined names,
tables, data validations, conditional formats, sheet protection, print set-up and charts (kind,
titles, series references).
"""

from __future__ import annotations

import math
from pathlib import Path

import openpyxl


def _color(color):
    if color is None:
        return None
    return (color.type, getattr(color, color.type, None) if color.type in
            ("rgb", "theme", "indexed") else None, color.tint)


def _style(cell) -> tuple:
    font, fill, border, align = cell.font, cell.fill, cell.border, cell.alignment
    return (cell.number_format,
            (font.b, font.i, font.sz, _color(font.color)),
            (fill.fill_type, _color(fill.fgColor)),
            tuple((side.style if side is not None else None)
                  for side in (border.left, border.right, border.top, border.bottom)),
            (align.horizontal, align.vertical, align.wrap_text),
            cell.protection.locked)


def _chart(chart) -> tuple:
    def text(title):
        if title is None or title.tx is None or title.tx.rich is None:
            return None
        return "".join(run.t for p in title.tx.rich.p for run in (p.r or []))

    series = tuple((s.val.numRef.f if s.val is not None and s.val.numRef is not None else None,
                    s.cat.numRef.f if s.cat is not None and s.cat.numRef is not None
                    else (s.cat.strRef.f if s.cat is not None and s.cat.strRef is not None
                          else None))
                   for s in chart.series)
    anchor = chart.anchor._from if hasattr(chart.anchor, "_from") else None
    where = (anchor.col, anchor.row) if anchor is not None else None
    return (type(chart).__name__, text(chart.title), series, where)


def describe(path: Path) -> dict:
    """The workbook's content, as plain data."""
    book = openpyxl.load_workbook(path)
    cached = openpyxl.load_workbook(path, data_only=True)  # the values a formula shows
    out = {"sheets": book.sheetnames,
           "names": sorted((name, str(value.attr_text)) for name, value in
                           book.defined_names.items())}
    for ws in book.worksheets:
        cells = {c.coordinate: (c.value if not hasattr(c.value, "text") else c.value.text,
                                _style(c))
                 for row in ws.iter_rows() for c in row
                 if c.value is not None or c.has_style}
        out[ws.title] = {
            "cells": cells,
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "widths": {k: round(v.width, 2) for k, v in ws.column_dimensions.items()
                       if v.width},
            "heights": {k: v.height for k, v in ws.row_dimensions.items() if v.height},
            "tables": sorted((t.name, t.ref, tuple(c.name for c in t.tableColumns))
                             for t in ws.tables.values()),
            "validations": sorted((str(v.sqref), v.type, v.operator, v.formula1, v.formula2,
                                   v.allow_blank) for v in ws.data_validations.dataValidation),
            "conditional": sorted((str(rng.sqref), rule.type, tuple(rule.formula or ()))
                                  for rng in ws.conditional_formatting for rule in rng.rules),
            "protected": bool(ws.protection.sheet),
            "print": (ws.page_setup.orientation, ws.page_setup.fitToWidth,
                      ws.page_setup.fitToHeight, ws.sheet_properties.pageSetUpPr.fitToPage
                      if ws.sheet_properties.pageSetUpPr is not None else None,
                      str(ws.print_area) if ws.print_area else None),
            "freeze": ws.freeze_panes,
            "charts": [_chart(c) for c in ws._charts],
            "cached": {c.coordinate: c.value for row in cached[ws.title].iter_rows() for c in row
                       if c.value is not None and c.data_type != "f"},
        }
    return out


def differences(a: Path, b: Path, limit: int = 10) -> list[str]:
    """Where the two workbooks differ (at most ``limit`` lines); empty when they are the same."""
    left, right = describe(a), describe(b)
    found = []

    def walk(x, y, where):
        if len(found) >= limit:
            return
        if isinstance(x, dict) and isinstance(y, dict):
            for key in sorted(set(x) | set(y), key=str):
                walk(x.get(key), y.get(key), f"{where}/{key}")
        elif isinstance(x, float) and isinstance(y, float) and math.isclose(x, y, rel_tol=1e-12):
            return  # the last bits of a computed value are not a difference a reader sees
        elif x != y:
            found.append(f"{where}: {x!r} != {y!r}")

    walk(left, right, Path(b).name)
    return found
