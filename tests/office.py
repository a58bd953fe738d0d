"""LibreOffice headless as the real spreadsheet program that opens what we write.

``convert(path, "pdf" | "xlsx", outdir)`` runs soffice with a throwaway profile set to
recalculate every formula on load (OOXMLRecalcMode 0), and checks that the output exists:
soffice exits 0 even when it could not load a file.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
           xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
  <prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
  <prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def require_office() -> None:
    """Skip a LibreOffice test on a developer machine without it; fail it on CI (CI=true),
    where .ci/run installs LibreOffice and a skip would hide a broken set-up."""
    import os

    import pytest

    if soffice() is None:
        message = "LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def convert(path: Path, to: str, outdir: Path, timeout: int = 240) -> Path:
    """Open ``path`` in LibreOffice, recalculate, save as ``to`` (pdf, xlsx) into ``outdir``."""
    return convert_many([path], to, outdir, timeout)[0]


def convert_many(paths, to: str, outdir: Path, timeout: int = 600) -> list[Path]:
    """Like convert, for several files in one LibreOffice run (much faster than one each)."""
    binary = soffice()
    if binary is None:
        raise RuntimeError("LibreOffice (soffice) is not installed: apt-get install "
                           "libreoffice-calc-nogui")
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        user = Path(profile) / "user"
        user.mkdir()
        (user / "registrymodifications.xcu").write_text(RECALC_ALWAYS)
        target = {"xlsx": "xlsx:Calc MS Excel 2007 XML", "pdf": "pdf"}.get(to, to)
        run = subprocess.run([binary, f"-env:UserInstallation=file://{profile}", "--headless",
                              "--norestore", "--convert-to", target, "--outdir", str(outdir),
                              *map(str, paths)], capture_output=True, text=True,
                             timeout=timeout)
    outs = [outdir / (Path(path).stem + "." + to.split(":")[0]) for path in paths]
    missing = [out.name for out in outs if not out.exists()]
    if missing:
        raise RuntimeError(f"LibreOffice did not write {missing}: {run.stdout} {run.stderr}")
    return outs
