"""`zfjd serve`.

With `--no-airflow`, the data service alone as a process — on loopback, answering with a token,
stopped by Ctrl-C without a traceback; refused in Chinese before anything is published. The published
copy here is a tiny hand-made one (the real one is served in tests/warehouse/test_data_service.py).

Without it, the instance as services: Airflow's API server (UI), scheduler and dag-processor on the
embedded SQLite metadata, and the data service, each a child in its own process group —
- started on free loopback ports: Airflow's health endpoint reports the scheduler and the DAG processor
  alive, the generated password logs in, the data service answers; Ctrl-C stops every process it
  started and the exit code is 0;
- a child that dies (the scheduler, killed) stops the rest, with the reason in Chinese and a non-zero
  exit code;
- a port already taken is refused in Chinese before anything starts.
Nothing is scheduled there: `AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE=False` keeps the scheduler from
creating the daily run it would otherwise start at once for the latest 02:00 it missed.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import httpx
import pytest
from serve_support import DIMS, STOPPED, Served, free_port, gone
from typer.testing import CliRunner

from zfjd.cli import app
from zfjd.home import Home
from zfjd.service import tokens


def test_serve_refuses_in_chinese_before_a_publication(tmp_path):
    done = CliRunner().invoke(app, ["serve", "--no-airflow", "--home", str(tmp_path)])
    assert done.exit_code == 2 and "没有已发布的主题库" in done.output


def test_serve_answers_on_loopback_and_stops_cleanly_on_ctrl_c(tmp_path):
    home = Home.at(tmp_path)
    home.published.parent.mkdir(parents=True)
    with duckdb.connect(str(home.published)) as con:
        con.execute(DIMS)
    _, token = tokens.issue(home, "11440100MB00000064")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "zfjd.cli", "serve", "--no-airflow", "--home", str(tmp_path), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/v1/entities/11440100MB000000G3"
        for _ in range(200):
            try:
                answer = httpx.get(url, headers={"Authorization": f"Bearer {token}"})
                break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError("zfjd serve did not answer within 20 s")
        assert answer.status_code == 200 and answer.json()["items"][0]["entity_name"] == "广州市某局"
        assert httpx.get(url).status_code == 401
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=30)
    assert server.returncode == 0, err
    assert "数据服务已停止" in err and "Traceback" not in err
    assert token not in out + err  # never logged


@pytest.fixture(scope="module")
def instance(tmp_path_factory) -> Path:
    """An instance with a (tiny, hand-made) published copy; Airflow is prepared by the first `serve`."""
    root = tmp_path_factory.mktemp("serve") / "home"
    place = Home.at(root).create()
    place.published.parent.mkdir()
    with duckdb.connect(str(place.published)) as con:
        con.execute(DIMS)
    return root


def test_serve_runs_airflow_and_the_data_service_and_ctrl_c_stops_them_all(instance, tmp_path):
    served = Served(instance, tmp_path)
    try:
        served.wait_ready()
        ui = f"http://127.0.0.1:{served.airflow_port}"
        health = httpx.get(f"{ui}/api/v2/monitor/health", timeout=10).json()
        assert {part: health[part]["status"] for part in ("metadatabase", "scheduler", "dag_processor")} == {
            "metadatabase": "healthy", "scheduler": "healthy", "dag_processor": "healthy"}
        passwords_file = instance / "airflow" / "simple_auth_manager_passwords.json.generated"
        assert passwords_file.stat().st_mode & 0o077 == 0  # the owner's only
        password = json.loads(passwords_file.read_text())["admin"]
        login = httpx.post(f"{ui}/auth/token", json={"username": "admin", "password": password}, timeout=10)
        assert login.status_code == 201, login.text
        assert httpx.post(f"{ui}/auth/token", json={"username": "admin", "password": "admin"},
                          timeout=10).status_code == 401
        docs = httpx.get(f"http://127.0.0.1:{served.port}/openapi.json", timeout=10)
        assert docs.status_code == 200 and "数据服务" in docs.json()["info"]["title"]
        said = served.said()
        assert f"{ui}/" in said and f"http://127.0.0.1:{served.port}/docs" in said
        assert str(passwords_file) in said and password not in said
        logs = instance / "airflow" / "logs" / "serve"
        assert {p.name for p in logs.glob("*.log")} >= {"api-server.log", "scheduler.log", "dag-processor.log",
                                                          "data-service.log"}
        assert not any(password in p.read_text(errors="replace") for p in logs.glob("*.log"))

        started = served.descendants()
        commands = " ".join(" ".join(p.cmdline()) for p in served.children())
        assert len(served.children()) == 4  # the API server renames itself (setproctitle)
        assert all(part in commands for part in ("api_server", "scheduler", "dag-processor", "--no-airflow"))
        served.process.send_signal(signal.SIGINT)
        assert served.process.wait(timeout=90) == 0, served.said()
    finally:
        served.end()
    assert STOPPED in served.said() and "Traceback" not in served.said()
    assert gone(started) == []


def test_a_child_that_dies_stops_the_rest_with_a_chinese_message(instance, tmp_path):
    served = Served(instance, tmp_path)
    try:
        served.wait_ready()
        started = served.descendants()
        scheduler = next(p for p in served.children() if "scheduler" in p.cmdline())
        scheduler.kill()
        code = served.process.wait(timeout=90)
    finally:
        served.end()
    said = served.said()
    assert code != 0, said
    assert "Airflow 调度器（scheduler）" in said and "意外退出" in said and "SIGKILL" in said, said
    assert "scheduler.log" in said  # where to look
    assert gone(started) == []


def test_a_port_in_use_is_refused_before_anything_starts(instance):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = CliRunner().invoke(app, ["serve", "--home", str(instance), "--airflow-port", str(port),
                                        "--port", str(free_port())])
    assert done.exit_code == 2 and f"端口 {port} 已被占用" in done.output and "--airflow-port" in done.output
