"""The daily cycle's steps as plain functions: the DAGs only wire these, and tests call them directly.

discover units → (per group of units) intake + validate → warehouse build → checks → publish →
feedback. Every step is idempotent: landing and the lake are content-addressed and skip what is done,
the warehouse is rebuilt from the lake, and publishing swaps a finished copy in atomically.
"""

from __future__ import annotations

import datetime as dt
import json
from contextlib import ExitStack
from dataclasses import asdict, dataclass

from zfjd.home import Home

REFERENCE_UNIT = "province"  # the 三库 extract lands under this name: it is the province's, not a unit's


@dataclass(frozen=True)
class ProvinceSpec:
    """The simulated province an embedded instance runs against (zfjd simulate's parameters)."""

    units: int
    days: int
    seed: int
    start: str
    defect_rate: float = 0.03

    @property
    def last_day(self) -> dt.date:
        return dt.date.fromisoformat(self.start) + dt.timedelta(days=self.days - 1)

    def exchange(self):
        from connectors.simulator.exchange import Exchange

        return Exchange.simulate(self.units, self.days, self.seed, dt.date.fromisoformat(self.start), self.defect_rate)


class ProvinceMismatch(ValueError):
    pass


def province_spec(home: Home) -> ProvinceSpec | None:
    path = home.province / "province.json"
    if not path.exists():
        return None
    return ProvinceSpec(**json.loads(path.read_text(encoding="utf-8")))


def prepare_province(home: Home, spec: ProvinceSpec) -> bool:
    """Writes the simulated province once; returns False when the same one is already there."""
    existing = province_spec(home)
    if existing == spec:
        return False
    if existing is not None:
        raise ProvinceMismatch(
            f"{home.root} 中已有另一个模拟省份（{existing.units} 个单位、{existing.days} 天、种子 {existing.seed}），"
            "请换一个 --home 目录，或使用相同的参数"
        )
    import secrets

    from connectors.file_drop import FileDrop, platform_push
    from connectors.simulator.front_db import write_front_tables
    from connectors.simulator.outbox import write_file_drops, write_pushes, write_reference, write_units_config

    exchange = spec.exchange()
    folder = home.province
    folder.mkdir(parents=True, exist_ok=True)
    channels = write_units_config(exchange, folder / "units.yaml")
    write_reference(exchange, folder / "reference")
    by_channel = {c: [u for u, ch in channels.items() if ch == c] for c in set(channels.values())}
    drop, push = FileDrop(folder / "drop"), platform_push(folder / "push")
    for day in exchange.days:
        write_file_drops(exchange, drop, by_channel.get("file_drop", []), day)
        write_pushes(exchange, push, by_channel.get("platform_push", []), day)
    write_front_tables(exchange, _front_url(home))
    token_path = folder / "api-token"
    if not token_path.exists():
        token_path.write_text(secrets.token_urlsafe(24), encoding="utf-8")
        token_path.chmod(0o600)
    # Written last: a province without it is incomplete and is written again.
    (folder / "province.json").write_text(json.dumps(asdict(spec), indent=1), encoding="utf-8")
    return True


def _front_url(home: Home) -> str:
    return f"sqlite:///{home.province / 'front.sqlite'}"


def registry(home: Home):
    import polars as pl

    from connectors.registry import Registry
    from quality.reference import load_reference
    from standards.loader import standard

    bodies = load_reference(home.reference, standard()).entities
    if bodies is None:
        bodies = pl.DataFrame(schema={"TYSHXYDM": pl.String, "BSDWDM": pl.String})
    return Registry.load(bodies, home.province / "units.yaml")


def discover_units(home: Home) -> list[str]:
    """Every registered 报送单位, in a stable order."""
    return sorted(registry(home).units)


def unit_groups(units: list[str], size: int) -> list[list[str]]:
    """Units in groups of `size`: the daily DAG maps over groups, never over single units or rows."""
    return [units[start : start + size] for start in range(0, len(units), size)]


@dataclass
class GroupOutcome:
    units: int
    landed_rows: int
    new_batches: int
    received: int
    accepted: int
    rejected: int
    findings: int
    problems: list[str]


def intake_and_validate(home: Home, units: list[str], *, as_of: dt.date) -> GroupOutcome:
    """Pulls and lands each unit's records through its channel, then validates its new batches.

    A unit whose channel fails is reported in `problems`; the other units go on."""
    from connectors.file_drop import FileDrop, platform_push
    from connectors.intake import run_intake
    from connectors.landing import Landing
    from connectors.registry import Registry
    from connectors.sql import FrontDbSource
    from connectors.watermarks import WatermarkStore
    from quality.lake import Lake, validate_landed

    full = registry(home)
    chosen = Registry({code: full.units[code] for code in units if code in full.units})
    landing, watermarks = Landing(home.landing), WatermarkStore(home.watermarks)
    problems: list[str] = []
    with ExitStack() as stack:
        api = _api_source(home, stack) if chosen.by_channel("api") else None
        report = run_intake(
            chosen,
            landing,
            watermarks,
            api=api,
            sql=FrontDbSource(_front_url(home)) if chosen.by_channel("sql") else None,
            drop=FileDrop(home.province / "drop", settle_seconds=0),
            push=platform_push(home.province / "push", settle_seconds=0),
        )
    for tally in report.channels.values():
        problems.extend(tally.problems)
    checked = validate_landed(landing, Lake(home.lake), home.reference, as_of=as_of, units=set(units))
    return GroupOutcome(
        units=len(chosen.units),
        landed_rows=report.rows_landed,
        new_batches=report.new_batches,
        received=checked.received,
        accepted=checked.accepted,
        rejected=checked.rejected,
        findings=checked.findings,
        problems=problems,
    )


def _api_source(home: Home, stack: ExitStack):
    """The exchange API: the simulated one on loopback for a simulated province, else from the
    environment (ZFJD_EXCHANGE_URL / ZFJD_EXCHANGE_TOKEN) or an Airflow Connection."""
    from connectors.api import ApiSource

    spec = province_spec(home)
    if spec is None:
        return ApiSource.from_env()
    from connectors.simulator.api_server import start_api

    token = (home.province / "api-token").read_text(encoding="utf-8").strip()
    server = stack.enter_context(start_api(spec.exchange(), token=token))
    return ApiSource(server.url, token)


def land_reference(home: Home, *, as_of: dt.date) -> int:
    """Lands the province's 三库 extract (as any batch: content-addressed, idempotent) and validates it;
    the warehouse keeps its history (SCD2). Returns the number of new batches."""
    from connectors.file_drop import decode
    from connectors.landing import Landing, RawBatch
    from quality.lake import Lake, validate_landed

    landing = Landing(home.landing)
    new = 0
    for entity in ("enforcement_entity", "officer", "matter", "law", "law_article"):
        path = home.reference / f"{entity}.csv"
        if not path.exists():
            continue
        content = path.read_bytes()
        batch = RawBatch(REFERENCE_UNIT, entity, "reference", content, decode(path), source_name=path.name)
        _, created = landing.land(batch)
        new += created
    validate_landed(landing, Lake(home.lake), home.reference, as_of=as_of, units={REFERENCE_UNIT})
    return new
