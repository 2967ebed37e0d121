"""One small simulated province, built once, and `zfjd dashboard` started on it once for the whole folder:
the command's first use (the analytics environment synced from analytics/uv.lock, Superset set up) is
what these tests exercise. Chromium comes from .ci/install-browser.sh; nothing here is skipped."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests
from support import build_published_province

from zfjd import cycle, warehouse
from zfjd.home import Home

SPEC = cycle.ProvinceSpec(units=20, days=40, seed=5, start="2025-01-01")
MONTH = "2025-02"  # the instance's latest month: the dashboards' 当月 unless the month picker says otherwise
EARLIER_MONTH = "2025-01"  # the other month the province has: what the month picker is set to in the tests
FIRST_START_TIMEOUT = 900  # the analytics environment's first install and Superset's set-up


@pytest.fixture(scope="session")
def dashboard_home(tmp_path_factory):
    home = Home.at(tmp_path_factory.mktemp("dashboard"))
    build_published_province(home, SPEC, MONTH)
    # the earlier month's 随机抽查 too, so that the 案卷评查 dashboard has two draws to pick from
    variables = {**warehouse.dbt_vars(SPEC.last_day), "review_month": EARLIER_MONTH}
    drawn = warehouse.run_dbt(["build", "--select", "mart_review_sample", "--vars", json.dumps(variables)], home)
    assert drawn.success, "\n".join(drawn.failures)
    shutil.copyfile(home.warehouse, home.published)
    return home


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cockpit:
    def __init__(self, home: Home, url: str, seconds_to_ready: float, output: list[str]) -> None:
        self.home, self.url, self.seconds_to_ready, self.output = home, url, seconds_to_ready, output
        self.passwords = json.loads((home.root / "analytics" / "passwords.json").read_text(encoding="utf-8"))
        self._sessions: dict[str, requests.Session] = {}

    def api(self, username: str) -> requests.Session:
        """An API session (JWT, and the session cookie CSRF tokens are bound to) of one user, logged in once:
        Superset limits the rate of logins."""
        if username not in self._sessions:
            self._sessions[username] = self._log_in(username)
        return self._sessions[username]

    def web(self, username: str) -> requests.Session:
        """A browser's session of one user (the login form's cookie, the page's CSRF token): what the front end's
        own requests outside /api/v1 (e.g. /datasource/samples) are sent with."""
        key = "web:" + username
        if key not in self._sessions:
            session = requests.Session()
            form = session.get(self.url + "login/", timeout=60).text
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form) or \
                re.search(r'value="([^"]+)"[^>]*name="csrf_token"', form)
            assert token, "登录页没有 CSRF 令牌"
            answer = session.post(self.url + "login/", data={
                "username": username, "password": self.passwords[username], "csrf_token": token.group(1),
            }, timeout=60)
            assert answer.ok and "/login" not in answer.url, f"{username} 未能登录"
            session.headers["X-CSRFToken"] = token.group(1)
            session.headers["Referer"] = self.url
            self._sessions[key] = session
        return self._sessions[key]

    def _log_in(self, username: str) -> requests.Session:
        session = requests.Session()
        login = session.post(self.url + "api/v1/security/login", json={
            "username": username, "password": self.passwords[username], "provider": "db", "refresh": False,
        }, timeout=60)
        login.raise_for_status()
        session.headers["Authorization"] = "Bearer " + login.json()["access_token"]
        token = session.get(self.url + "api/v1/security/csrf_token/", timeout=60)
        if token.ok:
            session.headers["X-CSRFToken"] = token.json()["result"]
        session.headers["Referer"] = self.url
        return session


@pytest.fixture(scope="session")
def cockpit(dashboard_home):
    port = free_port()
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "zfjd.cli", "dashboard", "--home", str(dashboard_home.root), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
        env={**os.environ, "ZFJD_SUPERSET_WORKERS": "2"},
    )
    output: list[str] = []
    url = None
    try:
        while time.monotonic() - started < FIRST_START_TIMEOUT:
            line = process.stdout.readline()
            if not line:
                break
            output.append(line.rstrip())
            found = re.search(r"监督驾驶舱：(http://\S+)", line)
            if found:
                url = found.group(1)
            if url and "Ctrl-C" in line:  # the first-login instructions end with it
                break
        assert url, "zfjd dashboard 未就绪：\n" + "\n".join(output[-40:])
        # the rest of the output (gunicorn's warnings) must not fill the pipe and block the server
        drain = subprocess.Popen(["cat"], stdin=process.stdout, stdout=subprocess.DEVNULL)
        yield Cockpit(dashboard_home, url, time.monotonic() - started, output)
        drain.kill()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
