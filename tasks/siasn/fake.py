"""A faithful local SIASN: the five endpoints, their paging and their quirks, over real HTTP.

SIASN cannot be reached from development or CI, so tests and the demo talk to this
server through the real client. It serves the data of `fake_data.Dataset` with the
upstream's unstable paging (`Quirks`, fixed for the server's life) and, on top, the
transport faults a test injects at any moment (`Faults`, or `FakeSiasn.script` for
"the next n requests fail like this"). Everything is deterministic for a seed: a fault
is decided by (type, offset, limit, how many times that page was asked), never by timing,
so a concurrent client sees the same upstream as a sequential one.

Run it alone with ``proxytui fake-siasn`` (or ``python -m tasks.siasn.fake``).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import logging
import socket
import sys
import threading
from collections import OrderedDict, deque
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tasks import argtypes
from tasks.catalog import AGENCY_ID, CATALOG, ProxyType
from tasks.siasn.fake_data import (
    DEFAULT_ROWS,
    TOTAL_MODES,
    Dataset,
    Quirks,
    build_datasets,
    content_key,
    mix64,
    salt_of,
    unit,
)

__all__ = ["FAULT_KINDS", "FakeSiasn", "Faults", "Quirks", "RequestRecord", "main"]

log = logging.getLogger(__name__)

FAULT_KINDS = ("500", "502", "503", "504", "429", "timeout", "drop", "garbage", "401", "403")
TRANSIENT_KINDS = ("500", "502", "503", "429", "timeout", "drop", "garbage")


@dataclass
class Faults:
    """Transport misbehaviour; a test may change any field while the server runs."""

    latency_ms: float = 0.0  # added to every request
    slow_page_rate: float = 0.0  # pages (by offset) that take slow_page_ms longer
    slow_page_ms: float = 0.0
    fault_rate: float = 0.0  # chance that one request fails with one of fault_kinds
    fault_kinds: tuple[str, ...] = TRANSIENT_KINDS
    retry_after: float = 1.0  # seconds sent with a 429 (whole seconds print as "1")
    hang_seconds: float = 5.0  # a "timeout" holds the request this long, then drops it
    fail_from_page: int | None = None  # page k and later fail with fail_kind, every time
    fail_kind: str = "503"
    reject_token: bool = False  # 401 for every request, as when the token expired
    types: frozenset[str] | None = None  # limit the faults above to these types

    def applies_to(self, proxy_type: str) -> bool:
        return self.types is None or proxy_type in self.types


@dataclass
class _Script:
    kind: str
    times: int
    proxy_type: str | None
    offset: int | None


@dataclass(frozen=True)
class RequestRecord:
    """One request as the fake saw it (tests count retries and check what was sent)."""

    proxy_type: str | None
    method: str
    path: str
    offset: int | None
    limit: int | None
    status: int  # 0 when the connection was dropped or hung up
    fault: str | None
    rows: int
    query: dict[str, str] = field(default_factory=dict, compare=False)
    body: dict[str, Any] | None = field(default=None, compare=False)
    seq: int = 0  # arrival order (a hung request is logged only when it ends)


class _Dropped(Exception):
    """Close the connection without an answer."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], fake: FakeSiasn) -> None:
        self.fake = fake
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        self.accepted = 0  # connections ever opened (keep-alive keeps this low)
        super().__init__(address, _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = super().get_request()
        with self.connections_lock:
            self.connections.add(sock)
            self.accepted += 1
        return sock, addr

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-request is normal here (timeouts, closed pools).
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):
            log.debug("connection from %s ended: %s", client_address, exc)
        else:
            log.exception("fake SIASN failed on a request from %s", client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so the client's connection reuse is real
    server_version = "FakeSIASN/1.0"
    timeout = 60  # idle keep-alive connections end on their own
    server: _Server
    reply: tuple[int, bytes, str, dict[str, str]] | None = None

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        self.server.fake._handle(self, "GET")

    def do_POST(self) -> None:  # noqa: N802
        self.server.fake._handle(self, "POST")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        log.debug("%s " + format, self.address_string(), *args)


_PG_PATH = CATALOG["pg_akademik"].endpoint.path
_ROUTES: dict[str, tuple[ProxyType, ...]] = {}
for _proxy in CATALOG.values():
    _ROUTES.setdefault(_proxy.endpoint.path, ())
    _ROUTES[_proxy.endpoint.path] += (_proxy,)


class FakeSiasn:
    """The fake upstream; `start()` binds and serves from a background thread.

    Use it as a context manager in tests. `truth(type)` is the list of distinct records a
    correct sync must end with (id may be null, and twins share an id).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str = "fake-token",
        seed: int = 0,
        rows: int | dict[str, int] | None = None,
        quirks: Quirks | None = None,
        faults: Faults | None = None,
        page_cache: int = 32,
    ) -> None:
        self.host = host
        self.port = port
        self.token = token
        self.seed = seed
        self.quirks = quirks if quirks is not None else Quirks()
        if self.quirks.total not in TOTAL_MODES:
            raise ValueError(f"quirks.total must be one of {TOTAL_MODES}")
        self.faults = faults if faults is not None else Faults()
        self.datasets: dict[str, Dataset] = build_datasets(rows, seed, self.quirks)
        self.requests: deque[RequestRecord] = deque(maxlen=20_000)
        self._salt = salt_of("faults", seed)
        self._seq = itertools.count()
        self._lock = threading.Lock()
        self._asked: dict[tuple[str, int, int], int] = {}
        self._scripts: list[_Script] = []
        self._pages: OrderedDict[tuple[str, int, int], tuple[bytes, int]] = OrderedDict()
        self._page_cache = page_cache
        self._stopping = threading.Event()
        self.in_flight = 0  # requests being answered right now...
        self.max_in_flight = 0  # ...and the most at once (tests check a client's bound)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # Life cycle ------------------------------------------------------------------------------

    def bind(self) -> FakeSiasn:
        """Open the listening socket (port 0 picks a free one); OSError if it is taken."""
        if self._server is None:
            self._server = _Server((self.host, self.port), self)
            self.port = self._server.server_address[1]
        return self

    def start(self) -> FakeSiasn:
        """Bind and serve from a daemon thread; returns at once."""
        server = self.bind()._server
        assert server is not None
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"fake-siasn:{self.port}",
            daemon=True,
        )
        self._thread.start()
        log.info("fake SIASN listening on %s", self.base_url)
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (the CLI)."""
        server = self.bind()._server
        assert server is not None
        try:
            server.serve_forever(poll_interval=0.2)
        finally:
            self._close()

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _close(self) -> None:
        assert self._server is not None
        self._stopping.set()
        self._server.server_close()
        with self._server.connections_lock:
            conns = list(self._server.connections)
        for sock in conns:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> FakeSiasn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # What tests look at ---------------------------------------------------------------------------

    def dataset(self, proxy_type: str) -> Dataset:
        return self.datasets[proxy_type]

    def truth(self, proxy_type: str) -> list[dict]:
        """Every distinct record of the type once: what a correct sync must end with."""
        return self.datasets[proxy_type].records

    def truth_keys(self, proxy_type: str) -> set[str]:
        """The truth as a set of `content_key` texts (compare a sync's rows against it)."""
        return {content_key(r) for r in self.truth(proxy_type)}

    def script(
        self,
        kind: str,
        times: int = 1,
        *,
        proxy_type: str | None = None,
        offset: int | None = None,
    ) -> None:
        """Make the next `times` matching requests fail with `kind` (see FAULT_KINDS)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; use one of {FAULT_KINDS}")
        with self._lock:
            self._scripts.append(_Script(kind, times, proxy_type, offset))

    @property
    def connections_accepted(self) -> int:
        return self._server.accepted if self._server is not None else 0

    def requests_for(self, proxy_type: str) -> list[RequestRecord]:
        """The requests of one type that have ended, in arrival order."""
        return sorted(
            (r for r in list(self.requests) if r.proxy_type == proxy_type), key=lambda r: r.seq
        )

    # Serving ------------------------------------------------------------------------------------

    def _handle(self, req: _Handler, method: str) -> None:
        url = urlsplit(req.path)
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        length = int(req.headers.get("Content-Length") or 0)
        raw_body = req.rfile.read(length) if length else b""
        record: dict[str, Any] = dict(
            seq=next(self._seq),
            proxy_type=None,
            method=method,
            path=url.path,
            offset=None,
            limit=None,
            query=query,
            body=None,
        )
        req.reply = None
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            status, rows, fault = self._respond(req, method, url.path, query, raw_body, record)
        except _Dropped as drop:
            req.close_connection = True
            status, rows, fault = 0, 0, str(drop)
        finally:
            with self._lock:
                self.in_flight -= 1
        self.requests.append(RequestRecord(status=status, rows=rows, fault=fault, **record))
        if req.reply is not None:
            try:
                _write(req)
            except (BrokenPipeError, ConnectionResetError):
                req.close_connection = True  # the client gave up (its timeout)

    def _respond(
        self,
        req: _Handler,
        method: str,
        path: str,
        query: dict[str, str],
        raw_body: bytes,
        record: dict[str, Any],
    ) -> tuple[int, int, str | None]:
        if path == "/health":
            return _send_json(req, 200, {"status": "ok"}), 0, None
        candidates = _ROUTES.get(path)
        if not candidates:
            return _send_json(req, 404, {"message": f"no route {path}"}), 0, None
        proxy = candidates[0]
        if len(candidates) > 1:  # the pg path serves two types, told apart by detail_layanan
            wanted = query.get("detail_layanan", "")
            proxy = next(
                (p for p in candidates if dict(p.endpoint.params)["detail_layanan"] == wanted),
                proxy,
            )
        spec = proxy.endpoint
        record["proxy_type"] = proxy.name
        if method != spec.method:
            return _send_json(req, 405, {"message": f"use {spec.method}"}), 0, None

        faults = self.faults
        if faults.latency_ms:
            self._stopping.wait(faults.latency_ms / 1000)

        rejected = faults.reject_token and faults.applies_to(proxy.name)
        if rejected or req.headers.get("Authorization") != f"Bearer {self.token}":
            return _send_json(req, 401, {"message": "Unauthorized", "code": 401}), 0, "401"

        missing = [k for k, _ in spec.params if k not in query]
        if missing:
            msg = f"missing query keys: {', '.join(missing)}"
            return _send_json(req, 400, {"message": msg}), 0, None
        try:
            offset, limit = int(query["offset"]), int(query["limit"])
            if offset < 0 or limit < 1:
                raise ValueError
        except ValueError:
            return _send_json(req, 400, {"message": "limit and offset must be integers"}), 0, None
        record["offset"], record["limit"] = offset, limit
        if spec.body_params:
            error = _check_body(raw_body, spec.params, query)
            if error:
                return _send_json(req, 400, {"message": error}), 0, None
            record["body"] = json.loads(raw_body)

        fault = self._pick_fault(proxy, offset, limit)
        if fault:
            return self._fail(req, fault), 0, fault
        if (
            faults.slow_page_rate
            and unit(mix64(self._salt ^ offset ^ 0x51)) < faults.slow_page_rate
        ):
            self._stopping.wait(faults.slow_page_ms / 1000)

        agency_key = "instansi_kerja_id" if spec.paging == "page_index" else "instansi_induk_id"
        if agency_key in query and query[agency_key] != AGENCY_ID:
            body, rows = self._empty_body(proxy), 0
        else:
            body, rows = self._page(proxy, offset, limit)
        return _send(req, 200, body, "application/json"), rows, None

    def _pick_fault(self, proxy: ProxyType, offset: int, limit: int) -> str | None:
        faults = self.faults
        key = (proxy.name, offset, limit)
        with self._lock:
            asked = self._asked[key] = self._asked.get(key, 0) + 1
            for script in self._scripts:
                if (
                    script.times > 0
                    and script.proxy_type in (None, proxy.name)
                    and (script.offset in (None, offset))
                ):
                    script.times -= 1
                    self._scripts = [s for s in self._scripts if s.times > 0]
                    return script.kind
        if not faults.applies_to(proxy.name):
            return None
        if faults.fail_from_page is not None:
            spec = proxy.endpoint
            first = faults.fail_from_page * (1 if spec.paging == "page_index" else spec.page_size)
            if offset >= first:
                return faults.fail_kind
        if faults.fault_rate and faults.fault_kinds:
            h = mix64(self._salt ^ salt_of(proxy.name, offset, limit, asked))
            if unit(h) < faults.fault_rate:
                return faults.fault_kinds[(h >> 40) % len(faults.fault_kinds)]
        return None

    def _fail(self, req: _Handler, kind: str) -> int:
        if kind == "timeout":
            self._stopping.wait(self.faults.hang_seconds)
            raise _Dropped("timeout")
        if kind == "drop":
            raise _Dropped("drop")
        if kind == "garbage":
            html = b"<html><body><h1>Sedang dalam pemeliharaan</h1></body></html>"
            return _send(req, 200, html, "text/html")
        status = int(kind)
        headers = {}
        if status == 429:
            after = self.faults.retry_after
            headers["Retry-After"] = str(int(after)) if after == int(after) else f"{after:g}"
        if status in (502, 504):
            html = f"<html><body><h1>{status} Gateway Error</h1>nginx</body></html>".encode()
            return _send(req, status, html, "text/html", headers)
        return _send_json(req, status, {"message": "upstream error", "code": status}, headers)

    def _page(self, proxy: ProxyType, offset: int, limit: int) -> tuple[bytes, int]:
        key = (proxy.name, offset, limit)
        with self._lock:
            cached = self._pages.get(key)
            if cached is not None:
                self._pages.move_to_end(key)
                return cached
        ds = self.datasets[proxy.name]
        start, end = self._window(proxy, ds, offset, limit)
        rows = ds.rows_json(start, end)
        spec = proxy.endpoint
        head = '{"' + spec.rows_key + '":['
        tail = "]"
        if spec.total_key:
            meta = self._meta(ds, offset, limit)
            if meta is not None:
                tail += ',"meta":' + json.dumps(meta)
        body = (head + ",".join(rows) + tail + "}").encode("utf-8")
        with self._lock:
            self._pages[key] = (body, len(rows))
            while len(self._pages) > self._page_cache:
                self._pages.popitem(last=False)
        return body, len(rows)

    def _window(self, proxy: ProxyType, ds: Dataset, offset: int, limit: int) -> tuple[int, int]:
        """Which stream positions a request gets, with the paging quirks applied."""
        q = self.quirks
        size = min(limit, q.limit_cap) if q.limit_cap else limit
        h = mix64(self._salt ^ salt_of(proxy.name, "page", offset))
        shift = 1 + (h >> 50) % 2
        if proxy.endpoint.paging == "page_index":
            start = 0 if q.ignore_offset else offset * size
            end = start + size
            # An overlapping page repeats the last rows of the page before it (extra rows).
            if start and start < len(ds) and unit(h) < q.overlap_rate:
                start -= shift
            return start, end
        start = 0 if q.ignore_offset else offset
        # A page that starts early keeps its length: it simply begins a row or two back.
        if 0 < start < len(ds) and unit(h) < q.early_start_rate:
            start -= min(shift, start, size - 1)
        return start, start + size

    def _meta(self, ds: Dataset, offset: int, limit: int) -> dict | None:
        mode = self.quirks.total
        h = mix64(self._salt ^ salt_of("total", offset, limit))
        if mode == "flaky":
            mode = ("exact", "stale", "stale", "high", "missing", "null", "string")[h % 7]
        n = ds.n
        if mode == "missing":
            return None
        if mode == "null":
            return {"total": None, "limit": limit, "offset": offset}
        if mode == "stale":
            return {"total": max(0, n - n // 40 - 3), "limit": limit, "offset": offset}
        if mode == "high":
            return {"total": n + n // 40 + 5, "limit": limit, "offset": offset}
        if mode == "string":
            return {"total": str(n), "limit": limit, "offset": offset}
        return {"total": n, "limit": limit, "offset": offset}

    def _empty_body(self, proxy: ProxyType) -> bytes:
        spec = proxy.endpoint
        body: dict[str, Any] = {spec.rows_key: []}
        if spec.total_key:
            body["meta"] = {"total": 0}
        return json.dumps(body).encode()


def _check_body(raw: bytes, params: tuple[tuple[str, str], ...], query: dict[str, str]) -> str:
    """pensiun wants its keys in the JSON body too; say what is wrong, or ''."""
    try:
        body = json.loads(raw or b"null")
    except ValueError:
        return "body is not JSON"
    if not isinstance(body, dict):
        return "body must be a JSON object with the filter keys"
    missing = [k for k, _ in params if k not in body]
    if missing:
        return f"body lacks keys: {', '.join(missing)}"
    for key in ("limit", "offset"):
        if str(body[key]) != query[key]:
            return f"body {key}={body[key]!r} differs from query {key}={query[key]!r}"
    return ""


def _send(
    req: _Handler, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None
) -> int:
    """Queue the reply; `_handle` logs the request first, then writes it.

    Logging before writing means a test that has its answer also sees its log entry.
    """
    req.reply = (status, body, ctype, headers or {})
    return status


def _write(req: _Handler) -> None:
    assert req.reply is not None, "_write follows _reply"
    status, body, ctype, headers = req.reply
    req.send_response(status)
    req.send_header("Content-Type", ctype)
    req.send_header("Content-Length", str(len(body)))
    for name, value in headers.items():
        req.send_header(name, value)
    req.end_headers()
    req.wfile.write(body)


def _send_json(
    req: _Handler, status: int, payload: dict, headers: dict[str, str] | None = None
) -> int:
    return _send(req, status, json.dumps(payload).encode(), "application/json", headers)


# --- the CLI ---------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="proxytui fake-siasn",
        description="Serve a local SIASN (all five endpoints, quirks included) for demos "
        "and tests. Point SIASN_BASE_URL at it and set SIASN_TOKEN to --token.",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=argtypes.port, default=8089)
    p.add_argument(
        "--rows",
        type=argtypes.non_negative_int,
        default=None,
        help=f"distinct records per type (default: realistic, pangkat {DEFAULT_ROWS['pangkat']:,})",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--token", default="fake-token", help="the bearer token it accepts")
    p.add_argument(
        "--latency-ms", type=argtypes.non_negative_float, default=0.0, help="added to every request"
    )
    p.add_argument(
        "--fault-rate",
        type=argtypes.fraction,
        default=0.0,
        help="chance a request fails transiently (5xx, 429, timeout, drop, non-JSON)",
    )
    p.add_argument(
        "--retry-after",
        type=argtypes.non_negative_float,
        default=1.0,
        help="seconds sent with a 429",
    )
    p.add_argument(
        "--hang-seconds",
        type=argtypes.non_negative_float,
        default=75.0,
        help="how long a 'timeout' fault holds a request",
    )
    p.add_argument(
        "--fail-from-page",
        type=argtypes.non_negative_int,
        default=None,
        help="every request for page K or later fails (see --fail-kind)",
    )
    p.add_argument("--fail-kind", default="503", choices=FAULT_KINDS)
    p.add_argument("--reject-token", action="store_true", help="answer 401 to everything")
    p.add_argument(
        "--limit-cap",
        type=argtypes.positive_int,
        default=None,
        help="serve at most this many rows a page whatever limit is asked",
    )
    p.add_argument("--total", choices=TOTAL_MODES, default="flaky", help="meta.total behaviour")
    p.add_argument(
        "--ignore-offset",
        action="store_true",
        help="always serve the first page (an endpoint that loops)",
    )
    quirk = p.add_mutually_exclusive_group()
    quirk.add_argument(
        "--no-quirks",
        action="store_true",
        help="well-behaved paging and data: every record exactly once",
    )
    quirk.add_argument(
        "--dense-quirks",
        action="store_true",
        help="every quirk frequent (small datasets still show each)",
    )
    p.add_argument(
        "--log-level",
        type=str.upper,
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"],
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(name)s %(message)s")
    quirks = Quirks.none() if args.no_quirks else Quirks.dense() if args.dense_quirks else Quirks()
    quirks = replace(
        quirks,
        limit_cap=args.limit_cap,
        ignore_offset=args.ignore_offset,
        total=args.total if not args.no_quirks else "exact",
    )
    faults = Faults(
        latency_ms=args.latency_ms,
        fault_rate=args.fault_rate,
        retry_after=args.retry_after,
        hang_seconds=args.hang_seconds,
        fail_from_page=args.fail_from_page,
        fail_kind=args.fail_kind,
        reject_token=args.reject_token,
    )
    fake = FakeSiasn(
        host=args.host,
        port=args.port,
        token=args.token,
        seed=args.seed,
        rows=args.rows,
        quirks=quirks,
        faults=faults,
    )
    try:
        fake.bind()
    except OSError as exc:
        log.error("cannot listen on %s:%s: %s; pick another --port", args.host, args.port, exc)
        return 1
    counts = ", ".join(f"{t} {d.n:,}" for t, d in fake.datasets.items())
    print(
        f"fake SIASN on {fake.base_url} (token {args.token!r}; distinct rows: {counts}). "
        f"Use SIASN_BASE_URL={fake.base_url} SIASN_TOKEN={args.token}. Ctrl-C stops.",
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        fake.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
