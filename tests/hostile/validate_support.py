"""Helpers for the hostile inputs at `zfjd validate`: run the command in-process (or, where a crash of
the process is what is being attacked, in a child whose own peak memory is read with `os.wait4`), and
check the three things every case must show: the exit code, one clear Chinese line, nothing lost."""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from support import REFERENCE, UNIT
from typer.testing import CliRunner

from zfjd.cli import app

AS_OF = "2025-06-30"
CHINESE = re.compile(r"[\u4e00-\u9fff]")
# In-process cases: the whole test process may not pass this (pytest + polars + the standard ≈ 0.4 GB).
PROCESS_PEAK_MB = 1500


@dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str
    document: dict | None
    seconds: float
    outputs: dict[str, Path]

    def one_chinese_line(self) -> str:
        """The single line a failure prints on stderr (no traceback), checked to be Chinese."""
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, self.stderr
        assert CHINESE.search(lines[0]), lines[0]
        assert "Traceback" not in self.stderr
        return lines[0]

    def assert_unusable(self, *words: str) -> str:
        """Exit 2, one Chinese line naming `words`, and no output written (not even half of one)."""
        assert self.exit_code == 2, (self.exit_code, self.stdout, self.stderr)
        line = self.one_chinese_line()
        for word in words:
            assert word in line, line
        for path in self.outputs.values():
            assert not path.exists(), path
            leftovers = [p.name for p in path.parent.glob(f".{path.name}*")] if path.parent.is_dir() else []
            assert not leftovers, leftovers
        return line

    def assert_conserved(self, *, received: int | None = None, rejected: int | None = None) -> dict:
        """Exit 0/1 as the counts say, received = accepted + rejected, the counts as expected."""
        document = self.document
        assert document is not None, (self.exit_code, self.stderr)
        assert document["received"] == document["accepted"] + document["rejected"]
        assert self.exit_code == (1 if document["rejected"] else 0), (self.exit_code, self.stderr)
        if received is not None:
            assert document["received"] == received, document["received"]
        if rejected is not None:
            assert document["rejected"] == rejected, document["rejected"]
        return document


def validate(
    path: Path,
    tmp_path: Path,
    *extra: str,
    entity: str = "inspection",
    outputs: tuple[str, ...] = ("json",),
    seconds: float = 30,
) -> Outcome:
    """`zfjd validate` in this process (typer's runner), with `outputs` written beside the input."""
    targets = {kind: tmp_path / "out" / f"result.{kind}" for kind in outputs}
    for target in targets.values():
        target.parent.mkdir(parents=True, exist_ok=True)
    args = [
        "validate",
        str(path),
        "--entity",
        entity,
        "--unit",
        UNIT,
        "--reference",
        str(REFERENCE),
        "--as-of",
        AS_OF,
        *extra,
    ]
    for kind, target in targets.items():
        args += [f"--{kind}", str(target)]
    started = time.perf_counter()
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    elapsed = time.perf_counter() - started
    assert elapsed < seconds, f"took {elapsed:.1f} s"
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert peak_mb < PROCESS_PEAK_MB, f"process peak {peak_mb:.0f} MB"
    json_path = targets.get("json")
    document = json.loads(json_path.read_text(encoding="utf-8")) if json_path and json_path.exists() else None
    return Outcome(result.exit_code, result.stdout, result.stderr, document, elapsed, targets)


@dataclass
class ChildOutcome:
    exit_code: int  # negative: killed by that signal
    stderr: str
    peak_mb: float
    seconds: float


# Runs `python -m zfjd.cli ARGS…` and, at exit, writes the process's VmHWM (kB) to the file named first.
PEAK_REPORTER = """
import atexit, runpy, sys
peak_file = sys.argv[1]
def report():
    with open("/proc/self/status") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(peak_file, "w") as out:
        out.write(peak)
atexit.register(report)
sys.argv = ["zfjd", *sys.argv[2:]]
runpy.run_module("zfjd.cli", run_name="__main__")
"""


def validate_in_child(
    path: Path, tmp_path: Path, *extra: str, entity: str = "inspection", timeout: float = 60
) -> ChildOutcome:
    """`zfjd validate` in a child process: a crash (SIGABRT) or a memory blow-up stays there. The
    child's peak is its own image's high-water mark (VmHWM, written at exit by PEAK_REPORTER): wait4's
    ru_maxrss would also count the pytest process it was forked from (Linux carries it across exec), so
    it grows with whatever the session ran before. A child killed by a signal falls back to ru_maxrss."""
    peak_file = tmp_path / f".peak-{time.monotonic_ns()}"
    args = [
        sys.executable,
        "-c",
        PEAK_REPORTER,
        str(peak_file),
        "validate",
        str(path),
        "--entity",
        entity,
        "--unit",
        UNIT,
        "--reference",
        str(REFERENCE),
        "--as-of",
        AS_OF,
        *extra,
    ]
    started = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = started + timeout
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            child.kill()
            os.wait4(child.pid, 0)
            raise AssertionError(f"still running after {timeout} s")
        time.sleep(0.05)
    stderr = child.stderr.read().decode("utf-8", "replace")
    child.stderr.close()
    child.returncode = os.waitstatus_to_exitcode(status)
    peak_kb = int(peak_file.read_text()) if peak_file.exists() else usage.ru_maxrss
    return ChildOutcome(child.returncode, stderr, peak_kb / 1024, time.perf_counter() - started)


def raw_xlsx(
    path: Path,
    sheet_xml: str,
    shared_strings: list[str] | None = None,
    *,
    compression: int = zipfile.ZIP_DEFLATED,
    extra: dict[str, bytes] | None = None,
) -> Path:
    """A minimal XLSX written part by part, so that a test can say exactly what the sheet holds (a far
    cell, a dimension that lies, a bomb) — what no spreadsheet program would write."""
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        + (
            '<Override PartName="/xl/sharedStrings.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            if shared_strings is not None
            else ""
        )
        + "</Types>"
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    workbook = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="行政检查" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    workbook_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'worksheet" Target="worksheets/sheet1.xml"/>'
        + (
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'sharedStrings" Target="sharedStrings.xml"/>'
            if shared_strings is not None
            else ""
        )
        + "</Relationships>"
    )
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", rels)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", workbook_rels)
        archive.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        if shared_strings is not None:
            items = "".join(f"<si><t>{text}</t></si>" for text in shared_strings)
            archive.writestr(
                "xl/sharedStrings.xml",
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                f'count="{len(shared_strings)}" uniqueCount="{len(shared_strings)}">{items}</sst>',
            )
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def sheet_xml(rows: list[list[tuple[str, str]]], dimension: str | None = None) -> str:
    """Worksheet XML: each row a list of (cell reference, inline text)."""
    body = []
    for cells in rows:
        number = re.sub(r"[A-Z]+", "", cells[0][0])
        inner = "".join(f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>' for ref, text in cells)
        body.append(f'<row r="{number}">{inner}</row>')
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"{dim}<sheetData>{''.join(body)}</sheetData></worksheet>"
    )


def column_letters(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA … (the spreadsheet's column names)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
