"""The sync's GC tuning: raised once for the process, never lowered, never re-enabled."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from tasks.pipeline import GC_YOUNG_THRESHOLD, collect_garbage_less_often


@pytest.fixture
def restored_gc() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


def test_a_sync_raises_the_young_generation_threshold_and_keeps_the_older_ones(
    restored_gc: None,
) -> None:
    gc.set_threshold(700, 10, 10)
    collect_garbage_less_often()
    assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, 10, 10)


def test_a_higher_threshold_set_by_the_host_process_is_kept(restored_gc: None) -> None:
    gc.set_threshold(GC_YOUNG_THRESHOLD * 2, 5, 5)
    collect_garbage_less_often()
    assert gc.get_threshold() == (GC_YOUNG_THRESHOLD * 2, 5, 5)


def test_a_collector_switched_off_stays_off(restored_gc: None) -> None:
    gc.set_threshold(0)
    collect_garbage_less_often()
    assert gc.get_threshold()[0] == 0
