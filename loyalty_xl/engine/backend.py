"""Where the engine runs: the embedded DuckDB connection, a Spark session (``engine="spark"``)
or an Ibis table's own backend, and the engine's scratch tables on it.

Every step is an Ibis expression; the backend runs it where the data lives. Only small results
come back to Python: per-reason counts and a few example rows, one reduced table of the
customer x period counts (a few thousand rows), per-period sums of the survey, spend and
programme inputs (docs/scaling.md).
"""

from __future__ import annotations

import contextlib
import tempfile

import ibis
import ibis.expr.operations as ops

from loyalty_xl.errors import InputError, MissingDependency

#: The operations the engine needs from a backend, with how the error names them.
OPERATIONS = {
    "TryCast": "try_cast (text to a number or a date, null when unparseable)",
    "IsNan": "isnan", "IsInf": "isinf",
    "DateDelta": "date differences (epoch days)",
    "ExtractYear": "year of a date", "ExtractMonth": "month of a date",
    "ExtractQuarter": "quarter of a date",
    "DateAdd": "date + interval",
    "WindowFunction": "window functions", "Lag": "lag over a window",
    "Lead": "lead over a window", "RowNumber": "row_number over a window",
    "CountDistinct": "count(distinct)", "Greatest": "greatest", "Least": "least",
    "SearchedCase": "case when",
}
ENGINES = ("duckdb", "spark")


def connection(orders, memory_limit, stack: contextlib.ExitStack, *, engine="duckdb",
               master=None):
    """The orders' own backend for an Ibis table; a Spark session for ``engine="spark"``;
    otherwise an embedded DuckDB that spills to a private temporary folder (removed
    afterwards) beyond ``memory_limit``."""
    if isinstance(orders, ibis.Table):
        try:
            con = orders._find_backend()
        except Exception:  # an unbound table: DuckDB runs it
            con = None
        if con is not None:
            return check_backend(con)
    if engine == "spark":
        return spark_connection(master, stack)
    spill = stack.enter_context(tempfile.TemporaryDirectory(prefix="loyalty-xl-"))
    con = ibis.duckdb.connect(memory_limit=memory_limit, temp_directory=spill)
    stack.callback(con.disconnect)
    con.raw_sql("SET preserve_insertion_order = true")
    con.raw_sql("SET enable_progress_bar = false")  # the command line shows its own
    con._loyalty_xl_owned = True  # ours: restrict_file_access may lock it down
    return con


def no_extensions(con) -> None:
    """Never load or install a DuckDB extension on the engine's own connection (a SQLite file
    or an unknown function would otherwise make DuckDB download one)."""
    if getattr(con, "_loyalty_xl_owned", False):
        con.raw_sql("SET autoinstall_known_extensions = false")
        con.raw_sql("SET autoload_known_extensions = false")


def restrict_file_access(con, folder, files) -> None:
    """Limit the engine's own DuckDB to ``folder`` (the run's links to, and copies of, its
    inputs) and the input ``files`` themselves (DuckDB checks the target of a link): no other
    file can be read or written, even by a path or name that slipped through. Final for the
    connection. A connection the caller brought is left alone."""
    if not getattr(con, "_loyalty_xl_owned", False):
        return
    no_extensions(con)
    con.con.execute("SET allowed_directories = $1", [[str(folder).rstrip("/\\") + "/"]])
    con.con.execute("SET allowed_paths = $1", [[str(f) for f in files]])
    con.raw_sql("SET enable_external_access = false")


def spark_connection(master, stack: contextlib.ExitStack):
    """An Ibis connection to a Spark session: the active one, or a new one on ``master``
    (default ``local[*]``). A session the engine starts stays up for later calls in the same
    process (starting one costs seconds); the process's exit stops it."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise MissingDependency("--engine spark needs PySpark, which is not installed: "
                                "pip install \"loyalty-xl[spark]\" (and Java 17)") from None
    session = SparkSession.getActiveSession()
    if session is None or master:
        builder = SparkSession.builder.appName("loyalty-xl")
        builder = builder.master(master or "local[*]").config("spark.ui.showConsoleProgress",
                                                               "false")
        try:
            session = builder.getOrCreate()
        except Exception as err:
            raise InputError(f"could not start Spark on {master or 'local[*]'}: "
                             f"{' '.join(str(err).split())[:300]}", argument="master") from None
    return check_backend(ibis.pyspark.connect(session))


def check_backend(con):
    """Refuse, up front, a backend that lacks an operation the engine needs (one line)."""
    name = getattr(con, "name", type(con).__name__)
    for op, label in OPERATIONS.items():
        try:
            ok = con.has_operation(getattr(ops, op))
        except Exception:
            ok = False
        if not ok:
            raise InputError(f"the {name} backend cannot run the period engine: it lacks "
                             f"{label} (use DuckDB or Spark)", argument="orders")
    return con


def is_spark(con) -> bool:
    return getattr(con, "name", "") == "pyspark"


class Scratch:
    """The engine's intermediate tables: materialised on the connection, dropped as soon as a
    step no longer needs them and in any case when the run ends.

    DuckDB: temporary tables. Spark: cached DataFrames behind temporary views (Spark has no
    temporary tables), unpersisted on release. (Ibis' own ``Table.cache()`` drops its tables
    from a finaliser at interpreter exit, which fails noisily on DuckDB; owning them is
    simpler.)
    """

    def __init__(self, con):
        self.con, self.names = con, []
        self._count = 0

    def keep(self, expr):
        self._count += 1
        name = f"loyalty_tmp_{self._count}_{id(self):x}"
        if is_spark(self.con):
            table = self.con._create_cached_table(name, expr)
        else:
            table = self.con.create_table(name, expr, temp=True)
        self.names.append(name)
        return table

    def _drop(self, name):
        if is_spark(self.con):
            self.con._drop_cached_table(name)
        else:  # (Ibis' drop_table(force=True) emits invalid SQL on DuckDB 1.4+)
            self.con.raw_sql(f'DROP TABLE IF EXISTS temp.main."{name}"')

    def release(self, table):
        """Drop one table as soon as it is no longer needed (memory). The table's name as the
        backend reports it may be qualified (``temp.main.name`` on DuckDB): compare the last
        part."""
        name = table.get_name().split(".")[-1].strip('"`')
        if name in self.names:
            self._drop(name)
            self.names.remove(name)

    def drop(self):
        for name in self.names:
            try:
                self._drop(name)
            except Exception:  # the connection may already be gone
                pass
        self.names.clear()
