"""One intake pass: every registered unit, through its channel, every case entity, landed once.

This is the step the daily DAG maps over batches of units; here it runs in-process. Each channel's
connector lands page by page (or file by file) and only then moves its watermark, so the pass can be
interrupted anywhere and run again: what was landed stays, nothing is landed twice.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from connectors.file_drop import FileDrop, display_name
from connectors.landing import Landing
from connectors.registry import Registry
from connectors.watermarks import WatermarkStore

CASE_ENTITIES = ("penalty_case", "coercion_case", "inspection")


@dataclass
class ChannelTally:
    units: int = 0
    batches: int = 0
    new_batches: int = 0
    rows_landed: int = 0
    quarantined: int = 0  # new batches landed unreadable: the lake quarantines them with their reason
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def rows_per_second(self) -> float:
        return self.rows_landed / self.seconds if self.seconds else 0.0


@dataclass
class IntakeReport:
    channels: dict[str, ChannelTally] = field(default_factory=dict)

    @property
    def rows_landed(self) -> int:
        return sum(tally.rows_landed for tally in self.channels.values())

    @property
    def new_batches(self) -> int:
        return sum(tally.new_batches for tally in self.channels.values())

    @property
    def problems(self) -> list[str]:
        return [problem for tally in self.channels.values() for problem in tally.problems]


def run_intake(
    registry: Registry,
    landing: Landing,
    watermarks: WatermarkStore,
    *,
    api=None,
    sql=None,
    drop: FileDrop | None = None,
    push: FileDrop | None = None,
    entities: Iterable[str] | None = None,
) -> IntakeReport:
    """Pulls and lands every unit of the registry through the connector of its channel: `entities` when
    given, else what the unit reports (its `entities` in units.yaml, else the case entities)."""
    from connectors import api as api_channel
    from connectors import sql as sql_channel

    report = IntakeReport()
    chosen = tuple(entities) if entities is not None else None
    pullers = {
        "api": (api, lambda unit, entity: api_channel.pull_and_land(api, landing, watermarks, unit, entity)),
        "sql": (sql, lambda unit, entity: sql_channel.pull_and_land(sql, landing, watermarks, unit, entity)),
        "file_drop": (drop, lambda unit, entity: _land_files(drop, landing, unit, entity)),
        "platform_push": (push, lambda unit, entity: _land_files(push, landing, unit, entity)),
    }
    for channel, (source, pull) in pullers.items():
        units = registry.by_channel(channel)
        tally = report.channels.setdefault(channel, ChannelTally())
        if not units:
            continue
        if source is None:
            tally.problems.append(f"{len(units)} 个单位使用 {channel} 渠道，但未配置该渠道")
            continue
        started = time.perf_counter()
        for unit in units:
            tally.units += 1
            for entity in chosen or unit.entities or CASE_ENTITIES:
                pulled = pull(unit.code, entity)
                tally.batches += pulled.batches
                tally.new_batches += pulled.new_batches
                tally.rows_landed += pulled.rows_landed
                tally.quarantined += pulled.quarantined
                tally.problems.extend(getattr(pulled, "problems", ()))
        tally.seconds += time.perf_counter() - started
    return report


@dataclass
class _FilesReport:
    batches: int = 0
    new_batches: int = 0
    rows_landed: int = 0
    quarantined: int = 0
    problems: list[str] = field(default_factory=list)


def _land_files(mailbox: FileDrop, landing: Landing, unit: str, entity: str) -> _FilesReport:
    """Lands the unit's files; a file refused or landed unreadable is named in `problems` (the lake
    records the reason of an unreadable one for the unit's feedback)."""
    outcome = _FilesReport()
    for landed in mailbox.land_all(unit, entity, landing):
        name = display_name(landed.original_name, 80)
        if landed.manifest is None:
            outcome.problems.append(f"{entity} {name}：{landed.problem}")
            continue
        outcome.batches += 1
        if landed.new:
            outcome.new_batches += 1
            outcome.rows_landed += landed.manifest.rows
            outcome.quarantined += landed.problem is not None
        if landed.problem is not None:  # every run while it lasts (a refused link is refused again)
            outcome.problems.append(f"{entity} {name}：未能接收，已隔离：{landed.problem}")
    return outcome
