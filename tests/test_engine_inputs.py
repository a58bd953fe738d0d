"""The period engine's inputs: file formats, column mapping, data quality, strict mode, the CLI,
and the bundled sample checked against the KPI library applied with plain pandas filters."""

import datetime as dt

import numpy as np
import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

import loyalty_xl as lx
from loyalty_xl import LoyaltyXLError
from loyalty_xl.cli import app
from loyalty_xl.datasets import load_sample, sample_paths
from loyalty_xl.engine import analyse
from tests.test_engine import ORDERS, SETTINGS


@pytest.fixture(scope="module")
def sample():
    return load_sample()


@pytest.fixture(scope="module")
def sample_result():
    p = sample_paths()
    return analyse(str(p["orders"]), responses=str(p["responses"]), spend=str(p["spend"]),
                   members=str(p["members"]), events=str(p["events"]))


def reasons(result, name):
    item = next(i for i in result.quality.inputs if i.name == name)
    return item


def test_every_orders_reason_is_counted_with_examples():
    bad = pd.DataFrame([
        ("o1", "A", "2026-01-05", "10"), ("o2", "", "2026-01-06", "10"),
        ("o3", "B", "31.02.2026", "10"), ("o4", "B", "2026-01-07", "12,5,0"),
        ("o1", "A", "2026-01-05", "10"), ("o5", "C", "2026-01-08", "inf"),
    ], columns=["order_id", "customer_id", "order_date", "amount"])
    result = analyse(bad, periods=1)
    item = reasons(result, "orders")
    assert (item.rows_read, item.rows_used) == (6, 1)
    assert item.excluded == {"missing customer id": 1, "unparseable order date": 1,
                             "unparseable amount": 2, "duplicate order id": 1}
    assert item.examples["unparseable order date"] == [(3, "31.02.2026")]
    assert item.examples["duplicate order id"] == [(5, "o1")]
    assert item.examples["missing customer id"] == [(2, "(blank)")]
    assert result.periods["orders"].tolist() == [1]


def test_every_responses_spend_and_programme_reason():
    responses = pd.DataFrame([
        ("2026-01-05", "nps", "9", "r1", "1"), ("soon", "nps", "9", "r2", "1"),
        ("2026-01-05", "loyalty", "9", "r3", "1"), ("2026-01-05", "nps", "", "r4", "1"),
        ("2026-01-05", "nps", "11", "r5", "1"), ("2026-01-05", "csat", "4.5", "r6", "1"),
        ("2026-01-05", "ces", "5", "r7", "-1"), ("2026-01-05", "cli_recommend", "2", "", "1"),
    ], columns=["answered_at", "metric", "score", "respondent_id", "weight"])
    spend = pd.DataFrame([("2026-01", "100", "marketing"), ("Jan", "1", "marketing"),
                          ("2026-01", "-5", "sales"), ("2026-01", "7", "tv")],
                         columns=["period", "amount", "kind"])
    members = pd.DataFrame([("A", "2026-01-01"), ("", "2026-01-01"), ("B", "never"),
                            ("A", "2026-01-02")], columns=["customer_id", "joined_at"])
    events = pd.DataFrame([("A", "2026-01-03", "earned", "5"), ("A", "x", "issued", "5"),
                           ("A", "2026-01-03", "gift", "5"), ("A", "2026-01-03", "redeemed", "-2"),
                           ("", "2026-01-03", "issued", "1")],
                          columns=["customer_id", "date", "kind", "points"])
    result = analyse(ORDERS, responses=responses, spend=spend, members=members, events=events,
                     periods=4, until="2026-04")
    assert reasons(result, "responses").excluded == {
        "unparseable answer date": 1, "unknown metric": 1, "score is not a number": 1,
        "score off its scale": 1, "score is not a whole number": 1, "weight is not a number >= 0": 1,
        "CLI answer without respondent_id": 1}
    assert reasons(result, "spend").excluded == {
        "unparseable date or period": 1, "amount is not a number >= 0": 1,
        "kind is not marketing or sales": 1}
    assert reasons(result, "members").excluded == {
        "missing customer id": 1, "unparseable joined_at date": 1, "member listed twice": 1}
    assert reasons(result, "events").excluded == {
        "unparseable date": 1, "kind is not issued or redeemed": 1,
        "points is not a number >= 0": 1, "missing customer id": 1}
    assert result.periods["spend"].tolist()[0] == 100
    table = result.quality.table()
    assert table["rows_excluded"].sum() == result.quality.rows_excluded == 17


def test_a_cli_question_answered_twice_is_reported_not_dropped():
    responses = pd.DataFrame([
        ("2026-04-02", "cli_recommend", "1", "r1"), ("2026-04-03", "cli_recommend", "6", "r1"),
        ("2026-04-02", "cli_buy_again", "3", "r1"), ("2026-03-02", "cli_recommend", "2", "r1"),
    ], columns=["answered_at", "metric", "score", "respondent_id"])
    result = analyse(ORDERS, responses=responses, **SETTINGS)
    item = reasons(result, "responses")
    assert item.excluded == {"CLI question answered twice by a respondent": 1}
    assert item.examples["CLI question answered twice by a respondent"] == [(2, "r1")]
    # April: r1 answered 1 and 3 (the second "recommend" excluded): (100 + 60) / 2.
    # March: the same respondent in another period is a new answer: 80.
    assert result.periods["cli"].tolist()[2:] == [80.0, 80.0]


def test_strict_turns_an_excluded_row_into_an_error():
    bad = ORDERS.copy()
    bad.loc[3, "order_date"] = "31.02.2026"
    with pytest.raises(LoyaltyXLError, match=r"orders input DataFrame, row 4: unparseable "
                                             r"order date; got '31.02.2026'"):
        analyse(bad, strict=True, **SETTINGS)


def test_missing_column_names_input_column_and_columns_present():
    with pytest.raises(LoyaltyXLError, match="orders input DataFrame has no column "
                                             "'order_date'; its columns are: order_id, "
                                             "customer_id, day, amount"):
        analyse(ORDERS.rename(columns={"order_date": "day"}))


def test_column_mapping_and_case_insensitive_names(tmp_path):
    german = ORDERS.rename(columns={"order_date": "Bestelldatum", "customer_id": "KUNDE",
                                    "amount": "Betrag"})
    mapped = analyse(german, mapping=["order_date=Bestelldatum", "customer_id=kunde",
                                      "amount=Betrag"], **SETTINGS)
    plain = analyse(ORDERS, **SETTINGS)
    pd.testing.assert_frame_equal(mapped.periods, plain.periods)
    with pytest.raises(LoyaltyXLError, match="column=SourceColumn"):
        analyse(ORDERS, mapping=["order_date"])


def test_csv_parquet_xlsx_and_duckdb_inputs_agree(tmp_path):
    import duckdb

    expected = analyse(ORDERS, **SETTINGS).periods
    ORDERS.to_csv(tmp_path / "orders.csv", index=False)
    typed = ORDERS.assign(order_date=pd.to_datetime(ORDERS.order_date))
    typed.to_parquet(tmp_path / "orders.parquet")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Export"
    sheet.append(["Orders of 2026"])  # a title row above the table
    sheet.append(list(ORDERS.columns))
    for row in ORDERS.itertuples(index=False):
        sheet.append([row.order_id, row.customer_id, dt.date.fromisoformat(row.order_date),
                      row.amount])
    from openpyxl.worksheet.table import Table
    sheet.add_table(Table(displayName="Orders", ref=f"A2:D{len(ORDERS) + 2}"))
    book.save(tmp_path / "orders.xlsx")
    with duckdb.connect(str(tmp_path / "shop.duckdb")) as con:
        con.register("typed", typed)
        con.execute("CREATE TABLE orders AS SELECT * FROM typed")
    for spec in (tmp_path / "orders.csv", tmp_path / "orders.parquet",
                 f"{tmp_path / 'orders.xlsx'}#Orders", f"{tmp_path / 'shop.duckdb'}#orders"):
        got = analyse(str(spec), **SETTINGS).periods
        pd.testing.assert_frame_equal(got, expected, check_dtype=False, obj=str(spec))


def test_xlsx_row_numbers_and_unknown_sheet(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["customer_id", "order_date", "amount"])
    sheet.append(["A", "2026-01-05", 10])
    sheet.append(["B", "someday", 10])
    book.save(tmp_path / "o.xlsx")
    result = analyse(str(tmp_path / "o.xlsx"), periods=1)
    assert reasons(result, "orders").examples["unparseable order date"] == [(3, "someday")]
    with pytest.raises(LoyaltyXLError, match="has no sheet or table 'Nope'; sheets: Sheet"):
        analyse(f"{tmp_path / 'o.xlsx'}#Nope")
    with pytest.raises(LoyaltyXLError, match="orders input .*missing.csv does not exist"):
        analyse(str(tmp_path / "missing.csv"))


def test_bad_settings_are_errors():
    with pytest.raises(LoyaltyXLError, match="period must be one of month, week, quarter"):
        analyse(ORDERS, period="fortnight")
    with pytest.raises(LoyaltyXLError, match="until must be a month such as 2026-10"):
        analyse(ORDERS, until="October")
    with pytest.raises(LoyaltyXLError, match="csat_scale must be one of"):
        analyse(ORDERS, csat_scale="1-3")


def test_sample_quality_reports_the_planted_faults(sample_result):
    orders = reasons(sample_result, "orders")
    assert orders.excluded == {"duplicate order id": 2, "unparseable order date": 2,
                               "missing customer id": 1, "unparseable amount": 1}
    assert orders.rows_read == orders.rows_used + 6
    assert reasons(sample_result, "responses").rows_excluded == 4
    assert sample_result.periods["period"].tolist()[-1] == "2026-10"
    assert len(sample_result.periods) == 13


def test_sample_equals_the_kpi_library_on_pandas_filters(sample, sample_result):
    """Recompute the last period's KPIs from the sample with pandas and the KPI library."""
    o = sample["orders"].copy()
    o["day"] = pd.to_datetime(o.order_date, errors="coerce", format="ISO8601")
    o["amount"] = pd.to_numeric(o.amount, errors="coerce")
    o = o[(o.customer_id != "") & o.day.notna() & o.amount.notna()]
    o = o.drop_duplicates("order_id")
    orders = o[o.amount >= 0]
    row = sample_result.periods.iloc[-1]
    start, end = pd.Timestamp("2026-10-01"), pd.Timestamp("2026-11-01")
    year = pd.Timestamp("2025-11-01")
    month = orders[(orders.day >= start) & (orders.day < end)]
    assert row.orders == len(month)
    net = o[(o.day >= start) & (o.day < end)].amount.sum()
    assert row.revenue == pytest.approx(net)
    window = orders[(orders.day >= year) & (orders.day < end)]
    refunds = o[(o.day >= year) & (o.day < end) & (o.amount < 0)].amount.sum()
    assert row.repeat_purchase_rate == pytest.approx(lx.repeat_purchase_rate(window.customer_id))
    assert row.average_purchase_value == pytest.approx(lx.average_purchase_value(
        window.amount.sum() + refunds, len(window)))
    assert row.purchase_frequency == pytest.approx(lx.purchase_frequency(
        len(window), window.customer_id.nunique()))
    history = orders[orders.day < end]
    lifespan = lx.average_customer_lifespan(history.customer_id, history.day)
    assert row.average_customer_lifespan == pytest.approx(lifespan)
    assert row.customer_lifetime_value == pytest.approx(lx.customer_lifetime_value(
        row.average_purchase_value, row.purchase_frequency, lifespan))

    def active(at):
        recent = orders[(orders.day >= at - pd.Timedelta(days=365)) & (orders.day < at)]
        return set(recent.customer_id)

    first = orders.groupby("customer_id").day.min()
    new = set(first[(first >= start) & (first < end)].index)
    cs, ce = active(start), active(end)
    assert (row.customers_start, row.customers_end, row.new_customers) == (
        len(cs), len(ce), len(new))
    assert row.lost_customers == len(cs - ce)
    assert row.retention_rate == pytest.approx(len(cs & ce) / len(cs))
    assert row.churn_rate == pytest.approx(lx.churn_rate(len(cs), len(cs - ce)))
    r = sample["responses"]
    r = r.assign(day=pd.to_datetime(r.answered_at, errors="coerce", format="ISO8601"),
                 score=pd.to_numeric(r.score, errors="coerce"))
    r = r[(r.day >= start) & (r.day < end)]
    nps = r[(r.metric == "nps") & r.score.between(0, 10)].score
    assert row.nps == pytest.approx(lx.net_promoter_score(nps))
    assert (row.nps_low, row.nps_high) == pytest.approx(tuple(lx.nps_interval(nps)[2:4]))
    assert row.csat == pytest.approx(lx.csat(r[r.metric == "csat"].score, scale="1-5"))
    assert row.ces == pytest.approx(lx.customer_effort_score(r[r.metric == "ces"].score))
    spend = sample["spend"]
    spend = spend[spend.date.str.startswith("2026-10")]
    marketing = pd.to_numeric(spend[spend.kind == "marketing"].amount).sum()
    sales = pd.to_numeric(spend[spend.kind == "sales"].amount).sum()
    assert row.customer_acquisition_cost == pytest.approx(lx.customer_acquisition_cost(
        marketing, len(new), sales_spend=sales))


def test_sample_cohorts_equal_the_kpi_library(sample, sample_result):
    o = sample["orders"]
    o = o.assign(day=pd.to_datetime(o.order_date, errors="coerce", format="ISO8601"),
                 amount=pd.to_numeric(o.amount, errors="coerce"))
    o = o[(o.customer_id != "") & o.day.notna() & o.amount.notna() & (o.amount >= 0)]
    o = o.drop_duplicates("order_id")
    full = lx.cohort_retention(o.customer_id, o.day)
    engine = sample_result.cohorts
    for cohort in engine.index:
        mine = engine.loc[cohort].to_numpy(dtype=float)
        theirs = full.loc[cohort].to_numpy(dtype=float)[:len(mine)]
        np.testing.assert_allclose(mine, theirs, equal_nan=True)


def test_cli_periods_writes_csv_parquet_and_xlsx(tmp_path):
    p = sample_paths()
    runner = CliRunner()
    for name in ("kpis.csv", "kpis.parquet", "kpis.xlsx"):
        out = tmp_path / name
        result = runner.invoke(app, ["periods", "--orders", str(p["orders"]), "--responses",
                                     str(p["responses"]), "--periods", "6", "--period",
                                     "2026-09", "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert "wrote" in result.output and "6 periods" in result.output
    table = pd.read_csv(tmp_path / "kpis.csv")
    assert table["period"].tolist()[-1] == "2026-09" and len(table) == 6
    assert pd.read_parquet(tmp_path / "kpis.parquet")["orders"].tolist() == \
        table["orders"].tolist()
    book = openpyxl.load_workbook(tmp_path / "kpis.xlsx")
    assert book.sheetnames == ["Periods", "Cohorts", "Data quality"]


def test_cli_periods_errors(tmp_path):
    runner = CliRunner()
    out = tmp_path / "kpis.csv"
    out.write_text("keep me")
    result = runner.invoke(app, ["periods", "--orders", str(sample_paths()["orders"]),
                                 "--out", str(out)])
    assert result.exit_code == 1 and "already exists; use --force" in result.output
    assert out.read_text() == "keep me"
    result = runner.invoke(app, ["periods", "--orders", str(sample_paths()["orders"]),
                                 "--strict", "--out", str(tmp_path / "x.csv")])
    assert result.exit_code == 1
    assert "loyalty-xl: error: orders input orders.csv.gz, line" in result.output
    assert not (tmp_path / "x.csv").exists()
    result = runner.invoke(app, ["periods", "--orders", "nowhere.csv", "--out",
                                 str(tmp_path / "y.csv")])
    assert result.exit_code == 1 and "nowhere.csv does not exist" in result.output


def test_unknown_settings_and_mapping_dicts_are_checked():
    with pytest.raises(LoyaltyXLError, match="unknown setting 'end'; the settings are: period"):
        analyse(ORDERS, end="2026-10")
    with pytest.raises(LoyaltyXLError, match="names a column that does not exist"):
        analyse(ORDERS, mapping={"custmer_id": "Kunde"})
