"""Sets up one instance's Superset (run by `zfjd dashboard` in the analytics environment, never imported by
the pipeline): metadata migrations, Superset's own roles, the published copy registered read-only, the
dashboards imported from the bundle, the 省级 / 市级 / 报送单位 / 分析员 roles with row-level security, and
one user per role whose generated password goes to a file only the owner can read.

Usage: python setup_instance.py PUBLISHED_DB BUNDLE_DIR PASSWORDS_FILE
(SUPERSET_CONFIG_PATH names the instance's superset_config.py). Safe to run again: every object is found
by its name or uuid and brought to what is written here; passwords already given are kept.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import time
from pathlib import Path

import duckdb
import yaml

PROVINCE_ROLE = "省级"
ANALYST_ROLE = "分析员"
CITY_ROLE_PREFIX = "市级-"
UNIT_ROLE_PREFIX = "报送单位-"
VIEWER_BASE_ROLE = "Gamma"  # Superset's own read-mostly role: dashboards and charts, no SQL Lab, no admin
DATABASE_PLACEHOLDER = "__ZFJD_PUBLISHED__"


def step(message: str, started: float) -> None:
    print(f"  ✓ {message}（{time.monotonic() - started:.1f} 秒）", flush=True)


def read_bundle(bundle_dir: Path, published: Path) -> dict[str, str]:
    contents = {}
    for path in sorted(bundle_dir.rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        contents[path.relative_to(bundle_dir).as_posix()] = text.replace(DATABASE_PLACEHOLDER, str(published))
    return contents


def scopes(published: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str | None]]]:
    """The cities of dim_region and the 报送单位 present in the data-quality mart (code, name)."""
    with duckdb.connect(str(published), read_only=True) as con:
        cities = con.execute(
            "select division_code, division_name from marts.dim_region where division_level = 'city' "
            "order by division_code"
        ).fetchall()
        units = con.execute(
            "select distinct quality.reporting_unit_id, entity.entity_name from marts.mart_unit_data_quality quality "
            "left join marts.dim_enforcement_entity entity on entity.entity_id = quality.reporting_unit_id "
            "and entity.is_current order by 1"
        ).fetchall()
    return cities, units


def quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def main(published: Path, bundle_dir: Path, passwords_file: Path) -> None:
    started = time.monotonic()
    from flask import g
    from flask_migrate import upgrade
    from superset.app import create_app

    app = create_app()
    with app.app_context():
        from superset import appbuilder, db, security_manager
        from superset.commands.importers.v1.assets import ImportAssetsCommand
        from superset.connectors.sqla.models import RowLevelSecurityFilter, SqlaTable
        from superset.models.core import Database
        from superset.utils.core import RowLevelSecurityFilterType

        upgrade()
        step("元数据库结构已就绪", started)
        appbuilder.add_permissions(update_perms=True)
        security_manager.sync_role_definitions()
        step("Superset 内置角色已同步", started)

        passwords: dict[str, str] = json.loads(passwords_file.read_text(encoding="utf-8")) \
            if passwords_file.exists() else {}

        def user(username: str, first: str, roles: list) -> None:
            found = security_manager.find_user(username=username)
            if found is None:
                password = passwords.get(username) or secrets.token_urlsafe(18)
                security_manager.add_user(username, first, username, f"{username}@zfjd.invalid", roles,
                                          password=password)
                passwords[username] = password
            else:
                found.roles = roles
            if username not in passwords:  # a user made by hand before: its password is not ours to print
                passwords[username] = "（已有用户，密码未改）"

        admin_role = security_manager.find_role("Admin")
        user("admin", "管理员", [admin_role])
        db.session.commit()

        with app.test_request_context():
            g.user = security_manager.find_user(username="admin")
            ImportAssetsCommand(read_bundle(bundle_dir, published), overwrite=True).run()
        step("仪表板已导入", started)

        database = db.session.query(Database).filter_by(sqlalchemy_uri=f"duckdb:///{published}").one()
        datasets = db.session.query(SqlaTable).filter_by(database_id=database.id).all()
        labels = yaml.safe_load((bundle_dir.parent / "column_labels.yaml").read_text(encoding="utf-8"))
        for dataset in datasets:
            dataset.fetch_metadata()
            for column in dataset.columns:
                column.verbose_name = labels.get(column.column_name, column.verbose_name)
        db.session.commit()
        step(f"数据集字段已读取（{len(datasets)} 个数据集）", started)

        viewer = security_manager.find_role(VIEWER_BASE_ROLE)
        sql_lab = security_manager.find_role("sql_lab")

        def role(name: str, tables: list) -> object:
            found = security_manager.find_role(name) or security_manager.add_role(name)
            wanted = [security_manager.find_permission_view_menu("datasource_access", t.perm) for t in tables]
            found.permissions = [p for p in wanted if p is not None]
            return found

        def rls(name: str, roles: list, tables: list, clause: str) -> None:
            found = db.session.query(RowLevelSecurityFilter).filter_by(name=name).one_or_none()
            if found is None:
                found = RowLevelSecurityFilter(name=name)
                db.session.add(found)
            found.filter_type = RowLevelSecurityFilterType.REGULAR.value
            found.roles, found.tables, found.clause, found.group_key = roles, tables, clause, None

        province = role(PROVINCE_ROLE, datasets)
        user("province", "省级监督", [viewer, province])
        analyst = role(ANALYST_ROLE, datasets)
        database_access = security_manager.find_permission_view_menu("database_access", database.perm)
        analyst.permissions = [*analyst.permissions, database_access]
        user("analyst", "数据分析员", [viewer, sql_lab, analyst])

        cities, units = scopes(published)
        for code, name in cities:
            city = role(f"{CITY_ROLE_PREFIX}{code}", datasets)
            rls(f"市级-{code}（{name}）", [city], datasets, f"city_code = {quoted(code)}")
            user(f"city-{code}", f"{name}", [viewer, city])
        unit_tables = [d for d in datasets if d.table_name in ("zfjd_unit_quality", "zfjd_rejection")]
        for code, name in units:
            unit = role(f"{UNIT_ROLE_PREFIX}{code}", unit_tables)
            rls(f"报送单位-{code}", [unit], unit_tables, f"reporting_unit_id = {quoted(code)}")
            user(f"unit-{code}", name or code, [viewer, unit])
        db.session.commit()
        step(f"角色与行级权限已生成（{len(cities)} 个地级市，{len(units)} 个报送单位）", started)

    descriptor = os.open(passwords_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(passwords, handle, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
