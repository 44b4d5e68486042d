"""The fake SIASN looks like the upstream of UPSTREAM.md: paths, keys, shapes, quirks."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from tasks.catalog import AGENCY_ID, CATALOG, PROXY_TYPES
from tasks.siasn.client import SiasnClient
from tasks.siasn.fake import FakeSiasn, Quirks
from tasks.siasn.fake_data import Dataset, content_key


def _client(fake: FakeSiasn, proxy_type: str, settings) -> SiasnClient:
    return SiasnClient(
        proxy_type, base_url=fake.base_url, token=fake.token, settings=settings, timeout=5
    )


@pytest.mark.parametrize("proxy_type", PROXY_TYPES)
def test_rows_carry_every_column_of_the_local_table(fake_siasn, siasn_settings, proxy_type):
    with _client(fake_siasn, proxy_type, siasn_settings) as client:
        page = client.fetch_page(0)
    assert page.rows
    columns = set(CATALOG[proxy_type].table.column_names)
    for row in page.rows:
        assert set(row) == columns
        assert isinstance(row["usulan_data"], dict)
        assert isinstance(row["usulan_data"]["data"], dict)
        assert isinstance(row["dokumen_usulan"], dict)


def test_nested_usulan_data_fields():
    pangkat = Dataset("pangkat", 5).record(1)["usulan_data"]["data"]
    assert {"golongan_lama_nama", "golongan_baru_nama", "tmt_golongan_baru"} <= set(pangkat)
    assert "tmt_pensiun" in Dataset("pensiun", 5).record(1)["usulan_data"]["data"]


def test_zero_false_and_empty_string_occur_in_the_data():
    values = [v for row in Dataset("pangkat", 40).records for v in row.values()]
    assert any(v == 0 and v is not False for v in values)
    assert any(v is False for v in values)
    assert "" in values


def test_timestamps_are_iso_strings():
    from datetime import datetime

    for proxy_type in ("pensiun", "skk", "pg_profesi"):
        spec = CATALOG[proxy_type].table
        for row in Dataset(proxy_type, 30).records:
            for col in spec.columns:
                if col.type == "timestamp" and row[col.name] is not None:
                    datetime.fromisoformat(row[col.name])


def test_every_quirk_occurs_in_the_small_dense_datasets(fake_siasn):
    for proxy_type in PROXY_TYPES:
        stats = fake_siasn.dataset(proxy_type).stats()
        assert stats["copies"] > 0, proxy_type
        assert stats["twins"] > 0, proxy_type
        assert stats["null_ids"] > 0, proxy_type
        truth = fake_siasn.truth(proxy_type)
        assert len({content_key(r) for r in truth}) == len(truth) == stats["records"]
        ids = [r["id"] for r in truth if r["id"] is not None]
        assert len(ids) > len(set(ids))  # same-id twins with different content


def test_same_seed_same_data_other_seed_other_data():
    a, b, c = Dataset("skk", 50, seed=1), Dataset("skk", 50, seed=1), Dataset("skk", 50, seed=2)
    assert a.records == b.records
    assert a.records != c.records
    assert list(a.stream) == list(b.stream)


def test_realistic_default_volume():
    from tasks.siasn.fake_data import DEFAULT_ROWS

    assert 20_000 <= DEFAULT_ROWS["pangkat"] <= 25_000
    assert all(n <= DEFAULT_ROWS["pangkat"] for n in DEFAULT_ROWS.values())


def test_query_keys_and_pensiun_body_are_checked(fake_siasn):
    headers = {"Authorization": f"Bearer {fake_siasn.token}"}
    path = CATALOG["pangkat"].endpoint.path
    with httpx.Client(base_url=fake_siasn.base_url, headers=headers) as http:
        r = http.get(path, params={"limit": "10", "offset": "0"})
        assert r.status_code == 400 and "instansi_induk_id" in r.json()["message"]
        pensiun = CATALOG["pensiun"].endpoint
        query = dict(pensiun.params) | {"limit": "10", "offset": "0"}
        r = http.post(pensiun.path, params=query)
        assert r.status_code == 400
        r = http.post(pensiun.path, params=query, json=query)
        assert r.status_code == 200 and len(r.json()["data"]) == 10
        r = http.get(pensiun.path, params=query)
        assert r.status_code == 405


def test_client_sends_every_default_key_empty_ones_blank(fake_siasn, siasn_settings):
    for proxy_type in PROXY_TYPES:
        with _client(fake_siasn, proxy_type, siasn_settings) as client:
            client.fetch_page(0, 5)
        sent = fake_siasn.requests_for(proxy_type)[-1]
        assert set(sent.query) == {k for k, _ in CATALOG[proxy_type].endpoint.params}
        if proxy_type != "skk":
            agency = "instansi_kerja_id" if proxy_type.startswith("pg_") else "instansi_induk_id"
            assert sent.query[agency] == AGENCY_ID
    assert fake_siasn.requests_for("pangkat")[-1].query["nip"] == ""
    assert fake_siasn.requests_for("pensiun")[-1].body["limit"] == 5


def test_pg_types_share_a_path_and_page_by_index(fake_siasn, siasn_settings):
    with _client(fake_siasn, "pg_profesi", siasn_settings) as client:
        first, second = client.fetch_page(0, 100), client.fetch_page(1, 100)
    assert first.rows[0]["detail_layanan"] == "125"
    assert first.expected_total is None
    ds = fake_siasn.dataset("pg_profesi")
    assert second.rows[-1] == ds.record(ds.stream[199])


def test_wrong_token_gets_401(fake_siasn):
    path = CATALOG["skk"].endpoint.path
    r = httpx.get(fake_siasn.base_url + path, headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401


def test_limit_cap_serves_short_pages(make_fake_siasn, siasn_settings):
    fake = make_fake_siasn(quirks=replace(Quirks.none(), limit_cap=37))
    with _client(fake, "pangkat", siasn_settings) as client:
        page = client.fetch_page(0, 600)
    assert len(page.rows) == 37
    assert page.expected_total == fake.dataset("pangkat").n


def test_keep_alive_reuses_one_connection(make_fake_siasn, siasn_settings):
    fake = make_fake_siasn(quirks=Quirks.none())
    with _client(fake, "skk", siasn_settings) as client:
        for offset in range(0, 500, 100):
            client.fetch_page(offset, 100)
    assert fake.connections_accepted == 1


def test_cli_main_rejects_a_taken_port(fake_siasn):
    from tasks.siasn.fake import main

    assert main(["--port", str(fake_siasn.port), "--rows", "10", "--log-level", "CRITICAL"]) == 1
