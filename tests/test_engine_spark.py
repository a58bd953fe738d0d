"""The engine on PySpark (local): the same numbers as on DuckDB, and a plan that distributes.

One local SparkSession for the module (two cores, two shuffle partitions, no UI). The same
data sets as the DuckDB tests: the hand-built set of test_engine.py given as Spark tables, and
the bundled sample read from its files by Spark (``engine="spark"``) and from the command line.
Every column must equal DuckDB's to 1e-9 and the data-quality counts must be the same.
"""

import os
import shutil
import warnings

import pandas as pd
import pytest

from loyalty_xl import LoyaltyXLError
from loyalty_xl.datasets import sample_paths
from loyalty_xl.engine import analyse
from tests.test_engine import EVENTS, MEMBERS, ORDERS, RESPONSES, SETTINGS, SPEND

# PySpark warns that it does not fully support pandas 3 yet (its own conversions, not ours).
pytestmark = [pytest.mark.spark, pytest.mark.filterwarnings("ignore::FutureWarning"),
              pytest.mark.filterwarnings("ignore::DeprecationWarning")]

INPUTS = dict(orders=ORDERS, responses=RESPONSES, spend=SPEND, members=MEMBERS, events=EVENTS)


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    if os.environ.get("CI"):  # .ci/run installs both: a skip there would hide a broken set-up
        import pyspark  # noqa: F401

        assert shutil.which("java"), "PySpark needs Java: .ci/run installs openjdk-17"
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("PySpark needs Java (.ci/run installs it)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pyspark.sql import SparkSession

        warehouse = tmp_path_factory.mktemp("spark-warehouse")
        session = (SparkSession.builder.master("local[2]").appName("loyalty-xl-tests")
                   .config("spark.sql.shuffle.partitions", "2")
                   .config("spark.default.parallelism", "2")
                   .config("spark.ui.enabled", "false")
                   .config("spark.ui.showConsoleProgress", "false")
                   # Tiny data: compiling code for each query costs more than it saves.
                   .config("spark.sql.codegen.wholeStage", "false")
                   .config("spark.sql.warehouse.dir", str(warehouse))
                   .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def spark_tables(spark, frames):
    """Each DataFrame as a Spark temporary view, as an Ibis table on the pyspark backend."""
    import ibis

    con = ibis.pyspark.connect(spark)
    tables = {}
    for name, frame in frames.items():
        text = frame.astype(object).where(frame.notna(), None)
        text = text.apply(lambda c: c.map(lambda v: None if v is None else str(v)))
        view = f"loyalty_test_{name}"
        spark.createDataFrame(text, schema=", ".join(f"`{c}` string" for c in text.columns)) \
            .createOrReplaceTempView(view)
        tables[name] = con.table(view)
    return con, tables


def assert_same(got, want):
    """Every column equal to 1e-9; the data-quality counts equal."""
    a, b = got.periods, want.periods
    assert list(a.columns) == list(b.columns)
    for column in a.columns:
        x, y = a[column], b[column]
        if pd.api.types.is_numeric_dtype(y):
            pd.testing.assert_series_equal(x.astype(float), y.astype(float), rtol=1e-9,
                                           atol=1e-9, check_names=False)
        else:
            assert x.astype(str).tolist() == y.astype(str).tolist(), column
    counts = [[(i.name, i.rows_read, i.rows_used, dict(i.excluded)) for i in r.quality.inputs]
              for r in (got, want)]
    assert counts[0] == counts[1]
    if want.cohorts is not None:
        pd.testing.assert_frame_equal(got.cohorts, want.cohorts, rtol=1e-9, check_dtype=False)


def test_hand_built_set_as_spark_tables_equals_duckdb(spark, monkeypatch):
    """Also: Spark's physical plan of the main query (the customer x period window and its
    reduction), and of every query with a window, has no single-partition exchange."""
    from ibis.backends.pyspark import Backend

    plans = []
    execute = Backend.execute

    def planned(backend, expr, *args, **kwargs):
        frame = backend._session.sql(backend.compile(expr))
        plans.append(frame._jdf.queryExecution().executedPlan().toString())
        return execute(backend, expr, *args, **kwargs)

    monkeypatch.setattr(Backend, "execute", planned)
    _, tables = spark_tables(spark, INPUTS)
    got = analyse(tables["orders"], **{k: v for k, v in tables.items() if k != "orders"},
                  **SETTINGS)
    monkeypatch.undo()
    want = analyse(ORDERS, responses=RESPONSES, spend=SPEND, members=MEMBERS, events=EVENTS,
                   **SETTINGS)
    assert_same(got, want)
    assert got.quality.inputs[0].label == "Ibis table"
    windowed = [plan for plan in plans if "Window" in plan]
    assert len(windowed) >= 2  # customers (lag/lead per customer), events (lead per member)
    assert all("hashpartitioning" in plan for plan in windowed)
    for plan in windowed:
        assert "SinglePartition" not in plan, plan


def test_sample_files_read_by_spark_equal_duckdb(spark):
    paths = {k: str(v) for k, v in sample_paths().items()}
    settings = dict(periods=6)
    got = analyse(paths.pop("orders"), engine="spark", **paths, **settings)
    paths = {k: str(v) for k, v in sample_paths().items()}
    want = analyse(paths.pop("orders"), **paths, **settings)
    assert_same(got, want)
    assert got.quality.rows_excluded > 0  # the sample's planted faults, counted alike
    assert got.segments.sort_values("segment").reset_index(drop=True).equals(
        want.segments.sort_values("segment").reset_index(drop=True))


def test_command_line_runs_on_spark(spark, tmp_path):
    from typer.testing import CliRunner

    from loyalty_xl.cli import app

    orders = tmp_path / "orders.csv"
    ORDERS.to_csv(orders, index=False)
    out = tmp_path / "periods.csv"
    result = CliRunner().invoke(app, ["periods", "--orders", str(orders), "--engine", "spark",
                                      "--period", "2026-04", "--periods", "4",
                                      "--activity-days", "60", "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert table["orders"].tolist() == [3, 2, 0, 2]
    assert table["customers_start"].tolist() == [2, 2, 3, 2]


def test_spark_reads_with_the_given_delimiter_and_encoding_and_refuses_the_rest(spark, tmp_path):
    """Spark detects neither: the read options give them; decimal and date_format, which only
    the embedded engine applies, are refused up front instead of excluding every row."""
    orders = tmp_path / "orders.csv"
    orders.write_bytes(ORDERS.to_csv(index=False, sep=";").replace("B", "Bä").encode("latin-1"))
    read = {"orders": {"delimiter": ";", "encoding": "latin-1"}}
    got = analyse(str(orders), engine="spark", read=read, period="month", periods=4,
                  until="2026-04", activity_days=60)
    assert got.periods["orders"].tolist() == [3, 2, 0, 2]
    assert got.quality.rows_excluded == 0
    with pytest.raises(LoyaltyXLError, match="on Spark the read options decimal and "
                                             "date_format are not supported"):
        analyse(str(orders), engine="spark", read={"orders": {"decimal": ","}})
