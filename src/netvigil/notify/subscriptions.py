"""Subscriptions and API tokens, checked before anything is stored.

A subscription belongs to an editor-area user or to an API token, and asks for entities (any kind
of the entity catalogue: ``country:HK``, ``asn:AS4760``, ``region:...``, ``service:telegram``,
``domain:lihkg.com``), kinds of notice (``outage``, ``blocking_began``, ``blocking_ended``,
``platform_outage``) and a minimum score, through one channel: a webhook URL (with an optional
HMAC secret), an email address, or an Atom feed of its own. Each has two opaque random tokens:
one in every notification's unsubscribe link, one naming its feed.

Bad input raises :class:`InputError` naming the field: an unknown entity (a country that does not
exist, a service not in the catalogue), a webhook URL that is malformed or internal
(:mod:`netvigil.notify.destinations`), an email address that is not one, a score that is not a
finite number >= 0.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from netvigil._errors import InputError, PermissionDeniedError, UnknownEntityError
from netvigil.incidents import audit
from netvigil.incidents.notify_tables import CHANNELS, EVENT_KINDS, ApiToken, Subscription
from netvigil.models.entities import Entity
from netvigil.notify.alerts import Filter
from netvigil.notify.destinations import Network, check_url

if TYPE_CHECKING:
    from netvigil.incidents import Actor, Tracker

LANGUAGES = ("en", "zh_Hant")
MAX_ENTITIES = 50


@dataclass(frozen=True)
class Owner:
    """Who a subscription belongs to: a tracker user or an API token."""

    user_id: int | None = None
    token_id: int | None = None
    name: str = ""  # for the audit log: the user's email or "token:<label>"

    def __post_init__(self) -> None:
        if (self.user_id is None) == (self.token_id is None):
            raise ValueError("an owner is a user or a token")


def user_assigned(code: str) -> bool:
    """ISO 3166's user-assigned codes (AA, QM-QZ, XA-XZ, ZZ): OONI's ZZ, and the lab's networks
    (XA, XB...) use them; a deployment may too."""
    code = code.upper()
    return code in ("AA", "ZZ") or (code[0] == "Q" and "M" <= code[1] <= "Z") or code[0] == "X"


def known_country(code: str) -> bool:
    from netvigil.models import countries

    return countries.lookup(code) is not None or user_assigned(code)


def check_entity(text: str) -> str:
    """One entity, normalised, that the catalogue knows; InputError / UnknownEntityError."""
    from netvigil.models.catalogue import load_catalogue

    entity = Entity.parse(text)
    if entity.kind == "country" and not known_country(entity.code):
        raise UnknownEntityError("country", entity.code)
    if entity.kind == "service":
        load_catalogue().get(entity.code)  # UnknownEntityError with the closest names
    return str(entity)


def check_entities(values: Iterable[str]) -> tuple[str, ...]:
    cleaned = [v.strip() for v in values if v and v.strip()]
    if not cleaned:
        raise InputError(
            "name at least one entity, e.g. country:HK, asn:AS4760 or service:telegram",
            field="entities",
        )
    if len(cleaned) > MAX_ENTITIES:
        raise InputError(f"at most {MAX_ENTITIES} entities", field="entities")
    out = []
    for value in cleaned:
        try:
            out.append(check_entity(value))
        except InputError as exc:
            exc.field = "entities"
            raise
    return tuple(dict.fromkeys(out))


def check_kinds(values: Iterable[str]) -> tuple[str, ...]:
    kinds = tuple(dict.fromkeys(v.strip() for v in values if v and v.strip()))
    if not kinds:
        return EVENT_KINDS
    unknown = [k for k in kinds if k not in EVENT_KINDS]
    if unknown:
        raise InputError(
            f"unknown kind {unknown[0]!r}: expected {', '.join(EVENT_KINDS)}", field="kinds"
        )
    return kinds


def check_score(value: Any) -> float:
    try:
        score = float(value if value not in (None, "") else 0)
    except (TypeError, ValueError):
        raise InputError(f"minimum score {value!r} is not a number", field="min_score") from None
    if not math.isfinite(score) or score < 0:
        raise InputError(
            f"minimum score must be a finite number >= 0, got {value!r}", field="min_score"
        )
    return score


def check_email(value: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    try:
        found = validate_email((value or "").strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InputError(f"{value!r} is not an email address: {exc}", field="email") from None
    return str(found.normalized)


@dataclass(frozen=True)
class SubscriptionRequest:
    """A subscription as checked, ready to store."""

    name: str
    entities: tuple[str, ...]
    kinds: tuple[str, ...]
    min_score: float
    channel: str
    target: str | None
    secret: str | None
    language: str


def check_request(
    data: Mapping[str, Any], *, allow: Sequence[Network], email_enabled: bool = True
) -> SubscriptionRequest:
    """A subscription from form or API fields, every field checked."""
    channel = str(data.get("channel") or "").strip()
    if channel not in CHANNELS:
        raise InputError(f"channel must be one of {', '.join(CHANNELS)}", field="channel")
    entities = data.get("entities") or ()
    if isinstance(entities, str):
        entities = entities.replace(",", " ").split()
    kinds = data.get("kinds") or ()
    if isinstance(kinds, str):
        kinds = kinds.replace(",", " ").split()
    checked_entities = check_entities(entities)
    target: str | None = None
    secret = str(data.get("secret") or "").strip() or None
    if channel == "webhook":
        check_url(str(data.get("url") or data.get("target") or ""), allow)
        target = str(data.get("url") or data.get("target")).strip()
        if secret is not None and not 16 <= len(secret) <= 200:
            raise InputError("the HMAC secret must have 16 to 200 characters", field="secret")
    elif secret is not None:
        raise InputError("only webhooks are signed", field="secret")
    if channel == "email":
        if not email_enabled:
            raise InputError(
                "email alerts are not configured on this deployment",
                field="channel",
                hint="set notify.smtp.host",
            )
        target = check_email(str(data.get("email") or data.get("target") or ""))
    language = str(data.get("language") or "en")
    if language not in LANGUAGES:
        raise InputError(f"language must be one of {', '.join(LANGUAGES)}", field="language")
    name = str(data.get("name") or "").strip()[:200] or ", ".join(checked_entities)[:200]
    return SubscriptionRequest(
        name=name,
        entities=checked_entities,
        kinds=check_kinds(kinds),
        min_score=check_score(data.get("min_score")),
        channel=channel,
        target=target,
        secret=secret,
        language=language,
    )


def filter_of(sub: Subscription) -> Filter:
    return Filter(tuple(sub.entities or ()), frozenset(sub.kinds or ()), float(sub.min_score))


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Subscriptions:
    """Subscriptions and API tokens in the tracker's database (every write audited)."""

    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker

    # --- API tokens ---

    def create_token(self, label: str, actor: Actor) -> tuple[ApiToken, str]:
        """A new token (shown once: only its SHA-256 is kept). Editors and admins may."""
        from netvigil.incidents.roles import require

        require(actor, "editor", "create API tokens")
        label = (label or "").strip()[:200]
        if not label:
            raise InputError("a token needs a label saying whose it is", field="label")
        secret = "nvt_" + secrets.token_urlsafe(32)

        def work(s: Any) -> ApiToken:
            row = ApiToken(label=label, token_sha256=token_digest(secret), created_by=actor.name)
            s.add(row)
            s.flush()
            audit.append(s, actor=actor.name, action="create", entity="api_token",
                         entity_id=row.id, detail={"label": label})  # fmt: skip
            return row

        return self.tracker._write(work), secret

    def token_owner(self, token: str | None) -> Owner | None:
        if not token:
            return None
        with self.tracker.session() as s:
            row = s.scalar(
                select(ApiToken).where(
                    ApiToken.token_sha256 == token_digest(token), ApiToken.revoked_at.is_(None)
                )
            )
        return None if row is None else Owner(token_id=row.id, name=f"token:{row.label}")

    def revoke_token(self, token_id: int, actor: Actor) -> None:
        from netvigil.incidents.roles import require

        require(actor, "admin", "revoke API tokens")

        def work(s: Any) -> None:
            row = s.get(ApiToken, token_id)
            if row is None:
                raise UnknownEntityError("API token", str(token_id))
            row.revoked_at = dt.datetime.now(dt.UTC)
            audit.append(s, actor=actor.name, action="revoke", entity="api_token",
                         entity_id=token_id, detail={})  # fmt: skip

        self.tracker._write(work)

    # --- subscriptions ---

    def create(self, request: SubscriptionRequest, owner: Owner) -> Subscription:
        def work(s: Any) -> Subscription:
            row = Subscription(
                user_id=owner.user_id,
                token_id=owner.token_id,
                name=request.name,
                entities=list(request.entities),
                kinds=list(request.kinds),
                min_score=request.min_score,
                channel=request.channel,
                target=request.target,
                secret=request.secret,
                language=request.language,
                unsubscribe_token=secrets.token_urlsafe(32),
                feed_token=secrets.token_urlsafe(32),
                active=True,
            )
            s.add(row)
            s.flush()
            # The target (an address, a URL) stays out of the audit detail: it is personal.
            audit.append(
                s, actor=owner.name, action="create", entity="subscription", entity_id=row.id,
                detail={"entities": row.entities, "kinds": row.kinds, "channel": row.channel},
            )  # fmt: skip
            return row

        return self.tracker._write(work)

    def list(self, owner: Owner | None = None, *, active: bool | None = True) -> list[Subscription]:
        query = select(Subscription).order_by(Subscription.id)
        if owner is not None:
            query = query.where(
                Subscription.user_id == owner.user_id
                if owner.user_id is not None
                else Subscription.token_id == owner.token_id
            )
        if active is not None:
            query = query.where(Subscription.active.is_(active))
        with self.tracker.session() as s:
            return list(s.scalars(query))

    def get(self, subscription_id: int, owner: Owner | None = None) -> Subscription:
        with self.tracker.session() as s:
            row = s.get(Subscription, subscription_id)
        if row is None or (owner is not None and not _owns(owner, row)):
            raise UnknownEntityError("subscription", str(subscription_id))
        return row

    def by_feed_token(self, token: str) -> Subscription | None:
        with self.tracker.session() as s:
            return s.scalar(
                select(Subscription).where(
                    Subscription.feed_token == token, Subscription.active.is_(True)
                )
            )

    def by_unsubscribe_token(self, token: str) -> Subscription | None:
        with self.tracker.session() as s:
            return s.scalar(select(Subscription).where(Subscription.unsubscribe_token == token))

    def unsubscribe(self, subscription_id: int, *, by: str, owner: Owner | None = None) -> bool:
        """End a subscription (its pending deliveries are cancelled); False if it had ended."""
        from netvigil.incidents.notify_tables import Delivery

        def work(s: Any) -> bool:
            row = s.get(Subscription, subscription_id)
            if row is None or (owner is not None and not _owns(owner, row)):
                raise UnknownEntityError("subscription", str(subscription_id))
            if not row.active:
                return False
            row.active = False
            row.unsubscribed_at = dt.datetime.now(dt.UTC)
            for delivery in s.scalars(
                select(Delivery).where(
                    Delivery.subscription_id == row.id, Delivery.status == "pending"
                )
            ):
                delivery.status = "cancelled"
                delivery.last_error = "unsubscribed"
            audit.append(s, actor=by, action="unsubscribe", entity="subscription",
                         entity_id=row.id, detail={})  # fmt: skip
            return True

        return bool(self.tracker._write(work))


def _owns(owner: Owner, row: Subscription) -> bool:
    if owner.user_id is not None:
        return row.user_id == owner.user_id
    if owner.token_id is not None:
        return row.token_id == owner.token_id
    raise PermissionDeniedError("no owner")


def public_view(row: Subscription, *, base_url: str) -> dict[str, Any]:
    """A subscription as its owner sees it (never the HMAC secret)."""
    base = base_url.rstrip("/")
    return {
        "id": row.id,
        "name": row.name,
        "entities": list(row.entities or ()),
        "kinds": list(row.kinds or ()),
        "min_score": row.min_score,
        "channel": row.channel,
        "target": row.target,
        "signed": bool(row.secret),
        "language": row.language,
        "active": row.active,
        "feed_url": f"{base}/feeds/subscriptions/{row.feed_token}.atom",
        "unsubscribe_url": f"{base}/unsubscribe/{row.unsubscribe_token}",
        "created_at": row.created_at.isoformat() if row.created_at else None,
    }
