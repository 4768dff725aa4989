"""Alert channels: one module each (``webhook``, ``email``); the Atom feeds are pulled, not
sent (:mod:`netvigil.notify.feeds`). A channel sends one delivery of the log (its payload is
Alertmanager's webhook format, :mod:`netvigil.notify.payload`) and raises
:class:`DeliveryError` when it could not; ``permanent`` failures are not retried.

A new channel is a module here with a class implementing :class:`Channel`, registered by its
name in :func:`netvigil.notify.dispatcher.default_channels`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from netvigil.notify.deliveries import Job


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


class Channel(Protocol):
    async def send(self, job: Job) -> None:
        """Deliver ``job`` or raise DeliveryError."""
        ...


__all__ = ["Channel", "DeliveryError"]
