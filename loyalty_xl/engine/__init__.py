"""The period engine: event tables (orders, survey answers, spend, programme activity) in, one row
of KPIs per period out.

Written as Ibis expressions, run by default on an embedded DuckDB, so the same computation can run
on a bigger engine. The engine only groups and counts; every KPI is computed by the KPI library
(``loyalty_xl.kpis``) from those counts, vectorised over the periods. Its parts, each owning one
job:

- :mod:`~loyalty_xl.engine.settings`: the settings (periods, windows, scales) and their ranges;
- :mod:`~loyalty_xl.engine.sources`: reading inputs (files, sheets, DataFrames, Ibis tables);
- :mod:`~loyalty_xl.engine.parsing`: typed columns, checks and the data-quality summary;
- :mod:`~loyalty_xl.engine.counting`: the periods and the counts behind every KPI (definitions);
- :mod:`~loyalty_xl.engine.assembly`: the KPIs from the counts, the output columns;
- :mod:`~loyalty_xl.engine.backend`: the DuckDB connection or a Spark session (``engine``,
  ``master``; docs/scaling.md), the operations a backend must offer, scratch tables;
- :mod:`~loyalty_xl.engine.run`: :func:`analyse` and friends, tying them together.

Ibis and DuckDB are the ``engine`` extra: this package imports them only when the engine runs,
so ``Settings`` and the command line work without them, and a missing extra is one clear error.
"""

from __future__ import annotations

from loyalty_xl.engine.settings import Settings

__all__ = ["Settings", "EngineResult", "analyse", "compute_periods", "compute_cohorts",
           "parse_mapping", "COLUMNS", "EXTRA_COLUMNS"]

_RUN = {"EngineResult", "analyse", "compute_periods", "compute_cohorts", "COLUMNS",
        "EXTRA_COLUMNS", "parse_mapping"}


def __getattr__(name):
    if name in _RUN:
        require_engine()
        from loyalty_xl.engine import run

        return getattr(run, name)
    raise AttributeError(f"module 'loyalty_xl.engine' has no attribute {name!r}")


def require_engine():
    """Import Ibis and DuckDB, or raise MissingDependency with the install command."""
    from loyalty_xl.errors import MissingDependency

    try:
        import duckdb  # noqa: F401
        import ibis  # noqa: F401
    except ImportError as err:
        raise MissingDependency(
            f"the period engine needs Ibis and DuckDB, which are not installed ({err.name} is "
            "missing): pip install \"loyalty-xl[engine]\"") from None
