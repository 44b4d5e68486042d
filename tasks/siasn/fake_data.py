"""Deterministic SIASN-like records for the fake server, cheap enough to serve a million.

A dataset is N distinct records (the truth a correct sync must end up with) laid out in
a served *stream* that also carries copies of earlier records, which is how the upstream's
unstable offset paging looks from outside. Record i is a pure function of (type, seed, i),
so nothing large is held: rows are rendered on demand from a few JSON templates per type
whose holes are filled per record, which is several times faster than json.dumps of a
fresh dict (a fake that spends 30 us a row would be the bottleneck of a 1M-row bench).
"""

from __future__ import annotations

import json
import operator
import random
import re
from array import array
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from json.encoder import encode_basestring
from typing import Any

from tasks.catalog import AGENCY_ID, PROXY_TYPES, get_proxy_type

# Realistic volumes: pangkat as observed in production, the others of the same order.
DEFAULT_ROWS: dict[str, int] = {
    "pangkat": 23_190,
    "pensiun": 8_400,
    "pg_akademik": 5_200,
    "pg_profesi": 1_900,
    "skk": 11_800,
}

# Small volumes for tests: every type still spans several pages.
SMALL_ROWS: dict[str, int] = {
    "pangkat": 1_500,
    "pensiun": 420,
    "pg_akademik": 330,
    "pg_profesi": 260,
    "skk": 1_100,
}


@dataclass(frozen=True)
class Quirks:
    """The upstream's misbehaviour with its data and paging; every one can be switched off.

    Rates are fractions (of records, of stream positions, or of pages). The defaults are
    the production figures: ~0.55 % repeated ids on pangkat, a few shifted pages, a
    meta.total that cannot be trusted.
    """

    copy_rate: float = 0.004  # stream positions that repeat an earlier record
    twin_rate: float = 0.0015  # records sharing the id of the record before (other content)
    null_id_rate: float = 0.001  # records whose id is null
    early_start_rate: float = 0.03  # row-offset pages that start 1-2 rows before the offset
    overlap_rate: float = 0.03  # page-index pages that repeat the previous page's last rows
    limit_cap: int | None = None  # the server serves at most this many rows a page
    total: str = "flaky"  # meta.total: exact | stale | missing | flaky (mixed per page)
    ignore_offset: bool = False  # every request gets the first page (a broken endpoint)

    @classmethod
    def none(cls) -> Quirks:
        """A well-behaved upstream: every distinct record exactly once, exact totals."""
        return cls(0.0, 0.0, 0.0, 0.0, 0.0, None, "exact", False)

    @classmethod
    def dense(cls, **overrides: Any) -> Quirks:
        """Every quirk often enough that a few hundred rows show each of them (tests)."""
        return replace(cls(0.02, 0.03, 0.02, 0.25, 0.25, None, "flaky", False), **overrides)


TOTAL_MODES = ("exact", "stale", "missing", "flaky")

_M64 = (1 << 64) - 1


def mix64(x: int) -> int:
    """splitmix64: a fast, well-spread hash of an int (Random() per row is too slow)."""
    x = (x + 0x9E3779B97F4A7C15) & _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


def unit(h: int) -> float:
    """A hash as a fraction in [0, 1)."""
    return (h & 0xFFFFFFFF) / 4294967296.0


def salt_of(*parts: object) -> int:
    h = 0x51A5
    for part in parts:
        for ch in str(part):
            h = mix64(h ^ ord(ch))
        h = mix64(h ^ 0xFF)
    return h


def content_key(row: dict) -> str:
    """A canonical text of a row's content: equal for equal rows, whatever the key order."""
    return json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


# --- templates -------------------------------------------------------------------------

_MARK = "\ue000"
_HOLE = re.compile('"' + _MARK + r"(\w+)" + _MARK + '"')


def hole(name: str) -> str:
    """A placeholder for a per-record value inside a template dict."""
    return f"{_MARK}{name}{_MARK}"


def encode(value: Any) -> str:
    """A value as JSON text."""
    if isinstance(value, str):
        return encode_basestring(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class RowTemplate:
    """A row's JSON text with its holes turned into %s fields, filled in C by one `%`."""

    def __init__(self, base: dict) -> None:
        text = json.dumps(base, ensure_ascii=False, separators=(",", ":"))
        pieces = _HOLE.split(text)
        self.holes = tuple(pieces[1::2])
        self._format = "%s".join(c.replace("%", "%%") for c in pieces[0::2])
        getter = operator.itemgetter(*self.holes)
        # itemgetter of one key returns the value, not a 1-tuple.
        self._values = getter if len(self.holes) > 1 else (lambda d: (getter(d),))

    def render(self, encoded: dict[str, str]) -> str:
        """Fill the holes; `encoded` maps each hole to its value already as JSON text."""
        return self._format % self._values(encoded)


# --- value pools -------------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST = _words(
    "Agus Budi Siti Dewi Rina Ahmad Muhammad Nur Sri Eko Dian Wahyu Hendra Yuni Rudi Fitri "
    "Ika Bambang Joko Ratna Made Ketut Putu Teguh Rahmat Lestari Indah Maria Yohanes Abdul "
    "Ma'ruf Andi Fajar Putri Slamet Suharti Yusuf Hana Rizky Anisa"
)
LAST = _words(
    "Santoso Wijaya Saputra Lestari Hidayat Kurniawan Setiawan Rahayu Pratama Nugroho "
    "Susanti Purnomo Siregar Nasution Harahap Simanjuntak Wulandari Permana Hasibuan "
    "Gunawan Suryadi Utami Sembiring Tarigan Daulay Manurung"
) + ("",)  # some people have one name
TITLE_BEFORE = ("", "", "", "", "Dr. ", "Drs. ", "Ir. ", "dr. ", "Hj. ")
TITLE_AFTER = (
    "",
    "",
    ", S.Pd.",
    ", S.Kom.",
    ", S.E.",
    ", S.H.",
    ", M.Si.",
    ", S.Kep., Ns.",
    ", A.Md.",
    ", S.Sos.",
    ", M.Pd.",
    ", S.T.",
)
UNITS = (
    "Dinas Pendidikan",
    "Dinas Kesehatan",
    "Rumah Sakit Umum Daerah",
    "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia",
    "Sekretariat Daerah",
    "Dinas Pekerjaan Umum dan Penataan Ruang",
    "Inspektorat Daerah",
    "Dinas Sosial",
    "Badan Perencanaan Pembangunan Daerah",
    "Satuan Polisi Pamong Praja",
    "Dinas Perhubungan",
    "Kecamatan Kota",
)
UNIT_IDS = tuple(f"{salt_of('unit', u):016X}{salt_of('unit2', u):016X}" for u in UNITS)
GOLONGAN = (
    ("11", "I/a", "Juru Muda"),
    ("12", "I/b", "Juru Muda Tingkat I"),
    ("13", "I/c", "Juru"),
    ("14", "I/d", "Juru Tingkat I"),
    ("21", "II/a", "Pengatur Muda"),
    ("22", "II/b", "Pengatur Muda Tingkat I"),
    ("23", "II/c", "Pengatur"),
    ("24", "II/d", "Pengatur Tingkat I"),
    ("31", "III/a", "Penata Muda"),
    ("32", "III/b", "Penata Muda Tingkat I"),
    ("33", "III/c", "Penata"),
    ("34", "III/d", "Penata Tingkat I"),
    ("41", "IV/a", "Pembina"),
    ("42", "IV/b", "Pembina Tingkat I"),
    ("43", "IV/c", "Pembina Utama Muda"),
    ("44", "IV/d", "Pembina Utama Madya"),
    ("45", "IV/e", "Pembina Utama"),
)
JABATAN = (
    "Guru Ahli Pertama",
    "Guru Ahli Muda",
    "Perawat Terampil",
    "Perawat Ahli Pertama",
    "Analis Kepegawaian Ahli Muda",
    "Pranata Komputer Ahli Pertama",
    "Bidan Terampil",
    "Penyuluh Pertanian Ahli Muda",
    "Dokter Ahli Pertama",
    "Pengadministrasi Umum",
)
PROVINSI = "Sumatera Utara"
INSTANSI_NAMA = "Pemerintah Kabupaten Contoh"
KANREG_ID = "KANREG-VI"

_EPOCH = date(2019, 1, 1)
DAYS = tuple((_EPOCH + timedelta(days=d)).isoformat() for d in range(2400))


def _uuid(h: int, g: int) -> str:
    x = f"{h:016x}{g:016x}"
    return f"{x[:8]}-{x[8:12]}-4{x[13:16]}-a{x[17:20]}-{x[20:32]}"


def _ts(h: int, day_from: int = 1100, span: int = 1200) -> str:
    """An ISO-8601 UTC timestamp (…Z); datetime.fromisoformat and PostgreSQL parse it."""
    day = DAYS[day_from + h % span]
    h >>= 12
    return f"{day}T{h % 24:02d}:{(h >> 5) % 60:02d}:{(h >> 11) % 60:02d}.{(h >> 17) % 1000:03d}Z"


def _day(h: int, day_from: int = 1100, span: int = 1200) -> str:
    return DAYS[day_from + h % span]


_Q_UNIT_IDS = tuple(f'"{u}"' for u in UNIT_IDS)
_Q_UNITS = tuple(encode_basestring(u) for u in UNITS)
_Q_JABATAN = tuple(encode_basestring(j) for j in JABATAN)
_Q_GOL = tuple(
    (f'"{gid}"', f'"{gol}"', encode_basestring(f"{name}, {gol}")) for gid, gol, name in GOLONGAN
)
_NULL = "null"


def common_values(i: int, h: int, g: int, record_id: str | None) -> dict[str, str]:
    """The per-record values every type's template draws on, already as JSON text.

    Pool strings hold no quote or backslash, so most values are quoted by hand; this
    function and RowTemplate.render are the whole per-row cost of the fake.
    """
    birth_year = 1965 + h % 34
    cpns_year = birth_year + 20 + (h >> 6) % 10
    nip = (
        f"{birth_year}{1 + (h >> 10) % 12:02d}{1 + (h >> 14) % 28:02d}"
        f"{cpns_year}{1 + (h >> 19) % 12:02d}{1 + (h >> 23) % 2}{(i % 997) + 1:03d}"
    )
    last = LAST[(g >> 16) % len(LAST)]
    nama = (
        TITLE_BEFORE[(g >> 3) % len(TITLE_BEFORE)]
        + FIRST[(g >> 8) % len(FIRST)]
        + (" " + last if last else "")
        + TITLE_AFTER[(g >> 24) % len(TITLE_AFTER)]
    )
    gol = 4 + (h >> 28) % 12
    unit_no = (g >> 32) % len(UNITS)
    year = 2021 + (h >> 34) % 4
    status = (g >> 40) % 22
    done = status >= 12
    return {
        "id": _NULL if record_id is None else f'"{record_id}"',
        "pns_id": f'"{_uuid(g, h ^ 0x5A5A)}"',
        "nip": f'"{nip}"',
        "nama": encode_basestring(nama),
        "unit_id": _Q_UNIT_IDS[unit_no],
        "unit_nama": _Q_UNITS[unit_no],
        "gol_lama_id": _Q_GOL[gol][0],
        "gol_lama": _Q_GOL[gol][1],
        "gol_baru_id": _Q_GOL[gol + 1][0],
        "gol_baru": _Q_GOL[gol + 1][1],
        "pangkat_baru": _Q_GOL[gol + 1][2],
        "periode": f'"{year}-{"04" if (h >> 37) & 1 else "10"}-01"',
        "masa_kerja_tahun": str((h >> 38) % 30),
        "masa_kerja_bulan": str((h >> 43) % 12),  # 0 in one row of twelve: data, not null
        "jabatan": _Q_JABATAN[(g >> 44) % len(JABATAN)],
        "status": str(status),
        "flag": str((h >> 47) & 1),
        "ts1": f'"{_ts(h >> 3)}"',
        "ts2": f'"{_ts(g >> 5, 1300, 900)}"',
        "ts3": f'"{_ts(h ^ g, 1500, 800)}"',
        "ts_done": f'"{_ts(g >> 9, 1600, 700)}"' if done else _NULL,
        "day1": f'"{_day(h >> 7)}"',
        "day2": f'"{_day(g >> 13, 1400, 900)}"',
        "tmt": f'"{DAYS[1200 + (g >> 50) % 1100][:8]}01"',
        "no_surat": f'"800/{(h >> 20) % 9000 + 100}/BKPSDM/{year}"',
        "no_sk": f'"SK.{(g >> 21) % 90000 + 10000}/{year}"' if done else _NULL,
        "doc_path": f'"peremajaan/usulan/{year}/{nip}_{i % 1000:03d}.pdf"',
        "sk_path": f'"sk/{year}/{nip}.pdf"' if done else _NULL,
        "riwayat_id": f'"{_uuid(h ^ 0x1234, g)}"' if done else _NULL,
        "usia": str(56 + (h >> 52) % 5),
        "seq": f'"{i % 5000 + 1}"',
    }


# --- the five row shapes -------------------------------------------------------------------

H = hole


def _docs(rnd: random.Random, codes: list[tuple[str, str]]) -> dict:
    picked = rnd.sample(codes, k=rnd.randint(1, len(codes)))
    return {
        code: {"dok_id": code, "dok_nama": name, "object": H("doc_path"), "slug": code}
        for code, name in picked
    }


def _pangkat(rnd: random.Random, v: int) -> dict:
    reguler = v % 3 != 2
    return {
        "id": H("id"),
        "jenis_layanan": 1,
        "sub_layanan": 1 if reguler else 2,
        "detail_layanan": 101 if reguler else 102,
        "detail_layanan_nama": "Kenaikan Pangkat Reguler"
        if reguler
        else "Kenaikan Pangkat Pilihan (Jabatan Fungsional)",
        "jenis_layanan_nama": "Kenaikan Pangkat",
        "pns_id": H("pns_id"),
        "nip": H("nip"),
        "nama": H("nama"),
        "usulan_data": {
            "data": {
                "golongan_lama_id": H("gol_lama_id"),
                "golongan_lama_nama": H("gol_lama"),
                "golongan_baru_id": H("gol_baru_id"),
                "golongan_baru_nama": H("gol_baru"),
                "pangkat_baru_nama": H("pangkat_baru"),
                "tmt_golongan_baru": H("periode"),
                "masa_kerja_tahun": H("masa_kerja_tahun"),
                "masa_kerja_bulan": H("masa_kerja_bulan"),
                "jabatan_nama": H("jabatan"),
                "unor_nama": H("unit_nama"),
                "is_ujian_dinas": v % 4 == 0,
            },
            "pns_orang_id": H("pns_id"),
        },
        "dokumen_usulan": _docs(
            rnd,
            [
                ("872", "SK Pangkat Terakhir"),
                ("873", "SKP 2 Tahun Terakhir"),
                ("874", "SK Jabatan"),
                ("889", "Surat Pengantar"),
            ],
        ),
        "status_usulan": H("status"),
        "status_aktif": 0 if v % 5 == 1 else 1,
        "status_paraf_pertek": H("flag"),
        "status_ttd_paraf_pertek": 0,
        "status_paraf_sk": rnd.choice(["0", "1", None]),
        "status_ttd_sk": rnd.choice(["0", "1", None, ""]),
        "tgl_usulan": H("ts1"),
        "tgl_pengiriman_kelayanan": H("ts2"),
        "tgl_update_layanan": H("ts3"),
        "tgl_surat_usulan": H("day1"),
        "tgl_surat_keluar": H("ts_done"),
        "tgl_paraf_sk": H("ts_done"),
        "tgl_ttd_sk": H("ts_done"),
        "tgl_sk": H("ts_done"),
        "tgl_pertek": H("ts_done"),
        "periode": H("periode"),
        "instansi_id": AGENCY_ID,
        "instansi_nama": INSTANSI_NAMA,
        "instansi_induk_id": AGENCY_ID,
        "instansi_induk_nama": INSTANSI_NAMA,
        "satuan_kerja_induk_id": H("unit_id"),
        "satuan_kerja_induk_nama": H("unit_nama"),
        "provinsi_nama": PROVINSI,
        "path_pertek": H("sk_path"),
        "path_ttd_pertek": H("sk_path"),
        "path_surat_usulan": H("doc_path"),
        "path_paraf_sk": None,
        "path_ttd_sk": H("sk_path"),
        "path_sk": H("sk_path"),
        "path_sk_kolektif": rnd.choice([None, ""]),
        "path_sk_lampiran": None,
        "pejabat_paraf_id": rnd.choice(["198001012005011001", None]),
        "pejabat_ttd_id": "197505152000031002",
        "pejabat_paraf_sk": None,
        "pejabat_ttd_sk": "Kepala Kantor Regional VI BKN",
        "no_surat_usulan": H("no_surat"),
        "no_surat_keluar": H("no_sk"),
        "no_sk": H("no_sk"),
        "no_urut": H("seq"),
        "no_pertek": H("no_sk"),
        "jenis_kp_id": "1" if reguler else "2",
        "jenis_pegawai_id": "1",
        "keterangan": ["", None, "Berkas lengkap", "0"][v % 4],
        "uraian_perbaikan": rnd.choice([None, ""]),
        "uraian_pembatalan": None,
        "nama_tabel_riwayat": "rw_golongan",
        "id_riwayat_update": H("riwayat_id"),
        "alasan_tolak_id": [0, None, 12][v % 3],
        "alasan_tolak_tambahan": rnd.choice([None, "", "SKP belum diunggah"]),
        "referensi_instansi": v % 2,
        "generated_nomor": v % 2 == 0,
        "is_otomatis": v % 3 == 0,
        "counter_bts": v % 3,
        "nip_pengaju": "198507202010011004",
        "nip_approval": rnd.choice(["197811112003121001", None]),
        "nama_approval": rnd.choice(["Hendra Gunawan, S.H.", None]),
        "nip_approval_perbaikan": None,
        "pns_id_pengusul": "A8ACA7B23F5B3912E040640A040269BB",
        "kanreg_id_pengusul": KANREG_ID,
        "StatusData": ["", "VALID", "UPDATE"][v % 3],
        "created_at": H("ts1"),
        "updated_at": H("ts3"),
    }


def _pensiun(rnd: random.Random, v: int) -> dict:
    henti = [
        ("1", "Batas Usia Pensiun"),
        ("2", "Atas Permintaan Sendiri"),
        ("3", "Meninggal Dunia"),
        ("4", "Janda/Duda"),
    ][v % 4]
    return {
        "id": H("id"),
        "layanan_id": 3,
        "layanan_nama": "Pemberhentian",
        "sub_layanan_id": 30 + v % 4,
        "sub_layanan_nama": f"Pensiun {henti[1]}",
        "detail_layanan_id": 300 + v % 4,
        "detail_layanan_nama": f"Pensiun {henti[1]}",
        "pns_id": H("pns_id"),
        "nip": H("nip"),
        "nama": H("nama"),
        "instansi_id": AGENCY_ID,
        "instansi_nama": INSTANSI_NAMA,
        "usulan_data": {
            "data": {
                "tmt_pensiun": H("tmt"),
                "usia": H("usia"),
                "masa_kerja_tahun": H("masa_kerja_tahun"),
                "masa_kerja_bulan": H("masa_kerja_bulan"),
                "golongan_nama": H("gol_baru"),
                "unor_nama": H("unit_nama"),
                "jenis_henti_id": henti[0],
            },
        },
        "dokumen_usulan": _docs(
            rnd,
            [
                ("2001", "SK CPNS"),
                ("2002", "SK Pangkat Terakhir"),
                ("2003", "Kartu Keluarga"),
                ("2004", "Pas Foto"),
            ],
        ),
        "jenis_henti_id": henti[0],
        "jenis_henti_nama": henti[1],
        "status_aktif": 0 if v % 5 == 1 else 1,
        "status_usulan": H("status"),
        "tgl_usulan": H("ts1"),
        "created_by": "A8ACA7B23F5B3912E040640A040269BB",
        "created_by_nip": "198507202010011004",
        "created_by_nama": "Operator BKPSDM",
        "approval_tgl": H("ts_done"),
        "approval_id": rnd.choice(["B1C2D3E4F5A6B7C8D9E0F1A2B3C4D5E6", None]),
        "approval_nip": rnd.choice(["197811112003121001", None]),
        "approval_nama": rnd.choice(["Hendra Gunawan, S.H.", None]),
        "path_pertek": H("sk_path"),
        "path_pertek_multi": rnd.choice([None, []]),
        "path_sk_multi": None,
        "path_sk": H("sk_path"),
        "path_sk_preview": None,
        "kirim_teken_usul_tgl": H("ts_done"),
        "tgl_pengiriman_kelayanan": H("ts2"),
        "updated_from_bkn_at": H("ts3"),
        "alasan_tolak_id": ["0", None, "7", ""][v % 4],
        "alasan_tolak_tambahan": rnd.choice([None, ""]),
        "notes": ["", None, "Mohon segera diproses"][v % 3],
        "updated_at": H("ts3"),
        "deleted_by": None,
        "sk_nomor": H("no_sk"),
        "sk_tgl": H("ts_done"),
        "keterangan": ["", None, "0"][v % 3],
        "sk_signer_id": rnd.choice(["C1D2E3F4A5B6C7D8E9F0A1B2C3D4E5F6", None]),
        "sk_signer_nama": rnd.choice(["Kepala Kantor Regional VI BKN", None]),
        "sk_signer_nip": rnd.choice(["197505152000031002", None]),
        "usulan_taspen": [None, {"status": 0, "nomor": ""}, {"status": 1, "nomor": "TSP-1"}][v % 3],
    }


def _pg(rnd: random.Random, v: int, profesi: bool) -> dict:
    row = {
        "id": H("id"),
        "nama": H("nama"),
        "nip": H("nip"),
        "pns_id": H("pns_id"),
        "tipe_pegawai": ["PNS", "PPPK"][v % 2],
        "detail_layanan": "125" if profesi else "328",
        "detail_layanan_nama": "Pencantuman Gelar Profesi"
        if profesi
        else "Pencantuman Gelar Akademik",
        "jenis_layanan_nama": "Peremajaan Data",
        "sub_layanan": ["12", "", "13"][v % 3],
        "unor_verifikator": H("unit_id"),
        "unor_verifikator_nama": H("unit_nama"),
        "nip_verifikator": rnd.choice(["198507202010011004", None]),
        "nama_verifikator": rnd.choice(["Operator BKPSDM", None]),
        "status_usulan": H("status"),
        "status_usulan_nama": ["Input Berkas", "Verifikasi", "Disetujui", "Ditolak"][v % 4],
        "sumber": ["SIASN", "MYSAPK"][v % 2],
        "tgl_usulan": H("ts1"),
        "tmt_cpns": H("ts2"),
        "tgl_tolak_bkn": H("ts_done"),
        "usulan_data": {
            "data": {
                "gelar_depan": ["", "Dr.", "dr."][v % 3],
                "gelar_belakang": ["S.Pd.", "M.Si.", "Ners", "Sp.PD"][v % 4],
                "tahun_lulus": H("masa_kerja_tahun"),
                "pendidikan_nama": "Pendidikan Profesi" if profesi else "S-1 / Sarjana",
                "tgl_ijazah": H("day2"),
            },
        },
        "dokumen_usulan": _docs(
            rnd,
            [
                ("1501", "Ijazah"),
                ("1502", "Transkrip Nilai"),
                ("1503", "Akreditasi Prodi"),
            ],
        ),
        "id_riwayat_update": H("riwayat_id"),
        "id_riwayat": H("riwayat_id"),
        "tipe_usulan": ["baru", "perbaikan"][v % 2],
        "tipe": ["1", "2", ""][v % 3],
        "alasan_tolak_id": [0, None, 3][v % 3],
        "alasan_tolak_nama": rnd.choice([None, "", "Ijazah tidak terbaca"]),
        "alasan_tolak_tambahan": rnd.choice([None, ""]),
        "rekomendasi_approval": [0, 1, None][v % 3],
        "pns_id_approval": rnd.choice(["A8ACA7B23F5B3912E040640A040269BB", None]),
        "nip_approval": rnd.choice(["197811112003121001", None]),
        "nama_approval": rnd.choice(["Hendra Gunawan, S.H.", None]),
        "unor_approval_id": H("unit_id"),
        "unor_approval_nama": H("unit_nama"),
        "instansi_id": AGENCY_ID,
        "instansi_nama": INSTANSI_NAMA,
        "kanreg_id": KANREG_ID,
        "periode": H("periode"),
        "periode_id": H("seq"),
    }
    if profesi:
        row["created_at"] = H("ts1")
        row["updated_at"] = H("ts3")
    return row


def _skk(rnd: random.Random, v: int) -> dict:
    return {
        "id": H("id"),
        "jenis_layanan": 5,
        "sub_layanan": 50 + v % 3,
        "detail_layanan": 500 + v % 3,
        "jenis_layanan_nama": "Status Kedudukan Kepegawaian",
        "no_surat_usulan": H("no_surat"),
        "tgl_surat_usulan": H("ts2"),
        "path_surat_usulan": H("doc_path"),
        "pns_id": H("pns_id"),
        "nip": H("nip"),
        "nama": H("nama"),
        "instansi_id": AGENCY_ID,
        "instansi_nama": INSTANSI_NAMA,
        "provinsi_nama": PROVINSI,
        "usulan_data": {
            "data": {
                "jenis_skk": [
                    "Cuti di Luar Tanggungan Negara",
                    "Pemberhentian Sementara",
                    "Aktif Kembali",
                ][v % 3],
                "tmt_skk": H("tmt"),
                "unor_nama": H("unit_nama"),
                "masa_kerja_bulan": H("masa_kerja_bulan"),
            },
        },
        "dokumen_usulan": _docs(rnd, [("3001", "Surat Permohonan"), ("3002", "SK Terakhir")]),
        "status_usulan": H("status"),
        "tgl_usulan": H("ts1"),
        "message": ["", None, "Usulan diterima"][v % 3],
        "deleted_at": [None, "", None][v % 3],
        "no_sk": H("no_sk"),
        "tgl_sk": H("ts_done"),
        "pejabat_ttd_sk": rnd.choice(["Kepala Kantor Regional VI BKN", None]),
        "typeSignature": ["", "TTE", "MANUAL"][v % 3],
        "nama_waris": rnd.choice([None, ""]),
        "tempat_ditetapkan": "Medan",
        "jabatan_ttd": "Kepala Kantor Regional",
        "status_cpns_pns": ["P", "C"][v % 2],
        "pangkat_gol": H("gol_baru"),
        "masa_kerja_gol": H("masa_kerja_tahun"),
        "mulai_tgl": H("ts2"),
        "created_at": H("ts1"),
        "updated_at": H("ts3"),
    }


SHAPES: dict[str, Callable[[random.Random, int], dict]] = {
    "pangkat": _pangkat,
    "pensiun": _pensiun,
    "pg_akademik": lambda rnd, v: _pg(rnd, v, profesi=False),
    "pg_profesi": lambda rnd, v: _pg(rnd, v, profesi=True),
    "skk": _skk,
}

VARIANTS = 12  # templates per type; record i uses template i % VARIANTS


class Dataset:
    """The distinct records of one type and the stream the fake serves them from."""

    def __init__(self, proxy_type: str, n: int, seed: int = 0, quirks: Quirks | None = None):
        self.proxy = get_proxy_type(proxy_type)
        self.proxy_type = self.proxy.name
        self.n = n
        self.seed = seed
        self.quirks = quirks or Quirks()
        self._salt = salt_of(seed, self.proxy_type)
        self._templates = [
            RowTemplate(SHAPES[self.proxy_type](random.Random(f"{seed}:{proxy_type}:{v}"), v))
            for v in range(VARIANTS)
        ]
        self._stream: array | None = None

    # Records ------------------------------------------------------------------------------

    def _hashes(self, i: int) -> tuple[int, int]:
        h = mix64(self._salt ^ i)
        return h, mix64(h ^ 0xC0FFEE)

    def _null(self, g: int) -> bool:
        return unit(g >> 7) < self.quirks.null_id_rate

    def is_null_id(self, i: int) -> bool:
        return self._null(self._hashes(i)[1])

    def _twin(self, i: int, g: int) -> bool:
        """Odd records may reuse the id of the even record before them (never a twin)."""
        if i % 2 == 0 or unit(g >> 29) >= 2 * self.quirks.twin_rate or self._null(g):
            return False
        return not self.is_null_id(i - 1)

    def is_twin(self, i: int) -> bool:
        return self._twin(i, self._hashes(i)[1])

    def _id(self, i: int, h: int, g: int) -> str | None:
        if self._null(g):
            return None
        if self._twin(i, g):
            h, g = self._hashes(i - 1)
        return _uuid(h ^ 0xD1D1, g)

    def record_id(self, i: int) -> str | None:
        return self._id(i, *self._hashes(i))

    def record_json(self, i: int) -> str:
        """Record i as the JSON text the server sends."""
        h, g = self._hashes(i)
        return self._templates[i % VARIANTS].render(common_values(i, h, g, self._id(i, h, g)))

    def record(self, i: int) -> dict:
        return json.loads(self.record_json(i))

    @property
    def records(self) -> list[dict]:
        """The truth: every distinct record once (a correct sync ends with exactly these)."""
        return [self.record(i) for i in range(self.n)]

    def truth_keys(self) -> set[str]:
        return {content_key(r) for r in self.records}

    # The served stream ----------------------------------------------------------------------

    @property
    def stream(self) -> array:
        """Record indices in served order: every record once, plus copies of earlier ones."""
        if self._stream is None:
            rnd = random.Random(self._salt)
            rate = self.quirks.copy_rate
            out = array("I")
            append = out.append
            for i in range(self.n):
                if i and rate and rnd.random() < rate:
                    append(rnd.randrange(i))
                append(i)
            self._stream = out
        return self._stream

    def __len__(self) -> int:
        return len(self.stream)

    def rows_json(self, start: int, end: int) -> list[str]:
        stream = self.stream
        return [self.record_json(stream[p]) for p in range(max(0, start), min(end, len(stream)))]

    def stats(self) -> dict[str, int]:
        """How many of each quirk the data holds (tests assert each occurs)."""
        return {
            "records": self.n,
            "served_rows": len(self.stream),
            "copies": len(self.stream) - self.n,
            "twins": sum(self.is_twin(i) for i in range(self.n)),
            "null_ids": sum(self.is_null_id(i) for i in range(self.n)),
        }


def build_datasets(
    rows: int | dict[str, int] | None, seed: int, quirks: Quirks
) -> dict[str, Dataset]:
    """One dataset per type; `rows` is a count for every type, a per-type dict, or None."""
    if rows is None:
        counts = dict(DEFAULT_ROWS)
    elif isinstance(rows, int):
        counts = dict.fromkeys(PROXY_TYPES, rows)
    else:
        counts = {**DEFAULT_ROWS, **rows}
    return {t: Dataset(t, counts[t], seed, quirks) for t in PROXY_TYPES}
