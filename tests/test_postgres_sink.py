"""The PostgreSQL sink builds exactly the tables the deployment's read side queries.

Also: SQLite gets the same names (no schema) in WAL mode, stale staging tables from
crashed runs are dropped, and a missing driver says how to install it.
"""

from __future__ import annotations

import sqlite3
import sys

import psycopg
import pytest

from tasks.catalog import CATALOG, get_proxy_type
from tasks.errors import PermanentFailure
from tasks.sink import MissingDriver, SinkConfigError, SinkError, SinkSchemaError, open_sink
from tasks.sink.ledger import RUNS_TABLE, TOTALS_TABLE

PG_TYPE = {
    "text": "text",
    "int": "integer",
    "bool": "boolean",
    "json": "jsonb",
    "timestamp": "timestamp with time zone",
}
# Spot checks written out by hand from UPSTREAM.md, independent of the catalog.
EXPECTED = {
    "proxy_pangkat": {
        "StatusData": "text",
        "generated_nomor": "boolean",
        "alasan_tolak_id": "integer",
        "tgl_usulan": "text",
        "periode": "text",
        "usulan_data": "jsonb",
        "created_at": "timestamp with time zone",
    },
    "proxy_pensiun": {
        "alasan_tolak_id": "text",
        "updated_at": "timestamp with time zone",
        "usulan_taspen": "jsonb",
        "sk_tgl": "timestamp with time zone",
    },
    "proxy_pg_akademik": {"sub_layanan": "text", "rekomendasi_approval": "integer"},
    "proxy_pg_profesi": {"created_at": "timestamp with time zone"},
    "proxy_skk": {
        "typeSignature": "text",
        "deleted_at": "text",
        "mulai_tgl": "timestamp with time zone",
    },
}

LEDGER_TABLES = {RUNS_TABLE, TOTALS_TABLE}  # the run ledger lives beside the data


def open_all(url: str) -> None:
    sink = open_sink(url)
    for proxy in CATALOG.values():
        sink.staging(proxy).discard()


def test_schema_tables_and_columns_match_upstream_md(postgres_url: str) -> None:
    open_all(postgres_url)
    with psycopg.connect(postgres_url) as conn:
        tables = {
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'siasn_proxy'"
            )
        }
        assert tables == {p.table.name for p in CATALOG.values()} | LEDGER_TABLES
        for proxy in CATALOG.values():
            rows = conn.execute(
                "SELECT column_name, data_type, column_default FROM information_schema.columns "
                "WHERE table_schema = 'siasn_proxy' AND table_name = %s ORDER BY ordinal_position",
                (proxy.table.name,),
            ).fetchall()
            assert [r[0] for r in rows] == list(proxy.table.column_names)
            types = {r[0]: r[1] for r in rows}
            for column in proxy.table.columns:
                assert types[column.name] == PG_TYPE[column.type], column
            for name, expected in EXPECTED[proxy.table.name].items():
                assert types[name] == expected, (proxy.table.name, name)
            defaults = {r[0] for r in rows if r[2] and "now()" in r[2]}
            assert defaults == {c.name for c in proxy.table.columns if c.default_now}
            pk = conn.execute(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
                "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                "WHERE i.indrelid = %s::regclass AND i.indisprimary",
                (f'siasn_proxy."{proxy.table.name}"',),
            ).fetchall()
            assert pk == [("id",)]
    assert set(EXPECTED["proxy_pangkat"]) <= set(get_proxy_type("pangkat").table.column_names)


def test_mixed_case_names_are_queryable_quoted(postgres_url: str) -> None:
    open_all(postgres_url)
    with open_sink(postgres_url).staging(get_proxy_type("skk")) as staged:
        staged.stage([{"id": "1", "typeSignature": "TTE"}])
        staged.finalize()
        staged.publish(lambda: True)
    with psycopg.connect(postgres_url) as conn:
        got = conn.execute('SELECT "typeSignature" FROM siasn_proxy.proxy_skk').fetchall()
    assert got == [("TTE",)]


def test_sqlite_has_the_same_tables_in_wal_mode(sqlite_url: str) -> None:
    open_all(sqlite_url)
    conn = sqlite3.connect(sqlite_url[len("sqlite:///") :])
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    for proxy in CATALOG.values():
        cols = [r[1] for r in conn.execute(f'PRAGMA table_info("{proxy.table.name}")')]
        assert cols == list(proxy.table.column_names)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    # staging never lands here
    assert tables == {p.table.name for p in CATALOG.values()} | LEDGER_TABLES


def test_created_at_defaults_to_now_when_not_sent(database_url: str) -> None:
    proxy = get_proxy_type("pg_profesi")
    with open_sink(database_url).staging(proxy) as staged:
        staged.stage([{"id": "a"}, {"id": "b", "created_at": "2020-01-02T03:04:05Z"}])
        staged.finalize()
        staged.publish(lambda: True)
    from tests.support.databases import live_rows

    rows = dict(live_rows(database_url, proxy.table.name, "id, created_at"))
    assert rows["a"] is not None
    assert str(rows["b"]).startswith("2020-01-02")


def test_stale_staging_of_a_crashed_run_is_dropped(postgres_url: str) -> None:
    proxy = get_proxy_type("pangkat")
    sink = open_sink(postgres_url)

    def staging_tables() -> set[str]:
        with psycopg.connect(postgres_url) as conn:
            return {
                r[0]
                for r in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE tablename LIKE '\\_staging\\_%'"
                )
            }

    crashed = sink.staging(proxy)
    crashed.stage([{"id": "1"}])
    crashed._conn.close()  # the worker died: its session (and advisory lock) is gone
    other_type = sink.staging(get_proxy_type("skk"))
    assert staging_tables() == {crashed.name, other_type.name}

    alive = sink.staging(proxy)  # the next pangkat run drops the ownerless table
    assert staging_tables() == {alive.name, other_type.name}
    fresh = sink.staging(proxy)  # a live run's table (a superseded run winding down) stays
    assert staging_tables() == {alive.name, other_type.name, fresh.name}
    for staged in (alive, other_type, fresh):
        staged.discard()
    assert staging_tables() == set()


def test_a_live_table_missing_columns_is_refused(postgres_url: str) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA siasn_proxy")
        conn.execute('CREATE TABLE siasn_proxy.proxy_skk (id text PRIMARY KEY, "nama" text)')
    with pytest.raises(SinkSchemaError, match="lacks columns jenis_layanan"):
        open_sink(postgres_url).staging(get_proxy_type("skk"))


def test_missing_driver_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg -> ImportError
    with pytest.raises(MissingDriver, match=r"pip install 'proxytui\[postgres\]'"):
        open_sink("postgresql://user@localhost/db")


def test_unknown_url_names_the_accepted_forms() -> None:
    with pytest.raises(SinkConfigError, match="sqlite:///") as caught:
        open_sink("mysql://root:secret@db/x")
    assert isinstance(caught.value, PermanentFailure)  # retrying cannot fix a bad URL
    assert "secret" not in str(caught.value)


def test_unreachable_server_is_a_clear_error() -> None:
    with pytest.raises(SinkError, match="cannot connect"):
        open_sink("postgresql://postgres:pw@127.0.0.1:1/nothing").count(get_proxy_type("skk"))
