"""Parsing and checking the inputs: each input's rows become typed columns plus ``reason`` (why
a row is excluded, or null) and ``raw`` (the offending value); the data-quality summary counts
them per reason with the first examples, and only the used rows go on to counting.
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt
import numpy as np
import pandas as pd
from ibis import _

from loyalty_xl.engine import periods as P
from loyalty_xl.engine.backend import Scratch
from loyalty_xl.engine.quality import EXAMPLES, DataQuality, InputQuality
from loyalty_xl.engine.settings import Settings
from loyalty_xl.engine.sources import Source
from loyalty_xl.errors import InputError, LoyaltyXLError
from loyalty_xl.kpis.survey import CES_SCALES, CSAT_SCALES

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
def _try_strptime(text: str, format: str) -> dt.timestamp:
    """DuckDB's strptime, null where the text does not match the format."""


def _dotted_fast(v):
    """dd.mm.yyyy or dd.mm.yy, with or without a time, by DuckDB's strptime (four times faster
    than the regular expression, the same dates; null for the forms it does not know)."""
    formats = ("", " %H:%M", " %H:%M:%S")
    four = ibis.coalesce(*[_try_strptime(v, f"%d.%m.%Y{f}") for f in formats])
    two = ibis.coalesce(*[_try_strptime(v, f"%d.%m.%y{f}") for f in formats])
    return ibis.cases((four.year() >= 100, four), else_=two).date()


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
        if fast:  # the shape only; strptime decides
            dot = ~iso & v.contains(".") & ~v.contains("/")
        else:
            dot = ibis.cases((iso, False), else_=v.re_search(DOT_DATE))
        out = dict(iso=iso, dot=dot)
        if serial:
            number = v.try_cast("float64")
            out["serial"] = ibis.cases(((number >= 1) & (number < 2958466), number),
                                       else_=ibis.null("float64"))
        return out

    def step3(t):
        v, iso, dot = t["v"], t["iso"], t["dot"]
        is_serial = t["serial"].notnull() if serial else ibis.literal(False)
        dotted = _full_year(v.re_replace(DOT_DATE, r"\3-\2-\1")).try_cast("date")
        if fast:
            dotted = ibis.coalesce(_dotted_fast(v), dotted)
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
        rows = source.filter(condition).order_by("_row").select(
            "_row", v=column.cast("string")).limit(1).execute()
        if not len(rows):
            return None, None
        return self.src.where(int(rows["_row"][0])), rows["v"][0]

    def _where(self, column, line):
        unit = "line" if self.src.kind == "csv" else "row"
        return f"{self.src.name} input {self.src.label}, column {_column_name(column)}, " \
               f"{unit} {line}"

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


def _keep(src: Source, scratch: Scratch, expr):
    """Keep the parsed rows (the one pass over the source; a reader error, e.g. a CSV row with
    too many fields, becomes a one-line error naming the line)."""
    try:
        table = scratch.keep(expr)
    except LoyaltyXLError:
        raise
    except Exception as err:
        if src.explain is None:
            raise
        raise src.explain(err) from None
    if src.row_offset is not None:  # rows kept in file order: number them by position
        scratch.con.con.execute(f'UPDATE "{scratch.names[-1]}" SET _row = rowid + '
                                f"{int(src.row_offset)}").fetchall()
    return table


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


def _missing_raw(column, fast=False):
    """The text of a blank-after-stripping id (kept only where it is excluded as missing)."""
    return ibis.cases((_text(column, fast).isnull(), _raw(column)), else_=ibis.null("string"))


def _reasons(table, checks):
    """Add ``reason`` (the first failed check) and ``raw`` (its offending value)."""
    reason = ibis.cases(*[(bad, label) for bad, label, _ in checks], else_=ibis.null("string"))
    raw = ibis.cases(*[(bad, value) for bad, _, value in checks], else_=ibis.null("string"))
    return table.mutate(reason=reason, raw=raw)


def _account(src: Source, parsed, quality: DataQuality, notes=(), span=None, texts=None):
    """Count rows per reason and the first examples; return the used rows.

    ``span``: a used date column whose first and last value are recorded (orders).
    ``texts``: reason -> source column name, to show an example whose text was not kept (a value
    whose reading was excluded only by the column's decision, e.g. 12,50 among 1.5, 2.25).
    """
    item = InputQuality(src.name, src.label, kind=src.kind, read=dict(src.detected))
    counts = parsed.group_by("reason").agg(n=_.count()).execute()
    for reason, n in zip(counts["reason"], counts["n"]):
        item.rows_read += int(n)
        if reason is None or (isinstance(reason, float) and np.isnan(reason)):
            item.rows_used += int(n)
        else:
            item.excluded[str(reason)] = int(n)
    if item.excluded:
        ranked = parsed.filter(_.reason.notnull()).mutate(
            k=ibis.row_number().over(group_by=_.reason, order_by=_._row))
        examples = ranked.filter(_.k < EXAMPLES).select("reason", "_row", "raw").order_by(
            ["reason", "_row"]).execute()
        raws = list(examples["raw"])
        missing = [i for i, (reason, raw) in enumerate(zip(examples["reason"], raws))
                   if _absent(raw) and reason in (texts or {})]
        for i in missing:  # a few example rows, looked up in the source
            source = src.numbered()
            found = source.filter(source._row == int(examples["_row"][i])).select(
                v=source[texts[examples["reason"][i]]].cast("string")).execute()
            raws[i] = found["v"][0] if len(found) else None
        for reason, row, raw in zip(examples["reason"], examples["_row"], raws):
            blank = _absent(raw) or not str(raw)
            item.examples.setdefault(reason, []).append(
                (src.where(int(row)), "(blank)" if blank else raw))
        item.excluded = dict(sorted(item.excluded.items(), key=lambda kv: -kv[1]))
    if span is not None and item.rows_used:
        ends = parsed.filter(_.reason.isnull()).agg(first=parsed[span].min(),
                                                    last=parsed[span].max()).execute()
        item.first_date, item.last_date = ends["first"][0], ends["last"][0]
    item.notes.extend(src.notes)
    item.notes.extend(notes)
    quality.add(item)
    return parsed.filter(_.reason.isnull())


def _absent(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


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


def orders(src: Source, quality: DataQuality, scratch: Scratch, config: Settings | None = None):
    cols = Columns(src, {"day": "order_date"}, {"amount": "amount"})
    t = cols.table
    cols.decide()
    columns = dict(cid=_text(t.customer_id, cols.fast), day=cols.day("day"),
                   amount=cols.number("amount"), _row=t._row)
    if "order_id" in src.columns:
        columns["order_id"] = _text(t.order_id, cols.fast)
    parsed = t.select(**columns, raw_id=_missing_raw(t.customer_id, cols.fast),
                      raw_date=cols.raw("day"), raw_amount=cols.raw("amount"))
    checks = [(parsed.cid.isnull(), "missing customer id", parsed.raw_id),
              (parsed.day.isnull(), "unparseable order date", parsed.raw_date),
              (~_in_years(parsed.day), f"order date before {P.FIRST_YEAR} or after "
               f"{P.LAST_YEAR}", parsed.raw_date),
              (parsed.amount.isnull() | parsed.amount.isnan() | parsed.amount.isinf(),
               "unparseable amount",
               parsed.raw_amount),
              (parsed.amount.abs() > MAX_NUMBER, "amount beyond 10^15", parsed.raw_amount)]
    parsed = _reasons(parsed, checks)
    keep = ["cid", "day", "amount", "_row", "reason", "raw"]
    if "order_id" in src.columns:  # the one pass; duplicates are looked for in what it kept
        parsed = _keep(src, scratch, parsed.select(*keep, "order_id"))
        if _has_duplicates(parsed.filter(parsed.reason.isnull()), "order_id"):
            first = ibis.row_number().over(group_by=[parsed.order_id, parsed.reason.isnull()],
                                           order_by=parsed._row)
            duplicate = parsed.reason.isnull() & parsed.order_id.notnull() & (first > 0)
            marked = parsed.mutate(
                reason=ibis.cases((duplicate, "duplicate order id"), else_=parsed.reason),
                raw=ibis.cases((duplicate, parsed.order_id.cast("string")), else_=parsed.raw))
            kept = scratch.keep(marked.select(*keep))
            scratch.release(parsed)
            parsed = kept
    else:
        parsed = _keep(src, scratch, parsed.select(*keep))
    refunds = parsed.filter(_.reason.isnull() & (_.amount < 0)).agg(
        n=_.count(), total=_.amount.sum()).execute()
    notes = []
    if int(refunds["n"][0]):
        notes.append(f"{int(refunds['n'][0]):,} refunds (negative amounts, total "
                     f"{float(refunds['total'][0]):,.2f}) reduce revenue in their period; "
                     "they are not orders and do not make a customer active")
    used = _account(src, parsed, quality, notes, span="day",
                    texts={"unparseable amount": "amount", "unparseable order date": "order_date"})
    item = quality.inputs[-1]
    if not item.rows_used:
        raise _no_rows(src, item)
    if config is not None:
        check_period(item, config)
    return used.select("cid", "day", "amount"), parsed


def _has_duplicates(table, column) -> bool:
    """Whether a column has a repeated non-null value (cheaper than ranking every row)."""
    counts = table.filter(table[column].notnull()).agg(
        n=_.count(), distinct=table[column].nunique()).execute()
    return int(counts["n"][0]) != int(counts["distinct"][0])


def responses(src: Source, config: Settings, quality: DataQuality, scratch: Scratch):
    t = src.table
    numbers = {"score": "score"}
    if "weight" in src.columns:
        numbers["weight"] = "weight"
    cols = Columns(src, {"day": "answered_at"}, numbers)
    t = cols.table
    has_respondent = "respondent_id" in src.columns
    cols.decide()
    respondent = _text(t.respondent_id, cols.fast).cast("string") if has_respondent \
        else ibis.null("string")
    segment = _text(t.segment.cast("string"), cols.fast) if "segment" in src.columns \
        else ibis.null("string")
    weight = cols.number("weight") if "weight" in src.columns else ibis.literal(1.0)
    parsed = t.select(
        day=cols.day("day"), metric=_strip(t.metric.cast("string"), cols.fast).lower(),
        score=cols.number("score"), _row=t._row, respondent=respondent, weight=weight,
        segment=segment, raw_date=cols.raw("day"), raw_metric=_raw(t.metric),
        raw_score=cols.raw("score"),
        raw_weight=cols.raw("weight") if "weight" in src.columns else ibis.literal(""))
    low_high = {"nps": (0, 10), "csat": CSAT_SCALES[config.csat_scale][:2],
                "ces": CES_SCALES[config.ces_scale][:2],
                **{m: (1, 6) for m in CLI_METRICS}}
    off_scale = ibis.cases(*[(parsed.metric == m, (parsed.score < lo) | (parsed.score > hi))
                             for m, (lo, hi) in low_high.items()], else_=False)
    score = parsed.score
    checks = [
        (parsed.day.isnull(), "unparseable answer date", parsed.raw_date),
        (~_in_years(parsed.day), f"answer date before {P.FIRST_YEAR} or after {P.LAST_YEAR}",
         parsed.raw_date),
        (~parsed.metric.isin(list(METRICS)) | parsed.metric.isnull(), "unknown metric",
         parsed.raw_metric),
        (score.isnull() | score.isnan(), "score is not a number", parsed.raw_score),
        (off_scale | (score != score.floor()), "score off its scale", parsed.raw_score),
        (parsed.weight.isnull() | parsed.weight.isnan() | (parsed.weight < 0)
         | (parsed.weight > MAX_NUMBER), "weight is not a number >= 0",
         parsed.raw_weight),
        (parsed.metric.isin(list(CLI_METRICS)) & parsed.respondent.isnull(),
         "CLI answer without respondent_id", parsed.raw_metric),
    ]
    columns = ["day", "metric", "score", "weight", "respondent", "segment", "_row", "reason",
               "raw"]
    parsed = _keep(src, scratch, _reasons(parsed, checks).select(*columns))
    # A CLI answer is one per respondent, question and period: a second one is excluded and
    # reported (the per-period pivot could keep only one of them).
    marked = parsed.mutate(cli=parsed.reason.isnull() & parsed.metric.isin(list(CLI_METRICS)),
                           p=P.ordinal_expr(config.period, parsed.day))
    key = ["respondent", "metric", "p", "cli"]
    repeated = marked.filter(_.cli).group_by(key).agg(n=_.count()).filter(_.n > 1).count()
    if repeated.execute():
        first = ibis.row_number().over(group_by=key, order_by=marked._row)
        duplicate = marked.cli & (first > 0)
        marked = marked.mutate(
            reason=ibis.cases((duplicate, "CLI question answered twice by a respondent"),
                              else_=marked.reason),
            raw=ibis.cases((duplicate, marked.respondent), else_=marked.raw))
        kept = scratch.keep(marked.select(*columns))
        scratch.release(parsed)
        parsed = kept
    texts = {"unparseable answer date": "answered_at", "score is not a number": "score"}
    if "weight" in src.columns:
        texts["weight is not a number >= 0"] = "weight"
    return _account(src, parsed, quality, texts=texts)


def spend(src: Source, quality: DataQuality, scratch: Scratch):
    t = src.table
    if "date" in src.columns:
        cols = Columns(src, {"day": "date"}, {"amount": "amount"}).decide()
        t = cols.table
        day, raw_day = cols.day("day"), cols.raw("day")
    else:
        cols = Columns(src, {}, {"amount": "amount"}).decide()
        t = cols.table
        text = _strip(t.period.cast("string"), cols.fast)
        month = (text + "-01").try_cast("timestamp").date()
        day, raw_day = ibis.coalesce(month, text.try_cast("timestamp").date()), _raw(t.period)
    kind = _strip(t.kind.cast("string"), cols.fast).lower() if "kind" in src.columns \
        else ibis.literal("marketing")
    kind = ibis.coalesce(ibis.cases((kind == "", ibis.null("string")), else_=kind), "marketing")
    parsed = t.select(day=day, amount=cols.number("amount"), kind=kind, _row=t._row,
                      raw_day=raw_day, raw_amount=cols.raw("amount"),
                      raw_kind=_raw(t.kind) if "kind" in src.columns else ibis.literal(""))
    checks = [(parsed.day.isnull(), "unparseable date or period", parsed.raw_day),
              (~_in_years(parsed.day), f"date before {P.FIRST_YEAR} or after {P.LAST_YEAR}",
               parsed.raw_day),
              (parsed.amount.isnull() | parsed.amount.isnan() | (parsed.amount > MAX_NUMBER)
               | (parsed.amount < 0), "amount is not a number >= 0",
               parsed.raw_amount),
              (~parsed.kind.isin(["marketing", "sales"]),
               "kind is not marketing or sales", parsed.raw_kind)]
    parsed = _keep(src, scratch, _reasons(parsed, checks).select("day", "amount", "kind", "_row",
                                                                 "reason", "raw"))
    texts = {"amount is not a number >= 0": "amount"}
    if "date" in src.columns:
        texts["unparseable date or period"] = "date"
    return _account(src, parsed, quality, texts=texts)


def members(src: Source, quality: DataQuality, scratch: Scratch):
    t = src.table
    cols = Columns(src, {"joined": "joined_at"}, {}).decide()
    t = cols.table
    parsed = t.select(cid=_text(t.customer_id, cols.fast), joined=cols.day("joined"),
                      _row=t._row,
                      raw_id=_missing_raw(t.customer_id, cols.fast), raw_day=cols.raw("joined"))
    checks = [(parsed.cid.isnull(), "missing customer id", parsed.raw_id),
              (parsed.joined.isnull(), "unparseable joined_at date", parsed.raw_day),
              (~_in_years(parsed.joined), f"joined_at before {P.FIRST_YEAR} or after "
               f"{P.LAST_YEAR}", parsed.raw_day)]
    columns = ["cid", "joined", "_row", "reason", "raw"]
    parsed = _keep(src, scratch, _reasons(parsed, checks).select(*columns))
    first = ibis.row_number().over(group_by=[parsed.cid, parsed.reason.isnull()],
                                   order_by=parsed._row)
    duplicate = parsed.reason.isnull() & (first > 0)
    marked = parsed.mutate(reason=ibis.cases((duplicate, "member listed twice"),
                                             else_=parsed.reason),
                           raw=ibis.cases((duplicate, parsed.cid), else_=parsed.raw))
    kept = scratch.keep(marked.select(*columns))
    scratch.release(parsed)
    parsed = kept
    return _account(src, parsed, quality, texts={"unparseable joined_at date": "joined_at"})


def events(src: Source, quality: DataQuality, scratch: Scratch):
    cols = Columns(src, {"day": "date"}, {"points": "points"}).decide()
    t = cols.table
    kind = _strip(t.kind.cast("string"), cols.fast).lower()
    mapped = ibis.cases(*[(kind == k, v) for k, v in EVENT_KINDS.items()],
                        else_=ibis.null("string"))
    parsed = t.select(cid=_text(t.customer_id, cols.fast), day=cols.day("day"), kind=mapped,
                      points=cols.number("points"), _row=t._row,
                      raw_id=_missing_raw(t.customer_id, cols.fast), raw_day=cols.raw("day"),
                      raw_kind=_raw(t.kind), raw_points=cols.raw("points"))
    checks = [(parsed.cid.isnull(), "missing customer id", parsed.raw_id),
              (parsed.day.isnull(), "unparseable date", parsed.raw_day),
              (~_in_years(parsed.day), f"date before {P.FIRST_YEAR} or after {P.LAST_YEAR}",
               parsed.raw_day),
              (parsed.kind.isnull(), "kind is not issued or redeemed", parsed.raw_kind),
              (parsed.points.isnull() | parsed.points.isnan() | (parsed.points > MAX_NUMBER)
               | (parsed.points < 0), "points is not a number >= 0",
               parsed.raw_points)]
    parsed = _keep(src, scratch, _reasons(parsed, checks).select("cid", "day", "kind", "points",
                                                                 "_row", "reason", "raw"))
    return _account(src, parsed, quality, texts={"unparseable date": "date",
                                                 "points is not a number >= 0": "points"})
