"""Publish is one transaction: readers see the old rows until commit, then the new ones.

A failed run, a cancelled run (fence says no) and a fence that blows up all leave the
live rows exactly as they were. Run against SQLite (WAL) and PostgreSQL (MVCC).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable

import pytest

from tasks.catalog import get_proxy_type
from tasks.errors import JobCancelled
from tasks.sink import FenceLost, open_sink
from tests.support.databases import live_rows
from tests.support.jobenv import wait_for

PROXY = get_proxy_type("pg_profesi")
TABLE = PROXY.table.name


def version(tag: str, count: int) -> list[dict]:
    return [
        {"id": f"{i:05d}", "nama": f"{tag}-{i}", "status_usulan": 0, "usulan_data": {"v": tag}}
        for i in range(count)
    ]


def publish(url: str, rows: list[dict], fence: Callable[[], bool] = lambda: True) -> int:
    with open_sink(url).staging(PROXY) as staged:
        staged.stage(rows)
        staged.finalize()
        return staged.publish(fence).total


def reader(url: str) -> Callable[[], tuple[int, str | None, str | None]]:
    """A separate connection answering (count, min tag, max tag) of the live table."""
    sql = f'SELECT count(*), min(substr(nama, 1, 2)), max(substr(nama, 1, 2)) FROM {{}}"{TABLE}"'
    if url.startswith("sqlite:///"):
        conn = sqlite3.connect(url[len("sqlite:///") :], check_same_thread=False)
        return lambda: conn.execute(sql.format("")).fetchone()
    import psycopg

    pg = psycopg.connect(url, autocommit=True)
    return lambda: pg.execute(sql.format("siasn_proxy.")).fetchone()


def test_readers_see_old_rows_until_commit_then_new(database_url: str) -> None:
    publish(database_url, version("v1", 500))
    read = reader(database_url)
    seen: list[tuple[float, tuple, float]] = []  # (read began, what it saw, read ended)
    window: dict[str, float] = {}
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            began = time.monotonic()
            seen.append((began, read(), time.monotonic()))

    def reads_since(moment: float) -> int:
        return sum(1 for began, _, _ in list(seen) if began >= moment)

    def slow_fence() -> bool:
        # Inside the transaction, after DELETE + INSERT, before COMMIT: hold it open until
        # three reads have begun and ended inside it (readers blocked: they never do).
        window["start"] = time.monotonic()
        deadline = window["start"] + 10
        while reads_since(window["start"]) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        window["end"] = time.monotonic()
        return True

    thread = threading.Thread(target=poll)
    thread.start()
    try:
        wait_for(lambda: seen, timeout=10)  # the reader is reading the old rows
        assert publish(database_url, version("v2", 800), slow_fence) == 800
        committed = time.monotonic()
        wait_for(lambda: reads_since(committed) >= 1, timeout=10)
    finally:
        stop.set()
        thread.join()

    results = [r for _, r, _ in seen]
    assert set(results) == {(500, "v1", "v1"), (800, "v2", "v2")}, set(results)
    first_new = results.index((800, "v2", "v2"))
    assert all(r == (500, "v1", "v1") for r in results[:first_new])
    assert all(r == (800, "v2", "v2") for r in results[first_new:])
    # Reads wholly inside the open transaction: begun after it reached the fence and
    # finished before the fence let it commit (a read begun in time but held up by the
    # scheduler until after the commit rightly sees the new rows).
    during = [r for began, r, ended in seen if window["start"] <= began and ended <= window["end"]]
    assert len(during) >= 3, "readers were blocked while the publish transaction was open"
    assert set(during) == {(500, "v1", "v1")}


def test_a_failed_run_leaves_live_rows_untouched(database_url: str) -> None:
    publish(database_url, version("v1", 50))
    before = live_rows(database_url, TABLE)
    with pytest.raises(RuntimeError), open_sink(database_url).staging(PROXY) as staged:
        staged.stage(version("v2", 80))
        staged.finalize()
        raise RuntimeError("upstream went away before publish")
    assert live_rows(database_url, TABLE) == before


def test_a_fence_that_says_no_rolls_back(database_url: str) -> None:
    publish(database_url, version("v1", 50))
    before = live_rows(database_url, TABLE)
    staged = open_sink(database_url).staging(PROXY)
    staged.stage(version("v2", 80))
    staged.finalize()
    with pytest.raises(FenceLost) as caught:
        staged.publish(lambda: False)
    assert isinstance(caught.value, JobCancelled)
    staged.discard()
    assert live_rows(database_url, TABLE) == before


def test_a_fence_that_raises_rolls_back(database_url: str) -> None:
    publish(database_url, version("v1", 50))
    before = live_rows(database_url, TABLE)

    def broken() -> bool:
        raise ConnectionError("job store unreachable")

    with pytest.raises(ConnectionError), open_sink(database_url).staging(PROXY) as staged:
        staged.stage(version("v2", 80))
        staged.finalize()
        staged.publish(broken)
    assert live_rows(database_url, TABLE) == before


def test_concurrent_publishes_never_mix(database_url: str) -> None:
    """Two runs of one type (a superseded one still publishing): one wins whole."""
    publish(database_url, version("v0", 10))
    sink = open_sink(database_url)
    staged = {tag: sink.staging(PROXY) for tag in ("v1", "v2")}
    for tag, count in (("v1", 300), ("v2", 200)):
        staged[tag].stage(version(tag, count))
        staged[tag].finalize()

    # Each fence holds its transaction open until both runs have begun to publish, so
    # the two publishes overlap whichever thread gets the table first.
    started = {tag: threading.Event() for tag in staged}

    def both_started() -> bool:
        return all(event.wait(30) for event in started.values())

    errors: list[BaseException] = []

    def run(tag: str) -> None:
        try:
            started[tag].set()
            staged[tag].publish(both_started)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(tag,)) for tag in staged]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    rows = live_rows(database_url, TABLE, "nama")
    tags = {nama[:2] for (nama,) in rows}
    assert tags in ({"v1"}, {"v2"})
    assert len(rows) == {"v1": 300, "v2": 200}[tags.pop()]


def test_publish_drops_the_staging_table(database_url: str) -> None:
    staged = open_sink(database_url).staging(PROXY)
    staged.stage(version("v1", 3))
    staged.finalize()
    staged.publish(lambda: True)
    staged.discard()  # idempotent
    if database_url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(database_url) as conn:
            left = conn.execute(
                "SELECT count(*) FROM pg_tables WHERE tablename LIKE '\\_staging\\_%'"
            ).fetchone()[0]
        assert left == 0


def test_a_new_sqlite_database_holds_several_rows_per_page(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    publish(url, version("v1", 10))
    with sqlite3.connect(tmp_path / "fresh.db") as conn:
        assert conn.execute("PRAGMA page_size").fetchone()[0] == 16_384


def test_sqlite_publish_moves_the_rows_out_of_the_wal_while_readers_stay(tmp_path) -> None:
    # The commit no longer copies the WAL into the database (that would hold the write
    # lock for the whole copy); a checkpoint right after it does, as far as readers let it.
    path = tmp_path / "live.db"
    url = f"sqlite:///{path}"
    publish(url, version("v1", 10))
    read = reader(url)  # a second connection stays open: closing ours checkpoints nothing
    read()
    size = path.stat().st_size
    publish(url, [{**row, "nama": row["nama"] + "x" * 2000} for row in version("v2", 2000)])
    assert read()[0] == 2000
    assert path.stat().st_size > size + 2000 * 2000  # the rows are in the database file


@pytest.mark.slow
def test_repeated_postgres_publishes_do_not_grow_the_live_table(postgres_url: str) -> None:
    # Every publish that replaces rows leaves the old ones behind as dead tuples. The
    # VACUUM after it frees them for the next publish, so the table settles at about twice
    # its rows instead of growing by a full copy per sync (autovacuum may be off).
    import psycopg

    sizes = []
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        for sync in range(4):  # every sync brings every row back changed
            rows = [{**r, "nama": r["nama"] + "x" * 300} for r in version(f"v{sync}", 3000)]
            publish(postgres_url, rows)
            size_sql = f"SELECT pg_relation_size('siasn_proxy.\"{TABLE}\"')"
            sizes.append(conn.execute(size_sql).fetchone()[0])
    assert sizes[3] <= sizes[1] * 1.05, sizes
    assert len(live_rows(postgres_url, TABLE, "id")) == 3000


def test_a_postgres_publish_by_a_role_that_cannot_vacuum_still_publishes(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Deployments often write with a role that has DML rights but does not own the table;
    # PostgreSQL then skips the VACUUM with a warning. The rows are published regardless,
    # and the warning reaches the log.
    import secrets
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    publish(postgres_url, version("v1", 5))  # the owner creates the table
    role = f"proxytui_writer_{secrets.token_hex(3)}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN")
        database = urlsplit(postgres_url).path.lstrip("/")
        admin.execute(f'GRANT TEMPORARY ON DATABASE "{database}" TO {role}')
        admin.execute(f"GRANT USAGE, CREATE ON SCHEMA siasn_proxy TO {role}")
        admin.execute(f'GRANT SELECT, INSERT, DELETE ON siasn_proxy."{TABLE}" TO {role}')
    writer_url = urlunsplit(urlsplit(postgres_url)._replace(netloc=f"{role}@127.0.0.1:5432"))
    try:
        with caplog.at_level("INFO", logger="tasks.sink.postgres"):
            assert publish(writer_url, version("v2", 7)) == 7
        assert [n[:2] for (n,) in live_rows(postgres_url, TABLE, "nama")] == ["v2"] * 7
        said = [(r.levelname, r.getMessage()) for r in caplog.records]
        assert any(level == "WARNING" and "VACUUM" in text for level, text in said), said
        assert not any("vacuumed" in text for _, text in said), said
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(f"DROP OWNED BY {role}")
            admin.execute(f"DROP ROLE {role}")
