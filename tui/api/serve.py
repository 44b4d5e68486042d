"""``proxytui serve``: run the HTTP API under uvicorn, in one or more worker processes.

The CLI wires it as ``add_serve_arguments(parser)`` + ``run_serve(args) -> int``;
``python -m tui.api.serve`` runs it on its own. Exit codes follow the CLI: 0 after a clean
shutdown, 1 when the server could not start (port taken), 2 for bad usage or
configuration (including no API key on a non-loopback address).
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence

from tasks import argtypes
from tasks.schedule import ScheduleError, validate_schedule
from tasks.settings import SettingsError, get_settings
from tasks.texts import text

DEFAULT_BASE_PATH = "/api/siasn/ws/admin/proxy"

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_WORKERS = 1
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default {DEFAULT_HOST}); any non-loopback address "
        "needs PROXYTUI_API_KEYS",
    )
    parser.add_argument(
        "--port", type=argtypes.port, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}"
    )
    parser.add_argument(
        "--base-path",
        default=DEFAULT_BASE_PATH,
        help=f"where the routes live (default {DEFAULT_BASE_PATH})",
    )
    parser.add_argument(
        "--workers",
        type=argtypes.positive_int,
        default=DEFAULT_WORKERS,
        help=f"server processes (default {DEFAULT_WORKERS}, about 2,000 status answers a "
        "second); more use more cores",
    )
    parser.add_argument(
        "--access-log",
        action="store_true",
        help="log every request (off by default: under load it costs about a third of "
        "the requests a second, see bench/bench_api.py)",
    )


def is_loopback(host: str) -> bool:
    """True only for addresses that no other machine can reach."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name or "": it may resolve to anything
        return False


def run_serve(args: argparse.Namespace) -> int:
    """Check the configuration, then serve until interrupted; returns the exit code."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    try:
        from tui.api.app import BASE_PATH_ENV, normalize_base_path
        from tui.api.auth import parse_api_keys
    except ImportError:
        log.error(text("serve.need_extra"))
        return EXIT_USAGE
    try:
        keys = parse_api_keys(get_settings().api_keys)
        base = normalize_base_path(args.base_path)
        validate_schedule(get_settings())  # /metrics reads it: a bad one stops us here
    except (SettingsError, ScheduleError, ValueError) as exc:
        log.error("%s", exc)
        return EXIT_USAGE
    if not keys:
        if not is_loopback(args.host):
            log.error(text("serve.no_keys_public", host=args.host or "every address"))
            return EXIT_USAGE
        log.warning(text("serve.no_keys_local"))
    else:
        log.info(
            "API keys loaded for: %s",
            ", ".join(sorted(k.name + (" (forwarder)" if k.forwarder else "") for k in keys)),
        )

    import uvicorn

    # Every worker process builds the app from the settings and this base path.
    os.environ[BASE_PATH_ENV] = base
    log.info(
        "serving the API on http://%s:%s%s with %d worker(s)",
        args.host,
        args.port,
        base or "/",
        args.workers,
    )
    previous = _stop_on_sigterm()
    try:
        uvicorn.run(
            "tui.api.app:app_from_environment",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            server_header=False,
            log_level="info",
            access_log=args.access_log,
        )
    except (KeyboardInterrupt, Stopped):  # uvicorn re-raises the signal after shutting down
        log.info("stopped")
    except SystemExit as exc:  # uvicorn exits 1 when it cannot bind
        return EXIT_FAILED if exc.code else EXIT_OK
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return EXIT_OK


class Stopped(Exception):
    """SIGTERM arrived; uvicorn has already shut down gracefully."""


def _raise_stopped(signum: int, frame: object) -> None:
    raise Stopped


def _stop_on_sigterm() -> Callable[..., object] | int | None:
    """Make the SIGTERM uvicorn re-raises after its shutdown end ``run_serve`` with 0
    instead of killing the process; only the main thread may set handlers."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _raise_stopped)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="proxytui serve", description=__doc__.splitlines()[0])
    add_serve_arguments(parser)
    return run_serve(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
