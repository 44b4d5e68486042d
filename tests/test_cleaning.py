"""Rows become column values as sent: 0/false/"" kept, types coerced, bad rows rejected."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tasks.catalog import CATALOG, TableSpec, _cols
from tasks.clean import Rejected, parse_json, prepare_row, row_facts, row_hash

TABLE = TableSpec(
    "t",
    _cols("id name count:int flag:bool doc:json at:timestamp created_at:timestamp*"),
)


def prepared(**row: object) -> dict:
    values = prepare_row(row, TABLE)
    assert not isinstance(values, Rejected), values
    return dict(zip(TABLE.column_names, values, strict=True))


def rejected(**row: object) -> str:
    values = prepare_row(row, TABLE)
    assert isinstance(values, Rejected), values
    return values.reason


def test_falsy_values_are_data_not_null() -> None:
    row = prepared(id="1", name="", count=0, flag=False, doc="", at=None)
    assert row["name"] == ""
    assert row["count"] == 0
    assert row["flag"] is False
    assert row["doc"] == '""'  # an empty JSON string, not NULL
    assert row["at"] is None


def test_missing_keys_are_null() -> None:
    assert prepared(id="1") == dict.fromkeys(TABLE.column_names) | {"id": "1"}


def test_text_columns_take_non_strings_as_text() -> None:
    row = prepared(id=42, name=0)
    assert row["id"] == "42" and row["name"] == "0"
    assert prepared(name=False)["name"] == "false"
    assert prepared(name=1.5)["name"] == "1.5"
    assert prepared(name={"b": 1, "a": [1, 2]})["name"] == '{"a":[1,2],"b":1}'


def test_int_columns_are_typed() -> None:
    assert prepared(count="17")["count"] == 17
    assert prepared(count=" 17 ")["count"] == 17
    assert prepared(count=3.0)["count"] == 3
    assert prepared(count=True)["count"] == 1
    assert prepared(count="")["count"] is None
    assert "count" in rejected(count="seven")
    assert "whole number" in rejected(count=2.5)
    assert "out of range" in rejected(count=2**31)
    assert prepared(count=-(2**31))["count"] == -(2**31)


def test_bool_columns_are_typed() -> None:
    assert prepared(flag=True)["flag"] is True
    assert prepared(flag=0)["flag"] is False
    assert prepared(flag="true")["flag"] is True
    assert prepared(flag="0")["flag"] is False
    assert "flag" in rejected(flag="maybe")
    assert "flag" in rejected(flag=2)


def test_json_columns_are_canonical() -> None:
    doc = prepared(doc={"z": 1, "a": {"y": [1, "ü"], "b": None}})["doc"]
    assert doc == '{"a":{"b":null,"y":[1,"ü"]},"z":1}'
    # A JSON document sent as a string is stored as that document.
    assert prepared(doc='{"z": 1, "a": 2}')["doc"] == '{"a":2,"z":1}'
    assert prepared(doc="plain")["doc"] == '"plain"'
    assert prepared(doc=0)["doc"] == "0"
    assert prepared(doc=False)["doc"] == "false"
    assert "JSON" in rejected(doc={"x": float("nan")})


def test_timestamps_are_parsed_and_normalised() -> None:
    assert prepared(at="2024-02-01")["at"] == "2024-02-01"
    assert prepared(at="2024-02-01 10:11:12")["at"] == "2024-02-01T10:11:12"
    assert prepared(at="2024-02-01T10:11:12.500Z")["at"] == "2024-02-01T10:11:12.500000+00:00"
    assert prepared(at="2024-02-01T10:11:12+07:00")["at"] == "2024-02-01T10:11:12+07:00"
    assert prepared(at="31-12-2024")["at"] == "2024-12-31"
    assert prepared(at="")["at"] is None


@pytest.mark.parametrize("bad", ["2024-13-01", "yesterday", "2024-02-30 10:00", "31-02-2024", 5])
def test_a_bad_date_rejects_the_row_with_a_reason(bad: object) -> None:
    reason = rejected(id="1", at=bad)
    assert reason.startswith("column at:")
    assert repr(bad) in reason


def test_nul_characters_are_rejected_wherever_they_hide() -> None:
    assert "NUL" in rejected(name="a\x00b")
    assert "NUL" in rejected(doc={"k": "a\x00b"})
    assert "NUL" in rejected(id="x\x00")


def test_lone_surrogates_are_rejected_not_crashing_the_encoder() -> None:
    assert "Unicode" in rejected(name="half an emoji \ud83d")
    assert "Unicode" in rejected(doc={"k": "\ud83d"})
    digest, suspect, _ = row_facts({"a": "\ud83d"})
    assert suspect and len(digest) == 32


def test_time_zone_offsets_postgres_cannot_hold_are_rejected() -> None:
    assert "offset" in rejected(at="2024-02-01T10:11:12+23:59")
    assert prepared(at="2024-02-01T10:11:12-15:00")["at"] == "2024-02-01T10:11:12-15:00"


def test_a_row_that_is_not_an_object_is_rejected() -> None:
    assert isinstance(prepare_row(["a"], TABLE), Rejected)  # type: ignore[arg-type]


def test_row_hash_ignores_key_order_but_not_values() -> None:
    a = {"id": "1", "n": 0, "d": {"x": 1, "y": [1, 2]}}
    b = {"d": {"y": [1, 2], "x": 1}, "n": 0, "id": "1"}
    assert row_hash(a) == row_hash(b)
    assert len(row_hash(a)) == 32
    assert row_hash(a) != row_hash({**a, "n": False})  # 0 and false are different data
    assert row_hash(a) != row_hash({**a, "n": None})
    assert row_hash(a) != row_hash({**a, "extra": None})  # every key counts


def test_row_hash_is_stable_across_processes() -> None:
    # Derived ids are built on it: a change here changes ids in production tables.
    assert row_hash({"id": "1", "nama": "Siti"}) == "18d53ae920eb6458b662acc7f5809e61"


@pytest.mark.parametrize(
    ("size", "digest"),
    [  # the row's JSON is `size` + 20 bytes; digests from a one-shot blake2b of it
        (2027, "119d652baa1616a462f4cb6924c8d6fd"),
        (2028, "4133d6ed05f028b06cab62eecf419c05"),
        (4074, "5d5acbf26e47815ef9c91cb900381d32"),
        (4075, "1b4b334465a90e1aa1727a2ab4b1f958"),
        (9000, "5ec0c11ca037af4dc8db5fc879912beb"),
    ],
)
def test_long_rows_hash_as_one_piece_whatever_the_chunking(size: int, digest: str) -> None:
    # Rows longer than hashlib's GIL threshold are hashed in pieces; ids must not notice.
    assert row_hash({"id": "1", "nama": "x" * size}) == digest


def test_a_nul_anywhere_marks_the_row_suspect_for_the_fast_path() -> None:
    assert row_facts({"a": "x"}).suspect is False
    assert row_facts({"a": {"b": "x\x00"}}).suspect is True


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


@given(st.dictionaries(st.text(max_size=8), json_values, max_size=8))
def test_row_hash_survives_a_json_round_trip_and_reordering(row: dict) -> None:
    again = json.loads(json.dumps(dict(reversed(list(row.items())))))
    assert row_hash(again) == row_hash(row)


@pytest.mark.parametrize(
    "number",
    [2**64, -(2**63) - 1, 10**30, 2**64 - 1, -(2**63), 10**18],
)
def test_integers_of_any_width_are_parsed_exactly(number: int) -> None:
    page = parse_json(b'{"data": [{"id": "1", "n": %d, "s": "2024"}]}' % number)
    assert page["data"][0]["n"] == number
    assert type(page["data"][0]["n"]) is int
    assert prepared(name=page["data"][0]["n"])["name"] == str(number)


def test_a_body_with_nan_is_still_read_and_the_row_then_rejected() -> None:
    row = parse_json(b'{"id": "1", "x": NaN}')
    assert "finite" in rejected(name=row["x"])
    with pytest.raises(ValueError):
        parse_json(b"<html>502 Bad Gateway</html>")


@pytest.mark.parametrize("proxy", sorted(CATALOG))
def test_every_catalog_table_prepares_an_empty_and_a_typed_row(proxy: str) -> None:
    table = CATALOG[proxy].table
    assert prepare_row({}, table) == (None,) * len(table.columns)
    row = {
        c.name: {"int": "1", "bool": "true", "json": "{}", "timestamp": "2024-01-02"}.get(
            c.type, "x"
        )
        for c in table.columns
    }
    values = prepare_row(row, table)
    assert not isinstance(values, Rejected), values
