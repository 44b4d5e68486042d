"""How much the idle dashboard costs, and how fast a state change reaches the screen.

Runs the real dashboard in a pseudo-terminal of its own (120x40) against the machine's
Redis with a private key prefix, and prints (never asserts):

- CPU of the idle dashboard over ``--seconds`` at ``--interval`` (target < 3 % of a core);
- bytes written to the terminal per second while idle (target: near zero);
- latency from a state change written through tasks.jobs to the row showing it
  (target: interval + 100 ms).

    .venv/bin/python bench/bench_tui.py [--seconds 60] [--interval 1.0] [--changes 10]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import statistics
import struct
import subprocess
import sys
import termios
import threading
import time
import uuid
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


class TerminalTap:
    """Reads everything the app writes to its terminal, with arrival times."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.lock = threading.Lock()
        self.chunks: list[tuple[float, bytes]] = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                return
            if not data:
                return
            with self.lock:
                self.chunks.append((time.monotonic(), data))

    def bytes_between(self, start: float, end: float) -> int:
        with self.lock:
            return sum(len(d) for t, d in self.chunks if start <= t <= end)

    def first_seen(self, needle: bytes, after: float) -> float | None:
        with self.lock:
            recent = [(t, d) for t, d in self.chunks if t >= after]
        joined = b""
        for t, data in recent:
            joined += data
            if needle in joined:
                return t
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="idle measurement")
    parser.add_argument("--interval", type=float, default=1.0, help="dashboard poll interval")
    parser.add_argument("--changes", type=int, default=10, help="state changes to time")
    args = parser.parse_args()

    prefix = f"bench{uuid.uuid4().hex[:8]}:"
    os.environ["PROXYTUI_KEY_PREFIX"] = prefix
    os.environ.setdefault("PROXYTUI_LANG", "en")
    from tasks import jobs
    from tasks.backend import current_backend
    from tasks.queue import huey_name

    # A realistic idle screen: one finished-looking row is not possible without a worker,
    # so one job waits (and the no-worker banner shows).
    jobs.request_sync("skk", requested_by="bench")

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor"}
    program = (
        "import sys; from tui.app import run_dashboard; "
        f"sys.exit(run_dashboard(interval={args.interval!r}, read_only=True, "
        "requested_by='bench'))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", program], stdin=slave, stdout=slave, stderr=slave,
        cwd=REPO, env=env, start_new_session=True,
    )
    os.close(slave)
    tap = TerminalTap(master)
    app = psutil.Process(proc.pid)
    try:
        deadline = time.monotonic() + 30
        while tap.first_seen(b"proxytui", 0) is None:
            if time.monotonic() > deadline or proc.poll() is not None:
                print("the dashboard did not start")
                return 1
            time.sleep(0.1)
        time.sleep(3.0)  # settle: first polls, theme, terminal queries

        cpu_before = sum(app.cpu_times()[:2])
        start = time.monotonic()
        time.sleep(args.seconds)
        end = time.monotonic()
        cpu = sum(app.cpu_times()[:2]) - cpu_before
        idle_bytes = tap.bytes_between(start, end)

        latencies = []
        for _ in range(args.changes):
            # pangkat is the selected type: at 120 columns its job id shows under the rows.
            jobs.cleanup("pangkat")
            time.sleep(args.interval * 1.5)
            changed = time.monotonic()
            job_id = jobs.request_sync("pangkat", requested_by="bench")["jobId"]
            seen = None
            while seen is None and time.monotonic() - changed < args.interval * 5 + 2:
                time.sleep(0.01)
                seen = tap.first_seen(job_id.encode(), changed)
            latencies.append(None if seen is None else seen - changed)

        seen_ms = [1000 * x for x in latencies if x is not None]
        print(f"dashboard bench: interval {args.interval:g}s, idle window {end - start:.1f}s, "
              "120x40 pty")
        print(f"  idle CPU:            {100 * cpu / (end - start):.2f} % of one core "
              "(target < 3 %)")
        print(f"  idle terminal bytes: {idle_bytes / (end - start):.1f} B/s "
              f"({idle_bytes} bytes in total; target near zero)")
        if seen_ms:
            print(f"  change -> row:       median {statistics.median(seen_ms):.0f} ms, "
                  f"max {max(seen_ms):.0f} ms over {len(seen_ms)} changes "
                  f"(target {args.interval * 1000 + 100:.0f} ms)")
        missed = sum(x is None for x in latencies)
        if missed:
            print(f"  {missed} change(s) never showed")
        return 0
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
        os.close(master)
        jobs.cleanup()
        backend = current_backend()
        conn = backend.store.conn  # type: ignore[attr-defined]
        keys = list(conn.scan_iter(match=f"{prefix}*"))
        keys += list(conn.scan_iter(match=f"huey.*.{huey_name(backend.settings)}"))
        if keys:
            conn.delete(*keys)


if __name__ == "__main__":
    raise SystemExit(main())
