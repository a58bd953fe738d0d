"""=NPS on a 1,000,000-cell column through xlwings' Office.js dispatch (issue 3).

Compares loyalty_xl's =NPS (raw argument, vectorised reader) with a function that only counts
the same column through xlwings' default argument conversion, in the same run, and reports the
import time of loyalty_xl.udfs. Like the tests, this process sets the noncommercial xlwings
licence key for itself; the product never sets it.

    python bench/bench_udfs.py [cells]
"""

import asyncio
import os
import subprocess
import sys
import time
import types

os.environ["XLWINGS_ON_SERVER"] = "true"
os.environ["XLWINGS_LICENSE_KEY"] = "noncommercial"

import numpy as np  # noqa: E402
import xlwings  # noqa: E402
from xlwings import func  # noqa: E402
from xlwings.server import custom_functions_call  # noqa: E402

import loyalty_xl.udfs as udfs  # noqa: E402


@func
def COUNT_DEFAULT(values):
    """Counts non-blank cells, with xlwings' default argument conversion."""
    cells = [v for row in values for v in row] if values and isinstance(values[0], list) \
        else values  # the default conversion delivers a column as a flat list
    return sum(v is not None for v in cells)


baseline = types.ModuleType("baseline")
baseline.COUNT_DEFAULT = COUNT_DEFAULT


def call(module, name, *args):
    data = {"func_name": name, "args": list(args), "version": xlwings.__version__,
            "client": "Office.js", "runtime": "1.4", "culture_info_name": "en-US",
            "date_format": "M/d/yyyy"}
    start = time.perf_counter()
    result = asyncio.run(custom_functions_call(data, module))
    return time.perf_counter() - start, result


def import_time():
    code = ("import time; t = time.perf_counter(); import xlwings; t1 = time.perf_counter(); "
            "import loyalty_xl.udfs; t2 = time.perf_counter(); print(t1 - t, t2 - t1)")
    runs = [tuple(map(float, subprocess.run([sys.executable, "-c", code], capture_output=True,
                                            text=True, check=True).stdout.split()))
            for _ in range(5)]
    return min(r[0] for r in runs), min(r[1] for r in runs)


def main(n=1_000_000):
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 11, n).tolist()
    column = [[s] for s in scores]
    with_blanks = [[""] if i % 10 == 0 else [s] for i, s in enumerate(scores)]
    print(f"{n:,} cells, xlwings {xlwings.__version__}, Python {sys.version.split()[0]}")
    t_nps, r = call(udfs, "NPS", column)
    print(f"=NPS (raw reader)                       {t_nps:7.3f} s   -> {r[0][0]:.4f}")
    t_blank, r = call(udfs, "NPS", with_blanks)
    print(f"=NPS, 10% blank cells ('')              {t_blank:7.3f} s   -> {r[0][0]:.4f}")
    t_count, r = call(baseline, "COUNT_DEFAULT", column)
    print(f"count only, xlwings default conversion  {t_count:7.3f} s   -> {r[0][0]}")
    print(f"speed-up of =NPS over the default path  {t_count / t_nps:7.1f} x")
    xw, ours = import_time()
    print(f"import xlwings {xw:.3f} s; import loyalty_xl.udfs on top of it {ours:.3f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
