"""Warehouse checks with great-expectations, on the marts, before anything is published.

GX cannot validate DuckDB through a SQL datasource (see docs/stack-facts.md), so each mart
is read from DuckDB into a pandas frame and validated in an ephemeral context; the Data Docs HTML is
written under `DIR/reports/data-docs/` beside the other reports.

The suites are plain Python and follow the marts' naming conventions, so a new model is checked the
day it appears:

- every `fct_*`/`dim_*`/`mart_*`/`feed_*`/`ops_*` table: its key (the `dbt_scd_id` of an SCD2 dimension,
  else the first `*_id` column) is unique and never null;
- columns ending `_rate`, `_ratio` or `_share`: within [0, 1];
- counts (`*_count`, `n_*`, `*_days`, `received`, `accepted`, `rejected`, `findings`): never negative;
- every text column of the dimensions and feeds: no unmasked 身份证号 (18 characters with a valid
  birth date); a masked number keeps only the ends visible;
- `ops_batch`: received = accepted + rejected on every batch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from quality.privacy import is_private

CHECKED_PREFIXES = ("fct_", "dim_", "mart_", "feed_", "ops_")
RATE = re.compile(r".*_(rate|ratio|share)$")
COUNT = re.compile(r"^(n_.*|.*_count|.*_days|received|accepted|rejected|findings)$")
UNMASKED_RIC = r"^[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]$"
PERSONAL_PREFIXES = ("dim_", "feed_")


@dataclass
class Expectation:
    kind: str  # unique | not_null | between | min_zero | not_unmasked_ric | conserved
    column: str | None = None
    low: float | None = None
    high: float | None = None

    def build(self):
        import great_expectations.expectations as gxe

        if self.kind == "unique":
            return gxe.ExpectColumnValuesToBeUnique(column=self.column)
        if self.kind == "not_null":
            return gxe.ExpectColumnValuesToNotBeNull(column=self.column)
        if self.kind == "between":
            return gxe.ExpectColumnValuesToBeBetween(column=self.column, min_value=self.low, max_value=self.high)
        if self.kind == "min_zero":
            return gxe.ExpectColumnValuesToBeBetween(column=self.column, min_value=0)
        if self.kind == "not_unmasked_ric":
            return gxe.ExpectColumnValuesToNotMatchRegex(column=self.column, regex=UNMASKED_RIC)
        if self.kind == "conserved":
            return gxe.ExpectColumnPairValuesToBeEqual(column_A="received", column_B="accepted_plus_rejected")
        raise ValueError(self.kind)


def suite_for(table: str, columns: dict[str, str]) -> list[Expectation]:
    """The expectations of one mart, from its name and its columns (name → DuckDB type)."""
    names = list(columns)
    expectations: list[Expectation] = []
    key = "dbt_scd_id" if "dbt_scd_id" in names else next((c for c in names if c.endswith("_id")), None)
    if key and (table.startswith(("fct_", "dim_", "feed_")) or key == "batch_id"):
        expectations += [Expectation("unique", key), Expectation("not_null", key)]
    for column, kind in columns.items():
        numeric = any(word in kind.upper() for word in ("INT", "DOUBLE", "DECIMAL", "FLOAT", "REAL", "NUMERIC"))
        if numeric and RATE.match(column):
            expectations.append(Expectation("between", column, 0, 1))
        elif numeric and COUNT.match(column):
            expectations.append(Expectation("min_zero", column))
        if table.startswith(PERSONAL_PREFIXES) and kind.upper() == "VARCHAR":
            expectations.append(Expectation("not_unmasked_ric", column))
    if table == "ops_batch" and {"received", "accepted", "rejected"} <= set(names):
        expectations.append(Expectation("conserved"))
    return expectations


@dataclass
class TableResult:
    table: str
    rows: int
    expectations: int
    failed: list[str] = field(default_factory=list)


@dataclass
class CheckReport:
    tables: list[TableResult]
    docs: str | None

    @property
    def failed(self) -> list[str]:
        return [f"{t.table}: {f}" for t in self.tables for f in t.failed]

    @property
    def expectations(self) -> int:
        return sum(t.expectations for t in self.tables)


def checked_tables(con) -> list[tuple[str, str]]:
    """(schema, table) of every analyst-facing mart in a DuckDB connection."""
    rows = con.execute(
        """
        select schema_name, table_name from duckdb_tables() where not internal
        union select schema_name, view_name from duckdb_views() where not internal
        order by 2, 1
        """
    ).fetchall()
    return [(s, t) for s, t in rows if t.startswith(CHECKED_PREFIXES) and not is_private(s)]


def check_warehouse(database: Path, docs_dir: Path | None = None) -> CheckReport:
    """Validates every mart of the DuckDB file; writes Data Docs HTML to `docs_dir` when given."""
    import os

    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")  # no network: nothing is sent anywhere
    import duckdb
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    if docs_dir is not None:
        docs_dir.mkdir(parents=True, exist_ok=True)
        context.add_data_docs_site(
            site_name="warehouse",
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    source = context.data_sources.add_pandas("warehouse")
    results: list[TableResult] = []
    # Read-only: the dbt task releases dbt-duckdb's in-process database when it ends (zfjd.warehouse
    # .release_duckdb), so no connection with another configuration is open in this process.
    with duckdb.connect(str(database), read_only=True) as con:
        for schema, table in checked_tables(con):
            columns = dict(
                con.execute(
                    "select column_name, data_type from duckdb_columns() where schema_name = ? and table_name = ? "
                    "order by column_index",
                    [schema, table],
                ).fetchall()
            )
            expectations = suite_for(table, columns)
            frame = con.execute(f'select * from "{schema}"."{table}"').df()
            if any(e.kind == "conserved" for e in expectations):
                frame["accepted_plus_rejected"] = frame["accepted"] + frame["rejected"]
            result = TableResult(table, len(frame), len(expectations))
            results.append(result)
            if not expectations:
                continue
            # Given whole: a suite already in the store writes itself out again on every add_expectation
            # (quadratic in a table's expectations, a quarter of the checks' time).
            suite = context.suites.add(
                gx.ExpectationSuite(name=table, expectations=[expectation.build() for expectation in expectations])
            )
            batch = source.add_dataframe_asset(name=table).add_batch_definition_whole_dataframe("all")
            definition = context.validation_definitions.add(
                gx.ValidationDefinition(name=table, data=batch, suite=suite)
            )
            # No per-table checkpoint action: rebuilding the Data Docs site after every table costs
            # O(tables²); the site is built once below from the stored results.
            # BASIC: the unexpected count and a few unexpected values, which the failures and the Data
            # Docs show; GX's default (SUMMARY) also counts and indexes the unexpected values, a sixth
            # of the checks' time on a day where nothing is unexpected.
            outcome = definition.run(batch_parameters={"dataframe": frame}, result_format="BASIC")
            for item in outcome.results:
                if not item.success:
                    config = item.expectation_config
                    column = config.kwargs.get("column") or ""
                    unexpected = (item.result or {}).get("unexpected_count")
                    result.failed.append(f"{config.type}({column}) unexpected={unexpected}")
    if docs_dir is not None:
        context.build_data_docs(site_names=["warehouse"])
    index = docs_dir / "index.html" if docs_dir is not None else None
    return CheckReport(results, str(index) if index is not None and index.exists() else None)
