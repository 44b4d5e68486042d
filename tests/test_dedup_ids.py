"""Dedup and derived ids: the same data gives the same table, whatever the page order."""

from __future__ import annotations

import random

import pytest

from tasks.catalog import get_proxy_type
from tasks.clean import row_hash
from tasks.sink import open_sink
from tests.support.databases import live_rows

PROXY = get_proxy_type("skk")


def records() -> list[dict]:
    """Distinct records with every id quirk: twins sharing an id, null ids, falsy data."""
    rows = [
        {"id": f"id-{i:04d}", "nama": f"Pegawai {i}", "status_usulan": i % 3, "message": ""}
        for i in range(300)
    ]
    for i in range(0, 300, 37):  # a twin: same id, other content
        rows.append({"id": f"id-{i:04d}", "nama": f"Kembar {i}", "status_usulan": 0})
    rows.append({"id": "id-0000", "nama": "Kembar ketiga", "status_usulan": 0})
    for i in range(5):  # null and missing ids
        rows.append({"id": None, "nama": f"Tanpa id {i}"})
    rows.append({"nama": "No id key at all"})
    rows.append({"id": "bad-date", "tgl_usulan": "2024-13-45"})  # rejected
    return rows


def served(rows: list[dict], seed: int, page: int) -> list[list[dict]]:
    """The upstream's view: shuffled, with repeats, cut into pages of `page` rows."""
    rng = random.Random(seed)
    stream = rows + [dict(rng.choice(rows)) for _ in range(40)]  # identical copies
    rng.shuffle(stream)
    return [stream[i : i + page] for i in range(0, len(stream), page)]


def sync(url: str, pages: list[list[dict]]) -> tuple[dict, list[int]]:
    with open_sink(url).staging(PROXY) as staged:
        new = [staged.stage(page).new for page in pages]
        counts = staged.finalize()
        staged.publish(lambda: True)
    return counts, new


def test_ids_do_not_depend_on_page_order(database_url: str) -> None:
    rows = records()
    first, new = sync(database_url, served(rows, seed=1, page=50))
    table_a = {r[0]: r[1] for r in live_rows(database_url, PROXY.table.name, "id, nama")}
    second, _ = sync(database_url, served(rows, seed=2, page=33))
    table_b = {r[0]: r[1] for r in live_rows(database_url, PROXY.table.name, "id, nama")}

    assert table_a == table_b
    assert first == second
    distinct = len({row_hash(r) for r in rows})
    assert sum(new) == distinct  # stage() counted exactly the rows new to the run
    assert first.received == len(rows) + 40
    assert first.duplicates_removed == 40
    assert first.rejected == 1
    assert first.rows == len(table_a) == distinct - 1
    assert first.null_ids == 6
    assert first.ids_derived == len(range(0, 300, 37)) + 1  # twins + a third "id-0000"
    assert "bad-date" in first.reject_samples[0] and "tgl_usulan" in first.reject_samples[0]


def test_the_smallest_hash_keeps_the_id(database_url: str) -> None:
    rows = records()
    sync(database_url, [rows])
    table = {r[0]: r[1] for r in live_rows(database_url, PROXY.table.name, "id, nama")}
    group = [r for r in rows if r.get("id") == "id-0000"]
    keeper, *others = sorted(group, key=row_hash)
    assert table["id-0000"] == keeper["nama"]
    for other in others:
        assert table[f"id-0000~{row_hash(other)[:12]}"] == other["nama"]
    for row in rows:
        if row.get("id") is None:
            assert table[f"null~{row_hash(row)[:16]}"] == row["nama"]


def test_falsy_values_survive_the_database(database_url: str) -> None:
    proxy = get_proxy_type("pangkat")
    row = {
        "id": "x",
        "nama": "",
        "status_usulan": 0,
        "generated_nomor": False,
        "usulan_data": {"data": {"masa_kerja_bulan": 0, "catatan": ""}},
        "is_otomatis": False,
    }
    with open_sink(database_url).staging(proxy) as staged:
        staged.stage([row])
        staged.finalize()
        staged.publish(lambda: True)
    [(nama, status, generated, usulan, otomatis)] = live_rows(
        database_url,
        proxy.table.name,
        "nama, status_usulan, generated_nomor, usulan_data, is_otomatis",
    )
    assert nama == "" and status == 0 and not generated and generated is not None
    assert otomatis == "false"
    if isinstance(usulan, str):  # SQLite keeps JSON as text
        assert usulan == '{"data":{"catatan":"","masa_kerja_bulan":0}}'
    else:
        assert usulan == {"data": {"catatan": "", "masa_kerja_bulan": 0}}


def test_an_upstream_id_that_looks_derived_falls_back_to_the_full_hash(
    database_url: str,
) -> None:
    twin_a, twin_b = {"id": "a", "nama": "1"}, {"id": "a", "nama": "2"}
    loser = max(twin_a, twin_b, key=row_hash)
    impostor = {"id": f"a~{row_hash(loser)[:12]}", "nama": "impostor"}
    counts, _ = sync(database_url, [[twin_a, twin_b, impostor]])
    table = {r[0]: r[1] for r in live_rows(database_url, PROXY.table.name, "id, nama")}
    assert table[impostor["id"]] == "impostor"
    assert table[f"a~{row_hash(loser)}"] == loser["nama"]
    assert counts.rows == 3


@pytest.mark.parametrize("page", [1, 7])
def test_stage_counts_only_rows_new_to_the_run(database_url: str, page: int) -> None:
    rows = [{"id": str(i), "nama": "n"} for i in range(20)]
    with open_sink(database_url).staging(PROXY) as staged:
        assert staged.stage(rows[:10]) == (10, 0)
        # Repeats within and across pages; the two seen rows lead the page.
        assert staged.stage(rows[8:15] + rows[8:10]) == (5, 2)
        assert staged.stage([]) == (0, 0)
        assert sum(staged.stage(rows[i : i + page]).new for i in range(0, 20, page)) == 5


def test_unstorable_rows_are_counted_not_fatal(database_url: str) -> None:
    rows = [
        {"id": "ok", "nama": "fine"},
        {"id": "surrogate", "nama": "half an emoji \ud83d"},
        {"id": "nul", "nama": "a\x00b"},
        {"id": "bad-int", "status_usulan": "tiga"},
        {"id": "bad-int", "status_usulan": "tiga"},  # a repeat of a rejected row
    ]
    with open_sink(database_url).staging(PROXY) as staged:
        assert staged.stage(rows).new == 4
        counts = staged.finalize()
        assert staged.publish(lambda: True).total == 1
    assert counts.rejected == 3 and counts.duplicates_removed == 1
    assert len(counts.reject_samples) == 3
    assert live_rows(database_url, PROXY.table.name, "id") == [("ok",)]


def test_postgres_refusing_a_value_rejects_that_row_only(postgres_url: str) -> None:
    """Belt and braces: a value the cleaner let through but the database refuses."""
    rows = [{"id": str(i), "nama": f"n{i}"} for i in range(5)]
    staged = open_sink(postgres_url).staging(PROXY)
    prepare = staged._prepare
    column = PROXY.table.column_names.index("tgl_usulan")

    def sneak(row, **kw):
        values = list(prepare(row, **kw))
        if row["id"] == "3":
            values[column] = "2024-02-01T10:11:12+23:59"  # PostgreSQL refuses this offset
        return tuple(values)

    staged._prepare = sneak
    with staged:
        assert staged.stage(rows) == (5, 0)
        assert staged.stage(rows) == (0, 5)
        counts = staged.finalize()
        staged.publish(lambda: True)
    assert counts.rejected == 1
    assert "database refused" in counts.reject_samples[0]
    assert [r[0] for r in live_rows(postgres_url, PROXY.table.name, "id")] == ["0", "1", "2", "4"]
