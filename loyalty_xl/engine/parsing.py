"""Parsing and checking the inputs: each input's rows become typed columns plus ``reason`` (why
a row is excluded, or null) and ``raw`` (the offending value); the data-quality summary counts
them per reason with the first examples, and only the used rows go on to counting.
"""

from __future__ import annotations

import ibis
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


def _blank(v):
    return v.isnull() | (v == "")


def _full_year(text):
    """'25-12-31' -> '2025-12-31' (00-68: 20xx, 69-99: 19xx, as Python's %y); else unchanged."""
    two = text.find("-") == 2
    century = ibis.cases((text.substr(0, 2) < "69", "20"), else_="19")
    return ibis.cases((two, century + text), else_=text)


def _day_parts(column, *, order=None, serial=False):
    """Stage 1 of a date column: the candidates and the class, from one pass.

    Returns (first step, second step): functions of a table, each giving a dict of columns
    (the first: the stripped text and its class; the second: the candidate dates
    ``a`` (unambiguous forms), ``dmy`` and ``mdy`` (01/02/2025 read both ways) and ``raw`` (the
    text, kept only where no reading gives a date in 1900-2199).
    """
    kind = column.type()
    if kind.is_date() or kind.is_timestamp():
        day = column if kind.is_date() else column.date()
        return dict(v=day.cast("string"), cls=ibis.cases((day.notnull(), ISO),
                                                        else_=ibis.null("int8")), a=day)
    v = column.cast("string").strip()
    iso = v.substr(4, 1) == "-"
    dotted = ibis.cases((iso, False), else_=v.re_search(DOT_DATE))
    slashed = ibis.cases((iso | dotted, False), else_=v.re_search(SLASH_DATE))
    number = v.try_cast("float64") if serial else ibis.null("float64")
    is_serial = (number >= 1) & (number < 2958466) if serial else ibis.literal(False)
    cls = ibis.cases((_blank(v), ibis.null("int8")), (iso, ISO), (dotted, DOTTED),
                     (slashed, SLASHED), (is_serial, SERIAL), else_=NOT_DATE)
    out = dict(v=v, cls=cls.cast("int8"))
    out["a"] = ibis.cases(
        (iso, v.try_cast("timestamp").date()),
        (dotted, _full_year(v.re_replace(DOT_DATE, r"\3-\2-\1")).try_cast("date")),
        (is_serial, EXCEL_EPOCH + number.floor().cast("int32").as_interval("D")),
        else_=ibis.null("date"))
    if order in (None, "dmy"):
        out["dmy"] = ibis.cases((slashed, _full_year(v.re_replace(SLASH_DATE, r"\3-\2-\1"))
                                 .try_cast("date")), else_=ibis.null("date"))
    if order in (None, "mdy"):
        out["mdy"] = ibis.cases((slashed, _full_year(v.re_replace(SLASH_DATE, r"\3-\1-\2"))
                                 .try_cast("date")), else_=ibis.null("date"))
    return out


def _in_years(day):
    return (day >= ibis.date(FIRST_DAY)) & (day <= ibis.date(LAST_DAY))


def _number_parts(column, *, decimal=None):
    """Stage 1 of a number column: the value read with a decimal point (``p``) and with a
    decimal comma (``c``), the class (what the value says about the separator) and ``raw``."""
    kind = column.type()
    if kind.is_numeric() or kind.is_boolean():
        value = column.cast("float64")
        return dict(v=column.cast("string"), cls=ibis.cases(
            (value.notnull(), NO_SEPARATOR), else_=ibis.null("int8")), p=value, c=value)
    v = column.cast("string").strip()
    direct = v.try_cast("float64")
    plain = direct.notnull() & ~v.contains("_")
    paren = v.startswith("(") & v.endswith(")")
    inner = ibis.cases((paren, v.substr(1, v.length() - 2)), else_=v)
    t = ibis.cases((plain, v), else_=inner.re_replace(CURRENCY, ""))
    value = ibis.cases((plain, direct), (t.contains("_"), ibis.null("float64")),
                       else_=t.try_cast("float64"))
    has_comma, has_dot = t.contains(","), t.contains(".")
    signed = t.startswith("-") | t.startswith("+")
    dot = t.find(".") - ibis.cases((signed, 1), else_=0)
    first = ibis.cases((signed, t.substr(1, 1)), else_=t.substr(0, 1))
    like_1_234 = (has_dot & ~t.contains("e") & ~t.contains("E") & (dot >= 1) & (dot <= 3)
                  & (t.length() - t.find(".") - 1 == 3) & (first != "0"))
    cls = ibis.cases(
        (_blank(v), ibis.null("int8")),
        (value.notnull() & like_1_234, LIKE_1_234),
        (value.notnull() & has_dot, POINT),
        (value.notnull(), NO_SEPARATOR),
        (has_comma & t.re_search(A_COMMA), LIKE_1C234),
        (has_comma & t.re_search(POINT_GROUPED), POINT),
        (has_comma & t.re_search(COMMA_FORM), COMMA),
        (has_dot & t.re_search(DOT_GROUPS), COMMA),
        else_=NOT_NUMBER).cast("int8")
    return dict(v=v, t=t, value=value, paren=paren, cls=cls)


def _number_values(parts, decimal):
    """A number column's readings from its parts (see _number_parts): ``p`` with a decimal
    point, ``c`` with a decimal comma (the ones ``decimal`` asks for; both when None)."""
    if "t" not in parts:  # a numeric column
        return {"p": parts["p"], "c": parts["c"]}
    cls, t, value = parts["cls"], parts["t"], parts["value"]
    sign = ibis.cases((parts["paren"], -1.0), else_=1.0)
    out = {}
    if decimal in (None, "."):
        out["p"] = ibis.cases(
            (value.notnull(), value),
            (cls.isin([POINT, LIKE_1C234]), t.replace(",", "").try_cast("float64")),
            else_=ibis.null("float64")) * sign
    if decimal in (None, ","):
        out["c"] = ibis.cases(
            (cls == LIKE_1_234, t.replace(".", "").try_cast("float64")),
            (cls == NO_SEPARATOR, value),
            (cls.isin([COMMA, LIKE_1C234]),
             t.replace(".", "").replace(",", ".").try_cast("float64")),
            else_=ibis.null("float64")) * sign
    return out


def _usable(value):
    return value.notnull() & ~value.isnan() & (value.abs() <= MAX_NUMBER)


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
        self.src, self.dates, self.numbers = src, dates, numbers
        self.order = src.read.date_format
        self.decimal = src.read.decimal
        self.chosen = {}
        serial = src.kind == "workbook"
        self.date_parts = {n: _day_parts(c, order=self.order, serial=serial)
                           for n, c in dates.items()}
        self.number_parts = {n: _number_parts(c, decimal=self.decimal)
                             for n, c in numbers.items()}

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
                for code in (POINT, COMMA, LIKE_1_234, LIKE_1C234):
                    aggs[f"{name}_{code}"] = (parts["cls"] == code).sum()
        counts = {}
        if aggs:
            try:
                row = self.src.table.agg(**aggs).execute().iloc[0]
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
        if order in ("dmy", "mdy"):
            return ibis.cases((parts["cls"] == SLASHED, parts[order]), else_=parts["a"])
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
        source = self.src.table
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
        cls = self.number_parts[name]["cls"]
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
        return scratch.keep(expr)
    except LoyaltyXLError:
        raise
    except Exception as err:
        if src.explain is None:
            raise
        raise src.explain(err) from None


def _column_name(column) -> str:
    try:
        return repr(column.get_name())
    except Exception:
        return "(expression)"


def _day(column):
    """A date column as dates, with the unambiguous forms only (no dd/mm vs mm/dd choice)."""
    parts = _day_parts(column)
    return parts["a"]


def _number(column):
    """A number column read with a decimal point (no decimal-comma evidence needed)."""
    kind = column.type()
    if kind.is_numeric():
        return column.cast("float64")
    return column.cast("string").strip().try_cast("float64")


def _text(column):
    if column.type().is_string():
        stripped = column.strip()
        return ibis.cases((stripped == "", ibis.null("string")), else_=stripped)
    return column


def _raw(column):
    return column.cast("string")


def _missing_raw(column):
    """The text of a blank-after-stripping id (kept only where it is excluded as missing)."""
    return ibis.cases((_text(column).isnull(), _raw(column)), else_=ibis.null("string"))


def _reasons(table, checks):
    """Add ``reason`` (the first failed check) and ``raw`` (its offending value)."""
    reason = ibis.cases(*[(bad, label) for bad, label, _ in checks], else_=ibis.null("string"))
    raw = ibis.cases(*[(bad, value) for bad, _, value in checks], else_=ibis.null("string"))
    return table.mutate(reason=reason, raw=raw)


def _account(src: Source, parsed, quality: DataQuality, notes=(), span=None, texts=None):
    """Count rows per reason and the first examples; return the used rows.

    ``span``: a used date column whose first and last value are recorded (orders).
    ``texts``: reason -> source column, to show an example whose text was not kept (a value
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
            column = texts[examples["reason"][i]]
            found = src.table.filter(src.table._row == int(examples["_row"][i])).select(
                v=column.cast("string")).execute()
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
    t = src.table
    cols = Columns(src, {"day": t.order_date}, {"amount": t.amount})
    cols.decide()
    columns = dict(cid=_text(t.customer_id), day=cols.day("day"), amount=cols.number("amount"),
                   _row=t._row)
    if "order_id" in src.columns:
        columns["order_id"] = _text(t.order_id)
    parsed = t.select(**columns, raw_id=_missing_raw(t.customer_id), raw_date=cols.raw("day"),
                      raw_amount=cols.raw("amount"))
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
                    texts={"unparseable amount": t.amount, "unparseable order date": t.order_date})
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
    numbers = {"score": t.score}
    if "weight" in src.columns:
        numbers["weight"] = t.weight
    cols = Columns(src, {"day": t.answered_at}, numbers)
    has_respondent = "respondent_id" in src.columns
    cols.decide()
    respondent = _text(t.respondent_id).cast("string") if has_respondent \
        else ibis.null("string")
    segment = _text(t.segment.cast("string")) if "segment" in src.columns \
        else ibis.null("string")
    weight = cols.number("weight") if "weight" in src.columns else ibis.literal(1.0)
    parsed = t.select(
        day=cols.day("day"), metric=t.metric.cast("string").strip().lower(),
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
    parsed = _reasons(parsed, checks)
    # A CLI answer is one per respondent, question and period: a second one is excluded and
    # reported (the per-period pivot could keep only one of them).
    parsed = parsed.mutate(cli=parsed.reason.isnull() & parsed.metric.isin(list(CLI_METRICS)),
                           p=P.ordinal_expr(config.period, parsed.day))
    key = ["respondent", "metric", "p", "cli"]
    repeated = parsed.filter(_.cli).group_by(key).agg(n=_.count()).filter(_.n > 1).count()
    if repeated.execute():
        first = ibis.row_number().over(group_by=key, order_by=parsed._row)
        duplicate = parsed.cli & (first > 0)
        parsed = parsed.mutate(
            reason=ibis.cases((duplicate, "CLI question answered twice by a respondent"),
                              else_=parsed.reason),
            raw=ibis.cases((duplicate, parsed.respondent), else_=parsed.raw))
    parsed = _keep(src, scratch, parsed.select(
        "day", "metric", "score", "weight", "respondent", "segment", "_row", "reason", "raw"))
    texts = {"unparseable answer date": t.answered_at, "score is not a number": t.score}
    if "weight" in src.columns:
        texts["weight is not a number >= 0"] = t.weight
    return _account(src, parsed, quality, texts=texts)


def spend(src: Source, quality: DataQuality, scratch: Scratch):
    t = src.table
    if "date" in src.columns:
        cols = Columns(src, {"day": t.date}, {"amount": t.amount}).decide()
        day, raw_day = cols.day("day"), cols.raw("day")
    else:
        cols = Columns(src, {}, {"amount": t.amount}).decide()
        text = t.period.cast("string").strip()
        month = (text + "-01").try_cast("timestamp").date()
        day, raw_day = ibis.coalesce(month, text.try_cast("timestamp").date()), _raw(t.period)
    kind = t.kind.cast("string").strip().lower() if "kind" in src.columns \
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
    texts = {"amount is not a number >= 0": t.amount}
    if "date" in src.columns:
        texts["unparseable date or period"] = t.date
    return _account(src, parsed, quality, texts=texts)


def members(src: Source, quality: DataQuality, scratch: Scratch):
    t = src.table
    cols = Columns(src, {"joined": t.joined_at}, {}).decide()
    parsed = t.select(cid=_text(t.customer_id), joined=cols.day("joined"), _row=t._row,
                      raw_id=_missing_raw(t.customer_id), raw_day=cols.raw("joined"))
    checks = [(parsed.cid.isnull(), "missing customer id", parsed.raw_id),
              (parsed.joined.isnull(), "unparseable joined_at date", parsed.raw_day),
              (~_in_years(parsed.joined), f"joined_at before {P.FIRST_YEAR} or after "
               f"{P.LAST_YEAR}", parsed.raw_day)]
    parsed = _reasons(parsed, checks)
    first = ibis.row_number().over(group_by=[parsed.cid, parsed.reason.isnull()],
                                   order_by=parsed._row)
    duplicate = parsed.reason.isnull() & (first > 0)
    parsed = parsed.mutate(reason=ibis.cases((duplicate, "member listed twice"),
                                             else_=parsed.reason),
                           raw=ibis.cases((duplicate, parsed.cid), else_=parsed.raw))
    parsed = _keep(src, scratch, parsed.select("cid", "joined", "_row", "reason", "raw"))
    return _account(src, parsed, quality, texts={"unparseable joined_at date": t.joined_at})


def events(src: Source, quality: DataQuality, scratch: Scratch):
    t = src.table
    kind = t.kind.cast("string").strip().lower()
    mapped = ibis.cases(*[(kind == k, v) for k, v in EVENT_KINDS.items()],
                        else_=ibis.null("string"))
    cols = Columns(src, {"day": t.date}, {"points": t.points}).decide()
    parsed = t.select(cid=_text(t.customer_id), day=cols.day("day"), kind=mapped,
                      points=cols.number("points"), _row=t._row,
                      raw_id=_missing_raw(t.customer_id), raw_day=cols.raw("day"),
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
    return _account(src, parsed, quality, texts={"unparseable date": t.date,
                                                 "points is not a number >= 0": t.points})
