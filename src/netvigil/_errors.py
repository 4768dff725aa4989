"""The exception tree of netvigil.

Measurement failures are *data* (OONI failure strings in a measurement), never exceptions.
Exceptions are for program errors and bad input; each knows its exit code and how to print itself,
so the command line shows one clear line instead of a traceback::

    NetvigilError                 exit 1   base of everything netvigil raises on purpose
    ├── ConfigError               exit 2   a settings file or environment value is invalid
    ├── InputError                exit 2   bad user input: names file, line and field when known
    │   └── UnknownEntityError    exit 2   unknown country, scenario, ... (with suggestions)
    ├── EnvironmentProblem        exit 3   missing root, iptables, a writable spool...
    ├── StoreError                exit 4   the analytical store or tracker database failed
    ├── RemoteError               exit 5   a remote service (test helper, upload) answered badly
    └── PermissionDeniedError     exit 6   the acting user may not do this (tracker roles)
"""

from __future__ import annotations

from pathlib import Path


class NetvigilError(Exception):
    """Base of all errors netvigil raises on purpose."""

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def render(self) -> str:
        """The text shown to a person: the message, then the hint if any."""
        return self.message if self.hint is None else f"{self.message}\n  hint: {self.hint}"


class ConfigError(NetvigilError):
    exit_code = 2


class InputError(NetvigilError):
    """Bad input. ``where`` is rendered as ``file:line: field`` in front of the message."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.path = None if path is None else str(path)
        self.line = line
        self.field = field
        super().__init__(message, hint=hint)

    @property
    def where(self) -> str:
        parts = []
        if self.path is not None:
            parts.append(self.path if self.line is None else f"{self.path}:{self.line}")
        elif self.line is not None:
            parts.append(f"line {self.line}")
        if self.field is not None:
            parts.append(f"field {self.field!r}")
        return ": ".join(parts)

    def render(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        return text if self.hint is None else f"{text}\n  hint: {self.hint}"


class UnknownEntityError(InputError):
    """An unknown name; ``suggestions`` are the closest known ones."""

    def __init__(self, kind: str, name: str, suggestions: list[str] | None = None) -> None:
        self.kind = kind
        self.name = name
        self.suggestions = suggestions or []
        hint = f"did you mean: {', '.join(self.suggestions)}?" if self.suggestions else None
        super().__init__(f"unknown {kind} {name!r}", hint=hint)


class EnvironmentProblem(NetvigilError):
    exit_code = 3


class StoreError(NetvigilError):
    exit_code = 4


class RemoteError(NetvigilError):
    exit_code = 5


class PermissionDeniedError(NetvigilError):
    exit_code = 6
