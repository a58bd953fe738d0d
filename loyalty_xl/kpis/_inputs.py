"""Turning user input (lists, numpy arrays, pandas Series, scalars) into checked numpy arrays.

Conventions (see docs/kpis.md): blanks (None, NaN, pandas NA, empty text) are skipped; text in a
numeric input is an error; every error names the argument, the value and its position in the
flattened input. Everything here is vectorised: Python-level work is one ``map(type, ...)`` pass
over object arrays, never a loop that does arithmetic per element.
"""

from __future__ import annotations

import math
import numbers
from decimal import Decimal

import numpy as np

from loyalty_xl.errors import InputError

_BLANK_TYPE_NAMES = {"NoneType", "NAType", "NaTType", "JsNull"}
_TEXT_TYPES = (str, bytes, np.str_)


def _is_numeric_type(kind: type) -> bool:
    if issubclass(kind, (bool, np.bool_)):
        return False
    return issubclass(kind, numbers.Real) or issubclass(kind, Decimal)


def _maybe_blank(kind: type) -> bool:
    """Types whose values may be blank: None, NA, NaT, JsNull, floats (NaN), text."""
    return (kind.__name__ in _BLANK_TYPE_NAMES
            or issubclass(kind, (float, np.floating, str, np.datetime64)))


def _blank_of(value) -> bool:
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, np.datetime64):
        return bool(np.isnat(value))
    if isinstance(value, (float, np.floating)):
        return value != value
    return True  # None, pandas NA and NaT, Pyodide's JsNull


def blank_mask(arr: np.ndarray, kinds: list | None = None) -> np.ndarray:
    """True where a cell is blank: None, NaN, pandas NA, NaT, JsNull, empty or blank text.

    The one blank rule of loyalty_xl: the KPI inputs, dates, customer ids and the Excel
    layer's cells all use it. ``kinds`` (``list(map(type, arr))``) may be passed when the
    caller has it already.

    Examples
    --------
    >>> blank_mask(np.array([None, 1, " ", "x", float("nan")], dtype=object)).tolist()
    [True, False, True, False, True]
    """
    kind = arr.dtype.kind
    if kind in "fc":
        return np.isnan(arr)
    if kind == "U":
        return np.char.strip(arr) == ""
    if kind == "S":
        return np.char.strip(arr) == b""
    if kind in "mM":
        return np.isnat(arr)
    if kind != "O":
        return np.zeros(arr.shape, bool)
    if kinds is None:
        kinds = list(map(type, arr.ravel()))
    candidates = {t for t in set(kinds) if _maybe_blank(t)}
    if not candidates:
        return np.zeros(arr.shape, bool)
    out = np.fromiter((t in candidates for t in kinds), bool, len(kinds))
    for i in np.flatnonzero(out):
        out[i] = _blank_of(arr.flat[i])
    return out.reshape(arr.shape)


def is_blank(value) -> bool:
    """One value under :func:`blank_mask`'s rule."""
    cell = np.empty(1, dtype=object)
    cell[0] = value
    return bool(blank_mask(cell)[0])


def as_array(values, name: str) -> np.ndarray:
    """Any array-like or scalar as a flat numpy array (row-major for 2-D input)."""
    pandas_data = hasattr(values, "to_numpy") and getattr(values, "ndim", 0) >= 1
    if pandas_data and hasattr(values, "dtype"):
        kind = getattr(values.dtype, "kind", "O")
        if kind in "iuf":  # includes pandas' nullable Int64/Float64 with NA
            return values.to_numpy(dtype=float, na_value=np.nan).ravel()
        return values.to_numpy(dtype=object).ravel()
    if isinstance(values, np.ndarray):
        return values.ravel()
    if pandas_data:  # a DataFrame: its cells, row by row
        return values.to_numpy(dtype=object).ravel()
    if isinstance(values, (str, bytes, dict)) or not np.iterable(values):
        values = [values]
    elif not isinstance(values, (list, tuple)):
        values = list(values)  # sets, ranges, generators: their items
    nested = (list, tuple, np.ndarray)
    try:
        out = np.array(values, dtype=object).ravel()
    except ValueError:
        out = None
    # Ragged nesting leaves lists as elements; the first or last shows it (elsewhere, the
    # type checks of the callers refuse them).
    if out is None or (out.size and (isinstance(out[0], nested) or isinstance(out[-1], nested))):
        raise InputError(f"{name} must be a flat list or a rectangular range of values",
                         argument=name) from None
    return out


def to_float(values, name: str, what: str = "numbers") -> np.ndarray:
    """Values as float64 with NaN for blanks; text, booleans and other objects are errors."""
    arr = as_array(values, name)
    kind = arr.dtype.kind
    if kind in "iuf":
        return arr.astype(float, copy=False)
    if kind == "O":
        return _object_to_float(arr, name, what)
    blank = blank_mask(arr)
    i = first_bad(~blank)
    if i is None:
        return np.full(arr.shape, np.nan)
    value = arr[i].item() if hasattr(arr[i], "item") else arr[i]
    reason = f"{name} must be {what}, not text" if kind in "US" else f"{name} must be {what}"
    raise InputError(reason, argument=name, value=value, position=i, has_value=True)


def _object_to_float(arr: np.ndarray, name: str, what: str) -> np.ndarray:
    kinds = list(map(type, arr))
    distinct = set(kinds)
    numeric = {t for t in distinct if _is_numeric_type(t)}
    blank = None
    if distinct - numeric:
        blank = blank_mask(arr, kinds)
        bad = ~blank & np.fromiter((t not in numeric for t in kinds), bool, len(kinds))
        i = first_bad(bad)
        if i is not None:
            value = arr[i]
            text = isinstance(value, _TEXT_TYPES)
            raise InputError(f"{name} must be {what}" + (", not text" if text else ""),
                             argument=name, value=value, position=i, has_value=True)
        arr = arr.copy()
        arr[blank] = np.nan
    try:
        return arr.astype(float)
    except (OverflowError, ValueError, TypeError, ArithmeticError):
        out = np.empty(arr.size)
        for i, value in enumerate(arr):
            try:
                out[i] = float(value)
            except (OverflowError, ValueError, TypeError, ArithmeticError):
                raise InputError(f"{name} must be {what} that fit in a float (up to 1.8e308)",
                                 argument=name, value=value, position=i) from None
        return out


def first_bad(bad: np.ndarray) -> int | None:
    """Position of the first True in ``bad``, or None."""
    if bad.any():
        return int(np.argmax(bad))
    return None


class Tally:
    """Answers on a whole-number scale counted per answer value (sums of weights if weighted).

    ``counts[k]`` is the (weighted) number of answers ``low + k`` divided by ``scale``;
    ``square_sum`` is the sum of squared weights over ``scale**2`` (N when unweighted), for
    Kish's effective sample size. Weights are divided by a power of two above their largest
    (``scale``) so that no sum overflows; shares, means and the effective n do not depend on it.
    """

    __slots__ = ("low", "counts", "square_sum", "scale")

    def __init__(self, low: int, counts: np.ndarray, square_sum: float, scale: float = 1.0):
        self.low, self.counts, self.square_sum, self.scale = low, counts, square_sum, scale

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

    def weighted(self, count: float, name: str = "weights") -> float:
        """A count of this tally in the units of the weights (sum of the weights)."""
        return unscale(count, self.scale, name)


def unscale(value: float, scale: float, name: str = "weights") -> float:
    """``value * scale``: a sum of scaled weights back in the weights' units, checked."""
    if scale == 1.0:
        return float(value)
    with np.errstate(over="ignore"):
        out = float(np.float64(value) * scale)
    if not math.isfinite(out):
        raise InputError(f"{name} are too large: their sum exceeds the largest number "
                         "(1.8e308); divide them by a constant", argument=name,
                         value=f"a sum of {value:.6g} x {scale:.6g}", has_value=True)
    return out


def answer_codes(values, name: str, low: int, high: int):
    """Whole-number answers low..high as codes 0..high-low, blanks as the code high-low+1.

    Returns the codes and the mask of answered positions (None when nothing is blank).
    """
    arr = as_array(values, name)
    span = high - low + 1
    if arr.dtype.kind in "iu" and arr.size:
        if arr.min() < low or arr.max() > high:
            i = first_bad((arr < low) | (arr > high))
            raise InputError(f"{name} must be whole numbers from {low:g} to {high:g}",
                             argument=name, value=int(arr[i]), position=i)
        return (arr - low).astype(np.intp), None
    x = arr if arr.dtype.kind == "f" else to_float(arr, name)
    blank = np.isnan(x)
    with np.errstate(invalid="ignore"):
        whole = x.astype(np.int64)
        bad = ~blank & ((x < low) | (x > high) | (whole != x))
    i = first_bad(bad)
    if i is not None:
        raise InputError(f"{name} must be whole numbers from {low:g} to {high:g}",
                         argument=name, value=float(x[i]), position=i)
    return np.where(blank, span, whole - low), ~blank


def checked_weights(weights, size: int, answered, name: str = "weights"):
    """Weights: one per answer, a finite number >= 0 wherever there is an answer.

    Returns the weights divided by the power of two just above their largest (exact), and
    that power (the scale), so that sums of weights and of their squares can neither
    overflow nor underflow to 0.
    """
    w = to_float(weights, name)
    if w.size != size:
        raise InputError(f"{name} must have one value per answer ({size})",
                         argument=name, value=w.size)
    with np.errstate(invalid="ignore"):
        bad = ~(np.isfinite(w) & (w >= 0))
    if answered is not None:
        bad &= answered
    i = first_bad(bad)
    if i is not None:
        reason = (f"{name} must be a number >= 0 for every answer"
                  if not np.isnan(w[i]) else f"{name} is blank where there is an answer")
        raise InputError(reason, argument=name, value=float(w[i]), position=i,
                         has_value=True)
    if answered is not None:
        w = np.where(answered, w, 0.0)
    largest = float(w.max()) if w.size else 0.0
    if largest == 0:
        return w, 1.0
    scale = math.ldexp(1.0, math.frexp(largest)[1] - 1)  # a power of two: dividing is exact
    with np.errstate(under="ignore"):
        return w / scale, scale


def tally(values, name: str, low: int, high: int, weights=None,
          weights_name: str = "weights") -> Tally:
    """Count whole-number answers low..high (blanks skipped) in one vectorised pass."""
    codes, answered = answer_codes(values, name, low, high)
    span = high - low + 1
    if weights is None:
        counts = np.bincount(codes, minlength=span + 1)[:span].astype(float)
        return Tally(low, counts, float(counts.sum()))
    w, scale = checked_weights(weights, codes.size, answered, weights_name)
    counts = np.bincount(codes, weights=w, minlength=span + 1)[:span]
    with np.errstate(under="ignore"):
        squares = np.bincount(codes, weights=w * w, minlength=span + 1)[:span]
    return Tally(low, counts, float(squares.sum()), scale)


def quantity(value, name: str, *, whole: bool = False, allow_nan: bool = False,
             minimum: float | None = 0.0, maximum: float | None = None) -> np.ndarray:
    """A count or an amount (scalar or array, not flattened) as float64, checked."""
    arr = np.asarray(value) if isinstance(value, np.ndarray) else None
    if arr is None or arr.dtype.kind not in "iuf":
        try:
            shape = np.shape(value) if not isinstance(value, (str, bytes)) else ()
        except ValueError:
            raise InputError(f"{name} must be a number or a rectangular range of numbers",
                             argument=name) from None
        try:
            flat = to_float(value, name, "a number" if shape == () else "numbers")
        except InputError as err:
            if shape == ():
                err = InputError(err.reason, argument=name, value=err.value)
            raise err from None
        if shape == () and flat.size != 1:  # a set, a dict view...: not one number
            raise InputError(f"{name} must be a number", argument=name, value=value)
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
        raise InputError(reason, argument=name, value=value_i,
                         position=i if x.ndim else None, has_value=True)
    return x


def result(x):
    """A 0-d result as a Python float, an array result as is."""
    x = np.asarray(x, dtype=float)
    return float(x) if x.ndim == 0 else x


def divide(numerator, denominator, what: str = "the result"):
    """numerator / denominator with NaN where the denominator is 0 (undefined, never 0).

    A quotient too large for a float (1e308 / 1e-10) is an error, never inf.
    """
    num, den = np.broadcast_arrays(np.asarray(numerator, float), np.asarray(denominator, float))
    out = np.full(num.shape, np.nan)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        np.divide(num, den, out=out, where=den != 0)
    return result(finite(out, what))


def finite(x, what: str):
    """``x`` unchanged; an error where a finite input gave an infinite result (overflow)."""
    x = np.asarray(x, dtype=float)
    i = first_bad(np.ravel(np.isinf(x)))
    if i is not None:
        raise InputError(f"{what} is too large to represent (beyond 1.8e308)", argument=what,
                         position=i if x.ndim else None)
    return x


def product(*factors, what: str = "the result"):
    """The elementwise product of finite factors (NaN passes through), without overflow to inf
    and without inf * 0 = NaN: a zero factor gives 0, a true result beyond 1.8e308 an error."""
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        out = np.asarray(factors[0], dtype=float)
        for factor in factors[1:]:
            out = out * factor
        if not np.isfinite(out).all():
            zero = np.zeros(out.shape, bool)
            for factor in factors:
                zero |= np.asarray(factor) == 0
            nan = np.zeros(out.shape, bool)
            for factor in factors:
                nan |= np.isnan(factor)
            out = np.where(zero & ~nan, 0.0, out)
    return result(finite(out, what))


def same_shape(*named) -> None:
    """(value, name) pairs: every array (not a single number) must have the same shape."""
    shapes = [(np.shape(value), name) for value, name in named
              if value is not None and np.ndim(value) and np.size(value) != 1]
    for shape, name in shapes[1:]:
        if shape != shapes[0][0]:
            first = shapes[0]
            raise InputError(f"{first[1]} and {name} must have the same shape; got {first[0]} "
                             f"and {shape}", argument=name)


def check_not_greater(small: np.ndarray, large: np.ndarray, reason: str, small_name: str) -> None:
    """Raise when small > large anywhere (inconsistent counts)."""
    s, lg = np.broadcast_arrays(small, large)
    i = first_bad(np.ravel(s > lg))
    if i is not None:
        raise InputError(reason, argument=small_name, value=float(np.ravel(s)[i]),
                         position=i if s.ndim else None)


def choice(value, name: str, options) -> str:
    """A keyword option that must be one of ``options`` (text; anything else is an error)."""
    if not isinstance(value, str) or value not in options:
        raise InputError(f"{name} must be one of {', '.join(map(repr, options))}",
                         argument=name, value=value, has_value=True)
    return str(value)


def is_real(value) -> bool:
    """A single real number (not a bool, not a numpy timedelta, which numpy counts as an int)."""
    return isinstance(value, (numbers.Real, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_, np.timedelta64))


def flag(value, name: str) -> bool:
    """A yes/no option: True or False (1 and 0 accepted); anything else is an error."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if is_real(value) and value in (0, 1):
        return bool(value)
    raise InputError(f"{name} must be True or False", argument=name, value=value,
                     has_value=True)
