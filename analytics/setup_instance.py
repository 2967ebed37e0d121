"""Sets up one instance's Superset (run by `zfjd dashboard` in the analytics environment, never imported by
the pipeline): metadata migrations, Superset's own roles, the published copy registered read-only, the
dashboards imported from the bundle (their month pickers scoped to the imported charts), the 省级 / 市级 /
报送单位 / 分析员 roles with row-level security (a role per city; one role and one rule for all the 报送单位,
keyed on the user's name), and a user per city and per unit, whose generated passwords go to a file only
the owner can read.

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
UNIT_ROLE = "报送单位"  # one role for every 报送单位: the RLS rule reads the unit from the user's name
UNIT_RLS = "报送单位（本单位）"
UNIT_ROLE_PREFIX = "报送单位-"  # the role per unit made before (removed on the next set-up)
UNIT_USER_PREFIX = "unit-"
# Rendered by Superset's Jinja for every query of a user holding the role (ENABLE_TEMPLATE_PROCESSING): the
# logged-in user's name without "unit-" is the unit's code; a user of the role named otherwise sees no row,
# and one without a name (no user) fails the query.
UNIT_CLAUSE = (
    "reporting_unit_id = '{{ current_username()[" + str(len(UNIT_USER_PREFIX)) + ":] | replace(\"'\", \"''\")"
    " if current_username().startswith('" + UNIT_USER_PREFIX + "') else '' }}'"
)
# Every user's password made here is generated (secrets.token_urlsafe(18): 144 random bits), so a
# slow hash adds nothing against guessing them and took 0.1-0.2 s a user (Flask-AppBuilder's default scrypt,
# by the machine's load): 5,000 units would wait 8-18 minutes for it; this one takes 2.5 ms. Passwords a user
# sets later use Flask-AppBuilder's default.
GENERATED_PASSWORD_HASH = "pbkdf2:sha256:10000"
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


def scope_native_filters(dashboards: list) -> None:
    """Superset's importer maps a native filter's scope.excluded to the imported charts' ids but keeps its
    chartsInScope as written, and the front end applies a filter without chartsInScope to every chart of the
    dashboard: write it from the imported position (every chart but the excluded ones)."""
    for dashboard in dashboards:
        metadata = json.loads(dashboard.json_metadata or "{}")
        position = json.loads(dashboard.position_json or "{}")
        chart_ids = [item["meta"]["chartId"] for item in position.values()
                     if isinstance(item, dict) and item.get("type") == "CHART"]
        for native_filter in metadata.get("native_filter_configuration", []):
            excluded = set(native_filter.get("scope", {}).get("excluded", []))
            native_filter["chartsInScope"] = [chart_id for chart_id in chart_ids if chart_id not in excluded]
            native_filter["tabsInScope"] = []
        dashboard.json_metadata = json.dumps(metadata)


def reading(security_manager, tables: list) -> list:
    """A role's permissions: to read these datasets, and to drill from a chart to the rows behind it
    (Superset's "钻取到明细" asks /datasource/samples, which its Gamma role may not: can_samples on
    Datasource is Alpha's). The rows come through the same row-level security as the charts'."""
    wanted = [security_manager.find_permission_view_menu("datasource_access", t.perm) for t in tables]
    wanted.append(security_manager.find_permission_view_menu("can_samples", "Datasource"))
    return [p for p in wanted if p is not None]


def add_users(db, security_manager, accounts: list[tuple[str, str, list]], passwords: dict[str, str]) -> int:
    """(username, display name, roles) made or brought to these roles in one transaction; the generated
    passwords go to `passwords`. Returns how many users were made."""
    from werkzeug.security import generate_password_hash

    model = security_manager.user_model
    existing = {u.username: u for u in db.session.query(model).filter(
        model.username.in_([username for username, _, _ in accounts]))}
    made = []
    for username, first, roles in accounts:
        found = existing.get(username)
        if found is not None:
            found.roles = roles
            passwords.setdefault(username, "（已有用户，密码未改）")  # made by hand: not ours to print
            continue
        password = passwords.get(username) or secrets.token_urlsafe(18)
        made.append(model(first_name=first, last_name=username, username=username, active=True,
                          email=f"{username}@zfjd.invalid", roles=roles,
                          password=generate_password_hash(password, method=GENERATED_PASSWORD_HASH)))
        passwords[username] = password
    db.session.add_all(made)
    return len(made)


def role(security_manager, name: str, tables: list):
    found = security_manager.find_role(name) or security_manager.add_role(name)
    found.permissions = reading(security_manager, tables)
    return found


def rls(db, name: str, roles: list, tables: list, clause: str):
    from superset.connectors.sqla.models import RowLevelSecurityFilter
    from superset.utils.core import RowLevelSecurityFilterType

    found = db.session.query(RowLevelSecurityFilter).filter_by(name=name).one_or_none()
    if found is None:
        found = RowLevelSecurityFilter(name=name)
        db.session.add(found)
    found.filter_type = RowLevelSecurityFilterType.REGULAR.value
    found.roles, found.tables, found.clause, found.group_key = roles, tables, clause, None
    return found


def grant_cities(db, security_manager, cities: list[tuple[str, str]], datasets: list, viewer,
                 passwords: dict[str, str]) -> int:
    """A 市级 role per city (21): every dataset, its rows filtered on city_code; one user per city."""
    accounts = []
    for code, name in cities:
        city = role(security_manager, f"{CITY_ROLE_PREFIX}{code}", datasets)
        rls(db, f"{CITY_ROLE_PREFIX}{code}（{name}）", [city], datasets, f"city_code = {quoted(code)}")
        accounts.append((f"city-{code}", f"{name}", [viewer, city]))
    return add_users(db, security_manager, accounts, passwords)


def grant_units(db, security_manager, units: list[tuple[str, str | None]], unit_tables: list, viewer,
                passwords: dict[str, str]) -> int:
    """The 报送单位: one role reading the data-quality datasets, one RLS rule keyed on the user's name, one
    user per unit (made in bulk). The role and rule per unit that earlier set-ups made are removed."""
    from superset.connectors.sqla.models import RowLevelSecurityFilter

    role_model = security_manager.role_model
    for rule in db.session.query(RowLevelSecurityFilter).filter(
            RowLevelSecurityFilter.name.like(f"{UNIT_ROLE_PREFIX}%")):
        db.session.delete(rule)
    for old in db.session.query(role_model).filter(role_model.name.like(f"{UNIT_ROLE_PREFIX}%")):
        db.session.delete(old)
    unit = role(security_manager, UNIT_ROLE, unit_tables)
    rule = rls(db, UNIT_RLS, [unit], unit_tables, UNIT_CLAUSE)
    rule.description = "报送单位只看到本单位的行：用户名 unit-<统一社会信用代码>"
    return add_users(db, security_manager, [(f"{UNIT_USER_PREFIX}{code}", name or code, [viewer, unit])
                                            for code, name in units], passwords)


def main(published: Path, bundle_dir: Path, passwords_file: Path) -> None:
    started = time.monotonic()
    from flask import g
    from flask_migrate import upgrade
    from superset.app import create_app

    app = create_app()
    with app.app_context():
        from superset import appbuilder, db, security_manager
        from superset.commands.importers.v1.assets import ImportAssetsCommand
        from superset.connectors.sqla.models import SqlaTable
        from superset.models.core import Database
        from superset.models.dashboard import Dashboard

        upgrade()
        step("元数据库结构已就绪", started)
        appbuilder.add_permissions(update_perms=True)
        security_manager.sync_role_definitions()
        step("Superset 内置角色已同步", started)

        passwords: dict[str, str] = json.loads(passwords_file.read_text(encoding="utf-8")) \
            if passwords_file.exists() else {}

        add_users(db, security_manager, [("admin", "管理员", [security_manager.find_role("Admin")])], passwords)
        db.session.commit()

        with app.test_request_context():
            g.user = security_manager.find_user(username="admin")
            ImportAssetsCommand(read_bundle(bundle_dir, published), overwrite=True).run()
        scope_native_filters(db.session.query(Dashboard).filter(Dashboard.slug.like("zfjd-%")).all())
        db.session.commit()
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

        province = role(security_manager, PROVINCE_ROLE, datasets)
        analyst = role(security_manager, ANALYST_ROLE, datasets)
        database_access = security_manager.find_permission_view_menu("database_access", database.perm)
        analyst.permissions = [*analyst.permissions, database_access]
        add_users(db, security_manager, [("province", "省级监督", [viewer, province]),
                                         ("analyst", "数据分析员", [viewer, sql_lab, analyst])], passwords)

        cities, units = scopes(published)
        roles_started = time.monotonic()
        grant_cities(db, security_manager, cities, datasets, viewer, passwords)
        unit_tables = [d for d in datasets if d.table_name in ("zfjd_unit_quality", "zfjd_rejection")]
        grant_units(db, security_manager, units, unit_tables, viewer, passwords)
        db.session.commit()
        step(f"角色与行级权限已生成（{len(cities)} 个地级市，{len(units)} 个报送单位；"
             f"本步 {time.monotonic() - roles_started:.1f} 秒）", started)

    descriptor = os.open(passwords_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(passwords, handle, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
