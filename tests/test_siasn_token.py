"""The token is found in SIASN_TOKEN, then SIASN_TOKEN_FILE, then the Redis key."""

from __future__ import annotations

import logging
import uuid

import pytest
import redis

from tasks.errors import PermanentFailure
from tasks.settings import Settings
from tasks.siasn.errors import TokenMissing, TokenUnavailable
from tasks.siasn.token import resolve_token

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_key():
    """A unique key name on the shared Redis, deleted afterwards."""
    conn = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    try:
        conn.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis at {REDIS_URL} is not reachable: {exc}")
    key = f"proxytui-test:{uuid.uuid4().hex}:access_token"
    yield conn, key
    conn.delete(key)
    conn.close()


def _settings(**kw) -> Settings:
    base = dict(
        siasn_token="",
        siasn_token_file="",
        redis_url=REDIS_URL,
        siasn_token_redis_key=f"proxytui-test:{uuid.uuid4().hex}:absent",
        redis_socket_timeout=1.0,
    )
    return Settings(**(base | kw))


def test_env_wins_over_file_and_redis(tmp_path, redis_key):
    conn, key = redis_key
    conn.set(key, "from-redis")
    path = tmp_path / "token"
    path.write_text("from-file\n")
    settings = _settings(
        siasn_token="from-env", siasn_token_file=str(path), siasn_token_redis_key=key
    )
    assert resolve_token(settings) == "from-env"


def test_file_is_next_and_stripped(tmp_path, redis_key):
    conn, key = redis_key
    conn.set(key, "from-redis")
    path = tmp_path / "token"
    path.write_text("  from-file \n")
    settings = _settings(siasn_token_file=str(path), siasn_token_redis_key=key)
    assert resolve_token(settings) == "from-file"


def test_redis_key_is_last(tmp_path, redis_key):
    conn, key = redis_key
    conn.set(key, "Bearer from-redis\n")
    settings = _settings(siasn_token_file=str(tmp_path / "missing"), siasn_token_redis_key=key)
    assert resolve_token(settings) == "from-redis"


def test_a_retry_reads_the_key_again(redis_key):
    conn, key = redis_key
    settings = _settings(siasn_token_redis_key=key)
    conn.set(key, "first")
    assert resolve_token(settings) == "first"
    conn.set(key, "refreshed")
    assert resolve_token(settings) == "refreshed"


def test_missing_everywhere_names_the_three_places(tmp_path, redis_key):
    _, key = redis_key
    settings = _settings(siasn_token_file=str(tmp_path / "nope"), siasn_token_redis_key=key)
    with pytest.raises(TokenMissing) as info:
        resolve_token(settings)
    message = str(info.value)
    assert "SIASN_TOKEN " in message and "SIASN_TOKEN_FILE" in message and key in message
    assert isinstance(info.value, PermanentFailure)


def test_unreachable_redis_is_reported_not_hung_and_retried_later():
    settings = _settings(redis_url="redis://127.0.0.1:1/0")
    with pytest.raises(TokenUnavailable, match="unreachable") as info:
        resolve_token(settings)
    assert not isinstance(info.value, PermanentFailure)  # the attempt is retried


def test_token_is_never_logged(tmp_path, redis_key, caplog):
    conn, key = redis_key
    conn.set(key, "s3cret-token-value")
    with caplog.at_level(logging.DEBUG):
        assert resolve_token(_settings(siasn_token_redis_key=key)) == "s3cret-token-value"
    assert "s3cret-token-value" not in caplog.text
