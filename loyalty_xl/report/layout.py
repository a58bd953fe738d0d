"""Layout that survives LibreOffice and Excel: explicit row heights for wrapped text.

Neither program grows a row for wrapped text in a file written by openpyxl reliably (Excel does
on edit, LibreOffice on load only for rows without a height), and a row that does not grow makes
the text overprint the rows below or get cut off. So every row with wrapped text gets a height
from an estimate of its lines: characters per line from the column width (in Excel's units, the
width of a "0"), at most :data:`CHARS_PER_UNIT` of an average character per unit, rounded up.
"""

from __future__ import annotations

import math

LINE_POINTS = 15.0  # one line of 11-pt Calibri/Carlito with its leading
CHARS_PER_UNIT = 1.0  # conservative: average text is narrower than "0", capitals are wider
DEFAULT_WIDTH = 8.43


def column_width(ws, column: int) -> float:
    from openpyxl.utils import get_column_letter

    dim = ws.column_dimensions.get(get_column_letter(column))
    return dim.width if dim is not None and dim.width else DEFAULT_WIDTH


def lines_needed(value, width: float, size: float = 11.0) -> int:
    """Lines a wrapped text needs in a column ``width`` units wide (font ``size`` points)."""
    capacity = max(1, int((width - 1) * CHARS_PER_UNIT * 11.0 / size))
    lines = 0
    for paragraph in str(value).split("\n"):
        words, line = paragraph.split(" "), 0
        count = 1
        for word in words:
            need = len(word) if line == 0 else line + 1 + len(word)
            if need <= capacity:
                line = need
            else:  # a new line; a word longer than the line breaks over several
                count += 1 if line else 0
                extra = max(0, math.ceil(len(word) / capacity) - 1)
                count += extra
                line = len(word) - extra * capacity
        lines += count
    return max(1, lines)


def fit_rows(ws, rows=None) -> None:
    """Give every row with wrapped text (in ``rows``, default all) the height its text needs.

    Merged cells count with the width of their whole range. Heights only grow.
    """
    merged = {}
    for rng in ws.merged_cells.ranges:
        width = sum(column_width(ws, c) for c in range(rng.min_col, rng.max_col + 1))
        merged[(rng.min_row, rng.min_col)] = width
    for row in ws.iter_rows():
        if not row or (rows is not None and row[0].row not in rows):
            continue
        need = 0.0
        for cell in row:
            if cell.value is None or not (cell.alignment and cell.alignment.wrap_text):
                continue
            width = merged.get((cell.row, cell.column)) or column_width(ws, cell.column)
            size = float(cell.font.sz or 11) if cell.font else 11.0
            need = max(need, lines_needed(cell.value, width, size) * LINE_POINTS * size / 11.0)
        if need:
            dim = ws.row_dimensions[row[0].row]
            dim.height = max(dim.height or 0, math.ceil(need + 2))


def one_page(ws, *, landscape: bool = False) -> None:
    """Print the sheet on exactly one page."""
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
