"""dbt macros rendered with plain Jinja and run on DuckDB, without a dbt build: the dossier key
(the same as the loader's) and the fingerprint of the fee-bearing catalogue rows."""

from __future__ import annotations

from datetime import date

import duckdb

from sources.portal import DOSSIER_KEY_SQL, EVENTS
from sources.warehouse import quote
from tests.dbt_helpers import DBT_PROJECT_DIR


def test_dbt_computes_the_dossier_key_the_loader_stores() -> None:
    """dbt's dossier_key macro (the changed dossiers' keys) and the loader's DOSSIER_KEY_SQL (every
    raw event's) give the same key for every code, even in a DuckDB whose hash() differs: an
    incremental build that computed other keys would not find the changed dossiers' old events."""
    import jinja2

    macros = jinja2.Environment().from_string((DBT_PROJECT_DIR / "macros" / "dossier_key.sql").read_text())
    con = duckdb.connect()
    con.execute('create table events ("MaHoSo" varchar)')
    codes = ["000.20.33.H33-170312-00042", "D1", "", "hồ sơ 1", "000.00.12.H33-160111-00010"]
    con.executemany("insert into events values (?)", [(code,) for code in codes])
    loader = con.execute(f"select {EVENTS.derived[0].expression()} from events").fetchall()
    dbt = con.execute(f"select {macros.module.dossier_key(quote('MaHoSo'))} from events").fetchall()
    assert loader == dbt
    assert EVENTS.derived[0].sql == DOSSIER_KEY_SQL
    assert len({key for (key,) in loader}) == len(codes)
    assert all(0 <= key < 2**31 for (key,) in loader)  # an INTEGER, as Spark reads it from the lake


def fee_catalog_fingerprint(con: duckdb.DuckDBPyConnection, procedures: str) -> str:
    """macros/fee_catalog_fingerprint.sql's DuckDB query, rendered with plain Jinja, on ``procedures``."""
    import jinja2

    macros = jinja2.Environment().from_string((DBT_PROJECT_DIR / "macros" / "fee_catalog_fingerprint.sql").read_text())
    return con.execute(str(macros.module.default__fee_catalog_fingerprint_sql(procedures))).fetchone()[0]


def test_the_fee_catalogue_fingerprint_sees_rows_whose_hashes_collide() -> None:
    """Two fee-bearing rows added at once whose DuckDB hash() is the same (codes of the bench
    data that collide) change the fingerprint; a bit_xor of hashes, as it was, cancelled them.
    Row order does not matter; which validity bound is missing is told apart."""
    con = duckdb.connect()
    con.execute("create table procedures (procedure_code varchar, valid_from date, valid_to date, has_fee boolean)")
    con.execute(
        "insert into procedures values ('1.001', '2016-01-01', null, true), ('1.009', '2016-01-01', null, false)"
    )
    before = fee_catalog_fingerprint(con, "procedures")
    one, other = "000.00.12.H33-160111-00010", "000.00.02.H33-180111-00110"
    rows = [(one, date(2018, 1, 1), None, True), (other, date(2018, 1, 1), None, True)]
    con.executemany("insert into procedures values (?, ?, ?, ?)", rows)
    after = fee_catalog_fingerprint(con, "procedures")
    assert after != before
    old = "select bit_xor(hash(procedure_code, valid_from, valid_to)) from procedures where has_fee"
    if con.execute(
        "select hash(?, date '2018-01-01', null::date) = hash(?, date '2018-01-01', null::date)", [one, other]
    ).fetchone()[0]:
        con.execute("create table old_catalogue as select * from procedures where procedure_code not like '000%'")
        assert (
            con.execute(old).fetchone() == con.execute(old.replace("from procedures", "from old_catalogue")).fetchone()
        )
    con.execute("create table shuffled as select * from procedures order by procedure_code desc")
    assert fee_catalog_fingerprint(con, "shuffled") == after
    con.execute("update shuffled set valid_to = '2019-12-31' where procedure_code = ?", [one])
    assert fee_catalog_fingerprint(con, "shuffled") != after
    bounds = "select 'X' as procedure_code, {} as valid_from, {} as valid_to, true as has_fee"
    con.execute("create table open_end as " + bounds.format("date '2018-01-01'", "null::date"))
    con.execute("create table open_start as " + bounds.format("null::date", "date '2018-01-01'"))
    assert fee_catalog_fingerprint(con, "open_end") != fee_catalog_fingerprint(con, "open_start")
