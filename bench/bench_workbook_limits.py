"""What the workbook limits cost, and what they save.

For a dense workbook of N cells (streamed straight into the zip) prints the time and peak
memory of ``check_workbook`` and of openpyxl loading the same file; for each generated bomb,
the time and peak memory until it is refused. Each measurement runs in a fresh process.

    python bench/bench_workbook_limits.py [cells]   # default 1,000,000
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import hostile_files as hf

MEASURE = """
import resource, sys, time
sys.path.insert(0, {root!r})
started = time.perf_counter()
what, path = sys.argv[1], sys.argv[2]
outcome = "ok"
if what == "check":
    from loyalty_xl.workbook_limits import check_workbook
    try:
        check_workbook(path, role="orders input")
    except Exception as err:
        outcome = str(err)[:90]
else:
    import openpyxl
    book = openpyxl.load_workbook(path, data_only=True)
    rows = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
print(f"{{time.perf_counter() - started:7.2f}} s {{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:7.0f}} MB  {{outcome}}")
""".format(root=str(ROOT))


def measure(what, path):
    done = subprocess.run([sys.executable, "-c", MEASURE, what, str(path)], capture_output=True,
                          text=True, check=False)
    return (done.stdout or done.stderr.strip().splitlines()[-1]).strip()


def dense(path, cells):
    rows = cells // 5

    def body():
        chunk = []
        for r in range(2, rows + 2):
            chunk.append(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>c{r % 5000}</t></is></c>'
                         f'<c r="B{r}" t="inlineStr"><is><t>2026-01-05</t></is></c>'
                         f'<c r="C{r}"><v>{r * 1.5}</v></c><c r="D{r}"><v>{r}</v></c>'
                         f'<c r="E{r}" t="inlineStr"><is><t>seg</t></is></c></row>')
            if len(chunk) == 5000:
                yield "".join(chunk).encode()
                chunk = []
        yield "".join(chunk).encode()

    return hf.write(path, {hf.SHEET: hf.sheet(body())}, level=6)


def main():
    cells = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        path = dense(folder / "dense.xlsx", cells)
        with zipfile.ZipFile(path) as z:
            unzipped = sum(i.file_size for i in z.infolist())
        print(f"dense workbook, {cells:,} cells, {path.stat().st_size / 2**20:.1f} MB "
              f"({unzipped / 2**20:.0f} MB unzipped)")
        print(f"  check_workbook       {measure('check', path)}")
        print(f"  openpyxl load + rows {measure('load', path)}")
        print("bombs: time and peak memory until refused")
        for name, (build, _) in hf.BOMBS.items():
            bomb = build(folder / f"{name}.xlsx")
            print(f"  {name:20s} {bomb.stat().st_size / 2**20:6.2f} MB  {measure('check', bomb)}")
            bomb.unlink()


if __name__ == "__main__":
    main()
