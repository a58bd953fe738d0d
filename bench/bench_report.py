"""Report builder benchmark (issue 5): filling and saving the report beyond the engine's time,
for 25 monthly periods, and the whole `loyalty-xl demo` command.

    python bench/bench_report.py
"""

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from loyalty_xl.datasets import generate
from loyalty_xl.engine import analyse
from loyalty_xl.report import build_report


def main():
    tables = generate(customers=20_000, months=30, seed=3)
    start = time.perf_counter()
    result = analyse(tables["orders"], responses=tables["responses"], spend=tables["spend"],
                     members=tables["members"], events=tables["events"], periods=25)
    engine = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        runs = []
        for i in range(3):
            start = time.perf_counter()
            build_report(result, Path(tmp) / f"r{i}.xlsx", segments=result.segments)
            runs.append(time.perf_counter() - start)
        print(f"{len(tables['orders']):,} orders, 25 periods: engine {engine:.2f} s, "
              f"fill + save report {min(runs):.2f} s (best of 3)")
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "loyalty_xl.cli", "demo", "--out",
                        str(Path(tmp) / "demo.xlsx")], check=True, capture_output=True)
        print(f"loyalty-xl demo (new process, bundled sample): "
              f"{time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
