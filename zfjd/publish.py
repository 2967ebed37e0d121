"""The analysts' copy: the warehouse's analyst-facing schemas, copied into a new DuckDB file and swapped in.

Readers open `DIR/published/warehouse.duckdb` read-only and never block the warehouse's one writer.
A publication is built beside the published file and moved over it with `os.replace` (atomic on one
file system): a reader sees the previous copy or the new one, never half of one. Schemas holding
unmasked data (`raw`, staging, intermediate, snapshots) are never copied. When the new copy holds
exactly what the published one holds (same tables, same rows), the published file is left as it was,
so running the same day again changes nothing.

The copy is the one file under the instance's folder another local user may open: `published/` is
made 0755 and the copy 0444 on purpose, the copy while it is still under its building name (created
0600 by the owner-only mask, so a half-built copy is never readable), then renamed into place.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from quality.privacy import is_private
from zfjd.home import Home, owner_only

PUBLISHED_FOLDER_MODE, PUBLISHED_FILE_MODE = 0o755, 0o444  # analysts read it; nobody writes it in place
PUBLICATION_TABLE = "zfjd_publication"  # in schema main: what was published, as of which day, its fingerprint


@dataclass
class PublishReport:
    path: str
    tables: list[str]
    rows: int
    fingerprint: str
    replaced: bool


def _relations(con, database: str) -> list[tuple[str, str]]:
    rows = con.execute(
        """
        select schema_name, table_name from duckdb_tables() where database_name = ? and not internal
        union
        select schema_name, view_name from duckdb_views() where database_name = ? and not internal
        order by 1, 2
        """,
        [database, database],
    ).fetchall()
    return [(schema, name) for schema, name in rows if not is_private(schema) and name != PUBLICATION_TABLE]


def _fingerprint(con, relations: list[tuple[str, str]]) -> tuple[str, int]:
    digest, total = hashlib.sha256(), 0
    for schema, name in relations:
        columns = con.execute(
            "select column_name, data_type from duckdb_columns() where database_name = current_database() "
            "and schema_name = ? and table_name = ? order by column_index",
            [schema, name],
        ).fetchall()
        count, content = con.execute(f'select count(*), sum(hash(t))::varchar from "{schema}"."{name}" t').fetchone()
        digest.update(f"{schema}.{name}|{columns}|{count}|{content}\n".encode())
        total += count
    return digest.hexdigest(), total


def content_fingerprint(database: Path) -> str:
    """The fingerprint of a warehouse file's analyst-facing tables (what `publish` would publish), read-only."""
    import duckdb

    with duckdb.connect(str(database), read_only=True) as con:
        name = con.execute("select current_database()").fetchone()[0]
        return _fingerprint(con, _relations(con, name))[0]


def published_fingerprint(path: Path) -> str | None:
    import duckdb

    if not path.exists():
        return None
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            row = con.execute(f"select fingerprint from main.{PUBLICATION_TABLE}").fetchone()
    except duckdb.Error:
        return None
    return row[0] if row else None


@owner_only
def publish(home: Home, *, as_of: dt.date | None = None) -> PublishReport:
    """Copies the analyst-facing schemas of the warehouse into a new file and swaps it in atomically."""
    import duckdb

    source, target = home.warehouse, home.published
    if not source.exists():
        raise FileNotFoundError(f"主题库文件不存在：{source}（请先完成主题库构建）")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.parent.chmod(PUBLISHED_FOLDER_MODE)  # the analysts' door, opened on purpose (umask made it 0700)
    staging = target.with_name(f"building-{os.getpid()}.duckdb")
    for leftover in target.parent.glob("building-*.duckdb*"):
        leftover.unlink()  # a publication that was killed half-way: never visible, safe to drop
    with duckdb.connect(str(staging)) as con:
        con.execute("attach ? as zfjd_source (read_only)", [str(source)])
        relations = _relations(con, "zfjd_source")
        for schema in sorted({schema for schema, _ in relations}):
            con.execute(f'create schema if not exists "{schema}"')
        for schema, name in relations:
            con.execute(f'create table "{schema}"."{name}" as select * from zfjd_source."{schema}"."{name}"')
        con.execute("detach zfjd_source")
        fingerprint, rows = _fingerprint(con, relations)
        con.execute(
            f"create table main.{PUBLICATION_TABLE} (as_of date, fingerprint varchar, tables bigint, "
            "rows bigint, published_at timestamptz)"
        )
        con.execute(
            f"insert into main.{PUBLICATION_TABLE} values (?, ?, ?, ?, now())",
            [as_of, fingerprint, len(relations), rows],
        )
        con.execute("checkpoint")
    tables = [f"{schema}.{name}" for schema, name in relations]
    if published_fingerprint(target) == fingerprint:
        staging.unlink()
        return PublishReport(str(target), tables, rows, fingerprint, replaced=False)
    os.chmod(staging, PUBLISHED_FILE_MODE)  # readable by analysts only once complete, read-only on disk too
    os.replace(staging, target)
    return PublishReport(str(target), tables, rows, fingerprint, replaced=True)


def export_review_sample(published: Path, month: str, out_dir: Path) -> list[Path]:
    """The month's 随机抽查 draw (the `mart_review_sample` model draws it, reproducibly) as CSV and XLSX
    for the supervisors; rows of the month when the mart has a month column, else the whole draw."""
    import duckdb

    with duckdb.connect(str(published), read_only=True) as con:
        found = con.execute(
            "select schema_name from duckdb_tables() where table_name = 'mart_review_sample' order by 1"
        ).fetchall()
        if not found:
            raise LookupError(f"已发布的主题库中没有随机抽查表 mart_review_sample：{published}")
        schema = found[0][0]
        columns = [
            r[0]
            for r in con.execute(
                "select column_name from duckdb_columns() where schema_name = ? and table_name = 'mart_review_sample'",
                [schema],
            ).fetchall()
        ]
        month_column = next((c for c in ("sample_month", "draw_month", "review_month", "month") if c in columns), None)
        query = f'select * from "{schema}".mart_review_sample'
        frame = (  # duckdb 2.0: results of execute() have no .pl(); relations from sql() do
            con.sql(f"{query} where cast({month_column} as varchar) like ? order by all", params=[f"{month}%"]).pl()
            if month_column
            else con.sql(f"{query} order by all").pl()
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path, xlsx_path = out_dir / f"随机抽查-{month}.csv", out_dir / f"随机抽查-{month}.xlsx"
    frame.write_csv(csv_path, include_bom=True)
    frame.write_excel(xlsx_path, worksheet="随机抽查")
    return [csv_path, xlsx_path]
