"""Publish writes only the difference: unchanged rows are left alone, changed and new rows
are written, rows gone upstream are removed, and the live table ends up holding exactly
the staged rows, whatever was done to it in between. Against SQLite and PostgreSQL."""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Iterable

from tasks.catalog import get_proxy_type
from tasks.sink import open_sink
from tasks.sink.base import Published
from tests.support.databases import execute_live, live_rows
from tests.support.jobenv import wait_for

PROXY = get_proxy_type("pg_profesi")  # has created_at/updated_at, stamped when missing
TABLE = PROXY.table.name
CONTENT = "id, nama, status_usulan, usulan_data, tipe"


def rows(count: int = 20) -> list[dict]:
    return [
        {
            "id": f"{i:04d}",
            "nama": f"pegawai {i}",
            "status_usulan": i % 3,
            "usulan_data": {"data": {"n": i}},
            "tipe": "" if i % 2 else "baru",
        }
        for i in range(count)
    ]


def clock_past(stamps: Iterable[str | datetime.datetime]) -> None:
    """Wait until now() (same host, millisecond stamps or finer) is later than every stamp."""
    latest = max(
        (s if isinstance(s, datetime.datetime)
         else datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))).timestamp()
        for s in stamps
    )
    wait_for(lambda: time.time() > latest + 0.002, timeout=5)


def publish(url: str, batch: list[dict]) -> Published:
    with open_sink(url).staging(PROXY) as staged:
        staged.stage(batch)
        staged.finalize()
        return staged.publish(lambda: True)


def test_a_resync_of_unchanged_rows_writes_nothing_and_keeps_their_stamps(
    database_url: str,
) -> None:
    assert publish(database_url, rows()) == Published(total=20, written=20, removed=0)
    before = live_rows(database_url, TABLE, f"{CONTENT}, created_at, updated_at")
    clock_past([row[-1] for row in before])  # a rewritten row would get a later stamp

    assert publish(database_url, rows()) == Published(total=20, written=0, removed=0)
    assert live_rows(database_url, TABLE, f"{CONTENT}, created_at, updated_at") == before


def test_changed_and_new_rows_are_written_and_gone_rows_removed(database_url: str) -> None:
    publish(database_url, rows())
    stamps = dict(live_rows(database_url, TABLE, "id, created_at"))
    clock_past(stamps.values())
    batch = rows()
    batch[3]["nama"] = "pegawai 3, renamed"
    batch[4]["usulan_data"] = {"data": {"n": 4, "extra": True}}
    batch[5]["tipe"] = None  # "" -> null is a change of value
    del batch[7]
    batch.append({"id": "0100", "nama": "new", "status_usulan": 0})

    result = publish(database_url, batch)

    assert result == Published(total=20, written=4, removed=4)
    assert result.unchanged == 16
    assert content(database_url) == sorted(
        (r["id"], r["nama"], r["status_usulan"], r.get("usulan_data"), r.get("tipe")) for r in batch
    )
    after = dict(live_rows(database_url, TABLE, "id, created_at"))
    rewritten = {k for k in after if after[k] != stamps.get(k)}
    assert rewritten == {"0003", "0004", "0005", "0100"}


def test_hand_edits_to_the_live_table_are_undone_by_the_next_publish(database_url: str) -> None:
    publish(database_url, rows())
    expected = content(database_url)
    execute_live(database_url, TABLE, "UPDATE {table} SET nama = 'edited' WHERE id = '0002'")
    execute_live(database_url, TABLE, "UPDATE {table} SET tipe = NULL WHERE id = '0004'")
    execute_live(database_url, TABLE, "DELETE FROM {table} WHERE id = '0009'")
    execute_live(database_url, TABLE, "INSERT INTO {table} (id, nama) VALUES ('zzz', 'stray')")

    result = publish(database_url, rows())

    assert result == Published(total=20, written=3, removed=3)
    assert content(database_url) == expected


def test_a_publish_of_nothing_empties_the_table(database_url: str) -> None:
    publish(database_url, rows(5))
    assert publish(database_url, []) == Published(total=0, written=0, removed=5)
    assert live_rows(database_url, TABLE) == []


def content(url: str) -> list[tuple]:
    """The live rows' content columns, JSON parsed (SQLite keeps it as text)."""
    return [
        (*row[:3], json.loads(row[3]) if isinstance(row[3], str) else row[3], row[4])
        for row in live_rows(url, TABLE, CONTENT)
    ]


def test_a_postgres_table_made_with_json_columns_is_diffed_too(postgres_url: str) -> None:
    # An older deployment may have made the table with json (no equality operator)
    # rather than jsonb; the diff must still tell unchanged rows from changed ones.
    import psycopg

    from tasks.sink.postgres import create_table_sql

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA siasn_proxy")
        conn.execute(create_table_sql(PROXY.table).replace("jsonb", "json"))
    publish(postgres_url, rows())
    batch = rows()
    batch[1]["usulan_data"] = {"data": {"n": 1, "changed": True}}

    assert publish(postgres_url, batch) == Published(total=20, written=1, removed=1)
    assert content(postgres_url)[1][3] == {"data": {"n": 1, "changed": True}}
