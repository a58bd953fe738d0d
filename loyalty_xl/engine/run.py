"""Running the engine: read, parse, count, assemble; the public entry points."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from loyalty_xl.engine import parsing
from loyalty_xl.engine.assembly import COLUMNS, EXTRA_COLUMNS, kpis_from_counts
from loyalty_xl.engine.backend import Scratch, check_backend, connection
from loyalty_xl.engine.counting import Run
from loyalty_xl.engine.csv_dialect import read_options
from loyalty_xl.engine.quality import DataQuality
from loyalty_xl.engine.rfm import customer_summary
from loyalty_xl.engine.settings import Settings
from loyalty_xl.engine.sources import load, lock, parse_mapping, unused_mappings
from loyalty_xl.errors import InputError

__all__ = ["Settings", "EngineResult", "analyse", "compute_periods", "compute_cohorts",
           "parse_mapping", "COLUMNS", "EXTRA_COLUMNS"]


@dataclass
class EngineResult:
    """The KPI table, the cohort matrix and what happened to the input rows."""

    periods: pd.DataFrame
    cohorts: pd.DataFrame | None  # None when not asked for (compute_periods)
    quality: DataQuality
    settings: Settings
    inputs: dict[str, str] = field(default_factory=dict)
    segments: pd.DataFrame | None = None  # NPS by segment in the last period
    first_order: dt.date | None = None  # the first order in the data (for warm-up periods)
    customer_summary: pd.DataFrame | None = None  # with predict=True: see engine/rfm.py


def compute_periods(orders, *, responses=None, spend=None, members=None, events=None,
                    mapping=None, read=None, progress=None, **settings) -> pd.DataFrame:
    """One row of KPIs per period (see the module docstring for the definitions).

    Parameters
    ----------
    orders : path, DataFrame or Ibis table
        ``customer_id``, ``order_date``, ``amount`` (+ optional ``order_id``, ``segment``).
        An Ibis table runs on its own backend (DuckDB or Spark).
    responses, spend, members, events : optional inputs, same kinds of source.
    mapping : dict or list of "column=SourceColumn", optional
        Source column names for the canonical ones.
    read : dict, optional
        How to read an input where the detection must be overridden, per input:
        ``{"orders": {"encoding": "cp1252", "decimal": ",", "delimiter": ";",
        "date_format": "dd/mm/yyyy"}}`` (or a :class:`~loyalty_xl.engine.csv_dialect.ReadOptions`
        per input, or the command line's ``["orders:decimal=,"]``).
    **settings
        Fields of :class:`Settings`: ``period`` ("month"), ``periods`` (13), ``until``,
        ``activity_days`` (365), ``trailing_months`` (12), ``engagement_days`` (90),
        ``csat_scale`` ("1-5"), ``ces_scale`` ("1-7"), ``confidence`` (0.95), ``strict``,
        ``engine`` ("duckdb" or "spark"), ``master`` (Spark's master URL).

    Returns
    -------
    pandas.DataFrame
        Columns ``COLUMNS`` (and a few more); ``.attrs["data_quality"]`` holds the
        data-quality summary as a dict.
    """
    result = analyse(orders, responses=responses, spend=spend, members=members, events=events,
                     mapping=mapping, read=read, progress=progress, cohorts=False,
                     **settings)
    table = result.periods
    table.attrs["data_quality"] = result.quality.as_dict()
    return table


def compute_cohorts(orders, *, mapping=None, **settings) -> pd.DataFrame:
    """The cohort retention matrix of the report's periods (see :func:`analyse`)."""
    return analyse(orders, mapping=mapping, **settings).cohorts


def analyse(orders, *, responses=None, spend=None, members=None, events=None, mapping=None,
            read=None, progress=None, con=None, cohorts=True, **settings) -> EngineResult:
    """Run the engine: the period table, the cohort matrix (unless ``cohorts=False``: then
    ``EngineResult.cohorts`` is None and it is not computed) and the data-quality summary.

    ``con``: run on this Ibis connection instead of the orders' own backend or a new
    embedded DuckDB (``engine="spark"`` and ``master`` choose a Spark session instead).
    """
    unknown = sorted(set(settings) - set(Settings.__dataclass_fields__))
    if unknown:
        raise InputError(f"unknown setting {unknown[0]!r}; the settings are: "
                         f"{', '.join(Settings.__dataclass_fields__)}", argument=unknown[0])
    config = Settings(**settings).check()
    read = read_options(read, ["orders", "responses", "spend", "members", "events"])
    if isinstance(mapping, dict):  # the same checks as "column=Source" items
        mapping = [f"{key}={source}" for key, source in mapping.items()]
    mapping = parse_mapping(mapping)
    step = progress or (lambda text: None)
    with contextlib.ExitStack() as stack:
        if con is None:
            con = connection(orders, config.memory_limit, stack, engine=config.engine,
                             master=config.master)
        else:
            check_backend(con)
        quality = DataQuality()
        scratch = Scratch(con)
        stack.callback(scratch.drop)
        return _analyse(con, scratch, config, quality, step, mapping, {
            "orders": orders, "responses": responses, "spend": spend, "members": members,
            "events": events}, cohorts, read)


def _analyse(con, scratch, config, quality, step, mapping, specs, want_cohorts,
             read) -> EngineResult:
    sources = {}
    for name, spec in specs.items():
        if spec is not None:
            step(f"reading {name}")
            sources[name] = load(con, name, spec, mapping, read[name])
    unused = unused_mappings(mapping, sources)
    if unused:  # a typo would otherwise silently drop segments or the duplicate-id check
        raise InputError(f"no input has the column a mapping names: {', '.join(unused)}",
                         argument="map")
    lock(con)  # from here on, the engine's DuckDB can read only those inputs
    if "events" in sources and "members" not in sources:
        raise InputError("programme events need the members input too",
                         argument="events")
    step("checking orders")
    summary = {}
    clean_orders = parsing.orders(sources["orders"], quality, scratch, summary, config=config)
    run = Run(con, config, clean_orders, scratch, last_day=summary.get("last_day"),
              first_day=summary.get("first_day"))
    rfm = customer_summary(clean_orders, run.dates[-1] - dt.timedelta(days=1)) \
        if config.predict else None
    step("counting customers per period")
    table = run.customer_table(cohorts=want_cohorts)
    if "members" in sources:
        step("loyalty programme")
        member_rows = parsing.members(sources["members"], quality, scratch)
        event_rows = parsing.events(sources["events"], quality, scratch) if "events" in sources \
            else None
        table = table.join(run.programme(member_rows, event_rows))
    cohorts = None
    if want_cohorts:
        step("cohorts")
        cohorts = run.cohorts()
    if "responses" in sources:
        step("survey answers")
        table = table.join(run.survey(parsing.responses(sources["responses"], config, quality,
                                                        scratch)))
    if "spend" in sources:
        step("spend")
        table = table.join(run.spend(parsing.spend(sources["spend"], quality, scratch)))
    step("computing KPIs")
    out = kpis_from_counts(table, config)
    order = {name: i for i, name in enumerate(specs)}
    quality.inputs.sort(key=lambda item: order.get(item.name, len(order)))
    if config.strict:
        quality.raise_if_any()
    labels = {name: src.label for name, src in sources.items()}
    return EngineResult(out, cohorts, quality, config, labels, run.segments,
                        run.first_order, rfm)
