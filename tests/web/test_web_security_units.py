"""The building blocks of the editor area's security: CSRF tokens, login throttle, secret key."""

from __future__ import annotations

import stat
from pathlib import Path

from netvigil.web._security import CsrfGuard, LoginThrottle, load_secret_key


def test_csrf_token_verifies_only_in_its_own_session() -> None:
    guard = CsrfGuard("k" * 32)
    alice: dict[str, object] = {}
    mallory: dict[str, object] = {}
    token = guard.token(alice)
    assert guard.verify(alice, token)
    guard.token(mallory)
    assert not guard.verify(mallory, token)  # a token lifted from another session is refused
    assert not guard.verify(alice, None)
    assert not guard.verify(alice, token + "x")
    assert not guard.verify({}, token)  # no session seed at all


def test_csrf_token_signed_with_another_key_is_refused() -> None:
    session: dict[str, object] = {}
    token = CsrfGuard("a" * 32).token(session)
    assert not CsrfGuard("b" * 32).verify(session, token)


def test_throttle_blocks_after_five_failures_and_forgets_after_the_window() -> None:
    now = [1000.0]
    throttle = LoginThrottle(clock=lambda: now[0])
    keys = ["ip:10.0.0.1", "user:alice"]
    for _ in range(4):
        throttle.failed(keys)
    assert throttle.retry_after(keys) == 0
    throttle.failed(keys)
    assert 299 < throttle.retry_after(keys) <= 300
    # Another account from the same address is blocked too (per-IP counter) ...
    assert throttle.retry_after(["ip:10.0.0.1", "user:bob"]) > 0
    # ... but the same account from elsewhere is also blocked (per-user counter).
    assert throttle.retry_after(["ip:10.9.9.9", "user:alice"]) > 0
    now[0] += 301
    assert throttle.retry_after(keys) == 0


def test_successful_login_clears_the_account_but_not_the_address() -> None:
    throttle = LoginThrottle(clock=lambda: 0.0)
    for _ in range(5):
        throttle.failed(["ip:10.0.0.1", "user:alice"])
    throttle.succeeded(["ip:10.0.0.1", "user:alice"])
    assert throttle.retry_after(["user:alice"]) == 0
    assert throttle.retry_after(["ip:10.0.0.1"]) > 0


def test_generated_secret_key_is_private_and_stable(tmp_path: Path) -> None:
    first = load_secret_key(None, tmp_path)
    assert len(first) >= 32
    assert load_secret_key(None, tmp_path) == first
    mode = stat.S_IMODE((tmp_path / "web-secret-key").stat().st_mode)
    assert mode == 0o600
    assert load_secret_key("configured-key", tmp_path) == "configured-key"


def test_concurrent_first_starts_agree_on_one_key(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: load_secret_key(None, tmp_path), range(16)))
    assert len(keys) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["web-secret-key"]
