"""Where one instance keeps everything: the layout of `--home DIR`, which other tools read.

    DIR/province/                 the simulated province (zfjd simulate): units.yaml, reference/, drop/, push/, …
    DIR/landing/                  batches as received (connectors/landing.py) and the watermarks
    DIR/lake/                     validated batches: accepted/, rejected/, issues/, ledger/ (quality/lake.py)
    DIR/warehouse/warehouse.duckdb  the warehouse, written by the dbt step only
    DIR/published/warehouse.duckdb  the analysts' read-only copy, swapped in atomically after checks
    DIR/reports/                  per-unit feedback, the monthly 通报, dbt docs and GX Data Docs
    DIR/airflow/                  AIRFLOW_HOME of the embedded default (SQLite metadata)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOME = Path("var/zfjd")
HOME_ENV = "ZFJD_HOME"


@dataclass(frozen=True)
class Home:
    root: Path

    @classmethod
    def at(cls, root: Path | str | None = None) -> Home:
        return cls(Path(root or os.environ.get(HOME_ENV) or DEFAULT_HOME).resolve())

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
