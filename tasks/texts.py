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
    # -- the HTTP API (tui/api/) ----------------------------------------------------
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
        "en": "The HTTP API needs FastAPI and uvicorn: pip install 'proxytui[api]'.",
        "id": "API HTTP memerlukan FastAPI dan uvicorn: pip install 'proxytui[api]'.",
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
    "dash.ended.completed": {
        "en": "completed {ago}: {rows} rows in {duration}",
        "id": "selesai {ago}: {rows} baris dalam {duration}",
    },
    "dash.ended.failed": {"en": "failed {ago}: {error}", "id": "gagal {ago}: {error}"},
    "dash.rate": {"en": "{rate} rows/s", "id": "{rate} baris/dtk"},
    "dash.eta": {"en": "ETA {eta}", "id": "sisa {eta}"},
    "dash.retry_at": {
        "en": "retry in {eta} after: {error}",
        "id": "dicoba lagi dalam {eta} setelah: {error}",
    },
    "dash.queued_since": {"en": "queued {ago}", "id": "antre sejak {ago}"},
    "dash.meta": {
        "en": "{jobId} · by {who} · {attempt}",
        "id": "{jobId} · oleh {who} · {attempt}",
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
        "en": "Remove {type} jobs? Finished ones only, or all of them (a running one is "
        "cancelled)? Their runs stay in the history.",
        "id": "Hapus job {type}? Hanya yang sudah selesai, atau semuanya (yang berjalan "
        "dibatalkan)? Riwayat jalannya tetap tersimpan.",
    },
    "dash.confirm.cleanup_all": {
        "en": "Remove the jobs of every type? Finished ones only, or all of them (running "
        "ones are cancelled)? Their runs stay in the history.",
        "id": "Hapus job semua tipe? Hanya yang sudah selesai, atau semuanya (yang berjalan "
        "dibatalkan)? Riwayat jalannya tetap tersimpan.",
    },
    "dash.yes": {"en": "Yes", "id": "Ya"},
    "dash.no": {"en": "No", "id": "Tidak"},
    "dash.notify.completed": {
        "en": "✔ {type} completed: {rows} rows in {duration} ({duplicates} duplicates "
        "removed).",
        "id": "✔ {type} selesai: {rows} baris dalam {duration} ({duplicates} duplikat "
        "dibuang).",
    },
    "dash.notify.failed": {
        "en": "✖ {type} failed: {error}",
        "id": "✖ {type} gagal: {error}",
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
        "en": "Sync the selected type unless a job runs or the last one completed within "
        "PROXYTUI_FRESH_FOR (then say so)",
        "id": "Sinkronkan tipe terpilih kecuali job sedang berjalan atau yang terakhir selesai "
        "dalam PROXYTUI_FRESH_FOR (lalu beri tahu)",
    },
    "dash.tip.force": {
        "en": "Replace the selected type's job with a new sync (asks first)",
        "id": "Ganti job tipe terpilih dengan sinkronisasi baru (bertanya dulu)",
    },
    "dash.tip.cleanup": {
        "en": "Remove the selected type's finished jobs, or all of them (asks first)",
        "id": "Hapus job tipe terpilih yang selesai, atau semuanya (bertanya dulu)",
    },
    "dash.tip.cleanup_all": {
        "en": "Remove the finished jobs of every type, or all of them (asks first)",
        "id": "Hapus job selesai semua tipe, atau semuanya (bertanya dulu)",
    },
    "dash.tip.detail": {
        "en": "The selected job: timeline, result or error, log, every field",
        "id": "Job terpilih: lini waktu, hasil atau galat, log, semua isian",
    },
    "dash.tip.jobs": {
        "en": "Every job in the store, to filter and sort",
        "id": "Semua job di penyimpanan, untuk disaring dan diurutkan",
    },
    "dash.tip.refresh": {"en": "Poll the backend now", "id": "Tanyakan backend sekarang"},
    "dash.tip.pause": {
        "en": "Stop polling the backend (the screen keeps the last data)",
        "id": "Hentikan pembaruan (layar menyimpan data terakhir)",
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
    "dash.tip.filter": {
        "en": "Filter on every column: state, type, id, requester",
        "id": "Saring di semua kolom: status, tipe, id, peminta",
    },
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
        "en": "filter: state, type, id or requester (esc clears)",
        "id": "saring: status, tipe, id atau peminta (esc menghapus)",
    },
    "dash.jobs.empty": {"en": "No jobs.", "id": "Tidak ada job."},
    "dash.col.state": {"en": "State", "id": "Status"},
    "dash.col.type": {"en": "Type", "id": "Tipe"},
    "dash.col.job": {"en": "Job id", "id": "Id job"},
    "dash.col.progress": {"en": "Progress", "id": "Kemajuan"},
    "dash.col.age": {"en": "Age", "id": "Umur"},
    "dash.col.by": {"en": "By", "id": "Oleh"},
    "dash.col.field": {"en": "Field", "id": "Isian"},
    "dash.col.value": {"en": "Value", "id": "Nilai"},
    "dash.help.title": {"en": "Keys", "id": "Tombol"},
    "dash.help.close": {
        "en": "escape or ? closes this help; q quits from every screen. Every action is also "
        "in the command palette (ctrl+p).",
        "id": "escape atau ? menutup bantuan ini; q keluar dari layar mana pun. Semua aksi juga "
        "ada di palet perintah (ctrl+p).",
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
    # -- house --
    "settings.invalid": {
        "en": "{name}={value!r}: use {rule}.",
        "id": "{name}={value!r}: gunakan {rule}.",
    },
    "settings.rule.seconds_positive": {
        "en": "a number of seconds greater than 0",
        "id": "jumlah detik lebih dari 0",
    },
    "settings.rule.seconds": {
        "en": "a number of seconds, 0 or more",
        "id": "jumlah detik, 0 atau lebih",
    },
    "settings.rule.count": {
        "en": "a whole number, {min} or more",
        "id": "bilangan bulat, {min} atau lebih",
    },
    "settings.rule.bool": {
        "en": "true or false",
        "id": "true atau false",
    },
    "settings.queue": {
        "en": "'redis' or 'sqlite:///path/to/queue.db'",
        "id": "'redis' atau 'sqlite:///path/ke/queue.db'",
    },
    "settings.lang": {
        "en": "'en' or 'id'",
        "id": "'en' atau 'id'",
    },
    "settings.tz": {
        "en": "a time zone name such as Asia/Jakarta, or nothing for the host's zone",
        "id": "nama zona waktu seperti Asia/Jakarta, atau kosong untuk zona host",
    },
    "settings.config_missing": {
        "en": "PROXYTUI_CONFIG names {path}, which is not a readable file.",
        "id": "PROXYTUI_CONFIG menunjuk {path}, yang bukan berkas yang dapat dibaca.",
    },
    "watchdog.orphan_requeued": {
        "en": "Its queued task was lost (never picked up); queued again.",
        "id": "Tugas antreannya hilang (tidak pernah diambil); diantrekan ulang.",
    },
    "siasn.token_missing": {
        "en": "No SIASN token found. Tried: {tried}. Set SIASN_TOKEN, point SIASN_TOKEN_FILE at "
        "a file holding the token, or check that the token refresher is writing the Redis key.",
        "id": "Token SIASN tidak ditemukan. Sudah dicoba: {tried}. Isi SIASN_TOKEN, arahkan "
        "SIASN_TOKEN_FILE ke berkas berisi token, atau periksa bahwa penyegar token menulis "
        "kunci Redis.",
    },
    "siasn.token_unavailable": {
        "en": "Could not look up the SIASN token: {tried}. Check that Redis is reachable; "
        "the sync is retried.",
        "id": "Token SIASN tidak dapat dicari: {tried}. Periksa bahwa Redis terjangkau; "
        "sinkronisasi diulang.",
    },
    "siasn.token_rejected": {
        "en": "SIASN rejected the token (HTTP {status} on {path}). The token has probably "
        "expired: refresh it (SIASN_TOKEN, SIASN_TOKEN_FILE or the Redis key "
        "bknsiasn:access_token) and run the sync again.",
        "id": "SIASN menolak token (HTTP {status} pada {path}). Token kemungkinan kedaluwarsa: "
        "perbarui (SIASN_TOKEN, SIASN_TOKEN_FILE atau kunci Redis bknsiasn:access_token) "
        "lalu jalankan sinkronisasi lagi.",
    },
    "siasn.unavailable": {
        "en": "SIASN {path} at offset {offset} failed {attempts} time(s); last error: {error}. "
        "The upstream is down or overloaded; the sync will be retried, or run it again later.",
        "id": "SIASN {path} pada offset {offset} gagal {attempts} kali; galat terakhir: {error}. "
        "Hulu sedang mati atau kelebihan beban; sinkronisasi akan diulang, atau jalankan lagi "
        "nanti.",
    },
    "siasn.bad_response": {
        "en": "SIASN {path} at offset {offset} gave an unusable answer: {reason}. "
        "Check SIASN_BASE_URL and the endpoint in tasks/catalog.py.",
        "id": "SIASN {path} pada offset {offset} memberi jawaban yang tidak dapat dipakai: "
        "{reason}. Periksa SIASN_BASE_URL dan endpoint di tasks/catalog.py.",
    },
    "siasn.page_loop": {
        "en": "SIASN {path} was still returning rows after {pages} pages (offset {offset}): "
        "the endpoint seems to ignore the offset. Nothing was published. If the dataset "
        "really is that large, raise PROXYTUI_PAGE_CAP.",
        "id": "SIASN {path} masih mengembalikan baris setelah {pages} halaman (offset {offset}): "
        "endpoint tampaknya mengabaikan offset. Tidak ada yang diterbitkan. Bila datanya "
        "memang sebesar itu, naikkan PROXYTUI_PAGE_CAP.",
    },
    "pipeline.fetched": {
        "en": "fetched {received} rows ({new} new) in {pages} pages, {requests} requests, "
        "{retries} retries",
        "id": "{received} baris diambil ({new} baru) dalam {pages} halaman, {requests} "
        "permintaan, {retries} pengulangan",
    },
    "pipeline.reread": {
        "en": "; {reread} more re-read where prefetched pages overlap",
        "id": "; {reread} lagi dibaca ulang di bagian halaman prefetch yang bertumpuk",
    },
    "pipeline.rejected_sample": {
        "en": "rejected {sample}",
        "id": "ditolak {sample}",
    },
    "catalog.unknown_type": {
        "en": "unknown proxy type {name!r}; valid types: {types}",
        "id": "jenis proxy {name!r} tidak dikenal; jenis yang sah: {types}",
    },
    # -- tui --
    "dash.ago": {"en": "{span} ago", "id": "{span} lalu"},
    "dash.span.sec": {"en": "{n} s", "id": "{n} dtk"},
    "dash.span.min": {"en": "{n} min", "id": "{n} mnt"},
    "dash.span.hour": {"en": "{n} h", "id": "{n} jam"},
    "dash.span.day": {"en": "{n} d", "id": "{n} hari"},
    "dash.state.cancelled": {"en": "cancelled", "id": "dibatalkan"},
    "dash.stage.starting": {"en": "starting", "id": "memulai"},
    "dash.stage.fetching": {"en": "fetching", "id": "mengambil"},
    "dash.stage.cleaning": {"en": "cleaning", "id": "membersihkan"},
    "dash.stage.publishing": {"en": "publishing", "id": "menerbitkan"},
    "dash.stalled": {"en": "no heartbeat since {ago}", "id": "tanpa detak sejak {ago}"},
    "dash.rate_short": {"en": "{rate}/s", "id": "{rate}/dtk"},
    "dash.attempt": {"en": "attempt {n}/{max}", "id": "percobaan {n}/{max}"},
    "dash.by": {"en": "by {who}", "id": "oleh {who}"},
    "dash.never_read_only": {"en": "never synced", "id": "belum pernah disinkronkan"},
    "dash.no_job_record": {
        "en": "no job record (removed); its runs are in the history (h)",
        "id": "catatan job tidak ada (dihapus); jalannya ada di riwayat (h)",
    },
    "dash.data.age": {"en": "data {age} old", "id": "data berumur {age}"},
    "dash.data.none": {"en": "no data yet", "id": "belum ada data"},
    "dash.data.rows": {"en": "{rows} rows", "id": "{rows} baris"},
    "dash.data.failed": {
        "en": "last run {state} {ago}: {error}",
        "id": "jalan terakhir {state} {ago}: {error}",
    },
    "dash.data.unknown": {"en": "dataset unknown", "id": "data tak diketahui"},
    "dash.next_run": {"en": "next {when} (in {wait})", "id": "berikutnya {when} ({wait} lagi)"},
    "dash.header.connected.short": {"en": "up", "id": "ok"},
    "dash.header.connecting.short": {"en": "…", "id": "…"},
    "dash.header.unreachable.short": {"en": "down", "id": "putus"},
    "dash.header.workers.short": {"en": "W{n}", "id": "W{n}"},
    "dash.header.queue.short": {"en": "Q{n}", "id": "A{n}"},
    "dash.header.read_only.short": {"en": "RO", "id": "RO"},
    "dash.updated": {"en": "updated {at}", "id": "diperbarui {at}"},
    "dash.updated.reading": {"en": "reading…", "id": "membaca…"},
    "dash.updated.stale": {"en": "data from {at} ({ago})", "id": "data dari {at} ({ago})"},
    "dash.choice.keep": {"en": "Keep", "id": "Biarkan"},
    "dash.choice.finished": {"en": "Remove finished", "id": "Hapus yang selesai"},
    "dash.choice.all": {"en": "Remove all", "id": "Hapus semua"},
    "dash.action.resume": {"en": "Resume", "id": "Lanjutkan"},
    "dash.action.history": {"en": "History", "id": "Riwayat"},
    "dash.action.history_all": {"en": "History, all types", "id": "Riwayat semua tipe"},
    "dash.action.history_toggle": {"en": "This type / all", "id": "Tipe ini / semua"},
    "dash.action.workers": {"en": "Workers", "id": "Worker"},
    "dash.action.cancel": {"en": "Cancel", "id": "Batal"},
    "dash.action.close_help": {"en": "Close", "id": "Tutup"},
    "dash.action.sort_by": {"en": "Sort by {column}", "id": "Urutkan {column}"},
    "dash.tip.resume": {"en": "Start polling the backend again", "id": "Lanjutkan pembaruan"},
    "dash.tip.history": {
        "en": "Finished runs of the selected type, with sparklines",
        "id": "Jalan yang selesai dari tipe terpilih, dengan grafik",
    },
    "dash.tip.history_all": {
        "en": "Finished runs of every type",
        "id": "Jalan yang selesai semua tipe",
    },
    "dash.tip.history_toggle": {
        "en": "Show the runs of this type or of every type",
        "id": "Tampilkan jalan tipe ini atau semua tipe",
    },
    "dash.tip.workers": {
        "en": "Every live worker: host, pid, kind, current job",
        "id": "Semua worker hidup: host, pid, jenis, job saat ini",
    },
    "dash.tip.cancel": {
        "en": "Close the dialog without doing anything",
        "id": "Tutup dialog tanpa melakukan apa pun",
    },
    "dash.tip.dialog_answer": {
        "en": "Answer the dialog with the letter shown on a button",
        "id": "Jawab dialog dengan huruf pada tombol",
    },
    "dash.tip.dialog_move": {
        "en": "Move between the dialog's buttons (enter presses one)",
        "id": "Pindah antar tombol dialog (enter menekan)",
    },
    "dash.tip.close_help": {"en": "Close this help", "id": "Tutup bantuan ini"},
    "dash.tip.sort": {
        "en": "Sort by {column}; again to reverse",
        "id": "Urutkan menurut {column}; sekali lagi untuk membalik",
    },
    "dash.help.everywhere": {"en": "Everywhere", "id": "Di mana saja"},
    "dash.help.dashboard": {"en": "Dashboard", "id": "Dasbor"},
    "dash.help.dialog": {"en": "Dialogs", "id": "Dialog"},
    "dash.help.detail": {"en": "Job detail", "id": "Detail job"},
    "dash.help.history": {"en": "History", "id": "Riwayat"},
    "dash.help.this": {"en": "This help", "id": "Bantuan ini"},
    "dash.help.scroll": {"en": "↑↓ pgup pgdn scroll", "id": "↑↓ pgup pgdn menggulir"},
    "dash.detail.queued": {"en": "queued", "id": "antre"},
    "dash.detail.started": {"en": "started", "id": "mulai"},
    "dash.detail.finished": {"en": "finished", "id": "selesai"},
    "dash.detail.trace": {"en": "Stack trace", "id": "Jejak tumpukan"},
    "dash.result.rows": {"en": "{n} rows", "id": "{n} baris"},
    "dash.result.written": {"en": "{n} written", "id": "{n} ditulis"},
    "dash.result.removed": {"en": "{n} removed", "id": "{n} dihapus"},
    "dash.result.unchanged": {"en": "{n} unchanged", "id": "{n} tetap"},
    "dash.result.duplicates": {"en": "{n} duplicates", "id": "{n} duplikat"},
    "dash.result.rejected": {"en": "{n} rejected", "id": "{n} ditolak"},
    "dash.result.pages": {"en": "{n} pages", "id": "{n} halaman"},
    "dash.col.rows": {"en": "Rows", "id": "Baris"},
    "dash.col.rate": {"en": "Rate", "id": "Laju"},
    "dash.col.eta": {"en": "ETA", "id": "Sisa"},
    "dash.col.data": {"en": "Data age", "id": "Umur data"},
    "dash.col.note": {"en": "Last / next", "id": "Terakhir / berikut"},
    "dash.workers.title": {"en": "Workers", "id": "Worker"},
    "dash.workers.none": {
        "en": "No live worker. Start one: huey_consumer huey_config.huey -k process -w 2",
        "id": "Tidak ada worker hidup. Jalankan: huey_consumer huey_config.huey -k process -w 2",
    },
    "dash.workers.idle": {"en": "idle", "id": "menganggur"},
    "dash.workers.running": {"en": "{jobId} ({span})", "id": "{jobId} ({span})"},
    "dash.workers.col.host": {"en": "Host", "id": "Host"},
    "dash.workers.col.pid": {"en": "PID", "id": "PID"},
    "dash.workers.col.kind": {"en": "Kind", "id": "Jenis"},
    "dash.workers.col.job": {"en": "Current job", "id": "Job saat ini"},
    "dash.workers.col.since": {"en": "Since", "id": "Sejak"},
    "dash.workers.col.seen": {"en": "Last seen", "id": "Terakhir terlihat"},
    "dash.history.title": {"en": "History: {scope}", "id": "Riwayat: {scope}"},
    "dash.history.all": {"en": "all types", "id": "semua tipe"},
    "dash.history.empty": {
        "en": "No finished run recorded yet.",
        "id": "Belum ada jalan yang tercatat.",
    },
    "dash.history.spark_rows": {
        "en": "{type} rows, {n} runs: {last}",
        "id": "baris {type}, {n} jalan: {last}",
    },
    "dash.history.spark_duration": {
        "en": "{type} duration, {n} runs: {last}",
        "id": "durasi {type}, {n} jalan: {last}",
    },
    "dash.history.col.when": {"en": "When", "id": "Kapan"},
    "dash.history.col.type": {"en": "Type", "id": "Tipe"},
    "dash.history.col.trigger": {"en": "Trigger", "id": "Pemicu"},
    "dash.history.col.who": {"en": "Who", "id": "Siapa"},
    "dash.history.col.state": {"en": "State", "id": "Status"},
    "dash.history.col.took": {"en": "Took", "id": "Lama"},
    "dash.history.col.rows": {"en": "Rows", "id": "Baris"},
    "dash.history.col.changes": {"en": "Changed", "id": "Berubah"},
    "dash.history.col.error": {"en": "Error", "id": "Galat"},
    "dash.trigger.dashboard": {"en": "dashboard", "id": "dasbor"},
    "dash.trigger.cli": {"en": "cli", "id": "cli"},
    "dash.trigger.api": {"en": "api", "id": "api"},
    "dash.trigger.schedule": {"en": "schedule", "id": "jadwal"},
    "dash.cleanup.confirm": {
        "en": "Remove every job of every type and cancel the running ones? [y/N] ",
        "id": "Hapus semua job semua tipe dan batalkan yang berjalan? [y/N] ",
    },
    "dash.cleanup.refused": {
        "en": "cleanup of every type needs --yes when there is no terminal to ask on",
        "id": "membersihkan semua tipe butuh --yes bila tidak ada terminal untuk bertanya",
    },
    "dash.cleanup.kept": {"en": "Nothing removed.", "id": "Tidak ada yang dihapus."},
    # -- api --
    "api.cleanup.bad_states": {
        "en": "Unknown or no job state(s) {states}; name one or more of: {valid}.",
        "id": "Status job {states} tidak dikenal atau kosong; sebutkan satu atau lebih dari: "
        "{valid}.",
    },
    "api.param.invalid": {
        "en": "{name} is not valid: {reason}.",
        "id": "{name} tidak valid: {reason}.",
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
    # -- sink and job log --
    "sink.url_unsupported": {
        "en": "unsupported database URL {url!r}; use sqlite:///path/to/file.db "
        "or postgresql://user:password@host/dbname",
        "id": "URL basis data {url!r} tidak didukung; gunakan sqlite:///path/ke/berkas.db "
        "atau postgresql://user:password@host/dbname",
    },
    "sink.sqlite_url_bad": {
        "en": "{url!r} is not a SQLite URL; use sqlite:///path/to/proxytui.db",
        "id": "{url!r} bukan URL SQLite; gunakan sqlite:///path/ke/proxytui.db",
    },
    "sink.sqlite_url_no_file": {
        "en": "the SQLite URL names no file; use sqlite:///path/to/proxytui.db",
        "id": "URL SQLite tidak menyebut berkas; gunakan sqlite:///path/ke/proxytui.db",
    },
    "sink.sqlite_no_directory": {
        "en": "cannot create {directory} for the database: {reason}; "
        "set PROXYTUI_DATABASE_URL to a writable location",
        "id": "{directory} untuk basis data tidak dapat dibuat: {reason}; "
        "arahkan PROXYTUI_DATABASE_URL ke lokasi yang dapat ditulisi",
    },
    "sink.sqlite_cannot_open": {
        "en": "cannot open {path}: {reason}; check the path in PROXYTUI_DATABASE_URL "
        "and its permissions",
        "id": "{path} tidak dapat dibuka: {reason}; periksa path di PROXYTUI_DATABASE_URL "
        "dan izinnya",
    },
    "sink.pg_driver_missing": {
        "en": "PROXYTUI_DATABASE_URL points at PostgreSQL but psycopg is not installed; "
        "run: pip install 'proxytui[postgres]'",
        "id": "PROXYTUI_DATABASE_URL menunjuk ke PostgreSQL tetapi psycopg belum terpasang; "
        "jalankan: pip install 'proxytui[postgres]'",
    },
    "sink.pg_cannot_connect": {
        "en": "cannot connect to {database}: {reason}; check PROXYTUI_DATABASE_URL "
        "and that the server is up",
        "id": "tidak dapat terhubung ke {database}: {reason}; periksa PROXYTUI_DATABASE_URL "
        "dan pastikan servernya berjalan",
    },
    "sink.pg_no_row": {
        "en": "PostgreSQL answered a one-row query with no row; check the server's log "
        "and run the sync again",
        "id": "PostgreSQL menjawab kueri satu baris tanpa baris; periksa log server "
        "dan jalankan sinkronisasi lagi",
    },
    "sink.record_run_failed": {
        "en": "cannot record the run {jobId} in {database}: {reason}; check that the "
        "database is up and accepts writes",
        "id": "run {jobId} tidak dapat dicatat di {database}: {reason}; pastikan basis "
        "data berjalan dan dapat ditulisi",
    },
    "sink.ids_still_repeat": {
        "en": "{table}: cannot give rows unique ids, {ids} still repeat after derivation; "
        "nothing was published. Report this with the job id: derived ids should never "
        "repeat",
        "id": "{table}: baris tidak dapat diberi id unik, {ids} masih berulang setelah "
        "penurunan; tidak ada yang diterbitkan. Laporkan ini dengan id job-nya: id "
        "turunan semestinya tidak pernah berulang",
    },
    "sink.fence_lost": {
        "en": "{table}: this run no longer owns its job; publish rolled back, the live rows "
        "are unchanged",
        "id": "{table}: proses ini tidak lagi memiliki job-nya; penerbitan dibatalkan, "
        "baris live tidak berubah",
    },
    "sink.staging_closed": {
        "en": "staging table {name} was already published or discarded; nothing more can "
        "be written to it, run the sync again",
        "id": "tabel staging {name} sudah diterbitkan atau dibuang; tidak ada lagi yang "
        "dapat ditulis ke sana, jalankan sinkronisasi lagi",
    },
    "sink.columns_missing": {
        "en": "table {table} exists but lacks columns {columns}; add them (ALTER TABLE ... "
        "ADD COLUMN) or drop the table so it is recreated",
        "id": "tabel {table} ada tetapi tidak memiliki kolom {columns}; tambahkan (ALTER "
        "TABLE ... ADD COLUMN) atau hapus tabelnya agar dibuat ulang",
    },
    "sink.reader.driver_missing": {
        "en": "psycopg is not installed (pip install 'proxytui[postgres]')",
        "id": "psycopg belum terpasang (pip install 'proxytui[postgres]')",
    },
    "sink.reader.url_unsupported": {
        "en": "unsupported database URL; use sqlite:///path or postgresql://...",
        "id": "URL basis data tidak didukung; gunakan sqlite:///path atau postgresql://...",
    },
    "siasn.reason.not_json": {
        "en": "body is not JSON ({contentType}): {snippet}",
        "id": "isi jawaban bukan JSON ({contentType}): {snippet}",
    },
    "siasn.reason.no_rows": {
        "en": "no list of objects under {key!r}",
        "id": "tidak ada daftar objek di bawah {key!r}",
    },
    "job.log.queued": {
        "en": "Queued by {who}",
        "id": "Diantrekan oleh {who}",
    },
    "job.log.queued_forced": {
        "en": "Queued by {who} (forced)",
        "id": "Diantrekan oleh {who} (dipaksa)",
    },
    # -- row rejections --
    "reject.nul": {
        "en": "contains a NUL character",
        "id": "berisi karakter NUL",
    },
    "reject.surrogate": {
        "en": "is not valid Unicode (a lone surrogate)",
        "id": "bukan Unicode yang sah (surrogate tunggal)",
    },
    "reject.not_finite": {
        "en": "{value} is not a finite number",
        "id": "{value} bukan bilangan berhingga",
    },
    "reject.not_whole": {
        "en": "{value} is not a whole number",
        "id": "{value} bukan bilangan bulat",
    },
    "reject.not_integer": {
        "en": "{value} is not an integer",
        "id": "{value} bukan bilangan bulat (integer)",
    },
    "reject.integer_range": {
        "en": "{value} is out of range for an integer column",
        "id": "{value} di luar jangkauan kolom integer",
    },
    "reject.not_boolean": {
        "en": "{value} is not a boolean",
        "id": "{value} bukan nilai boolean",
    },
    "reject.json_nul": {
        "en": "contains a NUL character, which jsonb cannot hold",
        "id": "berisi karakter NUL, yang tidak dapat disimpan jsonb",
    },
    "reject.not_json": {
        "en": "cannot be stored as JSON ({error})",
        "id": "tidak dapat disimpan sebagai JSON ({error})",
    },
    "reject.not_date": {
        "en": "{value} is not a date",
        "id": "{value} bukan tanggal",
    },
    "reject.invalid_date": {
        "en": "{value} is not a valid date",
        "id": "{value} bukan tanggal yang sah",
    },
    "reject.offset_range": {
        "en": "{value} has a time zone offset out of range",
        "id": "{value} memiliki selisih zona waktu di luar jangkauan",
    },
    "reject.column": {
        "en": "column {column}: {reason}",
        "id": "kolom {column}: {reason}",
    },
    "reject.row_type": {
        "en": "row is a {kind}, not an object",
        "id": "baris berupa {kind}, bukan objek",
    },
    "reject.not_object": {
        "en": "row is not an object",
        "id": "baris bukan objek",
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
