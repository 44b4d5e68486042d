"""Destination tables: where a sync's rows land.

``open_sink(url)`` picks the backend from the URL: ``sqlite:///path`` (the default, see
`tasks.settings.Settings.database_url`) or ``postgresql://...`` (needs the ``postgres``
extra).
"""

from __future__ import annotations

from tasks.sink.base import (
    FenceLost,
    MissingDriver,
    Published,
    Sink,
    SinkConfigError,
    SinkError,
    SinkSchemaError,
    StagedTable,
)
from tasks.texts import text

__all__ = [
    "FenceLost",
    "MissingDriver",
    "Published",
    "Sink",
    "SinkConfigError",
    "SinkError",
    "SinkSchemaError",
    "StagedTable",
    "open_sink",
]


def open_sink(database_url: str) -> Sink:
    """The sink for a database URL; raises SinkConfigError naming the accepted forms."""
    url = database_url.strip()
    scheme = url.partition("://")[0].split("+", 1)[0].lower()
    if scheme == "sqlite":
        from tasks.sink.sqlite import SqliteSink, path_from_url

        return SqliteSink(path_from_url(url))
    if scheme in ("postgresql", "postgres"):
        from tasks.sink.postgres import PostgresSink

        return PostgresSink(url)
    raise SinkConfigError(text("sink.url_unsupported", url=url.split("@")[-1]))
