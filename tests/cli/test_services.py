"""The supervisor behind `zfjd serve` (zfjd/services.py) with plain Python children instead of Airflow:
fast, and exact about what happens to each process. The supervisor runs in its own process, as under
`zfjd serve` (signal handlers belong to a main thread)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

SUPERVISE = """
import json, sys
from pathlib import Path
from zfjd.services import Service, Supervisor
spec = json.loads(sys.argv[1])
children = [Service(name, name, [sys.executable, "-c", code], stop_stage=stage)
            for name, code, stage in spec["children"]]
supervisor = Supervisor(children, env=None, logs=Path(spec["logs"]), say=print, warn=print,
                        grace_seconds=spec["grace"], tick_seconds=0.1)
code = supervisor.run(on_all_ready=lambda: print("READY", flush=True))
sys.exit(code)
"""
# A child that starts a grandchild in a session of its own (as Airflow's task processes do) and writes its pid.
WITH_GRANDCHILD = """
import subprocess, sys, time
grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True)
open({pid_file!r}, "w").write(str(grandchild.pid))
time.sleep(120)
"""
SLEEPER = "import time; time.sleep(120)"
STUBBORN = ("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); "
            "time.sleep(120)")


def supervise(tmp_path: Path, children: list, grace: float = 5) -> subprocess.Popen:
    spec = {"children": children, "logs": str(tmp_path / "logs"), "grace": grace}
    return subprocess.Popen([sys.executable, "-c", SUPERVISE, json.dumps(spec)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def wait_for(predicate, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_a_child_that_dies_stops_the_rest_and_what_it_left_behind(tmp_path):
    pid_file = tmp_path / "grandchild.pid"
    supervisor = supervise(tmp_path, [["parent", WITH_GRANDCHILD.format(pid_file=str(pid_file)), 0],
                                      ["other", SLEEPER, 0]])
    wait_for(pid_file.exists)
    wait_for(lambda: pid_file.read_text().strip() != "")
    grandchild = int(pid_file.read_text())
    parent = next(p for p in psutil.Process(supervisor.pid).children() if "grandchild" in " ".join(p.cmdline()))
    others = [p for p in psutil.Process(supervisor.pid).children() if p.pid != parent.pid]
    parent.kill()  # its grandchild, in a session of its own, is orphaned
    out, _ = supervisor.communicate(timeout=30)
    assert supervisor.returncode == 1, out
    assert "parent（进程" in out and "意外退出（被信号 SIGKILL 结束）" in out and "parent.log" in out, out
    assert not alive(grandchild) and not any(alive(p.pid) for p in others)


def test_sigterm_stops_every_child_and_one_that_ignores_it_is_killed_after_the_grace(tmp_path):
    supervisor = supervise(tmp_path, [["first", SLEEPER, 0], ["stubborn", STUBBORN, 1]], grace=1)
    log = tmp_path / "logs" / "stubborn.log"
    # Its own line "up" (the log's header quotes the code): SIGTERM is ignored from then on.
    wait_for(lambda: log.exists() and "\nup\n" in log.read_text())
    children = psutil.Process(supervisor.pid).children()
    assert len(children) == 2
    supervisor.send_signal(signal.SIGTERM)
    out, _ = supervisor.communicate(timeout=30)
    assert supervisor.returncode == 0, out
    assert "stubborn 未在 1 秒内停止，已强制结束" in out, out
    assert not any(alive(p.pid) for p in children)
