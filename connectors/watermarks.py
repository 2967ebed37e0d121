"""How far each unit × entity × channel has been pulled, advanced only once a batch is durably landed.

Airflow 3 manual and asset-triggered runs may carry no data interval, so the pull window is never taken
from the run alone: it starts at the stored watermark. The store is a small SQLite file under the
landing root (one writer: the pulling task for that key). A crash after landing and before advancing
leaves the old watermark; the re-run pulls the same window again, lands the same content as the same
batch (no new rows), and then advances.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class WatermarkKey:
    unit: str
    entity: str
    channel: str


class WatermarkStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One connection for the store's life: opening one per call cost more than the call itself, and
        # a group of units asks twice per unit and entity. Each advance is still its own transaction,
        # on disk (synchronous=FULL) before it returns.
        self._connection = self._connect()
        self._lock = threading.Lock()
        with self._connection as connection:
            connection.execute(
                "CREATE TABLE IF NOT EXISTS watermark (unit TEXT NOT NULL, entity TEXT NOT NULL, "
                "channel TEXT NOT NULL, position TEXT NOT NULL, batch_id TEXT, updated_at TEXT NOT NULL, "
                "PRIMARY KEY (unit, entity, channel))"
            )

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        # Two processes opening a new store at once (intake tasks or workers side by side) both switch it to
        # WAL; SQLite answers the second "locked" at once, without waiting for its busy timeout.
        deadline = time.monotonic() + 30
        while True:
            try:
                connection.execute("PRAGMA journal_mode=WAL")
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    connection.close()
                    raise
                time.sleep(0.02)
        connection.execute("PRAGMA synchronous=FULL")
        return connection

    def get(self, key: WatermarkKey) -> str | None:
        with self._lock:
            row = self._connection.execute(
                "SELECT position FROM watermark WHERE unit = ? AND entity = ? AND channel = ?",
                (key.unit, key.entity, key.channel),
            ).fetchone()
        return row[0] if row else None

    def advance(self, key: WatermarkKey, position: str, batch_id: str | None) -> None:
        """Moves the watermark forward to `position` (never back: a late, older batch changes nothing).

        Positions are compared as text, so they must sort in time order (ISO timestamps, zero-padded
        offsets).
        """
        with self._lock, self._connection as connection:
            connection.execute(
                "INSERT INTO watermark (unit, entity, channel, position, batch_id, updated_at) "
                "VALUES (?, ?, ?, ?, ?, datetime('now')) "
                "ON CONFLICT (unit, entity, channel) DO UPDATE SET position = excluded.position, "
                "batch_id = excluded.batch_id, updated_at = excluded.updated_at "
                "WHERE excluded.position > watermark.position",
                (key.unit, key.entity, key.channel, position, batch_id),
            )

    def close(self) -> None:
        self._connection.close()
