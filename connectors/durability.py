"""Making many written files durable at once: one flush of the file system instead of one per file.

Intake lands thousands of small files a day (a batch is a few records): an fsync per file and per
folder costs more than writing them. Where a group of files only needs to be durable before something
points at them (a file archived as taken, a watermark moved, a ledger entry committed), they are
written without a flush and `sync_filesystem` is called once before that pointer moves.
"""

from __future__ import annotations

import ctypes
import json
import os
from pathlib import Path

_libc = None


def sync_filesystem(folder: Path) -> None:
    """Flushes everything written to the file system that holds `folder` (Linux `syncfs`; where it
    is missing, `sync`, which flushes every file system)."""
    global _libc
    if _libc is None:
        try:
            _libc = ctypes.CDLL(None, use_errno=True)
            _libc.syncfs  # noqa: B018 - raises AttributeError where there is no syncfs
        except (OSError, AttributeError):
            _libc = False
    if _libc is False:
        os.sync()
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        if _libc.syncfs(descriptor) != 0:
            code = ctypes.get_errno()
            raise OSError(code, f"syncfs {folder}: {os.strerror(code)}")
    finally:
        os.close(descriptor)


def read_whole(path: Path, record: type):
    """A JSON record written in a group, as `record(**fields)`: None when it is absent, or empty, cut short
    or not of that shape — written in a group whose durable point a power loss prevented, so it never
    counted, and what it would record is done again."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        return record(**json.loads(text))
    except (json.JSONDecodeError, TypeError):
        return None
