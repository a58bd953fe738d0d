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

from loyalty_xl import kpis
from loyalty_xl.engine import periods as P
from loyalty_xl.engine.backend import Scratch
from loyalty_xl.engine.parsing import CLI_METRICS
from loyalty_xl.engine.settings import Settings
from loyalty_xl.errors import InputError


class Run:
    """The report's periods and the counts behind every KPI."""

    def __init__(self, con, config: Settings, orders, scratch: Scratch):
        self.con, self.config, self.kind = con, config, config.period
        self.scratch = scratch
        self.segments = None  # NPS by segment in the last period, when answers have segments
        orders = orders.mutate(p=P.ordinal_expr(self.kind, orders.day),
                               d=orders.day.epoch_days())
        self.orders = orders
        span = orders.agg(last=_.p.max(), first=_.day.min(where=_.amount >= 0)).execute()
        latest = span["last"][0]
        first = span["first"][0]  # the first order in the data (for warm-up periods)
        self.first_order = None if first is None or pd.isna(first) else pd.Timestamp(first).date()
        if latest is None or pd.isna(latest):
            raise InputError("orders input has no usable rows (see the data-quality "
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

