"""Rebuild the README's pictures: the demo report as LibreOffice renders it.

    python docs/make_pictures.py        (needs LibreOffice and poppler-utils)
"""

import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))

from tests.office import convert  # noqa: E402


def main():
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "demo.xlsx"
        subprocess.run([sys.executable, "-m", "loyalty_xl.cli", "demo", "--out", str(report)],
                       check=True)
        pdf = convert(report, "pdf", Path(tmp))
        pages = {"report_summary": 1, "report_charts": 5}
        for name, page in pages.items():
            subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", str(page), "-l", str(page),
                            "-singlefile", str(pdf), str(HERE / name)], check=True)
            print(HERE / f"{name}.png")


if __name__ == "__main__":
    main()
