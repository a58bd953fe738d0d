"""Hostile workbooks, generated into a folder (no binaries are committed).

Each is a real openpyxl workbook (an orders header row) with one part replaced or added, so
that without the limits openpyxl would really load it. Large parts are streamed into the zip,
so generating a 150 MB bomb needs no 150 MB of memory.
"""

from __future__ import annotations

import contextlib
import io
import resource
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl

SHEET = "xl/worksheets/sheet1.xml"
HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">')
HEADER_ROW = (b'<row r="1"><c r="A1" t="inlineStr"><is><t>customer_id</t></is></c>'
              b'<c r="B1" t="inlineStr"><is><t>order_date</t></is></c>'
              b'<c r="C1" t="inlineStr"><is><t>amount</t></is></c></row>')
MB = 1 << 20


def base_parts() -> dict[str, bytes]:
    book = openpyxl.Workbook()
    book.active.append(["customer_id", "order_date", "amount"])
    book.active.append(["c1", "2026-01-05", 10])
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer) as z:
        return {name: z.read(name) for name in z.namelist()}


def write(path: Path, replace: dict | None = None, *, level: int = 1) -> Path:
    """The base workbook with parts replaced or added: bytes, or an iterable of byte chunks."""
    parts = base_parts()
    parts.update(replace or {})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        for name, data in parts.items():
            if isinstance(data, bytes):
                z.writestr(name, data)
                continue
            with z.open(name, "w", force_zip64=True) as stream:  # deflated, as set above
                for chunk in data:
                    stream.write(chunk)
    return path


def sheet(body, *, dimension: bytes | None = None, after: bytes = b""):
    """A worksheet part as chunks: the header row, then ``body`` (bytes or chunks)."""
    yield HEAD + (b'<dimension ref="' + dimension + b'"/>' if dimension else b"")
    yield b"<sheetData>" + HEADER_ROW
    if isinstance(body, bytes):
        yield body
    else:
        yield from body
    yield b"</sheetData>" + after + b"</worksheet>"


def repeated(unit: bytes, total: int):
    """``unit`` repeated to about ``total`` bytes, in 1 MB chunks."""
    chunk = unit * max(MB // len(unit), 1)
    for _ in range(max(total // len(chunk), 1)):
        yield chunk


# -- the bombs and tricks: name -> (builder(path), words the error must contain) --------------
def dense_cells(path, size=150 * MB):
    """Cells without positions, all alike: 150 MB that deflate to about 0.2 MB."""
    return write(path, {SHEET: sheet(repeated(b"<row><c><v>1</v></c>" * 8 + b"</row>", size))})


def huge_shared_string(path, size=150 * MB):
    strings = (b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/'
               b'spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>')

    def chunks():
        yield strings
        yield from repeated(b"A" * 1024, size)
        yield b"</t></si></sst>"

    return write(path, {"xl/sharedStrings.xml": chunks(), **shared_strings_registered(),
                        SHEET: sheet(b'<row r="2"><c r="A2" t="s"><v>0</v></c></row>')})


def shared_strings_registered() -> dict[str, bytes]:
    """Content types and relationships that name a shared strings part, as Excel writes."""
    parts = base_parts()
    types, rels = parts["[Content_Types].xml"], parts["xl/_rels/workbook.xml.rels"]
    if b"sharedStrings" not in types:
        types = types.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" '
                              b'ContentType="application/vnd.openxmlformats-officedocument.'
                              b'spreadsheetml.sharedStrings+xml"/></Types>')
    if b"sharedStrings" not in rels:
        rels = rels.replace(b"</Relationships>", b'<Relationship Id="rIdS" Type="http://'
                            b"schemas.openxmlformats.org/officeDocument/2006/relationships/"
                            b'sharedStrings" Target="sharedStrings.xml"/></Relationships>')
    return {"[Content_Types].xml": types, "xl/_rels/workbook.xml.rels": rels}


def huge_inline_string(path, size=150 * MB):
    def body():
        yield b'<row r="2"><c r="A2" t="inlineStr"><is><t>'
        yield from repeated(b"B" * 1024, size)
        yield b"</t></is></c></row>"
    return write(path, {SHEET: sheet(body())})


def whitespace(path, size=150 * MB):
    def body():
        yield b'<row r="2"><c r="A2"><v>1</v></c></row>'
        yield from repeated(b" " * 1024, size)
    return write(path, {SHEET: sheet(body())})


def last_cell(path):
    """About 2 kB: one cell at XFD1048576."""
    return write(path, {SHEET: sheet(b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')})


def far_cell(path):
    """About 5 kB: cells at A1 and T1000000; a reader walking rows x columns makes 20 million."""
    return write(path, {SHEET: sheet(b'<row r="1000000"><c r="T1000000"><v>1</v></c></row>')})


def declared_dimension(path):
    """One real row, a declared dimension of the whole sheet (read-only readers trust it)."""
    return write(path, {SHEET: sheet(b"", dimension=b"A1:XFD1048576")})


def merged_range(path):
    return write(path, {SHEET: sheet(b"", after=b'<mergeCells count="1"><mergeCell '
                                           b'ref="A2:XFD1048576"/></mergeCells>')})


def hyperlink_range(path):
    return write(path, {SHEET: sheet(b"", after=b'<hyperlinks><hyperlink ref="A2:Z1000000" '
                                           b'display="x"/></hyperlinks>')})


def implicit_columns(path):
    """Cells without r attributes: 20,000 columns in one row (positions counted exactly)."""
    return write(path, {SHEET: sheet(b"<row>" + b"<c><v>1</v></c>" * 20_000 + b"</row>"
                                     + b'<row r="2000"><c r="A2000"><v>1</v></c></row>')})


def far_comment(path):
    return write(path, {"xl/comments/comment1.xml":
                        b'<comments xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
                        b'2006/main"><authors><author>x</author></authors><commentList>'
                        b'<comment ref="XFD1048576" authorId="0"><text><t>hi</t></text>'
                        b"</comment></commentList></comments>"})


def huge_table(path):
    return write(path, {"xl/tables/table1.xml":
                        b'<table xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                        b'main" id="1" name="Orders" displayName="Orders" ref="A1:XFD1048576">'
                        b"</table>"})


def many_entries(path, n=12_000):
    return write(path, {f"xl/media/x{i}.bin": b"" for i in range(n)}, level=1)


def macros(path):
    return write(path, {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 not really VBA"})


def macro_content_type(path):
    parts = base_parts()
    types = parts["[Content_Types].xml"].replace(
        b"spreadsheetml.sheet.main+xml", b"sheet.macroEnabled.main+xml")
    return write(path, {"[Content_Types].xml": types})


def not_a_zip(path):
    path.write_bytes(b"PK\x03\x04 this is not really a zip file" * 10)
    return path


BOMBS = {  # name: (builder, words the one-line error contains)
    "dense_cells": (dense_cells, "compressed"),
    "huge_shared_string": (huge_shared_string, "compressed"),
    "huge_inline_string": (huge_inline_string, "compressed"),
    "whitespace": (whitespace, "compressed"),
    "last_cell": (last_cell, "columns 1 to 16,384"),
    "far_cell": (far_cell, "rows 1 to 1,000,000 and columns 1 to 20 (20,000,000 cells)"),
    "declared_dimension": (declared_dimension, "declares the dimension A1:XFD1048576"),
    "merged_range": (merged_range, "cells (counting merged"),
    "hyperlink_range": (hyperlink_range, "cells (counting merged"),
    "implicit_columns": (implicit_columns, "columns 1 to 20,000"),
    "far_comment": (far_comment, "comment1.xml uses rows 1 to 1,048,576"),
    "huge_table": (huge_table, "declares a table of"),
    "many_entries": (many_entries, "zip entries"),
    "not_a_zip": (not_a_zip, "is not a readable .xlsx workbook"),
}


@contextlib.contextmanager
def memory_budget(megabytes=1536):
    """Within the block this process may grow its address space by ``megabytes`` at most (the
    soft RLIMIT_AS, restored afterwards): a check that loads a bomb fails with MemoryError."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as statm:
        current = int(statm.read().split()[0]) * resource.getpagesize()
    budget = current + (megabytes << 20)
    if hard != resource.RLIM_INFINITY:
        budget = min(budget, hard)
    resource.setrlimit(resource.RLIMIT_AS, (budget, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def run_limited(args, *, memory_mb=1536, env=None, timeout=120):
    """``python -m loyalty_xl.cli ARGS`` with its address space limited (a regression fails
    with MemoryError instead of eating the machine)."""
    limit = memory_mb << 20

    def set_limit():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return subprocess.run([sys.executable, "-m", "loyalty_xl.cli", *map(str, args)],
                          preexec_fn=set_limit, capture_output=True, text=True, env=env,
                          timeout=timeout, check=False)
