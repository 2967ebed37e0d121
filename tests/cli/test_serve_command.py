"""`zfjd serve`: the data service as a process — on loopback, answering with a token, stopped by Ctrl-C
without a traceback; refused in Chinese before anything is published. The published copy here is a
tiny hand-made one (the real one is served in tests/warehouse/test_data_service.py)."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import duckdb
import httpx
from typer.testing import CliRunner

from zfjd.cli import app
from zfjd.home import Home
from zfjd.service import tokens

DIMS = """
create schema marts;
create table marts.dim_enforcement_entity (entity_version_id varchar, entity_id varchar, entity_name varchar,
    reporting_unit_id varchar, city_code varchar, valid_from date, valid_to date, is_current boolean);
insert into marts.dim_enforcement_entity values
    ('v1', '11440100MB000000G3', '广州市某局', '11440100MB00000064', '440100', date '2024-12-31', null, true);
create table marts.dim_officer (officer_version_id varchar, card_number varchar, officer_name_masked varchar,
    id_number_masked varchar, entity_id varchar, enforcement_domain varchar, card_valid_from date,
    card_valid_to date, card_status varchar, valid_from date, valid_to date, is_current boolean);
create table marts.dim_matter (matter_history_id varchar, matter_code varchar, implementing_entity_ids varchar,
    legal_basis varchar, valid_from date, valid_to date, is_current boolean);
create table main.zfjd_publication (as_of date, fingerprint varchar);
insert into main.zfjd_publication values (date '2025-01-30', 'hand-made');
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_refuses_in_chinese_before_a_publication(tmp_path):
    done = CliRunner().invoke(app, ["serve", "--home", str(tmp_path)])
    assert done.exit_code == 2 and "没有已发布的主题库" in done.output


def test_serve_answers_on_loopback_and_stops_cleanly_on_ctrl_c(tmp_path):
    home = Home.at(tmp_path)
    home.published.parent.mkdir(parents=True)
    with duckdb.connect(str(home.published)) as con:
        con.execute(DIMS)
    _, token = tokens.issue(home, "11440100MB00000064")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "zfjd.cli", "serve", "--home", str(tmp_path), "--port", str(port)],
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
