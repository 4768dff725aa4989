"""The email channel: one message per delivery, plain text and HTML, over SMTP.

SMTP settings (``notify.smtp``): host, port, STARTTLS or implicit TLS, credentials, the From
address; sent with aiosmtplib. Each message carries RFC 8058 one-click unsubscribe headers
(``List-Unsubscribe`` with the subscription's https link, ``List-Unsubscribe-Post:
List-Unsubscribe=One-Click``; a POST of that body to the link ends the subscription at once) and a
``Message-ID`` made from the delivery id (the same on every retry). A refused recipient or sender
(5xx) fails for good; anything else is retried.
"""

from __future__ import annotations

import ssl
from email.message import EmailMessage
from email.utils import format_datetime
from typing import TYPE_CHECKING

from netvigil.notify.channels import DeliveryError
from netvigil.notify.messages import render_email

if TYPE_CHECKING:
    from netvigil._settings import SmtpSettings
    from netvigil.notify.deliveries import Job


def message_of(job: Job, *, sender: str) -> EmailMessage:
    rendered = render_email(job.notification, language=job.language)
    unsubscribe = job.notification["netvigil"]["unsubscribe_url"]
    domain = sender.rpartition("@")[2] or "netvigil.invalid"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = job.target or ""
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(job.planned_at)
    message["Message-ID"] = f"<{job.key}@{domain}>"
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["X-Netvigil-Delivery"] = job.key
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    return message


class Email:
    def __init__(self, smtp: SmtpSettings) -> None:
        self.smtp = smtp

    async def send(self, job: Job) -> None:
        import aiosmtplib

        if not self.smtp.host:
            raise DeliveryError("no SMTP server configured (notify.smtp.host)", permanent=True)
        message = message_of(job, sender=self.smtp.from_address)
        context = None
        if self.smtp.ca_bundle is not None:
            context = ssl.create_default_context(cafile=str(self.smtp.ca_bundle))
        try:
            await aiosmtplib.send(
                message,
                hostname=self.smtp.host,
                port=self.smtp.port,
                username=self.smtp.username,
                password=self.smtp.password,
                use_tls=self.smtp.implicit_tls,
                start_tls=self.smtp.starttls and not self.smtp.implicit_tls,
                timeout=self.smtp.timeout,
                tls_context=context,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refused = "; ".join(f"{e.recipient}: {e.code} {e.message}" for e in exc.recipients)
            raise DeliveryError(
                f"SMTP {self.smtp.host} refused {refused}", permanent=True
            ) from None
        except aiosmtplib.SMTPResponseException as exc:
            raise DeliveryError(
                f"SMTP {self.smtp.host} answered {exc.code}: {exc.message}",
                permanent=500 <= exc.code < 600,
            ) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP {self.smtp.host}: {type(exc).__name__}: {exc}") from None
