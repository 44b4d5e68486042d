"""Turn upstream rows into the values a local table stores.

Pure functions, so that the client, the sinks and the tests share them:

- `parse_json` reads an upstream body, keeping every number exactly as sent.
- `row_hash` names a row by its content. Dedup and derived ids are built on it, so it
  must not depend on key order, page order, the process or the Python version.
- `prepare_row` coerces a row into the column values of its table, keeping data as
  sent (``0``, ``false`` and ``""`` are values, not NULL). A row that cannot be stored
  comes back as `Rejected` with a reason instead of raising, so one bad row is counted
  and reported rather than failing the whole sync.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import compress
from operator import itemgetter
from typing import Any, NamedTuple

import orjson

from tasks.catalog import Column, TableSpec
from tasks.texts import text as catalog_text

# PostgreSQL ``integer``: the deployment's read side is Node, whose pg driver hands
# ``bigint`` back as a string, so int columns stay 32-bit and wider values are rejected.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1

_TRUE = frozenset({"true", "t", "1", "yes", "y"})
_FALSE = frozenset({"false", "f", "0", "no", "n"})
_MAX_OFFSET = timedelta(hours=16)  # PostgreSQL refuses offsets beyond +-15:59
_DAY_FIRST = re.compile(r"^(\d{1,2})[-/](\d{1,2})[-/](\d{4})$")


@dataclass(frozen=True)
class Rejected:
    """A row that cannot be stored, and why (column and value named)."""

    reason: str


# Built once: json.dumps() with options builds a new encoder on every call, which costs
# more than encoding a small object.
_canonical = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode
_hashable = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
).encode


# orjson encodes these exactly as the stdlib canonical encoders above do (same bytes,
# so hashes and stored JSON do not change with the encoder) about ten times faster.
# Floats are left out on purpose: orjson spells some differently (1e16 vs 1e+16) and
# turns NaN into null, which would make a NaN row hash like a null one.
_SCALARS = frozenset({str, int, bool, type(None)})
_CONTAINERS = frozenset({dict, list})
_FAST_KINDS = _SCALARS | _CONTAINERS
_is_container = _CONTAINERS.__contains__
_SORTED = orjson.OPT_SORT_KEYS


def _plain(value: dict | list) -> bool:
    """True when `value` holds only strings, ints, bools, nulls, dicts and lists.

    Type checks run at C speed (``set(map(type, ...))``); only nested containers are
    visited again. Ints too wide for orjson and lone surrogates still fail in orjson and
    fall back to the stdlib encoder.
    """
    values = value.values() if type(value) is dict else value
    kinds = set(map(type, values))
    if kinds <= _SCALARS:
        return True
    if not kinds <= _FAST_KINDS:
        return False
    return all(map(_plain, compress(values, map(_is_container, map(type, values)))))


def _fast_dumps(value: Any) -> bytes | None:
    """Canonical UTF-8 JSON of a plain dict/list via orjson, or None to use the stdlib."""
    if type(value) not in _CONTAINERS or not _plain(value):
        return None
    try:
        return orjson.dumps(value, option=_SORTED)
    except orjson.JSONEncodeError:  # an int wider than 64 bits, a lone surrogate, ...
        return None


# orjson reads an integer outside [-2**63, 2**64) as a float, silently rounded. Such a
# number has 19 digits or more, so a body with no run of 19 digits anywhere (strings
# included) has none; one that has is read by the stdlib, which keeps every int exact.
_DIGIT_RUNS = bytes(48 if 48 <= b <= 57 else 32 for b in range(256))  # digit -> "0"
_WIDE_INT = b"0" * 19


def parse_json(body: bytes) -> Any:
    """Parse an upstream body, keeping every number as sent; ValueError if not JSON.

    orjson, several times faster, for almost every page. The stdlib for the rest: a
    body with a wide integer (see `_WIDE_INT`), or with what orjson refuses (NaN and
    Infinity), which is still read rather than failing the page.
    """
    if _WIDE_INT not in body.translate(_DIGIT_RUNS):
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
    return json.loads(body)


def row_hash(row: Mapping[str, Any]) -> str:
    """A deterministic content hash of a whole row as sent (32 hex chars).

    Every key counts, stored or not: two rows are "identical" only when the upstream
    sent exactly the same thing.
    """
    return row_facts(row).digest


class RowFacts(NamedTuple):
    """What one encoding of a row tells the stager, besides its `row_hash` (``digest``).

    ``suspect``: some string in the row may be unstorable. It comes nearly free from the
    row's JSON text (a NUL is always escaped there; a lone surrogate fails to encode)
    and lets `RowPreparer` skip inspecting every string of the clean majority of rows.
    ``plain``: the row went through orjson, so every nested value of it will too; its
    JSON columns need no second type walk (``RowPreparer(..., plain=True)``).
    """

    digest: str
    suspect: bool
    plain: bool


def row_facts(row: Mapping[str, Any]) -> RowFacts:
    """`RowFacts` of a row, from one encoding of it."""
    data = _fast_dumps(row)
    if data is not None:  # orjson refuses lone surrogates, so only a NUL is suspect
        digest = _digest(data)
        return RowFacts(digest, b"\\u0000" in data, True)
    text = _hashable(row)
    try:
        data = text.encode("utf-8")
        suspect = "\\u0000" in text
    except UnicodeEncodeError:  # a lone surrogate (half an emoji) somewhere
        data = text.encode("utf-8", "surrogatepass")
        suspect = True
    return RowFacts(_digest(data), suspect, False)


# hashlib lets go of the GIL for any input of 2048 bytes or more, and most rows are
# longer. The walker thread hashes every row, and each time it lets go a fetch or writer
# thread takes the GIL and the walker waits its turn: one thread switch per row (about
# 90,000 per 100,000 rows, a sixth of the sync's system CPU). Hashing is far quicker than
# the switch, so it is fed in pieces that keep the GIL. Same digest as a one-shot call.
_GIL_KEPT = 2047


def _digest(data: bytes) -> str:
    """The row digest: BLAKE2b-128 of ``data``, in hex, computed without releasing the GIL."""
    if len(data) <= _GIL_KEPT:
        return hashlib.blake2b(data, digest_size=16).hexdigest()
    h = hashlib.blake2b(digest_size=16)
    view = memoryview(data)
    for start in range(0, len(view), _GIL_KEPT):
        h.update(view[start : start + _GIL_KEPT])
    return h.hexdigest()


class Novelty(NamedTuple):
    """What staging one page learned, for the row-offset walker (`tasks.siasn.client`).

    ``new``: rows not seen before in this run (each distinct row counts once).
    ``lead``: rows at the head of the page that were all seen before. They are the
    stretch below the frontier (a page that starts early, or the walker's own lag), so
    the page reaches ``len(rows) - lead`` rows past it even when repeats further down
    make ``new`` smaller.
    """

    new: int
    lead: int

    @classmethod
    def of(cls, fresh: Sequence[bool]) -> Novelty:
        """From one flag per row, in page order: was this row new?"""
        lead = next((i for i, is_new in enumerate(fresh) if is_new), len(fresh))
        return cls(sum(fresh), lead)


class _Unstorable(ValueError):
    """Raised by a converter; becomes a `Rejected` naming the column."""


def _storable(text: str) -> str:
    if "\x00" in text:
        raise _Unstorable(catalog_text("reject.nul"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _Unstorable(catalog_text("reject.surrogate")) from None
    return text


def _text(value: Any) -> Any:
    if isinstance(value, str):
        return _storable(value)
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"  # as a JavaScript client would have stored it
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise _Unstorable(catalog_text("reject.not_finite", value=repr(value)))
        return str(value)
    return _json(value)


def _int(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        number = int(value)
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise _Unstorable(catalog_text("reject.not_whole", value=repr(value)))
        number = int(value)
    elif isinstance(value, str):
        stripped = value.strip()
        if stripped == "":
            return None  # an integer column has no way to hold "" other than NULL
        try:
            number = int(stripped)
        except ValueError:
            raise _Unstorable(catalog_text("reject.not_integer", value=_short(value))) from None
    else:
        raise _Unstorable(catalog_text("reject.not_integer", value=_short(value)))
    if not INT_MIN <= number <= INT_MAX:
        raise _Unstorable(catalog_text("reject.integer_range", value=number))
    return number


def _bool(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word == "":
            return None
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    raise _Unstorable(catalog_text("reject.not_boolean", value=_short(value)))


def _json(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        # A JSON document sent as a string is stored as the document (what the pg driver
        # of the old deployment did); any other string is stored as a JSON string.
        stripped = value.lstrip()
        if stripped[:1] in ("{", "["):
            with contextlib.suppress(ValueError):
                value = json.loads(value)
    data = _fast_dumps(value)
    if data is not None:  # orjson output is valid UTF-8: only a NUL can be unstorable
        if b"\\u0000" in data:
            raise _Unstorable(catalog_text("reject.json_nul"))
        return data.decode()
    try:
        text = _canonical(value)
    except (TypeError, ValueError) as exc:
        raise _Unstorable(catalog_text("reject.not_json", error=exc)) from None
    if "\\u0000" in text:
        raise _Unstorable(catalog_text("reject.json_nul"))
    return _storable(text)


def _json_plain(value: Any) -> Any:
    """`_json` for a value of a plain row (`RowFacts.plain`): containers skip the walk."""
    if type(value) in _CONTAINERS:
        data = orjson.dumps(value, option=_SORTED)
        if b"\\u0000" in data:
            raise _Unstorable(catalog_text("reject.json_nul"))
        return data.decode()
    return _json(value)


def _timestamp(value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Unstorable(catalog_text("reject.not_date", value=_short(value)))
    text = value.strip()
    if text == "":
        return None  # a timestamp column has no way to hold "" other than NULL
    match = _DAY_FIRST.match(text)
    try:
        if match:  # 31-12-2024 / 31/12/2024, the Indonesian way
            day, month, year = (int(g) for g in match.groups())
            return date(year, month, day).isoformat()
        if len(text) == 10:
            return date.fromisoformat(text).isoformat()
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _Unstorable(catalog_text("reject.invalid_date", value=_short(value))) from None
    offset = moment.utcoffset()
    if offset is not None and abs(offset) >= _MAX_OFFSET:
        raise _Unstorable(catalog_text("reject.offset_range", value=_short(value)))
    return moment.isoformat()


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "text": _text,
    "int": _int,
    "bool": _bool,
    "json": _json,
    "timestamp": _timestamp,
}


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


_PLAIN_TEXT = frozenset({str, type(None)})


class RowPreparer:
    """The converters of one table, built once so that each row costs one pass.

    Text columns are most of every table and almost always hold strings or nulls, so
    they are checked in bulk (C-level ``map``/``join``) and converted one by one only
    when something else turns up.
    """

    def __init__(self, table: TableSpec) -> None:
        self.table = table
        self.columns: tuple[Column, ...] = table.columns
        self._names = table.column_names
        self._typed = tuple(
            (i, c.name, _CONVERTERS[c.type])
            for i, c in enumerate(table.columns)
            if c.type != "text"
        )
        self._typed_plain = tuple(
            (i, name, _json_plain if convert is _json else convert)
            for i, name, convert in self._typed
        )
        self._text = tuple((i, c.name) for i, c in enumerate(table.columns) if c.type == "text")
        indices = [i for i, _ in self._text] + [0, 0]  # itemgetter of >= 2 returns a tuple
        self._text_values = itemgetter(*indices)

    def __call__(
        self, row: Mapping[str, Any], *, suspect: bool = True, plain: bool = False
    ) -> tuple[Any, ...] | Rejected:
        """Convert one row.

        ``suspect=False`` skips inspecting every string when the caller already knows
        (from `row_facts`) that none holds a NUL or a lone surrogate; ``plain=True``
        (from `row_facts`) lets JSON columns go straight to orjson.
        """
        values = list(map(row.get, self._names))
        name = ""
        try:
            typed = self._typed_plain if plain else self._typed
            for i, name, convert in typed:  # noqa: B007 - named in Rejected
                if values[i] is not None:
                    values[i] = convert(values[i])
            texts = self._text_values(values)
            if suspect or not _PLAIN_TEXT.issuperset(map(type, texts)):
                for i, name in self._text:  # noqa: B007 - named in Rejected
                    value = values[i]
                    if value is not None and (suspect or type(value) is not str):
                        values[i] = _text(value)
        except _Unstorable as exc:
            return Rejected(catalog_text("reject.column", column=name, reason=exc))
        return tuple(values)


_preparers: dict[str, RowPreparer] = {}


def preparer_for(table: TableSpec) -> RowPreparer:
    prepared = _preparers.get(table.name)
    if prepared is None or prepared.table is not table:
        prepared = _preparers[table.name] = RowPreparer(table)
    return prepared


def prepare_row(row: Mapping[str, Any], table: TableSpec) -> tuple[Any, ...] | Rejected:
    """The row's values in ``table.columns`` order, or `Rejected` with a reason.

    text: strings kept, numbers/bools as text (``false`` -> ``"false"``), objects as
    canonical JSON. int: ints, whole floats and digit strings. bool: booleans, 0/1 and
    true/false words. json: canonical JSON text (a string holding a JSON object or array
    is parsed first). timestamp: ISO 8601 dates and datetimes (or DD-MM-YYYY),
    normalised to ISO. A missing key is NULL. ``""`` is kept in text and json columns;
    int, bool and timestamp columns have no representation for it but NULL.
    """
    if not isinstance(row, Mapping):
        return Rejected(catalog_text("reject.row_type", kind=type(row).__name__))
    return preparer_for(table)(row)


def source_id(row: Mapping[str, Any]) -> str | None:
    """The upstream id as text (ids arrive as strings or numbers), None when absent."""
    value = row.get("id") if isinstance(row, Mapping) else None
    if value is None:
        return None
    try:
        return _text(value)
    except _Unstorable:
        return _short(value)
