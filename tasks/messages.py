"""Every human-facing sentence, in English and Indonesian, in one place.

The dashboard, the CLI and the ``message`` fields of the job contract all take their
words from here, so an operator sees the same sentence wherever it appears. The language
follows ``PROXYTUI_LANG``, else the locale, else English.
"""

from __future__ import annotations

import locale
import os

TEXTS: dict[str, dict[str, str]] = {
    "sync.running": {
        "en": "A {type} sync is already {state} ({progress}%); job {jobId}.",
        "id": "Sinkronisasi {type} sedang berjalan ({state}, {progress}%); job {jobId}.",
    },
    "sync.last": {
        "en": "The last {type} sync {status} {minutesAgo} min ago; use force to run it again.",
        "id": "Sinkronisasi {type} terakhir {status} {minutesAgo} menit lalu; "
        "gunakan force untuk menjalankan ulang.",
    },
    "sync.queued": {
        "en": "{type} sync queued as job {jobId}.",
        "id": "Sinkronisasi {type} masuk antrean sebagai job {jobId}.",
    },
    "sync.forced": {
        "en": "{type} sync forced: previous jobs removed, queued as job {jobId}.",
        "id": "Sinkronisasi {type} dipaksa: job sebelumnya dihapus, antre sebagai job {jobId}.",
    },
    "status.completed": {"en": "completed", "id": "selesai"},
    "status.failed": {"en": "failed", "id": "gagal"},
    "job.not_found": {
        "en": "Job {jobId} was not found; it may have been cleaned up or replaced by a force.",
        "id": "Job {jobId} tidak ditemukan; mungkin sudah dibersihkan atau diganti oleh force.",
    },
    "job.bad_id": {
        "en": "{jobId!r} is not a job id; job ids look like proxy-<type>-<epoch ms>.",
        "id": "{jobId!r} bukan id job; bentuknya proxy-<tipe>-<epoch ms>.",
    },
    "cleanup.done": {
        "en": "Removed {cleaned} job(s) of {scope}.",
        "id": "{cleaned} job {scope} dihapus.",
    },
    "cleanup.all": {"en": "every type", "id": "semua tipe"},
    "type.unknown": {
        "en": "Unknown proxy type {type!r}; valid types: {valid}.",
        "id": "Tipe proxy {type!r} tidak dikenal; tipe yang valid: {valid}.",
    },
    "backend.unreachable": {
        "en": "Cannot reach Redis at {url} ({reason}); check that redis-server is running "
        "and PROXYTUI_REDIS_URL is right.",
        "id": "Redis di {url} tidak dapat dihubungi ({reason}); pastikan redis-server berjalan "
        "dan PROXYTUI_REDIS_URL benar.",
    },
    "backend.sqlite_unreachable": {
        "en": "Cannot open the embedded queue at {url} ({reason}); check the path in "
        "PROXYTUI_QUEUE and its permissions.",
        "id": "Antrean tertanam di {url} tidak dapat dibuka ({reason}); periksa path di "
        "PROXYTUI_QUEUE dan izinnya.",
    },
    "worker.none": {
        "en": "Jobs are waiting but no worker is running. Start one: "
        "huey_consumer huey_config.huey -k process -w 2",
        "id": "Ada job menunggu tetapi tidak ada worker yang berjalan. Jalankan: "
        "huey_consumer huey_config.huey -k process -w 2",
    },
    # -- the HTTP API (tui/http_api.py, tui/serve.py) ------------------------------
    "api.param.missing": {
        "en": "The query parameter {name} is required: {hint}.",
        "id": "Parameter query {name} wajib diisi: {hint}.",
    },
    "api.param.bad": {
        "en": "{name}={value!r} is not valid; use {hint}.",
        "id": "{name}={value!r} tidak valid; gunakan {hint}.",
    },
    "api.param.unknown": {
        "en": "Unknown query parameter(s) {names}; this route takes: {valid}.",
        "id": "Parameter query {names} tidak dikenal; rute ini menerima: {valid}.",
    },
    "api.param.repeated": {
        "en": "The query parameter {name} was given more than once; give it once.",
        "id": "Parameter query {name} diberikan lebih dari sekali; berikan sekali saja.",
    },
    "api.param.none": {"en": "no query parameters", "id": "tanpa parameter query"},
    "api.unauthorized": {
        "en": "Missing or invalid API key; send 'Authorization: Bearer <key>' with a key "
        "from PROXYTUI_API_KEYS.",
        "id": "API key tidak ada atau salah; kirim 'Authorization: Bearer <key>' dengan key "
        "dari PROXYTUI_API_KEYS.",
    },
    "api.route.unknown": {
        "en": "No route {method} {path}; the routes are: {routes}.",
        "id": "Tidak ada rute {method} {path}; rute yang ada: {routes}.",
    },
    "api.route.method": {
        "en": "{method} is not allowed on {path}; use {allowed}.",
        "id": "{method} tidak diizinkan pada {path}; gunakan {allowed}.",
    },
    "api.internal": {
        "en": "Internal error (ref {ref}); the server log has the details.",
        "id": "Kesalahan internal (ref {ref}); rinciannya ada di log server.",
    },
    "api.keys.bad": {
        "en": "PROXYTUI_API_KEYS entry {index} is not name:key; "
        "use PROXYTUI_API_KEYS=name:key[,name2:key2].",
        "id": "Entri PROXYTUI_API_KEYS ke-{index} bukan name:key; "
        "gunakan PROXYTUI_API_KEYS=name:key[,name2:key2].",
    },
    "api.keys.duplicate": {
        "en": "PROXYTUI_API_KEYS gives the name {name!r} or its key twice; "
        "each name and each key must be unique.",
        "id": "PROXYTUI_API_KEYS memuat nama {name!r} atau key-nya dua kali; "
        "setiap nama dan key harus unik.",
    },
    "serve.no_keys_public": {
        "en": "Refusing to listen on {host} without an API key: set "
        "PROXYTUI_API_KEYS=name:key[,name2:key2], or listen on 127.0.0.1.",
        "id": "Menolak mendengarkan di {host} tanpa API key: isi "
        "PROXYTUI_API_KEYS=name:key[,name2:key2], atau dengarkan di 127.0.0.1.",
    },
    "serve.no_keys_local": {
        "en": "No API key is set (PROXYTUI_API_KEYS): anyone on this machine can call the API.",
        "id": "Belum ada API key (PROXYTUI_API_KEYS): siapa pun di mesin ini dapat memanggil API.",
    },
    "serve.bad_base_path": {
        "en": "--base-path {path!r} must start with / and hold no spaces, braces, ? or #.",
        "id": "--base-path {path!r} harus diawali / dan tanpa spasi, kurung kurawal, ? atau #.",
    },
    "serve.need_extra": {
        "en": "The HTTP API needs Starlette and uvicorn: pip install 'proxytui[api]'.",
        "id": "API HTTP memerlukan Starlette dan uvicorn: pip install 'proxytui[api]'.",
    },
    "run.cancelled": {
        "en": "Job {jobId} was cancelled or replaced; this run stopped and published nothing.",
        "id": "Job {jobId} dibatalkan atau diganti; proses ini berhenti tanpa menerbitkan data.",
    },
    "run.timed_out": {
        "en": "Attempt timed out after {limit}.",
        "id": "Percobaan melewati batas waktu setelah {limit}.",
    },
    "run.stalled": {
        "en": "Worker {worker} stopped sending heartbeats (stalled); {outcome}.",
        "id": "Worker {worker} berhenti mengirim heartbeat (macet); {outcome}.",
    },
    "run.stalled.requeued": {"en": "queued again", "id": "diantrekan ulang"},
    "run.stalled.failed": {"en": "no attempts left", "id": "percobaan habis"},
    "run.interrupted": {
        "en": "Worker shut down during the attempt; the job is queued again.",
        "id": "Worker berhenti saat percobaan berjalan; job diantrekan ulang.",
    },
    "run.retry": {
        "en": "Attempt {attempt}/{maxAttempts} failed: {error}; retrying in {delay}s.",
        "id": "Percobaan {attempt}/{maxAttempts} gagal: {error}; dicoba lagi dalam {delay} detik.",
    },
    "run.failed": {
        "en": "Attempt {attempt}/{maxAttempts} failed: {error}; no attempts left.",
        "id": "Percobaan {attempt}/{maxAttempts} gagal: {error}; percobaan habis.",
    },
    "run.started": {
        "en": "Attempt {attempt}/{maxAttempts} started on {worker}.",
        "id": "Percobaan {attempt}/{maxAttempts} dimulai di {worker}.",
    },
    "run.completed": {
        "en": "Completed: {message}",
        "id": "Selesai: {message}",
    },
}


def current_language() -> str:
    """'id' or 'en': PROXYTUI_LANG, else the locale, else English."""
    lang = os.environ.get("PROXYTUI_LANG", "").strip().lower()
    if not lang:
        try:
            lang = (locale.getlocale()[0] or "").lower()
        except ValueError:
            lang = ""
        lang = lang or os.environ.get("LANG", "").lower()
    return "id" if lang.startswith(("id", "in_")) else "en"


def text(key: str, /, lang: str | None = None, **values: object) -> str:
    """The sentence ``key`` in the current language, filled with ``values``."""
    entry = TEXTS[key]
    template = entry.get(lang or current_language()) or entry["en"]
    return template.format(**values)
