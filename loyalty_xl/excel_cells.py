"""Excel ranges, as each xlwings runtime sends them raw, turned into numpy arrays and back.

One reader for every runtime:

- classic xlwings (COM): a tuple of row tuples (a scalar for one cell), None for blanks,
  floats for numbers, datetimes for date-formatted cells, ints such as -2146826281 for errors;
- Office.js (xlwings Lite and Server): a list of row lists (a scalar for one cell), None or ""
  for blanks, ints and floats, serial numbers for dates, {"type": "Error", ...} for errors;
- Pyodide (xlwings Lite): like Office.js, with the JsNull sentinel for blanks.

Arguments are declared ``@arg(name, "raw")``: xlwings' default conversion costs ~45 us per cell,
this reader a fraction of a microsecond (one pass of ``map(type, ...)``, then numpy).
"""

from __future__ import annotations

import os
import sys

import numpy as np

from loyalty_xl.errors import InputError
from loyalty_xl.kpis._inputs import blank_mask, is_blank

# Excel's error values as classic xlwings (COM) delivers them.
COM_ERRORS = {-2146826281: "#DIV/0!", -2146826246: "#N/A", -2146826259: "#NAME?",
              -2146826288: "#NULL!", -2146826252: "#NUM!", -2146826265: "#REF!",
              -2146826273: "#VALUE!"}
_PLAIN = {float, int, type(None)}
_NESTED = (list, tuple)
EXCEL_EPOCH = np.datetime64("1899-12-30T00:00:00", "s")  # serial 61 is 1900-03-01
#: Excel's date serial numbers: 1 (1900-01-01) to 2958465 (9999-12-31), with time of day.
FIRST_SERIAL, END_SERIAL = 1, 2958466


class Cells:
    """A range's cells, flattened row by row, with the range's width for error positions."""

    __slots__ = ("name", "values", "columns")

    def __init__(self, name: str, values: np.ndarray, columns: int):
        self.name, self.values, self.columns = name, values, columns

    @property
    def shape(self) -> tuple[int, int]:
        return (self.values.size // self.columns if self.columns else 0, self.columns)

    def where(self, position: int) -> str:
        """An error position as the user sees it: row and column within the range."""
        rows, columns = self.shape
        row, column = divmod(position, max(columns, 1))
        if columns <= 1:
            return f"row {row + 1} of {self.name}"
        if rows <= 1:
            return f"column {column + 1} of {self.name}"
        return f"row {row + 1}, column {column + 1} of {self.name}"


def rows_of(value, name: str = "range") -> tuple[list, int]:
    """The cells of a raw argument as a flat list, and the number of columns.

    A scalar is one cell; a flat list is one row (xlwings' Office.js dispatch unwraps
    ``[[a, b]]`` to ``[a, b]``); a list of rows must be rectangular, with no deeper nesting.
    """
    if hasattr(value, "tolist") and getattr(value, "ndim", 0) >= 1:  # a numpy array
        value = value.tolist()
    if value is None:
        return [], 1
    if not isinstance(value, _NESTED):
        if hasattr(value, "__iter__") and not isinstance(value, (str, bytes, dict)):
            raise InputError(f"{name} must be a cell or a range; got a "
                             f"{type(value).__name__}", argument=name)
        return [value], 1
    if not value:
        return [], 1
    nested = [isinstance(row, _NESTED) for row in value]
    if not any(nested):
        return list(value), len(value)
    widths = {len(row) for row in value} if all(nested) else None
    if widths is None or len(widths) > 1:
        raise InputError(f"{name} must be a cell or a rectangular range (rows of equal "
                         "length)", argument=name)
    columns = widths.pop()
    if columns == 1:
        flat = [row[0] for row in value]
    else:
        flat = [cell for row in value for cell in row]
    if any(type(cell) in (list, tuple) for cell in flat):
        raise InputError(f"{name} must be a cell or a rectangular range, not nested ranges",
                         argument=name)
    return flat, max(columns, 1) if flat else 1


def read(value, name: str) -> Cells:
    """A raw range as an object array with None for blanks and errors reported by cell.

    Whole-number floats stay floats; the KPI library checks types, ranges and scales and its
    error positions map back to cells through :meth:`Cells.where`. Blanks follow the library's
    one rule (:func:`loyalty_xl.kpis._inputs.blank_mask`).
    """
    flat, columns = rows_of(value, name)
    kinds = set(map(type, flat))
    if kinds <= _PLAIN:
        if int in kinds:
            _check_com_errors(flat, name, columns)
        try:
            return Cells(name, np.array(flat, dtype=float) if flat else np.empty(0), columns)
        except OverflowError:  # an int beyond floats: the library names it and its cell
            pass
    out = np.empty(len(flat), dtype=object)
    out[:] = flat
    for i, cell in enumerate(flat):
        kind = type(cell)
        if kind is int:
            if cell in COM_ERRORS:
                _raise_error_cell(COM_ERRORS[cell], name, i, columns)
        elif kind is dict:
            out[i] = _from_dict(cell, name, i, columns)
    out[blank_mask(out)] = None
    return Cells(name, out, columns)


def _check_com_errors(flat, name, columns):
    for i, cell in enumerate(flat):
        if type(cell) is int and cell in COM_ERRORS:
            _raise_error_cell(COM_ERRORS[cell], name, i, columns)


def _from_dict(cell: dict, name: str, position: int, columns: int):
    if cell.get("type") == "Error":
        _raise_error_cell(cell.get("basicValue") or "#" + str(cell.get("errorType", "ERROR")),
                          name, position, columns)
    if "basicValue" in cell:  # a formatted number or a data type: its plain value
        return cell["basicValue"]
    return cell


def _raise_error_cell(error, name: str, position: int, columns: int):
    raise InputError(f"{name} contains the Excel error {str(error)[:20]}", argument=name,
                     position=position)


def locate(value, name: str, position: int) -> str:
    """Where flat position ``position`` of the raw range ``value`` is, as the user sees it."""
    flat, columns = rows_of(value, name)
    return Cells(name, np.empty(len(flat), dtype=object), columns).where(position)


def read_numbers(value, name: str) -> Cells:
    """A range of numbers (NaN for blanks); text and other values are left for the KPIs."""
    cells = read(value, name)
    if cells.values.dtype == object:
        kinds = set(map(type, cells.values))
        if kinds <= _PLAIN:
            try:
                cells.values = cells.values.astype(float)
            except OverflowError:  # an int beyond floats: the library names it and its cell
                pass
    return cells


def read_dates(value, name: str) -> Cells:
    """A range of dates: serial numbers (Office.js) become datetime64; datetimes and ISO text
    pass through to the KPI library's date parser."""
    cells = read(value, name)
    values = cells.values
    if values.dtype == float:
        cells.values = serials_to_dates(values, name)
        return cells
    numeric = np.fromiter((type(v) in (int, float) for v in values), bool, values.size)
    if numeric.any():
        values = values.copy()
        serials = np.full(values.size, np.nan)
        serials[numeric] = [float(v) if abs(v) < 1e300 else np.inf for v in values[numeric]]
        dates = serials_to_dates(serials, name, shown=values)
        values[numeric] = list(dates[numeric])
        cells.values = values
    return cells


def serials_to_dates(serials: np.ndarray, name: str = "dates", shown=None) -> np.ndarray:
    """Excel date serial numbers (1900 date system) as datetime64[s], NaT where NaN.

    Serial 1 is 1900-01-01; Excel counts a 29 February 1900 (serial 60) that never was, so
    serials from 61 on are days since 1899-12-30 and those below 60 days since 1899-12-31.
    Serials outside 1 to 2958465 (9999-12-31), and 60, are not dates: an error naming the cell
    (and the original value from ``shown``, when given).

    Examples
    --------
    >>> serials_to_dates(np.array([1.0, 59, 61, 46054.5, np.nan])).astype(str).tolist()
    ['1900-01-01T00:00:00', '1900-02-28T00:00:00', '1900-03-01T00:00:00',
     '2026-02-01T12:00:00', 'NaT']
    """
    blank = np.isnan(serials)
    with np.errstate(invalid="ignore"):
        bad = ~blank & ~((serials >= FIRST_SERIAL) & (serials < END_SERIAL) & (serials != 60))
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(f"{name} must be dates; a number is read as an Excel date serial "
                         f"from {FIRST_SERIAL} (1900-01-01) to {END_SERIAL - 1:,} (9999-12-31)",
                         argument=name, position=i,
                         value=float(serials[i]) if shown is None else shown[i])
    safe = np.where(blank, 61.0, serials)
    seconds = np.round(safe * 86_400).astype(np.int64) + np.where(safe < 60, 86_400, 0)
    out = EXCEL_EPOCH + seconds.astype("timedelta64[s]")
    out[blank] = np.datetime64("NaT")
    return out


def scalar(value):
    """A single-cell argument: unwrap [[x]] and turn blanks into None."""
    while isinstance(value, (list, tuple)) and len(value) == 1:
        value = value[0]
    if isinstance(value, (list, tuple)) and not value:
        return None
    if not isinstance(value, (list, tuple, dict)) and is_blank(value):
        return None
    return value


def office_js() -> bool:
    """True in xlwings Lite (Pyodide) and xlwings Server, which can return real errors."""
    return sys.platform == "emscripten" or os.environ.get("XLWINGS_ON_SERVER") == "true"


def undefined():
    """An undefined result (NaN): #DIV/0! (a real error in Lite and Server, text in classic)."""
    return "#DIV/0!"


def error_result(message: str):
    """Bad input: #VALUE! with the one-line message."""
    if office_js():
        return [[{"type": "Error", "errorType": "Value", "message": message}]]
    return f"#VALUE! {message}"


def number(x):
    """A KPI result for a cell: a float, #DIV/0! when undefined, #NUM! if not finite."""
    x = float(x)
    if x != x:
        return undefined()
    return x if abs(x) != float("inf") else "#NUM!"


def grid(array, shape):
    """An array of KPI results shaped like the input range (a list of rows)."""
    values = np.asarray(array, dtype=float)
    # A range the KPI does not use (customers_end with method "lost") still shapes the spill.
    values = np.broadcast_to(values, shape) if values.size == 1 else values.reshape(shape)
    return [[number(v) for v in row] for row in values.tolist()]


def cell_value(value):
    """Any value from the data (a segment label) as something a cell can hold."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        return number(value) if isinstance(value, float) else (
            float(value) if abs(value) < 2 ** 1023 else str(value))
    if value is None:
        return ""
    return str(value)
