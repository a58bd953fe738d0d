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

from loyalty_xl.errors import LoyaltyXLError

# Excel's error values as classic xlwings (COM) delivers them.
COM_ERRORS = {-2146826281: "#DIV/0!", -2146826246: "#N/A", -2146826259: "#NAME?",
              -2146826288: "#NULL!", -2146826252: "#NUM!", -2146826265: "#REF!",
              -2146826273: "#VALUE!"}
_PLAIN = {float, int, type(None)}
EXCEL_EPOCH = np.datetime64("1899-12-30T00:00:00", "ns")


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


def rows_of(value) -> tuple[list, int]:
    """The cells of a raw argument as a flat list, and the number of columns."""
    if value is None:
        return [], 1
    if isinstance(value, (list, tuple)):
        if not value:
            return [], 1
        if isinstance(value[0], (list, tuple)):
            columns = len(value[0])
            if columns == 1:
                return [row[0] for row in value], 1
            return [cell for row in value for cell in row], columns
        # A 1-D sequence is one row: xlwings' Office.js dispatch unwraps [[a, b]] to [a, b].
        return list(value), len(value)
    return [value], 1


def read(value, name: str) -> Cells:
    """A raw range as an object array with None for blanks and errors reported by cell.

    Whole-number floats stay floats; the KPI library checks types, ranges and scales and its
    error positions map back to cells through :meth:`Cells.where`.
    """
    flat, columns = rows_of(value)
    kinds = set(map(type, flat))
    if kinds <= _PLAIN:
        if int in kinds:
            _check_com_errors(flat, name, columns)
        return Cells(name, np.array(flat, dtype=float) if flat else np.empty(0), columns)
    out = np.empty(len(flat), dtype=object)
    out[:] = flat
    for i, cell in enumerate(flat):
        kind = type(cell)
        if kind in _PLAIN:
            if kind is int and cell in COM_ERRORS:
                _raise_error_cell(COM_ERRORS[cell], name, i, columns)
        elif kind is str:
            if not cell.strip():
                out[i] = None
        elif kind is dict:
            out[i] = _from_dict(cell, name, i, columns)
        elif kind.__name__ == "JsNull":
            out[i] = None
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


def _raise_error_cell(error: str, name: str, position: int, columns: int):
    raise LoyaltyXLError(f"{name} contains the Excel error {error}", argument=name,
                         position=position)


def locate(value, name: str, position: int) -> str:
    """Where flat position ``position`` of the raw range ``value`` is, as the user sees it."""
    flat, columns = rows_of(value)
    return Cells(name, np.empty(len(flat), dtype=object), columns).where(position)


def read_numbers(value, name: str) -> Cells:
    """A range of numbers (NaN for blanks); text and other values are left for the KPIs."""
    cells = read(value, name)
    if cells.values.dtype == object:
        kinds = set(map(type, cells.values))
        if kinds <= _PLAIN:
            cells.values = cells.values.astype(float)
    return cells


def read_dates(value, name: str) -> Cells:
    """A range of dates: serial numbers (Office.js) become datetime64; datetimes and ISO text
    pass through to the KPI library's date parser."""
    cells = read(value, name)
    values = cells.values
    if values.dtype == float:
        cells.values = _serials_to_dates(values)
        return cells
    numeric = np.fromiter((type(v) in (int, float) for v in values), bool, values.size)
    if numeric.any():
        values = values.copy()
        serials = values[numeric].astype(float)
        values[numeric] = list(_serials_to_dates(serials).astype("datetime64[ns]"))
        cells.values = values
    return cells


def _serials_to_dates(serials: np.ndarray) -> np.ndarray:
    blank = np.isnan(serials)
    with np.errstate(invalid="ignore"):
        nanoseconds = np.where(blank, 0, np.round(serials * 86_400e9)).astype(np.int64)
    out = EXCEL_EPOCH + nanoseconds.astype("timedelta64[ns]")
    out[blank] = np.datetime64("NaT")
    return out


def scalar(value):
    """A single-cell argument: unwrap [[x]] and turn blanks into None."""
    while isinstance(value, (list, tuple)) and len(value) == 1:
        value = value[0]
    if isinstance(value, str) and not value.strip():
        return None
    if type(value).__name__ == "JsNull":
        return None
    if isinstance(value, dict) and value.get("type") == "Error":
        return value
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
    """A KPI result for a cell: a float, or #DIV/0! when undefined."""
    x = float(x)
    return undefined() if x != x else x


def grid(array, shape):
    """An array of KPI results shaped like the input range (a list of rows)."""
    values = np.asarray(array, dtype=float).reshape(shape)
    return [[number(v) for v in row] for row in values.tolist()]
