"""The SIASN client: one page with retries (`SiasnClient`), and the page walk (`walk_pages`).

Two layers, as in httpx: `SiasnClient.fetch_page` is one logical request (every default
query key, the bearer token, explicit timeouts, per-request retries with backoff) and
knows nothing about paging; `walk_pages` owns the paging rules of UPSTREAM.md, which
exist because SIASN's offset paging is unstable:

* a row offset advances by the rows on the page past its leading run of rows seen
  before (the caller's `stage` says which rows were new, see `tasks.clean.Novelty`), so
  a page that starts early, repeats rows or is capped below the limit can never make the
  next request jump past unseen rows. UPSTREAM.md's rule ("advance by the rows not seen
  before") is the same bound on a page with no repeats; on a page that carries copies of
  earlier rows it would leave the frontier one row behind the stream per copy, for
  good, and on a large dataset the walk would end up re-reading nearly whole pages;
* a page-index offset advances by one;
* the walk ends on an empty page whatever `meta.total` says, and a page cap stops an
  endpoint that ignores the offset.

Every request goes through one pool of `concurrency` threads, so that many at most are
in flight. Prefetching (concurrency > 1) is speculative and never changes what is
staged: pages are staged strictly in frontier order, and a prefetched page is used only
when it starts at or just before the frontier and reaches past it. When the frontier
lands elsewhere (short or shifted page), it is requested on its own.
"""

from __future__ import annotations

import email.utils
import itertools
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

import httpx

from tasks.catalog import ProxyType, get_proxy_type
from tasks.clean import Novelty, parse_json
from tasks.settings import Settings, get_settings
from tasks.siasn.errors import BadResponse, PageLoop, TokenRejected, UpstreamUnavailable
from tasks.texts import text

log = logging.getLogger(__name__)

RETRY_AFTER_CAP = 60.0  # never wait longer than this on one 429
MAX_BACKOFF = 30.0
CONNECT_TIMEOUT = 10.0
# A page may start this many rows before the offset asked for (UPSTREAM.md: "a row or two").
EARLY_START_SLACK = 2
GRID_MARGIN = 2 * (EARLY_START_SLACK + 1)  # rows by which prefetch guesses overlap
PREFETCH_MISSES = 2  # consecutive prefetch misses before prefetching pauses...
PREFETCH_COOLDOWN = 8  # ...for this many pages (doubling while the guesses keep missing)
_SLICE = 0.25  # sleeps and waits are cut in slices so a cancelled job stops promptly


@dataclass(frozen=True)
class Page:
    """One answer: the rows as sent and the total the server claims (None if it gave none)."""

    offset: int
    rows: list[dict]
    expected_total: int | None
    limit: int = 0


@dataclass(frozen=True)
class PageEvent:
    """Progress after one staged page, for the run loop's report()."""

    offset: int  # the frontier the page was staged at (row offset or page index)
    page: int  # pages staged so far, this one included
    rows: int  # rows on this page
    new_rows: int  # of those, rows not seen before in this walk
    lead: int  # of those, rows seen before that lead the page (see tasks.clean.Novelty)
    total_rows: int  # new rows so far (the running total)
    expected_total: int | None  # the server's claimed total, when it sends one


@dataclass
class WalkStats:
    pages: int = 0
    rows_seen: int = 0  # every row staged, re-reads included
    rows_new: int = 0
    # Rows the walk asked for again on purpose (prefetched pages overlap a few rows so
    # that guesses keep hitting): seen rows, but not the upstream's duplicates.
    rows_reread: int = 0
    requests: int = 0
    retries: int = 0


class SiasnClient:
    """One `httpx.Client` (keep-alive) for one proxy type; thread-safe for prefetching.

    `check` is called before every request and during every wait; the run loop passes
    its `run.check` so that a cancelled job stops at once. `timeout` overrides the
    catalog's per-request timeout (tests use a fraction of a second).
    """

    def __init__(
        self,
        proxy: ProxyType | str,
        *,
        base_url: str,
        token: str,
        settings: Settings | None = None,
        check: Callable[[], None] | None = None,
        timeout: float | None = None,
        retries: int | None = None,
        backoff: float | None = None,
        retry_after_cap: float = RETRY_AFTER_CAP,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.proxy = get_proxy_type(proxy) if isinstance(proxy, str) else proxy
        self.settings = settings or get_settings()
        self.check = check
        self.timeout = timeout if timeout is not None else self.proxy.endpoint.timeout
        self.max_retries = self.settings.request_retries if retries is None else retries
        self.backoff = self.settings.request_backoff if backoff is None else backoff
        self.retry_after_cap = retry_after_cap
        self.requests = 0
        self.retries = 0
        self.delays: deque[float] = deque(maxlen=1000)  # every retry wait, newest last
        self._counter_lock = threading.Lock()
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
                "User-Agent": "proxytui",
            },
            timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, CONNECT_TIMEOUT)),
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=32),
            transport=transport,
        )

    # Life cycle ------------------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SiasnClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def path(self) -> str:
        return self.proxy.endpoint.path

    def _check(self) -> None:
        if self.check is not None:
            self.check()

    def _count(self, *, retry: bool) -> None:
        with self._counter_lock:
            if retry:
                self.retries += 1
            else:
                self.requests += 1

    # One page -------------------------------------------------------------------------------------

    def request_args(self, offset: int, limit: int) -> dict[str, Any]:
        """The query (every default key, empty ones as ``key=``) and, for pensiun, the body."""
        spec = self.proxy.endpoint
        values = dict(spec.params)
        values["limit"], values["offset"] = str(limit), str(offset)
        args: dict[str, Any] = {"params": list(values.items())}
        if spec.body_params:
            body: dict[str, Any] = dict(values)
            body["limit"], body["offset"] = limit, offset
            args["json"] = body
        return args

    def fetch_page(self, offset: int, limit: int | None = None) -> Page:
        """GET/POST one page, retrying transient failures; raises a SiasnError otherwise."""
        return self._fetch(offset, limit, None)

    def _fetch(self, offset: int, limit: int | None, abort: threading.Event | None) -> Page:
        """fetch_page; a prefetch passes `abort` so that an abandoned page stops retrying."""
        spec = self.proxy.endpoint
        limit = limit or spec.page_size
        args = self.request_args(offset, limit)
        attempts = self.max_retries + 1
        last_error = "no attempt made"
        for attempt in range(attempts):
            if abort is not None and abort.is_set():
                raise _Abandoned(offset)
            self._check()
            self._count(retry=attempt > 0)
            retry_after: float | None = None
            try:
                response, body = self._send(spec.method, spec.path, args)
            except httpx.TransportError as exc:  # connect, timeout, dropped connection
                last_error = f"{type(exc).__name__}: {exc or 'no detail'}"
            else:
                status = response.status_code
                if status in (401, 403):
                    raise TokenRejected(spec.path, status)
                if status == 429:
                    last_error = "HTTP 429 Too Many Requests"
                    retry_after = _retry_after(response.headers.get("Retry-After"))
                elif status >= 500:
                    last_error = f"HTTP {status} {response.reason_phrase}".rstrip()
                elif status >= 400:
                    raise BadResponse(spec.path, offset, f"HTTP {status}: {_snippet(body)}", status)
                else:
                    try:
                        return self._parse(body, response.headers, offset, limit)
                    except BadResponse as exc:
                        last_error = exc.reason
            if abort is not None and abort.is_set():
                raise _Abandoned(offset)  # the walk is over; no retry, no warning
            if attempt + 1 == attempts:
                break
            delay = self._delay(attempt, retry_after)
            log.warning(
                "SIASN %s offset %s: %s; retry %d/%d in %.2fs",
                spec.path,
                offset,
                last_error,
                attempt + 1,
                self.max_retries,
                delay,
            )
            self.delays.append(delay)
            self._pause(delay)
        raise UpstreamUnavailable(spec.path, offset, attempts, last_error)

    def _send(self, method: str, path: str, args: dict[str, Any]) -> tuple[httpx.Response, bytes]:
        """One request, its body read into bytes of our own.

        Not ``response.content``: an httpx Response and its stream refer to each other,
        so a response is freed only by the cycle collector, and with it the body it
        caches (about 2 MB for a page of pangkat). Pages in flight between collections
        then added up to hundreds of MB; a body held here goes with its page.
        """
        with self._http.stream(method, path, **args) as response:
            return response, b"".join(response.iter_bytes())

    def _parse(self, body: bytes, headers: httpx.Headers, offset: int, limit: int) -> Page:
        spec = self.proxy.endpoint
        try:
            payload = parse_json(body)
        except ValueError:
            ctype = headers.get("Content-Type", "?")
            reason = text("siasn.reason.not_json", contentType=ctype, snippet=_snippet(body))
            raise BadResponse(spec.path, offset, reason) from None
        rows = payload.get(spec.rows_key) if isinstance(payload, dict) else None
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise BadResponse(spec.path, offset, text("siasn.reason.no_rows", key=spec.rows_key))
        return Page(offset, rows, _total(payload, spec.total_key), limit)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.retry_after_cap)
        base = min(self.backoff * (2**attempt), MAX_BACKOFF)
        return base + random.uniform(0, base / 4)  # jitter: concurrent retries spread out

    def _pause(self, seconds: float) -> None:
        """Sleep, checking for cancellation every slice."""
        deadline = time.monotonic() + seconds
        while True:
            self._check()
            left = deadline - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, _SLICE))


class _Abandoned(Exception):
    """A prefetched page nobody will read any more; its result is never looked at."""


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: a number, or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _total(payload: dict, key: str | None) -> int | None:
    """The dotted total key ("meta.total") as an int, or None when absent or not a number."""
    if not key:
        return None
    value: Any = payload
    for part in key.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _snippet(body: bytes, size: int = 120) -> str:
    head = body[:size].decode("utf-8", "replace").replace("\n", " ")
    return repr(head + ("..." if len(body) > size else ""))


# --- the walk -----------------------------------------------------------------------------------


class _Prefetcher:
    """Pages requested ahead of the frontier, by offset; at most `slots` in flight.

    `slots` is the walk's whole concurrency: while the guesses hit, the walker only
    waits for pages from here, so all of them are on the wire at once.
    """

    def __init__(self, client: SiasnClient, slots: int, limit: int) -> None:
        self.client = client
        self.slots = slots
        self.limit = limit
        self.pending: dict[int, Future[Page]] = {}
        self._closed = threading.Event()
        self._pool = ThreadPoolExecutor(self.slots, thread_name_prefix=f"siasn-{client.proxy.name}")

    def fill(self, offsets: Iterator[int]) -> None:
        """Request the next offsets from `offsets` while slots are free."""
        for offset in offsets:
            if len(self.pending) >= self.slots:
                return
            if offset not in self.pending:
                self.pending[offset] = self._submit(offset)

    def _submit(self, offset: int) -> Future[Page]:
        return self._pool.submit(self.client._fetch, offset, self.limit, self._closed)

    def fetch(self, offset: int) -> Page:
        """The page at `offset`, requested now unless it already is, waited for.

        It goes through the pool like every guess, so the pool's size bounds all of the
        walk's requests, those still running for guesses that missed included.
        """
        if offset not in self.pending:
            self.pending[offset] = self._submit(offset)
        page = self.take(offset)
        assert page is not None
        return page

    def take(self, offset: int) -> Page | None:
        """The prefetched page at exactly this offset, waiting for it if needed."""
        future = self.pending.pop(offset, None)
        if future is None:
            return None
        while True:
            self.client._check()
            try:
                return future.result(timeout=_SLICE)
            except FutureTimeout:
                continue

    def take_covering(self, frontier: int, reach: int) -> tuple[int, Page] | None:
        """The prefetched page that starts at or shortly before `frontier` and reaches
        past it, with its offset; pages that start earlier are dropped.

        Its rows before the frontier were seen already (everything below the frontier
        was), so only the rows past it count as new: using it is as safe as asking for
        the frontier itself, and it lets a grid of overlapping guesses hit although
        repeated and shifted rows keep moving the frontier off any exact offset.
        """
        self.drop_below(frontier - reach + 1)
        below = [o for o in self.pending if o <= frontier]
        if not below:
            return None
        offset = max(below)
        self.drop_below(offset)
        page = self.take(offset)
        if page is None or not (offset == frontier or offset + len(page.rows) > frontier):
            return None  # an empty page below the frontier proves nothing: ask again
        return offset, page

    def drop_below(self, offset: int) -> None:
        for o in [o for o in self.pending if o < offset]:
            future = self.pending.pop(o)
            future.cancel()
            # A rejected token on a page nobody reads still ends the attempt.
            if future.done() and not future.cancelled():
                error = future.exception()
                if isinstance(error, TokenRejected):
                    raise error

    def clear(self) -> None:
        for future in self.pending.values():
            future.cancel()
        self.pending.clear()

    def close(self) -> None:
        self._closed.set()
        self.clear()
        # Do not wait for requests in flight: a cancelled job must stop now.
        self._pool.shutdown(wait=False, cancel_futures=True)


def walk_pages(
    client: SiasnClient,
    stage: Callable[[list[dict]], Novelty],
    *,
    concurrency: int | None = None,
    page_cap: int | None = None,
    on_page: Callable[[PageEvent], None] | None = None,
    limit: int | None = None,
) -> WalkStats:
    """Page through the whole dataset, handing every page's rows to `stage` in order.

    `stage(rows)` must say which rows were not seen before in this walk (a `Novelty`);
    a row offset advances by the rows past the page's leading run of seen rows. Raises
    PageLoop past `page_cap` pages, and whatever `client.fetch_page`, `client.check` or
    `stage` raise.
    """
    settings = client.settings
    concurrency = max(1, concurrency or settings.concurrency_for(client.proxy.name))
    page_cap = page_cap or settings.page_cap
    limit = limit or client.proxy.endpoint.page_size
    walk = _PageIndexWalk if client.proxy.endpoint.paging == "page_index" else _RowOffsetWalk
    stats = WalkStats()
    requests0, retries0 = client.requests, client.retries
    prefetch = _Prefetcher(client, concurrency, limit)
    try:
        walk(client, stage, prefetch, stats, page_cap, on_page, limit).run()
    finally:
        prefetch.close()
        stats.requests = client.requests - requests0
        stats.retries = client.retries - retries0
    return stats


@dataclass
class _Walk:
    client: SiasnClient
    stage: Callable[[list[dict]], Novelty]
    prefetch: _Prefetcher
    stats: WalkStats
    page_cap: int
    on_page: Callable[[PageEvent], None] | None
    limit: int
    expected_total: int | None = None

    def run(self) -> None:
        raise NotImplementedError

    def guard(self, offset: int) -> None:
        self.client._check()
        if self.stats.pages >= self.page_cap:
            raise PageLoop(self.client.path, self.stats.pages, offset)

    def stage_page(self, page: Page, offset: int) -> Novelty:
        """Stage one page; returns what `stage` said of it, checked for sense."""
        novelty = self.stage(page.rows)
        new, lead = novelty
        if not (new >= 0 and lead >= 0 and new + lead <= len(page.rows)):
            raise ValueError(
                f"stage() returned {new} new rows after {lead} seen ones "
                f"for a page of {len(page.rows)}"
            )
        stats = self.stats
        stats.rows_new += new
        if page.expected_total is not None:
            self.expected_total = page.expected_total
        if self.on_page is not None:
            self.on_page(
                PageEvent(
                    offset,
                    stats.pages,
                    len(page.rows),
                    new,
                    lead,
                    stats.rows_new,
                    self.expected_total,
                )
            )
        return novelty


def grid(step: int) -> int:
    """Spacing of prefetch guesses: a little under the expected advance, so that the
    next guess starts at or before the frontier (see _Prefetcher.take_covering).

    A page falls short of its full advance only by its early start and by copies of
    earlier rows right at its head (both a row or two), so a few rows of margin keep the
    guesses hitting while each page re-reads only those few rows.
    """
    return max(1, step - GRID_MARGIN)


class _RowOffsetWalk(_Walk):
    def run(self) -> None:
        frontier = 0
        high = 0  # one past the highest row offset received so far
        served = self.limit  # rows a full page holds; smaller when the server caps limit
        step = served  # predicted frontier advance per page: where to prefetch
        short = False  # the last page was short: the end, or a cap; do not prefetch yet
        misses = cooldown = 0
        pause = PREFETCH_COOLDOWN
        prefetch = self.prefetch
        while True:
            self.guard(frontier)
            had_prefetched = bool(prefetch.pending)
            covering = prefetch.take_covering(frontier, served)
            start = frontier
            if covering is not None:
                start, page = covering
                misses, pause = 0, PREFETCH_COOLDOWN
            else:
                # The frontier is off the prefetch grid (a page repeated rows, started early
                # or was short): ask for it directly and re-anchor the grid there. When the
                # guesses keep missing, prefetching only wastes upstream work: pause it.
                prefetch.clear()
                misses += had_prefetched
                if misses >= PREFETCH_MISSES:
                    # Each pause in a row is twice as long, so waste stays logarithmic.
                    misses, cooldown, pause = 0, pause, pause * 2
                prefetch.fill(iter([frontier]))  # first in the pool's queue
                if cooldown:
                    cooldown -= 1
                elif not short:
                    prefetch.fill(itertools.count(frontier + grid(step), grid(step)))
                page = prefetch.fetch(frontier)
            self.stats.pages += 1
            self.stats.rows_seen += len(page.rows)
            if not page.rows:
                return
            short = len(page.rows) < served
            if short:
                # Short before the end means a server cap: prefetch at the size it serves.
                served = len(page.rows)
                step = min(step, served)
                prefetch.clear()
            new, lead = self.stage_page(page, frontier)
            end = start + len(page.rows)
            # Of the rows below `high`, the seen ones at the head were asked for again on
            # purpose; an early-starting page's extra rows lie below `start`, so they
            # still count as the upstream's repeats.
            self.stats.rows_reread += min(lead, max(0, min(high, end) - start))
            high = max(high, end)
            if new:
                # Everything below the frontier was seen, so the leading run of seen rows
                # covers at least the stretch of the page below it: the rest lies past it.
                frontier += len(page.rows) - lead
                if not short:
                    # The next page most likely reaches as far past its start as this one.
                    step = frontier - start
            else:
                # Nothing new on a nonempty page (a stretch of copies of earlier rows, or an
                # endpoint that ignores the offset): every row on it was seen, and it started
                # at most EARLY_START_SLACK rows early, so that much further is still safe.
                # An endpoint that ignores the offset still runs into the page cap.
                frontier = max(frontier + 1, start + len(page.rows) - EARLY_START_SLACK)
            if prefetch.pending and min(prefetch.pending) <= frontier + grid(step):
                # The window is still just ahead of the frontier: keep it full.
                prefetch.fill(itertools.count(max(prefetch.pending) + grid(step), grid(step)))


class _PageIndexWalk(_Walk):
    def run(self) -> None:
        index = 0
        while True:
            self.guard(index)
            self.prefetch.fill(iter(range(index, index + self.prefetch.slots)))
            page = self.prefetch.fetch(index)
            self.stats.pages += 1
            self.stats.rows_seen += len(page.rows)
            if not page.rows:
                return
            self.stage_page(page, index)
            index += 1
