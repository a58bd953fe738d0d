"""Real exports (issue 9) and hostile paths (issue 13): one known data set written in every
dialect a marketing team meets must give the same period table as the clean file; a frame
written in a random dialect reads back equal; bad inputs and paths give one line naming the
file, the line, the column and the value."""

import datetime as dt
import sqlite3

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from loyalty_xl import LoyaltyXLError
from loyalty_xl.cli import app
from loyalty_xl.datasets import generate
from loyalty_xl.engine import analyse, compute_periods
from loyalty_xl.engine.csv_dialect import ReadOptions, read_options
from loyalty_xl.errors import FileError, InputError

SETTINGS = dict(periods=6, until="2025-06")


@pytest.fixture(scope="module")
def orders():
    frame = generate(customers=60, months=8, start="2024-11-01", seed=3)["orders"]
    frame = frame[["order_id", "customer_id", "order_date", "amount", "segment"]].copy()
    frame["order_date"] = pd.to_datetime(frame["order_date"]).dt.date
    frame["amount"] = frame["amount"].round(2)
    frame["segment"] = frame["segment"].replace({"store": "Geschäft €"})
    frame.loc[frame.index[::7], "amount"] *= 20  # some amounts >= 1,000 (thousands separators)
    frame.loc[frame.index[::5], "order_id"] = "#" + frame["order_id"].astype(str)  # Shopify
    return frame.reset_index(drop=True)


@pytest.fixture(scope="module")
def expected(orders, tmp_path_factory):
    path = tmp_path_factory.mktemp("clean") / "orders.csv"
    clean = orders.copy()
    clean["order_date"] = clean["order_date"].map(dt.date.isoformat)
    clean.to_csv(path, index=False)
    return compute_periods(str(path), **SETTINGS)


def german_amount(x, *, symbol=""):
    text = f"{x:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    return {"": text, "suffix": f"{text} €", "prefix": f"€ {text}"}[symbol]


def write(frame, path, *, delimiter=",", encoding="utf-8", date=dt.date.isoformat,
          amount=lambda x: f"{x:.2f}", blank_lines=False, quote_all=False, note_in=None,
          newline="\n", preamble=()):
    out = frame.copy()
    out["order_date"] = out["order_date"].map(date)
    out["amount"] = out["amount"].map(amount)
    if note_in is not None:  # a column with a quoted newline in some rows
        out["note"] = ["line one\nline two" if i % note_in == 0 else "ok"
                       for i in range(len(out))]
    lines = list(preamble)
    quote = (lambda v: '"' + str(v).replace('"', '""') + '"')

    def cell(v):
        v = str(v)
        if quote_all or any(c in v for c in (delimiter, '"', "\n")):
            return quote(v)
        return v

    lines.append(delimiter.join(cell(c) for c in out.columns))
    for i, row in enumerate(out.itertuples(index=False)):
        lines.append(delimiter.join(cell(v) for v in row))
        if blank_lines and i % 9 == 4:
            lines.append("")
    text = newline.join(lines) + newline
    data = text.encode(encoding)
    if encoding == "utf-16":
        pass  # Python writes the BOM
    path.write_bytes(data)
    return path


DIALECTS = {
    "excel_de": dict(delimiter=";", encoding="cp1252", newline="\r\n",
                     date=lambda d: d.strftime("%d.%m.%Y"), amount=german_amount),
    "excel_de_yy": dict(delimiter=";", encoding="cp1252",
                        date=lambda d: d.strftime("%d.%m.%y"), amount=german_amount),
    "excel_de_unpadded_time": dict(
        delimiter=";", date=lambda d: f"{d.day}.{d.month}.{d.year} 14:03",
        amount=lambda x: german_amount(x, symbol="suffix")),
    "euro_prefix": dict(delimiter=";", encoding="utf-8-sig",
                        amount=lambda x: german_amount(x, symbol="prefix")),
    "us_thousands_quoted": dict(delimiter=",", quote_all=True,
                                date=lambda d: f"{d.month}/{d.day}/{d.year}",
                                amount=lambda x: f"${x:,.2f}"),
    "uk_slashes": dict(delimiter=",", date=lambda d: d.strftime("%d/%m/%Y"),
                       amount=lambda x: f"£{x:.2f}"),
    "tsv_utf16": dict(delimiter="\t", encoding="utf-16",
                      date=lambda d: f"{d.isoformat()}T10:30:00+02:00"),
    "pipe_codes": dict(delimiter="|", amount=lambda x: f"EUR {x:.2f}"),
    "blank_lines_and_newlines": dict(blank_lines=True, note_in=4),
    "excel_sep_line": dict(delimiter=";", preamble=("sep=;",), amount=german_amount),
}


FAST = {"excel_de", "us_thousands_quoted", "blank_lines_and_newlines", "tsv_utf16"}


@pytest.mark.parametrize("dialect", [d if d in FAST else pytest.param(d, marks=pytest.mark.slow)
                                     for d in sorted(DIALECTS)])
def test_every_dialect_gives_the_clean_table(dialect, orders, expected, tmp_path):
    path = write(orders, tmp_path / f"{dialect}.csv", **DIALECTS[dialect])
    result = analyse(str(path), **SETTINGS)
    pd.testing.assert_frame_equal(result.periods, expected)
    item = result.quality.inputs[0]
    assert item.rows_used == len(orders) and not item.excluded


def test_what_was_detected_is_shown(orders, tmp_path):
    path = write(orders, tmp_path / "de.csv", **DIALECTS["excel_de"])
    result = analyse(str(path), **SETTINGS)
    line = result.quality.summary()
    assert line.startswith("orders (de.csv; Windows-1252, delimiter ';', decimal ',', dates "
                           "dd.mm.yyyy): ")
    table = result.quality.table()
    assert table.loc[0, ["encoding", "delimiter", "decimal", "date_format"]].tolist() == [
        "Windows-1252", "';'", ",", "dd.mm.yyyy"]
    assert result.quality.as_dict()["inputs"][0]["read"]["encoding"] == "Windows-1252"


def test_windows_1252_after_the_first_rows_is_judged_on_the_whole_file(tmp_path):
    rows = ["customer_id;order_date;amount;segment"]
    rows += [f"C{i};2025-01-0{1 + i % 9};1,50;Laden" for i in range(60_000)]
    rows.append("C9;2025-01-05;2,50;Büro €")
    path = tmp_path / "late.csv"
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1252"))
    result = analyse(str(path), periods=1)
    assert result.quality.inputs[0].read["encoding"] == "Windows-1252"
    assert result.periods["revenue"].iloc[-1] == pytest.approx(60_000 * 1.5 + 2.5)


def test_example_rows_name_the_real_line(tmp_path):
    path = tmp_path / "o.csv"
    path.write_text('customer_id,order_date,amount,note\n'
                    'A,2025-01-02,10,"two\nlines"\n'
                    '\n'
                    'B,2025-13-01,10,x\n'
                    'C,2025-01-03,ten,"a\n\nb"\n'
                    'D,2025-01-04,5,ok\n', encoding="utf-8")
    item = analyse(str(path), periods=1).quality.inputs[0]
    assert item.examples == {"unparseable order date": [(5, "2025-13-01")],
                             "unparseable amount": [(6, "ten")]}


def test_ambiguous_formats_are_errors_that_ask(tmp_path):
    path = tmp_path / "o.csv"
    path.write_text("customer_id,order_date,amount\nA,01/02/2025,10\nB,03/04/2025,11\n")
    with pytest.raises(InputError, match=r"orders input o.csv, column 'order_date', line 2: "
                       r"has dates that fit both dd/mm/yyyy and mm/dd/yyyy; got '01/02/2025'; "
                       r"say which with --read orders:date_format="):
        analyse(str(path), periods=1)
    table = compute_periods(str(path), periods=2, read={"orders": {"date_format": "mm/dd/yyyy"}})
    assert table["period"].tolist() == ["2025-02", "2025-03"]
    path.write_text("customer_id\torder_date\tamount\nA\t2025-01-02\t1.234\n")
    with pytest.raises(InputError, match=r"column 'amount', line 2: has numbers like '1.234' "
                       r"that read either as thousands or as decimals; say which"):
        analyse(str(path), periods=1)
    table = compute_periods(str(path), periods=1, read=["orders:decimal=,"])
    assert table["revenue"].tolist() == [1234.0]


def test_german_1_234_is_never_read_as_1_234(tmp_path):
    path = tmp_path / "o.csv"
    path.write_text("customer_id;order_date;amount\nA;2025-01-02;1.234\nB;2025-01-03;12,50\n")
    assert compute_periods(str(path), periods=1)["revenue"].tolist() == [1246.5]
    path.write_text("customer_id;order_date;amount\nA;2025-01-02;1.234\n")  # ';' => decimal ,
    result = analyse(str(path), periods=1)
    assert result.periods["revenue"].tolist() == [1234.0]
    assert any("decimal ','" in note for note in result.quality.notes())


def test_dates_and_amounts_out_of_range_are_excluded_and_counted(tmp_path):
    path = tmp_path / "o.csv"
    path.write_text("customer_id,order_date,amount\nA,2025-01-02,10\nB,9999-12-31,10\n"
                    "C,10000-01-01,10\nD,1899-12-31,10\nE,2025-01-02,1e308\nF,2025-01-02,1e308\n")
    item = analyse(str(path), periods=1).quality.inputs[0]
    assert item.excluded == {"order date before 1900 or after 2199": 2,
                             "amount beyond 10^15": 2, "unparseable order date": 1}
    assert item.examples["unparseable order date"] == [(4, "10000-01-01")]


def test_nothing_usable_prints_the_summary_and_period_outside_is_an_error(tmp_path):
    path = tmp_path / "o.csv"
    path.write_text("customer_id,order_date,amount\nA,soon,10\nB,later,x\n")
    with pytest.raises(InputError, match=r"orders input o.csv has no usable rows: 2 rows read, "
                       r"0 used, 2 excluded \(2 unparseable order date \(line 2: 'soon', "
                       r"line 3: 'later'\)\)"):
        analyse(str(path))
    path.write_text("customer_id,order_date,amount\nA,2025-01-02,10\nB,2025-03-04,5\n")
    with pytest.raises(InputError, match=r"until 2030-01 is outside the orders data, which "
                       r"runs from 2025-01-02 to 2025-03-04"):
        analyse(str(path), until="2030-01")
    result = CliRunner().invoke(app, ["periods", "--orders", str(path), "--period", "2030-01",
                                      "--out", str(tmp_path / "x.csv")])
    assert result.exit_code == 1
    assert result.output.startswith("loyalty-xl: error: --period 2030-01 is outside")


@pytest.mark.parametrize("content, message", [
    ("customer_id,order_date,amount\nA,2025-01-02,10\nB,2025-01-03,1,2\n",
     r"orders input bad.csv, line 3: 4 fields where the header has 3 \(delimiter ','\); "
     r"got 'B,2025-01-03,1,2'"),
    ("customer_id;order_date;amount\nA;2025-01-02;1.5\nB;2025-01-03;12,50\nC;2025-01-04;2,5\n"
     "D;2025-01-05;2.25\n",
     r"orders input bad.csv, column 'amount', line 2: mixes a decimal point \('1.5'\) and a "
     r"decimal comma \('12,50' at 3\)"),
    ("customer_id,order_date,amount\nA,2025-01-02,1\n\nB,\"x\ny\",2\nC,2025-01-02,\"open\n",
     r"orders input bad.csv, line 6: a quoted field is never closed"),
    ("\x1b[31mcustomer_id,order_date,amount\nA,2025-01-02,1\n",
     r"orders input bad.csv has no column 'customer_id'; its columns are: customer_id, "
     r"order_date, amount$"),
    ("customer_id,order_date,amount\nA,13/01/2025,1\nB,01/13/2025,1\n",
     r"orders input bad.csv, column 'order_date', line 2: has dates that are only dd/mm/yyyy "
     r"\('13/01/2025'\) and others only mm/dd/yyyy \('01/13/2025' at 3\)"),
])
def test_bad_inputs_give_one_line_with_file_line_column_value(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(LoyaltyXLError, match=message) as err:
        analyse(str(path), periods=1)
    assert "\n" not in str(err.value)


def test_read_options_are_checked():
    assert read_options({"orders": ReadOptions(delimiter="tab")}, ["orders"])["orders"] \
        .delimiter == "\t"
    for bad in (["orders:decimal=;"], ["nope:decimal=,"], {"orders": {"colour": 1}},
                ["orders:encoding=klingon"], ["orders:date_format=yy"]):
        with pytest.raises(InputError):
            read_options(bad, ["orders"])


# --- a frame written in a random dialect reads back equal --------------------------------

DELIMS = st.sampled_from([",", ";", "\t", "|"])
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"])
TEXT = st.text(alphabet=st.sampled_from(list("abcXYZ äöüß€#'\",;|\t\n0123456789")),
               min_size=1, max_size=8).filter(lambda s: s.strip() == s and s.strip())


@settings(max_examples=8, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(TEXT, st.dates(dt.date(1990, 1, 1), dt.date(2150, 12, 31)),
                               st.integers(-10**9, 10**9)), min_size=1, max_size=12),
       delimiter=DELIMS, encoding=ENCODINGS, german=st.booleans(), dotted=st.booleans(),
       blank=st.booleans())
def test_any_frame_in_a_random_dialect_reads_back_equal(tmp_path_factory, rows, delimiter,
                                                        encoding, german, dotted, blank):
    import contextlib

    from loyalty_xl.engine.backend import connection
    from loyalty_xl.engine.parsing import Columns
    from loyalty_xl.engine.sources import load

    frame = pd.DataFrame(rows, columns=["customer_id", "order_date", "cents"])
    frame["amount"] = frame["cents"] / 100
    path = tmp_path_factory.mktemp("p") / "o.csv"
    write(frame[["customer_id", "order_date", "amount"]].assign(
        customer_id=lambda f: "id " + f.customer_id), path, delimiter=delimiter,
        encoding=encoding, blank_lines=blank,
        date=(lambda d: d.strftime("%d.%m.%Y")) if dotted else dt.date.isoformat,
        amount=german_amount if german else (lambda x: f"{x:,.2f}"))
    read = ReadOptions(decimal="," if german else ".")
    with contextlib.ExitStack() as stack:
        con = connection(None, "1GB", stack)
        src = load(con, "orders", str(path), None, read)
        cols = Columns(src, {"day": "order_date"}, {"amount": "amount"}).decide()
        t = cols.table
        back = t.select(cid=t.customer_id, day=cols.day("day"), _row=t._row,
                        amount=cols.number("amount")).order_by("_row").execute()
    assert back["cid"].tolist() == ("id " + frame.customer_id).tolist()
    assert [pd.Timestamp(d).date() for d in back["day"]] == frame["order_date"].tolist()
    assert np.allclose(back["amount"].to_numpy(), frame["amount"].to_numpy(), rtol=0, atol=1e-9)


# --- paths are paths (issue 13) -----------------------------------------------------------

CSV = "customer_id,order_date,amount\nA,2025-01-02,10\n"


def test_glob_characters_read_that_file_only(tmp_path):
    (tmp_path / "ab.csv").write_text(CSV.replace("10", "99"))
    (tmp_path / "orders1.csv").write_text(CSV.replace("10", "99"))
    for name in ("a?.csv", "orders[1].csv", "o*.csv", "h#x.csv", "o'brien \"q\".csv"):
        (tmp_path / name).write_text(CSV)
        assert compute_periods(str(tmp_path / name), periods=1)["revenue"].tolist() == [10.0]
    folder = tmp_path / "data#1"
    folder.mkdir()
    (folder / "orders.csv").write_text(CSV)
    assert compute_periods(str(folder / "orders.csv"), periods=1)["revenue"].tolist() == [10.0]
    with pytest.raises(FileError, match="does not exist"):
        compute_periods(str(tmp_path / "a*.csv"), periods=1)


def test_a_path_is_never_sql(tmp_path):
    import duckdb

    target = tmp_path / "x.txt"
    evil = f"a';COPY (SELECT 1) TO '{target}';ATTACH '{tmp_path}/b/x.duckdb#orders"
    with pytest.raises(FileError, match="does not exist"):
        compute_periods(evil, periods=1)
    assert not target.exists()
    folder = tmp_path / "o'brien"
    folder.mkdir()
    con = duckdb.connect(str(folder / "shop.duckdb"))
    con.execute("CREATE TABLE orders AS SELECT 'A' AS customer_id, DATE '2025-01-02' AS "
                "order_date, 10.0 AS amount")
    con.close()
    table = compute_periods(f"{folder}/shop.duckdb#orders", periods=1)
    assert table["revenue"].tolist() == [10.0]
    with pytest.raises(LoyaltyXLError, match="orders"):  # a table name is an identifier
        compute_periods(f"{folder}/shop.duckdb#orders\"; DROP TABLE orders; --", periods=1)


def test_sqlite_behind_db_is_refused_without_network(tmp_path):
    path = tmp_path / "shop.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE orders (customer_id TEXT)")
    con.commit()
    con.close()
    with pytest.raises(FileError, match=r"orders input .*shop.db is a SQLite database; only "
                                        r"DuckDB databases"):
        compute_periods(f"{path}#orders", periods=1)


def test_the_engine_reads_nothing_but_its_inputs(tmp_path):
    import contextlib

    from loyalty_xl.engine.backend import connection
    from loyalty_xl.engine.sources import load, lock

    (tmp_path / "o.csv").write_text(CSV)
    (tmp_path / "secret.csv").write_text(CSV)
    with contextlib.ExitStack() as stack:
        con = connection(None, "1GB", stack)
        load(con, "orders", str(tmp_path / "o.csv"))
        lock(con)
        with pytest.raises(Exception, match="disabled by configuration"):
            con.con.execute(f"SELECT * FROM read_csv('{tmp_path / 'secret.csv'}')").fetchall()


def test_excel_serial_dates_and_text_cells_in_a_workbook(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["customer_id", "order_date", "amount"])
    sheet.append(["A", 45689, 10])  # 2025-02-01 as a serial number
    sheet.append(["B", dt.date(2025, 2, 3), "1.234,50 €"])
    sheet.append(["C", "03.02.2025", 2.5])
    book.save(tmp_path / "o.xlsx")
    result = analyse(str(tmp_path / "o.xlsx"), periods=1)
    assert result.periods["revenue"].tolist() == [10 + 1234.5 + 2.5]
    assert result.quality.inputs[0].read["date format"] == "yyyy-mm-dd + dd.mm.yyyy + Excel serial"


def test_qualtrics_extra_header_rows_are_skipped(tmp_path):
    path = tmp_path / "survey.tsv"
    text = ("answered_at\tmetric\tscore\n"
            "Recorded date\t\"Which metric?\nplease pick\"\tHow likely...\n"
            '{"ImportId":"recordedDate"}\t{"ImportId":"QID1"}\t{"ImportId":"QID2"}\n'
            "2025-01-02\tnps\t10\n2025-01-03\tnps\tx\n")
    path.write_bytes(text.encode("utf-16"))
    result = analyse(_orders(tmp_path), responses=str(path), periods=1)
    item = result.quality.inputs[1]
    assert (item.rows_read, item.rows_used) == (2, 1)
    assert item.examples == {"score is not a number": [(6, "x")]}
    assert "Qualtrics" in " ".join(item.notes)


def _orders(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(CSV)
    return str(path)


def test_cli_read_option_and_one_line_per_input(tmp_path):
    orders = tmp_path / "o.csv"
    orders.write_text("customer_id\torder_date\tamount\nA\t01/02/2025\t1.234\n")
    out = tmp_path / "k.csv"
    result = CliRunner().invoke(app, ["periods", "--orders", str(orders), "--periods", "1",
                                      "--read", "orders:decimal=,", "--read",
                                      "orders:date_format=dd/mm/yyyy", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert ("orders (o.csv; UTF-8, delimiter tab, decimal ',', dates dd/mm/yyyy): 1 rows read, "
            "1 used") in result.output
    assert pd.read_csv(out)["revenue"].tolist() == [1234.0]
    result = CliRunner().invoke(app, ["periods", "--orders", str(orders), "--read", "x",
                                      "--out", str(out), "--force"])
    assert result.exit_code == 1 and "a read option must be" in result.output


COMMA_VALUES = {"1.234,56 €": 1234.56, "€ 12,50": 12.5, "-12,50": -12.5, "(12,50)": -12.5,
                "1.234": 1234.0, "1,234": 1.234, "12": 12.0, "EUR 1.234.567,8": 1234567.8,
                "1 234,5": 1234.5, "12,5,0": None, "12,": None, "1.2.3": None, "abc": None}
POINT_VALUES = {"1,234.56": 1234.56, "$1,234.50": 1234.5, "EUR 12.50": 12.5, "(12.50)": -12.5,
                "1.234": 1.234, "1,234": 1234.0, "1e3": 1000.0, "12.5 USD": 12.5,
                "12.5.1": None, "1,2,3": None, "1_000": None}


@pytest.mark.parametrize("decimal, values", [(",", COMMA_VALUES), (".", POINT_VALUES)])
def test_every_number_shape_reads_as_written(decimal, values):
    import contextlib

    from loyalty_xl.engine.backend import connection
    from loyalty_xl.engine.parsing import Columns
    from loyalty_xl.engine.sources import load

    frame = pd.DataFrame({"customer_id": "A", "order_date": "2025-01-02",
                          "amount": list(values)})
    with contextlib.ExitStack() as stack:
        con = connection(None, "1GB", stack)
        src = load(con, "orders", frame, None, ReadOptions(decimal=decimal))
        cols = Columns(src, {"day": "order_date"}, {"amount": "amount"}).decide()
        t = cols.table
        got = t.select(_row=t._row, a=cols.number("amount")).order_by("_row").execute()["a"]
    for (text, expected), value in zip(values.items(), got):
        if expected is None:
            assert pd.isna(value), text
        else:
            assert value == pytest.approx(expected), text


@pytest.mark.parametrize("first, rest", [(b"\n", b"\r\n"), (b"\r\n", b"\n")])
def test_mixed_line_endings_read_like_one_kind(tmp_path, first, rest):
    """A file edited on two systems: the header ends in LF, the rows in CR LF (or back)."""
    from loyalty_xl.engine import analyse

    path = tmp_path / "mixed.csv"
    path.write_bytes(b"customer_id;order_date;amount" + first + b"A;31.12.2025;1,50" + rest
                     + b"B;01.01.2026;2,00" + rest)
    result = analyse(str(path), periods=2)
    item = result.quality.inputs[0]
    assert (item.rows_read, item.rows_used) == (2, 2)
    assert result.periods["revenue"].tolist() == [1.5, 2.0]


def test_column_mappings_per_input_and_typos(tmp_path):
    from loyalty_xl import LoyaltyXLError
    from loyalty_xl.engine import analyse

    orders = tmp_path / "bestellungen.csv"
    orders.write_text("Kundennummer;Bestelldatum;Betrag\nK1;31.12.2025;10,00\n"
                      "K2;02.01.2026;5,00\n", encoding="utf-8")
    members = tmp_path / "members.csv"  # English names: the orders' mapping must not apply
    members.write_text("customer_id,joined_at\nK1,2025-12-01\n", encoding="utf-8")
    shared = ["customer_id=Kundennummer", "order_date=Bestelldatum", "amount=Betrag"]
    result = analyse(str(orders), members=str(members), mapping=shared, periods=2)
    assert result.periods["members"].tolist() == [1, 1]
    own = ["orders:customer_id=Kundennummer", "orders:order_date=Bestelldatum",
           "orders:amount=Betrag"]
    assert analyse(str(orders), mapping=own, periods=2).periods["orders"].tolist() == [1, 1]
    with pytest.raises(LoyaltyXLError, match="no input has the column a mapping names: "
                                             "segment=Filiale"):
        analyse(str(orders), mapping=shared + ["segment=Filiale"], periods=2)
    with pytest.raises(LoyaltyXLError, match="names a column that does not exist"):
        analyse(str(orders), mapping=["custmer_id=Kundennummer"], periods=2)
    with pytest.raises(LoyaltyXLError, match="names an input that does not exist"):
        analyse(str(orders), mapping=["order:customer_id=Kundennummer"], periods=2)


def test_a_column_named_twice_is_an_error_not_a_guess(tmp_path):
    from loyalty_xl import LoyaltyXLError
    from loyalty_xl.engine import analyse

    path = tmp_path / "twice.csv"
    path.write_text("customer_id;customer_id;order_date;amount\nA;B;31.12.2025;1,00\n")
    with pytest.raises(LoyaltyXLError, match="has the column 'customer_id' twice"):
        analyse(str(path), periods=1)
