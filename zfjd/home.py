"""Where one instance keeps everything: the layout of `--home DIR`, which other tools read.

    DIR/province/                 the simulated province (zfjd simulate): units.yaml, reference/, drop/, push/, …
    DIR/landing/                  batches as received (connectors/landing.py) and the watermarks
    DIR/lake/                     validated batches: accepted/, rejected/, issues/, ledger/ (zfjd/lake.py)
    DIR/warehouse/warehouse.duckdb  the warehouse, written by the dbt step only
    DIR/published/warehouse.duckdb  the analysts' read-only copy, swapped in atomically after checks
    DIR/reports/                  per-unit feedback, the monthly 通报, dbt docs and GX Data Docs
    DIR/airflow/                  AIRFLOW_HOME of the embedded default (SQLite metadata)

Who may read what (ARCHITECTURE.md invariant 7): everything under DIR holds personal data or is derived
from it and is its owner's only — folders 0700, files 0600, created that way by the process umask
(`keep_private`), never loosened and tightened after. Two exceptions, on purpose: DIR itself is 0711
when zfjd creates it (others may pass through, not list), and `published/` is 0755 with the analysts'
copy 0444 in it (zfjd/publish.py).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ParamSpec, TypeVar

DEFAULT_HOME = Path("var/zfjd")
HOME_ENV = "ZFJD_HOME"
PRIVATE_UMASK = 0o077  # group and others get no bit of anything this process creates
ROOT_MODE = 0o711  # others may pass through DIR to published/, not list it
PRIVATE_FOLDER_MODE = 0o700
SECRET_MODE = 0o600

P = ParamSpec("P")
R = TypeVar("R")


def keep_private() -> None:
    """From now on this process creates files 0600 and folders 0700 (whatever library creates them:
    DuckDB, polars, SQLite, dbt, Airflow's logs). Kept for the life of the process: a thread still writing
    after a step returned must not fall back to a looser mask. A stricter mask already set stays."""
    previous = os.umask(PRIVATE_UMASK)
    os.umask(previous | PRIVATE_UMASK)


def owner_only(step: Callable[P, R]) -> Callable[P, R]:
    """A step that writes the instance's data: the process mask is private before it creates anything."""

    @functools.wraps(step)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        keep_private()
        return step(*args, **kwargs)

    return wrapper


def write_secret(path: Path, value: str) -> str:
    """Writes a secret to a file created 0600 in the same call (never briefly readable by others), unless
    the file exists; returns the secret the file holds."""
    path.parent.mkdir(mode=PRIVATE_FOLDER_MODE, parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, SECRET_MODE)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(value)
    return value


@dataclass(frozen=True)
class Home:
    root: Path

    @classmethod
    def at(cls, root: Path | str | None = None) -> Home:
        return cls(Path(root or os.environ.get(HOME_ENV) or DEFAULT_HOME).resolve())

    def create(self) -> Home:
        """DIR and its private folders, created with their modes (see the module's docstring). A DIR that
        exists keeps the mode its owner gave it; a private folder left readable by an older zfjd is closed."""
        keep_private()
        if not self.root.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            self.root.chmod(ROOT_MODE)  # the one folder others pass through: the umask would make it 0700
        for folder in (self.province, self.landing, self.lake, self.warehouse.parent, self.reports, self.airflow):
            folder.mkdir(mode=PRIVATE_FOLDER_MODE, exist_ok=True)
            if folder.stat().st_mode & 0o077:
                folder.chmod(PRIVATE_FOLDER_MODE)
        return self

    @property
    def province(self) -> Path:
        return self.root / "province"

    @property
    def reference(self) -> Path:
        return self.province / "reference"

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def watermarks(self) -> Path:
        return self.landing / "watermarks.sqlite"

    @property
    def lake(self) -> Path:
        return self.root / "lake"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse" / "warehouse.duckdb"

    @property
    def published(self) -> Path:
        return self.root / "published" / "warehouse.duckdb"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def airflow(self) -> Path:
        return self.root / "airflow"

    @property
    def state(self) -> Path:
        return self.root / "state"
