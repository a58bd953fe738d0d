"""Starter workbooks for the Excel functions: sample data and every function used once.

``python -m loyalty_xl.excel_starter`` writes ``workbook_templates/excel_functions_en.xlsx`` and
``..._de.xlsx``; a test checks that the committed files are what this produces. Each formula
cell also holds the value the library computes for the sample data (its cached value), so the
sheet reads right before any Python runs; Excel with xlwings recomputes the formulas live.

openpyxl writes either a formula or a value, so the sheet XML is post-processed into
``<c><f>formula</f><v>value</v></c>``. Functions that return a table are written as dynamic
arrays (``<f t="array" ref=...>`` and the cell-metadata part Excel uses for spills), with every
spilled cell's cached value.

Formulas are stored as xlwings Lite writes them: Office.js custom functions are saved with the
``_xldudf_`` prefix (Lite registers them without a namespace, so ``=NPS(...)`` is stored as
``_xldudf_NPS(...)``). Classic xlwings' functions are VBA functions named ``NPS``, and xlwings
Server puts its namespace in front (``=XLWINGS.NPS``): the sheet shows the formula to type there.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from loyalty_xl.files import save_workbook_reproducibly
from loyalty_xl.report.template import landscape
from loyalty_xl.files import REPRODUCIBLE_TIME, reproducible_zip_info
from loyalty_xl.staff_templates import NAVY, RESULT_FILL
from loyalty_xl.texts import Texts

UDF_PREFIX = "_xldudf_"  # how Excel saves an Office.js custom function without a namespace
LANGS = ("en", "de")
EXCEL_EPOCH = dt.date(1899, 12, 30)


def file_name(lang: str) -> str:
    return f"excel_functions_{lang}.xlsx"


# --- sample data (deterministic, small, consistent) ---------------------------------------------

def _orders():
    """30 orders over three years: 8 customers ordering 2-3 times, 10 ordering once."""
    start = dt.date(2023, 7, 3)
    out = []
    for i in range(30):
        customer = f"C{(i * 5) % 8 + 1:02d}" if i < 20 else f"C{i - 11:02d}"
        out.append((customer, start + dt.timedelta(days=(i * 97) % 1090)))
    return sorted(out, key=lambda o: (o[1], o[0]))


def sample_data():
    """Columns of the Data sheet: {letter: values} (headers: texts ``starter.col.LETTER``; the
    labels of column W are text keys)."""
    nps = [10, 9, 8, 10, 7, 9, 6, 10, 9, 3] * 4
    nps_before = [9, 7, 10, 5, 8, 2, 9, 10, 6, 4] * 3
    segments = [("north", "south", "west")[i % 3] for i in range(40)]
    csat = [5, 4, 4, 3, 5, None, 2, 4, 5, 5, 1, 4, 3, 5, 4, None, 5, 4, 2, 5, 4, 3, 5, 4]
    ces = [(i * 3) % 7 + 1 for i in range(24)]
    cli = [[(i * k) % 6 + 1 for i in range(15)] for k in (1, 2, 5)]
    orders = _orders()
    periods = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
    start, new, lost = [1200, 1215, 1231, 1240, 1262, 1270], [95, 88, 102, 90, 99, 105], \
        [80, 72, 93, 68, 91, 84]
    end = [s - l + n for s, l, n in zip(start, lost, new)]
    members = [310, 322, 335, 351, 360, 372]
    issued = [41000, 39500, 43800, 40200, 44100, 45800]
    redeemed = [22100, 25900, 21400, 27800, 23900, 26400]
    active = [180, 191, 188, 205, 211, 219]
    return {
        "A": nps,
        "B": segments,
        "C": nps_before,
        "D": csat,
        "E": ces,
        "F": cli[0],
        "G": cli[1],
        "H": cli[2],
        "J": [c for c, _ in orders],
        "K": [d for _, d in orders],
        "M": periods,
        "N": start,
        "O": end,
        "P": new,
        "Q": lost,
        "R": members,
        "S": issued,
        "T": redeemed,
        "U": active,
        "W": [f"starter.w{i}" for i in range(6)],
        "X": [287_400.0, 3_748, 1_310, 34_000.0, 8_000.0, 579],
    }


# --- the functions used on the sheet -------------------------------------------------------------

@dataclass(frozen=True)
class Example:
    """One function call: ``args`` are ("range", column), ("cell", "X2"), ("result", name) of
    an earlier example, or a literal (text, number, bool)."""

    name: str
    args: tuple
    number_format: str


PCT, PTS, NUM, MONEY = "0.0%", "0.0", "0.00", "#,##0.00"
EXAMPLES = [  # what each returns: texts starter.fn.NAME
    Example('NPS', (('range', 'A'),), PTS),
    Example('NPS_BREAKDOWN', (('range', 'A'),), NUM),
    Example('NPS_INTERVAL', (('range', 'A'),), PTS),
    Example('NPS_TEST', (('range', 'A'), ('range', 'C')), '0.000'),
    Example('NPS_BY', (('range', 'A'), ('range', 'B')), PTS),
    Example('CSAT', (('range', 'D'), '1-5'), PCT),
    Example('CSAT_MEAN', (('range', 'D'), '1-5'), NUM),
    Example('CES', (('range', 'E'),), NUM),
    Example('CLI', (('range', 'F'), ('range', 'G'), ('range', 'H')), PTS),
    Example('RETENTION_RATE', (('range', 'N'), ('range', 'O'), ('range', 'P')), PCT),
    Example('CHURN_RATE', (('range', 'N'), ('range', 'Q')), PCT),
    Example('REPEAT_PURCHASE_RATE', (('range', 'J'),), PCT),
    Example('RETURNING_RATIO', (('range', 'J'),), NUM),
    Example('AVG_PURCHASE_VALUE', (('cell', 'X2'), ('cell', 'X3')), MONEY),
    Example('PURCHASE_FREQUENCY', (('cell', 'X3'), ('cell', 'X4')), NUM),
    Example('CUSTOMER_VALUE', (('result', 'AVG_PURCHASE_VALUE'), ('result', 'PURCHASE_FREQUENCY')), MONEY),
    Example('CUSTOMER_LIFESPAN', (('range', 'J'), ('range', 'K')), NUM),
    Example('CLV', (('result', 'AVG_PURCHASE_VALUE'), ('result', 'PURCHASE_FREQUENCY'), ('result', 'CUSTOMER_LIFESPAN')), MONEY),
    Example('CAC', (('cell', 'X5'), ('cell', 'X7'), ('cell', 'X6')), MONEY),
    Example('CLV_CAC_RATIO', (('result', 'CLV'), ('result', 'CAC')), NUM),
    Example('COHORT_RETENTION', (('range', 'J'), ('range', 'K'), 'year'), PCT),
    Example('PARTICIPATION_RATE', (('cell', 'R7'), ('cell', 'O7')), PCT),
    Example('REDEMPTION_RATE', (('cell', 'T7'), ('cell', 'S7'), True), PCT),
    Example('ACTIVE_ENGAGEMENT_RATE', (('cell', 'U7'), ('cell', 'R7')), PCT),
]


# --- building ------------------------------------------------------------------------------------

def _serial(value):
    return float((value - EXCEL_EPOCH).days) if isinstance(value, dt.date) else value


def _data_range(data, letter):
    values = data[letter]
    return f"Data!${letter}$2:${letter}${len(values) + 1}", [[_serial(v)] for v in values]


def _data_cell(data, ref):
    letter, row = re.match(r"([A-Z]+)(\d+)", ref).groups()
    value = data[letter][int(row) - 2]
    return f"Data!${letter}${row}", _serial(value)


def _literal(value):
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return '"' + value.replace('"', '""') + '"'
    return repr(value)


def _shape(result):
    """Rows of a function's result (a scalar is one cell)."""
    if isinstance(result, list):
        return [list(row) if isinstance(row, list) else [row] for row in result]
    return [[result]]


@dataclass
class Placed:
    anchor: str
    formula: str
    rows: list


def build(lang: str):
    """The workbook and the formula cells to write: {sheet cell: Placed}."""
    from loyalty_xl import udfs

    t = Texts(lang)
    data = sample_data()
    wb = Workbook()
    wb.properties.creator = "loyalty_xl"
    wb.properties.created = wb.properties.modified = REPRODUCIBLE_TIME
    wb.properties.title = t("starter.title")
    # Show the cached values on opening: no full recalculation on load (openpyxl's default),
    # and a calcId of current Excel, which recalculates files from older versions on opening.
    wb.calculation.fullCalcOnLoad = False
    wb.calculation.calcId = 191029
    ws = wb.active
    ws.title = t("starter.sheet")
    sheet = wb.create_sheet("Data")
    _data_sheet(sheet, data, t)

    landscape(ws)
    ws["A1"] = t("starter.heading")
    ws["A1"].font = Font(size=16, bold=True, color=NAVY)
    notes = [
        t("starter.note_every"),
        t("starter.note_lite"),
        t("starter.note_classic"),
        t("starter.note_libreoffice"),
    ]
    for i, note in enumerate(notes, 2):
        ws.cell(i, 1, note).alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(start_row=i, start_column=1, end_row=i, end_column=8)
        ws.row_dimensions[i].height = 30
    header = 7
    for col, text in enumerate([t("starter.function"),
                                t("starter.returns"),
                                t("starter.formula"), t("starter.result")], 1):
        ws.cell(header, col, text).font = Font(bold=True)
    for letter, width in zip("ABCD", (27, 52, 44, 14)):
        ws.column_dimensions[letter].width = width
    for letter in "EFGH":
        ws.column_dimensions[letter].width = 12

    placed, results, row = {}, {}, header + 1
    for ex in EXAMPLES:
        if ex.name not in udfs.__all__:
            continue
        texts, values = [], []
        for arg in ex.args:
            if isinstance(arg, tuple) and arg[0] == "range":
                text, value = _data_range(data, arg[1])
            elif isinstance(arg, tuple) and arg[0] == "cell":
                text, value = _data_cell(data, arg[1])
            elif isinstance(arg, tuple) and arg[0] == "result":
                text, value = results[arg[1]]
            else:
                text, value = _literal(arg), arg
            texts.append(text)
            values.append(value)
        rows = _shape(getattr(udfs, ex.name)(*values))
        _check(ex.name, rows)
        anchor = f"D{row}"
        results[ex.name] = (f"$D${row}", rows[0][0])
        call = f"{ex.name}({','.join(texts)})"
        placed[anchor] = Placed(anchor, UDF_PREFIX + call, rows)
        ws.cell(row, 1, ex.name).font = Font(bold=True)
        ws.cell(row, 2, t(f"starter.fn.{ex.name}")).alignment = Alignment(
            wrap_text=True, vertical="top")
        ws.cell(row, 3, "=" + call.replace("$", "")).data_type = "s"  # text to type
        for i, values_row in enumerate(rows):
            for j, value in enumerate(values_row):
                cell = ws.cell(row + i, 4 + j, None if value == "" else value)
                cell.fill = RESULT_FILL
                if isinstance(value, float):
                    cell.number_format = ex.number_format
                if (i, j) == (0, 0):
                    cell.font = Font(bold=True)
        row += len(rows) + 1
    others = [n for n in udfs.__all__ if n not in placed_names(placed)]
    if others:  # functions added after this sheet's examples: named with their description
        ws.cell(row, 1, t("starter.also")).font = Font(bold=True)
        for name in others:
            row += 1
            ws.cell(row, 1, name)
            ws.cell(row, 2, getattr(udfs, name).__doc__.strip())
    ws.freeze_panes = f"A{header + 1}"
    return wb, placed


def placed_names(placed) -> set[str]:
    return {p.formula[len(UDF_PREFIX):].split("(")[0] for p in placed.values()}


def _check(name, rows):
    for row in rows:
        for value in row:
            if isinstance(value, str) and value.startswith("#"):
                raise AssertionError(f"{name} gives {value} on the sample data")


def _data_sheet(ws, data, t):
    for letter, values in data.items():
        ws[f"{letter}1"] = t(f"starter.col.{letter}")
        ws[f"{letter}1"].font = Font(bold=True)
        ws[f"{letter}1"].alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[letter].width = 14 if letter != "W" else 24
        for i, value in enumerate(values, 2):
            if letter == "W":
                value = t(value)
            cell = ws.cell(i, ws[f"{letter}1"].column, value)
            if isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    ws.row_dimensions[1].height = 45
    ws.freeze_panes = "A2"


# --- writing formula + cached value --------------------------------------------------------------

METADATA = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<metadata xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:xda="http://schemas.microsoft.com/office/spreadsheetml/2017/dynamicarray">'
    '<metadataTypes count="1"><metadataType name="XLDAPR" minSupportedVersion="120000" '
    'copy="1" pasteAll="1" pasteValues="1" merge="1" splitFirst="1" rowColShift="1" '
    'clearFormats="1" clearComments="1" assign="1" coerce="1" cellMeta="1"/></metadataTypes>'
    '<futureMetadata name="XLDAPR" count="1"><bk><extLst>'
    '<ext uri="{bdbb8cdc-fa1e-496e-a857-3c3f30c029c3}">'
    '<xda:dynamicArrayProperties fDynamic="1" fCollapsed="0"/></ext></extLst></bk>'
    '</futureMetadata><cellMetadata count="1"><bk><rc t="1" v="0"/></bk></cellMetadata>'
    '</metadata>')
METADATA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheetMetadata+xml"
METADATA_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sheetMetadata"


def _cell_xml(cell: str, style: str, placed: Placed) -> str:
    value = placed.rows[0][0]
    spill = len(placed.rows) > 1 or len(placed.rows[0]) > 1
    attrs = f' r="{cell}"{style}'
    if isinstance(value, bool):
        attrs, v = attrs + ' t="b"', str(int(value))
    elif isinstance(value, str):
        attrs, v = attrs + ' t="str"', escape(value)
    else:
        v = _number(value)
    f_attrs = ""
    if spill:
        last = f"{get_column_letter(4 + len(placed.rows[0]) - 1)}" \
               f"{int(cell[1:]) + len(placed.rows) - 1}"
        attrs += ' cm="1"'
        f_attrs = f' t="array" ref="{cell}:{last}"'
    return f"<c{attrs}><f{f_attrs}>{escape(placed.formula)}</f><v>{v}</v></c>"


def _with_formulas(sheet_xml: str, placed: dict[str, Placed]) -> str:
    # Numbers of spilled cells are rewritten too: openpyxl keeps only 15 significant digits.
    numbers = {}
    for anchor in placed.values():
        col, row = re.match(r"([A-Z]+)(\d+)", anchor.anchor).groups()
        for i, values in enumerate(anchor.rows):
            for j, value in enumerate(values):
                if (i or j) and isinstance(value, (int, float)) and not isinstance(value, bool):
                    numbers[_offset(col, int(row), i, j)] = value

    def replace(match):
        cell, style = match.group(1), match.group(2) or ""
        if cell in placed:
            return _cell_xml(cell, style, placed[cell])
        if cell in numbers:
            return f'<c r="{cell}"{style}><v>{_number(numbers[cell])}</v></c>'
        return match.group(0)

    out = re.sub(r'<c r="([A-Z]+\d+)"( s="\d+")?(?: t="\w+")?\s*(?:/>|>.*?</c>)', replace,
                 sheet_xml)
    missing = [c for c in placed if not re.search(f'<c r="{c}"[^>]*><f', out)]
    if missing:  # pragma: no cover - a guard
        raise AssertionError(f"formula cells not found in the sheet: {missing}")
    return out


def _offset(col: str, row: int, down: int, right: int) -> str:
    from openpyxl.utils import column_index_from_string

    return f"{get_column_letter(column_index_from_string(col) + right)}{row + down}"


def _number(value) -> str:
    return str(value) if isinstance(value, int) else repr(float(value))


def _rewrite(xlsx: bytes, placed: dict[str, Placed]) -> bytes:
    """Put the formulas into sheet1 and add the dynamic-array metadata part."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as source, zipfile.ZipFile(out, "w") as target:
        names = source.namelist()
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = _with_formulas(data.decode("utf-8"), placed).encode("utf-8")
            elif item.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", (
                    f'<Override PartName="/xl/metadata.xml" ContentType="{METADATA_TYPE}"/>'
                    "</Types>").encode())
            elif item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", (
                    f'<Relationship Id="rIdMeta1" Type="{METADATA_REL}" Target="metadata.xml"/>'
                    "</Relationships>").encode())
            target.writestr(_info(item.filename), data)
        if "xl/metadata.xml" not in names:
            target.writestr(_info("xl/metadata.xml"), METADATA.encode())
    return out.getvalue()


def _info(name):
    return reproducible_zip_info(name)


def write(lang: str, path: Path) -> Path:
    wb, placed = build(lang)
    buffer = Path(path).with_suffix(".tmp.xlsx")
    try:
        save_workbook_reproducibly(wb, buffer)
        Path(path).write_bytes(_rewrite(buffer.read_bytes(), placed))
    finally:
        buffer.unlink(missing_ok=True)
    return Path(path)


def write_all(folder: Path) -> list[Path]:
    return [write(lang, Path(folder) / file_name(lang)) for lang in LANGS]


if __name__ == "__main__":
    from loyalty_xl.report import TEMPLATE_DIR

    for written in write_all(TEMPLATE_DIR):
        print(f"wrote {written}")
