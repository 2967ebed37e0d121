"""The 监督驾驶舱: Apache Superset on an instance's published copy (`zfjd dashboard`).

Superset pins SQLAlchemy 1.4 (the pipeline runs 2.x with Airflow), so it lives in its own locked
environment, `analytics/` (pyproject.toml + uv.lock), and the pipeline never imports it: everything here
runs that environment's programs as subprocesses.

    DIR/analytics/superset_config.py   written on every start (paths, locale, security, offline settings)
    DIR/analytics/secret_key           SECRET_KEY, generated once per instance (0600)
    DIR/analytics/passwords.json       the generated users' passwords (0600; printed: where, never what)
    DIR/analytics/superset.db          the metadata (SQLite; ZFJD_SUPERSET_DATABASE_URI names PostgreSQL)
    DIR/analytics/setup.done           what the last set-up was made from: a start with the same skips it
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from zfjd.home import PRIVATE_FOLDER_MODE, Home, keep_private, write_secret

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ANALYTICS_PROJECT = PROJECT_ROOT / "analytics"
BUNDLE_DIR = ANALYTICS_PROJECT / "dashboards"
SETUP_SCRIPT = ANALYTICS_PROJECT / "setup_instance.py"
METADATA_URI_ENV = "ZFJD_SUPERSET_DATABASE_URI"
DEFAULT_PORT = 8088
WORKERS_ENV = "ZFJD_SUPERSET_WORKERS"

CONFIG_TEMPLATE = '''\
# Written by `zfjd dashboard` on every start: edit zfjd/dashboard.py, not this file.
from pathlib import Path

_HERE = Path(__file__).resolve().parent
SECRET_KEY = (_HERE / "secret_key").read_text(encoding="utf-8").strip()
SQLALCHEMY_DATABASE_URI = {metadata_uri!r}
DATA_DIR = str(_HERE)
UPLOAD_FOLDER = str(_HERE / "uploads")

# Chinese first. LANGUAGES must name zh: with the default locale missing from it the front end fails on
# `reading 'flag'` and draws a blank page.
BABEL_DEFAULT_LOCALE = "zh"
LANGUAGES = {{"zh": {{"flag": "cn", "name": "简体中文"}}, "en": {{"flag": "us", "name": "English"}}}}
APP_NAME = "执法监督驾驶舱"

WTF_CSRF_ENABLED = True
SESSION_COOKIE_SAMESITE = "Lax"
PUBLIC_ROLE_LIKE = None
AUTH_USER_REGISTRATION = False
PREVENT_UNSAFE_DB_CONNECTIONS = True
SQLLAB_CTAS_NO_LIMIT = False
ALLOWED_USER_CSV_SCHEMA_FUNC = lambda database, user: []  # noqa: E731 - no schema takes uploads
FEATURE_FLAGS = {{
    "DASHBOARD_RBAC": False,
    # Jinja in SQL: the 报送单位 role's one row-level rule reads the unit from the logged-in user's name
    # (analytics/setup_instance.py); it also lets SQL Lab's analysts use Superset's macros.
    "ENABLE_TEMPLATE_PROCESSING": True,
    "ALERT_REPORTS": False,
    "EMBEDDED_SUPERSET": False,
    "THUMBNAILS": False,
    "DRILL_TO_DETAIL": True,
    "DRILL_BY": True,
    "RLS_IN_SQLLAB": True,
    # every chart of a dashboard is drawn, not only those scrolled into view: a printed or captured
    # dashboard is complete, and the tests see every chart
    "DASHBOARD_VIRTUALIZATION": False,
}}

# Nothing leaves the machine: no map tiles, no remote fonts, no telemetry. The content security policy
# allows this server alone, so the browser refuses even what the front end has built in (its telemetry
# pixel is drawn unconditionally in the menu bar).
MAPBOX_API_KEY = ""
THEME_FONT_URL_ALLOWED_DOMAINS = []
TALISMAN_ENABLED = True
CONTENT_SECURITY_POLICY_WARNING = False
_SELF_ONLY = {{
    "base-uri": ["'self'"],
    "default-src": ["'self'"],
    "img-src": ["'self'", "blob:", "data:"],
    "worker-src": ["'self'", "blob:"],
    "connect-src": ["'self'"],
    "object-src": "'none'",
    "style-src": ["'self'", "'unsafe-inline'"],
    "font-src": ["'self'", "data:"],
    "script-src": ["'self'", "'strict-dynamic'"],
}}
TALISMAN_CONFIG = {{
    "content_security_policy": _SELF_ONLY,
    "content_security_policy_nonce_in": ["script-src"],
    "force_https": False,
    "session_cookie_secure": False,
}}
TALISMAN_DEV_CONFIG = TALISMAN_CONFIG
DOCUMENTATION_URL = None
BUG_REPORT_URL = None
TROUBLESHOOTING_LINK = ""

CACHE_CONFIG = {{"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 300}}
# The published copy is swapped by the daily cycle: results are not kept past a short while.
DATA_CACHE_CONFIG = {{"CACHE_TYPE": "NullCache"}}
ROW_LIMIT = 50000
SQL_MAX_ROW = 50000
LOG_LEVEL = "WARNING"
'''


@dataclass(frozen=True)
class Place:
    """Where one instance's Superset keeps its files."""

    home: Home

    @property
    def root(self) -> Path:
        return self.home.root / "analytics"

    @property
    def config(self) -> Path:
        return self.root / "superset_config.py"

    @property
    def secret_key(self) -> Path:
        return self.root / "secret_key"

    @property
    def passwords(self) -> Path:
        return self.root / "passwords.json"

    @property
    def metadata(self) -> Path:
        return self.root / "superset.db"

    @property
    def done(self) -> Path:
        return self.root / "setup.done"


def metadata_uri(place: Place) -> str:
    return os.environ.get(METADATA_URI_ENV) or f"sqlite:///{place.metadata}"


def write_config(place: Place) -> Path:
    keep_private()
    place.root.mkdir(mode=PRIVATE_FOLDER_MODE, parents=True, exist_ok=True)
    write_secret(place.secret_key, secrets.token_urlsafe(48))
    text = CONFIG_TEMPLATE.format(metadata_uri=metadata_uri(place))
    if not place.config.exists() or place.config.read_text(encoding="utf-8") != text:
        temporary = place.config.with_suffix(".tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(place.config)
    return place.config


def uv() -> str:
    found = shutil.which("uv")
    if found:
        return found
    raise RuntimeError("未找到 uv：请先运行 python3 -m pip install uv")


def analytics_env(place: Place) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("VIRTUAL_ENV", "UV_PROJECT"))}
    env.update({
        "SUPERSET_CONFIG_PATH": str(place.config),
        "SUPERSET_HOME": str(place.root),
        "FLASK_APP": "superset.app:create_app()",
        "SUPERSET_LOAD_EXAMPLES": "no",
        "SCARF_ANALYTICS": "false",
        "PYTHONWARNINGS": "ignore",
    })
    return env


def analytics_command(*args: str) -> list[str]:
    """A program of the analytics environment, run through uv against its own lock (never the pipeline's)."""
    return [uv(), "run", "--project", str(ANALYTICS_PROJECT), "--frozen", "--no-dev", *args]


def sync_environment() -> None:
    """Installs the analytics environment from analytics/uv.lock (a no-op in about a second when it is)."""
    done = subprocess.run(
        [uv(), "sync", "--project", str(ANALYTICS_PROJECT), "--frozen", "--compile-bytecode"],
        capture_output=True, text=True, check=False,
        # the pipeline's own environment, when this runs inside it, is not the one to sync
        env={key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"},
    )
    if done.returncode != 0:
        raise RuntimeError("安装驾驶舱环境（analytics/uv.lock）失败：\n" + done.stderr[-2000:])


def setup_fingerprint(place: Place) -> str:
    """What a set-up is made of: the lock, the bundle, the set-up script, the config, the published copy's
    identity. A start whose fingerprint equals the last set-up's skips it."""
    digest = hashlib.sha256()
    for path in [ANALYTICS_PROJECT / "uv.lock", SETUP_SCRIPT, ANALYTICS_PROJECT / "column_labels.yaml", place.config,
                 *sorted(BUNDLE_DIR.rglob("*.yaml"))]:
        digest.update(path.relative_to(path.anchor).as_posix().encode())
        digest.update(path.read_bytes())
    digest.update(_scope_identity(place.home.published).encode())
    return digest.hexdigest()


def _scope_identity(published: Path) -> str:
    """The roles are generated from the published copy's cities and units: a new copy may add units.
    Its fingerprint (the publish step's stamp) is enough; reading it needs no DuckDB in this process."""
    stamp = published.with_name("publication.json")
    if stamp.exists():
        return stamp.read_text(encoding="utf-8")
    return str(published.stat().st_mtime_ns) if published.exists() else ""


def set_up(place: Place, *, force: bool = False) -> bool:
    """Brings the instance's Superset up to date; returns whether anything had to be done."""
    write_config(place)
    fingerprint = setup_fingerprint(place)
    if not force and place.done.exists() and place.done.read_text(encoding="utf-8") == fingerprint:
        return False
    done = subprocess.run(
        analytics_command("python", str(SETUP_SCRIPT), str(place.home.published), str(BUNDLE_DIR),
                          str(place.passwords)),
        env=analytics_env(place), check=False, stdout=sys.stderr, stderr=subprocess.PIPE, text=True,
    )
    if done.returncode != 0:
        raise RuntimeError("驾驶舱初始化失败：\n" + _tail(done.stderr))
    place.done.write_text(fingerprint, encoding="utf-8")
    return True


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def serve_command(place: Place, host: str, port: int) -> list[str]:
    workers = os.environ.get(WORKERS_ENV, "2")
    return analytics_command(
        "gunicorn", "--bind", f"{host}:{port}", "--workers", workers, "--worker-class", "gthread",
        "--threads", "8", "--timeout", "120", "--limit-request-line", "0", "--limit-request-field_size", "0",
        "--error-logfile", "-", "--log-level", "warning", "superset.app:create_app()",
    )


def first_login_lines(place: Place, url: str) -> Iterator[str]:
    yield f"监督驾驶舱：{url}"
    yield f"首次登录：用户名与密码见 {place.passwords}（仅本机当前用户可读）"
    yield "  admin 管理员；province 省级；analyst 分析员（SQL Lab，只读）；"
    yield "  city-<地级市代码> 市级；unit-<统一社会信用代码> 报送单位"
    yield "首次登录后请在“设置 → 个人信息”中修改密码。Ctrl-C 停止。"


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 120) -> float:
    import urllib.request

    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"驾驶舱服务已退出（退出码 {process.returncode}）")
        try:
            with urllib.request.urlopen(url + "health", timeout=2) as answer:
                if answer.status == 200:
                    return time.monotonic() - started
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"驾驶舱服务 {timeout:.0f} 秒内未就绪：{url}")


def prepare(home: Home) -> Place:
    """Everything before serving: the environment, the config, the set-up (skipped when current)."""
    if not home.published.exists():
        raise FileNotFoundError(f"没有已发布的主题库：{home.published}（请先运行 zfjd run --home {home.root}）")
    place = Place(home)
    sync_environment()
    set_up(place)
    return place


def ensure_port_free(host: str, port: int) -> None:
    """Another server on the port would answer the readiness probe in this one's place."""
    import socket

    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise RuntimeError(f"端口 {port} 已被占用（{host}）：请用 --port 换一个端口，或先停止占用它的程序") from exc


def start(place: Place, host: str, port: int, **popen) -> subprocess.Popen:
    ensure_port_free(host, port)
    return subprocess.Popen(serve_command(place, host, port), env=analytics_env(place), **popen)
