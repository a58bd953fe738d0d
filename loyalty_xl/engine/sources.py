"""Inputs of the period engine: files, sheets, DataFrames or Ibis tables, as Ibis tables.

A source is one of:

- a path to a CSV (``.csv``, ``.csv.gz``, ``.tsv``) or Parquet (``.parquet``) file;
- a path to an Excel workbook, optionally with ``#name`` for a sheet or an Excel Table
  (``book.xlsx#Orders``); without a name, the first sheet;
- a path to a DuckDB database with ``#table`` (``shop.duckdb#orders``);
- a pandas DataFrame;
- an Ibis table (on the engine's connection or any other backend Ibis supports).

Every table gets a ``_row`` column: the row's number as the user sees it in the source (the CSV
line, the Excel row, the DataFrame position + 1), for the data-quality report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import ibis
import pandas as pd

from loyalty_xl.errors import LoyaltyXLError
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
    """One input, loaded: the table with canonical column names and ``_row``."""

    name: str
    label: str  # how the data-quality report names it: a file name, "DataFrame", ...
    table: ibis.Table
    columns: tuple[str, ...] = field(default=())


def parse_mapping(items) -> dict[str, str]:
    """``["order_date=Bestelldatum", ...]`` -> {"order_date": "Bestelldatum"}."""
    mapping = {}
    for item in items or ():
        canonical, sep, source = str(item).partition("=")
        if not sep or not canonical.strip() or not source.strip():
            raise LoyaltyXLError("a column mapping must look like column=SourceColumn",
                                 argument="map", value=item)
        mapping[canonical.strip()] = source.strip()
    return mapping


def load(con, name: str, spec, mapping: dict[str, str] | None = None) -> Source:
    """Load input ``name`` from ``spec`` and check its columns against the contract."""
    required, optional = CONTRACTS[name]
    table, label, offset, row_column = _read(con, name, spec)
    mapping = {k: v for k, v in (mapping or {}).items() if k in required + optional}
    present = [c for c in table.columns if c != row_column]
    renames, found = {}, []
    for column in required + optional:
        source_column = mapping.get(column, column)
        match = _find(present, source_column)
        if match is None:
            if column in required:
                raise LoyaltyXLError(
                    f"{name} input {label} has no column {source_column!r}"
                    f"{f' (for {column})' if source_column != column else ''}; "
                    f"its columns are: {', '.join(map(str, present)) or 'none'}",
                    argument=name)
            continue
        renames[column] = match
        found.append(column)
    if name == "spend" and not {"date", "period"} & set(found):
        raise LoyaltyXLError(f"spend input {label} needs a column 'date' or 'period'; its "
                             f"columns are: {', '.join(map(str, present))}", argument=name)
    if row_column:
        row = {"_row": table[row_column] + offset}
    elif isinstance(spec, ibis.Table) or con.name == "pyspark":
        row = {}  # no row numbers: they need a global ordering (one partition on Spark)
    else:
        row = {"_row": ibis.row_number() + offset}
    table = table.select(**{c: table[renames[c]] for c in found}, **row)
    return Source(name, label, table, tuple(found))


def _find(present, wanted):
    if wanted in present:
        return wanted
    lowered = {str(c).strip().lower(): c for c in present}
    return lowered.get(str(wanted).strip().lower())


def _read(con, name, spec):
    """(table, label, offset, row column).

    The row column, when there is one, numbers the source's rows from 0 (DuckDB's
    file_row_number for Parquet); otherwise row_number() does. offset turns either into the
    row as the user sees it (the CSV line, the Excel row).
    """
    if isinstance(spec, pd.DataFrame):
        return ibis.memtable(_text_frame(spec)), "DataFrame", 1, None
    if isinstance(spec, ibis.Table):
        return spec, "Ibis table", 1, None
    text = str(spec)
    path_text, _, part = text.partition("#")
    path = Path(path_text)
    if con.name == "pyspark" and "://" in path_text:  # a cluster's storage: Spark reads it
        try:
            return _read_spark(con, name, path_text, path_text.lower()), path.name, 1, None
        except Exception as err:
            raise LoyaltyXLError(f"{name} input {path_text} could not be read: "
                                 f"{' '.join(str(err).split())[:300]}", argument=name) from None
    if not path.exists():
        raise LoyaltyXLError(f"{name} input {path} does not exist", argument=name)
    suffixes = "".join(path.suffixes).lower()
    try:
        if con.name == "pyspark" and suffixes.endswith((".csv", ".csv.gz", ".tsv", ".txt",
                                                         ".tsv.gz", ".parquet", ".pq")):
            return _read_spark(con, name, path, suffixes), path.name, 1, None
        if suffixes.endswith((".csv", ".csv.gz", ".tsv", ".txt", ".tsv.gz")):
            return (con.read_csv(str(path), all_varchar=True, header=True,
                                 table_name=_table_name(name)), path.name, 2, None)
        if suffixes.endswith((".parquet", ".pq")):
            if con.name == "duckdb":  # the row number for free, without a window
                return (con.read_parquet(str(path), table_name=_table_name(name),
                                         file_row_number=True), path.name, 1, "file_row_number")
            return con.read_parquet(str(path), table_name=_table_name(name)), path.name, 1, None
        if suffixes.endswith((".xlsx", ".xlsm")):
            if name == "responses" and not part:
                survey = read_survey_template(path)
                if survey is not None:
                    return (ibis.memtable(survey), f"{path.name} (survey template)", 0,
                            "excel_row")
            frame, header_row, where = read_workbook(path, part or None, name)
            return ibis.memtable(_text_frame(frame)), f"{path.name}{where}", header_row + 1, None
        if suffixes.endswith((".duckdb", ".db", ".ddb")):
            if not part:
                raise LoyaltyXLError(f"{name} input {path}: name the table, e.g. "
                                     f"{path.name}#{name}", argument=name)
            alias = _table_name(name)
            con.attach(str(path), name=alias, read_only=True)  # read in place, no copy
            return con.table(part, database=alias), f"{path.name}#{part}", 1, None
    except LoyaltyXLError:
        raise
    except Exception as err:  # the reader's own message, on one line
        raise LoyaltyXLError(f"{name} input {path} could not be read: "
                             f"{' '.join(str(err).split())[:300]}", argument=name) from None
    raise LoyaltyXLError(f"{name} input {path}: unknown file type (use .csv, .parquet, .xlsx "
                         "or .duckdb#table)", argument=name)


def _read_spark(con, name, path, suffixes):
    """A CSV or Parquet file (or folder) read by Spark's own readers (CSV: every column as
    text, with a header; tab-separated for .tsv; anything not named .csv, .tsv or .txt is
    Parquet, e.g. a folder of part files), distributed, without row numbers."""
    csv = suffixes.rstrip("/").endswith((".csv", ".csv.gz", ".tsv", ".txt", ".tsv.gz"))
    if not csv:
        return con.read_parquet(str(path), table_name=_table_name(name))
    sep = "\t" if ".tsv" in suffixes else ","
    return con.read_csv(str(path), table_name=_table_name(name), header=True, sep=sep,
                        inferSchema=False)


_counter = iter(range(1, 1 << 62))


def _table_name(name):
    return f"loyalty_{name}_{next(_counter)}"


def _text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns as strings (so Ibis sees one type), other columns untouched."""
    out = frame.copy()
    out.columns = [str(c) for c in out.columns]
    for column in out.columns:
        if out[column].dtype == object or str(out[column].dtype).startswith("string"):
            values = out[column].astype(object)
            out[column] = values.where(values.isna(), values.astype(str)).astype(object)
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
        frame[column] = frame[column].map(_cell_text)
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
