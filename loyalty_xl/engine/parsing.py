"""Parsing and checking the inputs: each input's rows become typed columns plus ``reason`` (why
a row is excluded, or null) and ``raw`` (the offending value); the data-quality summary counts
them per reason with the first examples, and only the used rows go on to counting.

Date and number columns are read as exports write them (:class:`Columns`): the decimal
separator and the order of day and month are decided per column from all its values, or taken
from the input's ReadOptions; dates outside 1900-2199 and numbers beyond 10^15 are excluded and
counted like unparseable ones.
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt
import numpy as np
import pandas as pd
from ibis import _

from loyalty_xl import periods as P
from loyalty_xl.engine.backend import Scratch
from loyalty_xl.engine.quality import EXAMPLES, DataQuality, InputQuality
from loyalty_xl.engine.settings import Settings
from loyalty_xl.engine.sources import Source
from loyalty_xl.errors import InputError, LoyaltyXLError
from loyalty_xl.kpis import answers

CLI_METRICS = ("cli_recommend", "cli_buy_again", "cli_other_products")
METRICS = ("nps", "csat", "ces", *CLI_METRICS)
EVENT_KINDS = {"issued": "issued", "earned": "issued", "earn": "issued", "issue": "issued",
               "redeemed": "redeemed", "redeem": "redeemed", "burned": "redeemed",
               "burn": "redeemed"}



#: Amounts, points and weights beyond this size are excluded (sums of such values overflow and
#: no loyalty figure is that large).
MAX_NUMBER = 1e15
FIRST_DAY = f"{P.FIRST_YEAR}-01-01"
LAST_DAY = f"{P.LAST_YEAR}-12-31"

# Numbers: currency symbols and codes, spaces (also no-break) and apostrophes (Swiss thousands)
# are removed, then the shape of what is left says which separator is the decimal one.
CODES = "EUR|USD|GBP|CHF|JPY|SEK|NOK|DKK|PLN|CZK|HUF|CAD|AUD|NZD"
CURRENCY = rf"[\s\x{{00a0}}\x{{202f}}'€$£¥₹]|^(?:{CODES})|(?:{CODES})$"
A_COMMA = r"^[+-]?[1-9]\d{0,2},\d{3}$"  # 1,234: thousands (1234) or decimal comma (1.234)
POINT_GROUPED = r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$"  # 1,234,567.89
COMMA_FORM = r"^[+-]?(\d{1,3}(\.\d{3})+|\d+)?,\d+$"  # 1.234,56 or 12,50
DOT_GROUPS = r"^[+-]?\d{1,3}(\.\d{3})+$"  # 1.234.567
DIGITS = "0123456789"
NUMBER_CHARS = DIGITS + ".,+-"
COMMA_ANY = r"^[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$"  # any number written with a decimal comma
# Number classes: 0 no separator, 1 decimal point, 2 decimal comma, 3 like 1.234, 4 like 1,234,
# 9 not a number; null: blank.
NO_SEPARATOR, POINT, COMMA, LIKE_1_234, LIKE_1C234, NOT_NUMBER = 0, 1, 2, 3, 4, 9

# Dates (the date part decides; a time, and an ISO time zone, may follow).
TIME = r"(?:[ T,]+\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:\s*[AaPp]\.?[Mm]\.?)?)?"
DOT_DATE = r"^(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})" + TIME + "$"
SLASH_DATE = r"^(\d{1,2})[/-](\d{1,2})[/-](\d{4}|\d{2})" + TIME + "$"
# Date classes: 1 ISO (yyyy-mm-dd...), 2 dd.mm.yyyy, 3 dd/mm/yyyy or mm/dd/yyyy, 4 Excel serial,
# 9 not a date; null: blank.
ISO, DOTTED, SLASHED, SERIAL, NOT_DATE = 1, 2, 3, 4, 9
DATE_NAMES = {ISO: "yyyy-mm-dd", DOTTED: "dd.mm.yyyy", SERIAL: "Excel serial"}
ORDER_NAMES = {"dmy": "dd/mm/yyyy", "mdy": "mm/dd/yyyy", "ymd": "yyyy-mm-dd"}
EXCEL_EPOCH = ibis.date(1899, 12, 30)


@ibis.udf.scalar.builtin(name="trim")
def _space_trim(text: str) -> str:
    """DuckDB's one-argument trim (spaces only): three times faster than Ibis' strip, which
    trims a set of characters."""


@ibis.udf.scalar.builtin(name="try_strptime")
def _try_strptime(text: str, formats: dt.Array(dt.string)) -> dt.timestamp:
    """DuckDB's strptime with a list of formats, null where the text matches none."""


_DOTTED_TIMES = ("", " %H:%M", " %H:%M:%S")
#: dd.mm.yyyy with or without a time (DuckDB's %Y also takes a 2-digit year, as year 25)
DOTTED_FOUR = [f"%d.%m.%Y{f}" for f in _DOTTED_TIMES]
DOTTED_TWO = [f"%d.%m.%y{f}" for f in _DOTTED_TIMES]


def _strip(column, fast):
    """Surrounding white space removed: spaces only on DuckDB (fast; a value with a tab around
    it is then unparseable, hence excluded and counted, never misread), all white space
    elsewhere."""
    return _space_trim(column) if fast else column.strip()


def _on_duckdb(table) -> bool:
    try:
        return table._find_backend().name == "duckdb"
    except Exception:  # an unbound memtable: the engine's DuckDB runs it
        return True


def _blank(v):
    return v.isnull() | (v == "")


def _full_year(text):
    """'25-12-31' -> '2025-12-31' (00-68: 20xx, 69-99: 19xx, as Python's %y); else unchanged."""
    two = text.find("-") == 2
    century = ibis.cases((text.substr(0, 2) < "69", "20"), else_="19")
    return ibis.cases((two, century + text), else_=text)


def _day_steps(column, *, order=None, serial=False, fast=False):
    """A date column's parsing, as steps (each a function of the table so far giving new
    columns; see Columns): the text ``v``, its class ``cls``, the reading ``a`` of the
    unambiguous forms and ``dmy``/``mdy``, 01/02/2025 read both ways (only the one ``order``
    asks for, both when None)."""
    kind = column.type()
    if kind.is_date() or kind.is_timestamp():
        day = column if kind.is_date() else column.date()
        return [lambda t: dict(v=day.cast("string"), a=day, cls=ibis.cases(
            (day.notnull(), ISO), else_=ibis.null("int8")).cast("int8"))]

    def step1(t):
        return dict(v=_strip(column.cast("string"), fast))

    def step2(t, c=None):
        v = t["v"]
        iso = v.substr(4, 1) == "-"
        if fast:  # the shape only; DuckDB's strptime reads it (4x faster than the pattern)
            dot = ~iso & v.contains(".") & ~v.contains("/")
        else:
            dot = ibis.cases((iso, False), else_=v.re_search(DOT_DATE))
        out = dict(iso=iso, dot=dot)
        if fast:
            out["four"] = ibis.cases((dot, _try_strptime(v, ibis.literal(DOTTED_FOUR))),
                                     else_=ibis.null("timestamp"))
        if serial:
            number = v.try_cast("float64")
            out["serial"] = ibis.cases(((number >= 1) & (number < 2958466), number),
                                       else_=ibis.null("float64"))
        return out

    def step3(t):
        v, iso, dot = t["v"], t["iso"], t["dot"]
        is_serial = t["serial"].notnull() if serial else ibis.literal(False)
        dotted = _full_year(v.re_replace(DOT_DATE, r"\3-\2-\1")).try_cast("date")
        if fast:  # 4-digit years, else 2-digit ones (00-68: 20xx), else the pattern
            four = t["four"]
            dotted = ibis.cases(
                (four.year() >= 100, four.date()),
                else_=ibis.coalesce(_try_strptime(v, ibis.literal(DOTTED_TWO)).date(), dotted))
        a = ibis.cases(
            (iso, v.try_cast("timestamp").date()),
            (dot, dotted),
            (is_serial, EXCEL_EPOCH + t["serial"].floor().cast("int32").as_interval("D"))
            if serial else (ibis.literal(False), ibis.null("date")),
            else_=ibis.null("date"))
        slash = ibis.cases((iso | dot, False), else_=v.re_search(SLASH_DATE))
        return dict(a=a, slash=slash)

    def step4(t):
        v, slash = t["v"], t["slash"]
        is_serial = t["serial"].notnull() if serial else ibis.literal(False)
        out = dict(cls=ibis.cases((_blank(v), ibis.null("int8")), (t["iso"], ISO),
                                  (t["dot"] & t["a"].notnull(), DOTTED), (t["dot"], NOT_DATE),
                                  (slash, SLASHED), (is_serial, SERIAL),
                                  else_=NOT_DATE).cast("int8"))
        for key, pattern in (("dmy", r"\3-\2-\1"), ("mdy", r"\3-\1-\2")):
            if order in (None, key):
                out[key] = ibis.cases((slash, _full_year(v.re_replace(SLASH_DATE, pattern))
                                       .try_cast("date")), else_=ibis.null("date"))
        return out

    return [step1, step2, step3, step4]


def _in_years(day):
    return (day >= ibis.date(FIRST_DAY)) & (day <= ibis.date(LAST_DAY))


def _number_steps(column, *, fast=False):
    """A number column's parsing, as steps (see _day_steps): the text ``v``, DuckDB's reading
    ``direct`` (``plain`` when it stands), ``paren`` (an accounting minus) and the text
    without currency and spaces ``t``."""
    kind = column.type()
    if kind.is_numeric() or kind.is_boolean():
        value = column.cast("float64")
        return [lambda t: dict(v=column.cast("string"), p=value, c=value, cls=ibis.cases(
            (value.notnull(), NO_SEPARATOR), else_=ibis.null("int8")).cast("int8"))]

    def step1(t):
        return dict(v=_strip(column.cast("string"), fast))

    def step2(t):
        v = t["v"]
        return dict(direct=v.try_cast("float64"), paren=v.startswith("(") & v.endswith(")"),
                    underscore=v.contains("_"))

    def step3(t):
        v, paren = t["v"], t["paren"]
        plain = t["direct"].notnull() & ~t["underscore"]
        inner = ibis.cases((paren, v.substr(1, v.length() - 2)), else_=v)
        return dict(plain=plain, t=ibis.cases(
            (plain, v), (inner.translate(NUMBER_CHARS, "") == "", inner),  # nothing to remove
            else_=inner.re_replace(CURRENCY, "")))

    def step4(t):
        # the non-digits of the text, in order: "," for 83,26, ".," for 1.234,56
        return dict(shape=t["t"].translate(DIGITS, ""))

    return [step1, step2, step3, step4]


def _number_class(parts):
    """What a value says about the decimal separator (the classes above), from its parts.

    A plain value (DuckDB reads it as it is) is cheap to classify: no point, a point
    (``12.5``), or ``1.234``-like (three digits after the point, 1 to 3 before it, no leading
    zero, no exponent); other values by the shape of their text without currency (``t``).
    """
    if "t" not in parts:
        return parts["cls"]
    v, t, direct, shape = parts["v"], parts["t"], parts["direct"], parts["shape"]
    comma = t.find(",")
    simple_comma = (shape.isin([",", "-,", "+,"]) & (t.length() - comma - 1 != 3)
                    & (t.length() - comma - 1 > 0) & (comma > shape.length() - 1))

    def point_class(text, number):
        size = number.abs()
        like = ((text.length() - text.find(".") - 1 == 3) & (size >= 1) & (size < 1000)
                & ~text.contains("e") & ~text.contains("E"))
        return ibis.cases((~text.contains("."), NO_SEPARATOR), (like, LIKE_1_234),
                          else_=POINT)

    value = t.try_cast("float64")
    return ibis.cases(
        (_blank(v), ibis.null("int8")),
        (parts["plain"], point_class(v, direct)),
        (value.notnull() & ~t.contains("_"), point_class(t, value)),
        (simple_comma, COMMA),  # 12,50: no regular expression needed
        (t.re_search(A_COMMA), LIKE_1C234),
        (t.re_search(POINT_GROUPED), POINT),
        (t.re_search(COMMA_FORM), COMMA),
        (t.re_search(DOT_GROUPS), COMMA),
        else_=NOT_NUMBER).cast("int8")


def _number_values(parts, decimal):
    """A number column's readings: ``p`` with a decimal point, ``c`` with a decimal comma (the
    one ``decimal`` asks for; both when None).

    A value DuckDB reads as it is (``plain``) costs nothing more; the others are read from
    their text without currency and spaces (``t``), by shape:

    - point: ``1,234,567.89`` (comma thousands) or what a plain number looks like;
    - comma: ``1.234.567,89``, ``12,50``, ``1.234`` (= 1234), ``1,234`` (= 1.234), ``12``.
    """
    if "t" not in parts:  # a numeric column
        return {"p": parts["p"], "c": parts["c"]}
    t, plain, direct = parts["t"], parts["plain"], parts["direct"]
    sign = ibis.cases((parts["paren"], -1.0), else_=1.0)
    out = {}
    if decimal in (None, "."):
        out["p"] = ibis.cases(
            (plain, direct),
            (t.re_search(POINT_GROUPED), t.replace(",", "").try_cast("float64")),
            (~t.contains("_") & ~t.contains(","), t.try_cast("float64")),
            else_=ibis.null("float64")) * sign
    if decimal in (None, ","):
        out["c"] = ibis.cases(
            (plain & ~parts["v"].contains("."), direct),
            (parts["shape"].isin([",", "-,", "+,"]) & ~t.endswith(",") & ~t.startswith(",")
             & ~t.contains("-,") & ~t.contains("+,"),
             t.replace(",", ".").try_cast("float64")),
            (t.re_search(COMMA_ANY),
             t.replace(".", "").replace(",", ".").try_cast("float64")),
            else_=ibis.null("float64")) * sign
    return out


def _usable(value):
    return value.notnull() & ~value.isnan() & (value.abs() <= MAX_NUMBER)


_views = iter(range(1, 1 << 62))


class _Prefixed:
    """The columns ``name__*`` of a table, by their short names."""

    def __init__(self, table, name):
        self.table, self.prefix = table, f"{name}__"

    def __getitem__(self, key):
        return self.table[self.prefix + key]

    def all(self) -> dict:
        return {c[len(self.prefix):]: self.table[c] for c in self.table.columns
                if c.startswith(self.prefix)}


class Columns:
    """The typed date and number columns of one input.

    ``dates`` and ``numbers`` map an output name to a source column. :meth:`decide` settles
    each column's format from ALL its values in one aggregate pass (classes only: which
    separators and date shapes occur, and which slash dates fit only one order), honouring the
    input's ReadOptions; :meth:`day` and :meth:`number` then parse every value once, with that
    format, in the same query that checks and keeps the rows. :meth:`raw` is a value's text
    where it is excluded (unusable under the chosen format), else null.
    """

    def __init__(self, src: Source, dates: dict, numbers: dict):
        self.src = src
        self.order = src.read.date_format
        self.decimal = src.read.decimal
        self.chosen = {}
        serial = src.kind == "workbook"
        self.fast = fast = _on_duckdb(src.table)
        steps = {name: _day_steps(src.table[c], order=self.order, serial=serial, fast=fast)
                 for name, c in dates.items()}
        steps.update({name: _number_steps(src.table[c], fast=fast)
                      for name, c in numbers.items()})
        # Each step is its own (aliased) projection, so a value's text is trimmed, cleaned
        # and classified once, not once per use (Ibis would inline them into one huge CASE).
        table = src.table
        for depth in range(max((len(v) for v in steps.values()), default=0)):
            new = {}
            for name, column_steps in steps.items():
                if depth < len(column_steps):
                    view = _Prefixed(table, name)
                    new.update({f"{name}__{k}": e
                                for k, e in column_steps[depth](view).items()})
            table = table.mutate(**new).alias(f"loyalty_parse_{next(_views)}")
        self.table = table
        self.dates = {name: table[c] for name, c in dates.items()}
        self.numbers = {name: table[c] for name, c in numbers.items()}
        self.date_parts = {n: _Prefixed(table, n).all() for n in dates}
        self.number_parts = {n: _Prefixed(table, n).all() for n in numbers}

    def decide(self):
        """Decide every column's format from all its values; record it in ``src.detected``."""
        aggs = {}
        for name, parts in self.date_parts.items():
            for code in (ISO, DOTTED, SLASHED, SERIAL):
                aggs[f"{name}_{code}"] = (parts["cls"] == code).sum()
            if "dmy" in parts and "mdy" in parts:
                dmy, mdy = parts["dmy"], parts["mdy"]
                aggs[f"{name}_dmy_only"] = (dmy.notnull() & mdy.isnull()).sum()
                aggs[f"{name}_mdy_only"] = (mdy.notnull() & dmy.isnull()).sum()
        for name, parts in self.number_parts.items():
            if "t" in parts and self.decimal is None:
                cls = _number_class(parts)
                for code in (POINT, COMMA, LIKE_1_234, LIKE_1C234):
                    aggs[f"{name}_{code}"] = (cls == code).sum()
        counts = {}
        if aggs:
            try:
                row = self.table.agg(**aggs).execute().iloc[0]
            except LoyaltyXLError:
                raise
            except Exception as err:
                if self.src.explain is None:
                    raise
                raise self.src.explain(err) from None
            counts = {k: int(v) if v == v and v is not None else 0 for k, v in row.items()}
        shown_dates = []
        for name, column in self.dates.items():
            order = self.order
            if counts.get(f"{name}_{SLASHED}") and order is None:
                dmy, mdy = counts[f"{name}_dmy_only"], counts[f"{name}_mdy_only"]
                if dmy and not mdy:
                    order = "dmy"
                elif mdy and not dmy:
                    order = "mdy"
                else:
                    self._ask_date_order(name, column, both=bool(dmy and mdy))
            self.chosen[name] = order
            for code in (ISO, DOTTED, SLASHED, SERIAL):
                if counts.get(f"{name}_{code}"):
                    shown_dates.append(ORDER_NAMES[order] if code == SLASHED
                                       else DATE_NAMES[code])
            if not counts and order:
                shown_dates.append(ORDER_NAMES[order])
        decimals = []
        for name, column in self.numbers.items():
            decimal = self.decimal
            if decimal is None and f"{name}_{POINT}" in counts:
                point, comma = counts[f"{name}_{POINT}"], counts[f"{name}_{COMMA}"]
                alike = counts[f"{name}_{LIKE_1_234}"] + counts[f"{name}_{LIKE_1C234}"]
                if point and comma and point == comma:
                    self._ask_decimal(name, column, mixed=True)
                elif point and comma:  # the minority is excluded, and counted
                    decimal = "." if point > comma else ","
                elif point:
                    decimal = "."
                elif comma:
                    decimal = ","
                elif alike:
                    # Excel writes ';' as the list separator exactly where ',' is the
                    # decimal separator, and ',' where '.' is.
                    decimal = {";": ",", ",": "."}.get(self.src.delimiter)
                    if decimal is None:
                        self._ask_decimal(name, column, mixed=False)
                    self.src.notes.append(
                        f"{_column_name(column)}: values like 1.234 read with decimal "
                        f"{decimal!r} (the file's delimiter is {self.src.delimiter!r}); "
                        f"override with --read {self.src.name}:decimal=")
                if decimal is not None:
                    decimals.append(decimal)
            elif decimal is not None:
                decimals.append(decimal)
            self.chosen[name] = decimal
        if self.dates:
            self.src.detected["date format"] = " + ".join(dict.fromkeys(shown_dates)) or "-"
        if self.numbers:
            self.src.detected["decimal"] = "/".join(dict.fromkeys(decimals)) or "-"
        return self

    def day(self, name):
        parts, order = self.date_parts[name], self.chosen.get(name)
        if order in ("dmy", "mdy") and "slash" in parts:
            return ibis.cases((parts["slash"], parts[order]), else_=parts["a"])
        return parts["a"]

    def number(self, name):
        values = _number_values(self.number_parts[name], self.chosen.get(name))
        return values["c"] if self.chosen.get(name) == "," else values["p"]

    def raw(self, name):
        """The text of a value that is excluded under the chosen format (else null)."""
        if name in self.date_parts:
            day = self.day(name)
            bad = day.isnull() | ~_in_years(day)
            v = self.date_parts[name]["v"]
        else:
            value = self.number(name)
            bad = ~_usable(value) | value.isinf()
            v = self.number_parts[name]["v"]
        return ibis.cases((bad & ~_blank(v), v), else_=ibis.null("string"))

    def _example(self, condition, column):
        """(line, text) of the first row where ``condition`` holds."""
        source = self.src.numbered(self.table)
        if "_row" not in source.columns:  # no row numbers: the value alone
            rows = source.filter(condition).select(v=column.cast("string")).limit(1).execute()
            return None, (rows["v"][0] if len(rows) else None)
        rows = source.filter(condition).order_by("_row").select(
            "_row", v=column.cast("string")).limit(1).execute()
        if not len(rows):
            return None, None
        return self.src.where(int(rows["_row"][0])), rows["v"][0]

    def _where(self, column, line):
        unit = "line" if self.src.kind == "csv" else "row"
        return f"{self.src.name} input {self.src.label}, column {_column_name(column)}" + (
            f", {unit} {line}" if line is not None else "")

    def _ask_date_order(self, name, column, both):
        dmy, mdy = self.date_parts[name]["dmy"], self.date_parts[name]["mdy"]
        if both:
            line, value = self._example(dmy.notnull() & mdy.isnull(), column)
            line2, value2 = self._example(mdy.notnull() & dmy.isnull(), column)
            what = (f"has dates that are only dd/mm/yyyy ({value!r}) and others only "
                    f"mm/dd/yyyy ({value2!r} at {line2})")
        else:
            line, value = self._example(dmy.notnull() & mdy.notnull(), column)
            what = f"has dates that fit both dd/mm/yyyy and mm/dd/yyyy; got {value!r}"
        raise InputError(f"{self._where(column, line)}: {what}; say which with --read "
                         f"{self.src.name}:date_format=dd/mm/yyyy (or mm/dd/yyyy)",
                         argument=self.src.name)

    def _ask_decimal(self, name, column, mixed):
        cls = _number_class(self.number_parts[name])
        if mixed:
            line, value = self._example(cls == POINT, column)
            line2, value2 = self._example(cls == COMMA, column)
            what = (f"mixes a decimal point ({value!r}) and a decimal comma ({value2!r} at "
                    f"{line2}) as often")
        else:
            line, value = self._example(cls.isin([LIKE_1_234, LIKE_1C234]), column)
            what = f"has numbers like {value!r} that read either as thousands or as decimals"
        raise InputError(f"{self._where(column, line)}: {what}; say which is the decimal "
                         f"separator with --read {self.src.name}:decimal=, (or .)",
                         argument=self.src.name)


def _materialise(src: Source, scratch: Scratch, parsed, keys):
    """A CSV input's checked rows, kept once (the file is parsed in one pass instead of once
    per query that reads it), with ``_row`` filled in from the rows' order (no window); other
    inputs stay lazy. Returns (rows, keys): the full raw texts are not kept; a CSV row is
    located by its line, so its key is its row number."""
    if src.kind != "csv":
        return parsed, keys
    columns = [c for c in parsed.columns if not c.startswith("raw_")]
    try:
        table = scratch.keep(parsed.select(*columns))
    except LoyaltyXLError:
        raise
    except Exception as err:
        if src.explain is None:
            raise
        raise src.explain(err) from None
    if src.row_offset is not None:  # rows kept in file order: number them by position
        scratch.con.con.execute(f'UPDATE "{scratch.names[-1]}" SET _row = rowid + '
                                f"{int(src.row_offset)}").fetchall()
    return table, {"row": table._row.cast("string")}


def _column_name(column) -> str:
    try:
        return repr(column.get_name())
    except Exception:
        return "(expression)"


def _text(column, fast=False):
    if column.type().is_string():
        stripped = _strip(column, fast)
        return ibis.cases((stripped == "", ibis.null("string")), else_=stripped)
    return column


def _raw(column):
    return column.cast("string")


def _reasons(table, checks):
    """Add ``reason`` (the first failed check) and ``raw`` (its offending value)."""
    reason = ibis.cases(*[(bad, label) for bad, label, _ in checks], else_=ibis.null("string"))
    raw = ibis.cases(*[(bad, value) for bad, _, value in checks], else_=ibis.null("string"))
    return table.mutate(reason=reason, raw=raw)


def _row_of(t):
    """The source's row number (``_row``), or null for inputs without one (an Ibis or Spark
    table: numbering them would need a global ordering, one partition on Spark)."""
    return t._row if "_row" in t.columns else ibis.null("int64")


def _where(columns: dict):
    """How the data-quality examples name a row without a row number: its key columns."""
    parts = []
    for label, column in columns.items():
        parts.append(ibis.literal(f"{label}=") + ibis.coalesce(column, ibis.literal("")))
    text = parts[0]
    for part in parts[1:]:
        text = text + ibis.literal(", ") + part
    return text


def _account(src: Source, parsed, quality: DataQuality, notes=(), *, keys, extra=None):
    """Count rows per reason in one pass (one grouped query, with ``extra`` aggregates per
    reason), then fetch the first few examples of each reason found (by row number, or by
    the row's ``keys`` columns when there is none): a Top-N per reason, no global ordering.
    Returns the used rows and the aggregates of the used rows (a dict)."""
    item = InputQuality(src.name, src.label, kind=src.kind, read=dict(src.detected))
    counts = parsed.group_by("reason").agg(n=_.count(), **(extra or {})).execute()
    used = {}
    for record in counts.to_dict("records"):
        reason, n = record["reason"], int(record["n"])
        item.rows_read += n
        if reason is None or (isinstance(reason, float) and np.isnan(reason)):
            item.rows_used += n
            used = record
        else:
            item.excluded[str(reason)] = n
    if item.excluded:
        where = _where(keys)
        parts = [parsed.filter(parsed.reason == reason).select(
            "reason", "_row", "raw", where=where).order_by(["_row", "where"]).limit(EXAMPLES)
            for reason in sorted(item.excluded)]
        examples = (ibis.union(*parts) if len(parts) > 1 else parts[0]).execute()
        examples = examples.sort_values(["reason", "_row", "where"], na_position="last")
        for reason, row, where_text, raw in zip(examples["reason"], examples["_row"],
                                                examples["where"], examples["raw"]):
            blank = raw is None or (isinstance(raw, float) and np.isnan(raw)) or not str(raw)
            located = where_text if row is None or pd.isna(row) else src.where(int(row))
            item.examples.setdefault(reason, []).append((located, "(blank)" if blank else raw))
        item.excluded = dict(sorted(item.excluded.items(), key=lambda kv: -kv[1]))
    item.notes.extend(src.notes)
    item.notes.extend(notes)
    quality.add(item)
    return parsed.filter(_.reason.isnull()), used


def _first_of(parsed, group, valid, duplicate_reason, raw, keys):
    """Mark all but the first row (by row number, else by the row's own columns) of each
    ``group`` among the ``valid`` used rows as excluded for ``duplicate_reason`` (a window
    partitioned by the group: it distributes)."""
    order = [parsed._row, *keys.values()]
    first = ibis.row_number().over(group_by=[*group, valid], order_by=order)
    duplicate = valid & (first > 0)
    return parsed.mutate(reason=ibis.cases((duplicate, duplicate_reason), else_=parsed.reason),
                         raw=ibis.cases((duplicate, raw), else_=parsed.raw))


def _no_rows(src: Source, item: InputQuality) -> InputError:
    return InputError(f"{src.name} input {src.label} has no usable rows: "
                      f"{item.describe(examples=True)}", argument=src.name)


def check_period(item: InputQuality, config: Settings) -> None:
    """``--period`` must be within the orders' dates (else the report would be empty)."""
    if config.until is None or item.first_date is None:
        return
    p = P.parse_label(config.period, config.until)
    first, last = pd.Timestamp(item.first_date).date(), pd.Timestamp(item.last_date).date()
    if p < P.ordinal(config.period, first) or p > P.ordinal(config.period, last):
        raise InputError(f"until {config.until} is outside the orders data, which runs from "
                         f"{first.isoformat()} to {last.isoformat()}", argument="until",
                         value=config.until)


def orders(src: Source, quality: DataQuality, scratch: Scratch, summary: dict | None = None,
           *, config: Settings | None = None):
    """The used orders (a lazy expression: parsed once per query that reads it, never
    materialised whole). Checks, refunds, duplicate order ids and the latest order day (into
    ``summary``) are counted in one grouped query; only when ids repeat does a window
    (partitioned by order id) mark the repeats."""
    cols = Columns(src, {"day": "order_date"}, {"amount": "amount"}).decide()
    t = cols.table
    cid, day, amount = _text(t.customer_id, cols.fast), cols.day("day"), cols.number("amount")
    columns = dict(cid=cid, day=day, amount=amount, _row=_row_of(t))
    has_ids = "order_id" in src.columns
    columns["order_id"] = _text(t.order_id, cols.fast) if has_ids else ibis.null("string")
    parsed = t.select(**columns, raw_id=_raw(t.customer_id), raw_date=_raw(t.order_date),
                      raw_amount=_raw(t.amount))
    checks = [(parsed.cid.isnull(), "missing customer id", parsed.raw_id),
              (parsed.day.isnull(), "unparseable order date", parsed.raw_date),
              (~_in_years(parsed.day), f"order date before {P.FIRST_YEAR} or after "
               f"{P.LAST_YEAR}", parsed.raw_date),
              (parsed.amount.isnull() | parsed.amount.isinf() | parsed.amount.isnan(),
               "unparseable amount", parsed.raw_amount),
              (parsed.amount.abs() > MAX_NUMBER, "amount beyond 10^15", parsed.raw_amount)]
    parsed = _reasons(parsed, checks)
    keys = {"customer_id": parsed.raw_id, "order_date": parsed.raw_date,
            "amount": parsed.raw_amount}
    if has_ids:
        keys = {"order_id": parsed.order_id, **keys}
    parsed, keys = _materialise(src, scratch, parsed, keys)
    extra = dict(refunds=_.count(where=_.amount < 0),
                 refund_total=_.amount.sum(where=_.amount < 0), last_day=_.day.max(),
                 first_day=_.day.min(where=_.amount >= 0), first_any_day=_.day.min())
    if has_ids:
        extra.update(ids=_.order_id.count(), distinct_ids=_.order_id.nunique())
    probe = DataQuality()
    clean, used = _account(src, parsed, probe, keys=keys, extra=extra)
    if has_ids and int(used.get("ids") or 0) != int(used.get("distinct_ids") or 0):
        parsed = _first_of(parsed, [parsed.order_id],
                           parsed.reason.isnull() & parsed.order_id.notnull(),
                           "duplicate order id", parsed.order_id.cast("string"), keys)
        probe = DataQuality()
        clean, used = _account(src, parsed, probe, keys=keys, extra=extra)
    item = probe.inputs[0]
    refunds = int(used.get("refunds") or 0)
    if refunds:
        item.notes.append(f"{refunds:,} refunds (negative amounts, total "
                          f"{float(used['refund_total']):,.2f}) reduce revenue in their period; "
                          "they are not orders and do not make a customer active")
    quality.add(item)
    if not item.rows_used:
        raise _no_rows(src, item)
    if used:
        item.first_date, item.last_date = used.get("first_any_day"), used.get("last_day")
    if config is not None:
        check_period(item, config)
    if summary is not None:  # the latest used order day (the report's last period) and the
        # first order (warm-up periods)
        summary["last_day"] = used.get("last_day") if used else None
        summary["first_day"] = used.get("first_day") if used else None
    return clean.select("cid", "day", "amount")


def responses(src: Source, config: Settings, quality: DataQuality, scratch: Scratch):
    numbers = {"score": "score"}
    if "weight" in src.columns:
        numbers["weight"] = "weight"
    cols = Columns(src, {"day": "answered_at"}, numbers).decide()
    t = cols.table
    columns = dict(day=cols.day("day"),
                   metric=_strip(t.metric.cast("string"), cols.fast).lower(),
                   score=cols.number("score"), _row=_row_of(t))
    has_respondent = "respondent_id" in src.columns
    columns["respondent"] = _text(t.respondent_id, cols.fast).cast("string") \
        if has_respondent else ibis.null("string")
    columns["weight"] = cols.number("weight") if "weight" in src.columns else ibis.literal(1.0)
    columns["segment"] = _text(t.segment.cast("string"), cols.fast) \
        if "segment" in src.columns else ibis.null("string")
    parsed = t.select(**columns, raw_date=_raw(t.answered_at), raw_metric=_raw(t.metric),
                      raw_score=_raw(t.score),
                      raw_weight=_raw(t.weight) if "weight" in src.columns else ibis.literal(""))
    scales = {m: answers.scale_of(m, csat_scale=config.csat_scale, ces_scale=config.ces_scale)
              for m in METRICS}
    off_scale = ibis.cases(*[(parsed.metric == m, (parsed.score < lo) | (parsed.score > hi))
                             for m, (lo, hi) in scales.items()], else_=False)
    score = parsed.score
    if t.score.type().is_string():  # Excel's '9: a number stored as text in a typed cell
        raw = parsed.raw_score.strip()
        unmarked = raw.substr(1).try_cast("float64")
        as_text = raw.startswith(answers.TEXT_MARK) & unmarked.notnull() & ~unmarked.isinf()
    else:
        as_text = ibis.literal(False)
    # One rule (loyalty_xl.kpis.answers): its reasons, in its order.
    checks = [
        (parsed.day.isnull(), "unparseable answer date", parsed.raw_date),
        (~_in_years(parsed.day), f"answer date before {P.FIRST_YEAR} or after {P.LAST_YEAR}",
         parsed.raw_date),
        (~parsed.metric.isin(list(METRICS)) | parsed.metric.isnull(), "unknown metric",
         parsed.raw_metric),
        (as_text, answers.TEXT, parsed.raw_score),
        (score.isnull() | score.isnan() | score.isinf(), answers.NOT_A_NUMBER, parsed.raw_score),
        (score != score.floor(), answers.NOT_WHOLE, parsed.raw_score),
        (off_scale, answers.OFF_SCALE, parsed.raw_score),
        (parsed.weight.isnull() | parsed.weight.isnan() | (parsed.weight < 0)
         | (parsed.weight > MAX_NUMBER), "weight is not a number >= 0", parsed.raw_weight),
        (parsed.metric.isin(list(CLI_METRICS)) & parsed.respondent.isnull(),
         "CLI answer without respondent_id", parsed.raw_metric),
    ]
    parsed, _keys = _materialise(src, scratch, _reasons(parsed, checks), {})
    # A CLI answer is one per respondent, question and period: a second one is excluded and
    # reported (the per-period aggregate could keep only one of them). Whether any repeats is
    # counted with the other checks (answers vs distinct keys).
    parsed = parsed.mutate(cli=parsed.reason.isnull() & parsed.metric.isin(list(CLI_METRICS)),
                           p=P.ordinal_expr(config.period, parsed.day))
    keys = {"answered_at": parsed.raw_date, "metric": parsed.raw_metric,
            "score": parsed.raw_score, "respondent_id": parsed.respondent} \
        if "raw_date" in parsed.columns else {"row": parsed._row.cast("string")}
    cli_key = (parsed.respondent + "|" + parsed.metric + "|" + parsed.p.cast("string"))
    extra = dict(cli_answers=_.cli.sum(), cli_keys=cli_key.nunique(where=parsed.cli))
    probe = DataQuality()
    clean, used = _account(src, parsed, probe, keys=keys, extra=extra)
    if int(used.get("cli_answers") or 0) != int(used.get("cli_keys") or 0):
        parsed = _first_of(parsed, [parsed.respondent, parsed.metric, parsed.p], parsed.cli,
                           "CLI question answered twice by a respondent", parsed.respondent,
                           keys)
        probe = DataQuality()
        clean, _used = _account(src, parsed, probe, keys=keys)
    quality.add(probe.inputs[0])
    return clean.select("day", "metric", "score", "weight", "respondent", "segment")


def spend(src: Source, quality: DataQuality, scratch: Scratch):
    if "date" in src.columns:
        cols = Columns(src, {"day": "date"}, {"amount": "amount"}).decide()
        t = cols.table
        day, raw_day = cols.day("day"), _raw(t.date)
    else:
        cols = Columns(src, {}, {"amount": "amount"}).decide()
        t = cols.table
        text = _strip(t.period.cast("string"), cols.fast)
        month = (text + "-01").try_cast("timestamp").date()
        day, raw_day = ibis.coalesce(month, text.try_cast("timestamp").date()), _raw(t.period)
    kind = _strip(t.kind.cast("string"), cols.fast).lower() if "kind" in src.columns \
        else ibis.literal("marketing")
    kind = ibis.coalesce(ibis.cases((kind == "", ibis.null("string")), else_=kind), "marketing")
    parsed = t.select(day=day, amount=cols.number("amount"), kind=kind, _row=_row_of(t),
                      raw_day=raw_day, raw_amount=_raw(t.amount),
                      raw_kind=_raw(t.kind) if "kind" in src.columns else ibis.literal(""))
    checks = [(parsed.day.isnull(), "unparseable date or period", parsed.raw_day),
              (~_in_years(parsed.day), f"date before {P.FIRST_YEAR} or after {P.LAST_YEAR}",
               parsed.raw_day),
              (parsed.amount.isnull() | parsed.amount.isnan() | (parsed.amount > MAX_NUMBER)
               | (parsed.amount < 0), "amount is not a number >= 0", parsed.raw_amount),
              (~parsed.kind.isin(["marketing", "sales"]),
               "kind is not marketing or sales", parsed.raw_kind)]
    keys = {"date": parsed.raw_day, "amount": parsed.raw_amount, "kind": parsed.raw_kind}
    parsed, keys = _materialise(src, scratch, _reasons(parsed, checks), keys)
    return _account(src, parsed, quality, keys=keys)[0].select("day", "amount", "kind")


def members(src: Source, quality: DataQuality, scratch: Scratch):
    cols = Columns(src, {"joined": "joined_at"}, {}).decide()
    t = cols.table
    parsed = t.select(cid=_text(t.customer_id, cols.fast), joined=cols.day("joined"),
                      _row=_row_of(t), raw_id=_raw(t.customer_id), raw_day=_raw(t.joined_at))
    checks = [(parsed.cid.isnull(), "missing customer id", parsed.raw_id),
              (parsed.joined.isnull(), "unparseable joined_at date", parsed.raw_day),
              (~_in_years(parsed.joined), f"joined_at before {P.FIRST_YEAR} or after "
               f"{P.LAST_YEAR}", parsed.raw_day)]
    parsed = _reasons(parsed, checks)
    keys = {"customer_id": parsed.raw_id, "joined_at": parsed.raw_day}
    parsed, keys = _materialise(src, scratch, parsed, keys)
    parsed = _first_of(parsed, [parsed.cid], parsed.reason.isnull(), "member listed twice",
                       parsed.cid, keys)
    return _account(src, parsed, quality, keys=keys)[0].select("cid", "joined")


def events(src: Source, quality: DataQuality, scratch: Scratch):
    cols = Columns(src, {"day": "date"}, {"points": "points"}).decide()
    t = cols.table
    kind = _strip(t.kind.cast("string"), cols.fast).lower()
    mapped = ibis.cases(*[(kind == k, v) for k, v in EVENT_KINDS.items()],
                        else_=ibis.null("string"))
    parsed = t.select(cid=_text(t.customer_id, cols.fast), day=cols.day("day"), kind=mapped,
                      points=cols.number("points"), _row=_row_of(t), raw_id=_raw(t.customer_id),
                      raw_day=_raw(t.date), raw_kind=_raw(t.kind), raw_points=_raw(t.points))
    checks = [(parsed.cid.isnull(), "missing customer id", parsed.raw_id),
              (parsed.day.isnull(), "unparseable date", parsed.raw_day),
              (~_in_years(parsed.day), f"date before {P.FIRST_YEAR} or after {P.LAST_YEAR}",
               parsed.raw_day),
              (parsed.kind.isnull(), "kind is not issued or redeemed", parsed.raw_kind),
              (parsed.points.isnull() | parsed.points.isnan() | (parsed.points > MAX_NUMBER)
               | (parsed.points < 0), "points is not a number >= 0", parsed.raw_points)]
    keys = {"customer_id": parsed.raw_id, "date": parsed.raw_day, "kind": parsed.raw_kind,
            "points": parsed.raw_points}
    parsed, keys = _materialise(src, scratch, _reasons(parsed, checks), keys)
    return _account(src, parsed, quality, keys=keys)[0].select("cid", "day", "kind", "points")

