"""The upward push really killed half-way (issue 12, "Done when"): `zfjd city push` run as a process of its
own and SIGKILLed at the points where a record could be lost or doubled, then run again.

The kill is the process's own `os.kill(os.getpid(), SIGKILL)` at a named point (`ZFJD_TEST_KILL_PUSH_AT`
in zfjd/upward.py): nothing runs after it — no `finally`, no SQLite close, no flush. The points:
- `prepared`: the outbox has some of the new batches registered, nothing sent;
- `part_written`: a batch's `.part` is written and flushed, not renamed (the province must not take it);
- `renamed`: the batch is in the province's inbox, the outbox does not know it was sent;
- `marked_sent`: between two batches;
- `acknowledging`: inside the transaction storing a batch's province rejections with its verdict (the
  province withdrew a 执法事项 广州's cases use: the city's 三库 is stale, the province rejects some rows);
- `acknowledged`: some of the province's verdicts stored, not all.
Between the kills the province runs its intake (it takes what is in its inbox at that moment, including
a batch the city will send again because it was killed before recording it). In the end every record the
city accepted is at the province exactly once, every batch is acknowledged, no `.part` is left, and
the province's rejections are stored once each, and running the push and the province's intake again
changes nothing.

The setting is tests/two_level_support.py's, smaller: 广州 alone, two days of its units taken in before
the first push, the province taking its own units on those days too.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from two_level_support import CITIES, TwoLevels, _accepted, _days, _entries_of, _state, _withdraw, _withdrawn_matter

from connectors.file_drop import platform_push
from connectors.simulator.outbox import write_pushes
from zfjd import cycle
from zfjd.upward import KILL_AT, Outbox, outbox_path, province_rejections

ROOT = Path(__file__).resolve().parents[2]
CITY = "440100"


def push(home, day: dt.date, kill_at: str | None = None) -> subprocess.CompletedProcess:
    """`zfjd city push` in a process of its own, killed at `kill_at` ("<point>:<n>") when given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "ZFJD_"))}
    if kill_at:
        env[KILL_AT] = kill_at
    return subprocess.run(
        [sys.executable, "-m", "zfjd.cli", "city", "push", "--home", str(home.root), "--as-of", day.isoformat()],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )


def killed(home, day: dt.date, kill_at: str) -> None:
    done = push(home, day, kill_at)
    assert done.returncode == -signal.SIGKILL, f"not killed at {kill_at}: {done.returncode}\n{done.stderr[-2000:]}"


def outbox_rows(home) -> list[tuple]:
    outbox = Outbox(outbox_path(home))
    try:
        return list(outbox.connection.execute(
            "select upward_batch_id, file_name, rows, sent_for, acknowledged_for from upward_batch"))
    finally:
        outbox.close()


def rejection_rows(home) -> list[tuple]:
    outbox = Outbox(outbox_path(home))
    try:
        return list(outbox.connection.execute(
            "select upward_batch_id, row_number, rule, field from province_rejection"))
    finally:
        outbox.close()


def inbox_files(levels: TwoLevels, suffix: str) -> list[Path]:
    return sorted((levels.province.province / "push" / "inbox" / CITIES[CITY]).rglob(f"*{suffix}"))


@pytest.fixture(scope="module")
def killed_pushes(tmp_path_factory) -> dict:
    levels = TwoLevels(tmp_path_factory.mktemp("push-killed"))
    home = levels.cities[CITY]
    days = _days()[:2]
    for day in days:  # two days taken in at the city, nothing pushed yet: enough batches to kill in between
        write_pushes(levels.exchange, platform_push(home.province / "push"), levels.units[CITY], day)
        cycle.land_reference(home, as_of=day)
        cycle.intake_and_validate(home, cycle.discover_units(home), as_of=day, settle_seconds=0)
    day = days[1]
    seen: dict = {"levels": levels, "home": home, "day": day}
    # The city's 三库 goes stale: the province withdraws a 执法事项 广州's cases use, so it rejects some of
    # what the city accepted, and those rejections must come back down once each.
    _withdraw(levels.province, _withdrawn_matter(levels))

    killed(home, day, "prepared:3")
    seen["after_prepared"] = outbox_rows(home)
    seen["files_after_prepared"] = inbox_files(levels, ".json")

    killed(home, day, "part_written:2")
    seen["after_part"] = outbox_rows(home)
    seen["parts_after_part"] = inbox_files(levels, ".part")
    seen["files_after_part"] = inbox_files(levels, ".json")
    levels.province_cycle(day)  # the province runs while a .part lies in its inbox
    seen["province_after_part"] = _entries_of(levels.province, CITIES[CITY])

    killed(home, day, "renamed:2")  # the second batch of this run is in the inbox, not recorded as sent
    seen["after_renamed"] = outbox_rows(home)
    levels.province_cycle(day)  # …and the province takes it before the city sends it again
    seen["province_after_renamed"] = _entries_of(levels.province, CITIES[CITY])

    killed(home, day, "marked_sent:2")
    completed = push(home, day)
    assert completed.returncode == 0, completed.stderr
    seen["completed"] = completed.stdout
    levels.province_cycle(day)  # takes the rest, and the batch sent twice once more

    killed(home, day, "acknowledging:1")  # in the transaction storing a batch's rejections with its verdict
    seen["after_acknowledging"] = outbox_rows(home), rejection_rows(home)
    killed(home, day, "acknowledged:2")
    seen["after_acknowledged"] = outbox_rows(home)
    acknowledged = push(home, day)
    assert acknowledged.returncode == 0, acknowledged.stderr
    seen["state"] = _state(levels)

    again = push(home, day)  # the same day again: nothing sent, nothing learnt
    assert again.returncode == 0, again.stderr
    seen["again"] = again.stdout
    levels.province_cycle(day)
    seen["state_again"] = _state(levels)
    return seen


def test_a_kill_while_preparing_sends_nothing_and_keeps_what_it_registered(killed_pushes):
    assert len(killed_pushes["after_prepared"]) == 3
    assert all(row[3] is None for row in killed_pushes["after_prepared"]), "nothing sent yet"
    assert killed_pushes["files_after_prepared"] == []


def test_a_kill_before_the_rename_leaves_a_part_the_province_does_not_take(killed_pushes):
    sent = [row for row in killed_pushes["after_part"] if row[3] is not None]
    assert len(sent) == 1
    assert len(killed_pushes["parts_after_part"]) == 1 and len(killed_pushes["files_after_part"]) == 1
    assert len(killed_pushes["after_part"]) > 6, "the kills must come with batches still to send"
    # The province took the whole batch and left the .part alone.
    assert {e.batch_id for e in killed_pushes["province_after_part"]} == {sent[0][0]}


def test_a_kill_after_the_rename_is_sent_again_and_taken_once(killed_pushes):
    recorded = sum(row[3] is not None for row in killed_pushes["after_renamed"])
    assert recorded == 2  # the first of that run recorded; the second renamed, not recorded
    taken = {e.batch_id for e in killed_pushes["province_after_renamed"]}
    unrecorded = [row[0] for row in killed_pushes["after_renamed"] if row[3] is None and row[0] in taken]
    assert len(unrecorded) == 1, "the province took the batch the city did not record as sent"
    upward = _entries_of(killed_pushes["levels"].province, CITIES[CITY])
    assert len(upward) == len({e.batch_id for e in upward})
    assert sum(e.batch_id == unrecorded[0] for e in upward) == 1, "sent again, taken once"


def test_every_record_the_city_accepted_reaches_the_province_exactly_once(killed_pushes):
    levels, home = killed_pushes["levels"], killed_pushes["home"]
    rows = outbox_rows(home)
    upward = _entries_of(levels.province, CITIES[CITY])
    assert sorted(e.batch_id for e in upward) == sorted(row[0] for row in rows), "nothing lost, nothing doubled"
    received = {e.batch_id: e.received for e in upward}
    assert all(received[row[0]] == row[2] for row in rows)
    assert sum(received.values()) == _accepted(home) > 0
    assert all(row[4] is not None for row in rows), "every batch acknowledged after the kill while acknowledging"
    assert sum(row[4] is not None for row in killed_pushes["after_acknowledged"]) >= 2
    assert inbox_files(levels, ".part") == [] and inbox_files(levels, ".json") == []


def test_the_provinces_rejections_come_back_once_and_never_without_their_verdict(killed_pushes):
    rows, rejections = killed_pushes["after_acknowledging"]
    acknowledged = {row[0] for row in rows if row[4] is not None}
    assert {r[0] for r in rejections} <= acknowledged, "a rejection stored while its batch was not acknowledged"
    levels, home = killed_pushes["levels"], killed_pushes["home"]
    upward = _entries_of(levels.province, CITIES[CITY])
    province_rejected = sum(e.rejected for e in upward)
    assert province_rejected > 0, "the stale 三库 must make the province reject some rows"
    stored = rejection_rows(home)
    assert len({(r[0], r[1]) for r in stored}) == province_rejected
    outbox = Outbox(outbox_path(home))
    assert outbox.totals()["province_rejected"] == province_rejected
    outbox.close()
    assert len(province_rejections(home, killed_pushes["day"])) == len(stored)


def test_running_again_changes_nothing(killed_pushes):
    assert killed_pushes["state_again"] == killed_pushes["state"]
    assert "本次发送 0 批" in killed_pushes["again"] and "省级新确认 0 批" in killed_pushes["again"]
