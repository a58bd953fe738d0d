"""Period engine benchmark (issues 4 and 12): 10 million orders + 1 million survey answers ->
25 months, against a hand-written single-query DuckDB floor; PySpark local on 1 million.

Generates the data once (cached under bench/.data), writes Parquet (and CSV), then measures in
child processes (so that peak memory is each run's alone; wall and CPU time from the child):

- floor: one hand-written DuckDB query giving the engine's customer counts, order sums and
  survey KPIs for the 25 months (the same period rules, written directly in SQL);
- floor+checks: the same query plus the engine's checks (rows excluded by reason, duplicate
  order ids), still one query;
- engine-parquet: compute_periods(orders.parquet, responses=answers.parquet, periods=25);
  its numbers are compared with the floor's (they must be equal);
- engine-csv (with --csv): the same from the CSV files;
- spark: compute_periods(..., engine="spark") on PySpark local on 1 million orders: time and
  the number of Spark jobs (statusTracker, one job group).

Disk spill: the child's temporary folder (where the embedded DuckDB spills) is polled every
20 ms; the largest size seen is reported.

    python bench/bench_engine.py [orders] [--csv] [--no-spark]     (default 10,000,000)
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent

# The floor: the period rules of loyalty_xl/engine/counting.py written as one SQL query over
# the files (months, activity window 365 days, trailing window 12 months).
FLOOR = r"""
WITH o AS (
  SELECT customer_id AS cid, TRY_CAST(order_date AS DATE) AS day, amount, order_id
  FROM read_parquet('{orders}')
), ok AS (
  SELECT * FROM o WHERE cid IS NOT NULL AND day IS NOT NULL AND isfinite(amount)
), cp AS (
  SELECT cid, year(day) * 12 + month(day) - 1 AS p,
         count(*) FILTER (amount >= 0) AS n, sum(amount) AS revenue,
         max(year(day + 365) * 12 + month(day + 365) - 1) FILTER (amount >= 0) AS reach
  FROM ok GROUP BY ALL
), w AS (
  SELECT p, n, reach, lag(p) OVER c AS prev_p, lag(reach) OVER c AS prev_reach,
         coalesce(lead(p) OVER c, {last} + 1) AS next_p
  FROM cp WHERE n > 0 AND p <= {last} WINDOW c AS (PARTITION BY cid ORDER BY p)
), r AS (  -- a few thousand rows: the span ends that matter, clipped to the report
  SELECT greatest(p, {first}) AS at, least(reach, next_p) AS act, p >= {first} AS cur,
         least(p + 12, next_p) AS win, least(next_p, CASE WHEN n >= 2 THEN p ELSE prev_p END + 12)
           AS rep, CASE WHEN n >= 2 THEN p ELSE prev_p END AS rf,
         CASE WHEN reach < next_p AND reach > p THEN reach END AS lost_at,
         prev_p IS NULL AS new, prev_reach < p AS lapsed, p AS p0, reach AS reach0,
         count(*) AS k
  FROM w GROUP BY ALL
), q AS (SELECT range AS q FROM range({first}, {last} + 1))
SELECT q,
  sum(k) FILTER (p0 < q AND act >= q) AS customers_start,
  sum(k) FILTER (p0 < q + 1 AND act >= q + 1) AS customers_end,
  sum(k) FILTER (lost_at = q) AS lost_customers,
  sum(k) FILTER (p0 = q AND new) AS new_customers,
  sum(k) FILTER (p0 = q AND NOT new AND lapsed) AS reactivated_customers,
  sum(k) FILTER (p0 <= q AND win > q) AS window_customers,
  sum(k) FILTER (p0 <= q AND rf IS NOT NULL AND rep > q) AS window_repeat,
  (SELECT sum(n) FROM cp WHERE cp.p = q.q) AS orders,
  (SELECT sum(revenue) FROM cp WHERE cp.p = q.q) AS revenue,
  (SELECT count(*) FILTER (n > 0) FROM cp WHERE cp.p = q.q) AS customers,
  (SELECT 100.0 * (count(*) FILTER (score >= 9) - count(*) FILTER (score <= 6)) / count(*)
     FROM a WHERE a.p = q.q AND metric = 'nps') AS nps,
  (SELECT count(*) FILTER (score >= 4) / count(*) FROM a WHERE a.p = q.q AND metric = 'csat')
     AS csat,
  (SELECT avg(score) FROM a WHERE a.p = q.q AND metric = 'ces') AS ces,
  (SELECT avg(points) FROM cli WHERE cli.p = q.q) AS cli
  {checks}
FROM q, r GROUP BY q ORDER BY q
"""
ANSWERS = r"""
a AS (
  SELECT year(d) * 12 + month(d) - 1 AS p, metric, score, respondent_id
  FROM (SELECT TRY_CAST(answered_at AS DATE) AS d, lower(trim(metric)) AS metric,
               TRY_CAST(score AS DOUBLE) AS score, respondent_id
        FROM read_parquet('{responses}'))
  WHERE d IS NOT NULL AND score IS NOT NULL
), cli AS (
  SELECT p, avg(100 - 20 * (score - 1)) AS points FROM a
  WHERE metric LIKE 'cli_%' GROUP BY p, respondent_id
),"""
CHECKS = r""",
  (SELECT count(*) FILTER (cid IS NULL) FROM o) AS missing_customer,
  (SELECT count(*) FILTER (cid IS NOT NULL AND day IS NULL) FROM o) AS bad_date,
  (SELECT count(*) FILTER (cid IS NOT NULL AND day IS NOT NULL AND NOT isfinite(amount))
     FROM o) AS bad_amount,
  (SELECT count(order_id) - count(DISTINCT order_id) FROM ok) AS duplicate_ids"""

CHILD = r"""
import json, os, resource, sys, threading, time
kind, folder, out = sys.argv[1], sys.argv[2], sys.argv[3]
ext = "csv" if kind.endswith("csv") else "parquet"
orders, responses = f"{folder}/orders.{ext}", f"{folder}/responses.{ext}"
spill, stop = [0], threading.Event()

def poll():  # the largest size of the temporary folder the engine spills to
    root = os.environ["TMPDIR"]
    while not stop.wait(0.02):
        size = 0
        for base, _, files in os.walk(root):
            for name in files:
                try:
                    size += os.path.getsize(os.path.join(base, name))
                except OSError:
                    pass
        spill[0] = max(spill[0], size)

threading.Thread(target=poll, daemon=True).start()
start, cpu0 = time.perf_counter(), time.process_time()
jobs = None
if kind.startswith("floor"):
    import duckdb
    from bench_engine import ANSWERS, CHECKS, FLOOR, periods
    first, last = periods(orders)
    sql = "WITH " + ANSWERS.format(responses=responses) + FLOOR.format(
        orders=orders, first=first, last=last,
        checks=CHECKS if kind == "floor-checks" else "").replace("WITH o AS", "o AS", 1)
    con = duckdb.connect(config={"memory_limit": "1GB"})
    frame = con.execute(sql).df()
elif kind == "spark":
    import warnings
    warnings.simplefilter("ignore")
    from pyspark.sql import SparkSession
    spark = (SparkSession.builder.master("local[*]").config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.shuffle.partitions", "8").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    spark.sparkContext.setJobGroup("loyalty", "bench")
    start, cpu0 = time.perf_counter(), time.process_time()  # without the JVM's start
    from loyalty_xl import compute_periods
    frame = compute_periods(orders, responses=responses, periods=25, engine="spark")
    jobs = len(spark.sparkContext.statusTracker().getJobIdsForGroup("loyalty"))
else:
    from loyalty_xl import compute_periods
    frame = compute_periods(orders, responses=responses, periods=25)
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu0
stop.set()
frame.to_parquet(out)
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mb": usage.ru_maxrss / 1024,
                  "spill_mb": spill[0] / 2**20, "jobs": jobs}))
"""


def periods(orders):
    """The report's 25 months, ending with the latest order's month (as the engine does)."""
    import duckdb

    last = duckdb.execute(f"SELECT max(year(d) * 12 + month(d) - 1) FROM (SELECT "
                          f"TRY_CAST(order_date AS DATE) AS d FROM read_parquet('{orders}'))"
                          ).fetchone()[0]
    return last - 24, last


GENERATE = r"""
import sys, time
from pathlib import Path
from loyalty_xl.datasets import generate
n_orders, folder = int(sys.argv[1]), Path(sys.argv[2])
started = time.perf_counter()
tables = generate(customers=int(n_orders / 3.4), months=25, survey_share=0.035, text_ids=False,
                  seed=11)
print(f"generated {len(tables['orders']):,} orders, {len(tables['responses']):,} answers "
      f"in {time.perf_counter() - started:.1f} s")
for name in ("orders", "responses"):
    tables[name].to_parquet(folder / f"{name}.parquet", index=False)
    tables[name].to_csv(folder / f"{name}.csv", index=False)
"""


def data(n_orders):
    """Generate once, in a child process: the parent must not hold gigabytes, because Linux
    carries a parent's peak memory (ru_maxrss) into the children it starts."""
    folder = HERE / ".data" / f"orders_{n_orders}"
    if not (folder / "responses.csv").exists():
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-c", GENERATE, str(n_orders), str(folder)], check=True,
                       cwd=HERE.parent)
    return folder


ROWS = r"""
import json, sys
import pyarrow.parquet as pq
print(json.dumps({n: pq.ParquetFile(f"{sys.argv[1]}/{n}.parquet").metadata.num_rows
                  for n in ("orders", "responses")}))
"""


def child(kind, folder, out):
    import os

    with tempfile.TemporaryDirectory(prefix="bench-tmp-") as tmp:
        env = dict(os.environ, TMPDIR=tmp, PYTHONPATH=os.pathsep.join(
            [str(HERE), str(HERE.parent), os.environ.get("PYTHONPATH", "")]))
        result = subprocess.run([sys.executable, "-c", CHILD, kind, str(folder), str(out)],
                                capture_output=True, text=True, cwd=HERE.parent, env=env)
    if result.returncode:
        raise SystemExit(result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


COMPARED = ["customers_start", "customers_end", "lost_customers", "new_customers",
            "reactivated_customers", "orders", "revenue", "customers", "nps", "csat", "ces",
            "cli"]


def compare(engine_file, floor_file):
    """The engine's numbers against the floor's: the largest relative difference."""
    import numpy as np
    import pandas as pd

    engine, floor = pd.read_parquet(engine_file), pd.read_parquet(floor_file)
    worst = 0.0
    for column in COMPARED:
        a = engine[column].to_numpy(dtype=float)
        b = floor[column].to_numpy(dtype=float)
        b = np.where(np.isnan(b) & (a == 0), 0.0, b)  # SQL: no rows -> NULL, the engine: 0
        with np.errstate(invalid="ignore", divide="ignore"):
            diff = np.nanmax(np.abs(a - b) / np.maximum(np.abs(b), 1.0))
        worst = max(worst, float(diff))
    rate = engine["repeat_purchase_rate"].to_numpy(dtype=float)
    expected = floor["window_repeat"].to_numpy(dtype=float) / floor[
        "window_customers"].to_numpy(dtype=float)
    worst = max(worst, float(np.nanmax(np.abs(rate - expected))))
    return worst


def run(label, kind, folder, scratch, repeat=2):
    best = None
    for i in range(repeat):
        out = scratch / f"{kind}-{i}.parquet"
        result = child(kind, folder, out)
        result["file"] = out
        if best is None or result["seconds"] < best["seconds"]:
            best = result
    jobs = f"   {best['jobs']} Spark jobs" if best.get("jobs") is not None else ""
    print(f"{label:<24} {best['seconds']:6.2f} s wall {best['cpu']:6.2f} s CPU (driver)  "
          f"peak {best['peak_mb']:6.0f} MB  spill {best['spill_mb']:5.0f} MB{jobs}")
    return best


def main(n_orders=10_000_000, csv=False, spark=True):
    folder = data(n_orders)
    rows = json.loads(subprocess.run([sys.executable, "-c", ROWS, str(folder)], check=True,
                                     capture_output=True, text=True).stdout)
    print(f"{rows['orders']:,} orders, {rows['responses']:,} answers, 25 monthly periods")
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        floor = run("floor (one DuckDB query)", "floor", folder, scratch)
        checked = run("floor + checks", "floor-checks", folder, scratch)
        engine = run("engine (Parquet)", "engine-parquet", folder, scratch)
        print(f"engine / floor + checks: {engine['seconds'] / checked['seconds']:.2f} x wall "
              f"(engine / floor: {engine['seconds'] / floor['seconds']:.2f} x)")
        print(f"engine vs floor, largest relative difference: "
              f"{compare(engine['file'], floor['file']):.1e}")
        if csv:
            run("engine (CSV)", "engine-csv", folder, scratch)
        if spark:
            small = data(1_000_000)
            print(f"PySpark local, {n_small(small):,} orders:")
            result = run("engine on Spark", "spark", small, scratch, repeat=1)
            duck = run("engine on DuckDB", "engine-parquet", small, scratch, repeat=1)
            print(f"Spark vs DuckDB, every column, largest relative difference: "
                  f"{same(result, duck):.1e}")


def n_small(folder):
    out = subprocess.run([sys.executable, "-c", ROWS, str(folder)], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)["orders"]


def same(a, b):
    """Largest relative difference between two engine tables, over every numeric column."""
    import numpy as np
    import pandas as pd

    x, y = pd.read_parquet(a["file"]), pd.read_parquet(b["file"])
    worst = 0.0
    for column in x.columns:
        if pd.api.types.is_numeric_dtype(y[column]):
            u, v = x[column].to_numpy(dtype=float), y[column].to_numpy(dtype=float)
            both = np.isnan(u) & np.isnan(v)
            with np.errstate(invalid="ignore"):
                d = np.where(both, 0.0, np.abs(u - v) / np.maximum(np.abs(v), 1.0))
            worst = max(worst, float(np.nanmax(np.where(np.isnan(d), np.inf, d))))
    return worst


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(int(args[0]) if args else 10_000_000, csv="--csv" in sys.argv,
         spark="--no-spark" not in sys.argv)
