"""Writing output files: atomically, and never over an existing file by accident.

:func:`atomic_path` gives the writer a path to write the new file to and moves it into place
only when the writer finished. On Linux the new file is an anonymous ``O_TMPFILE`` in the
target's folder (written through ``/proc/self/fd/N``), so a process killed at any moment,
even by SIGKILL, leaves no temporary file behind:

- without ``force`` it is linked to the target name with ``linkat``, which fails when the
  name exists: of two runs writing one absent file, exactly one succeeds, and neither
  replaces the other's file;
- with ``force`` it is linked to a hidden name of our own pattern and renamed over the
  target (``rename`` is atomic): readers see the old file or the complete new one. A kill in
  the microseconds between link and rename leaves that hidden name; the next write to the
  same target removes it (when its process is gone).

Elsewhere (no ``O_TMPFILE``, no ``/proc``) a named temporary file of the same pattern is used.
SIGTERM during the write, and a full disk, end in a one-line :class:`FileError`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import re
import secrets
import signal
import threading
from pathlib import Path

from loyalty_xl.errors import FileError

TEMP_PATTERN = re.compile(r"^\.(?P<name>.+)\.loyalty-xl-(?P<pid>\d+)-[0-9a-f]{8}\.tmp$")


def check_writable(path: Path, *, force: bool, protected: tuple[Path, ...] = ()) -> Path:
    """Refuse to overwrite an existing file (unless ``force``) or any ``protected`` file."""
    path = Path(path)
    for other in protected:
        if other is not None and Path(other).exists() and path.exists() \
                and path.resolve() == Path(other).resolve():
            raise FileError(f"{path} is the template itself; choose another output file",
                            argument="out")
    if path.exists() and not force:
        raise FileError(f"{path} already exists; use --force to overwrite it", argument="out")
    if path.exists() and path.is_dir():
        raise FileError(f"{path} is a folder, not a file", argument="out")
    return path


class Interrupted(BaseException):
    """SIGTERM (or SIGINT) arrived while an output file was being written."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


class WriteInterrupted(FileError):
    """The write was stopped by a signal; nothing was written. ``exit_code``: 128 + signal."""

    def __init__(self, reason, *, signum, **kwargs):
        super().__init__(reason, **kwargs)
        self.exit_code = 128 + signum


@contextlib.contextmanager
def atomic_path(path: Path, *, force: bool = False, protected: tuple[Path, ...] = ()):
    """Yield a path to write the new file to; it replaces ``path`` only if the block succeeds.

    Raises
    ------
    FileError
        ``path`` exists (without ``force``), is a folder or ``protected``; the disk is full or
        the folder not writable; a signal stopped the write.
    """
    path = check_writable(Path(path), force=force, protected=protected)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise _write_error(path, err) from None
    _remove_stale_temporaries(path)
    with _signals_raise():
        try:
            with _new_file(path) as (writer_path, commit):
                yield Path(writer_path)
                commit(force)
        except Interrupted as stop:
            name = signal.Signals(stop.signum).name
            _release_quietly(stop)
            raise WriteInterrupted(f"stopped by {name} while writing {path}; it was not "
                                   "written", signum=stop.signum, argument="out") from None
        except FileExistsError:
            raise FileError(f"{path} already exists (another run wrote it meanwhile); use "
                            "--force to overwrite it", argument="out") from None
        except OSError as err:
            error = _write_error(path, err)
            _release_quietly(err)
            raise error from None


def _release_quietly(err: BaseException) -> None:
    """Let the failed writer's objects go now, without their complaints.

    A writer stopped by a full disk leaves, e.g., an open ZipFile in its frames; when it is
    collected it tries to write its directory again and Python prints that second failure
    as "Exception ignored in ... Traceback" at exit. Clearing the frames here, with the
    unraisable-exception hook silenced, closes those files quietly.
    """
    import gc
    import sys
    import traceback

    hook = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: None
    try:
        traceback.clear_frames(err.__traceback__)
        err.__traceback__ = None
        err.__context__ = None
        gc.collect()
    finally:
        sys.unraisablehook = hook


def _write_error(path, err):
    reason = (err.strerror or os.strerror(err.errno)) if err.errno else str(err)
    return FileError(f"could not write {path}: {reason}", argument="out")


def _new_file(path: Path):
    """A context manager of (path the writer uses, commit(force)): anonymous or named."""
    fd = None
    if hasattr(os, "O_TMPFILE"):
        try:
            fd = os.open(path.parent, os.O_TMPFILE | os.O_RDWR, 0o666)
        except OSError:
            fd = None  # a file system without O_TMPFILE
    if fd is not None and not os.path.exists(f"/proc/self/fd/{fd}"):
        os.close(fd)
        fd = None
    return _anonymous(path, fd) if fd is not None else _named(path)


@contextlib.contextmanager
def _anonymous(path: Path, fd: int):
    proc = f"/proc/self/fd/{fd}"

    def commit(force):
        os.fsync(fd)
        os.fchmod(fd, _mode_for(path))
        if not force:
            _link_fd(fd, path, owner=path)  # fails if path exists: exclusive
        else:
            hidden = _temp_name(path)
            _link_fd(fd, hidden, owner=path)
            try:
                os.replace(hidden, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(hidden)
                raise
        _sync_folder(path.parent)

    try:
        yield proc, commit
    finally:
        os.close(fd)


def _link_fd(fd: int, target: Path, *, owner: Path) -> None:
    """Give the anonymous file ``fd`` the name ``target`` (FileExistsError if it exists).

    ``linkat`` of the ``/proc/self/fd`` link is the documented way; some kernels refuse it
    (EXDEV) but accept ``linkat(fd, "", ..., AT_EMPTY_PATH)``. When neither works the data is
    copied into a named temporary file (named after ``owner``, the output, so that the next
    write removes a leftover), which is then linked.
    """
    try:
        os.link(f"/proc/self/fd/{fd}", target, follow_symlinks=True)
        return
    except FileExistsError:
        raise
    except OSError as err:
        if err.errno not in (errno.EXDEV, errno.EPERM, errno.ENOENT, errno.EINVAL):
            raise
    if _linkat_empty_path(fd, target):
        return
    with _named(owner) as (tmp, _):
        with open(tmp, "wb") as copy:
            os.lseek(fd, 0, os.SEEK_SET)
            while chunk := os.read(fd, 1 << 20):
                copy.write(chunk)
            copy.flush()
            os.fsync(copy.fileno())
        os.chmod(tmp, os.fstat(fd).st_mode & 0o777)
        os.link(tmp, target)


def _linkat_empty_path(fd: int, target: Path) -> bool:
    """``linkat(fd, "", AT_FDCWD, target, AT_EMPTY_PATH)``; False where unavailable."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        linkat = libc.linkat
    except (OSError, AttributeError):
        return False
    at_fdcwd, at_empty_path = -100, 0x1000
    if linkat(fd, b"", at_fdcwd, os.fsencode(target), at_empty_path) == 0:
        return True
    code = ctypes.get_errno()
    if code == errno.EEXIST:
        raise FileExistsError(code, os.strerror(code), str(target))
    if code in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EMLINK):
        raise OSError(code, os.strerror(code), str(target))
    return False


@contextlib.contextmanager
def _named(path: Path):
    tmp = _temp_name(path)
    os.close(os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))

    def commit(force):
        os.chmod(tmp, _mode_for(path))  # the temporary file is private (0600)
        if force:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # fails if path exists: exclusive

    try:
        yield str(tmp), commit
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _temp_name(path: Path) -> Path:
    return path.parent / f".{path.name}.loyalty-xl-{os.getpid()}-{secrets.token_hex(4)}.tmp"


def _remove_stale_temporaries(path: Path) -> None:
    """Remove hidden temporary names for ``path`` left by runs that no longer exist."""
    try:
        names = os.listdir(path.parent)
    except OSError:
        return
    for name in names:
        match = TEMP_PATTERN.match(name)
        if not match or match["name"] != path.name:
            continue
        pid = int(match["pid"])
        if pid != os.getpid() and _alive(pid):
            continue
        with contextlib.suppress(OSError):
            os.unlink(path.parent / name)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _sync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def _signals_raise():
    """Within the block, SIGTERM and SIGINT raise :class:`Interrupted` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise Interrupted(signum)

    previous = {}
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(ValueError, OSError):
            previous[signum] = signal.signal(signum, handler)
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old if old is not None else signal.SIG_DFL)


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


#: The one timestamp of generated files (templates, starter workbooks): regenerating a file
#: that did not change leaves git clean.
REPRODUCIBLE_TIME = dt.datetime(2026, 1, 1)


def reproducible_zip_info(name: str):
    """A zip entry stamped with :data:`REPRODUCIBLE_TIME` and normal permissions."""
    import zipfile

    info = zipfile.ZipInfo(name, date_time=REPRODUCIBLE_TIME.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def save_workbook_reproducibly(workbook, path: Path) -> Path:
    """Save an openpyxl workbook byte for byte the same each time (for generated templates).

    openpyxl stamps the save time into docProps/core.xml and the zip entries; both are fixed
    here, so regenerating a template that did not change leaves git clean.
    """
    import io
    import re
    import zipfile

    when = REPRODUCIBLE_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    workbook.properties.created = workbook.properties.modified = REPRODUCIBLE_TIME

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
            target.writestr(reproducible_zip_info(item.filename), data)
    Path(path).write_bytes(out.getvalue())
    return Path(path)
