"""Inputs of the period engine: files, sheets, DataFrames or Ibis tables, as Ibis tables.

A source is one of:

- a path to a CSV (``.csv``, ``.csv.gz``, ``.tsv``) or Parquet (``.parquet``) file;
- a path to an Excel workbook, optionally with ``#name`` for a sheet or an Excel Table
  (``book.xlsx#Orders``); without a name, the first sheet;
- a path to a DuckDB database with ``#table`` (``shop.duckdb#orders``);
- a pandas DataFrame;
- an Ibis table (on the engine's connection or any other backend Ibis supports).

Every table gets a ``_row`` column that locates the row for the data-quality report: the Excel
row, the DataFrame position + 1, or for a CSV file its record number, which
:meth:`Source.where` turns into the line the record starts on (blank lines and quoted newlines
counted).

Paths are paths: a file name with ``#``, ``?``, ``*``, ``[`` or a quote reads that file and
nothing else. DuckDB only ever sees links (or UTF-8 copies) in a private folder of the run, under
names of our own making, and its file access is limited to that folder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import ibis
import pandas as pd

from loyalty_xl.engine.csv_dialect import ReadOptions
from loyalty_xl.errors import FileError, InputError, LoyaltyXLError
from loyalty_xl.workbook_limits import check_workbook

# Column contracts: required columns, then optional ones.
CONTRACTS = {
    "orders": (("customer_id", "order_date", "amount"), ("order_id", "segment")),
    "responses": (("answered_at", "metric", "score"),
                  ("respondent_id", "customer_id", "segment", "weight")),
    "spend": (("amount",), ("date", "period", "kind", "channel")),
    "members": (("customer_id", "joined_at"), ()),
    "events": (("customer_id", "date", "kind", "points"), ()),
}


@dataclass
class Source:
    """One input, loaded: the table with canonical column names and ``_row``.

    ``kind`` is csv, parquet, workbook, duckdb, frame or table; ``read`` the options given for
    it; ``detected`` what was found out about the file (encoding, delimiter; the parsing adds
    decimal and date format); ``locate`` turns a ``_row`` into the line or row the user sees.
    """

    name: str
    label: str  # how the data-quality report names it: a file name, "DataFrame", ...
    table: ibis.Table
    columns: tuple[str, ...] = field(default=())
    mapped: tuple[str, ...] = field(default=())  # the --map keys this input used
    kind: str = "table"
    read: ReadOptions = field(default_factory=ReadOptions)
    detected: dict[str, str] = field(default_factory=dict)
    locate: Callable[[int], int] | None = None
    notes: list[str] = field(default_factory=list)
    delimiter: str | None = None
    explain: Callable[[Exception], Exception] | None = None  # a reader error, in our words
    # When set, ``_row`` is null in ``table`` and a kept table's rows are numbered from their
    # insertion order (rowid + row_offset): a CSV read in parallel, without a window.
    row_offset: int | None = None

    def numbered(self, table=None):
        """``table`` (default: the source) with ``_row`` filled in, for the few queries that
        look rows up before anything is kept (error messages)."""
        table = self.table if table is None else table
        if self.row_offset is None:
            return table
        return table.mutate(_row=ibis.row_number() + self.row_offset)

    def where(self, row: int) -> int:
        """The line (CSV) or row (workbook, DataFrame) of ``_row``."""
        return self.locate(row) if self.locate is not None else int(row)


def parse_mapping(items) -> dict[str, str]:
    """``["order_date=Bestelldatum", "members:customer_id=Nr"]`` ->
    {"order_date": "Bestelldatum", "members:customer_id": "Nr"}.

    ``column=Source`` maps the column in every input that has a column ``Source`` (an input
    without it keeps its own ``column``); ``input:column=Source`` maps it in that input only.
    A column no input has is an error, so is a name that is no input's column.
    """
    mapping = {}
    for item in items or ():
        key, sep, source = str(item).partition("=")
        key, source = key.strip(), source.strip()
        if not sep or not key or not source:
            raise InputError("a column mapping must look like column=SourceColumn or "
                             "input:column=SourceColumn", argument="map", value=item)
        name, _, column = key.rpartition(":")
        if name and name not in CONTRACTS:
            raise InputError(f"a column mapping names an input that does not exist (inputs: "
                             f"{', '.join(CONTRACTS)})", argument="map", value=item)
        allowed = {c for n, (req, opt) in CONTRACTS.items() if not name or n == name
                   for c in req + opt}
        if column not in allowed:
            raise InputError(f"a column mapping names a column {'of ' + name + ' ' if name else ''}"
                             f"that does not exist (columns: {', '.join(sorted(allowed))})",
                             argument="map", value=item)
        mapping[key] = source
    return mapping


def unused_mappings(mapping: dict[str, str], sources: dict) -> list[str]:
    """The mappings no loaded input used (a typo in a column name), as ``key=Source``."""
    used = {key for src in sources.values() for key in getattr(src, "mapped", ())}
    return [f"{key}={source}" for key, source in mapping.items() if key not in used]


def load(con, name: str, spec, mapping: dict[str, str] | None = None,
         read: ReadOptions | None = None) -> Source:
    """Load input ``name`` from ``spec`` and check its columns against the contract."""
    required, optional = CONTRACTS[name]
    src = _read(con, name, spec, read or ReadOptions())
    table, label, row_column = src.table, src.label, "_row"
    mapping = mapping or {}
    present = [c for c in table.columns if c != row_column]
    renames, found, mapped = {}, [], []
    for column in required + optional:
        own = f"{name}:{column}"
        key = own if own in mapping else column if column in mapping else None
        source_column = mapping[key] if key else column
        match = _find(present, source_column)
        if match is not None and key:
            mapped.append(key)
        elif match is None and key == column:  # a shared mapping this input does not need
            match, source_column = _find(present, column), column
        if match is not None and _find(present, f"{match} (2)") is not None:
            raise InputError(f"{name} input {label} has the column {_shown(match)!r} twice; "
                             "rename one, or map the one to use with --map", argument=name)
        if match is None:
            if column in required:
                raise InputError(
                    f"{name} input {label} has no column {_shown(source_column)!r}"
                    f"{f' (for {column})' if source_column != column else ''}; "
                    f"its columns are: {_cap(present) or 'none'}",
                    argument=name)
            continue
        renames[column] = match
        found.append(column)
    if name == "spend" and not {"date", "period"} & set(found):
        raise InputError(f"spend input {label} needs a column 'date' or 'period'; its "
                         f"columns are: {_cap(present)}", argument=name)
    row = {"_row": table[row_column]} if row_column in table.columns else {}
    src.table = table.select(**{c: table[renames[c]] for c in found}, **row)
    src.columns = tuple(found)
    src.mapped = tuple(mapped)
    return src


def _shown(text) -> str:
    """A name or value for a message: terminal escapes and control characters removed."""
    from loyalty_xl.safe_text import terminal_text

    return terminal_text(text)


def _find(present, wanted):
    if wanted in present:
        return wanted
    lowered = {str(c).strip().lower(): c for c in present}
    return lowered.get(str(wanted).strip().lower())


WORKBOOKS = (".xlsx", ".xlsm")
DATABASES = (".duckdb", ".db", ".ddb")
CSVS = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".txt.gz")
PARQUETS = (".parquet", ".pq")


def resolve(text: str, name: str = "the") -> tuple[Path, str | None]:
    """A source string -> (path, sheet or table name).

    The whole string is the path when it names an existing file or folder (whatever it
    contains: ``#``, ``?``, ``*``, ``[``, quotes). Otherwise ``#`` starts a sheet or table name
    only after a part that is an existing workbook or database file.

    >>> resolve("no/such/file.csv", "orders")
    Traceback (most recent call last):
    ...
    loyalty_xl.errors.FileError: orders input no/such/file.csv does not exist
    """
    path = Path(text)
    if path.exists():
        return path, None
    position = text.find("#")
    while position != -1:
        head = Path(text[:position])
        if head.is_file() and _suffixes(head).endswith(WORKBOOKS + DATABASES):
            return head, text[position + 1:]
        position = text.find("#", position + 1)
    raise FileError(f"{name} input {text} does not exist", argument=name)


def _suffixes(path: Path) -> str:
    return "".join(path.suffixes[-2:]).lower()


def _read(con, name, spec, read: ReadOptions) -> Source:
    """The table with ``_row`` (how the user finds the row: see Source.where)."""
    if isinstance(spec, pd.DataFrame):
        table = ibis.memtable(_text_frame(spec))
        return Source(name, "DataFrame", table.mutate(_row=ibis.row_number() + 1), kind="frame",
                      read=read)
    if isinstance(spec, ibis.Table):  # no row numbers: they need a global ordering
        return Source(name, "Ibis table", spec, kind="table", read=read)
    if con.name == "pyspark" and "://" in str(spec):  # a cluster's storage: Spark reads it
        text = str(spec)
        try:
            table = _read_spark(con, name, text, text.lower(), read)
        except Exception as err:
            raise FileError(f"{name} input {text} could not be read: "
                            f"{' '.join(str(err).split())[:300]}", argument=name) from None
        return Source(name, Path(text).name, table, kind="table", read=read)
    path, part = resolve(str(spec), name)
    if path.is_dir():
        raise FileError(f"{name} input {path} is a folder, not a file", argument=name)
    suffixes = _suffixes(path)
    label = path.name
    try:
        if con.name == "pyspark" and suffixes.endswith(CSVS + PARQUETS):
            return Source(name, label, _read_spark(con, name, path, suffixes, read),
                          kind="table", read=read)
        if suffixes.endswith(CSVS):
            return _read_csv(con, name, path, read)
        if suffixes.endswith(PARQUETS):
            link = private_path(con, path, name, ".parquet")
            if con.name == "duckdb":  # the row number for free, without a window
                table = con.read_parquet(str(link), table_name=_table_name(name),
                                         file_row_number=True)
                table = table.rename(_row="file_row_number").mutate(_row=ibis._._row + 1)
            else:
                table = con.read_parquet(str(link), table_name=_table_name(name))
                table = table.mutate(_row=ibis.row_number() + 1)
            return Source(name, label, table, kind="parquet", read=read)
        if suffixes.endswith(WORKBOOKS):
            if name == "responses" and not part:
                survey = read_survey_template(path)
                if survey is not None:
                    table = ibis.memtable(survey).rename(_row="excel_row")
                    return Source(name, f"{path.name} (survey template)", table,
                                  kind="workbook", read=read)
            frame, header_row, where = read_workbook(path, part or None, name)
            table = ibis.memtable(_text_frame(frame)).mutate(
                _row=ibis.row_number() + header_row + 1)
            return Source(name, f"{path.name}{where}", table, kind="workbook", read=read)
        if suffixes.endswith(DATABASES):
            if not part:
                raise InputError(f"{name} input {path}: name the table, e.g. "
                                 f"{path.name}#{name}", argument=name)
            _check_duckdb_file(path, name)
            alias = _table_name(name)
            link = private_path(con, path, name, ".duckdb")
            con.attach(str(link), name=alias, read_only=True)  # read in place, no copy
            table = con.table(part, database=alias)
            return Source(name, f"{path.name}#{part}", table.mutate(_row=ibis.row_number() + 1),
                          kind="duckdb", read=read)
    except LoyaltyXLError:
        raise
    except Exception as err:  # the reader's own message, on one line
        raise FileError(f"{name} input {path} could not be read: "
                        f"{' '.join(str(err).split())[:300]}", argument=name) from None
    raise FileError(f"{name} input {path}: unknown file type (use .csv, .tsv, .parquet, .xlsx "
                    "or .duckdb#table)", argument=name)


def _check_duckdb_file(path: Path, name: str) -> None:
    """Only DuckDB files are attached: SQLite and others would make DuckDB load (and try to
    download) an extension."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError as err:
        raise FileError(f"{name} input {path} cannot be read ({err.strerror})",
                        argument=name) from None
    if head[8:12] != b"DUCK":
        kind = "a SQLite database" if head.startswith(b"SQLite format 3") else "not a DuckDB file"
        raise FileError(f"{name} input {path} is {kind}; only DuckDB databases (and CSV, Parquet, "
                        "xlsx files) are read", argument=name)


def private_folder(con) -> Path:
    """The run's private folder on ``con``: links to (or UTF-8 copies of) the input files, so
    DuckDB only ever sees paths of our own making (no globbing, nothing to quote), and its
    file access can be limited to this folder."""
    import tempfile

    from loyalty_xl.engine.backend import no_extensions

    holder = getattr(con, "_loyalty_xl_inputs", None)
    if holder is None:
        holder = tempfile.TemporaryDirectory(prefix="loyalty-xl-inputs-")
        con._loyalty_xl_inputs, con._loyalty_xl_files = holder, []
        no_extensions(con)
    return Path(holder.name)


def lock(con) -> None:
    """After the inputs are loaded: the engine's DuckDB may touch nothing but them."""
    from loyalty_xl.engine.backend import restrict_file_access

    folder = private_folder(con)
    restrict_file_access(con, folder, con._loyalty_xl_files)


def private_path(con, path: Path, name: str, suffix: str) -> Path:
    """A link in the private folder to ``path`` (a copy where links are not allowed)."""
    import os
    import shutil

    link = private_folder(con) / f"{_table_name(name)}{suffix}"
    target = path.resolve()
    con._loyalty_xl_files.append(target)
    for make in (os.symlink, os.link, shutil.copyfile):
        try:
            make(target, link)
            return link
        except OSError:
            continue
    raise FileError(f"{name} input {path} cannot be read (no link or copy possible)",
                    argument=name)


RECORD = "_loyalty_record"


def _read_csv(con, name, path: Path, read: ReadOptions) -> Source:
    import duckdb

    from loyalty_xl.engine.csv_dialect import open_csv, read_csv_sql

    folder = private_folder(con)
    stem = _table_name(name)
    csv_file = open_csv(path, read, folder, stem, label=f"{name} input {path.name}")
    if csv_file.path == path:
        csv_file.path = private_path(con, path, name, ".csv")
    if con.name != "duckdb":
        raise InputError(f"{name} input {path.name}: CSV files are read on the embedded DuckDB; "
                         "pass a table of your backend instead", argument=name)
    view = _table_name(name)
    query, numbered = read_csv_sql(csv_file, RECORD)
    try:
        con.con.execute(f'CREATE TEMP VIEW "{view}" AS {query}').fetchall()
    except duckdb.Error as err:
        raise _csv_error(name, path, csv_file, err) from None
    table = con.table(view).rename(_row=RECORD)
    detected = {"encoding": csv_file.encoding, "delimiter": csv_file.delimiter_name}
    return Source(name, path.name, table, kind="csv", read=read, detected=detected,
                  locate=csv_file.lines.line, notes=list(csv_file.notes),
                  delimiter=csv_file.delimiter,
                  explain=lambda err: _csv_error(name, path, csv_file, err),
                  row_offset=None if numbered else csv_file.skip_lines + 1)


def _csv_error(name, path, csv_file, err):
    """DuckDB's refusal of a CSV file as one line naming the line and what is wrong."""
    import re

    from loyalty_xl.engine.csv_dialect import first_bad_record

    where = f"{name} input {path.name}"
    if csv_file.unclosed is not None:
        return FileError(f"{where}, line {csv_file.unclosed}: a quoted field is never closed "
                         '(a " without its closing ")', argument=name)
    bad = first_bad_record(csv_file)
    if bad is not None:
        line, found, text = bad
        if found is None:
            return FileError(f"{where}, line {line}: cannot be read ({text})", argument=name)
        return FileError(f"{where}, line {line}: {found} fields where the header has "
                         f"{len(csv_file.header)} (delimiter {csv_file.delimiter_name}); got "
                         f"{_shown(text[:80])!r}", argument=name)
    message = str(err)
    parts = [p.strip() for p in message.split("\n\n")]
    reason = parts[1] if len(parts) > 1 and not parts[1].startswith("Possible") else parts[0]
    line = re.search(r"Line: (\d+)", message)
    at = f", near line {line.group(1)}" if line else ""
    return FileError(f"{where}{at} could not be read: {_shown(' '.join(reason.split())[:200])}",
                     argument=name)


def _cap(names, limit=12) -> str:
    shown = [_shown(n)[:40] for n in names[:limit]]
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(shown) + more


def _read_spark(con, name, path, suffixes, read=None):
    """A CSV or Parquet file (or folder) read by Spark's own readers (CSV: every column as
    text, with a header; tab-separated for .tsv; anything not named .csv, .tsv or .txt is
    Parquet, e.g. a folder of part files), distributed, without row numbers. Spark does not
    detect a CSV's encoding or delimiter: the read options give them (UTF-8 and , otherwise)."""
    csv = suffixes.rstrip("/").endswith((".csv", ".csv.gz", ".tsv", ".txt", ".tsv.gz"))
    if read is not None and (read.decimal or read.date_format):
        raise InputError(f"{name} input {Path(str(path)).name}: on Spark the read options "
                         "decimal and date_format are not supported (dates must be ISO, "
                         "numbers use a decimal point); use the embedded engine, or convert "
                         "the file", argument=name)
    if not csv:
        return con.read_parquet(str(path), table_name=_table_name(name))
    sep = (read.delimiter if read is not None and read.delimiter else
           "\t" if ".tsv" in suffixes else ",")
    options = {"encoding": _java_charset(read.encoding)} if read is not None and read.encoding \
        else {}
    return con.read_csv(str(path), table_name=_table_name(name), header=True, sep=sep,
                        inferSchema=False, **options)


def _java_charset(encoding: str) -> str:
    """Python's codec name as Spark (Java) spells it: iso8859-1 -> iso-8859-1,
    utf-16-le -> utf-16le, ascii -> us-ascii. (Spark's CSV reader knows only a few.)"""
    import codecs

    name = codecs.lookup(encoding).name
    name = name.replace("iso8859", "iso-8859").replace("utf-16-", "utf-16")
    return {"ascii": "us-ascii"}.get(name.replace("utf-32-", "utf-32"), name.replace(
        "utf-32-", "utf-32"))


_counter = iter(range(1, 1 << 62))


def _table_name(name):
    return f"loyalty_{name}_{next(_counter)}"


def _number_text(value) -> str:
    """A number stored as a number (a workbook cell, a float in a DataFrame's text column) as
    exact text without a decimal separator, so it never counts as evidence for a decimal point
    or comma when the column's separator is decided: 2.5 -> "25e-1", 10.0 -> "10".

    >>> _number_text(2.5), _number_text(10.0), _number_text(45689), _number_text(-0.125)
    ('25e-1', '10', '45689', '-125e-3')
    """
    import decimal

    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    sign, digits, exponent = decimal.Decimal(repr(float(value))).as_tuple()
    if not isinstance(exponent, int):  # inf, nan: their own words
        return repr(float(value))
    text = "".join(map(str, digits)).lstrip("0") or "0"
    return f"{'-' if sign else ''}{text}{f'e{exponent}' if exponent else ''}"


def _value_text(value):
    """A cell or DataFrame value as the text the parsing reads (None stays None)."""
    import numbers

    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        if isinstance(value, float) and value != value:
            return None
        return _number_text(value)
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    return _cell_text(value)


def _text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns as strings (so Ibis sees one type), other columns untouched."""
    out = frame.copy()
    out.columns = [str(c) for c in out.columns]
    for column in out.columns:
        if out[column].dtype == object or str(out[column].dtype).startswith("string"):
            values = out[column].astype(object)
            out[column] = values.map(_value_text).astype(object)
    return out


def read_workbook(path: Path, part: str | None, name: str):
    """A sheet or an Excel Table of a workbook as a DataFrame of cell values.

    Returns (frame, header row number, " (sheet)" label). openpyxl reads through defusedxml
    when it is installed (a dependency of loyalty-xl), so untrusted workbooks are safe to read.
    """
    import openpyxl

    check_workbook(path, role=f"{name} input")  # bombs refused before openpyxl loads them
    book = openpyxl.load_workbook(path, data_only=True)
    sheet, cells_range, where = None, None, ""
    if part:
        if part in book.sheetnames:
            sheet, where = book[part], f" (sheet {part})"
        else:
            for ws in book.worksheets:
                for table_name, ref in ws.tables.items():
                    if table_name.lower() == part.lower():
                        sheet, cells_range, where = ws, ref, f" (table {table_name})"
            if sheet is None:
                tables = [t for ws in book.worksheets for t in ws.tables]
                raise LoyaltyXLError(
                    f"{name} input {path.name} has no sheet or table {part!r}; sheets: "
                    f"{', '.join(book.sheetnames)}; tables: {', '.join(tables) or 'none'}",
                    argument=name)
    else:
        sheet = book.worksheets[0]
    if cells_range:
        rows = [[c.value for c in row] for row in sheet[cells_range]]
        header_row = sheet[cells_range][0][0].row
    else:
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        header_row = 1
        while rows and all(v is None for v in rows[0]):  # leading empty rows
            rows.pop(0)
            header_row += 1
    if not rows:
        return pd.DataFrame(), header_row, where
    header = [str(h).strip() if h is not None else f"column {i + 1}"
              for i, h in enumerate(rows[0])]
    body = rows[1:]
    while body and all(v is None or str(v).strip() == "" for v in body[-1]):
        body.pop()  # trailing empty rows are not data
    frame = pd.DataFrame(body, columns=header, dtype=object)
    for column in frame.columns:  # dates and numbers as text, as in a CSV export
        frame[column] = frame[column].map(_value_text)
    return frame, header_row, where


SURVEY_TABLES = {"NPSAnswers": ["nps"], "CSATAnswers": ["csat"], "CESAnswers": ["ces"],
                 "CLIAnswers": ["cli_recommend", "cli_buy_again", "cli_other_products"]}


def read_survey_template(path: Path):
    """A filled survey template (loyalty-xl templates) as long-format responses, or None.

    Each answer becomes a row (answered_at, metric, score, respondent_id, segment, excel_row);
    the CLI table's rows are respondents. Rows with no answer at all are not answers. A score
    cell holding text keeps Excel's leading apostrophe ('9), so the engine can tell a number
    stored as text (an invalid answer, :mod:`loyalty_xl.kpis.answers`) from the number 9.
    """
    import openpyxl

    check_workbook(path, role="responses input")  # bombs refused before openpyxl loads them
    book = openpyxl.load_workbook(path, data_only=True)
    found = {name: (ws, ws.tables[name]) for ws in book.worksheets for name in ws.tables
             if name in SURVEY_TABLES}
    if not found:
        return None
    rows = []
    for name, (ws, table) in found.items():
        cells = ws[table.ref]
        for line in cells[1:]:
            values = [c.value for c in line]
            date, answers = values[0], values[1:1 + len(SURVEY_TABLES[name])]
            segment = values[2] if name == "NPSAnswers" and len(values) > 2 else None
            for metric, score in zip(SURVEY_TABLES[name], answers):
                if score is None or str(score).strip() == "":
                    continue
                rows.append({"answered_at": _cell_text(date), "metric": metric,
                             "score": _cell_text(score, mark_text=True),
                             "respondent_id": f"{name}:{line[0].row}",
                             "segment": _cell_text(segment), "excel_row": line[0].row})
    columns = ["answered_at", "metric", "score", "respondent_id", "segment", "excel_row"]
    return pd.DataFrame(rows, columns=columns).astype(
        {c: object for c in columns if c != "excel_row"})


def _cell_text(value, *, mark_text=False):
    """A cell's value as the text a CSV export would hold.

    ``mark_text``: a text cell gets Excel's leading apostrophe (the text "9" becomes "'9"), for
    columns where text is not a valid value (survey scores).
    """
    import datetime as dt

    from loyalty_xl.kpis.answers import TEXT_MARK

    if value is None:
        return None
    if mark_text and isinstance(value, str):
        return TEXT_MARK + value
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
