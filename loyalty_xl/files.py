"""Writing output files: atomically, and never over an existing file by accident."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from loyalty_xl.errors import LoyaltyXLError


def check_writable(path: Path, *, force: bool, protected: tuple[Path, ...] = ()) -> Path:
    """Refuse to overwrite an existing file (unless ``force``) or any ``protected`` file."""
    path = Path(path)
    for other in protected:
        if other is not None and Path(other).exists() and path.exists() \
                and path.resolve() == Path(other).resolve():
            raise LoyaltyXLError(f"{path} is the template itself; choose another output file",
                                 argument="out")
    if path.exists() and not force:
        raise LoyaltyXLError(f"{path} already exists; use --force to overwrite it",
                             argument="out")
    if path.exists() and path.is_dir():
        raise LoyaltyXLError(f"{path} is a folder, not a file", argument="out")
    return path


@contextlib.contextmanager
def atomic_path(path: Path, *, force: bool = False, protected: tuple[Path, ...] = ()):
    """Yield a temporary path beside ``path``; move it into place only if the block succeeds."""
    path = check_writable(Path(path), force=force, protected=protected)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, _mode_for(path))  # mkstemp's files are private (0600)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _mode_for(path: Path) -> int:
    """The permissions a new file gets (0666 less the umask), or those of the file replaced."""
    if path.exists():
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_text(path: Path, text: str, *, force: bool = False) -> Path:
    with atomic_path(path, force=force) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def save_workbook_reproducibly(workbook, path: Path, when: str = "2026-01-01T00:00:00Z") -> Path:
    """Save an openpyxl workbook byte for byte the same each time (for generated templates).

    openpyxl stamps the save time into docProps/core.xml and the zip entries; both are fixed
    here, so regenerating a template that did not change leaves git clean.
    """
    import io
    import re
    import zipfile

    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>" + when.encode() + rb"\g<2>", data)
            info = zipfile.ZipInfo(item.filename, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, data)
    Path(path).write_bytes(out.getvalue())
    return Path(path)
