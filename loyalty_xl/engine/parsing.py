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


def _number_values(table, prefix, decimal):
    """Stage 2 of a number column: the candidates from the class (see _number_parts)."""
    cls, t, value = table[f"{prefix}__cls"], table[f"{prefix}__t"], table[f"{prefix}__value"]
    sign = ibis.cases((table[f"{prefix}__paren"], -1.0), else_=1.0)
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
    """The typed columns of one input, parsed in one pass over the source.

    ``dates`` and ``numbers`` map an output name to the source column. Stage 1 (one scan of
    the source, kept as a scratch table) computes every reading a value can have; the column's
    format is then decided from all its values (a small aggregate over the scratch table);
    stage 2 picks the reading. A value that could be excluded under the chosen format keeps its
    text (``raw``) for the data-quality examples; the others need not.
    """

    def __init__(self, src: Source, dates: dict, numbers: dict):
        self.src, self.dates, self.numbers = src, dates, numbers
        self.order = src.read.date_format
        self.decimal = src.read.decimal

    def keep(self, scratch: Scratch, table, **other):
        """Stage 1 kept as a scratch table: the one pass over the source (whose reader errors,
        e.g. a CSV row with too many fields, become one-line errors naming the line)."""
        try:
            return scratch.keep(self.stage1(table, **other))
        except LoyaltyXLError:
            raise
        except Exception as err:
            if self.src.explain is None:
                raise
            raise self.src.explain(err) from None

    def stage1(self, table, **other):
        """The first selection: other columns as given, plus every candidate reading."""
        first = {}
        for name, column in self.dates.items():
            parts = _day_parts(column, order=self.order, serial=self.src.kind == "workbook")
            first.update({f"{name}__{k}": e for k, e in parts.items()})
        for name, column in self.numbers.items():
            parts = _number_parts(column, decimal=self.decimal)
            first.update({f"{name}__{k}": e for k, e in parts.items()})
        step = table.select(**other, _row=table._row, **first)
        keep = [c for c in other] + ["_row"]
        second = {}
        for name in self.dates:
            keep.append(f"{name}__cls")
            cands = [c for c in ("a", "dmy", "mdy") if f"{name}__{c}" in step.columns]
            for c in cands:
                keep.append(f"{name}__{c}")
            ok = ibis.coalesce(*[step[f"{name}__{c}"] for c in cands])
            bad = ok.isnull() | ~_in_years(ok)
            second[f"{name}__raw"] = ibis.cases((bad, step[f"{name}__v"]),
                                                else_=ibis.null("string"))
        for name in self.numbers:
            keep.append(f"{name}__cls")
            if f"{name}__t" in step.columns:
                values = _number_values(step, name, self.decimal)
            else:
                values = {k: step[f"{name}__{k}"] for k in ("p", "c")
                          if self.decimal is None or k == {".": "p", ",": "c"}[self.decimal]}
            second.update({f"{name}__{k}": e for k, e in values.items()})
            # The text is kept where the reading that can be chosen is unusable: a value with
            # a decimal point is read with a point (or the column is refused), one with a
            # decimal comma with a comma; the others either way.
            cls = step[f"{name}__cls"]
            if len(values) == 2:
                risky = ibis.cases((cls == POINT, ~_usable(values["p"])),
                                   (cls == COMMA, ~_usable(values["c"])),
                                   else_=~_usable(values["p"]) | ~_usable(values["c"]))
            else:
                risky = ~_usable(next(iter(values.values())))
            second[f"{name}__raw"] = ibis.cases((_blank(step[f"{name}__v"]), ibis.null("string")),
                                                (risky, step[f"{name}__v"]),
                                                else_=ibis.null("string"))
        return step.select(*keep, **second)

    def decide(self, kept):
        """Decide every column's format from all its values; record it in ``src.detected``."""
        aggs = {}
        for name in self.dates:
            cls = kept[f"{name}__cls"]
            for code in (ISO, DOTTED, SLASHED, SERIAL):
                aggs[f"{name}_{code}"] = (cls == code).sum()
            if f"{name}__dmy" in kept.columns and f"{name}__mdy" in kept.columns:
                dmy, mdy = kept[f"{name}__dmy"], kept[f"{name}__mdy"]
                aggs[f"{name}_dmy_only"] = (dmy.notnull() & mdy.isnull()).sum()
                aggs[f"{name}_mdy_only"] = (mdy.notnull() & dmy.isnull()).sum()
        for name in self.numbers:
            cls = kept[f"{name}__cls"]
            for code in (POINT, COMMA, LIKE_1_234, LIKE_1C234):
                aggs[f"{name}_{code}"] = (cls == code).sum()
        counts = {k: int(v or 0) for k, v in kept.agg(**aggs).execute().iloc[0].items()} \
            if aggs else {}
        self.chosen = {}
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
                    self._ask_date_order(kept, name, column, both=bool(dmy and mdy))
            self.chosen[name] = order
            for code in (ISO, DOTTED, SLASHED, SERIAL):
                if counts.get(f"{name}_{code}"):
                    shown_dates.append(ORDER_NAMES[order] if code == SLASHED
                                       else DATE_NAMES[code])
        decimals = []
        for name, column in self.numbers.items():
            decimal = self.decimal
            if decimal is None:
                point, comma = counts[f"{name}_{POINT}"], counts[f"{name}_{COMMA}"]
                alike = counts[f"{name}_{LIKE_1_234}"] + counts[f"{name}_{LIKE_1C234}"]
                if point and comma and point == comma:
                    self._ask_decimal(kept, name, column, mixed=True)
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
                        self._ask_decimal(kept, name, column, mixed=False)
                    self.src.notes.append(
                        f"{_column_name(column)}: values like 1.234 read with decimal "
                        f"{decimal!r} (the file's delimiter is {self.src.delimiter!r}); "
                        "override with --read " f"{self.src.name}:decimal=")
            self.chosen[name] = decimal
            if decimal is not None and (counts[f"{name}_{POINT}"] or counts[f"{name}_{COMMA}"]
                                        or counts[f"{name}_{LIKE_1_234}"]
                                        or counts[f"{name}_{LIKE_1C234}"] or self.decimal):
                decimals.append(decimal)
        if self.dates:
            self.src.detected["date format"] = " + ".join(dict.fromkeys(shown_dates)) or "-"
        if self.numbers:
            self.src.detected["decimal"] = "/".join(dict.fromkeys(decimals)) or "-"

    def day(self, kept, name):
        order = self.chosen.get(name)
        a = kept[f"{name}__a"]
        if order in ("dmy", "mdy"):
            return ibis.cases((kept[f"{name}__cls"] == SLASHED, kept[f"{name}__{order}"]),
                              else_=a)
        return a

    def number(self, kept, name):
        decimal = self.chosen.get(name)
        return kept[f"{name}__c"] if decimal == "," else kept[f"{name}__p"]

    def raw(self, kept, name):
        return kept[f"{name}__raw"]

    def _example(self, kept, name, condition):
        """(line, text) of the first row where ``condition`` holds (from the source)."""
        rows = kept.filter(condition).order_by("_row").select("_row").limit(1).execute()
        if not len(rows):
            return None, None
        row = int(rows["_row"][0])
        source = self.src.table
        column = self.dates.get(name, self.numbers.get(name))
        value = source.filter(source._row == row).select(v=column.cast("string")).execute()
        return self.src.where(row), (value["v"][0] if len(value) else None)

    def _where(self, column, line):
        unit = "line" if self.src.kind == "csv" else "row"
        return f"{self.src.name} input {self.src.label}, column {_column_name(column)}, " \
               f"{unit} {line}"

    def _ask_date_order(self, kept, name, column, both):
        dmy, mdy = kept[f"{name}__dmy"], kept[f"{name}__mdy"]
        if both:
            line, value = self._example(kept, name, dmy.notnull() & mdy.isnull())
            line2, value2 = self._example(kept, name, mdy.notnull() & dmy.isnull())
            what = (f"has dates that are only dd/mm/yyyy ({value!r}) and others only "
                    f"mm/dd/yyyy ({value2!r} at {line2})")
        else:
            line, value = self._example(kept, name, dmy.notnull() & mdy.notnull())
            what = f"has dates that fit both dd/mm/yyyy and mm/dd/yyyy; got {value!r}"
        raise InputError(f"{self._where(column, line)}: {what}; say which with --read "
                         f"{self.src.name}:date_format=dd/mm/yyyy (or mm/dd/yyyy)",
                         argument=self.src.name)

    def _ask_decimal(self, kept, name, column, mixed):
        cls = kept[f"{name}__cls"]
        if mixed:
            line, value = self._example(kept, name, cls == POINT)
            line2, value2 = self._example(kept, name, cls == COMMA)
            what = (f"mixes a decimal point ({value!r}) and a decimal comma ({value2!r} at "
                    f"{line2})")
        else:
            line, value = self._example(kept, name, cls.isin([LIKE_1_234, LIKE_1C234]))
            what = f"has numbers like {value!r} that read either as thousands or as decimals"
        raise InputError(f"{self._where(column, line)}: {what}; say which is the decimal "
                         f"separator with --read {self.src.name}:decimal=, (or .)",
                         argument=self.src.name)


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
    other = dict(cid=_text(t.customer_id))
    if "order_id" in src.columns:
        other["order_id"] = _text(t.order_id)
    stage = cols.keep(scratch, t, **other, raw_id=_missing_raw(t.customer_id))
    cols.decide(stage)
    day, amount = cols.day(stage, "day"), cols.number(stage, "amount")
    columns = dict(cid=stage.cid, day=day, amount=amount, _row=stage._row)
    if "order_id" in src.columns:
        columns["order_id"] = stage.order_id
    parsed = stage.select(**columns, raw_id=stage.raw_id, raw_date=cols.raw(stage, "day"),
                          raw_amount=cols.raw(stage, "amount"))
    checks = [(parsed.cid.isnull(), "missing customer id", parsed.raw_id),
              (parsed.day.isnull(), "unparseable order date", parsed.raw_date),
              (~_in_years(parsed.day), f"order date before {P.FIRST_YEAR} or after "
               f"{P.LAST_YEAR}", parsed.raw_date),
              (parsed.amount.isnull() | parsed.amount.isnan() | parsed.amount.isinf(),
               "unparseable amount",
               parsed.raw_amount),
              (parsed.amount.abs() > MAX_NUMBER, "amount beyond 10^15", parsed.raw_amount)]
    parsed = _reasons(parsed, checks)
    if "order_id" in src.columns and _has_duplicates(parsed.filter(parsed.reason.isnull()),
                                                      "order_id"):
        first = ibis.row_number().over(group_by=[parsed.order_id, parsed.reason.isnull()],
                                       order_by=parsed._row)
        duplicate = parsed.reason.isnull() & parsed.order_id.notnull() & (first > 0)
        parsed = parsed.mutate(
            reason=ibis.cases((duplicate, "duplicate order id"), else_=parsed.reason),
            raw=ibis.cases((duplicate, parsed.order_id.cast("string")), else_=parsed.raw))
    parsed = scratch.keep(parsed.select("cid", "day", "amount", "_row", "reason", "raw"))
    scratch.release(stage)
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
    other = dict(metric=t.metric.cast("string").strip().lower(), raw_metric=_raw(t.metric))
    other["respondent"] = _text(t.respondent_id).cast("string") if has_respondent \
        else ibis.null("string")
    other["segment"] = _text(t.segment.cast("string")) if "segment" in src.columns \
        else ibis.null("string")
    stage = cols.keep(scratch, t, **other)
    cols.decide(stage)
    weight = cols.number(stage, "weight") if "weight" in src.columns else ibis.literal(1.0)
    parsed = stage.select(
        day=cols.day(stage, "day"), metric=stage.metric, score=cols.number(stage, "score"),
        _row=stage._row, respondent=stage.respondent, weight=weight, segment=stage.segment,
        raw_date=cols.raw(stage, "day"), raw_metric=stage.raw_metric,
        raw_score=cols.raw(stage, "score"),
        raw_weight=cols.raw(stage, "weight") if "weight" in src.columns else ibis.literal(""))
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
    parsed = scratch.keep(parsed.select(
        "day", "metric", "score", "weight", "respondent", "segment", "_row", "reason", "raw"))
    scratch.release(stage)
    texts = {"unparseable answer date": t.answered_at, "score is not a number": t.score}
    if "weight" in src.columns:
        texts["weight is not a number >= 0"] = t.weight
    return _account(src, parsed, quality, texts=texts)


def spend(src: Source, quality: DataQuality, scratch: Scratch):
    t = src.table
    other = {}
    if "date" in src.columns:
        cols = Columns(src, {"day": t.date}, {"amount": t.amount})
    else:
        cols = Columns(src, {}, {"amount": t.amount})
        text = t.period.cast("string").strip()
        month = (text + "-01").try_cast("timestamp").date()
        other["period_day"] = ibis.coalesce(month, text.try_cast("timestamp").date())
        other["raw_period"] = _raw(t.period)
    kind = t.kind.cast("string").strip().lower() if "kind" in src.columns \
        else ibis.literal("marketing")
    other["kind"] = ibis.coalesce(ibis.cases((kind == "", ibis.null("string")), else_=kind),
                                  "marketing")
    other["raw_kind"] = _raw(t.kind) if "kind" in src.columns else ibis.literal("")
    stage = cols.keep(scratch, t, **other)
    cols.decide(stage)
    if "date" in src.columns:
        day, raw_day = cols.day(stage, "day"), cols.raw(stage, "day")
    else:
        day, raw_day = stage.period_day, stage.raw_period
    parsed = stage.select(day=day, amount=cols.number(stage, "amount"), kind=stage.kind,
                          _row=stage._row, raw_day=raw_day, raw_amount=cols.raw(stage, "amount"),
                          raw_kind=stage.raw_kind)
    checks = [(parsed.day.isnull(), "unparseable date or period", parsed.raw_day),
              (~_in_years(parsed.day), f"date before {P.FIRST_YEAR} or after {P.LAST_YEAR}",
               parsed.raw_day),
              (parsed.amount.isnull() | parsed.amount.isnan() | (parsed.amount > MAX_NUMBER)
               | (parsed.amount < 0), "amount is not a number >= 0",
               parsed.raw_amount),
              (~parsed.kind.isin(["marketing", "sales"]),
               "kind is not marketing or sales", parsed.raw_kind)]
    parsed = scratch.keep(_reasons(parsed, checks).select("day", "amount", "kind", "_row",
                                                          "reason", "raw"))
    scratch.release(stage)
    texts = {"amount is not a number >= 0": t.amount}
    if "date" in src.columns:
        texts["unparseable date or period"] = t.date
    return _account(src, parsed, quality, texts=texts)


def members(src: Source, quality: DataQuality, scratch: Scratch):
    t = src.table
    cols = Columns(src, {"joined": t.joined_at}, {})
    stage = cols.keep(scratch, t, cid=_text(t.customer_id), raw_id=_missing_raw(t.customer_id))
    cols.decide(stage)
    parsed = stage.select(cid=stage.cid, joined=cols.day(stage, "joined"), _row=stage._row,
                          raw_id=stage.raw_id, raw_day=cols.raw(stage, "joined"))
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
    parsed = scratch.keep(parsed.select("cid", "joined", "_row", "reason", "raw"))
    scratch.release(stage)
    return _account(src, parsed, quality, texts={"unparseable joined_at date": t.joined_at})


def events(src: Source, quality: DataQuality, scratch: Scratch):
    t = src.table
    kind = t.kind.cast("string").strip().lower()
    mapped = ibis.cases(*[(kind == k, v) for k, v in EVENT_KINDS.items()],
                        else_=ibis.null("string"))
    cols = Columns(src, {"day": t.date}, {"points": t.points})
    stage = cols.keep(scratch, t, cid=_text(t.customer_id), kind=mapped,
                      raw_id=_missing_raw(t.customer_id), raw_kind=_raw(t.kind))
    cols.decide(stage)
    parsed = stage.select(cid=stage.cid, day=cols.day(stage, "day"), kind=stage.kind,
                          points=cols.number(stage, "points"), _row=stage._row,
                          raw_id=stage.raw_id, raw_day=cols.raw(stage, "day"),
                          raw_kind=stage.raw_kind, raw_points=cols.raw(stage, "points"))
    checks = [(parsed.cid.isnull(), "missing customer id", parsed.raw_id),
              (parsed.day.isnull(), "unparseable date", parsed.raw_day),
              (~_in_years(parsed.day), f"date before {P.FIRST_YEAR} or after {P.LAST_YEAR}",
               parsed.raw_day),
              (parsed.kind.isnull(), "kind is not issued or redeemed", parsed.raw_kind),
              (parsed.points.isnull() | parsed.points.isnan() | (parsed.points > MAX_NUMBER)
               | (parsed.points < 0), "points is not a number >= 0",
               parsed.raw_points)]
    parsed = scratch.keep(_reasons(parsed, checks).select("cid", "day", "kind", "points",
                                                          "_row", "reason", "raw"))
    scratch.release(stage)
    return _account(src, parsed, quality, texts={"unparseable date": t.date,
                                                 "points is not a number >= 0": t.points})
