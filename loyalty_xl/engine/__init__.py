"""The period engine: event tables (orders, survey answers, spend, programme activity) in, one row
of KPIs per period out.

Written as Ibis expressions, run by default on an embedded DuckDB, so the same computation can run
on a bigger engine. The engine only groups and counts; every KPI is computed by the KPI library
(``loyalty_xl.kpis``) from those counts, vectorised over the periods.

Definitions (``kpi-spec.md``, period rules):

- A customer is *active* at a date when they ordered in the activity window before it
  (default 365 days): an order on day d makes them active at every boundary b with
  d < b <= d + window. CS = active at the period's start, CE = active at its end.
- CN (``new_customers``) = customers whose first-ever order is in the period;
  ``reactivated_customers`` = customers who had ordered before, were not active at the period's
  start and ordered in it (lost earlier, re-acquired now). Retention and churn count both as
  acquired in the period (CN in the formula): ``retention_rate = (CE - acquired) / CS`` and
  ``churn_rate = lost / CS``, so the two add up to 1. (When the activity window is shorter than a
  period, a customer acquired and lapsed within the same period is in neither CE nor acquired.)
- ``lost_customers`` = active at the start and not active at the end.
- Value and repeat-purchase KPIs use a trailing window ending with the period (default 12 months;
  52 weeks for weekly periods), so purchase frequency is per year; CLV annualises the frequency
  if the window is not 12 months. Lifespan uses all history up to the period's end.
- Refunds (negative amounts) reduce revenue in their period; they are not orders and do not make
  a customer active.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
from dataclasses import dataclass, field

import ibis
import numpy as np
import pandas as pd
from ibis import _

from loyalty_xl import kpis
from loyalty_xl.engine import periods as P
from loyalty_xl.engine.quality import EXAMPLES, DataQuality, InputQuality
from loyalty_xl.engine.sources import Source, load, parse_mapping
from loyalty_xl.errors import LoyaltyXLError
from loyalty_xl.kpis import answers
from loyalty_xl.kpis.customers import DAYS_PER_YEAR
from loyalty_xl.kpis.survey import CES_SCALES, CSAT_SCALES

__all__ = ["Settings", "EngineResult", "analyse", "compute_periods", "compute_cohorts",
           "parse_mapping", "COLUMNS"]

COLUMNS = [
    "period", "orders", "revenue", "customers", "new_customers", "customers_start",
    "customers_end", "lost_customers", "retention_rate", "churn_rate", "repeat_purchase_rate",
    "average_purchase_value", "purchase_frequency", "customer_value",
    "average_customer_lifespan", "customer_lifetime_value", "spend",
    "customer_acquisition_cost", "clv_cac_ratio", "nps", "nps_low", "nps_high",
    "nps_responses", "csat", "ces", "cli", "participation_rate", "redemption_rate",
    "active_engagement_rate",
]
EXTRA_COLUMNS = ["period_start", "period_end", "reactivated_customers", "marketing_spend",
                 "sales_spend", "csat_responses", "ces_responses", "cli_responses", "members",
                 "active_members"]
CLI_METRICS = ("cli_recommend", "cli_buy_again", "cli_other_products")
METRICS = ("nps", "csat", "ces", *CLI_METRICS)
EVENT_KINDS = {"issued": "issued", "earned": "issued", "earn": "issued", "issue": "issued",
               "redeemed": "redeemed", "redeem": "redeemed", "burned": "redeemed",
               "burn": "redeemed"}


@dataclass
class Settings:
    """How periods are cut and KPIs defined (the defaults follow kpi-spec.md)."""

    period: str = "month"
    periods: int = 13
    until: str | None = None  # the last period (a label or a date); default: the latest data
    activity_days: int = 365
    trailing_months: int = 12
    engagement_days: int = 90
    csat_scale: str = "1-5"
    ces_scale: str = "1-7"
    confidence: float = 0.95
    strict: bool = False
    memory_limit: str = "1GB"  # of the engine's own DuckDB; beyond it DuckDB spills to disk

    def check(self) -> Settings:
        P.check_kind(self.period)
        for name in ("periods", "activity_days", "trailing_months", "engagement_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise LoyaltyXLError(f"{name} must be a whole number >= 1", argument=name,
                                     value=value, has_value=True)
        for name, table in (("csat_scale", CSAT_SCALES), ("ces_scale", CES_SCALES)):
            if getattr(self, name) not in table:
                raise LoyaltyXLError(f"{name} must be one of {', '.join(table)}",
                                     argument=name, value=getattr(self, name), has_value=True)
        return self


@dataclass
class EngineResult:
    """The KPI table, the cohort matrix and what happened to the input rows."""

    periods: pd.DataFrame
    cohorts: pd.DataFrame
    quality: DataQuality
    settings: Settings
    inputs: dict[str, str] = field(default_factory=dict)
    segments: pd.DataFrame | None = None  # NPS by segment in the last period
    first_order: dt.date | None = None  # the first order in the data (for warm-up periods)


def compute_periods(orders, *, responses=None, spend=None, members=None, events=None,
                    mapping=None, progress=None, **settings) -> pd.DataFrame:
    """One row of KPIs per period (see the module docstring for the definitions).

    Parameters
    ----------
    orders : path, DataFrame or Ibis table
        ``customer_id``, ``order_date``, ``amount`` (+ optional ``order_id``, ``segment``).
    responses, spend, members, events : optional inputs, same kinds of source.
    mapping : dict or list of "column=SourceColumn", optional
        Source column names for the canonical ones.
    **settings
        Fields of :class:`Settings`: ``period`` ("month"), ``periods`` (13), ``until``,
        ``activity_days`` (365), ``trailing_months`` (12), ``engagement_days`` (90),
        ``csat_scale`` ("1-5"), ``ces_scale`` ("1-7"), ``confidence`` (0.95), ``strict``.

    Returns
    -------
    pandas.DataFrame
        Columns ``COLUMNS`` (and a few more); ``.attrs["data_quality"]`` holds the
        data-quality summary as a dict.
    """
    result = analyse(orders, responses=responses, spend=spend, members=members, events=events,
                     mapping=mapping, progress=progress, **settings)
    table = result.periods
    table.attrs["data_quality"] = result.quality.as_dict()
    return table


def compute_cohorts(orders, *, mapping=None, **settings) -> pd.DataFrame:
    """The cohort retention matrix of the report's periods (see :func:`analyse`)."""
    return analyse(orders, mapping=mapping, **settings).cohorts


def analyse(orders, *, responses=None, spend=None, members=None, events=None, mapping=None,
            progress=None, con=None, **settings) -> EngineResult:
    """Run the engine: the period table, the cohort matrix and the data-quality summary."""
    config = Settings(**settings).check()
    mapping = parse_mapping(mapping) if isinstance(mapping, (list, tuple)) else (mapping or {})
    step = progress or (lambda text: None)
    with contextlib.ExitStack() as stack:
        if con is None:
            con = _connection(orders, config.memory_limit, stack)
        quality = DataQuality()
        scratch = _Scratch(con)
        stack.callback(scratch.drop)
        return _analyse(con, scratch, config, quality, step, mapping, {
            "orders": orders, "responses": responses, "spend": spend, "members": members,
            "events": events})


def _analyse(con, scratch, config, quality, step, mapping, specs) -> EngineResult:
    sources = {}
    for name, spec in specs.items():
        if spec is not None:
            step(f"reading {name}")
            sources[name] = load(con, name, spec, mapping)
    step("checking orders")
    clean_orders, parsed_orders = _orders(sources["orders"], quality, scratch)
    run = _Run(con, config, clean_orders, scratch)
    scratch.release(parsed_orders)  # everything after this reads the customer x period table
    step("counting customers per period")
    table = run.customer_table()
    if "responses" in sources:
        step("survey answers")
        table = table.join(run.survey(_responses(sources["responses"], config, quality,
                                                 scratch)))
    if "spend" in sources:
        step("spend")
        table = table.join(run.spend(_spend(sources["spend"], quality, scratch)))
    if "members" in sources:
        step("loyalty programme")
        member_rows = _members(sources["members"], quality, scratch)
        event_rows = _events(sources["events"], quality, scratch) if "events" in sources \
            else None
        table = table.join(run.programme(member_rows, event_rows))
    elif "events" in sources:
        raise LoyaltyXLError("programme events need the members input too (--members)",
                             argument="events")
    step("computing KPIs")
    out = _kpis(table, config)
    cohorts = run.cohorts()
    if config.strict:
        quality.raise_if_any()
    labels = {name: src.label for name, src in sources.items()}
    return EngineResult(out, cohorts, quality, config, labels, run.segments, run.first_order)


def _connection(orders, memory_limit, stack):
    """The orders' own backend for an Ibis table; otherwise an embedded DuckDB that spills to
    a private temporary folder (removed afterwards) beyond ``memory_limit``."""
    if isinstance(orders, ibis.Table):
        try:
            return orders._find_backend()
        except Exception:  # an unbound table: DuckDB runs it
            pass
    spill = stack.enter_context(tempfile.TemporaryDirectory(prefix="loyalty-xl-"))
    con = ibis.duckdb.connect(memory_limit=memory_limit, temp_directory=spill)
    stack.callback(con.disconnect)
    con.raw_sql("SET preserve_insertion_order = true")
    con.raw_sql("SET enable_progress_bar = false")  # the command line shows its own
    return con


class _Scratch:
    """The engine's temporary tables: created on the connection, dropped when the run ends.

    (Ibis' own ``Table.cache()`` drops its tables from a finaliser at interpreter exit, which
    fails noisily on DuckDB; owning them is simpler.)
    """

    def __init__(self, con):
        self.con, self.names = con, []

    def keep(self, expr):
        name = f"loyalty_tmp_{len(self.names)}_{id(self):x}"
        table = self.con.create_table(name, expr, temp=True)
        self.names.append(name)
        return table

    def release(self, table):
        """Drop one table as soon as it is no longer needed (memory)."""
        name = table.get_name()
        if name in self.names:
            self.con.drop_table(name, force=True)
            self.names.remove(name)

    def drop(self):
        for name in self.names:
            try:
                self.con.drop_table(name, force=True)
            except Exception:  # the connection may already be gone
                pass
        self.names.clear()


# --- parsing and data quality ----------------------------------------------------------------

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


def _orders(src: Source, quality: DataQuality, scratch: _Scratch):
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


def _responses(src: Source, config: Settings, quality: DataQuality, scratch: _Scratch):
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
    # One rule (loyalty_xl.kpis.answers): the reasons in its order.
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


def _spend(src: Source, quality: DataQuality, scratch: _Scratch):
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


def _members(src: Source, quality: DataQuality, scratch: _Scratch):
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


def _events(src: Source, quality: DataQuality, scratch: _Scratch):
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


# --- counting --------------------------------------------------------------------------------

class _Run:
    """The report's periods and the counts behind every KPI."""

    def __init__(self, con, config: Settings, orders, scratch: _Scratch):
        self.con, self.config, self.kind = con, config, config.period
        self.scratch = scratch
        self.segments = None  # NPS by segment in the last period, when answers have segments
        orders = orders.mutate(p=P.ordinal_expr(self.kind, orders.day),
                               d=orders.day.epoch_days())
        self.orders = orders
        span = orders.agg(last=_.p.max(), first=_.day.min(where=_.amount >= 0)).execute()
        latest = span["last"][0]
        first = span["first"][0]
        self.first_order = None if first is None or pd.isna(first) else pd.Timestamp(first).date()
        if latest is None or pd.isna(latest):
            raise LoyaltyXLError("orders input has no usable rows (see the data-quality "
                                 "summary)", argument="orders")
        last = P.parse_label(self.kind, config.until) if config.until else int(latest)
        self.ordinals = list(range(last - config.periods + 1, last + 1))
        starts = [P.start(self.kind, p) for p in self.ordinals + [last + 1]]
        self.starts = [P.epoch_days(d) for d in starts]
        self.dates = starts
        self.window = P.trailing_periods(self.kind, config.trailing_months)
        self.period_table = ibis.memtable(pd.DataFrame({
            "k": range(len(self.ordinals)), "p": self.ordinals, "s": self.starts[:-1],
            "e": self.starts[1:]}))
        self.index = pd.Index([P.label(self.kind, p) for p in self.ordinals], name="period")
        is_order = orders.amount >= 0
        # Customer x period: orders (amount >= 0), net revenue, first and last order day, and
        # "reach": the last period whose start the customer is still active at (ordinal of the
        # last order day + the activity window).
        reach = P.ordinal_expr(self.kind, orders.day + ibis.interval(days=config.activity_days))
        self.cp = scratch.keep(orders.group_by(["cid", "p"]).agg(
            n=is_order.sum().cast("int64"), revenue=_.amount.sum(),
            first=_.d.min(where=is_order), last=_.d.max(where=is_order),
            reach=reach.max(where=is_order)))

    def _frame(self, expr, columns):
        """Execute a per-k expression into a frame indexed like the report."""
        frame = expr.execute().set_index("k").reindex(range(len(self.ordinals)))
        frame.index = self.index
        return frame[columns]

    def customer_table(self) -> pd.DataFrame:
        """Counts per period from the customer x period table, in one window and one grouping.

        Take each customer's periods with orders, in order: row i (period p_i, last order day
        last_i, reach_i = the last period whose start they are still active at) is the
        customer's latest row for the periods p_i .. p_{i+1} - 1. So per row:

        - active at the starts of periods p_i + 1 .. min(reach_i, p_{i+1});
        - lost in period reach_i when p_i < reach_i < p_{i+1} (active at its start, and no new
          order before lapsing); or lost in p_i itself when the previous row made them active
          at its start and reach_i = p_i (a window shorter than a period lapses within it);
        - acquired in p_i when the previous row's reach < p_i (or there is none), and still
          active at the period's end: new (no previous row) or reactivated (one);
        - in the trailing window for p_i .. min(p_i + L - 1, p_{i+1} - 1), with two or more
          orders in it until min(p_{i+1} - 1, (p_i if n_i >= 2 else p_{i-1}) + L - 1);
        - its last order day is "the last order so far" for p_i .. p_{i+1} - 1.

        Each becomes +value at the first period and -value after the last; one grouped sum and
        a cumulative sum give every count. (An order on day d makes a customer active at every
        period start b with d < b <= d + activity window.)
        """
        cp, n_periods = self.cp, len(self.ordinals)
        p0, p_last = self.ordinals[0], self.ordinals[-1]
        size = self.window
        rows = cp.filter((cp.n > 0) & (cp.p <= p_last))
        w = ibis.window(group_by="cid", order_by="p")
        rows = rows.mutate(prev_p=rows.p.lag().over(w), prev_reach=rows.reach.lag().over(w),
                           next_p=rows.p.lead().over(w))
        rows = self.scratch.keep(rows.select(
            "p", "n", "first", "last", "reach", "prev_p", "prev_reach",
            next_p=ibis.coalesce(rows.next_p, p_last + 1)))
        r = rows
        fresh = r.prev_p.isnull() | (r.prev_reach < r.p)  # not active at the start of p
        repeat_from = ibis.cases((r.n >= 2, r.p), else_=r.prev_p)
        spans = {  # measure: (first period, last period, value, condition)
            "customers_start": (r.p + 1, ibis.least(r.reach, r.next_p), 1, None),
            "lost_customers": (r.reach, r.reach, 1, (r.reach < r.next_p) & (r.reach > r.p)),
            # Active at the start of p through the previous row, ordered in p, lapsed within p
            # (only when the activity window is shorter than a period).
            "lost_within": (r.p, r.p, 1, (r.prev_reach >= r.p) & (r.reach == r.p)),
            "acquired": (r.p, r.p, 1, fresh & (r.reach > r.p)),
            "new_customers": (r.p, r.p, 1, r.prev_p.isnull()),
            "reactivated_customers": (r.p, r.p, 1, r.prev_p.notnull() & (r.prev_reach < r.p)),
            "customers_total": (r.p, ibis.literal(p_last), 1, r.prev_p.isnull()),
            "first_days": (r.p, ibis.literal(p_last), r["first"], r.prev_p.isnull()),
            "last_days": (r.p, r.next_p - 1, r["last"], None),
            "window_customers": (r.p, ibis.least(r.p + size - 1, r.next_p - 1), 1, None),
            "window_repeat": (r.p, ibis.least(r.next_p - 1, repeat_from + size - 1), 1,
                              repeat_from.notnull()),
        }
        events = []
        for name, (first, last, value, condition) in spans.items():
            chosen = r if condition is None else r.filter(condition)
            lo = ibis.greatest(first, p0)
            hi = last + 1
            value = ibis.literal(value, "int64") if isinstance(value, int) else value
            for at, sign in ((lo, 1), (hi, -1)):
                # Activity reaches the boundary after the last period (its customers_end).
                part = chosen.filter((last >= first) & (hi > p0) & (lo <= p_last + 1))
                events.append(part.select(measure=ibis.literal(name), at=at.cast("int64"),
                                          delta=value.cast("int64") * sign))
        totals = ibis.union(*events).group_by(["measure", "at"]).agg(
            delta=_.delta.sum()).execute()
        self.scratch.release(rows)
        grid = totals.pivot_table(index="at", columns="measure", values="delta",
                                  aggfunc="sum").reindex(range(p0, p_last + 2)).fillna(0)
        counts = grid.cumsum().loc[p0:p_last].reindex(columns=list(spans), fill_value=0)
        table = pd.DataFrame(index=self.index)
        for name in spans:
            table[name] = counts[name].to_numpy()
        ends = grid.cumsum()["customers_start"] if "customers_start" in grid else None
        table["customers_end"] = (ends.loc[p0 + 1:p_last + 1].to_numpy() if ends is not None
                                  else np.zeros(n_periods))
        table["lost_customers"] += table.pop("lost_within")
        with np.errstate(invalid="ignore", divide="ignore"):
            table["lifespan_days"] = np.where(
                table.customers_total > 0,
                (table.last_days - table.first_days) / table.customers_total.replace(0, 1),
                np.nan)
        # Additive per-period sums: orders, net revenue, ordering customers, window sums.
        per_period = cp.filter((cp.p > p0 - size) & (cp.p <= p_last)).group_by("p").agg(
            orders=_.n.sum(), revenue=_.revenue.sum(), customers=(_.n > 0).sum()).execute()
        per_period = per_period.set_index("p").reindex(range(p0 - size + 1, p_last + 1)).fillna(0)
        for column in ("orders", "revenue"):
            values = per_period[column].to_numpy()
            table[f"window_{column}"] = [values[k:k + size].sum() for k in range(n_periods)]
        current = per_period.loc[self.ordinals]
        for column in ("orders", "revenue", "customers"):
            table[column] = current[column].to_numpy()
        table["period_start"] = self.dates[:-1]
        table["period_end"] = [d - dt.timedelta(days=1) for d in self.dates[1:]]
        return table

    def survey(self, responses) -> pd.DataFrame:
        cfg = self.config
        rows = responses.mutate(p=P.ordinal_expr(self.kind, responses.day)).filter(
            (_.p >= self.ordinals[0]) & (_.p <= self.ordinals[-1])).select(
            "p", "metric", "score", "weight", "respondent", "segment", "_row").order_by(
            "_row").execute()
        last = rows[(rows.p == self.ordinals[-1]) & (rows.metric == "nps")]
        if len(last) and last.segment.notna().any():
            self.segments = kpis.nps_by_segment(last.score.to_numpy(), last.segment.to_numpy(),
                                                weights=last.weight.to_numpy(),
                                                confidence=cfg.confidence)
        out = {c: np.full(len(self.ordinals), np.nan) for c in (
            "nps", "nps_low", "nps_high", "nps_responses", "csat", "csat_responses", "ces",
            "ces_responses", "cli", "cli_responses")}
        groups = dict(tuple(rows.groupby("p"))) if len(rows) else {}
        for k, p in enumerate(self.ordinals):
            part = groups.get(p)
            if part is None:
                for c in ("nps_responses", "csat_responses", "ces_responses", "cli_responses"):
                    out[c][k] = 0
                continue
            by_metric = dict(tuple(part.groupby("metric")))
            empty = pd.DataFrame({"score": [], "weight": [], "respondent": []})
            nps = by_metric.get("nps", empty)
            ci = kpis.nps_interval(nps.score.to_numpy(), weights=nps.weight.to_numpy(),
                                   confidence=cfg.confidence)
            out["nps"][k], out["nps_low"][k], out["nps_high"][k] = ci.nps, ci.low, ci.high
            out["nps_responses"][k] = len(nps)
            csat = by_metric.get("csat", empty)
            out["csat"][k] = kpis.csat(csat.score.to_numpy(), scale=cfg.csat_scale,
                                       weights=csat.weight.to_numpy())
            out["csat_responses"][k] = len(csat)
            ces = by_metric.get("ces", empty)
            out["ces"][k] = kpis.customer_effort_score(ces.score.to_numpy(), scale=cfg.ces_scale,
                                                       weights=ces.weight.to_numpy())
            out["ces_responses"][k] = len(ces)
            cli = part[part.metric.isin(CLI_METRICS)]
            if len(cli):
                wide = cli.pivot(  # one answer per respondent and question (checked above)
                    index="respondent", columns="metric", values="score").reindex(
                    columns=list(CLI_METRICS))
                weights = cli.groupby("respondent")["weight"].first().reindex(wide.index)
                out["cli"][k] = kpis.customer_loyalty_index(
                    *(wide[m].to_numpy() for m in CLI_METRICS), weights=weights.to_numpy())
            out["cli_responses"][k] = cli["respondent"].nunique() if len(cli) else 0
        return pd.DataFrame(out, index=self.index)

    def spend(self, spend) -> pd.DataFrame:
        per = spend.mutate(p=P.ordinal_expr(self.kind, spend.day)).join(
            self.period_table, "p").group_by("k").agg(
            marketing_spend=_.amount.sum(where=_.kind == "marketing"),
            sales_spend=_.amount.sum(where=_.kind == "sales"))
        frame = self._frame(per, ["marketing_spend", "sales_spend"]).fillna(0.0)
        frame["spend"] = frame.marketing_spend + frame.sales_spend
        return frame

    def programme(self, members, events) -> pd.DataFrame:
        first_order = self.cp.group_by("cid").agg(first=_.first.min())
        joined = members.mutate(j=members.joined.epoch_days()).select("cid", "j")
        ends = self.period_table.select("k", "e")
        counted = joined.left_join(first_order, "cid").select(
            "j", "first", cid=joined.cid).cross_join(ends).filter(_.j < _.e).group_by(
            "k").agg(members=_.count(), member_customers=(_.first < _.e).sum())
        frame = self._frame(counted, ["members", "member_customers"]).fillna(0)
        if events is None:
            frame["active_members"] = np.nan
            frame["issued"] = frame["redeemed"] = np.nan
            return frame
        ev = events.mutate(d=events.day.epoch_days())
        days = self.config.engagement_days
        recent = ev.select("cid", "d").cross_join(ends).filter(
            (_.d >= _.e - days) & (_.d < _.e)).select("k", "cid", "e").distinct()
        active = recent.join(joined, "cid").filter(_.j < _.e).group_by("k").agg(
            active_members=_.count())
        frame = frame.join(self._frame(active, ["active_members"]).fillna(0))
        points = ev.mutate(p=P.ordinal_expr(self.kind, ev.day)).join(
            self.period_table, "p").group_by("k").agg(
            issued=_.points.sum(where=_.kind == "issued"),
            redeemed=_.points.sum(where=_.kind == "redeemed"))
        return frame.join(self._frame(points, ["issued", "redeemed"]).fillna(0.0))

    def cohorts(self) -> pd.DataFrame:
        """Share of each report-period cohort (first order) ordering k periods later."""
        cp = self.cp.filter(_.n > 0)
        first = cp.group_by("cid").agg(cohort=_.p.min())
        first_k = self.ordinals[0]
        cells = cp.join(first, "cid").filter(_.cohort >= first_k).group_by(
            ["cohort", "p"]).agg(n=_.count()).execute()
        size = len(self.ordinals)
        matrix = np.zeros((size, size))
        for cohort, p, n in zip(cells["cohort"], cells["p"], cells["n"]):
            if p <= self.ordinals[-1]:
                matrix[int(cohort) - first_k, int(p - cohort)] = n
        sizes = matrix[:, 0].copy()
        with np.errstate(invalid="ignore", divide="ignore"):
            shares = matrix / np.where(sizes > 0, sizes, np.nan)[:, None]
        observable = np.arange(size)[:, None] + np.arange(size)[None, :] < size
        shares[~observable] = np.nan
        out = pd.DataFrame(shares, index=self.index.rename("cohort"), columns=list(range(size)))
        out.insert(0, "customers", sizes)
        return out


def _kpis(table: pd.DataFrame, config: Settings) -> pd.DataFrame:
    """Every KPI from the counts, through the KPI library, vectorised over the periods."""
    t = table.copy()
    cs, ce = t.customers_start.to_numpy(), t.customers_end.to_numpy()
    acquired = t.acquired.to_numpy()
    t["retention_rate"] = kpis.retention_rate(cs, ce, acquired)
    t["churn_rate"] = kpis.churn_rate(cs, t.lost_customers.to_numpy(), new_customers=acquired)
    t["repeat_purchase_rate"] = kpis.repeat_purchase_rate(
        repeat_customers=t.window_repeat.to_numpy(), customers=t.window_customers.to_numpy())
    t["average_purchase_value"] = kpis.average_purchase_value(t.window_revenue.to_numpy(),
                                                              t.window_orders.to_numpy())
    t["purchase_frequency"] = kpis.purchase_frequency(t.window_orders.to_numpy(),
                                                      t.window_customers.to_numpy())
    t["customer_value"] = kpis.customer_value(t.average_purchase_value.to_numpy(),
                                              t.purchase_frequency.to_numpy())
    t["average_customer_lifespan"] = t.lifespan_days.to_numpy(dtype=float) / DAYS_PER_YEAR
    per_year = t.purchase_frequency.to_numpy() * (12.0 / config.trailing_months)
    t["customer_lifetime_value"] = kpis.customer_lifetime_value(
        t.average_purchase_value.to_numpy(), per_year, t.average_customer_lifespan.to_numpy())
    if "spend" in t:
        t["customer_acquisition_cost"] = kpis.customer_acquisition_cost(
            t.marketing_spend.to_numpy(), t.new_customers.to_numpy(),
            sales_spend=t.sales_spend.to_numpy())
        t["clv_cac_ratio"] = kpis.clv_cac_ratio(t.customer_lifetime_value.to_numpy(),
                                                t.customer_acquisition_cost.to_numpy())
    if "members" in t:
        t["participation_rate"] = kpis.participation_rate(t.member_customers.to_numpy(),
                                                          t.customers_total.to_numpy())
        if t.active_members.notna().all():
            t["active_engagement_rate"] = kpis.active_engagement_rate(
                t.active_members.to_numpy(), t.members.to_numpy())
            t["redemption_rate"] = kpis.redemption_rate(t.redeemed.to_numpy(),
                                                        t.issued.to_numpy(), carry_over=True)
    for column in COLUMNS + EXTRA_COLUMNS:
        if column not in t and column != "period":
            t[column] = np.nan
    counts = ["orders", "customers", "new_customers", "customers_start", "customers_end",
              "lost_customers", "reactivated_customers"]
    t[counts] = t[counts].astype("int64")
    out = t.reset_index()
    return out[COLUMNS + EXTRA_COLUMNS]
