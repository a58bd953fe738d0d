"""CSV and TSV exports as they come: encoding, delimiter, quoting, blank lines, extra header rows,
and where each row is in the file.

Rules (README, "Inputs"):

- Encoding, judged on the whole file in one streaming pass: a byte-order mark says UTF-8 or
  UTF-16; otherwise UTF-8 when every byte of the file is valid UTF-8, else Windows-1252 (Excel's
  "CSV" on a German or Western Windows), or Latin-1 for the five bytes Windows-1252 leaves
  undefined. Anything that is not UTF-8 is transcoded, streamed, to a private UTF-8 copy, because
  DuckDB reads UTF-8 exactly (its own "latin-1" is not Windows-1252: 0x80 is € there).
- Delimiter: ``,`` ``;`` tab or ``|``, the one that splits the first lines (quotes respected) into
  the same number of fields, most of them; an Excel ``sep=;`` first line decides it outright.
- Quote ``"`` (doubled inside a field), fields may hold newlines; blank lines are skipped; there
  is no comment character (a Shopify order id ``#1001`` is data).
- Qualtrics' two extra header rows (question texts, then ``{"ImportId": ...}``) are recognised by
  the ImportId row and skipped; other tools' extra rows are data, and show up as excluded rows.

Every detected choice can be overridden per input (:class:`ReadOptions`).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import os
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

from loyalty_xl.errors import FileError, InputError

CHUNK = 1 << 24
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}
SNIFF_BYTES = 1 << 18
SNIFF_RECORDS = 50


@dataclass(frozen=True)
class ReadOptions:
    """How to read one input, where the detection must be overridden.

    Parameters
    ----------
    encoding : str, optional
        Any encoding Python knows (``utf-8``, ``cp1252``, ``utf-16``, ``latin-1``...).
    delimiter : str, optional
        One character; ``tab`` for a tab.
    decimal : str, optional
        ``,`` or ``.``: the decimal separator of every number column of the input.
    date_format : str, optional
        The order of day and month in dates like 01/02/2025: ``dd/mm/yyyy`` (or ``dmy``),
        ``mm/dd/yyyy`` (``mdy``) or ``yyyy-mm-dd`` (``iso``: such dates are refused).

    Examples
    --------
    >>> ReadOptions.parse("decimal=,")
    ReadOptions(encoding=None, delimiter=None, decimal=',', date_format=None)
    >>> ReadOptions(date_format="dd.mm.yyyy").check().date_format
    'dmy'
    """

    encoding: str | None = None
    delimiter: str | None = None
    decimal: str | None = None
    date_format: str | None = None

    @classmethod
    def parse(cls, text: str, *, name: str = "read") -> ReadOptions:
        """``key=value`` -> ReadOptions (one key: values may hold commas)."""
        key, sep, value = str(text).partition("=")
        key = key.strip().replace("-", "_")
        if not sep or key not in {f.name for f in fields(cls)}:
            raise InputError("a read option must be encoding=..., delimiter=..., decimal=... "
                             "or date_format=...", argument=name, value=text)
        return cls(**{key: value}).check(name=name)

    def merge(self, other: ReadOptions) -> ReadOptions:
        return ReadOptions(**{f.name: getattr(other, f.name) or getattr(self, f.name)
                              for f in fields(self)})

    def check(self, *, name: str = "read") -> ReadOptions:
        """Validate and normalise (one-line InputError naming the option)."""
        encoding, delimiter, decimal, order = (self.encoding, self.delimiter, self.decimal,
                                               self.date_format)
        if encoding is not None:
            try:
                encoding = codecs.lookup(str(encoding).strip()).name
            except LookupError:
                raise InputError("encoding is not one Python knows (e.g. utf-8, cp1252, "
                                 "utf-16, latin-1)", argument=name, value=encoding) from None
        if delimiter is not None:
            text = str(delimiter)
            delimiter = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";",
                         "pipe": "|"}.get(text.strip().lower(), text)
            if len(delimiter) != 1 or delimiter in "\"\r\n":
                raise InputError("delimiter must be one character (or tab)", argument=name,
                                 value=text)
        if decimal is not None:
            decimal = {"comma": ",", "point": ".", "dot": "."}.get(str(decimal).strip().lower(),
                                                                    str(decimal).strip())
            if decimal not in (",", "."):
                raise InputError("decimal must be , or .", argument=name, value=self.decimal)
        if order is not None:
            key = "".join(ch for ch in str(order).lower() if ch in "dmy")
            key = "".join(dict.fromkeys(key))  # dd.mm.yyyy -> dmy
            names = {"dmy": "dmy", "mdy": "mdy", "ymd": "ymd"}
            if str(order).strip().lower() == "iso":
                key = "ymd"
            if key not in names:
                raise InputError("date_format must be dd/mm/yyyy, mm/dd/yyyy or yyyy-mm-dd",
                                 argument=name, value=order)
            order = names[key]
        return ReadOptions(encoding, delimiter, decimal, order)


def read_options(read, inputs) -> dict[str, ReadOptions]:
    """Per-input ReadOptions from the API's ``read=`` or the CLI's ``--read`` items.

    ``read`` is None, ``{"orders": ReadOptions(...) or {"decimal": ","} or "decimal=,"}``,
    or a list of ``"orders:decimal=,"`` strings (an item without ``input:`` applies to every
    input).

    >>> read_options(["orders:decimal=,", "encoding=cp1252"], ["orders", "spend"])["orders"]
    ReadOptions(encoding='cp1252', delimiter=None, decimal=',', date_format=None)
    """
    out = {name: ReadOptions() for name in inputs}
    if read is None:
        return out
    if isinstance(read, ReadOptions):
        read = {name: read for name in inputs}
    if isinstance(read, dict):
        for name, value in read.items():
            if name not in out:
                raise InputError(f"read options for an unknown input (inputs: "
                                 f"{', '.join(inputs)})", argument="read", value=name)
            if isinstance(value, ReadOptions):
                option = value.check(name=f"read {name}")
            elif isinstance(value, dict):
                try:
                    option = ReadOptions(**value).check(name=f"read {name}")
                except TypeError:
                    raise InputError("read options are encoding, delimiter, decimal and "
                                     "date_format", argument="read",
                                     value=", ".join(map(str, value))) from None
            else:
                option = ReadOptions.parse(value, name="read")
            out[name] = out[name].merge(option)
        return out
    if isinstance(read, str):
        read = [read]
    for item in read:
        text = str(item)
        head, colon, rest = text.partition(":")
        targets = inputs
        if colon and "=" not in head:
            if head.strip() not in out:
                raise InputError(f"--read must look like input:key=value with input one of "
                                 f"{', '.join(inputs)}", argument="read", value=text)
            targets, text = [head.strip()], rest
        option = ReadOptions.parse(text, name="read")
        for name in targets:
            out[name] = out[name].merge(option)
    return out


class LineMap:
    """Record number (0 = the file's first record) -> the line it starts on.

    Without blank lines or quoted newlines, record k starts on line k + 1. Every blank line and
    every newline inside a quoted field shifts the records after it by one line; only those are
    stored (``keys``: the first record each shift applies to), so the map stays small.

    >>> LineMap(np.array([2, 2, 5])).line(1), LineMap(np.array([2, 2, 5])).line(2)
    (2, 5)
    """

    def __init__(self, keys=None):
        self.keys = np.asarray(keys if keys is not None else [], dtype=np.int64)

    def line(self, record: int) -> int:
        return int(record) + 1 + int(np.searchsorted(self.keys, int(record), side="right"))


@dataclass
class CsvFile:
    """A CSV file ready for DuckDB: what was detected and the UTF-8 file to read."""

    source: Path
    path: Path  # the UTF-8 file DuckDB reads (the source itself, or a private copy)
    encoding: str  # as shown: "UTF-8", "UTF-8 (BOM)", "Windows-1252", "UTF-16 LE (BOM)"
    delimiter: str
    header: list[str]
    skip_lines: int  # lines before the header (Excel's sep= line)
    first_data: int  # record number of the first data row (counting the skipped lines)
    lines: LineMap = field(default_factory=LineMap)
    notes: list[str] = field(default_factory=list)
    unclosed: int | None = None  # the line where a quoted field opens and never closes

    @property
    def delimiter_name(self) -> str:
        return DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))


def _open(path: Path):
    if "".join(path.suffixes).lower().endswith(".gz"):
        return gzip.open(path, "rb")
    return open(path, "rb")


def _bom(head: bytes):
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", "UTF-8 (BOM)"
    if head.startswith(codecs.BOM_UTF16_LE) and not head.startswith(codecs.BOM_UTF32_LE):
        return "utf-16", "UTF-16 LE (BOM)"
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16", "UTF-16 BE (BOM)"
    return None, None


def _shown(codec: str) -> str:
    return {"utf-8": "UTF-8", "cp1252": "Windows-1252", "latin-1": "Latin-1",
            "iso8859-1": "Latin-1", "utf-16": "UTF-16", "utf-8-sig": "UTF-8 (BOM)"}.get(
        codec, codec)


class _Scanner:
    """One streaming pass over UTF-8-compatible bytes: the line map (quote parity at every
    newline; blank lines) and, optionally, whether the bytes are valid UTF-8."""

    def __init__(self, quote=b'"', validate=True):
        self.quote = quote[0]
        self.decoder = codecs.getincrementaldecoder("utf-8")() if validate else None
        self.utf8 = validate
        self.offset = 0  # bytes before this chunk
        self.quotes = 0  # quote characters before this chunk
        self.records = 0  # records ended before this chunk
        self.last_end = -1  # global position of the last record-ending newline
        self.last_byte = 10
        self.keys = []
        self.lf = self.crlf = 0  # line feeds, and those after a carriage return

    @property
    def mixed_newlines(self) -> bool:
        """Some lines end in CR LF and others in LF alone (a file edited on two systems)."""
        return 0 < self.crlf < self.lf

    def feed(self, chunk: bytes, final=False):
        self.lf += chunk.count(b"\n")
        self.crlf += chunk.count(b"\r\n")
        if self.decoder is not None:
            try:
                self.decoder.decode(chunk, final)
            except UnicodeDecodeError:
                self.utf8, self.decoder = False, None
        if not chunk:
            return
        arr = np.frombuffer(chunk, dtype=np.uint8)
        newlines = np.flatnonzero(arr == 10)
        quotes = np.flatnonzero(arr == self.quote)
        if len(newlines):
            quoted = ((self.quotes + np.searchsorted(quotes, newlines)) & 1).astype(bool)
            ends = newlines[~quoted]
            records_before = self.records
            record_end = np.zeros(0, dtype=bool)
            if len(ends):
                prev = np.empty_like(ends)
                prev[0] = self.last_end - self.offset
                prev[1:] = ends[:-1]
                before = np.where(ends > 0, arr[np.maximum(ends - 1, 0)], self.last_byte)
                blank = (ends - prev == 1) | ((ends - prev == 2) & (before == 13))
                record_end = ~blank
                done_before = records_before + np.cumsum(record_end) - record_end
                # a blank line shifts the records from the next one on
                self.keys.append(done_before[blank])
                self.records += int(record_end.sum())
                self.last_end = self.offset + int(ends[-1])
            if quoted.any():
                # a newline inside a quoted field of record m shifts records m + 1 on
                qpos = newlines[quoted]
                done = np.concatenate([[0], np.cumsum(record_end)])
                ended = records_before + done[np.searchsorted(ends, qpos)]
                self.keys.append(ended + 1)
        self.quotes += len(quotes)
        self.offset += len(arr)
        self.last_byte = int(arr[-1])

    def unclosed(self, lines: LineMap):
        """The line of the record a never-closed quote is in, or None."""
        return lines.line(self.records) if self.quotes & 1 else None

    def line_map(self) -> LineMap:
        if not self.keys:
            return LineMap()
        keys = np.concatenate(self.keys)
        keys.sort(kind="stable")
        return LineMap(keys)


def _transcode(source: Path, target: Path, codec: str, *, lf_only: bool = False) -> None:
    """Stream ``source`` in ``codec`` to UTF-8 ``target`` (no BOM); with ``lf_only`` every
    CR LF becomes LF (DuckDB reads one kind of line ending per file)."""
    decoder = codecs.getincrementaldecoder(codec)()
    held = ""  # a CR at the end of a chunk, until the next shows whether LF follows
    with _open(source) as raw, open(target, "wb") as out:
        while True:
            chunk = raw.read(CHUNK)
            text = decoder.decode(chunk, not chunk)
            if text:
                if text[0] == "\ufeff" and out.tell() == 0 and not held:
                    text = text[1:]
                if lf_only:
                    text = held + text
                    held = "\r" if chunk and text.endswith("\r") else ""
                    text = (text[:-1] if held else text).replace("\r\n", "\n")
                out.write(text.encode("utf-8"))
            if not chunk:
                out.write(held.encode("utf-8"))
                break


def _decodes(path: Path, codec: str) -> bool:
    decoder = codecs.getincrementaldecoder(codec)()
    with _open(path) as raw:
        try:
            while chunk := raw.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", True)
        except UnicodeDecodeError:
            return False
    return True


def open_csv(path: Path, options: ReadOptions, folder: Path, stem: str, *,
             label: str) -> CsvFile:
    """Detect how ``path`` is written and make the UTF-8 file DuckDB reads.

    ``folder`` is the engine's private folder (transcoded copies go there, named ``stem``).
    Raises FileError for a file that cannot be read, InputError for a bad option.
    """
    with _open(path) as raw:
        try:
            head = raw.read(4)
        except OSError as err:
            raise FileError(f"{label}: cannot be read ({err})") from None
    codec, shown = _bom(head)
    if options.encoding:
        codec, shown = options.encoding, _shown(options.encoding)
    elif codec is None and len(head) >= 4 and head[1] == 0 and head[3] == 0 and head[0]:
        raise FileError(f"{label} looks like UTF-16 without a byte-order mark; say which, e.g. "
                        "--read <input>:encoding=utf-16-le")
    ascii_compatible = codec is None or codecs.lookup(codec).name not in (
        "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be")
    target = path
    if ascii_compatible:  # one pass: validity and line map on the original bytes
        scanner = _Scanner(validate=codec is None)
        with _open(path) as raw:
            while chunk := raw.read(CHUNK):
                scanner.feed(chunk)
        scanner.feed(b"", final=True)
        if codec is None:
            if scanner.utf8:
                codec, shown = "utf-8", "UTF-8"
            elif _decodes(path, "cp1252"):
                codec, shown = "cp1252", "Windows-1252"
            else:
                codec, shown = "latin-1", "Latin-1"
        lines = scanner.line_map()
        unclosed = scanner.unclosed(lines)
        needs_copy = codecs.lookup(codec).name not in ("utf-8",) or \
            path.suffix.lower() == ".gz" or scanner.mixed_newlines
        if needs_copy:
            target = folder / f"{stem}.csv"
            _transcode(path, target, codec, lf_only=scanner.mixed_newlines)
    else:
        target = folder / f"{stem}.csv"
        try:
            _transcode(path, target, codec)
        except UnicodeDecodeError as err:
            raise FileError(f"{label} is not valid {shown} (byte {err.start}); name the "
                            "encoding with --read <input>:encoding=...") from None
        scanner = _Scanner(validate=False)
        with open(target, "rb") as raw:
            while chunk := raw.read(CHUNK):
                scanner.feed(chunk)
        if scanner.mixed_newlines:
            _transcode(path, target, codec, lf_only=True)
        lines = scanner.line_map()
        unclosed = scanner.unclosed(lines)
    if options.encoding and ascii_compatible and codec != "utf-8":
        if not _decodes(path, codec):
            raise FileError(f"{label} is not valid {shown}; check --read <input>:encoding=...")
    found = _dialect(path, target, shown, lines, options, label)
    found.unclosed = unclosed
    return found


def _sample(target: Path) -> str:
    with open(target, "rb") as raw:
        data = raw.read(SNIFF_BYTES)
    text = data.decode("utf-8", errors="ignore")
    text = text.removeprefix("\ufeff")
    return text


def _records(text: str, delimiter: str, limit=SNIFF_RECORDS):
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"',
                        doublequote=True, strict=False)
    out = []
    try:
        for row in reader:
            if row:
                out.append(row)
            if len(out) >= limit:
                break
    except csv.Error:
        pass
    return out


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first records into the same number (> 1) of fields.

    >>> sniff_delimiter('id;name;amount\\n1;"a, b";1,5\\n')
    ';'
    >>> sniff_delimiter('a\\tb\\n1\\t2\\n')
    '\\t'
    """
    # the last record of a sample may be cut off
    body = text if len(text) < SNIFF_BYTES - 16 else text[:text.rfind("\n") + 1]
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        rows = _records(body, delimiter)
        if not rows:
            continue
        width = len(rows[0])
        if width < 2:
            continue
        agree = sum(len(r) == width for r in rows) / len(rows)
        score = (agree, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _dialect(source, target, shown, lines, options, label) -> CsvFile:
    text = _sample(target)
    skip, notes = 0, []
    first_line = text.split("\n", 1)[0].strip("\r")
    delimiter = options.delimiter
    if first_line.lower().startswith("sep=") and len(first_line) == 5:
        delimiter = delimiter or first_line[4]
        skip = 1
        text = text.split("\n", 1)[1] if "\n" in text else ""
    if delimiter is None:
        delimiter = sniff_delimiter(text)
    rows = _records(text, delimiter, limit=3)
    if not rows:
        raise InputError(f"{label} is empty (no header line)")
    header = _header(rows[0])
    first_data = skip + 1
    if len(rows) >= 3 and _import_ids(rows[2]):
        first_data += 2
        notes.append("skipped 2 extra header rows (Qualtrics)")
    if skip:
        notes.append(f"delimiter from the file's sep={delimiter} line")
    return CsvFile(source, target, shown, delimiter, header, skip, first_data, lines, notes)


def _import_ids(row) -> bool:
    filled = [v for v in row if v.strip()]
    return bool(filled) and sum(v.strip().startswith('{"ImportId"') for v in filled) * 2 >= len(
        filled)


def _header(row) -> list[str]:
    names, seen = [], set()
    for i, name in enumerate(row):
        name = name.strip() or f"column {i + 1}"
        base, n = name, 2
        while name.lower() in seen:
            name, n = f"{base} ({n})", n + 1
        seen.add(name.lower())
        names.append(name)
    return names


def first_bad_record(csv_file: CsvFile, limit_records=None):
    """(line, fields found, the line's text) of the first record whose field count differs
    from the header's, or None (for the error message when DuckDB refuses the file)."""
    csv.field_size_limit(1 << 30)
    width = len(csv_file.header)
    with open(csv_file.path, encoding="utf-8", errors="replace", newline="") as handle:
        for _ in range(csv_file.skip_lines):
            handle.readline()
        reader = csv.reader(handle, delimiter=csv_file.delimiter, quotechar='"',
                            doublequote=True, strict=False)
        last = csv_file.skip_lines
        try:
            for row in reader:
                start = last + 1
                last = reader.line_num + csv_file.skip_lines
                if row and len(row) != width:
                    text = csv_file.delimiter.join(row)
                    return start, len(row), text
        except csv.Error as err:
            return last + 1, None, str(err)
    return None


def sql_string(text: str) -> str:
    """A SQL string literal (single quotes doubled)."""
    return "'" + str(text).replace("'", "''") + "'"


def read_csv_sql(csv_file: CsvFile, record_column: str) -> tuple[str, bool]:
    """The DuckDB query of the file: every column as text, no detection; and whether it
    numbers the records itself (``record_column``, with a window: only when extra header rows
    must be dropped; otherwise the column is null and the engine numbers the rows it keeps
    from their insertion order, which costs nothing)."""
    columns = "{" + ", ".join(f"{sql_string(c)}: 'VARCHAR'" for c in csv_file.header) + "}"
    windowed = csv_file.first_data != csv_file.skip_lines + 1
    options = ", ".join([
        f"delim={sql_string(csv_file.delimiter)}", "quote='\"'", "escape='\"'",
        f"header={'false' if windowed else 'true'}", f"skip={csv_file.skip_lines}",
        "auto_detect=false", f"columns={columns}", "comment=''", "strict_mode=true",
        "null_padding=false", "ignore_errors=false", "allow_quoted_nulls=true",
        "compression='none'"])
    source = f"read_csv({sql_string(os.fspath(csv_file.path))}, {options})"
    if not windowed:
        return f"SELECT *, NULL::BIGINT AS {record_column} FROM {source}", False
    return (f"SELECT * FROM (SELECT *, row_number() OVER () - 1 + {csv_file.skip_lines} AS "
            f"{record_column} FROM {source}) WHERE {record_column} >= {csv_file.first_data}",
            True)
