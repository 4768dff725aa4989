"""The email channel against a real SMTP server run by the test (aiosmtpd): plain text and HTML,
RFC 8058 one-click unsubscribe headers that work, STARTTLS with credentials, and a refused
recipient failing for good."""

from __future__ import annotations

import datetime as dt
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from notifykit import (
    T0,
    Inbox,
    ManualClock,
    blocking,
    free_port,
    measurement,
    notifier,
    notify_settings,
    outage,
    run,
    store_with,
    subscribe,
    tick_and_settle,
)

from netvigil.incidents import Tracker
from netvigil.notify import Subscriptions


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _parts(message: Any) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def test_alert_email_has_text_html_evidence_and_one_click_unsubscribe(
    tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    lines = [
        measurement(
            "dnsBlockingNXDOMAIN",
            cc="HK",
            asn="AS4760",
            url="https://lihkg.com/",
            when=T0 + dt.timedelta(minutes=m),
        )
        for m in (3, 9)
    ]
    url, verdicts = store_with(tmp_path / "store", lines, [blocking(start=T0)])
    settings = notify_settings(
        tmp_path,
        group_wait=0,
        smtp={
            "host": "127.0.0.1",
            "port": port,
            "starttls": False,
            "from_address": "alerts@observatory.example.org",
        },
    )
    clock = ManualClock(T0 + dt.timedelta(minutes=10))
    with Tracker(settings.tracker_url) as tracker:
        sub = subscribe(
            tracker,
            settings.notify,
            entities="domain:lihkg.com",
            channel="email",
            email="desk@newsroom.example",
        )
        n = notifier(settings, tracker, url, clock)
        run(tick_and_settle(n))
        assert [d.status for d in n.ledger.deliveries()] == ["sent"]
        [message] = inbox.messages
        assert inbox.envelopes[0].rcpt_tos == ["desk@newsroom.example"]
        assert message["From"] == "alerts@observatory.example.org"
        assert message["Subject"].startswith("[netvigil] FIRING: Blocking of lihkg.com")
        unsubscribe = f"https://observatory.example.org/unsubscribe/{sub.unsubscribe_token}"
        assert message["List-Unsubscribe"] == f"<{unsubscribe}>"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        key = n.ledger.deliveries()[0]
        assert message["Message-ID"].startswith(f"<nv-s{sub.id}-")
        assert message["X-Netvigil-Delivery"] in message["Message-ID"]
        text, html = _parts(message)
        for uid in (v["measurement_uid"] for v in verdicts):
            assert uid in text and uid in html
        for body in (text, html):
            assert "country:HK/asn:AS4760/domain:lihkg.com" in body
            assert "/events/cusum" in body and unsubscribe in body
        assert "<script" not in html
        assert key.notification["alerts"][0]["labels"]["domain"] == "lihkg.com"

        # The mail client's one-click POST (RFC 8058) ends the subscription at once.
        from netvigil.web import create_app

        client = TestClient(create_app(settings, tracker=tracker))
        path = unsubscribe.removeprefix("https://observatory.example.org")
        assert client.get(path).status_code == 200  # a GET (link scanner) changes nothing
        assert Subscriptions(tracker).get(sub.id).active
        answer = client.post(path, data={"List-Unsubscribe": "One-Click"})
        assert answer.status_code == 200 and "has ended" in answer.text
        assert not Subscriptions(tracker).get(sub.id).active
        assert client.post(path).status_code == 200  # twice is harmless
        assert client.post("/unsubscribe/not-a-token").status_code == 404


def test_zh_hant_email(tmp_path: Path, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    url, _ = store_with(tmp_path / "store", (), [outage("HK", start=T0)])
    settings = notify_settings(
        tmp_path, group_wait=0, smtp={"host": "127.0.0.1", "port": port, "starttls": False}
    )
    with Tracker(settings.tracker_url) as tracker:
        subscribe(
            tracker,
            settings.notify,
            entities="country:HK",
            channel="email",
            email="desk@newsroom.example",
            language="zh_Hant",
        )
        run(tick_and_settle(notifier(settings, tracker, url, ManualClock(T0))))
    [message] = inbox.messages
    assert message["Subject"].startswith("[netvigil] 警報")
    text, _ = _parts(message)
    assert "取消訂閱" in text and "受影響人數與目前成本" in text


def _tls_files(tmp: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with cryptography."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "smtp.pem", tmp / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_starttls_with_credentials_and_a_refused_recipient(tmp_path: Path) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    cert, key = _tls_files(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth: Any) -> Any:
        logins.append((auth.login, auth.password))
        return AuthResult(success=auth.login == b"mailer" and auth.password == b"s3cret-pass")

    class Refusing(Inbox):
        async def handle_RCPT(
            self, server: Any, session: Any, envelope: Any, address: str, options: Any
        ) -> str:
            if address.startswith("gone@"):
                return "550 5.1.1 no such mailbox"
            envelope.rcpt_tos.append(address)
            return "250 OK"

    inbox = Refusing()
    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    )
    controller.start()
    try:
        url, _ = store_with(tmp_path / "store", (), [outage("HK", start=T0)])
        settings = notify_settings(
            tmp_path,
            group_wait=0,
            smtp={
                "host": "127.0.0.1",
                "port": port,
                "starttls": True,
                "username": "mailer",
                "password": "s3cret-pass",
                "ca_bundle": str(cert),
            },
        )
        with Tracker(settings.tracker_url) as tracker:
            subscribe(
                tracker,
                settings.notify,
                entities="country:HK",
                channel="email",
                email="desk@newsroom.example",
            )
            subscribe(
                tracker,
                settings.notify,
                entities="country:HK",
                channel="email",
                email="gone@newsroom.example",
            )
            n = notifier(settings, tracker, url, ManualClock(T0))
            run(tick_and_settle(n))
            rows = {d.subscription_id: d for d in n.ledger.deliveries()}
    finally:
        controller.stop()
    assert logins and logins[0] == (b"mailer", b"s3cret-pass")
    assert len(inbox.messages) == 1 and inbox.envelopes[0].rcpt_tos == ["desk@newsroom.example"]
    statuses = sorted((d.status, d.last_error or "") for d in rows.values())
    assert statuses[0][0] == "failed" and "550" in statuses[0][1]  # refused: not retried
    assert statuses[1] == ("sent", "")
