"""A Huey config for tests: the real run loop around sync functions we control.

``huey_consumer tests.support.scripted_worker.huey`` behaves like the production worker
except that the sync function is chosen by ``PROXYTUI_TEST_SYNC``:

- ``ok``: reports a few steps and succeeds at once;
- ``slow``: ``PROXYTUI_TEST_STEPS`` steps of ``PROXYTUI_TEST_STEP_SECONDS`` each;
- ``fail``: raises every attempt;
- ``hang``: never reports progress (for the cooperative/hard time limit);
- ``permanent``: raises a PermanentFailure.

The slow function appends "<job id> <attempt> <step>" lines to ``PROXYTUI_TEST_TRACE``
(when set) so tests can see which runs did work after they were cancelled, and a last
"<job id> <attempt> stopped" line when a cancelled run gives up: after it, that run does
nothing more.
"""

from __future__ import annotations

import os
import time

from tasks.backend import current_backend
from tasks.errors import JobCancelled, PermanentFailure
from tasks.runner import RunContext
from tasks.sync import register_sync_task
from tasks.worker_log import relay_to_consumer_log


def _trace(run: RunContext, step: object) -> None:
    path = os.environ.get("PROXYTUI_TEST_TRACE")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"{run.job_id} {run.attempt.attempt} {step}\n")


def scripted_sync(proxy_type: str, run: RunContext) -> dict:
    behaviour = os.environ.get("PROXYTUI_TEST_SYNC", "ok")
    steps = int(os.environ.get("PROXYTUI_TEST_STEPS", "3"))
    step_seconds = float(os.environ.get("PROXYTUI_TEST_STEP_SECONDS", "0.05"))
    if behaviour == "fail":
        raise RuntimeError(f"upstream exploded on attempt {run.attempt.attempt}.")
    if behaviour == "permanent":
        raise PermanentFailure("SIASN rejected the token; renew it and sync again")
    if behaviour == "hang":
        while True:
            time.sleep(0.05)
            run.check()
    for step in range(steps):
        try:
            run.report(
                progress=int(100 * step / steps),
                stage="fetching",
                message=f"step {step + 1}/{steps}",
                currentTotal=step * 10,
                expectedTotal=steps * 10,
            )
        except JobCancelled:
            _trace(run, "stopped")
            raise
        _trace(run, step)
        time.sleep(step_seconds)
    if not run.is_current():
        _trace(run, "superseded")
        return {"success": False, "message": "superseded"}
    _trace(run, "done")
    return {"success": True, "message": f"{steps * 10} rows", "total": steps * 10}


relay_to_consumer_log()
huey = current_backend().huey
proxy_sync = register_sync_task(huey, scripted_sync)
