"""Files and directories that only their owner may read (security audit M8).

The tracker database holds reporters' names and contacts, internal notes, editor emails and
password hashes; the store holds measurements not yet published; evidence documents may name
sources. They were created 0644 in a 0755 data directory, readable by every local user. These
helpers create them 0600 / 0700 whatever the process umask, without changing the umask (a
process-wide setting other threads would see). An existing database file that others can read
is tightened on open; existing directories are left as their owner set them.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TextIO, cast

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: Path) -> Path:
    """``path`` and its missing parents, the created ones owner-only; returns ``path``."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            continue
        os.chmod(directory, PRIVATE_DIR)  # mkdir's mode is filtered by the umask
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty and owner-only if it does not exist; tighten it if others may read
    it and this process owns it. Returns ``path``."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        info = path.stat()
        if stat.S_IMODE(info.st_mode) & 0o077 and info.st_uid == os.geteuid():
            os.chmod(path, stat.S_IMODE(info.st_mode) & 0o700)
        return path
    os.close(fd)
    return path


def open_private(path: Path, *, newline: str | None = None) -> TextIO:
    """``path`` opened for writing text (truncated), created owner-only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    return cast(TextIO, os.fdopen(fd, "w", encoding="utf-8", newline=newline))
