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
    item = InputQuality(src.name, src.label)
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
            located = where_text if row is None or pd.isna(row) else int(row)
            item.examples.setdefault(reason, []).append((located, "(blank)" if blank else raw))
        item.excluded = dict(sorted(item.excluded.items(), key=lambda kv: -kv[1]))
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


def orders(src: Source, quality: DataQuality, scratch: Scratch, summary: dict | None = None):
    """The used orders (a lazy expression: parsed once per query that reads it, never
    materialised whole). Checks, refunds, duplicate order ids and the latest order day (into
    ``summary``) are counted in one grouped query; only when ids repeat does a window
    (partitioned by order id) mark the repeats."""
    t = src.table
    cid, day, amount = _text(t.customer_id), _day(t.order_date), _number(t.amount)
    columns = dict(cid=cid, day=day, amount=amount, _row=_row_of(t))
    has_ids = "order_id" in src.columns
    columns["order_id"] = _text(t.order_id) if has_ids else ibis.null("string")
    parsed = t.select(**columns, raw_id=_raw(t.customer_id), raw_date=_raw(t.order_date),
                      raw_amount=_raw(t.amount))
    checks = [(parsed.cid.isnull(), "missing customer id", parsed.raw_id),
              (parsed.day.isnull(), "unparseable order date", parsed.raw_date),
              (parsed.amount.isnull() | parsed.amount.isinf() | parsed.amount.isnan(),
               "unparseable amount", parsed.raw_amount)]
    parsed = _reasons(parsed, checks)
    keys = {"customer_id": parsed.raw_id, "order_date": parsed.raw_date,
            "amount": parsed.raw_amount}
    if has_ids:
        keys = {"order_id": parsed.order_id, **keys}
    extra = dict(refunds=_.count(where=_.amount < 0),
                 refund_total=_.amount.sum(where=_.amount < 0), last_day=_.day.max(),
                 first_day=_.day.min(where=_.amount >= 0))
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
    if summary is not None:  # the latest used order day (the report's last period) and the
        # first order (warm-up periods)
        summary["last_day"] = used.get("last_day") if used else None
        summary["first_day"] = used.get("first_day") if used else None
    return clean.select("cid", "day", "amount")


def responses(src: Source, config: Settings, quality: DataQuality, scratch: Scratch):
    t = src.table
    columns = dict(day=_day(t.answered_at), metric=t.metric.cast("string").strip().lower(),
                   score=_number(t.score), _row=_row_of(t))
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
    # reported (the per-period aggregate could keep only one of them). Whether any repeats is
    # counted with the other checks (answers vs distinct keys).
    parsed = parsed.mutate(cli=parsed.reason.isnull() & parsed.metric.isin(list(CLI_METRICS)),
                           p=P.ordinal_expr(config.period, parsed.day))
    keys = {"answered_at": parsed.raw_date, "metric": parsed.raw_metric,
            "score": parsed.raw_score, "respondent_id": parsed.respondent}
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
    parsed = t.select(day=day, amount=_number(t.amount), kind=kind, _row=_row_of(t),
                      raw_day=raw_day, raw_amount=_raw(t.amount),
                      raw_kind=_raw(t.kind) if "kind" in src.columns else ibis.literal(""))
    checks = [(parsed.day.isnull(), "unparseable date or period", parsed.raw_day),
              (parsed.amount.isnull() | parsed.amount.isnan() | parsed.amount.isinf()
               | (parsed.amount < 0), "amount is not a number >= 0", parsed.raw_amount),
              (~parsed.kind.isin(["marketing", "sales"]),
               "kind is not marketing or sales", parsed.raw_kind)]
    keys = {"date": parsed.raw_day, "amount": parsed.raw_amount, "kind": parsed.raw_kind}
    return _account(src, _reasons(parsed, checks), quality, keys=keys)[0].select(
        "day", "amount", "kind")


def members(src: Source, quality: DataQuality, scratch: Scratch):
    t = src.table
    parsed = t.select(cid=_text(t.customer_id), joined=_day(t.joined_at), _row=_row_of(t),
                      raw_id=_raw(t.customer_id), raw_day=_raw(t.joined_at))
    checks = [(parsed.cid.isnull(), "missing customer id", parsed.raw_id),
              (parsed.joined.isnull(), "unparseable joined_at date", parsed.raw_day)]
    parsed = _reasons(parsed, checks)
    keys = {"customer_id": parsed.raw_id, "joined_at": parsed.raw_day}
    parsed = _first_of(parsed, [parsed.cid], parsed.reason.isnull(), "member listed twice",
                       parsed.raw_id, keys)
    return _account(src, parsed, quality, keys=keys)[0].select("cid", "joined")


def events(src: Source, quality: DataQuality, scratch: Scratch):
    t = src.table
    kind = t.kind.cast("string").strip().lower()
    mapped = ibis.cases(*[(kind == k, v) for k, v in EVENT_KINDS.items()],
                        else_=ibis.null("string"))
    parsed = t.select(cid=_text(t.customer_id), day=_day(t.date), kind=mapped,
                      points=_number(t.points), _row=_row_of(t), raw_id=_raw(t.customer_id),
                      raw_day=_raw(t.date), raw_kind=_raw(t.kind), raw_points=_raw(t.points))
    checks = [(parsed.cid.isnull(), "missing customer id", parsed.raw_id),
              (parsed.day.isnull(), "unparseable date", parsed.raw_day),
              (parsed.kind.isnull(), "kind is not issued or redeemed", parsed.raw_kind),
              (parsed.points.isnull() | parsed.points.isnan() | parsed.points.isinf()
               | (parsed.points < 0), "points is not a number >= 0", parsed.raw_points)]
    keys = {"customer_id": parsed.raw_id, "date": parsed.raw_day, "kind": parsed.raw_kind,
            "points": parsed.raw_points}
    return _account(src, _reasons(parsed, checks), quality, keys=keys)[0].select(
        "cid", "day", "kind", "points")

