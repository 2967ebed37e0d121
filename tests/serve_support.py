"""`zfjd serve` run as a process for tests/cli: a tiny hand-made published copy, the instance's
environment, and the served process watched and stopped."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil

DIMS = """
create schema marts;
create table marts.dim_enforcement_entity (entity_version_id varchar, entity_id varchar, entity_name varchar,
    reporting_unit_id varchar, city_code varchar, taken_in_at timestamp, valid_from date, valid_to date,
    is_current boolean);
insert into marts.dim_enforcement_entity values
    ('v1', '11440100MB000000G3', '广州市某局', '11440100MB00000064', '440100', timestamp '2025-01-01 08:00:00',
     date '2024-12-31', null, true);
create table marts.dim_officer (officer_version_id varchar, card_number varchar, officer_name_masked varchar,
    id_number_masked varchar, entity_id varchar, enforcement_domain varchar, card_valid_from date,
    card_valid_to date, card_status varchar, taken_in_at timestamp, valid_from date, valid_to date, is_current boolean);
create table marts.dim_matter (matter_history_id varchar, matter_code varchar, implementing_entity_ids varchar,
    legal_basis varchar, taken_in_at timestamp, valid_from date, valid_to date, is_current boolean);
create table main.zfjd_publication (as_of date, fingerprint varchar);
insert into main.zfjd_publication values (date '2025-01-30', 'hand-made');
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


ROOT = Path(__file__).resolve().parents[1]
READY, STOPPED = "全部服务已就绪", "全部服务已停止"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "ZFJD_"))}
    return env | {"COLUMNS": "300", "NO_COLOR": "1", "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False"}


class Served:
    def __init__(self, home: Path, tmp_path: Path, env: dict[str, str] | None = None) -> None:
        self.port, self.airflow_port = free_port(), free_port()
        self.out, self.err = tmp_path / "serve.out", tmp_path / "serve.err"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "zfjd.cli", "serve", "--home", str(home), "--port", str(self.port),
             "--airflow-port", str(self.airflow_port)],
            env=env or _env(), cwd=ROOT, stdout=self.out.open("w"), stderr=self.err.open("w"),
        )

    def said(self) -> str:
        return self.out.read_text(encoding="utf-8") + self.err.read_text(encoding="utf-8")

    def wait_ready(self, timeout: float = 150) -> None:
        deadline = time.monotonic() + timeout
        while READY not in self.said():
            assert self.process.poll() is None, f"serve ended while starting:\n{self.said()}"
            assert time.monotonic() < deadline, f"not ready within {timeout} s:\n{self.said()}"
            time.sleep(0.5)

    def children(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children()

    def descendants(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children(recursive=True)

    def end(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            for child in self.descendants():
                child.kill()
            self.process.wait()


def gone(processes: list[psutil.Process]) -> list[str]:
    """The processes still alive (a zombie waiting for init to reap it counts as gone)."""
    alive = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                alive.append(" ".join(process.cmdline()))
        except psutil.NoSuchProcess:
            continue
    return alive
