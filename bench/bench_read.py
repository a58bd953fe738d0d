"""Reading benchmark (issue 9): the same 10^7 orders as Parquet, as a plain CSV and as a German
Excel-style CSV (';', dd.mm.yyyy, decimal comma), each through compute_periods, same run.

Uses bench_engine.py's cached data (bench/.data); the German file is written from the Parquet
by DuckDB. Each run is a child process (wall time, peak memory); best of ``repeat``.

    python bench/bench_read.py [orders] [repeat]      (default 10,000,000, 2)

Target: the CSV within 1.5x of the Parquet.
"""

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from bench_engine import data  # noqa: E402

CHILD = r"""
import json, resource, sys, time
path = sys.argv[1]
start = time.perf_counter()
from loyalty_xl.engine import analyse
result = analyse(path, periods=25)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
item = result.quality.inputs[0]
print(json.dumps({"seconds": seconds, "peak_mb": peak, "used": item.rows_used,
                  "summary": result.quality.summary(),
                  "revenue": float(result.periods["revenue"].sum())}))
"""

GERMAN = r"""
import duckdb, sys
folder = sys.argv[1]
duckdb.sql("SET enable_progress_bar = false")
duckdb.sql(f"COPY (SELECT order_id, customer_id, "
           f"strftime(order_date::DATE, '%d.%m.%Y') AS order_date, "
           f"replace(printf('%.2f', amount), '.', ',') AS amount, segment "
           f"FROM read_parquet('{folder}/orders.parquet')) TO '{folder}/orders_de.csv' "
           f"(HEADER, DELIMITER ';')")
"""


def child(path):
    out = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True,
                         text=True, cwd=HERE.parent)
    if out.returncode:
        raise SystemExit(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(n_orders=10_000_000, repeat=2):
    folder = data(n_orders)
    german = folder / "orders_de.csv"
    if not german.exists():
        subprocess.run([sys.executable, "-c", GERMAN, str(folder)], check=True)
    results = {}
    for name, path in (("parquet", folder / "orders.parquet"), ("csv", folder / "orders.csv"),
                       ("csv-de", german)):
        best = min((child(path) for _ in range(repeat)), key=lambda r: r["seconds"])
        results[name] = best
        print(f"{name:<8} {best['seconds']:7.2f} s   peak {best['peak_mb']:7.0f} MB   "
              f"{best['used']:,} rows used   revenue {best['revenue']:,.2f}")
        print(f"         {best['summary']}")
    for name in ("csv", "csv-de"):
        ratio = results[name]["seconds"] / results["parquet"]["seconds"]
        print(f"{name} / parquet: {ratio:.2f} x (target <= 1.5)")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
