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
    "job.none_for_type": {
        "en": "No {type} job yet; start one with: proxytui sync {type}",
        "id": "Belum ada job {type}; mulai dengan: proxytui sync {type}",
    },
    "wait.progress": {
        "en": "{jobId}: {state}{stage} ({progress}%)",
        "id": "{jobId}: {state}{stage} ({progress}%)",
    },
    "wait.unreachable": {
        "en": "{jobId}: the backend is unreachable ({reason}); still waiting",
        "id": "{jobId}: backend tidak terjangkau ({reason}); tetap menunggu",
    },
    "wait.timeout": {
        "en": "{jobId}: not finished after {seconds} s; it goes on without us "
        "(proxytui status {jobId})",
        "id": "{jobId}: belum selesai setelah {seconds} dtk; job tetap berjalan "
        "(proxytui status {jobId})",
    },
    "wait.interrupted": {
        "en": "{jobId}: stopped waiting; the job goes on (proxytui status {jobId})",
        "id": "{jobId}: berhenti menunggu; job tetap berjalan (proxytui status {jobId})",
    },
    "wait.timeout_alone": {
        "en": "--timeout goes with --wait (how long to follow the job)",
        "id": "--timeout hanya dipakai bersama --wait (berapa lama mengikuti job)",
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
    # -- the dashboard (tui/) -------------------------------------------------------
    "dash.state.none": {"en": "no job yet", "id": "belum ada job"},
    "dash.state.unknown": {"en": "unknown", "id": "tak diketahui"},
    "dash.state.waiting": {"en": "waiting", "id": "menunggu"},
    "dash.state.active": {"en": "running", "id": "berjalan"},
    "dash.state.delayed": {"en": "retrying", "id": "menunggu ulang"},
    "dash.state.stalled": {"en": "stalled", "id": "macet"},
    "dash.state.completed": {"en": "completed", "id": "selesai"},
    "dash.state.failed": {"en": "failed", "id": "gagal"},
    "dash.ago.now": {"en": "just now", "id": "baru saja"},
    "dash.ago.min": {"en": "{n} min ago", "id": "{n} menit lalu"},
    "dash.ago.hour": {"en": "{h} h {m} min ago", "id": "{h} jam {m} menit lalu"},
    "dash.ago.day": {"en": "{n} d ago", "id": "{n} hari lalu"},
    "dash.ended.completed": {
        "en": "completed {ago}, {rows} rows in {duration}",
        "id": "selesai {ago}, {rows} baris dalam {duration}",
    },
    "dash.ended.failed": {"en": "failed {ago}: {error}", "id": "gagal {ago}: {error}"},
    "dash.records": {"en": "{current}/{expected} rows", "id": "{current}/{expected} baris"},
    "dash.rate": {"en": "{rate} rows/s", "id": "{rate} baris/dtk"},
    "dash.eta": {"en": "ETA {eta}", "id": "sisa {eta}"},
    "dash.retry_at": {"en": "retry in {eta}", "id": "dicoba lagi dalam {eta}"},
    "dash.queued_since": {"en": "queued {ago}", "id": "antre sejak {ago}"},
    "dash.meta": {
        "en": "{jobId} · by {who} · attempt {attempt}/{maxAttempts}",
        "id": "{jobId} · oleh {who} · percobaan {attempt}/{maxAttempts}",
    },
    "dash.never": {"en": "never synced; press s to sync", "id": "belum pernah; tekan s"},
    "dash.unknown": {
        "en": "state unknown until the backend answers",
        "id": "status belum diketahui sampai backend menjawab",
    },
    "dash.header.connected": {"en": "connected", "id": "terhubung"},
    "dash.header.unreachable": {"en": "unreachable", "id": "tak terhubung"},
    "dash.header.connecting": {"en": "connecting", "id": "menghubungkan"},
    "dash.header.workers": {"en": "workers {n}", "id": "worker {n}"},
    "dash.header.queue": {"en": "queue {n}", "id": "antrean {n}"},
    "dash.header.paused": {"en": "PAUSED", "id": "JEDA"},
    "dash.header.read_only": {"en": "read-only", "id": "hanya-baca"},
    "dash.banner.unreachable": {
        "en": "{reason} The dashboard keeps retrying every {interval}s.",
        "id": "{reason} Dasbor terus mencoba setiap {interval} detik.",
    },
    "dash.confirm.force": {
        "en": "Force a new {type} sync? Its current job is removed; a running one is cancelled.",
        "id": "Paksa sinkronisasi {type} baru? Job yang ada dihapus; yang berjalan dibatalkan.",
    },
    "dash.confirm.cleanup": {
        "en": "Remove every {type} job? A running one is cancelled.",
        "id": "Hapus semua job {type}? Yang sedang berjalan dibatalkan.",
    },
    "dash.confirm.cleanup_all": {
        "en": "Remove the jobs of every type? Running ones are cancelled.",
        "id": "Hapus job semua tipe? Yang sedang berjalan dibatalkan.",
    },
    "dash.yes": {"en": "Yes", "id": "Ya"},
    "dash.no": {"en": "No", "id": "Tidak"},
    "dash.notify.completed": {
        "en": "{type} sync completed: {rows} rows ({duplicates} duplicates removed) "
        "in {duration}.",
        "id": "Sinkronisasi {type} selesai: {rows} baris ({duplicates} duplikat dibuang) "
        "dalam {duration}.",
    },
    "dash.notify.failed": {
        "en": "{type} sync failed: {error}",
        "id": "Sinkronisasi {type} gagal: {error}",
    },
    "dash.notify.read_only": {
        "en": "This dashboard is read-only: actions that change jobs are off.",
        "id": "Dasbor ini hanya-baca: aksi yang mengubah job dimatikan.",
    },
    "dash.notify.paused": {"en": "Polling paused.", "id": "Pembaruan dijeda."},
    "dash.notify.resumed": {"en": "Polling resumed.", "id": "Pembaruan dilanjutkan."},
    "dash.notify.copied": {"en": "Copied {jobId}.", "id": "{jobId} disalin."},
    "dash.notify.no_job": {
        "en": "No {type} job to show yet.",
        "id": "Belum ada job {type} untuk ditampilkan.",
    },
    "dash.notify.error": {"en": "Action failed: {error}", "id": "Aksi gagal: {error}"},
    "dash.action.sync": {"en": "Sync", "id": "Sinkron"},
    "dash.action.force": {"en": "Force", "id": "Paksa"},
    "dash.action.cleanup": {"en": "Cleanup", "id": "Bersihkan"},
    "dash.action.cleanup_all": {"en": "Cleanup all", "id": "Bersihkan semua"},
    "dash.action.detail": {"en": "Detail", "id": "Detail"},
    "dash.action.jobs": {"en": "All jobs", "id": "Semua job"},
    "dash.action.refresh": {"en": "Refresh", "id": "Muat ulang"},
    "dash.action.pause": {"en": "Pause", "id": "Jeda"},
    "dash.action.help": {"en": "Help", "id": "Bantuan"},
    "dash.action.quit": {"en": "Quit", "id": "Keluar"},
    "dash.action.theme": {"en": "Colours", "id": "Warna"},
    "dash.action.copy": {"en": "Copy id", "id": "Salin id"},
    "dash.action.back": {"en": "Back", "id": "Kembali"},
    "dash.action.filter": {"en": "Filter", "id": "Saring"},
    "dash.action.up": {"en": "Up", "id": "Naik"},
    "dash.action.down": {"en": "Down", "id": "Turun"},
    "dash.tip.sync": {
        "en": "Sync the selected type unless a job runs or has run (then say so)",
        "id": "Sinkronkan tipe terpilih kecuali job sedang/pernah berjalan",
    },
    "dash.tip.force": {
        "en": "Replace the selected type's job with a new sync (asks first)",
        "id": "Ganti job tipe terpilih dengan sinkronisasi baru (bertanya dulu)",
    },
    "dash.tip.cleanup": {
        "en": "Remove the selected type's jobs (asks first)",
        "id": "Hapus job tipe terpilih (bertanya dulu)",
    },
    "dash.tip.cleanup_all": {
        "en": "Remove the jobs of every type (asks first)",
        "id": "Hapus job semua tipe (bertanya dulu)",
    },
    "dash.tip.detail": {
        "en": "Every field, the result, the error and the log of the selected job",
        "id": "Semua isian, hasil, galat dan log job terpilih",
    },
    "dash.tip.jobs": {"en": "Every job grouped by state", "id": "Semua job per status"},
    "dash.tip.refresh": {"en": "Poll the backend now", "id": "Tanyakan backend sekarang"},
    "dash.tip.pause": {
        "en": "Stop or restart polling the backend",
        "id": "Hentikan atau lanjutkan pembaruan",
    },
    "dash.tip.help": {"en": "Every key and what it does", "id": "Semua tombol dan fungsinya"},
    "dash.tip.quit": {"en": "Leave the dashboard", "id": "Tutup dasbor"},
    "dash.tip.theme": {
        "en": "Switch to the terminal's own colours and back",
        "id": "Pakai warna terminal sendiri atau kembali",
    },
    "dash.tip.copy": {
        "en": "Copy the job id to the clipboard (OSC 52)",
        "id": "Salin id job ke papan klip (OSC 52)",
    },
    "dash.tip.back": {"en": "Back to the previous screen", "id": "Kembali ke layar sebelumnya"},
    "dash.tip.filter": {"en": "Filter by type or job id", "id": "Saring menurut tipe atau id"},
    "dash.tip.move": {"en": "Move the selection", "id": "Pindahkan pilihan"},
    "dash.detail.title": {"en": "Job {jobId}", "id": "Job {jobId}"},
    "dash.detail.fields": {"en": "Fields", "id": "Isian"},
    "dash.detail.progress": {"en": "Progress", "id": "Kemajuan"},
    "dash.detail.progress_last": {
        "en": "Progress, as last reported",
        "id": "Kemajuan, laporan terakhir",
    },
    "dash.detail.result": {"en": "Result", "id": "Hasil"},
    "dash.detail.error": {"en": "Error", "id": "Galat"},
    "dash.detail.log": {"en": "Log", "id": "Log"},
    "dash.detail.none": {"en": "(none)", "id": "(tidak ada)"},
    "dash.jobs.title": {"en": "All jobs", "id": "Semua job"},
    "dash.jobs.filter": {
        "en": "filter by type or job id (esc clears)",
        "id": "saring menurut tipe atau id job (esc menghapus)",
    },
    "dash.jobs.empty": {"en": "No jobs.", "id": "Tidak ada job."},
    "dash.col.state": {"en": "State", "id": "Status"},
    "dash.col.type": {"en": "Type", "id": "Tipe"},
    "dash.col.job": {"en": "Job id", "id": "Id job"},
    "dash.col.progress": {"en": "Progress", "id": "Kemajuan"},
    "dash.col.age": {"en": "Age", "id": "Umur"},
    "dash.col.by": {"en": "Requested by", "id": "Diminta oleh"},
    "dash.col.field": {"en": "Field", "id": "Isian"},
    "dash.col.value": {"en": "Value", "id": "Nilai"},
    "dash.help.title": {"en": "Keys", "id": "Tombol"},
    "dash.help.close": {
        "en": "Press escape or ? to close. Every action is also in the command palette (ctrl+p).",
        "id": "Tekan escape atau ? untuk menutup. Semua aksi juga ada di palet perintah (ctrl+p).",
    },
    # The sync pipeline (tasks/pipeline.py).
    "pipeline.starting": {
        "en": "Preparing the {type} sync: token, database {database}.",
        "id": "Menyiapkan sinkronisasi {type}: token, basis data {database}.",
    },
    "pipeline.fetching": {
        "en": "Fetching {type} from SIASN: {current} rows, page {page}.",
        "id": "Mengambil {type} dari SIASN: {current} baris, halaman {page}.",
    },
    "pipeline.cleaning": {
        "en": "Cleaning {type}: deduplicating {received} rows and deriving ids.",
        "id": "Membersihkan {type}: menghapus duplikat dari {received} baris dan menurunkan id.",
    },
    "pipeline.publishing": {
        "en": "Publishing {rows} {type} rows to {table}.",
        "id": "Menerbitkan {rows} baris {type} ke {table}.",
    },
    "pipeline.published": {
        "en": "{table}: {written} rows written (new or changed), {unchanged} unchanged, "
        "{removed} removed (changed or gone upstream).",
        "id": "{table}: {written} baris ditulis (baru atau berubah), {unchanged} tetap, "
        "{removed} dihapus (berubah atau hilang di hulu).",
    },
    "pipeline.done": {
        "en": "{inserted} {type} rows published ({duplicates} duplicates removed, {derived} ids "
        "derived, {null_ids} null ids, {rejected} rejected) from {pages} pages in {seconds} s.",
        "id": "{inserted} baris {type} diterbitkan ({duplicates} duplikat dibuang, {derived} id "
        "diturunkan, {null_ids} id kosong, {rejected} ditolak) dari {pages} halaman dalam "
        "{seconds} detik.",
    },
    "pipeline.rejected": {
        "en": "{rejected} row(s) could not be stored and were left out; first reasons below.",
        "id": "{rejected} baris tidak dapat disimpan dan tidak dimasukkan; "
        "alasan pertama di bawah.",
    },
    # -- ledger --
    "dataset.queued_stale": {
        "en": "The last {type} sync completed {minutesAgo} min ago, longer than the freshness "
        "window of {freshMinutes} min; a new sync is queued as job {jobId}.",
        "id": "Sinkronisasi {type} terakhir selesai {minutesAgo} menit lalu, melewati jendela "
        "kesegaran {freshMinutes} menit; sinkronisasi baru antre sebagai job {jobId}.",
    },
    "dataset.queued_retry": {
        "en": "The last {type} sync failed {minutesAgo} min ago ({error}); a new sync is queued "
        "as job {jobId}. The failed run stays in the history.",
        "id": "Sinkronisasi {type} terakhir gagal {minutesAgo} menit lalu ({error}); "
        "sinkronisasi baru antre sebagai job {jobId}. Run yang gagal tetap ada di riwayat.",
    },
    "dataset.unknown": {
        "en": "dataset unknown: {reason}",
        "id": "data tidak diketahui: {reason}",
    },
    "dataset.unreachable": {
        "en": "The destination database {url} cannot be read: {reason}. Check "
        "PROXYTUI_DATABASE_URL and that the database is up.",
        "id": "Basis data tujuan {url} tidak dapat dibaca: {reason}. Periksa "
        "PROXYTUI_DATABASE_URL dan pastikan basis data berjalan.",
    },
    "history.bad_limit": {
        "en": "limit must be a whole number from 1 to {maximum}, not {limit!r}",
        "id": "limit harus bilangan bulat 1 sampai {maximum}, bukan {limit!r}",
    },
    "history.empty": {
        "en": "No runs recorded yet.",
        "id": "Belum ada run yang tercatat.",
    },
    "history.header": {
        "en": "finished             type         state      trigger    by           duration"
        "      rows   written  removed  job / error",
        "id": "selesai              tipe         status     pemicu     oleh         durasi  "
        "     baris    ditulis  dihapus  job / galat",
    },
    "ledger.not_recorded": {
        "en": "run {jobId} ({state}) could not be recorded in the run ledger: {reason}",
        "id": "run {jobId} ({state}) tidak dapat dicatat di buku run: {reason}",
    },
    "schedule.bad_entry": {
        "en": "PROXYTUI_SCHEDULE: {entry!r} is not TYPE=CRON (e.g. pangkat=0 2 * * *)",
        "id": "PROXYTUI_SCHEDULE: {entry!r} bukan TIPE=CRON (mis. pangkat=0 2 * * *)",
    },
    "schedule.bad_type": {
        "en": "PROXYTUI_SCHEDULE: unknown type {type!r}; use one of: {valid}",
        "id": "PROXYTUI_SCHEDULE: tipe {type!r} tidak dikenal; gunakan salah satu: {valid}",
    },
    "schedule.twice": {
        "en": "PROXYTUI_SCHEDULE: {type} is scheduled twice; give each type one expression",
        "id": "PROXYTUI_SCHEDULE: {type} dijadwalkan dua kali; beri tiap tipe satu ekspresi",
    },
    "schedule.bad_expression": {
        "en": "PROXYTUI_SCHEDULE: {type}={expression!r} is not a cron expression (five fields, "
        "or six with seconds first)",
        "id": "PROXYTUI_SCHEDULE: {type}={expression!r} bukan ekspresi cron (lima kolom, atau "
        "enam dengan detik di depan)",
    },
    "schedule.none": {
        "en": "No schedules (set PROXYTUI_SCHEDULE, e.g. pangkat=0 2 * * *). Time zone: {zone}.",
        "id": "Tidak ada jadwal (atur PROXYTUI_SCHEDULE, mis. pangkat=0 2 * * *). "
        "Zona waktu: {zone}.",
    },
    "schedule.header": {
        "en": "Schedules, time zone {zone}:",
        "id": "Jadwal, zona waktu {zone}:",
    },
    "schedule.unscheduled": {"en": "not scheduled", "id": "tidak dijadwalkan"},
    "schedule.next": {"en": "next {when}", "id": "berikutnya {when}"},
    "schedule.queued": {
        "en": "scheduled {type} sync of {slot}: queued as job {jobId}",
        "id": "sinkronisasi {type} terjadwal {slot}: antre sebagai job {jobId}",
    },
    "schedule.skipped_running": {
        "en": "scheduled {type} sync of {slot} not queued: job {jobId} is still {state}",
        "id": "sinkronisasi {type} terjadwal {slot} tidak diantrekan: job {jobId} masih {state}",
    },
    "schedule.skipped_fresh": {
        "en": "scheduled {type} sync of {slot} not queued: job {jobId} completed {minutesAgo} "
        "min ago, inside the freshness window",
        "id": "sinkronisasi {type} terjadwal {slot} tidak diantrekan: job {jobId} selesai "
        "{minutesAgo} menit lalu, masih dalam jendela kesegaran",
    },
    "schedule.claimed_elsewhere": {
        "en": "scheduled {type} sync of {slot}: already claimed by another consumer",
        "id": "sinkronisasi {type} terjadwal {slot}: sudah diambil konsumen lain",
    },
    "schedule.missed": {
        "en": "scheduled {type} sync of {slot} was missed {age} ago, beyond the grace of "
        "{grace}; not run (next {next})",
        "id": "sinkronisasi {type} terjadwal {slot} terlewat {age} lalu, melewati tenggang "
        "{grace}; tidak dijalankan (berikutnya {next})",
    },
    "schedule.unreachable": {
        "en": "scheduled {type} sync of {slot} not queued: the job store is unreachable "
        "({reason})",
        "id": "sinkronisasi {type} terjadwal {slot} tidak diantrekan: penyimpanan job tidak "
        "terjangkau ({reason})",
    },
    "metrics.unreachable": {
        "en": "metrics: {what} unreachable: {reason}",
        "id": "metrik: {what} tidak terjangkau: {reason}",
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
