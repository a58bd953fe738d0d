"""Outputs under attack: formulas, control characters, terminal escapes, kills, races, full disks.

Writers run in child processes where a kill or a race is the point. Those children load
loyalty_xl.files without the package's __init__ (no numpy or pandas), so thirty kills take
seconds.
"""

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from loyalty_xl.cli import app
from loyalty_xl.datasets import sample_paths
from loyalty_xl.files import TEMP_PATTERN, atomic_path
from loyalty_xl.safe_text import (
    cell_text,
    counting,
    csv_text,
    frame_for_output,
    terminal_text,
)
from tests import hostile_files as hf

pytestmark = pytest.mark.slow  # deselect with -m "not slow" for the fast suite

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]


# -- the sanitising rules, one by one ----------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("=1+2", "'=1+2"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("=HYPERLINK(\"http://evil\")", "'=HYPERLINK(\"http://evil\")"),
    ("2026-10", "2026-10"), ("Nord", "Nord"), (" =1", " =1"), ("", ""),
])
def test_csv_text_follows_the_owasp_rule(text, expected):
    assert csv_text(text) == expected


def test_numbers_stay_numbers_in_csv_and_frames_keep_their_shape():
    frame = pd.DataFrame({"period": ["2026-10", "=cmd|' /C calc'!A0"], "value": [-1.5, 2.0],
                          "=col": ["a\x00b", None]})
    out = frame_for_output(frame, csv_text)
    assert list(out.columns) == ["period", "value", "'=col"]
    assert out["period"].tolist() == ["2026-10", "'=cmd|' /C calc'!A0"]
    assert out["value"].tolist() == [-1.5, 2.0]
    assert out["'=col"].tolist()[0] == "a\ufffdb" and pd.isna(out["'=col"].tolist()[1])
    assert frame["period"].tolist()[1].startswith("=")  # the input is not changed


def test_cell_text_replaces_what_xml_cannot_hold_and_counts_it():
    every_control = "".join(map(chr, range(32)))
    with counting() as replaced:
        cleaned = cell_text(every_control + "ok\ufffe\ud800")
    assert replaced[0] == 29 + 2  # 32 controls but tab, LF, CR; FFFE; a lone surrogate
    assert cleaned == "\ufffd" * 9 + "\t\n" + "\ufffd" * 2 + "\r" + "\ufffd" * 18 + "ok" + \
        "\ufffd" * 2
    book = openpyxl.Workbook()
    book.active["A1"] = cleaned  # openpyxl accepts it now
    assert cell_text(7) == 7 and cell_text(None) is None


@pytest.mark.parametrize("raw", [
    "\x1b[31mred\x1b[0m", "\x1b]0;title\x07", "\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\",
    "\x9b31m", "\x1bP+q\x1b\\", "\x1b(0", "a\x07\x08b", "\u202egnp.exe", "x\x1b[2J\x1b[H",
])
def test_terminal_text_strips_escape_sequences_and_controls(raw):
    clean = terminal_text(raw)
    assert not any(ord(c) < 32 or 0x7f <= ord(c) < 0xa0 or c in "\u202e" for c in clean)
    assert "title" not in clean and "http" not in clean


# -- through the command line ------------------------------------------------------------------
@pytest.fixture(scope="module")
def evil_inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("evil")
    orders = pd.read_csv(sample_paths()["orders"], dtype=str)
    named = folder / "=HYPERLINK(\"http-evil\",\"x\")+1.csv"
    orders.to_csv(named, index=False)
    control = folder / "orders\x07\x01.csv"
    orders.to_csv(control, index=False)
    header = folder / "escapes.csv"
    header.write_text("customer_id,\x1b]0;pwned\x07\x1b[31morder_date\x1b[0m,amount\nc1,2026-01-01,5\n")
    responses = pd.read_csv(sample_paths()["responses"], dtype=str)
    segments = ["Nord\x0bSüd", "@SUM(1)", "+1+1", "-2+3"]
    nps = responses.metric == "nps"
    responses.loc[nps, "segment"] = [segments[i % 4] for i in range(int(nps.sum()))]
    answers = folder / "answers.csv"
    responses.to_csv(answers, index=False)
    return {"named": named, "control": control, "header": header, "answers": answers,
            "orders": sample_paths()["orders"]}


def sheets_xml(path):
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/")}


def test_a_file_named_like_a_formula_stays_text_in_the_periods_workbook(evil_inputs, tmp_path):
    out = tmp_path / "p.xlsx"
    result = runner.invoke(app, ["periods", "--orders", str(evil_inputs["named"]), "--out",
                                 str(out)])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    name = evil_inputs["named"].name
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert cells and all(c.data_type == "s" and c.value == name for c in cells)
    assert not any("<f>" in xml for xml in sheets_xml(out).values())


def test_control_characters_are_replaced_counted_and_never_echoed(evil_inputs, tmp_path):
    out = tmp_path / "p.xlsx"
    result = runner.invoke(app, ["periods", "--orders", str(evil_inputs["control"]), "--out",
                                 str(out)])
    assert result.exit_code == 0, result.output
    assert "\x07" not in result.output and "\x01" not in result.output
    book = openpyxl.load_workbook(out)
    labels = [c.value for row in book["Data quality"].iter_rows() for c in row
              if isinstance(c.value, str) and c.value.endswith(".csv")]
    assert labels and set(labels) == {"orders\ufffd\ufffd.csv"}  # one row per reason
    assert (f"replaced {2 * len(labels)} control characters that a workbook cannot hold "
            "with U+FFFD") in result.stderr


def test_segments_with_controls_and_formula_signs_become_plain_text_in_the_report(
        evil_inputs, tmp_path):
    out = tmp_path / "r.xlsx"
    result = runner.invoke(app, ["report", "--orders", str(evil_inputs["orders"]),
                                 "--responses", str(evil_inputs["answers"]), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "replaced 1 control character that a workbook cannot hold" in result.stderr
    texts = {c.value: c.data_type for ws in openpyxl.load_workbook(out).worksheets
             for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    for segment in ("Nord\ufffdSüd", "@SUM(1)", "+1+1", "-2+3"):
        assert texts.get(segment) == "s", segment


def test_a_csv_header_cannot_reach_the_terminal_with_its_escapes(evil_inputs, tmp_path):
    result = runner.invoke(app, ["periods", "--orders", str(evil_inputs["header"]), "--out",
                                 str(tmp_path / "p.csv")])
    assert result.exit_code == 1
    assert result.stderr.startswith("loyalty-xl: error: orders input escapes.csv has no "
                                    "column 'order_date'")
    assert "order_date" in result.stderr.split("its columns are:")[1]
    assert not any(ord(c) < 32 and c != "\n" for c in result.stderr)
    assert "pwned" not in result.stderr and result.stderr.count("\n") == 1


def test_periods_csv_output_keeps_period_labels_and_numbers(tmp_path):
    out = tmp_path / "p.csv"
    result = runner.invoke(app, ["periods", "--orders", str(sample_paths()["orders"]), "--out",
                                 str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert table["period"].str.match(r"^\d{4}-\d{2}$").all()
    assert (table.select_dtypes("number").columns.size >= 10)


@pytest.mark.parametrize("args", [
    ["demo", "--out", "{tmp}/r.xlsm"],
    ["report", "--orders", "{orders}", "--out", "{tmp}/r.xlsm"],
    ["periods", "--orders", "{orders}", "--out", "{tmp}/r.xlsm"],
    ["report", "--orders", "{orders}", "--out", "{tmp}/r.XLSM"],
])
def test_macro_enabled_outputs_are_refused(tmp_path, args):
    args = [a.format(tmp=tmp_path, orders=sample_paths()["orders"]) for a in args]
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and "--out must" in result.stderr
    assert result.stderr.count("\n") == 1 and os.listdir(tmp_path) == []


@pytest.mark.parametrize("kind", ["xlsm", "vba_part", "content_type"])
def test_templates_with_macros_are_refused_before_the_engine_runs(tmp_path, kind):
    if kind == "xlsm":
        template = tmp_path / "t.xlsm"
        template.write_bytes(hf.write(tmp_path / "t.xlsx").read_bytes())
    elif kind == "vba_part":
        template = hf.macros(tmp_path / "t.xlsx")
    else:
        template = hf.macro_content_type(tmp_path / "t.xlsx")
    started = time.perf_counter()
    result = runner.invoke(app, ["report", "--orders", str(sample_paths()["orders"]),
                                 "--template", str(template), "--out", str(tmp_path / "r.xlsx")])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"loyalty-xl: error: template {template.name}: templates "
                                    "with macros are not accepted")
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "r.xlsx").exists() and time.perf_counter() - started < 2


# -- atomic output: kills, races, signals, full disks --------------------------------------------
CHILD = """
import sys, time, types
from pathlib import Path
package = types.ModuleType("loyalty_xl"); package.__path__ = [{package!r}]
sys.modules["loyalty_xl"] = package  # files.py without numpy/pandas: a fast start
from loyalty_xl.files import atomic_path
from loyalty_xl.errors import LoyaltyXLError
target, force, tag, lines = Path(sys.argv[1]), sys.argv[2] == "force", sys.argv[3], int(sys.argv[4])
print("ready", flush=True)
if sys.argv[5:] == ["wait"]:
    sys.stdin.readline()
generation = 0
try:
    while True:
        generation += 1
        with atomic_path(target, force=force) as tmp:
            with open(tmp, "w") as f:
                for i in range(lines):
                    f.write(f"{{tag}} {{generation}} line {{i:08d}}\\n")
                f.write(f"END {{tag}} {{generation}} {{lines}}\\n")
        if not force:
            break
except LoyaltyXLError as err:
    print(err, file=sys.stderr)
    sys.exit(1)
""".format(package=str(ROOT / "loyalty_xl"))


def start_writer(target, *, force, tag, lines=50_000, wait=False):
    args = [sys.executable, "-c", CHILD, str(target), "force" if force else "new", tag,
            str(lines)] + (["wait"] if wait else [])
    child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             stdin=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "ready"
    return child


def complete(path, lines=50_000):
    """(tag, generation) of a complete file; fails on a partial one."""
    text = path.read_text()
    rows = text.splitlines()
    assert len(rows) == lines + 1 and text.endswith("\n"), f"partial: {len(rows)} lines"
    _, tag, generation, count = rows[-1].split()
    assert int(count) == lines and all(r.startswith(f"{tag} {generation} ") for r in rows[:-1])
    return tag, int(generation)


def leftovers(folder, keep):
    return sorted(n for n in os.listdir(folder) if n != keep)


def test_sigkill_at_random_moments_leaves_the_old_or_the_new_file_and_no_temporary(tmp_path):
    target = tmp_path / "kpis.csv"
    first = start_writer(target, force=False, tag="old")
    started = time.perf_counter()
    assert first.wait(timeout=30) == 0
    write_time = time.perf_counter() - started  # one write (and exit) on this machine
    assert complete(target) == ("old", 1)
    rng = random.Random(13)
    seen, hidden_names, before_first = {"old": 1}, 0, 0
    for kill in range(30):
        child = start_writer(target, force=True, tag=f"k{kill}")
        time.sleep(rng.uniform(0, min(4 * write_time, 0.3)))  # in the first write or later
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        tag, _ = complete(target)  # never partial
        seen[tag] = seen.get(tag, 0) + 1
        before_first += tag != f"k{kill}"
        left = leftovers(tmp_path, "kpis.csv")
        # the only possible leftover: our hidden name in the microseconds between link and
        # rename; the next write removes it
        assert all(TEMP_PATTERN.match(n) for n in left), left
        hidden_names += len(left)
    assert len(seen) > 3  # kills landed both before and after commits
    with atomic_path(target, force=True) as tmp:
        tmp.write_text("final\n")
    assert leftovers(tmp_path, "kpis.csv") == [] and target.read_text() == "final\n"
    print(f"30 SIGKILLs: {before_first} before the child's first commit (the previous file "
          f"stayed), {30 - before_first} after (its last complete file); partial files 0; "
          f"hidden names left {hidden_names}")


def test_of_two_runs_on_an_absent_file_exactly_one_succeeds(tmp_path):
    outcomes, raced = [], 0
    for round_ in range(6):
        target = tmp_path / f"out{round_}.csv"
        writers = [start_writer(target, force=False, tag=t, wait=True) for t in ("a", "b")]
        for w in writers:
            w.stdin.write("go\n")
            w.stdin.flush()
        codes = [w.wait(timeout=60) for w in writers]
        errors = [w.stderr.read() for w in writers]
        assert sorted(codes) == [0, 1], (codes, errors)
        loser = errors[codes.index(1)]
        assert "already exists" in loser and loser.count("\n") == 1
        raced += "another run wrote it meanwhile" in loser  # both passed the first check
        winner = "ab"[codes.index(0)]
        assert complete(target)[0] == winner
        outcomes.append(winner)
    assert leftovers(tmp_path, None) == [f"out{i}.csv" for i in range(6)]
    print(f"6 races, winners {''.join(outcomes)}, {raced} decided by the exclusive link")


def test_sigterm_during_the_write_is_one_line_and_leaves_the_old_file(tmp_path):
    target = tmp_path / "report.xlsx"
    target.write_text("old")
    script = CHILD.split("generation = 0")[0] + (
        "from loyalty_xl.cli import domain_errors\n"
        "import typer\n"
        "@domain_errors\n"
        "def run():\n"
        "    with atomic_path(target, force=True) as tmp:\n"
        "        with open(tmp, 'w') as f:\n"
        "            print('writing', flush=True)\n"
        "            while True:\n"
        "                f.write('x' * 1000); time.sleep(0.001)\n"
        "try:\n"
        "    run()\n"
        "except typer.Exit as stop:\n"
        "    sys.exit(stop.exit_code)\n")
    child = subprocess.Popen([sys.executable, "-c", script, str(target), "force", "t", "1"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "ready"
    assert child.stdout.readline().strip() == "writing"
    time.sleep(0.05)
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=30) == 128 + signal.SIGTERM
    assert child.stderr.read() == (f"loyalty-xl: error: stopped by SIGTERM while writing "
                                   f"{target}; it was not written\n")
    assert target.read_text() == "old" and leftovers(tmp_path, "report.xlsx") == []


@pytest.fixture
def tiny_disk(tmp_path):
    """A 1 MB tmpfs, nearly full (needs root and permission to mount)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)],
                             capture_output=True, check=False)
    if mounted.returncode != 0:
        message = f"mounting a tmpfs is not permitted here: {mounted.stderr.decode().strip()}"
        if os.environ.get("CI"):  # CI runs as root: a skip there would hide the full-disk test
            pytest.fail(message)
        pytest.skip(message)
    try:
        (disk / "old.xlsx").write_bytes(b"an old report")
        filler = disk / "filler"
        with open(filler, "wb", buffering=0) as f, contextlib.suppress(OSError):
            while True:
                f.write(b"\0" * 4096)
        size = filler.stat().st_size
        os.truncate(filler, size - 2 * 4096)  # 8 kB free: less than any workbook needs
        yield disk
    finally:
        if subprocess.run(["umount", str(disk)], capture_output=True, check=False).returncode:
            subprocess.run(["umount", "-l", str(disk)], check=False)  # busy: detach it anyway


@pytest.mark.parametrize("args, out", [
    (["periods", "--orders", "{orders}"], "p.xlsx"),
    (["report", "--orders", "{orders}", "--force"], "old.xlsx"),
])
def test_a_full_disk_is_one_line_and_leaves_nothing(tiny_disk, args, out):
    paths = sample_paths()
    args = [a.format(orders=paths["orders"], responses=paths["responses"]) for a in args]
    before = sorted(os.listdir(tiny_disk))
    result = runner.invoke(app, [*args, "--out", str(tiny_disk / out)])
    assert result.exit_code == 1, result.output
    last = result.stderr.splitlines()[-1]  # after the data-quality summary
    assert last == f"loyalty-xl: error: could not write {tiny_disk / out}: No space left on device"
    assert result.stderr.count("error") == 1 and "Traceback" not in result.output
    assert not [fd for fd in os.listdir("/proc/self/fd")  # no file left open on the disk
                if str(tiny_disk) in os.path.realpath(f"/proc/self/fd/{fd}")]
    assert sorted(os.listdir(tiny_disk)) == before
    assert (tiny_disk / "old.xlsx").read_bytes() == b"an old report"
