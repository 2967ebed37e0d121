"""One small simulated province, built once, and `zfjd dashboard` started on it once for the whole folder:
the command's first use (the analytics environment synced from analytics/uv.lock, Superset set up) is
what these tests exercise. Chromium comes from .ci/install-browser.sh; nothing here is skipped."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests
from support import build_published_province

from zfjd import cycle
from zfjd.home import Home

SPEC = cycle.ProvinceSpec(units=20, days=40, seed=5, start="2025-01-01")
MONTH = "2025-02"  # the instance's latest month: the dashboards' 当月
FIRST_START_TIMEOUT = 900  # the analytics environment's first install and Superset's set-up


@pytest.fixture(scope="session")
def dashboard_home(tmp_path_factory):
    home = Home.at(tmp_path_factory.mktemp("dashboard"))
    return build_published_province(home, SPEC, MONTH)


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
