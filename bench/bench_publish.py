"""Publish throughput: rows/s through stage -> finalize -> publish, SQLite and PostgreSQL.

Prints figures, asserts nothing. The target is >= 50,000 rows/s end to end.

    .venv/bin/python bench/bench_publish.py [--rows 200000] [--page 600] [--postgres URL]

PostgreSQL defaults to a throwaway database on the local server (created, then dropped);
pass ``--postgres ''`` to skip it.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import secrets
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psutil

from tasks.catalog import get_proxy_type
from tasks.sink import open_sink

log = logging.getLogger("bench")


def pangkat_rows(count: int, seed: int = 7) -> Iterator[dict]:
    """Rows shaped like the upstream's pangkat answer (~75 keys, nested usulan_data)."""
    rng = random.Random(seed)
    for i in range(count):
        nip = f"19{rng.randrange(10**16):016d}"
        yield {
            "id": f"{i:08x}-kp-{rng.randrange(16**8):08x}",
            "jenis_layanan": 1,
            "sub_layanan": rng.randrange(1, 9),
            "detail_layanan": rng.randrange(100, 200),
            "detail_layanan_nama": "Kenaikan Pangkat Reguler",
            "jenis_layanan_nama": "Kenaikan Pangkat",
            "pns_id": f"A5EB03E2{rng.randrange(16**24):024X}",
            "nip": nip,
            "nama": f"PEGAWAI {i}",
            "usulan_data": {
                "data": {
                    "golongan_lama_nama": "III/a",
                    "golongan_baru_nama": "III/b",
                    "tmt_golongan_baru": "2024-04-01",
                    "masa_kerja": rng.randrange(40),
                }
            },
            "dokumen_usulan": [{"dok_id": "889", "object": f"peremajaan/{i}.pdf"}],
            "status_usulan": rng.randrange(0, 25),
            "status_aktif": 1,
            "status_paraf_pertek": 0,
            "status_ttd_paraf_pertek": 0,
            "status_paraf_sk": "0",
            "status_ttd_sk": "",
            "tgl_usulan": "2024-02-01 10:11:12",
            "tgl_pengiriman_kelayanan": "2024-02-02 08:00:00",
            "tgl_update_layanan": None,
            "periode": "2024-04-01",
            "instansi_id": "A5EB03E23CCCF6A0E040640A040252AD",
            "instansi_nama": "Pemerintah Kabupaten Contoh",
            "instansi_induk_id": "A5EB03E23CCCF6A0E040640A040252AD",
            "instansi_induk_nama": "Pemerintah Kabupaten Contoh",
            "satuan_kerja_induk_nama": "Badan Kepegawaian Daerah",
            "provinsi_nama": "Jawa Tengah",
            "path_pertek": None,
            "no_surat_usulan": f"800/{i}/BKD/2024",
            "no_sk": None,
            "keterangan": "",
            "alasan_tolak_id": None,
            "referensi_instansi": 0,
            "generated_nomor": False,
            "is_otomatis": False,
            "counter_bts": 0,
            "nip_pengaju": nip,
            "StatusData": "AKTIF",
            "created_at": "2024-02-01T10:11:12.000Z",
            "updated_at": "2024-02-03T09:00:00.000Z",
        }


def run_one(url: str, rows: int, page: int) -> None:
    proxy = get_proxy_type("pangkat")
    sink = open_sink(url)
    process = psutil.Process()
    rss0 = process.memory_info().rss
    started = time.perf_counter()
    with sink.staging(proxy) as staged:
        batch: list[dict] = []
        for row in pangkat_rows(rows):
            batch.append(row)
            if len(batch) == page:
                staged.stage(batch)
                batch = []
        if batch:
            staged.stage(batch)
        staged_at = time.perf_counter()
        counts = staged.finalize()
        final_at = time.perf_counter()
        published = staged.publish(lambda: True)
        done = time.perf_counter()
    rss = (process.memory_info().rss - rss0) / 2**20
    label = sink.label.split("@")[-1]
    print(
        f"{label:<45} rows={published:>9,}  "
        f"stage {rows / (staged_at - started):>9,.0f}/s  "
        f"finalize {final_at - staged_at:6.2f}s  "
        f"publish {published / (done - final_at):>9,.0f}/s  "
        f"end-to-end {published / (done - started):>9,.0f}/s  "
        f"rss +{rss:.0f} MB  (derived={counts['ids_derived']})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--page", type=int, default=600)
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "PROXYTUI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        run_one(f"sqlite:///{Path(tmp) / 'bench.db'}", args.rows, args.page)
    if args.postgres:
        import psycopg

        name = f"proxytui_bench_{secrets.token_hex(4)}"
        with psycopg.connect(args.postgres, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            base, _, _ = args.postgres.rpartition("/")
            run_one(f"{base}/{name}", args.rows, args.page)
        finally:
            with psycopg.connect(args.postgres, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
