"""Subscriptions: bad input refused with a clear error naming the field (unknown entity, bad or
internal webhook URL, bad email address, bad score); managed through the API (bearer tokens,
each seeing only its own) and in the editor area."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from notifykit import notify_settings

from netvigil._errors import InputError, UnknownEntityError
from netvigil.incidents import Actor, Tracker
from netvigil.notify import Subscriptions, check_request
from netvigil.notify.destinations import allow_networks

NO_ALLOW = allow_networks([])


def _check(**data: Any) -> Any:
    base = {"entities": "country:HK", "channel": "webhook", "url": "https://1.1.1.1/hook"}
    return check_request({**base, **data}, allow=NO_ALLOW)


@pytest.mark.parametrize(
    ("entities", "message"),
    [
        ("planet:earth", "must look like country:XX"),
        ("country:JJ", "unknown country 'JJ'"),
        ("country:Hong Kong", "two letters"),
        ("asn:ASfoo", "must look like AS12345"),
        ("service:telegrm", "unknown service 'telegrm'"),
        ("", "name at least one entity"),
    ],
)
def test_unknown_or_malformed_entity(entities: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        _check(entities=entities)
    assert message in info.value.render() and info.value.field == "entities"
    if "telegrm" in entities:
        assert isinstance(info.value, UnknownEntityError)
        assert "telegram" in (info.value.hint or "")  # did you mean


def test_every_entity_kind_is_accepted_and_normalised() -> None:
    request = _check(entities="country:hk asn:4760 region:1473 service:Telegram domain:LIHKG.com")
    assert request.entities == (
        "country:HK",
        "asn:AS4760",
        "region:1473",
        "service:telegram",
        "domain:lihkg.com",
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.org/hook", "must start with https:// or http://"),
        ("not a url", "contains spaces"),
        ("https://", "has no host"),
        ("https://user:pw@1.1.1.1/hook", "must not carry credentials"),
        ("http://1.1.1.1:99999/", "port is not valid"),
        ("http://127.0.0.1:8000/hook", "internal or non-public"),
        ("http://localhost/hook", "internal or non-public"),
        ("http://[::1]/hook", "internal or non-public"),
        ("http://0.0.0.0/hook", "internal or non-public"),
        ("http://[::ffff:127.0.0.1]/hook", "internal or non-public"),
        ("http://10.1.2.3/hook", "internal or non-public"),
        ("http://192.168.1.1/hook", "internal or non-public"),
        ("http://169.254.169.254/latest/meta-data", "internal or non-public"),
        ("http://100.64.0.1/", "internal or non-public"),
        ("http://224.0.0.1/", "internal or non-public"),
        ("http://no-such-host.invalid/hook", "does not resolve"),
    ],
)
def test_bad_or_internal_webhook_url(url: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        _check(url=url)
    assert message in info.value.render() and info.value.field == "url"


def test_internal_destination_only_when_allow_listed() -> None:
    allow = allow_networks(["127.0.0.1/32"])
    data = {"entities": "country:HK", "channel": "webhook", "url": "http://127.0.0.1:9/hook"}
    assert check_request(data, allow=allow).target == "http://127.0.0.1:9/hook"
    with pytest.raises(InputError, match="internal"):
        check_request({**data, "url": "http://127.0.0.2/hook"}, allow=allow)
    with pytest.raises(InputError, match="is not a network"):
        allow_networks(["not-a-network"])


@pytest.mark.parametrize(
    "email",
    ["", "desk", "desk@", "@example.org", "a b@example.org", "desk@example.org\r\nBcc: x@y.z"],
)
def test_bad_email_address(email: str) -> None:
    with pytest.raises(InputError) as info:
        check_request(
            {"entities": "country:HK", "channel": "email", "email": email}, allow=NO_ALLOW
        )
    assert info.value.field == "email" and "is not an email address" in info.value.render()


def test_email_needs_a_configured_server() -> None:
    with pytest.raises(InputError, match="not configured"):
        check_request(
            {"entities": "country:HK", "channel": "email", "email": "a@example.org"},
            allow=NO_ALLOW,
            email_enabled=False,
        )


@pytest.mark.parametrize("score", ["-1", "nan", "inf", "lots", [1]])
def test_bad_score(score: Any) -> None:
    with pytest.raises(InputError) as info:
        _check(min_score=score)
    assert info.value.field == "min_score" and "min" in info.value.render()


def test_bad_kind_channel_secret() -> None:
    with pytest.raises(InputError, match="unknown kind 'blocking'") as info:
        _check(kinds="blocking")
    assert info.value.field == "kinds"
    with pytest.raises(InputError, match="channel must be one of webhook, email, atom"):
        _check(channel="sms")
    with pytest.raises(InputError, match="16 to 200 characters"):
        _check(secret="short")


def test_api_with_bearer_tokens(tmp_path: Path) -> None:
    from netvigil.web import create_app

    settings = notify_settings(tmp_path, webhook_allow=[])
    with Tracker(settings.tracker_url) as tracker:
        subs = Subscriptions(tracker)
        admin = Actor("cli:test", "admin")
        _, newsroom = subs.create_token("newsroom", admin)
        other_row, other = subs.create_token("other desk", admin)
        client = TestClient(create_app(settings, tracker=tracker))
        auth = {"Authorization": f"Bearer {newsroom}"}
        assert client.get("/api/subscriptions").status_code == 401
        bad = client.get("/api/subscriptions", headers={"Authorization": "Bearer nope"})
        assert bad.status_code == 401 and bad.json()["error"]["status"] == 401

        body = {
            "entities": ["country:HK", "service:telegram"],
            "kinds": ["outage"],
            "min_score": 10,
            "channel": "atom",
        }
        made = client.post("/api/subscriptions", json=body, headers=auth)
        assert made.status_code == 201, made.text
        view = made.json()
        assert view["entities"] == ["country:HK", "service:telegram"]
        assert view["feed_url"].endswith(".atom") and "/unsubscribe/" in view["unsubscribe_url"]
        sid = view["id"]

        for wrong, field in (
            ({**body, "entities": ["country:JJ"]}, "entities"),
            ({**body, "channel": "webhook", "url": "http://127.0.0.1/"}, "url"),
            ({**body, "min_score": -3}, "min_score"),
            ({**body, "channel": "email", "email": "nope"}, "channel"),  # no SMTP configured
        ):
            answer = client.post("/api/subscriptions", json=wrong, headers=auth)
            assert answer.status_code == 400, answer.text
            assert f"field '{field}'" in answer.json()["error"]["message"]

        listed = client.get("/api/subscriptions", headers=auth).json()
        from netvigil.web._schemas import Subscription, SubscriptionList

        SubscriptionList.model_validate(listed)  # the shape /docs declares
        Subscription.model_validate(client.get(f"/api/subscriptions/{sid}", headers=auth).json())
        mine = listed["subscriptions"]
        assert [s["id"] for s in mine] == [sid]
        assert "secret" not in mine[0]
        theirs = {"Authorization": f"Bearer {other}"}
        assert client.get("/api/subscriptions", headers=theirs).json()["subscriptions"] == []
        assert client.get(f"/api/subscriptions/{sid}", headers=theirs).status_code == 404
        assert client.delete(f"/api/subscriptions/{sid}", headers=theirs).status_code == 404
        assert client.delete(f"/api/subscriptions/{sid}", headers=auth).status_code == 204
        assert client.get("/api/subscriptions", headers=auth).json()["subscriptions"] == []
        subs.revoke_token(other_row.id, admin)
        assert client.get("/api/subscriptions", headers=theirs).status_code == 401
        entries = [
            e for e in tracker.audit_entries(50) if e.entity in ("subscription", "api_token")
        ]
        assert {e.action for e in entries} >= {"create", "unsubscribe", "revoke"}
        # Tokens are kept as SHA-256 only.
        from netvigil.incidents.notify_tables import ApiToken

        with tracker.session() as s:
            assert all(newsroom not in t.token_sha256 for t in s.query(ApiToken))


def test_editor_area_subscribe_and_unsubscribe(tmp_path: Path) -> None:
    from netvigil.web import create_app

    settings = notify_settings(tmp_path)
    settings.web.secure_cookies = False
    with Tracker(settings.tracker_url) as tracker:
        tracker.create_user("viewer@example.org", "viewer-password", role="viewer")
        client = TestClient(create_app(settings, tracker=tracker))
        page = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        client.post(
            "/login",
            data={
                "username": "viewer@example.org",
                "password": "viewer-password",
                "csrf_token": token,
            },
        )
        page = client.get("/editor/subscriptions")
        assert page.status_code == 200
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        form = {"csrf_token": csrf, "entities": "country:JJ", "channel": "atom", "min_score": "0"}
        refused = client.post("/editor/subscriptions", data=form)
        assert refused.status_code == 400 and "unknown country" in refused.text
        form["entities"] = "country:HK asn:AS4760"
        form["kinds"] = "outage"  # type: ignore[assignment]
        assert client.post("/editor/subscriptions", data=form).status_code == 200  # redirected
        page = client.get("/editor/subscriptions").text
        assert "country:HK, asn:AS4760" in page and ".atom" in page
        [sub] = Subscriptions(tracker).list()
        assert sub.kinds == ["outage"]
        assert client.post(f"/editor/subscriptions/{sub.id}/delete", data={}).status_code == 403
        client.post(f"/editor/subscriptions/{sub.id}/delete", data={"csrf_token": csrf})
        assert Subscriptions(tracker).list() == []
        assert "Create an API token" not in page  # tokens are for editors and admins
        made = client.post("/editor/tokens", data={"csrf_token": csrf, "label": "my script"})
        assert made.status_code == 403
