"""Limits on untrusted workbooks: bombs are refused before openpyxl loads them.

The bombs are generated (tests/hostile_files.py); the command-line runs happen in a child
process whose address space is limited to 1.5 GB, so a regression fails instead of eating
the machine.
"""

import os
import re
import time

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty_xl.errors import FileError, TemplateError
from loyalty_xl.report import TEMPLATE_DIR
from loyalty_xl.workbook_limits import WorkbookLimits, check_workbook
from tests import hostile_files as hf


@pytest.fixture(scope="module")
def bombs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bombs")
    return {name: build(folder / f"{name}.xlsx") for name, (build, _) in hf.BOMBS.items()}


@pytest.mark.parametrize("name", sorted(hf.BOMBS))
def test_each_bomb_is_refused_in_one_line_before_loading(bombs, name):
    path = bombs[name]
    started = time.perf_counter()
    with hf.memory_budget(), pytest.raises(FileError) as caught:
        check_workbook(path, role="orders input")
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"orders input {path.name}")
    assert hf.BOMBS[name][1] in message
    if name != "not_a_zip":
        assert "set LOYALTY_XL_MAX_" in message and "to raise the limit" in message
    assert time.perf_counter() - started < 5


def test_bombs_are_small_files_that_unzip_to_a_lot(bombs):
    import zipfile

    for name in ("dense_cells", "huge_shared_string", "huge_inline_string", "whitespace"):
        size = os.path.getsize(bombs[name])
        with zipfile.ZipFile(bombs[name]) as z:
            unzipped = sum(i.file_size for i in z.infolist())
        assert size < 2 * hf.MB and unzipped > 140 * hf.MB, (name, size, unzipped)
    assert os.path.getsize(bombs["last_cell"]) < 8000  # with a theme and styles


@pytest.mark.parametrize("name, message", [
    ("dense_cells", "has more than 2,000,000 cells"),
    ("huge_shared_string", "sharedStrings.xml has a text, tag or whitespace run of more than"),
    ("huge_inline_string", "sheet1.xml has a text, tag or whitespace run of more than"),
    ("whitespace", "sheet1.xml has a text, tag or whitespace run of more than"),
])
def test_past_the_ratio_limit_the_streamed_checks_still_stop_each_bomb(bombs, name, message):
    limits = WorkbookLimits(max_ratio=10**9)
    with hf.memory_budget(), pytest.raises(FileError, match=message):
        check_workbook(bombs[name], role="orders input", limits=limits)


def test_the_unzipped_size_limit_and_its_environment_variable(bombs, monkeypatch):
    monkeypatch.setenv("LOYALTY_XL_MAX_UNZIPPED_MB", "100")
    with pytest.raises(FileError, match=r"unzips to 150 MB, more than the limit of 100 MB; "
                                        r"set LOYALTY_XL_MAX_UNZIPPED_MB"):
        check_workbook(bombs["whitespace"], role="template")
    monkeypatch.setenv("LOYALTY_XL_MAX_UNZIPPED_MB", "lots")
    with pytest.raises(FileError, match="LOYALTY_XL_MAX_UNZIPPED_MB must be a positive whole"):
        check_workbook(bombs["whitespace"], role="template")


@pytest.mark.parametrize("variable, value, message", [
    ("LOYALTY_XL_MAX_CELLS", "4", "has more than 4 cells"),
    ("LOYALTY_XL_MAX_AREA", "5", "uses rows 1 to 2 and columns 1 to 3 (6 cells)"),
    ("LOYALTY_XL_MAX_STRING", "5", "has a text or whitespace run of more than 5 characters"),
    ("LOYALTY_XL_MAX_PARTS", "3", "zip entries, more than the limit of 3"),
])
def test_every_limit_can_be_lowered_and_names_its_variable(tmp_path, monkeypatch, variable,
                                                           value, message):
    path = hf.write(tmp_path / "small.xlsx")
    check_workbook(path, role="orders input")
    monkeypatch.setenv(variable, value)
    with pytest.raises(FileError, match=rf"{re.escape(message)}.*set {variable} to raise the"):
        check_workbook(path, role="orders input")


def test_a_long_shared_string_is_measured_in_characters_after_entities(tmp_path):
    limits = WorkbookLimits(max_string=60)
    strings = (b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
               b"<si><t>" + b"&amp;" * 15 + b"</t></si>"  # 75 bytes, 15 characters: fine
               b"<si><r><t>" + b"a" * 40 + b"</t></r><r><t>" + b"b" * 40 + b"</t></r></si>"
               b"</sst>")  # 80 characters in two runs of 40
    path = hf.write(tmp_path / "s.xlsx", {"xl/sharedStrings.xml": strings})
    with pytest.raises(FileError, match="has a shared string of 80 characters, more than the "
                                        "limit of 60"):
        check_workbook(path, role="orders input", limits=limits)


def test_real_workbooks_pass_and_are_measured(tmp_path):
    for template in sorted(TEMPLATE_DIR.glob("*.xlsx")):
        summary = check_workbook(template, role="template")
        book = openpyxl.load_workbook(template)
        real = sum(len(ws._cells) for ws in book.worksheets)
        assert summary.cells >= real  # merged ranges count each covered cell
    path = hf.write(tmp_path / "orders.xlsx")
    summary = check_workbook(path, role="orders input")
    assert (summary.cells, summary.largest_area) == (6, 6)


@settings(max_examples=15)
@given(st.lists(st.lists(st.tuples(st.integers(0, 40), st.booleans()), max_size=6),
                min_size=1, max_size=8),
       st.lists(st.booleans(), min_size=8, max_size=8))
def test_cell_positions_are_those_openpyxl_assigns(tmp_path_factory, rows, row_has_r):
    """Cells with and without r attributes, rows with and without r: the measured used range
    is exactly openpyxl's max_row x max_column, and the cell count exactly its cells."""
    from openpyxl.utils import get_column_letter

    body, row_number = [], 1
    for i, cells in enumerate(rows):
        explicit_row = row_has_r[i]
        row_number += 1 + (i % 3) if explicit_row else 1  # implicit rows: the next one
        col, parts = 0, []
        for gap, has_r in cells:
            if has_r:
                col += 1 + gap
                parts.append(f'<c r="{get_column_letter(col)}{row_number}"><v>1</v></c>')
            else:
                col += 1
                parts.append("<c><v>1</v></c>")
        attr = f' r="{row_number}"' if explicit_row else ""
        body.append(f"<row{attr}>{''.join(parts)}</row>")
    path = tmp_path_factory.mktemp("prop") / "p.xlsx"
    hf.write(path, {hf.SHEET: hf.sheet("".join(body).encode())})
    summary = check_workbook(path, role="orders input")
    ws = openpyxl.load_workbook(path).worksheets[0]
    assert summary.cells == len(ws._cells)
    # rows without cells count too: a read-only reader pads every row up to the last one
    assert summary.largest_area == max(ws.max_row, row_number) * ws.max_column


def test_templates_with_macros_are_refused_inputs_with_macros_are_read(tmp_path):
    macro = hf.macros(tmp_path / "macro.xlsx")
    with pytest.raises(TemplateError, match=r"^template macro.xlsx: templates with macros are "
                                            r"not accepted \(xl/vbaProject.bin\)"):
        check_workbook(macro, role="template")
    check_workbook(macro, role="orders input")  # values only: macros never run or copied
    typed = hf.macro_content_type(tmp_path / "typed.xlsx")
    with pytest.raises(TemplateError, match="a macro-enabled workbook"):
        check_workbook(typed, role="template")
    xlsm = tmp_path / "book.xlsm"
    xlsm.write_bytes(hf.write(tmp_path / "plain.xlsx").read_bytes())
    with pytest.raises(TemplateError, match="save it as an .xlsx workbook without macros"):
        check_workbook(xlsm, role="template")


# -- end to end, in a child process limited to 1.5 GB ---------------------------------------
@pytest.mark.parametrize("command, name", [("periods", "dense_cells"),
                                           ("periods", "last_cell"),
                                           ("periods", "far_cell"),
                                           ("report", "huge_shared_string")])
def test_cli_refuses_bombs_within_a_memory_limit(bombs, tmp_path, command, name):
    """An input (past the ratio limit, so the streamed cell count must hold) and a template."""
    from loyalty_xl.datasets import sample_paths

    env = {**os.environ, "LOYALTY_XL_MAX_RATIO": str(10**9)}
    if command == "periods":
        args, role = ["--orders", bombs[name], "--out", tmp_path / "p.csv"], "orders input"
    else:
        args, role = ["--orders", sample_paths()["orders"], "--template", bombs[name],
                      "--out", tmp_path / "r.xlsx"], "template"
    result = hf.run_limited([command, *args], env=env)
    assert result.returncode == 1, result.stderr[-2000:]
    assert result.stderr.startswith(f"loyalty-xl: error: {role} {name}.xlsx")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert sorted(os.listdir(tmp_path)) == []
