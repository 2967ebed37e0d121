"""Which schemas of the warehouse hold unmasked personal data (ARCHITECTURE.md invariant 7).

Named here, below both the warehouse checks (quality/expectations.py) and the publisher (zfjd/publish.py),
so the two agree on what an analyst may see without the lower layer importing the higher one.
"""

from __future__ import annotations

import re

# A schema is private when one of these is among the words of its name (`raw`, `main_staging`, …):
# they hold unmasked personal data or intermediate forms of it.
PRIVATE_WORDS = frozenset({"raw", "staging", "stg", "intermediate", "int", "snapshot", "snapshots"})
SYSTEM_SCHEMAS = frozenset({"information_schema", "pg_catalog"})


def is_private(schema: str) -> bool:
    return schema in SYSTEM_SCHEMAS or bool(PRIVATE_WORDS & set(re.split(r"[_\W]+", schema.lower())))
