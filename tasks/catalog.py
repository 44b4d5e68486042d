"""The five proxy types: what each one fetches upstream and where it lands locally.

This is the single source of truth for names, titles, endpoints and table columns; the
client, the fake SIASN server, the sinks and the dashboard all read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tasks.errors import ProxytuiError
from tasks.texts import text

AGENCY_ID = "A5EB03E23CCCF6A0E040640A040252AD"

Paging = Literal["row_offset", "page_index"]
ColumnType = Literal["text", "int", "bool", "json", "timestamp"]


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType = "text"
    # created_at/updated_at we stamp ourselves when the upstream does not send them.
    default_now: bool = False


@dataclass(frozen=True)
class EndpointSpec:
    method: Literal["GET", "POST"]
    path: str
    # Every default key is sent, empty ones as ``key=``.
    params: tuple[tuple[str, str], ...]
    rows_key: str
    total_key: str | None  # dotted path, e.g. "meta.total"; None when the API gives none
    paging: Paging
    page_size: int
    timeout: float
    # pensiun repeats the query keys in a JSON body.
    body_params: bool = False


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


@dataclass(frozen=True)
class ProxyType:
    name: str
    title: str
    title_id: str  # Indonesian
    endpoint: EndpointSpec
    table: TableSpec

    @property
    def route(self) -> str:
        """The dashed form the seed's HTTP routes use (pg_akademik -> pg-akademik)."""
        return self.name.replace("_", "-")


def _cols(spec: str) -> tuple[Column, ...]:
    """Parse "name[:type][*]" words; "*" marks a column stamped with now() by default."""
    columns = []
    for word in spec.split():
        default_now = word.endswith("*")
        word = word.rstrip("*")
        name, _, kind = word.partition(":")
        columns.append(Column(name, (kind or "text"), default_now))  # type: ignore[arg-type]
    return tuple(columns)


_KP_KEYS = (
    "nip nama detail_layanan sub_layanan jenis_layanan_nama status_usulan limit offset "
    "periode instansi_induk_id tgl_usulan"
)


def _params(keys: str, **values: str) -> tuple[tuple[str, str], ...]:
    return tuple((k, values.get(k, "")) for k in keys.split())


PANGKAT_COLUMNS = _cols(
    "id jenis_layanan:int sub_layanan:int detail_layanan:int detail_layanan_nama "
    "jenis_layanan_nama pns_id nip nama usulan_data:json dokumen_usulan:json "
    "status_usulan:int status_aktif:int status_paraf_pertek:int status_ttd_paraf_pertek:int "
    "status_paraf_sk status_ttd_sk tgl_usulan tgl_pengiriman_kelayanan tgl_update_layanan "
    "tgl_surat_usulan tgl_surat_keluar tgl_paraf_sk tgl_ttd_sk tgl_sk tgl_pertek periode "
    "instansi_id instansi_nama instansi_induk_id instansi_induk_nama satuan_kerja_induk_id "
    "satuan_kerja_induk_nama provinsi_nama path_pertek path_ttd_pertek path_surat_usulan "
    "path_paraf_sk path_ttd_sk path_sk path_sk_kolektif path_sk_lampiran pejabat_paraf_id "
    "pejabat_ttd_id pejabat_paraf_sk pejabat_ttd_sk no_surat_usulan no_surat_keluar no_sk "
    "no_urut no_pertek jenis_kp_id jenis_pegawai_id keterangan uraian_perbaikan "
    "uraian_pembatalan nama_tabel_riwayat id_riwayat_update alasan_tolak_id:int "
    "alasan_tolak_tambahan referensi_instansi:int generated_nomor:bool is_otomatis "
    "counter_bts:int nip_pengaju nip_approval nama_approval nip_approval_perbaikan "
    "pns_id_pengusul kanreg_id_pengusul StatusData created_at:timestamp* updated_at:timestamp*"
)

PENSIUN_COLUMNS = _cols(
    "id layanan_id:int layanan_nama sub_layanan_id:int sub_layanan_nama "
    "detail_layanan_id:int detail_layanan_nama pns_id nip nama instansi_id instansi_nama "
    "usulan_data:json dokumen_usulan:json jenis_henti_id jenis_henti_nama status_aktif:int "
    "status_usulan:int tgl_usulan:timestamp created_by created_by_nip created_by_nama "
    "approval_tgl:timestamp approval_id approval_nip approval_nama path_pertek "
    "path_pertek_multi path_sk_multi path_sk path_sk_preview kirim_teken_usul_tgl:timestamp "
    "tgl_pengiriman_kelayanan:timestamp updated_from_bkn_at:timestamp alasan_tolak_id "
    "alasan_tolak_tambahan notes updated_at:timestamp deleted_by sk_nomor sk_tgl:timestamp "
    "keterangan sk_signer_id sk_signer_nama sk_signer_nip usulan_taspen:json"
)

_PG_COLUMNS_SPEC = (
    "id nama nip pns_id tipe_pegawai detail_layanan detail_layanan_nama jenis_layanan_nama "
    "sub_layanan unor_verifikator unor_verifikator_nama nip_verifikator nama_verifikator "
    "status_usulan:int status_usulan_nama sumber tgl_usulan:timestamp tmt_cpns:timestamp "
    "tgl_tolak_bkn:timestamp usulan_data:json dokumen_usulan:json id_riwayat_update "
    "id_riwayat tipe_usulan tipe alasan_tolak_id:int alasan_tolak_nama alasan_tolak_tambahan "
    "rekomendasi_approval:int pns_id_approval nip_approval nama_approval unor_approval_id "
    "unor_approval_nama instansi_id instansi_nama kanreg_id periode periode_id"
)
PG_AKADEMIK_COLUMNS = _cols(_PG_COLUMNS_SPEC)
PG_PROFESI_COLUMNS = _cols(_PG_COLUMNS_SPEC + " created_at:timestamp* updated_at:timestamp*")

SKK_COLUMNS = _cols(
    "id jenis_layanan:int sub_layanan:int detail_layanan:int jenis_layanan_nama "
    "no_surat_usulan tgl_surat_usulan:timestamp path_surat_usulan pns_id nip nama "
    "instansi_id instansi_nama provinsi_nama usulan_data:json dokumen_usulan:json "
    "status_usulan:int tgl_usulan:timestamp message deleted_at no_sk tgl_sk:timestamp "
    "pejabat_ttd_sk typeSignature nama_waris tempat_ditetapkan jabatan_ttd status_cpns_pns "
    "pangkat_gol masa_kerja_gol mulai_tgl:timestamp created_at:timestamp* updated_at:timestamp*"
)

_PG_PATH = "/siasn-instansi/api/peremajaan/inbox-usul-instansi"
_PG_KEYS = "offset limit detail_layanan instansi_kerja_id"

CATALOG: dict[str, ProxyType] = {
    "pangkat": ProxyType(
        name="pangkat",
        title="Rank promotion",
        title_id="Kenaikan Pangkat",
        endpoint=EndpointSpec(
            method="GET",
            path="/siasn-instansi/kp/usulan/monitoring",
            params=_params(_KP_KEYS, instansi_induk_id=AGENCY_ID),
            rows_key="data",
            total_key="meta.total",
            paging="row_offset",
            page_size=600,
            timeout=60.0,
        ),
        table=TableSpec("proxy_pangkat", PANGKAT_COLUMNS),
    ),
    "pensiun": ProxyType(
        name="pensiun",
        title="Retirement / termination",
        title_id="Pemberhentian",
        endpoint=EndpointSpec(
            method="POST",
            path="/siasn-instansi/pemberhentian/inbox-filter",
            params=_params(_KP_KEYS, instansi_induk_id=AGENCY_ID),
            rows_key="data",
            total_key="meta.total",
            paging="row_offset",
            page_size=100,
            timeout=120.0,
            body_params=True,
        ),
        table=TableSpec("proxy_pensiun", PENSIUN_COLUMNS),
    ),
    "pg_akademik": ProxyType(
        name="pg_akademik",
        title="Academic degree title",
        title_id="Pencantuman Gelar Akademik",
        endpoint=EndpointSpec(
            method="GET",
            path=_PG_PATH,
            params=_params(_PG_KEYS, detail_layanan="328", instansi_kerja_id=AGENCY_ID),
            rows_key="results",
            total_key=None,
            paging="page_index",
            page_size=100,
            timeout=60.0,
        ),
        table=TableSpec("proxy_pg_akademik", PG_AKADEMIK_COLUMNS),
    ),
    "pg_profesi": ProxyType(
        name="pg_profesi",
        title="Professional degree title",
        title_id="Pencantuman Gelar Profesi",
        endpoint=EndpointSpec(
            method="GET",
            path=_PG_PATH,
            params=_params(_PG_KEYS, detail_layanan="125", instansi_kerja_id=AGENCY_ID),
            rows_key="results",
            total_key=None,
            paging="page_index",
            page_size=100,
            timeout=60.0,
        ),
        table=TableSpec("proxy_pg_profesi", PG_PROFESI_COLUMNS),
    ),
    "skk": ProxyType(
        name="skk",
        title="Employment status",
        title_id="Status Kedudukan Kepegawaian",
        endpoint=EndpointSpec(
            method="GET",
            path="/siasn-instansi/skk/usulan/monitoring",
            params=_params(
                "nip nama tgl_usulan sub_layanan detail_layanan_id status_usulan limit offset"
            ),
            rows_key="data",
            total_key="meta.total",
            paging="row_offset",
            page_size=500,
            timeout=60.0,
        ),
        table=TableSpec("proxy_skk", SKK_COLUMNS),
    ),
}

PROXY_TYPES: tuple[str, ...] = tuple(CATALOG)


class UnknownProxyType(ProxytuiError, ValueError):
    """Raised for a type name that is not one of the five; the message lists them."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(text("catalog.unknown_type", name=name, types=", ".join(PROXY_TYPES)))


def get_proxy_type(name: str) -> ProxyType:
    """Look a type up by its name or its dashed route form."""
    key = name.strip().lower().replace("-", "_")
    try:
        return CATALOG[key]
    except KeyError:
        raise UnknownProxyType(name) from None
