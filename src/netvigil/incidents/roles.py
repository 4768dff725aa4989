"""Who may do what in the tracker: roles, the status workflow, and the checks the repository
applies before every write (pure: no database)."""

from __future__ import annotations

from dataclasses import dataclass

from netvigil._errors import PermissionDeniedError
from netvigil.incidents.model import ROLES, Incident

# Allowed status moves. Everything may be withdrawn (safety beats "never delete"); a withdrawn
# incident can be reopened as reported.
# A draft that is not an incident is dismissed (with a reason, Tracker.dismiss) and can be reopened.
TRANSITIONS: dict[str, frozenset[str]] = {
    "reported": frozenset({"corroborated", "withdrawn", "dismissed"}),
    "corroborated": frozenset({"verified", "reported", "withdrawn", "dismissed"}),
    "verified": frozenset({"published", "corroborated", "withdrawn"}),
    "published": frozenset({"withdrawn"}),
    "withdrawn": frozenset({"reported"}),
    "dismissed": frozenset({"reported"}),
}
ADMIN_ONLY_STATUSES = frozenset({"published"})


@dataclass(frozen=True)
class Actor:
    """Who acts: a tracker user (``user_id`` set) or the local operator of the CLI."""

    name: str  # the user's email, or "cli:<login>"
    role: str  # ROLES
    user_id: int | None = None

    def can(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


def require(actor: Actor, role: str, what: str) -> None:
    if not actor.can(role):
        raise PermissionDeniedError(f"{actor.name} ({actor.role}) may not {what}: needs {role}")


def guard_published(incident: Incident, actor: Actor) -> None:
    if incident.status == "published":
        require(actor, "admin", "change a published incident")
