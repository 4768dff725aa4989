"""The tracker under the security audit's request patterns (M3, M4, M5, M6, L1, L4).

Each test names its finding; each failed on c7f86ae (ten concurrent guesses were all hashed, the
throttle kept a key per user name tried, a saved cookie worked after logout, a large id gave a
500 without security headers...). Where a test needs requests in flight at once it waits on
observable state (a counter, an event), never on time.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner
from web_support import PASSWORD, Seeded, csrf_token, login

from netvigil.cli.main import app as cli
from netvigil.web import _auth
from netvigil.web._cache import PublicPageCache
from netvigil.web._limits import BodyLimit, ExportLimiter
from netvigil.web._security import LOGIN_HASH_SLOTS, LoginThrottle

HEADERS = ("content-security-policy", "x-content-type-options", "x-frame-options")


class _HeldLogins:
    """``tracker.authenticate`` held until released, counting calls and calls in flight."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.calls = self.in_flight = self.most = 0
        self.lock = threading.Lock()
        self.release = threading.Event()

    def __call__(self, email: str, password: str) -> Any:
        with self.lock:
            self.calls += 1
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
        self.release.wait(60)
        with self.lock:
            self.in_flight -= 1
        return self.real(email, password)


def _wait_for(condition: Any, what: str) -> None:
    """Poll observable state (no fixed sleep); the 60 s bound only stops a hung test."""
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.005)


# Audit M3: ten concurrent failed logins from one address were all hashed (limit 5), each with
# 64 MiB of argon2 memory. Now an attempt is counted before hashing and at most
# LOGIN_HASH_SLOTS hashes run at once.
def test_m3_concurrent_guesses_cannot_pass_the_limit_or_the_hash_slots(
    app: FastAPI, client: TestClient, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = _HeldLogins(seeded.tracker.authenticate)
    monkeypatch.setattr(seeded.tracker, "authenticate", held)
    token = csrf_token(client)
    statuses: list[int] = []

    def guess() -> None:
        data = {"username": seeded.editor.name, "password": "wrong", "csrf_token": token}
        statuses.append(client.post("/login", data=data).status_code)

    threads = [threading.Thread(target=guess) for _ in range(10)]
    for thread in threads:
        thread.start()
    # c7f86ae: all ten reach authenticate; now five are refused before hashing.
    _wait_for(lambda: statuses.count(429) >= 5 or held.calls > 5, "5 refusals or a 6th hash")
    held.release.set()
    for thread in threads:
        thread.join()
    assert held.calls <= 5 and statuses.count(429) == 5 and statuses.count(401) == 5
    assert held.most <= LOGIN_HASH_SLOTS


# Audit M4: every lookup created a key, so a throttled address could fill memory with user names.
def test_m4_the_throttle_creates_no_key_for_a_refused_attempt_and_is_bounded() -> None:
    throttle = LoginThrottle(clock=lambda: 0.0, max_keys=100)
    for i in range(5):
        assert throttle.reserve(["ip:10.0.0.1", f"user:u{i}@example.org"]) == 0
    assert len(throttle) == 6
    for i in range(1000):  # refused: the address is at its limit
        assert throttle.reserve(["ip:10.0.0.1", f"user:x{i}@example.org"]) > 0
        assert throttle.retry_after([f"user:y{i}@example.org"]) == 0
    assert len(throttle) == 6
    for i in range(1000):  # many addresses: the oldest keys go first
        throttle.reserve([f"ip:10.1.{i // 250}.{i % 250}"])
    assert len(throttle) == 100


def test_m4_the_login_form_bounds_what_it_reads(client: TestClient, seeded: Seeded) -> None:
    token = csrf_token(client)
    data = {"username": "a" * 500_000 + "@example.org", "password": "x", "csrf_token": token}
    assert client.post("/login", data=data).status_code == 400  # bad input is a 400 site-wide
    throttle = client.app.state.throttle  # type: ignore[attr-defined]
    assert len(throttle) == 0  # refused before the throttle was even asked


async def _small_app(scope: Any, receive: Any, send: Any) -> None:
    body = b"x" * 100_000
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


# Audit M5: 300 requests with junk parameters took the cache to 300 entries of 1 MiB, kept.
def test_m5_the_page_cache_is_bounded_in_bytes_and_normalises_its_key() -> None:
    cache = PublicPageCache(_small_app, version=lambda: 1, max_bytes=1_000_000)
    client = TestClient(cache)
    for i in range(300):
        assert client.get(f"/incidents.json?limit=500&junk={i}").status_code == 200
    assert cache.bytes <= 1_000_000 and len(cache._entries) == 10
    misses = cache.misses
    client.get("/x?b=1&a=2", headers={"accept-language": "zh-TW,zh;q=0.9"})
    client.get("/x?a=2&b=1", headers={"accept-language": "zh-Hant"})
    assert cache.misses == misses + 1 and cache.hits == 1


class _HeldExport:
    def __init__(self) -> None:
        self.started = 0
        self.release: asyncio.Event | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self.release is None:
            self.release = asyncio.Event()
        self.started += 1
        await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"a,b\r\n"})


# Audit M5: 8 concurrent exports from one client kept the server busy for 4.5 s.
def test_m5_exports_run_one_per_client_and_two_at_once() -> None:
    held = _HeldExport()
    limiter = ExportLimiter(held, per_client=1, slots=2)

    async def scenario() -> list[int]:
        statuses: list[int] = []

        async def export(client: str) -> None:
            scope = {"type": "http", "path": "/incidents.csv", "client": (client, 1)}
            sent: list[dict[str, Any]] = []

            async def send(message: dict[str, Any]) -> None:
                sent.append(message)

            await limiter(scope, None, send)  # type: ignore[arg-type]
            statuses.append(sent[0]["status"])

        tasks = [asyncio.create_task(export(c)) for c in ("a", "a", "b", "c")]
        while len(statuses) < 1 or held.started < 2:  # a's second refused, two running
            await asyncio.sleep(0)
        assert statuses == [429] and held.started == 2  # c waits for a free slot
        assert held.release is not None
        held.release.set()
        await asyncio.gather(*tasks)
        return statuses

    assert sorted(asyncio.run(scenario())) == [200, 200, 200, 429]
    assert held.started == 3


def test_m5_a_csv_export_is_streamed_in_pieces() -> None:
    from netvigil.web._render import CSV_CHUNK, csv_response

    rows = [{"a": "x" * 1000, "b": i} for i in range(300)]
    response = csv_response(rows, ["a", "b"])

    async def collect() -> list[bytes]:
        return [bytes(p) async for p in response.body_iterator]  # type: ignore[attr-defined]

    pieces = asyncio.run(collect())
    assert len(pieces) > 1 and all(len(p) <= CSV_CHUNK + 2000 for p in pieces)
    assert b"".join(pieces).count(b"\r\n") == 301


def _create(client: TestClient, title: str) -> int:
    token = csrf_token(client, "/editor/incidents/new")
    data = {"title": title, "country": "India", "start_date": "2024-03-01", "csrf_token": token}
    return client.post("/editor/incidents/new", data=data, follow_redirects=False).status_code


@pytest.fixture
def editor_cookie(client: TestClient, seeded: Seeded) -> Iterator[str]:
    login(client, seeded.editor.name)
    cookie = client.cookies.get("netvigil_session")
    assert cookie
    yield cookie


def _with_cookie(app: FastAPI, cookie: str) -> TestClient:
    replay = TestClient(app, base_url="https://testserver")
    replay.cookies.set("netvigil_session", cookie)
    return replay


# Audit M6: after logout, a saved cookie still worked and created an incident.
def test_m6_logout_revokes_the_saved_cookie(
    app: FastAPI, client: TestClient, seeded: Seeded, editor_cookie: str
) -> None:
    replay = _with_cookie(app, editor_cookie)
    assert replay.get("/editor", follow_redirects=False).status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/editor")})
    assert replay.get("/editor", follow_redirects=False).status_code == 303  # to the login
    before = len(seeded.tracker.list_incidents(public=False))
    assert _create(replay, "replayed after logout") in (303, 401, 403)
    assert len(seeded.tracker.list_incidents(public=False)) == before


@pytest.mark.parametrize("change", ["passwd", "role", "disable"])
def test_m6_password_role_and_disable_end_sessions_and_are_audited(
    app: FastAPI, seeded: Seeded, editor_cookie: str, change: str, db_url: str
) -> None:
    replay = _with_cookie(app, editor_cookie)
    assert replay.get("/editor", follow_redirects=False).status_code == 200
    email = seeded.editor.name
    args = {"passwd": ["passwd", email, "--password-stdin"], "role": ["role", email, "viewer"],
            "disable": ["disable", email]}[change]  # fmt: skip
    result = CliRunner().invoke(
        cli, ["incidents", "user", *args, "--db", db_url], input="another password 1\n"
    )
    assert result.exit_code == 0, result.output
    assert replay.get("/editor", follow_redirects=False).status_code == 303
    verify = CliRunner().invoke(cli, ["incidents", "audit", "verify", "--db", db_url])
    assert verify.exit_code == 0, verify.output
    with seeded.tracker.engine.connect() as con:
        rows = con.execute(text("SELECT action FROM audit_log WHERE entity = 'user'"))
        actions = [row[0] for row in rows]
    assert ("password" if change == "passwd" else change) in actions


def test_m6_a_session_ends_twelve_hours_after_login_however_busy(
    app: FastAPI, seeded: Seeded, editor_cookie: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    replay = _with_cookie(app, editor_cookie)
    assert replay.get("/editor", follow_redirects=False).status_code == 200
    now = time.time()
    monkeypatch.setattr(_auth.time, "time", lambda: now + _auth.SESSION_LIFETIME_S + 1)
    assert replay.get("/editor", follow_redirects=False).status_code == 303


def test_m6_the_user_list_command(seeded: Seeded, db_url: str) -> None:
    result = CliRunner().invoke(cli, ["incidents", "user", "list", "--db", db_url])
    assert result.exit_code == 0, result.output
    assert f"\t{seeded.viewer.name}\tviewer\tactive\t" in result.output


# Audit L1: ids and offsets past 2^63-1 gave 500 (OverflowError), and 500s had no headers.
@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/incidents/99999999999999999999", 404),
        ("/incidents/99999999999999999999.json", 404),
        ("/incidents/99999999999999999999/impact.json", 404),
        ("/legal/99999999999999999999", 404),
        ("/incidents?offset=9223372036854775808", 422),
    ],
)
def test_l1_huge_numbers_are_404_or_422_with_the_headers(
    client: TestClient, url: str, status: int
) -> None:
    response = client.get(url)
    assert response.status_code == status
    assert all(h in response.headers for h in HEADERS)


def test_l1_an_unexpected_error_is_a_500_with_the_headers(
    app: FastAPI, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(seeded.tracker, "list_incidents", broken)
    with TestClient(app, base_url="https://testserver") as fresh:
        response = fresh.get("/incidents.json?country=IN")
    assert response.status_code == 500
    assert response.json() == {"error": {"status": 500, "message": "internal error"}}
    assert all(h in response.headers for h in HEADERS)
    assert "a bug" not in response.text


# Audit L4: a 146 MiB multipart login was parsed before its CSRF token was checked.
def test_l4_a_large_body_is_refused_before_it_is_parsed(client: TestClient) -> None:
    response = client.post(
        "/login", content=b"x" * (2 << 20), headers={"content-type": "multipart/form-data"}
    )
    assert response.status_code == 413  # by its Content-Length, before reading it

    # Sent without a Content-Length (chunked): counted while it arrives.
    read: list[int] = []

    async def reads_everything(scope: Any, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            read.append(len(message.get("body", b"")))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def chunks() -> dict[str, Any]:
        return {"type": "http.request", "body": b"a" * (64 << 10), "more_body": True}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/login", "headers": []}
    asyncio.run(BodyLimit(reads_everything, max_upload_bytes=1 << 20)(scope, chunks, send))
    assert sent[0]["status"] == 413 and sum(read) <= 1 << 20


def test_l4_a_normal_login_still_works(client: TestClient, seeded: Seeded) -> None:
    login(client, seeded.viewer.name, PASSWORD)
    assert client.get("/editor", follow_redirects=False).status_code == 200


# Audit L9: viewers saw reporters' names and contacts; sources are for editors.
def test_l9_viewers_do_not_see_sources(client: TestClient, seeded: Seeded) -> None:
    login(client, seeded.viewer.name)
    page = client.get(f"/editor/incidents/{seeded.published_id}").text
    assert "reporter-name" not in page and "contact" not in page.split("Private sources")[-1][:300]
    assert "source journalist" not in page


def test_l9_editors_still_see_sources(client: TestClient, seeded: Seeded) -> None:
    login(client, seeded.editor.name)
    page = client.get(f"/editor/incidents/{seeded.published_id}").text
    assert "reporter-name" in page and "source journalist" in page
