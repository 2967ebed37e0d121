"""`zfjd simulate`: a province on disk through every channel, deterministic; `--serve` answers on loopback."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import time

import requests
import yaml


def zfjd(*args: str, **options) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "zfjd.cli", *args], capture_output=True, text=True, timeout=300,
                          check=False, **options)


def _digest(folder) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name not in ("front.sqlite", "api-token")
    }


def test_simulate_writes_every_channel_and_is_deterministic(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        done = zfjd("simulate", "--units", "16", "--days", "2", "--seed", "3", "--out", str(out))
        assert done.returncode == 0, done.stderr
    assert "api: 5 个单位" in done.stdout  # four units and the 政务服务网 (行政许可)
    assert {p.name for p in first.iterdir()} == {"reference", "units.yaml", "drop", "push", "front.sqlite", "api-token"}
    assert any((first / "drop" / "inbox").rglob("*.xlsx")) and any((first / "push" / "inbox").rglob("*.json"))
    assert _digest(first) == _digest(second)
    assert oct((first / "api-token").stat().st_mode & 0o777) == "0o600"
    assert (first / "api-token").read_text() not in done.stdout


def test_serve_answers_with_the_token_and_refuses_without(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "zfjd.cli", "simulate", "--units", "8", "--days", "2", "--out", str(tmp_path),
         "--serve"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        url = None
        deadline = time.monotonic() + 120
        while url is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            found = re.search(r"(http://127\.0\.0\.1:\d+)", line)
            url = found.group(1) if found else None
        assert url, "the API did not start"
        token = (tmp_path / "api-token").read_text().strip()
        units = yaml.safe_load((tmp_path / "units.yaml").read_text(encoding="utf-8"))["units"]
        params = {"unit": next(code for code, settings in units.items() if settings["channel"] == "api")}
        refused = requests.get(f"{url}/api/v1/records/inspection", params=params, timeout=10)
        assert refused.status_code == 401
        answered = requests.get(f"{url}/api/v1/records/inspection", params=params, timeout=10,
                                headers={"Authorization": f"Bearer {token}"})
        assert answered.status_code == 200, answered.text
        assert isinstance(answered.json()["records"], list)
    finally:
        process.terminate()
        process.wait(timeout=30)
