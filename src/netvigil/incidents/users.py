"""Tracker users: viewer / editor / admin, argon2id password hashes, session versions, and the
management commands (disable, enable, role, password), each written to the audit log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from netvigil._errors import InputError, UnknownEntityError
from netvigil.incidents import audit
from netvigil.incidents._base import TrackerBase
from netvigil.incidents.model import (
    ROLES,
    User,
)
from netvigil.incidents.roles import Actor, require


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

    # --- sessions (security audit M6) ---

    def session_version(self, user_id: int) -> int | None:
        """The version a new session of this user carries; None if the user cannot log in."""
        with self.session() as s:
            user = s.get(User, user_id)
        return None if user is None or not user.active else user.session_version

    def session_actor(self, user_id: int, version: Any) -> Actor | None:
        """The session's user, if the account is active and the session is of its current
        version (no logout, password reset, role change or disabling since it started)."""
        with self.session() as s:
            user = s.get(User, user_id)
        if user is None or not user.active or user.session_version != version:
            return None
        return Actor(user.email, user.role, user.id)

    def end_sessions(self, user_id: int) -> None:
        """Revoke every session of the user (logout): not audited, it changes no record."""

        def work(s: Session) -> None:
            s.execute(
                update(User)
                .where(User.id == user_id)
                .values(session_version=User.session_version + 1)
            )

        self._write(work)

    # --- management from the command line, audited ---

    def _change_user(
        self, email: str, actor: Actor, action: str, change: Callable[[User], dict[str, Any]]
    ) -> User:
        require(actor, "admin", f"{action} a user")

        def work(s: Session) -> User:
            user = s.scalar(select(User).where(User.email == email.strip().lower()))
            if user is None:
                raise UnknownEntityError("user", email)
            detail = change(user)
            user.session_version += 1  # every cookie issued before stops working
            audit.append(
                s, actor=actor.name, action=action, entity="user", entity_id=user.id,
                detail={"email": user.email, **detail},
            )  # fmt: skip
            return user

        return self._write(work)

    def set_user_active(self, email: str, active: bool, actor: Actor) -> User:
        """Disable (or re-enable) an account; its sessions end either way."""

        def change(user: User) -> dict[str, Any]:
            user.active = active
            return {"active": active}

        return self._change_user(email, actor, "enable" if active else "disable", change)

    def set_user_role(self, email: str, role: str, actor: Actor) -> User:
        if role not in ROLES:
            raise InputError(f"role must be one of {', '.join(ROLES)}", field="role")

        def change(user: User) -> dict[str, Any]:
            old, user.role = user.role, role
            return {"role": role, "was": old}

        return self._change_user(email, actor, "role", change)

    def set_user_password(self, email: str, password: str, actor: Actor) -> User:
        if len(password) < 8:
            raise InputError("password must have at least 8 characters", field="password")
        hashed = self._hasher.hash(password)

        def change(user: User) -> dict[str, Any]:
            user.password_hash = hashed
            return {}  # the hash is never written to the audit log

        return self._change_user(email, actor, "password", change)
