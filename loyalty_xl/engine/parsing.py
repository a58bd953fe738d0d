"""Parsing and checking the inputs: each input's rows become typed columns plus ``reason`` (why
a row is excluded, or null) and ``raw`` (the offending value); the data-quality summary counts
them per reason with the first examples, and only the used rows go on to counting.
"""

from __future__ import annotations

import ibis
import numpy as np
from ibis import _

from loyalty_xl.engine import periods as P
from loyalty_xl.engine.backend import Scratch
from loyalty_xl.engine.quality import EXAMPLES, DataQuality, InputQuality
from loyalty_xl.engine.settings import Settings
from loyalty_xl.engine.sources import Source
from loyalty_xl.kpis import answers

CLI_METRICS = ("cli_recommend", "cli_buy_again", "cli_other_products")
METRICS = ("nps", "csat", "ces", *CLI_METRICS)
EVENT_KINDS = {"issued": "issued", "earned": "issued", "earn": "issued", "issue": "issued",
               "redeemed": "redeemed", "redeem": "redeemed", "burned": "redeemed",
               "burn": "redeemed"}



def _day(column):
    kind = column.type()
    if kind.is_date():
        return column
    if kind.is_timestamp():
        return column.date()
    if kind.is_string():
        return column.strip().try_cast("timestamp").date()
    return column.try_cast("timestamp").date()


def _number(column):
    kind = column.type()
    if kind.is_numeric():
        return column.cast("float64")
    # No strip: DuckDB's number casts accept surrounding white space (its date casts do not).
    return column.try_cast("float64")


def _text(column):
    if column.type().is_string():
        stripped = column.strip()
        return ibis.cases((stripped == "", ibis.null("string")), else_=stripped)
    return column


def _raw(column):
    return column.cast("string")


def _reasons(table, checks):
    """Add ``reason`` (the first failed check) and ``raw`` (its offending value)."""
    reason = ibis.cases(*[(bad, label) for bad, label, _ in checks], else_=ibis.null("string"))
    raw = ibis.cases(*[(bad, value) for bad, _, value in checks], else_=ibis.null("string"))
    return table.mutate(reason=reason, raw=raw)


def _account(src: Source, parsed, quality: DataQuality, notes=()):
    """Count rows per reason and the first examples; return the used rows (cached)."""
    item = InputQuality(src.name, src.label)
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
        for reason, row, raw in zip(examples["reason"], examples["_row"], examples["raw"]):
            blank = raw is None or (isinstance(raw, float) and np.isnan(raw)) or not str(raw)
            item.examples.setdefault(reason, []).append((int(row), "(blank)" if blank else raw))
        item.excluded = dict(sorted(item.excluded.items(), key=lambda kv: -kv[1]))
    item.notes.extend(notes)
    quality.add(item)
    return parsed.filter(_.reason.isnull())


def orders(src: Source, quality: DataQuality, scratch: Scratch):
    t = src.table
    cid, day, amount = _text(t.customer_id), _day(t.order_date), _number(t.amount)
    columns = dict(cid=cid, day=day, amount=amount, _row=t._row)
    if "order_id" in src.columns:
        columns["order_id"] = _text(t.order_id)
    parsed = t.select(**columns, raw_id=_raw(t.customer_id), raw_date=_raw(t.order_date),
                      raw_amount=_raw(t.amount))
    checks = [(parsed.cid.isnull(), "missing customer id", parsed.raw_id),
              (parsed.day.isnull(), "unparseable order date", parsed.raw_date),
              (parsed.amount.isnull() | parsed.amount.isinf() | parsed.amount.isnan(),
               "unparseable amount", parsed.raw_amount)]
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
    refunds = parsed.filter(_.reason.isnull() & (_.amount < 0)).agg(
        n=_.count(), total=_.amount.sum()).execute()
    notes = []
    if int(refunds["n"][0]):
        notes.append(f"{int(refunds['n'][0]):,} refunds (negative amounts, total "
                     f"{float(refunds['total'][0]):,.2f}) reduce revenue in their period; "
                     "they are not orders and do not make a customer active")
    return _account(src, parsed, quality, notes).select("cid", "day", "amount"), parsed


def _has_duplicates(table, column) -> bool:
    """Whether a column has a repeated non-null value (cheaper than ranking every row)."""
    counts = table.filter(table[column].notnull()).agg(
        n=_.count(), distinct=table[column].nunique()).execute()
    return int(counts["n"][0]) != int(counts["distinct"][0])


def responses(src: Source, config: Settings, quality: DataQuality, scratch: Scratch):
    t = src.table
    columns = dict(day=_day(t.answered_at), metric=t.metric.cast("string").strip().lower(),
                   score=_number(t.score), _row=t._row)
    has_respondent = "respondent_id" in src.columns
    columns["respondent"] = _text(t.respondent_id).cast("string") if has_respondent \
        else ibis.null("string")
    columns["weight"] = _number(t.weight) if "weight" in src.columns else ibis.literal(1.0)
    columns["segment"] = _text(t.segment.cast("string")) if "segment" in src.columns \
        else ibis.null("string")
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
        (~parsed.metric.isin(list(METRICS)) | parsed.metric.isnull(), "unknown metric",
         parsed.raw_metric),
        (as_text, answers.TEXT, parsed.raw_score),
        (score.isnull() | score.isnan() | score.isinf(), answers.NOT_A_NUMBER, parsed.raw_score),
        (score != score.floor(), answers.NOT_WHOLE, parsed.raw_score),
        (off_scale, answers.OFF_SCALE, parsed.raw_score),
        (parsed.weight.isnull() | parsed.weight.isnan() | (parsed.weight < 0)
         | parsed.weight.isinf(), "weight is not a number >= 0", parsed.raw_weight),
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
    return _account(src, parsed, quality)


def spend(src: Source, quality: DataQuality, scratch: Scratch):
    t = src.table
    if "date" in src.columns:
        day, raw_day = _day(t.date), _raw(t.date)
    else:
        text = t.period.cast("string").strip()
        month = (text + "-01").try_cast("timestamp").date()
        day, raw_day = ibis.coalesce(month, text.try_cast("timestamp").date()), _raw(t.period)
    kind = t.kind.cast("string").strip().lower() if "kind" in src.columns \
        else ibis.literal("marketing")
    kind = ibis.coalesce(ibis.cases((kind == "", ibis.null("string")), else_=kind), "marketing")
    parsed = t.select(day=day, amount=_number(t.amount), kind=kind, _row=t._row,
                      raw_day=raw_day, raw_amount=_raw(t.amount),
                      raw_kind=_raw(t.kind) if "kind" in src.columns else ibis.literal(""))
    checks = [(parsed.day.isnull(), "unparseable date or period", parsed.raw_day),
              (parsed.amount.isnull() | parsed.amount.isnan() | parsed.amount.isinf()
               | (parsed.amount < 0), "amount is not a number >= 0", parsed.raw_amount),
              (~parsed.kind.isin(["marketing", "sales"]),
               "kind is not marketing or sales", parsed.raw_kind)]
    parsed = scratch.keep(_reasons(parsed, checks).select("day", "amount", "kind", "_row",
                                                          "reason", "raw"))
    return _account(src, parsed, quality)


def members(src: Source, quality: DataQuality, scratch: Scratch):
    t = src.table
    parsed = t.select(cid=_text(t.customer_id), joined=_day(t.joined_at), _row=t._row,
                      raw_id=_raw(t.customer_id), raw_day=_raw(t.joined_at))
    checks = [(parsed.cid.isnull(), "missing customer id", parsed.raw_id),
              (parsed.joined.isnull(), "unparseable joined_at date", parsed.raw_day)]
    parsed = _reasons(parsed, checks)
    first = ibis.row_number().over(group_by=[parsed.cid, parsed.reason.isnull()],
                                   order_by=parsed._row)
    duplicate = parsed.reason.isnull() & (first > 0)
    parsed = parsed.mutate(reason=ibis.cases((duplicate, "member listed twice"),
                                             else_=parsed.reason),
                           raw=ibis.cases((duplicate, parsed.raw_id), else_=parsed.raw))
    parsed = scratch.keep(parsed.select("cid", "joined", "_row", "reason", "raw"))
    return _account(src, parsed, quality)


def events(src: Source, quality: DataQuality, scratch: Scratch):
    t = src.table
    kind = t.kind.cast("string").strip().lower()
    mapped = ibis.cases(*[(kind == k, v) for k, v in EVENT_KINDS.items()],
                        else_=ibis.null("string"))
    parsed = t.select(cid=_text(t.customer_id), day=_day(t.date), kind=mapped,
                      points=_number(t.points), _row=t._row, raw_id=_raw(t.customer_id),
                      raw_day=_raw(t.date), raw_kind=_raw(t.kind), raw_points=_raw(t.points))
    checks = [(parsed.cid.isnull(), "missing customer id", parsed.raw_id),
              (parsed.day.isnull(), "unparseable date", parsed.raw_day),
              (parsed.kind.isnull(), "kind is not issued or redeemed", parsed.raw_kind),
              (parsed.points.isnull() | parsed.points.isnan() | parsed.points.isinf()
               | (parsed.points < 0), "points is not a number >= 0", parsed.raw_points)]
    parsed = scratch.keep(_reasons(parsed, checks).select("cid", "day", "kind", "points",
                                                          "_row", "reason", "raw"))
    return _account(src, parsed, quality)

