"""An instance run as services (`zfjd serve`): child processes started, watched and stopped together.

Each child runs in its own session (so its own process group): Ctrl-C at the terminal reaches only
this supervisor, which then stops the children in order — a group at a time, SIGTERM, then SIGKILL
after a grace period — so a child is never left half-stopped by a signal it got before its turn. A
child that exits on its own is a failure: it is reported, the others are stopped, and the supervisor
returns non-zero, so that a service manager (systemd, a container runtime) sees the instance down
rather than an instance quietly running without its scheduler.

Grandchildren are stopped too (the scheduler's task processes put themselves in process groups of
their own, and a child killed outright leaves its children behind): on Linux the supervisor is a
"child subreaper", so whatever a child leaves behind becomes the supervisor's own child, and whatever is
still alive after the stop is killed; elsewhere it notes the descendants of each child every tick.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

EXIT_STOPPED, EXIT_CHILD_DIED = 0, 1
PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h


@dataclass
class Service:
    name: str  # the log file's name: DIR/…/<name>.log
    label: str  # how messages name it (Chinese)
    argv: list[str]
    stop_stage: int = 0  # stopped in increasing stages: what reports to another service goes first
    ready: Callable[[], bool] | None = None  # answers True once the service serves; None: ready when started
    announce: str = ""  # printed once it is ready
    start_when: Callable[[], bool] | None = None  # started once this holds (None: at once)
    waiting_note: str = ""  # printed at start while `start_when` does not hold yet
    process: subprocess.Popen | None = None
    announced: bool = False


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"被信号 {signal.Signals(-returncode).name} 结束"
        except ValueError:
            return f"被信号 {-returncode} 结束"
    return f"退出码 {returncode}"


@dataclass
class Supervisor:
    services: list[Service]
    env: dict[str, str]
    logs: Path
    say: Callable[[str], None]  # progress and outcome for the person at the terminal (Chinese)
    warn: Callable[[str], None]
    grace_seconds: float = 30.0
    tick_seconds: float = 0.5
    _stop: threading.Event = field(default_factory=threading.Event)
    _hurry: threading.Event = field(default_factory=threading.Event)
    _descendants: dict[int, float] = field(default_factory=dict)  # pid -> create_time (pids are reused)

    def request_stop(self, signum: int | None = None, _frame=None) -> None:
        """A signal handler: the first stops everything in order, a second shortens the grace to nothing."""
        if self._stop.is_set():
            self._hurry.set()
        self._stop.set()

    def run(self, on_all_ready: Callable[[], None] | None = None) -> int:
        previous = {sig: signal.signal(sig, self.request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        _become_subreaper()
        self.logs.mkdir(parents=True, exist_ok=True)
        outcome = EXIT_STOPPED
        all_ready = False
        try:
            for service in self.services:
                if service.start_when is None or service.start_when():
                    self._start(service)
                elif service.waiting_note:
                    self.say(service.waiting_note)
            while not self._stop.wait(self.tick_seconds):
                dead = next((s for s in self.services if s.process and s.process.poll() is not None), None)
                if dead is not None:
                    self.warn(
                        f"{dead.label}（进程 {dead.process.pid}）意外退出（{describe_exit(dead.process.returncode)}），"
                        f"正在停止其余服务；日志：{self.log_of(dead)}"
                    )
                    outcome = EXIT_CHILD_DIED
                    break
                for service in self.services:
                    if service.process is None and service.start_when and service.start_when():
                        self._start(service)
                self._note_descendants()
                self._reap_orphans()
                self._announce_ready()
                if not all_ready and all(s.announced or s.process is None for s in self.services):
                    all_ready = True
                    if on_all_ready:
                        on_all_ready()
        finally:
            # Ctrl-C again while stopping: no more waiting, everything is killed at once.
            for sig in previous:
                signal.signal(sig, lambda *_: self._hurry.set())
            try:
                self.stop_all()
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)
        return outcome

    def log_of(self, service: Service) -> Path:
        return self.logs / f"{service.name}.log"

    def _start(self, service: Service) -> None:
        log = self.log_of(service).open("a", encoding="utf-8")
        log.write(f"\n===== {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')} {' '.join(service.argv[1:])}\n")
        log.flush()
        with log:
            service.process = subprocess.Popen(
                service.argv, env=self.env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def _note_descendants(self) -> None:
        for service in self.services:
            if service.process is None or service.process.poll() is not None:
                continue
            try:
                for child in psutil.Process(service.process.pid).children(recursive=True):
                    self._descendants.setdefault(child.pid, child.create_time())
            except psutil.Error:  # it ended between the two calls: the next tick reports it
                continue

    def _own(self) -> set[int]:
        return {s.process.pid for s in self.services if s.process is not None}

    def _orphans(self) -> list[psutil.Process]:
        """Processes a child left behind that came to this supervisor (as subreaper) or still run under it."""
        own = self._own()
        return [p for p in psutil.Process().children(recursive=True) if p.pid not in own]

    def _reap_orphans(self) -> None:
        """An orphan that ended is this process's zombie until it is waited for (Popen waits only for its own)."""
        own = self._own()
        for child in psutil.Process().children():
            if child.pid not in own:
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(child.pid, os.WNOHANG)

    def _announce_ready(self) -> None:
        for service in self.services:
            if service.announced or service.process is None:
                continue
            if service.ready is None or service.ready():
                service.announced = True
                if service.announce:
                    self.say(service.announce)

    def stop_all(self) -> None:
        """Stops every child, stage by stage; then kills any descendant still alive (a task process in a
        group of its own, or one whose parent was killed)."""
        running = [s for s in self.services if s.process is not None]
        if running:
            self.say("正在停止服务…")
        self._note_descendants()
        for stage in sorted({s.stop_stage for s in running}):
            group = [s for s in running if s.stop_stage == stage and s.process.poll() is None]
            for service in group:
                # The main process only: it stops its own workers. A SIGTERM to its whole group would
                # kill the LocalExecutor's workers under it, and the scheduler then waits for them forever.
                with contextlib.suppress(ProcessLookupError):
                    service.process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + self.grace_seconds
            while any(s.process.poll() is None for s in group) and time.monotonic() < deadline:
                if self._hurry.wait(0.1):
                    break
            for service in group:
                if service.process.poll() is None:
                    waited = "" if self._hurry.is_set() else f"未在 {self.grace_seconds:.0f} 秒内停止，"
                    self.warn(f"{service.label} {waited}已强制结束")
                    _signal_group(service.process.pid, signal.SIGKILL)
                    service.process.wait()
        leftovers = self._orphans()
        for pid, created in self._descendants.items():
            with contextlib.suppress(psutil.Error):
                process = psutil.Process(pid)
                if process.create_time() == created:
                    leftovers.append(process)
        for process in leftovers:
            with contextlib.suppress(psutil.Error):
                if process.status() != psutil.STATUS_ZOMBIE:
                    process.kill()
        psutil.wait_procs(leftovers, timeout=5)
        self._reap_orphans()


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def _become_subreaper() -> bool:
    """Orphaned descendants come to this process instead of init (Linux), so none escapes the stop."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def instance_services(place, host: str, port: int, airflow_port: int, values: dict[str, str],
                      login: tuple[list[str], Path] | None) -> list[Service]:
    """An instance's services for `zfjd serve`: Airflow's API server (with its UI), scheduler and DAG
    processor, and the data service; `values` are the Airflow settings `airflow_setup.prepare` returned,
    `login` what `airflow_setup.ui_passwords` returned."""
    from zfjd import airflow_setup

    local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    airflow = [sys.executable, "-m", "airflow"]
    health = f"http://{local}:{airflow_port}/api/v2/monitor/health"
    started, parse_deadline = dt.datetime.now(dt.UTC), time.monotonic() + 120
    ui = f"http://{host}:{airflow_port}/"
    if login:
        users, passwords = login
        how = f"用户 {'、'.join(users)}，密码在 {passwords}（仅本用户可读）"
    else:
        manager = values.get("AIRFLOW__CORE__AUTH_MANAGER") or os.environ.get("AIRFLOW__CORE__AUTH_MANAGER")
        how = f"登录方式由 {manager or '已配置的认证管理器'} 决定"
    from sqlalchemy.engine import make_url

    database = make_url(values["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]).render_as_string(hide_password=True)
    return [
        Service(
            "api-server", "Airflow 界面与接口（api-server）",
            [*airflow, "api-server", "--host", host, "--port", str(airflow_port)],
            stop_stage=1,  # last: the scheduler's running tasks report through it while they stop
            ready=lambda: airflow_healthy(health),
            announce=f"Airflow 界面：{ui}（{how}）；调度器与 DAG 处理器运行中，元数据库 {database}",
        ),
        # --skip-serve-logs: the API server on this machine reads the task logs from DIR/airflow/logs
        # itself, and the log server's fixed port (8793) would clash between instances on one machine.
        # Started once the API server answers (a task started before would find no task execution API and
        # fail: "connection refused") and the DAG processor has parsed the DAGs (else a run could be created
        # from the version `zfjd run` serialised, which has no retries); that one waits 2 minutes at most,
        # so a DAG file that does not import does not keep the scheduler from starting.
        Service(
            "scheduler", "Airflow 调度器（scheduler）", [*airflow, "scheduler", "--skip-serve-logs"],
            start_when=lambda: answers(health) and (
                airflow_setup.parsed_since(started) or time.monotonic() > parse_deadline
            ),
        ),
        Service("dag-processor", "Airflow DAG 处理器（dag-processor）", [*airflow, "dag-processor"]),
        Service(
            "data-service", "数据服务（data service）",
            [sys.executable, "-m", "zfjd.cli", "serve", "--no-airflow", "--home", str(place.root),
             "--host", host, "--port", str(port)],
            ready=lambda: answers(f"http://{local}:{port}/openapi.json"),
            announce=f"数据服务：http://{host}:{port}/docs（读取 {place.published}）",
            start_when=place.published.exists,
            waiting_note=f"数据服务：尚无已发布的主题库（{place.published}），首次发布后自动启动",
        ),
    ]


def port_taken(host: str, port: int) -> bool:
    import socket

    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def answers(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


def airflow_healthy(url: str) -> bool:
    """Airflow's health endpoint: the metadata database reachable, the scheduler and the DAG processor heartbeating."""
    import json
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            health = json.load(answer)
    except (OSError, ValueError):
        return False
    return all((health.get(part) or {}).get("status") == "healthy" for part in
               ("metadatabase", "scheduler", "dag_processor"))
