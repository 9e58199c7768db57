"""Pure rules behind the login lockout, the redirect check and the CSP (no app, no database)."""
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from app.security.headers import content_security_policy
from app.security.lockout import LockoutPolicy, account_key, address_key, name_key
from app.security.manager import safe_next_url

T0 = datetime(2026, 3, 2, 9, 0, 0)
POLICY = LockoutPolicy(max_failures=5, window=timedelta(minutes=15), duration=timedelta(minutes=15))


def _row():
    return SimpleNamespace(failures=0, window_started_at=None, locked_until=None)


def _fail(row, times, start=T0, step=timedelta(seconds=10)):
    for n in range(times):
        POLICY.register_failure(row, start + n * step)
    return start + (times - 1) * step


def test_five_failures_in_the_window_lock_for_fifteen_minutes():
    row = _row()
    last = _fail(row, 4)
    assert POLICY.locked_until(row, last) is None
    POLICY.register_failure(row, last + timedelta(seconds=10))
    locked = POLICY.locked_until(row, last + timedelta(seconds=10))
    assert locked == last + timedelta(seconds=10) + timedelta(minutes=15)
    assert POLICY.locked_until(row, locked - timedelta(seconds=1)) == locked


def test_the_lock_expires_by_itself_and_counting_starts_again():
    row = _row()
    last = _fail(row, 5)
    after = row.locked_until + timedelta(seconds=1)
    assert POLICY.locked_until(row, after) is None
    POLICY.register_failure(row, after)
    assert row.failures == 1 and POLICY.locked_until(row, after) is None


def test_failures_older_than_the_window_do_not_count():
    row = _row()
    last = _fail(row, 4)
    later = T0 + timedelta(minutes=15)
    POLICY.register_failure(row, later)
    assert row.failures == 1
    assert POLICY.locked_until(row, later) is None
    assert last < later


def test_policy_reads_minutes_or_timedeltas_from_config():
    policy = LockoutPolicy.from_config(
        {"LOGIN_LOCKOUT_MAX_FAILURES": 3, "LOGIN_LOCKOUT_WINDOW": 10, "LOGIN_LOCKOUT_DURATION": timedelta(hours=1)}
    )
    assert policy == LockoutPolicy(3, timedelta(minutes=10), timedelta(hours=1))
    assert LockoutPolicy.from_config({}) == POLICY


def test_lockout_keys_and_addresses_are_normalised_and_bounded():
    assert account_key(42) == "user:42"
    assert name_key("  Admin ") == "name:admin"
    assert name_key(None) == name_key("") == "name:"
    assert len(name_key("x" * 10000)) == 256
    assert name_key("user:42") != account_key(42), "an unknown name never collides with an account"
    assert address_key(None) == "unknown"
    assert len(address_key("a" * 500)) == 64


@pytest.mark.parametrize(
    "target",
    [
        None, "", "http://evil.example/", "https://evil.example", "//evil.example/x", "/\\evil.example",
        "/\\/evil.example", "\\\\evil.example", "https:evil.example", "javascript:alert(1)", "evil.example",
        "/x\r\nLocation: http://evil.example", "\t//evil.example", "/ok\x00", "ftp://localhost/",
        "http://localhost/", "///evil.example",
    ],
)
def test_unsafe_next_targets_fall_back_to_the_default(target):
    assert safe_next_url(target, "/") == "/"


@pytest.mark.parametrize("target", ["/", "/orgunitview/list/", "/orgunitview/list/?_flt_0_name=%E7%94%B2"])
def test_local_paths_are_kept(target):
    assert safe_next_url(target, "/") == target


def test_csp_allows_scripts_only_from_self_and_the_nonce():
    policy = dict(part.split(" ", 1) for part in content_security_policy("abc123").split("; "))
    assert policy["script-src"] == "'self' 'nonce-abc123'"
    assert "unsafe-inline" not in policy["script-src"] and "unsafe-eval" not in policy["script-src"]
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert "http" not in content_security_policy("abc123")  # no CDN or other origin
