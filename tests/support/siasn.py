"""Fixtures for a real fake SIASN over TCP (see tasks/siasn/fake.py).

`fake_siasn` is a running server with small datasets and every quirk frequent, so any
test that syncs against it meets repeated rows, shifted pages, twins and null ids.
Change `fake_siasn.faults` (or call `fake_siasn.script(...)`) inside a test to inject
failures; quirks are fixed per server, so use `make_fake_siasn(quirks=...)` for others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tasks.clean import Novelty
from tasks.settings import Settings
from tasks.siasn.fake import FakeSiasn, Faults, Quirks
from tasks.siasn.fake_data import SMALL_ROWS, content_key

__all__ = ["ContentStage", "SMALL_ROWS", "content_key"]


class ContentStage:
    """An in-memory `stage` for walk_pages: dedup by content, saying which rows were new."""

    def __init__(self) -> None:
        self.keys: set[str] = set()
        self.calls = 0

    def __call__(self, rows: list[dict]) -> Novelty:
        self.calls += 1
        flags = []
        for row in rows:
            key = content_key(row)
            flags.append(key not in self.keys)
            self.keys.add(key)
        return Novelty.of(flags)


@pytest.fixture
def make_fake_siasn() -> Iterator[Callable[..., FakeSiasn]]:
    """Start fake servers with any FakeSiasn arguments; all stop at teardown."""
    started: list[FakeSiasn] = []

    def make(**kwargs: object) -> FakeSiasn:
        kwargs.setdefault("rows", SMALL_ROWS)
        kwargs.setdefault("seed", 7)
        kwargs.setdefault("quirks", Quirks.dense())
        fake = FakeSiasn(**kwargs).start()  # type: ignore[arg-type]
        started.append(fake)
        return fake

    yield make
    for fake in started:
        fake.stop()


@pytest.fixture
def fake_siasn(make_fake_siasn: Callable[..., FakeSiasn]) -> FakeSiasn:
    """A running fake SIASN: small datasets (SMALL_ROWS), dense quirks, no faults.

    Yields the FakeSiasn: .base_url, .token, .truth(type) -> list of distinct records,
    .truth_keys(type) -> set of content_key texts, .faults (mutable), .script(kind, n),
    .requests (what it was sent).
    """
    return make_fake_siasn(faults=Faults())


@pytest.fixture
def siasn_settings(fake_siasn: FakeSiasn) -> Settings:
    """Settings pointing at `fake_siasn`, with its token and fast per-request backoff."""
    return Settings(siasn_base_url=fake_siasn.base_url,
        siasn_token=fake_siasn.token,
        siasn_token_file="",
        request_retries=4,
        request_backoff=0.01,
    )
