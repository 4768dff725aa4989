"""Tracker users: viewer / editor / admin, argon2id password hashes."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from netvigil._errors import InputError
from netvigil.incidents import audit
from netvigil.incidents._base import TrackerBase
from netvigil.incidents.model import (
    ROLES,
    User,
)
from netvigil.incidents.roles import Actor


class TrackerUsers(TrackerBase):
    def create_user(
        self,
        email: str,
        password: str,
        *,
        role: str,
        name: str | None = None,
        actor: Actor | None = None,
    ) -> Actor:
        if role not in ROLES:
            raise InputError(f"role must be one of {', '.join(ROLES)}", field="role")
        if "@" not in email:
            raise InputError("expected an email address", field="email")
        if len(password) < 8:
            raise InputError("password must have at least 8 characters", field="password")
        hashed = self._hasher.hash(password)
        who = actor.name if actor else "cli"

        def work(s: Session) -> Actor:
            if s.scalar(select(User.id).where(User.email == email.lower())) is not None:
                raise InputError(f"user {email} already exists", field="email")
            user = User(email=email.lower(), name=name, role=role, password_hash=hashed)
            s.add(user)
            s.flush()
            audit.append(
                s,
                actor=who,
                action="create",
                entity="user",
                entity_id=user.id,
                detail={"email": user.email, "role": role},
            )
            return Actor(user.email, role, user.id)

        return self._write(work)

    def authenticate(self, email: str, password: str) -> Actor | None:
        """The user's Actor if the password matches (argon2id), else None."""
        from argon2.exceptions import InvalidHashError, VerificationError

        hasher = self._hasher
        with self.session() as s:
            user = s.scalar(select(User).where(User.email == email.lower(), User.active))
        if user is None:
            hasher.hash(password)  # same work either way: do not reveal which emails exist
            return None
        try:
            hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            return None
        return Actor(user.email, user.role, user.id)

    def get_user(self, user_id: int) -> Actor | None:
        with self.session() as s:
            user = s.get(User, user_id)
        return None if user is None or not user.active else Actor(user.email, user.role, user.id)

    def list_users(self) -> list[User]:
        with self.session() as s:
            return list(s.scalars(select(User).order_by(User.id)))
