"""The one rule for a valid survey answer, shared by every exposure.

An answer is **valid** when it is a whole number on the question's declared scale (NPS 0-10,
CSAT per its scale, CES 1-7 or 1-5, each CLI question 1-6). Blanks (None, NaN, empty or
white-space text) are not answers. Everything else is **invalid**, for one of these reasons
(checked in this order):

- ``"number stored as text"``: in a *typed* source (an Excel cell, a numeric column, a Python
  list) a number held as text, such as the text "9" in a text-formatted cell. Excel's own
  AVERAGE skips such cells; the spec says text in a numeric range is an error. In an *untyped*
  source (a CSV file, where every value is text) text is parsed as the number it spells.
- ``"score is not a number"``: other text, booleans, other objects;
- ``"score is not a whole number"``: 7.5, 9.5;
- ``"score off its scale"``: a whole number outside the scale, such as 11 for NPS.

Who applies it:

- the KPI library (:mod:`loyalty_xl.kpis.survey`) raises on the first invalid answer, naming it;
  :func:`classify` gives the same verdict per answer without raising, so callers can count;
- the Excel functions are the library's, so they show ``#VALUE!`` for the same entries;
- the period engine excludes invalid answers per reason (:data:`REASONS`, same order); its reader
  of workbooks marks text cells with Excel's leading apostrophe (:data:`TEXT_MARK`), so a number
  stored as text stays recognisable after everything became text;
- the staff survey template computes :func:`excel_status` per answer with ISNUMBER/INT and counts
  the invalid entries instead of using them.
"""

from __future__ import annotations

import numbers

import numpy as np

from loyalty_xl.kpis.survey import CES_SCALES, CSAT_SCALES

VALID = "valid"
BLANK = "blank"
TEXT = "number stored as text"
NOT_A_NUMBER = "score is not a number"
NOT_WHOLE = "score is not a whole number"
OFF_SCALE = "score off its scale"
#: The reasons an answer is invalid, in the order they are checked.
REASONS = (TEXT, NOT_A_NUMBER, NOT_WHOLE, OFF_SCALE)
#: Excel's mark of a number stored as text ('9), used by readers that turn cells into text.
TEXT_MARK = "'"
NPS_SCALE = (0, 10)
CLI_SCALE = (1, 6)


def scale_of(metric: str, *, csat_scale: str = "1-5", ces_scale: str = "1-7") -> tuple[int, int]:
    """The declared (low, high) of a survey question.

    ``metric``: ``nps``, ``csat``, ``ces`` or a CLI question (``cli_recommend``,
    ``cli_buy_again``, ``cli_other_products``, or just ``cli``).

    Examples
    --------
    >>> scale_of("nps"), scale_of("csat", csat_scale="0-10"), scale_of("cli_buy_again")
    ((0, 10), (0, 10), (1, 6))
    """
    if metric == "nps":
        return NPS_SCALE
    if metric == "csat":
        return CSAT_SCALES[csat_scale][:2]
    if metric == "ces":
        return CES_SCALES[ces_scale][:2]
    if metric.startswith("cli"):
        return CLI_SCALE
    raise KeyError(metric)


def _one(value, low, high, typed):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return BLANK
    if type(value).__name__ in ("NAType", "NaTType", "JsNull"):
        return BLANK
    if isinstance(value, (str, bytes, np.str_)):
        text = value.decode() if isinstance(value, bytes) else str(value)
        text = text.strip()
        if not text:
            return BLANK
        marked = text.startswith(TEXT_MARK)
        try:
            number = float(text[1:] if marked else text)
        except ValueError:
            return NOT_A_NUMBER
        if typed or marked:
            return TEXT if np.isfinite(number) else NOT_A_NUMBER
        value = number
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        return NOT_A_NUMBER
    number = float(value)
    if np.isnan(number):
        return BLANK
    if not np.isfinite(number) or number != np.floor(number):
        return NOT_WHOLE if np.isfinite(number) else NOT_A_NUMBER
    return VALID if low <= number <= high else OFF_SCALE


def classify(values, low: int, high: int, *, typed: bool = True) -> np.ndarray:
    """Each answer's verdict: ``"valid"``, ``"blank"`` or one of :data:`REASONS`.

    Parameters
    ----------
    values : list, numpy array or pandas Series
        The answers, flattened row by row.
    low, high : int
        The declared scale (see :func:`scale_of`).
    typed : bool, default True
        False for an untyped source (CSV text), where text spelling a number is that number.

    Returns
    -------
    numpy.ndarray of str, one verdict per value.

    Examples
    --------
    >>> classify([9, 7.5, "9", "'9", 11, "x", None, True], 0, 10).tolist()
    ... # doctest: +NORMALIZE_WHITESPACE
    ['valid', 'score is not a whole number', 'number stored as text', 'number stored as text',
     'score off its scale', 'score is not a number', 'blank', 'score is not a number']
    >>> classify(["9", "'9", "9.5"], 0, 10, typed=False).tolist()
    ['valid', 'number stored as text', 'score is not a whole number']
    """
    from loyalty_xl.kpis._inputs import as_array

    arr = as_array(values, "scores")
    if arr.dtype.kind in "iuf":  # fast path: numbers only
        x = arr.astype(float)
        out = np.full(x.shape, VALID, dtype=object)
        with np.errstate(invalid="ignore"):
            out[(x < low) | (x > high)] = OFF_SCALE
            out[np.isfinite(x) & (x != np.floor(x))] = NOT_WHOLE
        out[np.isinf(x)] = NOT_A_NUMBER
        out[np.isnan(x)] = BLANK
        return out.astype(str)
    return np.array([_one(v, low, high, typed) for v in arr], dtype=object).astype(str) \
        if arr.size else np.empty(0, dtype=str)


def invalid_count(values, low: int, high: int, *, typed: bool = True) -> int:
    """How many entries are neither valid answers nor blank (see :func:`classify`).

    Examples
    --------
    >>> invalid_count([10, 9.5, "9", None, 3], 0, 10)
    2
    """
    verdicts = classify(values, low, high, typed=typed)
    return int(((verdicts != VALID) & (verdicts != BLANK)).sum())


def valid_answers(values, low: int, high: int, *, typed: bool = True) -> np.ndarray:
    """The valid answers as floats, in order (blanks and invalid entries left out).

    Examples
    --------
    >>> valid_answers([10, 9.5, "9", None, 3], 0, 10).tolist()
    [10.0, 3.0]
    """
    from loyalty_xl.kpis._inputs import as_array

    arr = as_array(values, "scores")
    keep = classify(arr, low, high, typed=typed) == VALID
    picked = arr[keep]
    return np.array([float(str(v).strip()) if isinstance(v, str) else float(v) for v in picked])


def excel_status(cell: str, low: int, high: int, labels: dict[str, str]) -> str:
    """The rule as one Excel expression for ``cell``: "" when blank, else a verdict label.

    ``labels`` maps ``VALID`` and each of :data:`REASONS` to the text the workbook shows. Uses
    only ISNUMBER, INT, VALUE, LEN and TRIM, so Excel 2016+ and LibreOffice give the same
    verdicts; no branch evaluates INT or a comparison on text, so no cell ends in an error.

    Examples
    --------
    >>> excel_status("B5", 0, 10, {VALID: "ok", TEXT: "t", NOT_A_NUMBER: "n",
    ...                            NOT_WHOLE: "w", OFF_SCALE: "o"})
    'IF(LEN(TRIM(B5))=0,"",IF(ISNUMBER(B5),IF(B5<>INT(B5),"w",IF(OR(B5<0,B5>10),"o","ok")),IF(ISERROR(VALUE(B5)),"n","t")))'
    """
    x = cell
    return (f'IF(LEN(TRIM({x}))=0,"",IF(ISNUMBER({x}),IF({x}<>INT({x}),"{labels[NOT_WHOLE]}",'
            f'IF(OR({x}<{low},{x}>{high}),"{labels[OFF_SCALE]}","{labels[VALID]}")),'
            f'IF(ISERROR(VALUE({x})),"{labels[NOT_A_NUMBER]}","{labels[TEXT]}")))')


def excel_invalid(cell: str, low: int, high: int) -> str:
    """TRUE when ``cell`` holds an entry that is not a valid answer (for conditional formats).

    Examples
    --------
    >>> excel_invalid("C5", 1, 6)
    'IF(LEN(TRIM(C5))=0,FALSE,IF(ISNUMBER(C5),OR(C5<>INT(C5),C5<1,C5>6),TRUE))'
    """
    x = cell
    return f"IF(LEN(TRIM({x}))=0,FALSE,IF(ISNUMBER({x}),OR({x}<>INT({x}),{x}<{low},{x}>{high}),TRUE))"


def excel_valid(cell: str, low: int, high: int) -> str:
    """1 when ``cell`` holds a valid answer, else 0 (never an error)."""
    x = cell
    return f"IF(ISNUMBER({x}),IF(AND({x}=INT({x}),{x}>={low},{x}<={high}),1,0),0)"
