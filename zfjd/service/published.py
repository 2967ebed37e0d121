"""The analysts' published copy as the service reads it: read-only, and the newest one on every request.

`zfjd/publish.py` swaps a new copy in with `os.replace`, so the path names a new file after each
publication. One connection is kept per file (opening one per request would cost more than the
query); each request takes its own cursor from it, and when the path names another file the next
request opens that one. Requests still running on the old file finish on it.

The copy is attached to a fresh in-memory database rather than opened with `duckdb.connect(path)`:
DuckDB's Python client caches databases by path, and a cached instance of the replaced file would
keep answering with the old data.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from zfjd.service.in_memory import LibrariesInMemory
from zfjd.service.libraries import CATALOG


class NotPublished(Exception):
    """No published copy yet (the daily cycle has not published one)."""


@dataclass(frozen=True)
class Snapshot:
    identity: tuple[int, int, int]
    connection: object
    fingerprint: str
    as_of: str | None
    libraries: LibrariesInMemory


def _open(path: Path, identity: tuple[int, int, int]) -> Snapshot:
    import duckdb

    connection = duckdb.connect(":memory:")
    connection.execute(f"attach ? as {CATALOG} (read_only)", [str(path)])
    row = connection.execute(
        f"select fingerprint, cast(as_of as varchar) from {CATALOG}.main.zfjd_publication"
    ).fetchone()
    fingerprint, as_of = row if row else ("", None)
    return Snapshot(identity, connection, fingerprint, as_of, LibrariesInMemory.load(connection))


class PublishedCopy:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._current: Snapshot | None = None

    def _identity(self) -> tuple[int, int, int]:
        try:
            info = os.stat(self._path)
        except FileNotFoundError as exc:
            raise NotPublished from exc
        return info.st_ino, info.st_mtime_ns, info.st_size

    def fresh(self) -> Snapshot | None:
        """The copy already open when the path still names it; None when a new one has to be opened (which
        reads the libraries into memory: an async caller does that on a worker thread, not its loop)."""
        current = self._current
        return current if current is not None and current.identity == self._identity() else None

    def snapshot(self) -> Snapshot:
        identity = self._identity()
        current = self._current
        if current is not None and current.identity == identity:
            return current
        with self._lock:
            if self._current is None or self._current.identity != identity:
                self._current = _open(self._path, identity)
            return self._current

    def cursor(self):
        """A cursor on the newest copy, with the copy's fingerprint (a paging cursor is valid on one copy)."""
        snapshot = self.snapshot()
        with self._lock:  # a connection is not thread-safe; its cursors are, one thread each
            return snapshot.connection.cursor(), snapshot
