"""How long the 监督驾驶舱's set-up spends on the 市级 and 报送单位 roles, row-level rules and users.

Runs in the analytics environment on a copy of an instance's Superset metadata (its `DIR/analytics/`, set up
once by `zfjd dashboard`), so the instance itself is left alone:

    analytics/.venv/bin/python benchmarks/run_dashboard_roles_benchmark.py DIR/analytics [UNITS ...]

For each count of 报送单位 (the instance's own units when none is given; otherwise that many generated unit
codes, with the instance's 21 cities), the step is timed twice on a fresh copy: "before", the set-up as it
was until the 报送单位 shared one role (one role, one RLS rule and one user per unit, each user added and
committed by Flask-AppBuilder's add_user with its default scrypt hash), and "after", analytics/setup_instance.py's
grant_cities and grant_units (one 报送单位 role, one rule keyed on the user's name, users added in one go).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "analytics"))
import setup_instance  # analytics/, beside the dashboards

BEFORE_LIMIT = 300  # "before" costs ~0.25 s a unit: beyond this many it is not run, only the rate is reported


def scratch_copy(analytics_dir: Path) -> Path:
    """The instance's analytics folder copied, its config pointed at the copy's metadata."""
    target = Path(tempfile.mkdtemp(prefix="zfjd-roles-")) / "analytics"
    shutil.copytree(analytics_dir, target, ignore=shutil.ignore_patterns("uploads", "*.log"))
    config = target / "superset_config.py"
    config.write_text(config.read_text(encoding="utf-8").replace(str(analytics_dir), str(target)), encoding="utf-8")
    return target


def run(analytics_dir: Path, unit_count: int | None, variant: str) -> dict:
    copy = scratch_copy(analytics_dir)
    os.environ["SUPERSET_CONFIG_PATH"] = str(copy / "superset_config.py")
    os.environ["SUPERSET_HOME"] = str(copy)
    import sqlalchemy as sa
    from superset.app import create_app

    app = create_app()
    with app.app_context():
        from superset import db, security_manager
        from superset.connectors.sqla.models import RowLevelSecurityFilter, SqlaTable

        # as if set up for the first time: no city or unit user, role or rule yet (on a scratch copy: the
        # logs and saved states of users who had logged in may keep pointing at them)
        db.session.execute(sa.text("PRAGMA foreign_keys = OFF"))
        user_model, role_model = security_manager.user_model, security_manager.role_model
        for rule in db.session.query(RowLevelSecurityFilter).all():
            db.session.delete(rule)
        for old in db.session.query(user_model).filter(user_model.username.like("city-%")
                                                       | user_model.username.like("unit-%")):
            db.session.delete(old)
        for old in db.session.query(role_model).filter(role_model.name.like("市级-%")
                                                       | role_model.name.like("报送单位%")):
            db.session.delete(old)
        db.session.commit()

        datasets = db.session.query(SqlaTable).all()
        published = Path(datasets[0].database.sqlalchemy_uri_decrypted.removeprefix("duckdb:///"))
        cities, units = setup_instance.scopes(published)
        if unit_count is not None:
            units = [(f"91440000MA{n:08d}", f"模拟报送单位{n}") for n in range(unit_count)]
        viewer = security_manager.find_role(setup_instance.VIEWER_BASE_ROLE)
        unit_tables = [d for d in datasets if d.table_name in ("zfjd_unit_quality", "zfjd_rejection")]
        passwords: dict[str, str] = {}
        started = time.perf_counter()
        if variant == "before":
            before(db, security_manager, cities, units, datasets, unit_tables, viewer, passwords)
        else:
            setup_instance.grant_cities(db, security_manager, cities, datasets, viewer, passwords)
            setup_instance.grant_units(db, security_manager, units, unit_tables, viewer, passwords)
        db.session.commit()
        seconds = time.perf_counter() - started
        made = db.session.query(user_model).filter(user_model.username.like("unit-%")).count()
        roles = db.session.query(role_model).count()
        rules = db.session.query(RowLevelSecurityFilter).count()
    shutil.rmtree(copy.parent)
    return {"variant": variant, "cities": len(cities), "units": len(units), "seconds": round(seconds, 2),
            "unit_users": made, "roles": roles, "rls_rules": rules}


def before(db, security_manager, cities, units, datasets, unit_tables, viewer, passwords) -> None:
    """The set-up's roles step as it was (analytics/setup_instance.py before one 报送单位 role)."""
    def user(username, first, roles):
        found = security_manager.find_user(username=username)
        if found is None:
            password = secrets.token_urlsafe(18)
            security_manager.add_user(username, first, username, f"{username}@zfjd.invalid", roles,
                                      password=password)
            passwords[username] = password
        else:
            found.roles = roles

    def role(name, tables):
        found = security_manager.find_role(name) or security_manager.add_role(name)
        wanted = [security_manager.find_permission_view_menu("datasource_access", t.perm) for t in tables]
        found.permissions = [p for p in wanted if p is not None]
        return found

    def rls(name, roles, tables, clause):  # unchanged since: the set-up's own
        setup_instance.rls(db, name, roles, tables, clause)

    for code, name in cities:
        city = role(f"市级-{code}", datasets)
        rls(f"市级-{code}（{name}）", [city], datasets, f"city_code = '{code}'")
        user(f"city-{code}", f"{name}", [viewer, city])
    for code, name in units:
        unit = role(f"报送单位-{code}", unit_tables)
        rls(f"报送单位-{code}", [unit], unit_tables, f"reporting_unit_id = '{code}'")
        user(f"unit-{code}", name or code, [viewer, unit])


if __name__ == "__main__":
    if sys.argv[1] == "--one":  # one measurement in a process of its own (Superset's app is made once a process)
        count = None if sys.argv[3] == "-" else int(sys.argv[3])
        print(json.dumps(run(Path(sys.argv[2]), count, sys.argv[4]), ensure_ascii=False), flush=True)
        sys.exit(0)
    analytics = Path(sys.argv[1]).resolve()
    for count in [int(n) for n in sys.argv[2:]] or [None]:
        for variant in ("before", "after"):
            if variant == "before" and count is not None and count > BEFORE_LIMIT:
                continue
            subprocess.run([sys.executable, __file__, "--one", str(analytics), "-" if count is None else str(count),
                            variant], check=True)
