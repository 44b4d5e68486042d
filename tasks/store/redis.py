"""Job state in Redis: every change is one Lua script, so every change is atomic.

Layout (``P`` is the key prefix, default ``proxytui:``)::

    P job:<id>      hash   the record, plus private ticket / runToken / message
    P log:<id>      list   the job's log, JSON lines, capped at LOG_LIMIT
    P jobs:<type>   set    the ids of a type (one, except in the middle of a force)
    P lastms:<type> string the last id timestamp, so ids stay unique within a millisecond (1 h TTL)
    P workers       zset   worker id -> last heartbeat (ms)
    P slot:<type>:<ms> string the consumer that claimed a schedule slot (expires)

plus Huey's own queue list and schedule zset, which the scripts push to in the same step
that writes the record. Time comes from Redis (``TIME``) so that every host agrees.
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import redis
import redis.asyncio
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from tasks.catalog import PROXY_TYPES
from tasks.contract import JobRecord, LostJob, RequestOutcome, Snapshot
from tasks.errors import BackendUnavailable
from tasks.queue import Envelope
from tasks.settings import Settings, mask_url
from tasks.store.base import (
    RUNNING_PROGRESS_CAP,
    Attempt,
    JobStore,
    LogNote,
    decode_record,
)

logger = logging.getLogger(__name__)

LOG_LIMIT = 200
T = TypeVar("T")

# Shared Lua prelude: the clock, the effective state, and a log writer.
PRELUDE = """
local P = ARGV[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function eff(state, hb, stall)
  if state == 'active' and (now - (tonumber(hb) or 0)) > stall then return 'stalled' end
  return state
end
local function add_log(id, level, msg)
  local lk = P .. 'log:' .. id
  redis.call('RPUSH', lk, cjson.encode({t = now, level = level, msg = msg}))
  redis.call('LTRIM', lk, -LOG_LIMIT, -1)
end
local function public(jk)
  local flat = redis.call('HGETALL', jk)
  local out = {}
  for i = 1, #flat, 2 do
    local k = flat[i]
    if k ~= 'message' and k ~= 'ticket' and k ~= 'runToken' then
      out[#out + 1] = k
      out[#out + 1] = flat[i + 1]
    end
  end
  return out
end
local function drop_job(id, queue, schedule)
  local jk = P .. 'job:' .. id
  local msg = redis.call('HGET', jk, 'message')
  if msg then
    redis.call('LREM', queue, 0, msg)
    redis.call('ZREM', schedule, msg)
  end
  redis.call('DEL', jk, P .. 'log:' .. id)
end
""".replace("LOG_LIMIT", str(LOG_LIMIT))

# KEYS: jobs:<type>, lastms:<type>, queue, schedule
# ARGV: P, type, force, requestedBy, ticket, message, maxAttempts, stall_ms, log text,
# trigger, fresh_ms
REQUEST_SYNC = PRELUDE + """
local ids = redis.call('SMEMBERS', KEYS[1])
local best, best_created = nil, -1
for _, id in ipairs(ids) do
  local c = tonumber(redis.call('HGET', P .. 'job:' .. id, 'createdAt'))
  if c and c > best_created then best, best_created = id, c end
end
local previous = {}
if best then
  local bk = P .. 'job:' .. best
  local h = redis.call('HMGET', bk, 'state', 'heartbeatAt', 'finishedAt')
  local st = eff(h[1], h[2], tonumber(ARGV[8]))
  if ARGV[3] ~= '1' then
    if st ~= 'completed' and st ~= 'failed' then return {'existing', now, public(bk)} end
    local age = now - (tonumber(h[3]) or 0)
    if st == 'completed' and age < tonumber(ARGV[11]) then
      return {'existing', now, public(bk)}
    end
  end
  previous = public(bk)
end
for _, id in ipairs(ids) do drop_job(id, KEYS[3], KEYS[4]) end
redis.call('DEL', KEYS[1])
local last = tonumber(redis.call('GET', KEYS[2])) or 0
local ms = now
if ms <= last then ms = last + 1 end
redis.call('SET', KEYS[2], ms, 'PX', 3600000)  -- needed only while the clock is near it
local id = 'proxy-' .. ARGV[2] .. '-' .. ms
local jk = P .. 'job:' .. id
redis.call('HSET', jk, 'jobId', id, 'type', ARGV[2], 'state', 'waiting', 'progress', 0,
  'progressInfo', '{}', 'createdAt', now, 'enqueuedAt', now, 'requestedBy', ARGV[4],
  'attemptsMade', 0, 'maxAttempts', ARGV[7], 'ticket', ARGV[5], 'message', ARGV[6],
  'forced', ARGV[3], 'trigger', ARGV[10])
redis.call('SADD', KEYS[1], id)
redis.call('LPUSH', KEYS[3], ARGV[6])
add_log(id, 'info', ARGV[9])
return {'queued', now, public(jk), previous}
"""

# KEYS: jobs:<type>.  ARGV: P, ticket, worker, runToken, stall_ms
START_ATTEMPT = PRELUDE + """
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local jk = P .. 'job:' .. id
  if redis.call('HGET', jk, 'ticket') == ARGV[2] then
    local h = redis.call('HMGET', jk, 'state', 'heartbeatAt', 'attemptsMade', 'maxAttempts')
    local st = eff(h[1], h[2], tonumber(ARGV[5]))
    if st ~= 'waiting' and st ~= 'delayed' and st ~= 'stalled' then return {'busy', st} end
    local attempts = (tonumber(h[3]) or 0) + 1
    redis.call('HSET', jk, 'state', 'active', 'startedAt', now, 'heartbeatAt', now,
      'attemptsMade', attempts, 'worker', ARGV[3], 'runToken', ARGV[4])
    redis.call('HDEL', jk, 'message', 'retryAt', 'ticket', 'finishedAt')
    local j = redis.call('HMGET', jk, 'requestedBy', 'trigger', 'forced', 'createdAt')
    return {'ok', id, attempts, tonumber(h[4]), j[1] or '', j[2] or '', j[3] or '0',
      j[4] or '0', now}
  end
end
return {'stale'}
"""

# Fenced writes. KEYS[1]: job key.  ARGV: P, runToken, ...
FENCE = PRELUDE + """
local jk = KEYS[1]
if redis.call('HGET', jk, 'runToken') ~= ARGV[2] then return 0 end
if redis.call('HGET', jk, 'state') ~= 'active' then return 0 end
"""

HEARTBEAT = FENCE + """
redis.call('HSET', jk, 'heartbeatAt', now)
return 1
"""

# ARGV: P, runToken, progress, progressInfo json; progress is capped (only COMPLETE writes 100)
PROGRESS = FENCE + """
redis.call('HSET', jk, 'heartbeatAt', now, 'progress', math.min(tonumber(ARGV[3]), CAP),
  'progressInfo', ARGV[4])
return 1
""".replace("CAP", str(RUNNING_PROGRESS_CAP))

# ARGV: P, runToken, result json, note level, note text ('' for none)
COMPLETE = FENCE + """
redis.call('HSET', jk, 'state', 'completed', 'progress', 100, 'finishedAt', now,
  'result', ARGV[3], 'heartbeatAt', now)
redis.call('HDEL', jk, 'runToken', 'error', 'stackTrace')
if ARGV[5] ~= '' then add_log(redis.call('HGET', jk, 'jobId'), ARGV[4], ARGV[5]) end
return 1
"""

# KEYS: job, schedule.  ARGV: P, runToken, error, trace, retry message or '', score,
# ticket, delay_ms, note level, note text ('' for none)
FAIL_ATTEMPT = FENCE + """
redis.call('HSET', jk, 'error', ARGV[3], 'stackTrace', ARGV[4])
redis.call('HDEL', jk, 'runToken')
if ARGV[10] ~= '' then add_log(redis.call('HGET', jk, 'jobId'), ARGV[9], ARGV[10]) end
if ARGV[5] ~= '' then
  redis.call('HSET', jk, 'state', 'delayed', 'retryAt', now + tonumber(ARGV[8]),
    'ticket', ARGV[7], 'message', ARGV[5], 'enqueuedAt', now)
  redis.call('ZADD', KEYS[2], ARGV[6], ARGV[5])
  return 'delayed'
end
redis.call('HSET', jk, 'state', 'failed', 'finishedAt', now)
return 'failed'
"""

# KEYS: job, queue.  ARGV: P, runToken, ticket, message, note level, note text ('' for none)
REQUEUE = FENCE + """
if ARGV[6] ~= '' then add_log(redis.call('HGET', jk, 'jobId'), ARGV[5], ARGV[6]) end
local attempts = math.max((tonumber(redis.call('HGET', jk, 'attemptsMade')) or 1) - 1, 0)
redis.call('HSET', jk, 'state', 'waiting', 'attemptsMade', attempts, 'ticket', ARGV[3],
  'message', ARGV[4], 'enqueuedAt', now)
redis.call('HDEL', jk, 'runToken', 'worker', 'heartbeatAt')
redis.call('LPUSH', KEYS[2], ARGV[4])
return 1
"""

# Is the job lost? Used by FIND_LOST and re-checked by RECOVER.
LOST_CHECK = """
local function lost_kind(jk, stall, queue, schedule)
  local h = redis.call('HMGET', jk, 'state', 'heartbeatAt', 'enqueuedAt', 'retryAt', 'message')
  local st = eff(h[1], h[2], stall)
  if st == 'stalled' then return 'stalled' end
  if st ~= 'waiting' and st ~= 'delayed' then return nil end
  local since = tonumber(h[3]) or 0
  if st == 'delayed' then since = tonumber(h[4]) or 0 end
  if now - since <= stall then return nil end
  local msg = h[5]
  if msg then
    if redis.call('LPOS', queue, msg) then return nil end
    if redis.call('ZSCORE', schedule, msg) then return nil end
  end
  return 'orphan'
end
"""

# KEYS: queue, schedule.  ARGV: P, stall_ms, types...
FIND_LOST = PRELUDE + LOST_CHECK + """
local out = {}
for i = 3, #ARGV do
  for _, id in ipairs(redis.call('SMEMBERS', P .. 'jobs:' .. ARGV[i])) do
    local jk = P .. 'job:' .. id
    local kind = lost_kind(jk, tonumber(ARGV[2]), KEYS[1], KEYS[2])
    if kind then
      local h = redis.call('HMGET', jk, 'type', 'runToken', 'attemptsMade', 'maxAttempts',
        'worker')
      out[#out + 1] = {id, kind, h[1], h[2] or '', h[3] or '0', h[4] or '0', h[5] or ''}
    end
  end
end
return out
"""

# KEYS: job, queue, schedule.  ARGV: P, kind, runToken, ticket, message or '', error,
# stall_ms (the error is also the log line)
RECOVER = PRELUDE + LOST_CHECK + """
local jk = KEYS[1]
local kind = lost_kind(jk, tonumber(ARGV[7]), KEYS[2], KEYS[3])
if kind ~= ARGV[2] then return 0 end
if kind == 'stalled' and redis.call('HGET', jk, 'runToken') ~= ARGV[3] then return 0 end
local id = redis.call('HGET', jk, 'jobId')
local old = redis.call('HGET', jk, 'message')
if old then redis.call('ZREM', KEYS[3], old) end
redis.call('HDEL', jk, 'runToken')
if ARGV[5] ~= '' then
  redis.call('HSET', jk, 'state', 'waiting', 'ticket', ARGV[4], 'message', ARGV[5],
    'enqueuedAt', now)
  if kind == 'stalled' then redis.call('HSET', jk, 'error', ARGV[6]) end
  redis.call('LPUSH', KEYS[2], ARGV[5])
else
  redis.call('HSET', jk, 'state', 'failed', 'finishedAt', now, 'error', ARGV[6])
  redis.call('HDEL', jk, 'message')
end
add_log(id, 'warning', ARGV[6])
return 1
"""

# KEYS: queue, schedule.  ARGV: P, stall_ms, states (comma separated), types...
CLEANUP = PRELUDE + """
local wanted = {}
for st in string.gmatch(ARGV[3], '[^,]+') do wanted[st] = true end
local counts = {active = 0, waiting = 0, delayed = 0, completed = 0, failed = 0}
for i = 4, #ARGV do
  local sk = P .. 'jobs:' .. ARGV[i]
  for _, id in ipairs(redis.call('SMEMBERS', sk)) do
    local h = redis.call('HMGET', P .. 'job:' .. id, 'state', 'heartbeatAt')
    local st = eff(h[1], h[2], tonumber(ARGV[2]))
    if not st or wanted[st] then
      if st == 'stalled' then st = 'active' end
      if st and counts[st] then counts[st] = counts[st] + 1 end
      drop_job(id, KEYS[1], KEYS[2])
      redis.call('SREM', sk, id)
    end
  end
end
return cjson.encode(counts)
"""

# KEYS: queue, schedule, workers.  ARGV: P, worker_ttl_ms, types...
SNAPSHOT = PRELUDE + """
local jobs = {}
for i = 3, #ARGV do
  for _, id in ipairs(redis.call('SMEMBERS', P .. 'jobs:' .. ARGV[i])) do
    jobs[#jobs + 1] = public(P .. 'job:' .. id)
  end
end
local workers = redis.call('ZCOUNT', KEYS[3], now - tonumber(ARGV[2]), '+inf')
return {now, workers, redis.call('LLEN', KEYS[1]), redis.call('ZCARD', KEYS[2]), jobs}
"""

# KEYS: job.  ARGV: P, level, text
APPEND_LOG = PRELUDE + """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local id = redis.call('HGET', KEYS[1], 'jobId')
add_log(id, ARGV[2], ARGV[3])
return 1
"""

# KEYS: workers.  ARGV: P, worker id, forget_after_ms
WORKER_SEEN = PRELUDE + """
redis.call('ZADD', KEYS[1], now, ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[3]))
return now
"""


def _pairs(flat: list[Any]) -> dict[str, Any]:
    return {flat[i]: flat[i + 1] for i in range(0, len(flat), 2)}


class RedisJobStore(JobStore):
    def __init__(self, settings: Settings, queue_key: str, schedule_key: str) -> None:
        self.settings = settings
        self.prefix = settings.key_prefix
        self.queue_key = queue_key
        self.schedule_key = schedule_key
        self.stall_ms = int(settings.stall_after * 1000)
        self.url = mask_url(settings.redis_url)
        self._options: dict[str, Any] = {
            "socket_timeout": settings.redis_socket_timeout,
            "socket_connect_timeout": settings.redis_socket_timeout,
            "retry_on_timeout": False,
            "decode_responses": False,
        }
        self.conn = redis.Redis.from_url(settings.redis_url, **self._options)
        # An asyncio client belongs to the loop that made it: one per running loop.
        self._async_conns: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, redis.asyncio.Redis
        ] = weakref.WeakKeyDictionary()
        self._scripts = {
            name: self.conn.register_script(source)
            for name, source in {
                "request_sync": REQUEST_SYNC,
                "start_attempt": START_ATTEMPT,
                "heartbeat": HEARTBEAT,
                "progress": PROGRESS,
                "complete": COMPLETE,
                "fail_attempt": FAIL_ATTEMPT,
                "requeue": REQUEUE,
                "find_lost": FIND_LOST,
                "recover": RECOVER,
                "cleanup": CLEANUP,
                "snapshot": SNAPSHOT,
                "append_log": APPEND_LOG,
                "worker_seen": WORKER_SEEN,
            }.items()
        }

    # -- plumbing -------------------------------------------------------------------

    def _key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    def _call(self, fn: Callable[[], T]) -> T:
        """Run one Redis operation, turning connection trouble into BackendUnavailable."""
        try:
            return fn()
        except (RedisError, OSError) as exc:
            raise self._unavailable(exc) from exc

    def _unavailable(self, exc: RedisError | OSError) -> Exception:
        """Connection trouble (and a Redis that is loading or refusing writes) as
        BackendUnavailable; any other error as it is."""
        if isinstance(exc, RedisConnectionError | RedisTimeoutError | OSError) or any(
            word in str(exc) for word in ("LOADING", "MISCONF", "OOM")
        ):
            return BackendUnavailable(self.url, _reason(exc))
        return exc

    def _run(self, name: str, keys: Sequence[str], args: Sequence[Any]) -> Any:
        script = self._scripts[name]
        return self._call(lambda: script(keys=list(keys), args=[self.prefix, *args]))

    def _decode(self, flat: list[Any], now: int) -> JobRecord:
        return decode_record(_pairs(flat), now, self.stall_ms)

    def _job_key(self, job_id: str) -> str:
        return self._key("job", job_id)

    def close(self) -> None:
        self.conn.close()

    def now_ms(self) -> int:
        seconds, micros = self._call(self.conn.time)
        return int(seconds) * 1000 + int(micros) // 1000

    def claim_slot(self, proxy_type: str, slot_ms: int, ttl_ms: int, owner: str) -> bool:
        key = self._key("slot", proxy_type, str(int(slot_ms)))
        return bool(self._call(lambda: self.conn.set(key, owner, nx=True, px=int(ttl_ms))))

    # -- dashboard / CLI side -----------------------------------------------------------

    def request_sync(
        self,
        proxy_type: str,
        force: bool,
        requested_by: str,
        envelope: Envelope,
        log_line: str,
        trigger: str = "cli",
        fresh_ms: int = 0,
    ) -> RequestOutcome:
        outcome, now, flat, *previous = self._run(
            "request_sync",
            [
                self._key("jobs", proxy_type),
                self._key("lastms", proxy_type),
                self.queue_key,
                self.schedule_key,
            ],
            [
                proxy_type,
                "1" if force else "0",
                requested_by,
                envelope.ticket,
                envelope.data,
                self.settings.max_attempts,
                self.stall_ms,
                log_line,
                trigger,
                int(fresh_ms),
            ],
        )
        before = previous[0] if previous and previous[0] else None
        return RequestOutcome(
            outcome.decode(),
            self._decode(flat, now),
            int(now),
            self._decode(before, now) if before else None,
        )

    def get_job(self, job_id: str) -> JobRecord | None:
        return self.get_job_with_log(job_id, with_log=False)[0]

    def get_job_with_log(
        self, job_id: str, with_log: bool = True
    ) -> tuple[JobRecord | None, list[dict[str, Any]]]:
        pipe = self.conn.pipeline(transaction=False)
        self._queue_job_reads(pipe, job_id, with_log)
        return self._job_and_log(self._call(pipe.execute))

    async def get_job_with_log_async(
        self, job_id: str
    ) -> tuple[JobRecord | None, list[dict[str, Any]]]:
        pipe = self._async_conn().pipeline(transaction=False)
        self._queue_job_reads(pipe, job_id, with_log=True)
        try:
            replies = await pipe.execute()
        except (RedisError, OSError) as exc:
            raise self._unavailable(exc) from exc
        return self._job_and_log(replies)

    def _async_conn(self) -> redis.asyncio.Redis:
        loop = asyncio.get_running_loop()
        conn = self._async_conns.get(loop)
        if conn is None:
            conn = redis.asyncio.Redis.from_url(self.settings.redis_url, **self._options)
            self._async_conns[loop] = conn
        return conn

    def _queue_job_reads(self, pipe: Any, job_id: str, with_log: bool) -> None:
        pipe.hgetall(self._job_key(job_id))
        pipe.time()
        if with_log:
            pipe.lrange(self._key("log", job_id), 0, -1)

    def _job_and_log(
        self, replies: list[Any]
    ) -> tuple[JobRecord | None, list[dict[str, Any]]]:
        raw, (seconds, micros), *log = replies
        if not raw:
            return None, []
        now = int(seconds) * 1000 + int(micros) // 1000
        lines = [json.loads(line) for line in log[0]] if log else []
        return decode_record(raw, now, self.stall_ms), lines

    def get_log(self, job_id: str) -> list[dict[str, Any]]:
        lines = self._call(lambda: self.conn.lrange(self._key("log", job_id), 0, -1))
        return [json.loads(line) for line in lines]

    def _snapshot(self, types: Sequence[str]) -> Snapshot:
        now, workers, queued, scheduled, jobs = self._run(
            "snapshot",
            [self.queue_key, self.schedule_key, self._key("workers")],
            [int(self.settings.worker_ttl * 1000), *types],
        )
        records = [self._decode(flat, now) for flat in jobs]
        return Snapshot(int(now), int(workers), int(queued), int(scheduled), records)

    def cleanup(self, types: Sequence[str], states: Sequence[str]) -> dict[str, int]:
        raw = self._run(
            "cleanup",
            [self.queue_key, self.schedule_key],
            [self.stall_ms, ",".join(states), *types],
        )
        return json.loads(raw)

    # -- worker side --------------------------------------------------------------------

    def start_attempt(
        self, proxy_type: str, ticket: str, worker: str, run_token: str
    ) -> Attempt | None:
        reply = self._run(
            "start_attempt",
            [self._key("jobs", proxy_type)],
            [ticket, worker, run_token, self.stall_ms],
        )
        if reply[0] != b"ok":
            return None
        job_id, attempts, max_attempts, who, trigger, forced, created, now = reply[1:9]
        return Attempt(
            job_id.decode(),
            proxy_type,
            run_token,
            int(attempts),
            int(max_attempts),
            requested_by=who.decode() or None,
            trigger=trigger.decode() or None,
            forced=forced == b"1",
            queued_at=int(created) or None,
            started_at=int(now),
        )

    def heartbeat(self, job_id: str, run_token: str) -> bool:
        return bool(self._run("heartbeat", [self._job_key(job_id)], [run_token]))

    def write_progress(
        self, job_id: str, run_token: str, progress: int, info: dict[str, Any]
    ) -> bool:
        return bool(
            self._run(
                "progress",
                [self._job_key(job_id)],
                [run_token, int(progress), json.dumps(info, separators=(",", ":"))],
            )
        )

    def complete(
        self, job_id: str, run_token: str, result: dict[str, Any], note: LogNote | None = None
    ) -> bool:
        level, line = note or ("", "")
        return bool(
            self._run(
                "complete", [self._job_key(job_id)], [run_token, json.dumps(result), level, line]
            )
        )

    def fail_attempt(
        self,
        job_id: str,
        run_token: str,
        error: str,
        stack_trace: str,
        retry: Envelope | None,
        retry_delay_ms: int,
        note: LogNote | None = None,
    ) -> str | None:
        level, line = note or ("", "")
        reply = self._run(
            "fail_attempt",
            [self._job_key(job_id), self.schedule_key],
            [
                run_token,
                error,
                stack_trace,
                retry.data if retry else "",
                retry.score if retry and retry.score is not None else 0,
                retry.ticket if retry else "",
                retry_delay_ms,
                level,
                line,
            ],
        )
        return reply.decode() if isinstance(reply, bytes) else None

    def requeue(
        self, job_id: str, run_token: str, envelope: Envelope, note: LogNote | None = None
    ) -> bool:
        level, line = note or ("", "")
        return bool(
            self._run(
                "requeue",
                [self._job_key(job_id), self.queue_key],
                [run_token, envelope.ticket, envelope.data, level, line],
            )
        )

    def find_lost(self) -> list[LostJob]:
        rows = self._run(
            "find_lost", [self.queue_key, self.schedule_key], [self.stall_ms, *PROXY_TYPES]
        )
        return [
            LostJob(
                job_id=job_id.decode(),
                kind=kind.decode(),
                type=ptype.decode(),
                run_token=token.decode(),
                attempts_made=int(attempts),
                max_attempts=int(max_attempts),
                worker=worker.decode(),
            )
            for job_id, kind, ptype, token, attempts, max_attempts, worker in rows
        ]

    def recover(
        self,
        job_id: str,
        kind: str,
        run_token: str,
        envelope: Envelope | None,
        error: str,
    ) -> bool:
        return bool(
            self._run(
                "recover",
                [self._job_key(job_id), self.queue_key, self.schedule_key],
                [
                    kind,
                    run_token,
                    envelope.ticket if envelope else "",
                    envelope.data if envelope else "",
                    error,
                    self.stall_ms,
                ],
            )
        )

    def append_log(self, job_id: str, level: str, text: str) -> None:
        self._run("append_log", [self._job_key(job_id)], [level, text])

    def worker_seen(self, worker_id: str) -> None:
        forget_ms = int(self.settings.worker_ttl * 1000 * 20)
        self._run("worker_seen", [self._key("workers")], [worker_id, forget_ms])

    def worker_gone(self, worker_id: str) -> None:
        self._call(lambda: self.conn.zrem(self._key("workers"), worker_id))

    def live_workers(self) -> tuple[int, list[tuple[str, int]]]:
        def read() -> tuple[int, list[tuple[str, int]]]:
            seconds, micros = self.conn.time()
            now = int(seconds) * 1000 + int(micros) // 1000
            since = now - int(self.settings.worker_ttl * 1000)
            found: list[tuple[bytes, float]] = self.conn.zrangebyscore(  # type: ignore[assignment]
                self._key("workers"), since, "+inf", withscores=True)
            return now, [(member.decode(), int(score)) for member, score in found]

        return self._call(read)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]
