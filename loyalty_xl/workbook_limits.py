"""Limits on untrusted workbooks, checked before openpyxl loads them.

An ``.xlsx`` file is a zip of XML parts. A 1 MB file can unzip to gigabytes (dense cells, one
huge string, whitespace) and a 2 kB file whose only cell is XFD1048576 makes every reader that
walks rows x columns allocate 17 billion slots. openpyxl has no limits of its own, so
:func:`check_workbook` reads the zip directory and streams every part once, in bounded memory
(1 MB chunks, no XML tree), and refuses a workbook beyond any of these limits:

=====================  ==========  ===========================================================
Limit                  Default     Environment variable that raises it
=====================  ==========  ===========================================================
unzipped size          256 MB      ``LOYALTY_XL_MAX_UNZIPPED_MB`` (the whole workbook, and so
                                   each part)
compression ratio      100         ``LOYALTY_XL_MAX_RATIO`` (parts above 10 MB unzipped)
cells                  2,000,000   ``LOYALTY_XL_MAX_CELLS`` (all sheets; merged ranges and
                                   hyperlink ranges count every cell they cover; about 1 GB
                                   of memory and 35 s in openpyxl)
used range             4,000,000   ``LOYALTY_XL_MAX_AREA`` (rows x columns of each sheet's
                                   cells, and of its declared ``<dimension>``; a reader
                                   walking rows x columns makes an object of every empty
                                   cell too: a sparse 4,000,000 takes 1.2 GB in openpyxl)
string length          32,767      ``LOYALTY_XL_MAX_STRING`` (characters in one text or
                                   shared string; Excel's own limit for a cell)
zip entries            10,000      ``LOYALTY_XL_MAX_PARTS``
=====================  ==========  ===========================================================

Each failure is one :class:`~loyalty_xl.errors.FileError` line naming the file, the part, the
limit and how to raise it. A template (``role="template"``) with macros (``.xlsm``, a
``vbaProject.bin`` part or a macro-enabled content type) is refused with a
:class:`~loyalty_xl.errors.TemplateError`.

Every XML part is scanned, not only those a workbook's relationships name as sheets, so a
sheet cannot hide under an unusual part name. The cell scan is conservative: anything that
looks like a cell (even inside a comment) counts.
"""

from __future__ import annotations

import html
import itertools
import os
import re
import zipfile
from dataclasses import dataclass, fields, replace
from pathlib import Path

from loyalty_xl.errors import FileError, TemplateError

CHUNK = 1 << 20
RATIO_FLOOR = 10 << 20  # the ratio limit applies to parts bigger than this (unzipped)


@dataclass(frozen=True)
class WorkbookLimits:
    """The limits :func:`check_workbook` applies (see the module docstring).

    Examples
    --------
    >>> WorkbookLimits().max_cells
    2000000
    >>> WorkbookLimits.from_env({"LOYALTY_XL_MAX_CELLS": "5000000"}).max_cells
    5000000
    """

    max_unzipped_mb: int = 256
    max_ratio: int = 100
    max_cells: int = 2_000_000
    max_area: int = 4_000_000
    max_string: int = 32_767
    max_parts: int = 10_000

    @classmethod
    def from_env(cls, environ=None) -> WorkbookLimits:
        """The defaults, each overridden by its ``LOYALTY_XL_MAX_...`` environment variable."""
        environ = os.environ if environ is None else environ
        changes = {}
        for item in fields(cls):
            name = env_name(item.name)
            if environ.get(name, "").strip():
                text = environ[name].strip().replace("_", "").replace(",", "")
                if not text.isdigit() or int(text) <= 0:
                    raise FileError(f"{name} must be a positive whole number",
                                    argument=name, value=environ[name])
                changes[item.name] = int(text)
        return replace(cls(), **changes)


def env_name(field_name: str) -> str:
    """``max_cells`` -> ``LOYALTY_XL_MAX_CELLS``."""
    return f"LOYALTY_XL_{field_name.upper()}"


def _raise_hint(field_name: str) -> str:
    return f"set {env_name(field_name)} to raise the limit"


# -- the byte scanner ---------------------------------------------------------------------------
_P = rb"(?:[A-Za-z_][\w.-]*:)?"  # an optional namespace prefix
_ATTR = rb"\s+[\w:.-]+\s*=\s*(?:\"[^\"]*\"|'[^']*')"
# a cell or row with an r attribute, its attributes tokenised so that a value cannot fake one
_CELL_R = re.compile(rb"<" + _P + rb"c(?:" + _ATTR.replace(rb"[\w:.-]+", rb"(?!r\s*=)[\w:.-]+")
                     + rb")*\s+r\s*=\s*[\"']\$?([A-Za-z]{1,3})\$?([0-9]{1,7})[\"']")
_ROW_R = re.compile(rb"<" + _P + rb"row(?:" + _ATTR.replace(rb"[\w:.-]+", rb"(?!r\s*=)[\w:.-]+")
                    + rb")*\s+r\s*=\s*[\"']([0-9]{1,7})[\"']")
_ENDS = (b" ", b">", b"/", b"\t", b"\n", b"\r")
_PREFIXED_CELL = re.compile(rb"<[A-Za-z_][\w.-]*:c(?=[\s/>])")
_PREFIXED_ROW = re.compile(rb"<[A-Za-z_][\w.-]*:row(?=[\s/>])")
_SIMPLE_CELL_R = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"')
_SIMPLE_ROW_R = re.compile(rb'<row r="([0-9]{1,7})"')
_TAG = re.compile(rb"<" + _P + rb"(row|c)((?:" + _ATTR + rb")*)\s*/?>")
_R_ATTR = re.compile(rb"\sr\s*=\s*[\"']([^\"']*)[\"']")
# ranges that make openpyxl create a cell object for every cell they cover
_CELL_RANGES = re.compile(rb"<" + _P + rb"(mergeCell|hyperlink|table)(?:" + _ATTR.replace(
    rb"[\w:.-]+", rb"(?!ref\s*=)[\w:.-]+") + rb")*\s+ref\s*=\s*[\"']([^\"']*)[\"']")
_POINTS = re.compile(rb"<" + _P + rb"comment(?:" + _ATTR.replace(
    rb"[\w:.-]+", rb"(?!ref\s*=)[\w:.-]+") + rb")*\s+ref\s*=\s*[\"']([^\"']*)[\"']")
_DIMENSION = re.compile(rb"<" + _P + rb"dimension\s+ref\s*=\s*[\"']([^\"']*)[\"']")
_SI_START = re.compile(rb"<" + _P + rb"si(?=[\s/>])")
_MARKUP = re.compile(rb"<[^>]*>")
_CELL_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]+)$")


def _column_number(letters) -> int:
    number = 0
    for ch in letters.upper() if isinstance(letters, str) else letters.decode().upper():
        number = number * 26 + ord(ch) - 64
    return number


def _range_box(ref: str):
    """``"A1:C10"`` -> (max_row, max_col, cells); None when not a plain cell range."""
    total_rows = total_cols = 0
    cells = 0
    for part in ref.split():
        ends = part.split(":")
        points = [_CELL_REF.match(e.strip()) for e in ends]
        if not ends or len(ends) > 2 or not all(points):
            continue  # whole rows/columns ("A:A") are not expanded by openpyxl's readers
        rows = [int(p[2]) for p in points]
        cols = [_column_number(p[1]) for p in points]
        total_rows, total_cols = max(total_rows, *rows), max(total_cols, *cols)
        cells += (max(rows) - min(rows) + 1) * (max(cols) - min(cols) + 1)
    return total_rows, total_cols, cells


def _count_tags(data: bytes, opening: bytes) -> int:
    """How often ``opening`` starts a tag of exactly that name (``<c`` but not ``<col``)."""
    common = data.count(opening + b" ")
    if data.count(opening) == common:
        return common
    return common + sum(data.count(opening + end) for end in _ENDS[1:])


def _text_length(raw: bytes) -> int:
    """Characters of XML text once tags are dropped and entities resolved."""
    return len(html.unescape(_MARKUP.sub(b"", raw).decode("utf-8", "replace")))


class _PartScan:
    """Streams one XML part and keeps the few numbers the limits need."""

    def __init__(self, label, name, limits, cells_before=0):
        self.label, self.name, self.limits = label, name, limits
        self.cells_before = cells_before  # in the parts scanned before this one
        self.cells = 0  # cell elements plus cells created by merged/hyperlink ranges
        self.max_row = self.max_col = 0
        self.implicit = False  # a cell or row without an r attribute: positions counted exactly
        self.dimension = None
        self.table_cells = 0
        self.hard = 16 * limits.max_string + 65536  # no text of max_string chars is longer
        self.shared = "sharedstrings" in name.lower()
        self.longest = 0

    def fail(self, what, limit_field):
        raise FileError(f"{self.label}: {self.name} {what}; {_raise_hint(limit_field)}")

    def _check_cells(self):
        if self.cells_before + self.cells > self.limits.max_cells:
            raise FileError(f"{self.label} has more than {self.limits.max_cells:,} cells "
                            f"(counting merged and hyperlinked ranges cell by cell); "
                            f"{_raise_hint('max_cells')}")

    def feed(self, buf: bytes, final: bool) -> bytes:
        """Scan the complete part of ``buf``; return the tail to prepend to the next chunk."""
        cut = len(buf) if final else buf.rfind(b"<")
        if self.shared and not final:
            starts = [m.start() for m in _SI_START.finditer(buf)]
            cut = starts[-1] if starts else max(cut, 0)
        cut = max(cut, 0)
        if len(buf) - cut > self.hard:
            self.fail(f"has a text, tag or whitespace run of more than {self.hard:,} bytes "
                      f"(texts are limited to {self.limits.max_string:,} characters)",
                      "max_string")
        self._scan(buf[:cut])
        return buf[cut:]

    def _scan(self, data: bytes):
        if not data:
            return
        limits = self.limits
        self._runs(data)
        if self.shared and (b"<si" in data or b":si" in data):
            starts = [m.start() for m in _SI_START.finditer(data)] + [len(data)]
            for a, b in itertools.pairwise(starts):
                if b - a > limits.max_string:
                    length = _text_length(data[a:b].split(b"</si>")[0]) \
                        if b - a <= self.hard else b - a
                    self.longest = max(self.longest, length)
                    if length > limits.max_string:
                        self.fail(f"has a shared string of {length:,} characters, more than "
                                  f"the limit of {limits.max_string:,}", "max_string")
        if b"dimension" in data:
            dimension = _DIMENSION.search(data)
            if dimension:
                self.dimension = dimension.group(1).decode("ascii", "replace")
        n_cells = _count_tags(data, b"<c")
        if b":c" in data:
            n_cells += len(_PREFIXED_CELL.findall(data))
        if n_cells or b"row" in data:
            self._cells(data, n_cells)
        if b"mergeCell" in data or b"hyperlink" in data or b"table" in data:
            for kind, ref in _CELL_RANGES.findall(data):
                rows, cols, cells = _range_box(ref.decode("ascii", "replace"))
                if kind == b"table":
                    self.table_cells = max(self.table_cells, cells)
                else:
                    self.cells += max(cells - 1, 0)  # one object per covered cell
                    self._check_cells()
                    self._extend(rows, cols)
        if b"comment" in data:
            for ref in _POINTS.findall(data):
                rows, cols, _ = _range_box(ref.decode("ascii", "replace"))
                self._extend(rows, cols)

    def _runs(self, data):
        """Every run without markup (one text, or whitespace) within ``max_string`` characters.

        A run longer than ``max_string`` bytes covers a whole window of half that size at a
        multiple of it; only such windows are looked at closely.
        """
        limit = self.limits.max_string
        step = max(limit // 2, 1)
        start = 0
        for lo in range(0, len(data) - step + 1, step):
            if lo < start or data.find(b"<", lo, lo + step) != -1:
                continue
            a = data.rfind(b"<", 0, lo) + 1
            b = data.find(b"<", lo)
            b = len(data) if b < 0 else b
            start = b
            if b - a > limit and (b - a > self.hard or _text_length(b"<" + data[a:b]) > limit):
                self.fail(f"has a text or whitespace run of more than {limit:,} characters",
                          "max_string")

    def _cells(self, data, n_cells):
        self.cells += n_cells
        self._check_cells()
        if self.implicit:
            return  # positions are counted exactly afterwards
        with_r = _SIMPLE_CELL_R.findall(data)
        if len(with_r) != n_cells:
            with_r = _CELL_R.findall(data)
        n_rows = _count_tags(data, b"<row")
        if b":row" in data:
            n_rows += len(_PREFIXED_ROW.findall(data))
        rows_r = _SIMPLE_ROW_R.findall(data)
        if len(rows_r) != n_rows:
            rows_r = _ROW_R.findall(data)
        if self.implicit or len(with_r) != n_cells or len(rows_r) != n_rows:
            self.implicit = True  # the caller rescans this part exactly
            return
        if with_r:
            cols, rows = zip(*with_r)
            self._extend(max(map(int, set(rows))), max(map(_column_number, set(cols))))
        if rows_r:
            self._extend(max(map(int, rows_r)), 0)

    def exact_positions(self, chunks):
        """Positions as openpyxl assigns them, for parts with cells or rows without ``r``."""
        row = col = 0
        tail = b""
        for chunk, final in chunks:
            buf = tail + chunk
            cut = len(buf) if final else max(buf.rfind(b"<"), 0)
            for match in _TAG.finditer(buf, 0, cut):
                ref = _R_ATTR.search(match.group(2))
                ref = ref.group(1).decode("ascii", "replace") if ref else None
                if match.group(1) == b"row":
                    row = int(ref) if ref and ref.isdigit() else row + 1
                    col = 0
                else:
                    point = _CELL_REF.match(ref) if ref else None
                    if point:
                        row, col = int(point[2]), _column_number(point[1])
                    else:
                        col += 1
                    self._extend(row, col)
                self._extend(row, 0)
            tail = buf[cut:]

    def _extend(self, rows, cols):
        self.max_row, self.max_col = max(self.max_row, rows), max(self.max_col, cols)
        area = self.max_row * self.max_col
        if area > self.limits.max_area:
            self.fail(f"uses rows 1 to {self.max_row:,} and columns 1 to {self.max_col:,} "
                      f"({area:,} cells), more than the limit of {self.limits.max_area:,}",
                      "max_area")


@dataclass
class WorkbookSummary:
    """What :func:`check_workbook` measured (for messages and tests)."""

    scanned_bytes: int  # of the XML parts, all streamed once
    cells: int
    largest_area: int
    longest_shared_string: int


def check_workbook(path, *, role: str, limits: WorkbookLimits | None = None) -> WorkbookSummary:
    """Refuse a workbook beyond the limits before openpyxl loads it.

    Parameters
    ----------
    path : str or Path
        The ``.xlsx`` (or ``.xlsm``) file.
    role : str
        How messages name it: ``"orders input"``, ``"template"``, ... A ``"template"`` with
        macros is refused.
    limits : WorkbookLimits, optional
        Default: :meth:`WorkbookLimits.from_env`.

    Returns
    -------
    WorkbookSummary

    Raises
    ------
    FileError
        Not a zip, or beyond a limit; the message names the limit and how to raise it.
    TemplateError
        ``role="template"`` and the workbook has macros.

    Examples
    --------
    >>> import io, zipfile, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "tiny.xlsx")
    >>> with zipfile.ZipFile(path, "w") as z:
    ...     z.writestr("xl/worksheets/sheet1.xml",
    ...                '<worksheet><sheetData><row r="1048576"><c r="XFD1048576"><v>1</v>'
    ...                '</c></row></sheetData></worksheet>')
    >>> check_workbook(path, role="orders input")
    Traceback (most recent call last):
    ...
    loyalty_xl.errors.FileError: orders input tiny.xlsx: xl/worksheets/sheet1.xml uses rows 1 to 1,048,576 and columns 1 to 16,384 (17,179,869,184 cells), more than the limit of 4,000,000; set LOYALTY_XL_MAX_AREA to raise the limit
    """
    limits = limits or WorkbookLimits.from_env()
    path = Path(path)
    label = f"{role} {path.name}"
    template = role == "template"
    if template and path.suffix.lower() in (".xlsm", ".xltm", ".xlam"):
        raise TemplateError(f"{label}: templates with macros are not accepted; save it as an "
                            ".xlsx workbook without macros", argument="template")
    try:
        with open(path, "rb") as handle:
            _check_entry_count(handle, label, limits)
            archive = zipfile.ZipFile(handle)
            return _check_archive(archive, label, limits, template)
    except (FileError, TemplateError):
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError,
            ValueError, RuntimeError) as err:
        raise FileError(f"{label} is not a readable .xlsx workbook: "
                        f"{' '.join(str(err).split())[:200]}") from None
    except OSError as err:
        raise FileError(f"{label} could not be read: {err.strerror or err}") from None


def _check_entry_count(handle, label, limits):
    """Count the zip entries from the end record, before zipfile builds one object each."""
    try:
        end = zipfile._EndRecData(handle)  # stable since Python 2; guarded all the same
    except Exception:  # noqa: BLE001 - no usable end record: zipfile reports it next
        return
    finally:
        handle.seek(0)
    if end and end[zipfile._ECD_ENTRIES_TOTAL] > limits.max_parts:
        raise FileError(f"{label} has {end[zipfile._ECD_ENTRIES_TOTAL]:,} zip entries, more "
                        f"than the limit of {limits.max_parts:,}; {_raise_hint('max_parts')}")


def _check_archive(archive, label, limits, template):
    entries = archive.infolist()
    if len(entries) > limits.max_parts:
        raise FileError(f"{label} has {len(entries):,} zip entries, more than the limit of "
                        f"{limits.max_parts:,}; {_raise_hint('max_parts')}")
    max_bytes = limits.max_unzipped_mb << 20
    total = sum(e.file_size for e in entries)
    for entry in entries:
        name = entry.filename
        if template and "vbaproject" in name.lower().replace("\\", "/").rsplit("/", 1)[-1]:
            raise TemplateError(f"{label}: templates with macros are not accepted ({name}); "
                                "save it as an .xlsx workbook without macros",
                                argument="template")
        if entry.file_size > max_bytes:
            raise FileError(f"{label}: {name} unzips to {entry.file_size / 2**20:,.0f} MB, "
                            f"more than the limit of {limits.max_unzipped_mb:,} MB; "
                            f"{_raise_hint('max_unzipped_mb')}")
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > RATIO_FLOOR and ratio > limits.max_ratio:
            raise FileError(f"{label}: {name} is compressed {ratio:,.0f} to 1 (a zip bomb?), "
                            f"more than the limit of {limits.max_ratio:,}; "
                            f"{_raise_hint('max_ratio')}")
    if total > max_bytes:
        raise FileError(f"{label} unzips to {total / 2**20:,.0f} MB, more than the limit of "
                        f"{limits.max_unzipped_mb:,} MB; {_raise_hint('max_unzipped_mb')}")
    cells = largest = longest = 0
    streamed = 0
    for entry in entries:
        if entry.is_dir():
            continue
        name = entry.filename
        with archive.open(entry) as stream:
            head = stream.read(512)
        lowered = name.lower()
        if template and lowered == "[content_types].xml":
            content = archive.read(entry)
            if b"macroEnabled" in content or b"vbaProject" in content:
                raise TemplateError(f"{label}: templates with macros are not accepted (a "
                                    "macro-enabled workbook); save it as an .xlsx workbook "
                                    "without macros", argument="template")
        if not (lowered.endswith((".xml", ".rels", ".vml")) or head.lstrip().startswith(b"<")):
            continue  # pictures and other binary parts: their size is all that matters
        scan = _PartScan(label, name, limits, cells)
        streamed += _stream(archive, entry, scan, max_bytes - streamed)
        if scan.implicit:  # explicit positions seen so far stay valid: only extended
            scan.exact_positions(_chunks(archive, entry))
        cells += scan.cells
        if scan.table_cells > limits.max_cells:
            raise FileError(f"{label}: {name} declares a table of {scan.table_cells:,} cells, "
                            f"more than the limit of {limits.max_cells:,}; "
                            f"{_raise_hint('max_cells')}")
        area = scan.max_row * scan.max_col  # within the limit: _extend checks each step
        if scan.dimension:
            rows, cols, _ = _range_box(scan.dimension)
            if rows * cols > limits.max_area:
                raise FileError(f"{label}: {name} declares the dimension {scan.dimension} "
                                f"({rows * cols:,} cells), more than the limit of "
                                f"{limits.max_area:,}; {_raise_hint('max_area')}")
        largest = max(largest, area)
        longest = max(longest, scan.longest)
    return WorkbookSummary(streamed, cells, largest, longest)


def _chunks(archive, entry):
    with archive.open(entry) as stream:
        chunk = stream.read(CHUNK)
        while chunk:
            following = stream.read(CHUNK)
            yield chunk, not following
            chunk = following


def _stream(archive, entry, scan, budget):
    """Feed the part to ``scan``; the bytes really unzipped are counted against ``budget``."""
    tail, seen = b"", 0
    for chunk, final in _chunks(archive, entry):
        seen += len(chunk)
        if seen > budget:
            scan.fail(f"unzips to more than its zip directory says (limit "
                      f"{scan.limits.max_unzipped_mb:,} MB)", "max_unzipped_mb")
        tail = scan.feed(tail + chunk, final)
    if tail:
        scan.feed(tail, True)
    return seen
