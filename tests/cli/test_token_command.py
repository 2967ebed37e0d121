"""`zfjd token issue / list / revoke`: the token is printed once and kept nowhere, the list never shows
it, a revoked token stops working."""

from __future__ import annotations

import re
import stat

from typer.testing import CliRunner

from zfjd.cli import app
from zfjd.home import Home
from zfjd.service import tokens

UNIT = "11440100MB00000064"


def zfjd(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_issue_prints_the_token_once_list_hides_it_and_revoke_removes_it(tmp_path):
    issued = zfjd("token", "issue", "--home", str(tmp_path), "--unit", UNIT, "--city", "440100")
    assert issued.exit_code == 0, issued.output
    token = issued.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)
    home = Home.at(tmp_path)
    record = tokens.listed(home)[0]
    assert (record.unit, record.city, record.province) == (UNIT, "440100", False)
    assert record.token_id in issued.output and "只显示这一次" in issued.output
    path = tokens.token_path(home)
    assert token not in path.read_text(encoding="utf-8") and stat.S_IMODE(path.stat().st_mode) == 0o600
    second = zfjd("token", "issue", "--home", str(tmp_path), "--unit", UNIT).stdout.strip().splitlines()[-1]
    assert second != token

    listed = zfjd("token", "list", "--home", str(tmp_path))
    assert listed.exit_code == 0 and record.token_id in listed.output and "440100" in listed.output
    assert token not in listed.output and second not in listed.output

    revoked = zfjd("token", "revoke", "--home", str(tmp_path), "--token-id", record.token_id)
    assert revoked.exit_code == 0 and "已吊销" in revoked.output
    remaining = {r.token_id for r in tokens.listed(home)}
    assert remaining and record.token_id not in remaining
    assert tokens.TokenBook(home).scope_of(token) is None and tokens.TokenBook(home).scope_of(second).unit == UNIT


def test_bad_input_is_refused_in_chinese(tmp_path):
    for args in (("--unit", "not-a-unit"), ("--unit", UNIT, "--city", "4401"), ("--unit", UNIT, "--city", "440100",
                                                                             "--province")):
        done = zfjd("token", "issue", "--home", str(tmp_path), *args)
        assert done.exit_code == 2 and "无法运行" in done.output, done.output
    assert tokens.listed(Home.at(tmp_path)) == []
    unknown = zfjd("token", "revoke", "--home", str(tmp_path), "--token-id", "abc")
    assert unknown.exit_code == 2 and "没有编号为 abc 的令牌" in unknown.output
