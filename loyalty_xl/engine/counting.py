"""Counting: the report's periods and, per period, the counts behind every KPI.

Definitions (docs/kpis.md, period rules):

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

import datetime as dt

import ibis
import numpy as np
import pandas as pd
from ibis import _

from loyalty_xl import periods as P
from loyalty_xl.engine.backend import Scratch
from loyalty_xl.engine.parsing import CLI_METRICS
from loyalty_xl.engine.settings import Settings
from loyalty_xl.errors import InputError
from loyalty_xl.kpis import survey as S
from loyalty_xl.kpis.customers import cohort_shares

NULL = ibis.null("int64")
SURVEY_SCALES = {"nps": lambda cfg: (0, 10), "csat": lambda cfg: S.CSAT_SCALES[cfg.csat_scale][:2],
                 "ces": lambda cfg: S.CES_SCALES[cfg.ces_scale][:2]}


def _floats(series) -> np.ndarray:
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


class Run:
    """The report's periods and the counts behind every KPI.

    Every query groups in the backend and returns a few rows per period (or, for the customer
    counts, one row per distinct combination of a few period ordinals: a few thousand); the
    per-period numbers are finished here with difference arrays and cumulative sums.
    """

    def __init__(self, con, config: Settings, orders, scratch: Scratch, *, last_day=None,
                 first_day=None):
        self.con, self.config, self.kind = con, config, config.period
        self.scratch = scratch
        self.segments = None  # NPS by segment in the last period, when answers have segments
        self.cohort_cells = None
        self.orders = orders.mutate(p=P.ordinal_expr(self.kind, orders.day),
                                    d=orders.day.epoch_days())
        if last_day is None:  # (the checks usually report it: parsing.orders' summary)
            span = orders.agg(last=_.day.max(), first=_.day.min(where=_.amount >= 0)).execute()
            last_day, first_day = span["last"][0], span["first"][0]
        # The first order in the data, for warm-up periods.
        self.first_order = None if first_day is None or pd.isna(first_day) \
            else pd.Timestamp(first_day).date()
        if last_day is None or pd.isna(last_day):
            raise InputError("orders input has no usable rows (see the data-quality "
                             "summary)", argument="orders")
        latest = P.ordinal(self.kind, pd.Timestamp(last_day).date())
        last = P.parse_label(self.kind, config.until) if config.until else latest
        self.ordinals = list(range(last - config.periods + 1, last + 1))
        starts = [P.start(self.kind, p) for p in self.ordinals + [last + 1]]
        self.starts = [P.epoch_days(d) for d in starts]
        self.dates = starts
        self.window = P.trailing_periods(self.kind, config.trailing_months)
        self.index = pd.Index([P.label(self.kind, p) for p in self.ordinals], name="period")

    def customer_periods(self):
        """Customer x period with orders (amount >= 0), up to the report's last period: the
        number of orders, the first and last order day (epoch days), and "reach": the last
        period whose start the customer is still active at (ordinal of the last order day +
        the activity window). A hash aggregate: it distributes by (cid, p). Not materialised:
        the query that needs it aggregates the orders (cheaper in memory than keeping a table
        almost as long as the orders); 32-bit integers and three aggregates per group keep
        its hash table small."""
        orders, config = self.orders, self.config
        cp = orders.filter((orders.amount >= 0) & (orders.p <= self.ordinals[-1])).group_by(
            ["cid", orders.p.cast("int32").name("p")]).agg(
            n=_.count().cast("int32"), first=_.d.min().cast("int32"), last_day=_.day.max())
        reach = P.ordinal_expr(self.kind,
                               cp.last_day + ibis.interval(days=config.activity_days))
        return cp.select("cid", "p", "n", "first", last=cp.last_day.epoch_days().cast("int32"),
                         reach=reach.cast("int32"))

    def _per_period(self, frame, columns, fill=0.0) -> pd.DataFrame:
        """A frame indexed by ordinal ``p`` as the report's periods, in its order."""
        out = frame.set_index("p").reindex(self.ordinals)[columns].astype(float).fillna(fill)
        out.index = self.index
        return out

    def _spread(self, lo, hi, value) -> np.ndarray:
        """Sum of ``value`` over the spans [lo, hi) (period ordinals; NaN: no span), at every
        ordinal p0 .. p_last + 2: a difference array and its cumulative sum."""
        p0, size = self.ordinals[0], len(self.ordinals) + 3
        lo, hi = np.broadcast_to(lo, value.shape), np.broadcast_to(hi, value.shape)
        ok = ~np.isnan(lo) & ~np.isnan(hi) & ~np.isnan(value) & (value != 0)  # NaN: no rows
        delta = np.zeros(size)
        np.add.at(delta, (lo[ok] - p0).astype(np.int64), value[ok])
        np.add.at(delta, (hi[ok] - p0).astype(np.int64), -value[ok])
        return np.cumsum(delta)

    def customer_table(self, *, cohorts=False) -> pd.DataFrame:
        """Counts per period in one query: customer x period, one window, one reduction.

        Take each customer's periods with orders, in order (one window per customer: lag and
        lead): row i (period p_i, last order day last_i, reach_i = the last period whose start
        they are still active at) is the customer's latest row for the periods p_i .. p_{i+1}
        - 1. So per row:

        - active at the starts of periods p_i + 1 .. min(reach_i, p_{i+1});
        - lost in period reach_i when p_i < reach_i < p_{i+1} (active at its start, and no new
          order before lapsing); or lost in p_i itself when the previous row made them active
          at its start and reach_i = p_i (a window shorter than a period lapses within it:
          the exact path, from the previous row's reach);
        - acquired in p_i when the previous row's reach < p_i (or there is none), and still
          active at the period's end: new (no previous row) or reactivated (one);
        - in the trailing window for p_i .. min(p_i + L - 1, p_{i+1} - 1), with two or more
          orders in it until min(p_{i+1} - 1, (p_i if n_i >= 2 else p_{i-1}) + L - 1);
        - its last order day is "the last order so far" for p_i .. p_{i+1} - 1;
        - its orders and revenue are the period's (refund-only rows: revenue only; they are
          their own window partition, so they never count as a previous or next row).

        Each span is clipped to the report's periods and the rows are grouped by their clipped
        span ends (period ordinals) in the backend: a few thousand rows whatever the number of
        customers. Here, each group adds +value at its span's first period and -value after
        its last; a cumulative sum gives every count. (An order on day d makes a customer
        active at every period start b with d < b <= d + activity window.) With ``cohorts``,
        the reduction also keeps each row's cohort (the customer's first period, when in the
        report), for :meth:`cohorts`.
        """
        n_periods = len(self.ordinals)
        p0, p_last = self.ordinals[0], self.ordinals[-1]
        size, top = self.window, p_last + 2  # top: beyond the report
        cp = self.customer_periods()
        w = ibis.window(group_by="cid", order_by="p")
        rows = cp.mutate(prev_p=cp.p.lag().over(w), prev_reach=cp.reach.lag().over(w),
                         next_p=cp.p.lead().over(w))
        if cohorts:  # the customer's first period with orders
            rows = rows.mutate(cohort=rows.p.min().over(ibis.window(group_by="cid")))
        r = rows.mutate(next_p=ibis.coalesce(rows.next_p, p_last + 1))

        def upto(x):
            return ibis.least(x, top)

        def when(condition, value):
            return ibis.cases((condition, value), else_=NULL)

        active_to = ibis.least(r.reach, r.next_p)
        starts_hi = when((active_to >= r.p + 1) & (active_to >= p0), upto(active_to + 1))
        window_end = ibis.least(r.p + size, r.next_p)
        repeat_from = ibis.cases((r.n >= 2, r.p), else_=r.prev_p)
        repeat_end = ibis.least(r.next_p, repeat_from + size)
        current, new = r.p >= p0, r.prev_p.isnull()
        fresh = r.prev_p.isnull() | (r.prev_reach < r.p)  # not active at the start of p
        keyed = r.mutate(
            at=ibis.greatest(r.p, p0 - size),  # p itself for the report and its windows
            starts_lo=ibis.cases((starts_hi.notnull(), ibis.greatest(r.p + 1, p0)),
                                 else_=NULL),
            starts_hi=starts_hi,
            lost_at=when((r.reach < r.next_p) & (r.reach > r.p) & (r.reach >= p0)
                         & (r.reach <= p_last + 1), r.reach),
            last_hi=when(r.next_p > p0, upto(r.next_p)),
            window_hi=when(window_end > p0, upto(window_end)),
            repeat_hi=when(repeat_from.notnull() & (repeat_end > r.p) & (repeat_end > p0),
                           upto(repeat_end)),
            cohort_of=when(r.cohort >= p0, r.cohort) if cohorts else NULL,
            is_within=current & (r.prev_reach >= r.p) & (r.reach == r.p),
            is_acquired=current & fresh & (r.reach > r.p),
            is_current_new=current & r.prev_p.isnull(),
            is_reactivated=current & r.prev_p.notnull() & (r.prev_reach < r.p),
            is_new=new)
        keys = ["at", "starts_lo", "starts_hi", "lost_at", "last_hi", "window_hi", "repeat_hi",
                "cohort_of"]
        reduced = keyed.group_by(keys).agg(
            rows=_.count(),
            lost_within=_.count(where=_.is_within),
            acquired=_.count(where=_.is_acquired),
            new_customers=_.count(where=_.is_current_new),
            reactivated_customers=_.count(where=_.is_reactivated),
            customers_total=_.count(where=_.is_new),
            first_days=_["first"].sum(where=_.is_new).cast("float64"),
            last_days=_["last"].sum().cast("float64")).execute()
        g = {c: _floats(reduced[c]) for c in reduced.columns}
        at = np.maximum(g["at"], p0)
        one = at + 1
        spread = self._spread
        starts = spread(g["starts_lo"], g["starts_hi"], g["rows"])
        table = pd.DataFrame(index=self.index)
        table["customers_start"] = starts[:n_periods]
        table["customers_end"] = starts[1:n_periods + 1]
        table["lost_customers"] = (spread(g["lost_at"], g["lost_at"] + 1, g["rows"])
                                   + spread(at, one, g["lost_within"]))[:n_periods]
        for name in ("acquired", "new_customers", "reactivated_customers"):
            table[name] = spread(at, one, g[name])[:n_periods]
        for name in ("customers_total", "first_days"):
            table[name] = spread(at, float(p_last + 1), g[name])[:n_periods]
        table["last_days"] = spread(at, g["last_hi"], g["last_days"])[:n_periods]
        table["window_customers"] = spread(at, g["window_hi"], g["rows"])[:n_periods]
        table["window_repeat"] = spread(at, g["repeat_hi"], g["rows"])[:n_periods]
        table["lifespan_total_days"] = table.last_days - table.first_days
        # Additive per-period sums: ordering customers from the reduction (at = p from
        # p0 - size + 1 on), orders and net revenue (refunds included) from the orders.
        span = np.arange(p0 - size + 1, p_last + 1)
        inside = g["at"] >= span[0]
        customers = np.zeros(span.size)
        np.add.at(customers, (g["at"][inside] - span[0]).astype(np.int64), g["rows"][inside])
        orders = self.orders
        sums = orders.filter((orders.p >= int(span[0])) & (orders.p <= p_last)).group_by(
            "p").agg(orders=_.count(where=_.amount >= 0), revenue=_.amount.sum()).execute()
        sums = sums.set_index("p").reindex(span).fillna(0)
        sums["customers"] = customers
        for column in ("orders", "revenue"):
            values = sums[column].to_numpy(dtype=float)
            table[f"window_{column}"] = [values[k:k + size].sum() for k in range(n_periods)]
        for column in ("orders", "revenue", "customers"):
            table[column] = sums[column].to_numpy()[size - 1:]
        table["period_start"] = self.dates[:-1]
        table["period_end"] = [d - dt.timedelta(days=1) for d in self.dates[1:]]
        if cohorts:
            cells = reduced[reduced.cohort_of.notna()]
            self.cohort_cells = (_floats(cells["cohort_of"]), _floats(cells["at"]),
                                 _floats(cells["rows"]))
        return table

    def survey(self, responses) -> pd.DataFrame:
        """Survey KPIs from aggregates computed in the backend: per period, metric, score and
        segment the number of answers, their sum of weights and sum of squared weights; for
        the CLI, per period and respondent their three answers (a respondent's weight is the
        weight of their first question answered, in the order recommend, buy again, other
        products), then per period and answer pattern the respondents and their weights. The
        KPI library computes each KPI from those counts (``*_counts`` functions, the same
        formulas as the sample-based ones)."""
        cfg = self.config
        p0, p_last = self.ordinals[0], self.ordinals[-1]
        rows = responses.mutate(p=P.ordinal_expr(self.kind, responses.day))
        rows = rows.filter((rows.p >= p0) & (rows.p <= p_last))
        main = rows.filter(rows.metric.isin(list(SURVEY_SCALES))).group_by(
            ["p", "metric", "score", "segment"]).agg(
            n=_.count(), w=_.weight.sum(), w2=(_.weight * _.weight).sum()).execute()
        cli = rows.filter(rows.metric.isin(list(CLI_METRICS))).group_by(["p", "respondent"]).agg(
            **{m: _.score.max(where=_.metric == m) for m in CLI_METRICS},
            weight=ibis.coalesce(*[_.weight.max(where=_.metric == m) for m in CLI_METRICS]))
        patterns = cli.group_by(["p", *CLI_METRICS]).agg(n=_.count(), w=_.weight.sum()).execute()
        n_periods = len(self.ordinals)
        out = {c: np.full(n_periods, np.nan) for c in (
            "nps", "nps_low", "nps_high", "csat", "ces", "cli")}
        p_main, p_cli = _floats(main["p"]), _floats(patterns["p"])
        metric, score = main["metric"].to_numpy(dtype=object), _floats(main["score"])
        weight, square, count = _floats(main["w"]), _floats(main["w2"]), _floats(main["n"])
        tallies = {}
        for name, scale in SURVEY_SCALES.items():
            low, high = scale(cfg)
            counts = np.zeros((n_periods, high - low + 1))
            squares, answers = np.zeros(n_periods), np.zeros(n_periods)
            pick = metric == name
            k = (p_main[pick] - p0).astype(np.int64)
            np.add.at(counts, (k, (score[pick] - low).astype(np.int64)), weight[pick])
            np.add.at(squares, k, square[pick])
            np.add.at(answers, k, count[pick])
            tallies[name] = (counts, squares)
            out[f"{name}_responses"] = answers
        for k in range(n_periods):
            counts, squares = tallies["nps"]
            ci = S.nps_interval_counts(counts[k], square_sum=squares[k],
                                       confidence=cfg.confidence)
            out["nps"][k], out["nps_low"][k], out["nps_high"][k] = ci.nps, ci.low, ci.high
            out["csat"][k] = S.csat_counts(tallies["csat"][0][k], scale=cfg.csat_scale)
            out["ces"][k] = S.customer_effort_score_counts(tallies["ces"][0][k],
                                                           scale=cfg.ces_scale)
            pick = p_cli == self.ordinals[k]
            part = patterns[pick]
            out["cli"][k] = S.customer_loyalty_index_counts(
                *(_floats(part[m]) for m in CLI_METRICS), _floats(part["w"])) if pick.any() \
                else np.nan
        out["cli_responses"] = np.array([_floats(patterns["n"])[p_cli == p].sum()
                                         for p in self.ordinals])
        last = main[(p_main == p_last) & (metric == "nps")]
        if len(last) and last.segment.notna().any():
            segment = last.segment.astype(object).where(last.segment.notna(), "(blank)")
            names = sorted(set(segment) - {"(blank)"}, key=str)
            names += ["(blank)"] if "(blank)" in set(segment) else []
            matrix = np.zeros((len(names), 11))
            squares = np.zeros(len(names))
            where = {name: i for i, name in enumerate(names)}
            i = np.array([where[s] for s in segment], dtype=np.int64)
            np.add.at(matrix, (i, _floats(last.score).astype(np.int64)), _floats(last.w))
            np.add.at(squares, i, _floats(last.w2))
            self.segments = S.nps_by_segment_counts(names, matrix, square_sums=squares,
                                                    confidence=cfg.confidence)
        columns = ["nps", "nps_low", "nps_high", "nps_responses", "csat", "csat_responses",
                   "ces", "ces_responses", "cli", "cli_responses"]
        return pd.DataFrame({c: out[c] for c in columns}, index=self.index)

    def spend(self, spend) -> pd.DataFrame:
        rows = spend.mutate(p=P.ordinal_expr(self.kind, spend.day))
        per = rows.filter((rows.p >= self.ordinals[0]) & (rows.p <= self.ordinals[-1])).group_by(
            "p").agg(marketing_spend=_.amount.sum(where=_.kind == "marketing"),
                     sales_spend=_.amount.sum(where=_.kind == "sales")).execute()
        frame = self._per_period(per, ["marketing_spend", "sales_spend"])
        frame["spend"] = frame.marketing_spend + frame.sales_spend
        return frame

    def programme(self, members, events) -> pd.DataFrame:
        """Members, member customers and active members at each period's end, without
        crossing rows with the periods: each member (or event) gives the first period it
        counts in (and, for events, the last), grouped in the backend; cumulative sums here.

        - members at the end of p: joined before it, i.e. ordinal(joined) <= p;
        - member customers: also ordered before it: max(ordinal(joined), first order's
          period) <= p;
        - active members: a member with an event in [e - engagement days, e) at the period's
          end e (and joined before e). Each event d with the member's next event d' counts for
          the ends e in (d, min(d + days, d')] (the member's latest event before e), i.e. the
          periods max(ordinal(d), ordinal(joined)) .. ordinal(min(d + days, d')) - 1.
        """
        p0, p_last = self.ordinals[0], self.ordinals[-1]
        n_periods = len(self.ordinals)
        first = self.orders.filter(_.amount >= 0).group_by("cid").agg(fp=_.p.min())
        joined = members.select("cid", pj=P.ordinal_expr(self.kind, members.joined))
        both = joined.left_join(first, "cid")
        counted = both.select(
            pj=both.pj, pm=ibis.cases((both.fp.notnull(), ibis.greatest(both.pj, both.fp)),
                                      else_=NULL)).group_by(["pj", "pm"]).agg(
            n=_.count()).execute()
        n, pj, pm = _floats(counted["n"]), _floats(counted["pj"]), _floats(counted["pm"])
        ends = np.array(self.ordinals, dtype=float)
        frame = pd.DataFrame(index=self.index)
        frame["members"] = [(n * (pj <= e)).sum() for e in ends]
        frame["member_customers"] = [np.nansum(n * (pm <= e)) for e in ends]
        if events is None:
            frame["active_members"] = np.nan
            frame["issued"] = frame["redeemed"] = np.nan
            return frame
        days = ibis.interval(days=self.config.engagement_days)
        ev = events.select("cid", "day").join(joined, "cid")
        w = ibis.window(group_by="cid", order_by="day")
        ev = ev.mutate(following=ev.day.lead().over(w))
        until = ibis.least(ev.day + days, ibis.coalesce(ev.following, ev.day + days))
        lo = ibis.greatest(P.ordinal_expr(self.kind, ev.day), ev.pj, p0)
        hi = ibis.least(P.ordinal_expr(self.kind, until), p_last + 1)
        spans = ev.select(lo=lo, hi=hi).filter(_.hi > _.lo).group_by(["lo", "hi"]).agg(
            n=_.count()).execute()
        frame["active_members"] = self._spread(_floats(spans["lo"]), _floats(spans["hi"]),
                                               _floats(spans["n"]))[:n_periods]
        rows = events.mutate(p=P.ordinal_expr(self.kind, events.day))
        points = rows.filter((rows.p >= p0) & (rows.p <= p_last)).group_by("p").agg(
            issued=_.points.sum(where=_.kind == "issued"),
            redeemed=_.points.sum(where=_.kind == "redeemed")).execute()
        return frame.join(self._per_period(points, ["issued", "redeemed"]))

    def cohorts(self) -> pd.DataFrame:
        """Share of each report-period cohort (first order) ordering k periods later, from the
        cells the customer reduction kept (``customer_table(cohorts=True)``)."""
        if self.cohort_cells is None:
            raise RuntimeError("customer_table(cohorts=True) computes the cohort cells")
        cohort, p, n = self.cohort_cells
        first_k = self.ordinals[0]
        size = len(self.ordinals)
        matrix = np.zeros((size, size))
        np.add.at(matrix, ((cohort - first_k).astype(np.int64), (p - cohort).astype(np.int64)),
                  n)
        return cohort_shares(matrix, self.index)
