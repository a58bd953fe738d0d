"""The generated xlwings Lite main.py against the installed package (issue 11).

Import time: xlwings, then loading main.py the way Lite does (exec into a module named "main";
the embedded sources are compiled on every load, as in Pyodide, which keeps no bytecode cache),
against ``import loyalty_xl.udfs`` (from cached bytecode). =NPS over 1,000,000 cells through
xlwings' Office.js dispatch, both ways, in the same process. Target: within 10%. Like the tests,
this process sets the noncommercial xlwings licence key for itself.

    python bench/bench_bundle.py [cells]
"""

import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

os.environ["XLWINGS_ON_SERVER"] = "true"
os.environ["XLWINGS_LICENSE_KEY"] = "noncommercial"

import numpy as np  # noqa: E402
import xlwings  # noqa: E402
from xlwings.server import custom_functions_call  # noqa: E402

from loyalty_xl import excel_bundle  # noqa: E402

LOAD_BUNDLE = """
import sys, time, types
t = time.perf_counter(); import xlwings; t1 = time.perf_counter()
module = types.ModuleType("main"); exec(open(sys.argv[1]).read(), module.__dict__)
print(t1 - t, time.perf_counter() - t1)
"""
LOAD_PACKAGE = """
import time
t = time.perf_counter(); import xlwings; t1 = time.perf_counter()
import loyalty_xl.udfs
print(t1 - t, time.perf_counter() - t1)
"""


def import_times(main_py, runs=7):
    def best(code, *args):
        out = [tuple(map(float, subprocess.run([sys.executable, "-c", code, *args],
                                               capture_output=True, text=True, check=True,
                                               cwd=tempfile.gettempdir()).stdout.split()))
               for _ in range(runs)]
        return min(o[0] for o in out), min(o[1] for o in out)

    best(LOAD_PACKAGE)  # warm the bytecode cache
    cached = best(LOAD_PACKAGE)
    # A package fresh from a wheel (as micropip installs it in Lite) has no bytecode yet:
    # a copy of the sources without __pycache__, imported with -B (nothing written).
    with tempfile.TemporaryDirectory() as folder:
        shutil.copytree(excel_bundle.PACKAGE_DIR, Path(folder) / "loyalty_xl",
                        ignore=shutil.ignore_patterns("__pycache__"))
        env = {**os.environ, "PYTHONPATH": folder, "PYTHONDONTWRITEBYTECODE": "1"}
        out = [tuple(map(float, subprocess.run([sys.executable, "-B", "-c", LOAD_PACKAGE],
                                               capture_output=True, text=True, check=True,
                                               env=env, cwd=folder).stdout.split()))
               for _ in range(runs)]
    source = min(o[0] for o in out), min(o[1] for o in out)
    return cached, source, best(LOAD_BUNDLE, str(main_py))


def nps_time(module, column, repeat=5):
    data = {"func_name": "NPS", "args": [column], "version": xlwings.__version__,
            "client": "Office.js", "runtime": "1.4", "culture_info_name": "en-US",
            "date_format": "M/d/yyyy"}
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = asyncio.run(custom_functions_call(data, module))
        times.append(time.perf_counter() - start)
    return statistics.median(times), result[0][0]


def main(n=1_000_000):
    with tempfile.TemporaryDirectory() as folder:
        main_py = Path(folder) / "main.py"
        main_py.write_text(excel_bundle.lite_main(), encoding="utf-8")
        (xw_pkg, pkg), (_, pkg_source), (xw_bundle, bundle) = import_times(main_py)
        print(f"xlwings {xlwings.__version__}, Python {sys.version.split()[0]}, {n:,} cells")
        print(f"import xlwings                               {min(xw_pkg, xw_bundle):7.3f} s")
        print(f"import loyalty_xl.udfs (package, .pyc)       {pkg:7.3f} s")
        print(f"import loyalty_xl.udfs (package, no .pyc)    {pkg_source:7.3f} s")
        print(f"load main.py as Lite does (compiles sources) {bundle:7.3f} s   "
              f"({(bundle - pkg_source) / pkg_source:+.0%} vs no .pyc, "
              f"{(bundle - pkg) / pkg:+.0%} vs .pyc)")

        # Both in this process: the package first, then the bundle takes over loyalty_xl.
        import loyalty_xl.udfs as package

        scores = np.random.default_rng(0).integers(0, 11, n).tolist()
        column = [[s] for s in scores]
        t_pkg, r_pkg = nps_time(package, column)
        lite = types.ModuleType("main")
        exec(main_py.read_text(), lite.__dict__)
        assert sys.modules["loyalty_xl.udfs"] is not package
        t_bundle, r_bundle = nps_time(lite, column)
    assert r_pkg == r_bundle
    print(f"=NPS, package (median of 5)                  {t_pkg:7.3f} s   -> {r_pkg:.4f}")
    print(f"=NPS, generated main.py (median of 5)        {t_bundle:7.3f} s   "
          f"({(t_bundle - t_pkg) / t_pkg:+.0%})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
