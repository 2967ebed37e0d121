"""What people read: per-unit feedback after each cycle and the monthly 通报 (see docs/analysts.md)."""

from jinja2 import Environment, PackageLoader, select_autoescape


def query_rows(con, sql: str, params: list | None = None) -> list[dict]:
    """A query's rows as dicts keyed by column name (DuckDB or any DB-API connection)."""
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def template_environment() -> Environment:
    """The reports' Jinja templates, HTML autoescaped (values units sent are shown, never interpreted)."""
    return Environment(
        loader=PackageLoader("zfjd.reports", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
