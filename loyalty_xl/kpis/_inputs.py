"""Turning user input (lists, numpy arrays, pandas Series, scalars) into checked numpy arrays.

Conventions (see docs/kpis.md): blanks (None, NaN, pandas NA, empty text) are skipped; text in a
numeric input is an error; every error names the argument, the value and its position in the
flattened input. Everything here is vectorised: Python-level work is one ``map(type, ...)`` pass
over object arrays, never a loop that does arithmetic per element.
"""

from __future__ import annotations

import numbers
from decimal import Decimal

import numpy as np

from loyalty_xl.errors import LoyaltyXLError

_BLANK_TYPE_NAMES = {"NoneType", "NAType", "NaTType", "JsNull"}
_TEXT_TYPES = (str, bytes, np.str_)


def _is_numeric_type(kind: type) -> bool:
    if issubclass(kind, (bool, np.bool_)):
        return False
    return issubclass(kind, numbers.Real) or issubclass(kind, Decimal)


def as_array(values, name: str) -> np.ndarray:
    """Any array-like or scalar as a flat numpy array (row-major for 2-D input)."""
    if hasattr(values, "to_numpy") and hasattr(values, "dtype"):
        kind = getattr(values.dtype, "kind", "O")
        if kind in "iuf":  # includes pandas' nullable Int64/Float64 with NA
            return values.to_numpy(dtype=float, na_value=np.nan).ravel()
        return values.to_numpy(dtype=object).ravel()
    if isinstance(values, np.ndarray):
        return values.ravel()
    if isinstance(values, (str, bytes, dict)) or not np.iterable(values):
        values = [values]
    try:
        return np.array(values, dtype=object).ravel()
    except ValueError:
        raise LoyaltyXLError(f"{name} must be a flat list or a rectangular range of values",
                             argument=name) from None


def to_float(values, name: str, what: str = "numbers") -> np.ndarray:
    """Values as float64 with NaN for blanks; text, booleans and other objects are errors."""
    arr = as_array(values, name)
    kind = arr.dtype.kind
    if kind in "iuf":
        return arr.astype(float, copy=False)
    if kind == "O":
        return _object_to_float(arr, name, what)
    if kind in "US":
        stripped = np.char.strip(arr.astype(str))
        bad = stripped != ""
        if bad.any():
            i = int(np.argmax(bad))
            raise LoyaltyXLError(f"{name} must be {what}, not text", argument=name,
                                 value=str(arr[i]), position=i)
        return np.full(arr.shape, np.nan)
    if arr.size == 0:
        return np.empty(0)
    raise LoyaltyXLError(f"{name} must be {what}", argument=name, value=arr[0].item()
                         if hasattr(arr[0], "item") else arr[0], position=0)


def _object_to_float(arr: np.ndarray, name: str, what: str) -> np.ndarray:
    kinds = list(map(type, arr))
    distinct = set(kinds)
    blank_types = {t for t in distinct if t.__name__ in _BLANK_TYPE_NAMES}
    text_types = {t for t in distinct if issubclass(t, _TEXT_TYPES)}
    other = distinct - blank_types - text_types - {t for t in distinct if _is_numeric_type(t)}
    if other:
        i = next(i for i, t in enumerate(kinds) if t in other)
        raise LoyaltyXLError(f"{name} must be {what}", argument=name, value=arr[i], position=i)
    blank = None
    if blank_types or text_types:
        special = blank_types | text_types
        blank = np.fromiter((t in special for t in kinds), dtype=bool, count=len(kinds))
        if text_types:
            for i in np.flatnonzero(blank):
                value = arr[i]
                if isinstance(value, _TEXT_TYPES) and str(value).strip():
                    raise LoyaltyXLError(f"{name} must be {what}, not text", argument=name,
                                         value=value, position=int(i))
        arr = arr.copy()
        arr[blank] = np.nan
    try:
        return arr.astype(float)
    except (OverflowError, ValueError, TypeError):
        for i, value in enumerate(arr):
            try:
                float(value)
            except (OverflowError, ValueError, TypeError):
                raise LoyaltyXLError(f"{name} must be {what}", argument=name, value=value,
                                     position=i) from None
        raise


def first_bad(bad: np.ndarray) -> int | None:
    """Position of the first True in ``bad``, or None."""
    if bad.any():
        return int(np.argmax(bad))
    return None


class Tally:
    """Answers on a whole-number scale counted per answer value (sums of weights if weighted).

    ``counts[k]`` is the (weighted) number of answers ``low + k``; ``square_sum`` is the sum of
    squared weights (N when unweighted), for Kish's effective sample size.
    """

    __slots__ = ("low", "counts", "square_sum")

    def __init__(self, low: int, counts: np.ndarray, square_sum: float):
        self.low, self.counts, self.square_sum = low, counts, square_sum

    @property
    def total(self) -> float:
        return float(self.counts.sum())

    def at_least(self, answer: int) -> float:
        return float(self.counts[answer - self.low:].sum())

    def at_most(self, answer: int) -> float:
        return float(self.counts[:answer - self.low + 1].sum())

    def mean(self) -> float:
        total = self.total
        values = np.arange(self.low, self.low + self.counts.size)
        return float(np.dot(self.counts, values) / total) if total else float("nan")

    def effective_n(self) -> float:
        total = self.total
        return total * total / self.square_sum if self.square_sum > 0 else 0.0


def answer_codes(values, name: str, low: int, high: int):
    """Whole-number answers low..high as codes 0..high-low, blanks as the code high-low+1.

    Returns the codes and the mask of answered positions (None when nothing is blank).
    """
    arr = as_array(values, name)
    span = high - low + 1
    if arr.dtype.kind in "iu" and arr.size:
        if arr.min() < low or arr.max() > high:
            i = first_bad((arr < low) | (arr > high))
            raise LoyaltyXLError(f"{name} must be whole numbers from {low:g} to {high:g}",
                                 argument=name, value=int(arr[i]), position=i)
        return (arr - low).astype(np.intp), None
    x = arr if arr.dtype.kind == "f" else to_float(arr, name)
    blank = np.isnan(x)
    with np.errstate(invalid="ignore"):
        whole = x.astype(np.int64)
        bad = ~blank & ((x < low) | (x > high) | (whole != x))
    i = first_bad(bad)
    if i is not None:
        raise LoyaltyXLError(f"{name} must be whole numbers from {low:g} to {high:g}",
                             argument=name, value=float(x[i]), position=i)
    return np.where(blank, span, whole - low), ~blank


def checked_weights(weights, size: int, answered, name: str = "weights") -> np.ndarray:
    """Weights: one per answer, a finite number >= 0 wherever there is an answer."""
    w = to_float(weights, name)
    if w.size != size:
        raise LoyaltyXLError(f"{name} must have one value per answer ({size})",
                             argument=name, value=w.size)
    with np.errstate(invalid="ignore"):
        bad = ~(np.isfinite(w) & (w >= 0))
    if answered is not None:
        bad &= answered
    i = first_bad(bad)
    if i is not None:
        reason = (f"{name} must be a number >= 0 for every answer"
                  if not np.isnan(w[i]) else f"{name} is blank where there is an answer")
        raise LoyaltyXLError(reason, argument=name, value=float(w[i]), position=i,
                             has_value=True)
    return w


def tally(values, name: str, low: int, high: int, weights=None,
          weights_name: str = "weights") -> Tally:
    """Count whole-number answers low..high (blanks skipped) in one vectorised pass."""
    codes, answered = answer_codes(values, name, low, high)
    span = high - low + 1
    if weights is None:
        counts = np.bincount(codes, minlength=span + 1)[:span].astype(float)
        return Tally(low, counts, float(counts.sum()))
    w = checked_weights(weights, codes.size, answered, weights_name)
    counts = np.bincount(codes, weights=w, minlength=span + 1)[:span]
    with np.errstate(over="ignore", invalid="ignore"):  # huge weights: inf, not a warning
        squares = np.bincount(codes, weights=w * w, minlength=span + 1)[:span]
    return Tally(low, counts, float(squares.sum()))


def quantity(value, name: str, *, whole: bool = False, allow_nan: bool = False,
             minimum: float | None = 0.0, maximum: float | None = None) -> np.ndarray:
    """A count or an amount (scalar or array, not flattened) as float64, checked."""
    arr = np.asarray(value) if isinstance(value, np.ndarray) else None
    if arr is None or arr.dtype.kind not in "iuf":
        try:
            shape = np.shape(value) if not isinstance(value, (str, bytes)) else ()
        except ValueError:
            raise LoyaltyXLError(f"{name} must be a number or a rectangular range of numbers",
                                 argument=name) from None
        try:
            flat = to_float(value, name, "a number" if shape == () else "numbers")
        except LoyaltyXLError as err:
            if shape == ():
                err = LoyaltyXLError(err.reason, argument=name, value=err.value)
            raise err from None
        arr = flat.reshape(shape) if flat.size == int(np.prod(shape)) else flat
    x = arr.astype(float, copy=False)
    with np.errstate(invalid="ignore"):
        blank = np.isnan(x)
        bad = ~blank & ~np.isfinite(x)
        if minimum is not None:
            bad |= x < minimum
        if maximum is not None:
            bad |= x > maximum
        if whole:
            bad |= ~blank & (x != np.floor(x))
        if not allow_nan:
            bad |= blank
    flat_bad = np.ravel(bad)
    i = first_bad(flat_bad)
    if i is not None:
        parts = ["a whole number" if whole else "a number"]
        if minimum is not None and maximum is not None:
            parts.append(f"from {minimum:g} to {maximum:g}")
        elif minimum is not None:
            parts.append(f">= {minimum:g}")
        reason = f"{name} must be {' '.join(parts)}"
        value_i = float(np.ravel(x)[i])
        raise LoyaltyXLError(reason, argument=name, value=value_i,
                             position=i if x.ndim else None, has_value=True)
    return x


def result(x):
    """A 0-d result as a Python float, an array result as is."""
    x = np.asarray(x, dtype=float)
    return float(x) if x.ndim == 0 else x


def divide(numerator, denominator):
    """numerator / denominator with NaN where the denominator is 0 (undefined, never 0)."""
    num, den = np.broadcast_arrays(np.asarray(numerator, float), np.asarray(denominator, float))
    out = np.full(num.shape, np.nan)
    with np.errstate(over="ignore", invalid="ignore"):
        np.divide(num, den, out=out, where=den != 0)
    return result(out)


def check_not_greater(small: np.ndarray, large: np.ndarray, reason: str, small_name: str) -> None:
    """Raise when small > large anywhere (inconsistent counts)."""
    s, lg = np.broadcast_arrays(small, large)
    i = first_bad(np.ravel(s > lg))
    if i is not None:
        raise LoyaltyXLError(reason, argument=small_name, value=float(np.ravel(s)[i]),
                             position=i if s.ndim else None)


def choice(value, name: str, options) -> str:
    """A keyword option that must be one of ``options``."""
    if value not in options:
        raise LoyaltyXLError(f"{name} must be one of {', '.join(map(repr, options))}",
                             argument=name, value=value)
    return value
