"""Period engine benchmark (issue 4): 10 million orders + 1 million survey answers -> 25 months.

Generates the data once (cached under bench/.data), writes Parquet and CSV, then measures in
child processes (so that peak memory is the engine's alone):
- DuckDB scanning the same files once (every column, no grouping): the floor;
- compute_periods on Parquet and on CSV: wall time and peak resident memory.

    python bench/bench_engine.py [orders]      (default 10,000,000)
"""

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
CHILD = r"""
import json, resource, sys, time
kind, folder = sys.argv[1], sys.argv[2]
ext = "parquet" if kind.endswith("parquet") else "csv"
orders, responses = f"{folder}/orders.{ext}", f"{folder}/responses.{ext}"
start = time.perf_counter()
if kind.startswith("scan"):
    import duckdb
    reader = "read_parquet" if ext == "parquet" else "read_csv"
    con = duckdb.connect()
    con.execute(f"SELECT count(*), sum(amount), max(customer_id), max(order_date), "
                f"max(order_id) FROM {reader}('{orders}')").fetchall()
    con.execute(f"SELECT count(*), max(score), max(metric), max(answered_at), "
                f"max(respondent_id) FROM {reader}('{responses}')").fetchall()
    rows = None
else:
    from loyalty_xl import compute_periods
    table = compute_periods(orders, responses=responses, periods=25)
    rows = len(table)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak, "rows": rows}))
"""


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


def child(kind, folder):
    out = subprocess.run([sys.executable, "-c", CHILD, kind, str(folder)], capture_output=True,
                         text=True, cwd=HERE.parent)
    if out.returncode:
        raise SystemExit(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(n_orders=10_000_000):
    folder = data(n_orders)
    rows = json.loads(subprocess.run([sys.executable, "-c", ROWS, str(folder)], check=True,
                                     capture_output=True, text=True).stdout)
    print(f"{rows['orders']:,} orders, {rows['responses']:,} answers, 25 monthly periods")
    results = {}
    for kind in ("scan-parquet", "engine-parquet", "scan-csv", "engine-csv"):
        best = min((child(kind, folder) for _ in range(2)), key=lambda r: r["seconds"])
        results[kind] = best
        print(f"{kind:<15} {best['seconds']:7.2f} s   peak {best['peak_mb']:7.0f} MB")
    for fmt in ("parquet", "csv"):
        ratio = results[f"engine-{fmt}"]["seconds"] / results[f"scan-{fmt}"]["seconds"]
        print(f"engine / DuckDB scan ({fmt}): {ratio:.1f} x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000)
