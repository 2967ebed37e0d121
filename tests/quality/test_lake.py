"""Landed batches validated many at a time give, batch by batch, exactly what validating each alone gives."""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter
from pathlib import Path

import polars as pl
import pytest
from build_samples import OTHER_UNIT, UNIT
from support import AS_OF, REFERENCE, SAMPLES

import zfjd.lake as lake_module
from connectors.file_drop import decode
from connectors.landing import Landing, RawBatch
from connectors.simulator.exchange import Exchange
from connectors.simulator.outbox import write_reference
from quality.engine import BatchFile, UnusableFile, validate_batches, validate_file
from standards.loader import standard
from standards.model import REFERENCE_UNIT
from zfjd.lake import Lake, validate_landed

UNITS, DAYS, SEED = 20, 10, 3
START = dt.date(2025, 3, 1)
LAST_DAY = START + dt.timedelta(days=DAYS - 1)
LANDED_UNITS = 10  # of the 20: enough units and days for groups of many batches and several senders
RECEIVED_AT = dt.datetime(2025, 3, 10, 18, 0, tzinfo=dt.UTC)


def _chinese(frame: pl.DataFrame, entity: str) -> pl.DataFrame:
    return frame.rename({f.code: f.name for f in standard().entity(entity).fields if f.code in frame.columns})


def _land(landing: Landing, unit: str, entity: str, records: pl.DataFrame, label: str) -> str:
    content = f"{label}\n".encode() + records.write_csv().encode("utf-8")
    manifest, _ = landing.land(
        RawBatch(unit, entity, "file_drop", content, records, source_name=label), received_at=RECEIVED_AT
    )
    return manifest.batch_id


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    """A landing zone of one file per unit, entity and day (headers as codes or Chinese names), plus
    batches made to carry each in-file rule, a malformed line and an unusable file, among the rest."""
    root = tmp_path_factory.mktemp("lake")
    exchange = Exchange.simulate(UNITS, DAYS, seed=SEED, start=START)
    write_reference(exchange, root / "reference")
    landing = Landing(root / "landing")
    units = exchange.unit_codes[:LANDED_UNITS]
    for number, unit in enumerate(units):
        for entity in ("penalty_case", "coercion_case", "inspection"):
            for day in exchange.days:
                records = exchange.of_unit(unit, entity, day)
                if records.height:
                    if (number + day.day) % 2:
                        records = _chinese(records, entity)
                    _land(landing, unit, entity, records, f"{unit}-{entity}-{day}")

    def distinct_cases(unit: str) -> pl.DataFrame:
        return exchange.of_unit(unit, "penalty_case").unique(subset=["ZTDM", "AJBH"], keep="first", maintain_order=True)

    unit = max(units, key=lambda code: distinct_cases(code).height)
    cases = distinct_cases(unit)
    first, second, third = cases[0], cases[1], cases[2]
    crafted = {
        # the same cases sent again, one of them changed: an update, not a conflict
        "resent": _land(landing, unit, "penalty_case", pl.concat([first, second]), "resent"),
        "updated": _land(
            landing,
            unit,
            "penalty_case",
            _chinese(pl.concat([first.with_columns(CF_SY=pl.lit("补正后的违法事实")), second]), "penalty_case"),
            "updated",
        ),
        "conflict": _land(
            landing,
            unit,
            "penalty_case",
            pl.concat([third, third.with_columns(CF_SY=pl.lit("另一种违法事实")), second]),
            "conflict",
        ),
        "duplicate": _land(landing, unit, "penalty_case", pl.concat([first, third, first]), "duplicate"),
        "unusable": _land(landing, unit, "penalty_case", pl.concat([first, second]).drop("AJBH"), "unusable"),
    }
    broken = root / "broken.csv"
    broken.write_text(pl.concat([second, third]).write_csv() + "多出来的一行," * 60 + "\n", encoding="utf-8")
    crafted["malformed"] = _land(landing, unit, "penalty_case", decode(broken), "malformed")

    # The 执法主体 extract in two batches: a group without a sending unit (the province's own records).
    bodies = exchange.province.reference_frames()["enforcement_entity"]
    half = bodies.height // 2
    for part in (bodies.head(half), bodies.tail(bodies.height - half)):
        batch = RawBatch(REFERENCE_UNIT, "enforcement_entity", "reference", part.write_csv().encode(), part)
        landing.land(batch, received_at=RECEIVED_AT)
    return root, landing, crafted


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".scratch" not in path.parts
    }


@pytest.fixture(scope="module")
def one_at_a_time(province):
    root, landing, _ = province
    lake = Lake(root / "lake-one-at-a-time")
    report = validate_landed(landing, lake, root / "reference", as_of=LAST_DAY, group_rows=None)
    return lake, report


@pytest.fixture(scope="module")
def grouped(province):
    root, landing, _ = province
    lake = Lake(root / "lake-grouped")
    calls = []
    original = lake_module.validate_batches

    def counting(files, entity, **options):
        calls.append((entity, len(files)))
        return original(files, entity, **options)

    lake_module.validate_batches = counting
    try:
        report = validate_landed(landing, lake, root / "reference", as_of=LAST_DAY)
    finally:
        lake_module.validate_batches = original
    return lake, report, calls


def test_grouped_validation_writes_the_same_files_as_one_batch_at_a_time(province, one_at_a_time, grouped):
    _, landing, crafted = province
    (alone, alone_report), (lake, report, calls) = one_at_a_time, grouped
    # really grouped: one engine pass per entity with all its batches (an entity's only batch goes alone)
    by_entity = Counter(m.entity for m in landing.manifests())
    assert dict(calls) == {entity: count for entity, count in by_entity.items() if count > 1}
    assert by_entity["penalty_case"] > 20 and by_entity["inspection"] > 20
    assert report == alone_report and report.validated == len(landing.manifests())
    expected, actual = _files(alone.root), _files(lake.root)
    assert sorted(actual) == sorted(expected)
    differing = [name for name in expected if actual[name] != expected[name]]
    assert not differing, differing[:10]

    def issues(name: str) -> dict[int, set[str]]:
        frame = _read_or_none(lake.root / "issues" / f"{crafted[name]}.parquet")
        rows: dict[int, set[str]] = {}
        if frame is None:  # a batch without a rejection or finding has no issues file
            return rows
        for row, rule in frame.select("row_number", "rule").iter_rows():
            rows.setdefault(row, set()).add(rule)
        return rows

    in_file_rules = {"batch.key_conflict", "batch.unique_conflict"}
    for name in ("resent", "updated", "duplicate"):  # the same keys in two batches, or sent twice unchanged
        assert not any(rules & in_file_rules for rules in issues(name).values()), name
    assert "batch.key_conflict" in issues("conflict")[1] and "batch.key_conflict" in issues("conflict")[2]
    assert not issues("conflict").get(3, set()) & in_file_rules
    assert lake.entry(crafted["duplicate"]).accepted == 3  # both copies accepted: no conflict, nothing lost
    assert issues("malformed")[3] == {"record.malformed"}
    assert set().union(*issues("unusable").values()) == {"batch.unusable"}
    assert lake.entry(crafted["unusable"]).unusable_reason.startswith("缺少")
    assert lake.entry(crafted["resent"]).unusable_reason is None
    rejected = pl.read_parquet(lake.root / "rejected" / "penalty_case" / f"{crafted['malformed']}.parquet")
    assert rejected.filter(pl.col("row_number") == 3)["__malformed_text"].item().startswith("多出来的一行")


def test_every_batch_is_conserved(province, grouped):
    _, landing, _ = province
    lake, report, _ = grouped
    manifests = {m.batch_id: m for m in landing.manifests()}
    entries = lake.entries()
    assert {e.batch_id for e in entries} == set(manifests)
    for entry in entries:
        assert entry.received == entry.accepted + entry.rejected == manifests[entry.batch_id].rows
        accepted_path = lake.root / "accepted" / entry.entity / f"{entry.batch_id}.parquet"
        # a batch quarantined whole has no accepted file
        assert accepted_path.exists() == (entry.unusable_reason is None)
        accepted = pl.read_parquet(accepted_path) if accepted_path.exists() else pl.DataFrame({"row_number": []})
        rejected = _read_or_none(lake.root / "rejected" / entry.entity / f"{entry.batch_id}.parquet")
        issues = _read_or_none(lake.root / "issues" / f"{entry.batch_id}.parquet")
        if rejected is None:  # no file stands for no row
            rejected = pl.DataFrame(schema={"row_number": pl.Int64})
        if issues is None:
            issues = pl.DataFrame(schema={"row_number": pl.Int64, "severity": pl.String})
        assert (accepted.height, rejected.height) == (entry.accepted, entry.rejected)
        rejected_rows = set(issues.filter(pl.col("severity") == "reject")["row_number"])
        assert rejected_rows == set(rejected["row_number"])
        assert not rejected_rows & set(accepted["row_number"])
        assert set(accepted["row_number"]) | rejected_rows == set(range(1, entry.received + 1))
    assert report.received == sum(m.rows for m in manifests.values())
    # An empty quarantine or issue list is not written: most batches have neither.
    written = [*lake.root.glob("rejected/*/*.parquet"), *lake.root.glob("issues/*.parquet")]
    assert written and all(pl.read_parquet(path).height for path in written)
    assert len(written) < 2 * len(entries)


def _read_or_none(path: Path) -> pl.DataFrame | None:
    return pl.read_parquet(path) if path.exists() else None


def test_a_second_run_validates_nothing_and_changes_nothing(province, grouped, tmp_path):
    root, landing, _ = province
    lake = Lake(tmp_path / "lake")
    shutil.copytree(grouped[0].root, lake.root)
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in lake.root.rglob("*") if p.is_file()}
    report = validate_landed(landing, lake, root / "reference", as_of=LAST_DAY)
    assert report.validated == 0 and report.batches == len(landing.manifests())
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in lake.root.rglob("*") if p.is_file()}
    assert after == before


def test_a_crash_before_the_commit_converges_to_the_same_files(province, grouped, tmp_path):
    root, landing, crafted = province
    lake = Lake(tmp_path / "lake")
    shutil.copytree(grouped[0].root, lake.root)
    expected = _files(lake.root)
    # A crash mid-group: three batches written in part (or not at all), their ledger entries missing.
    interrupted = [crafted["conflict"], crafted["unusable"], crafted["malformed"]]
    for batch_id in interrupted:
        lake.ledger_path(batch_id).unlink()
    (lake.root / "accepted" / "penalty_case" / f"{crafted['conflict']}.parquet").write_bytes(b"half")
    (lake.root / "issues" / f"{crafted['malformed']}.parquet").unlink()
    # A batch with no issue, cut short while an attempt was writing an issues file it then had no use for.
    clean = next(e for e in lake.entries() if not (lake.root / "issues" / f"{e.batch_id}.parquet").exists())
    lake.ledger_path(clean.batch_id).unlink()
    (lake.root / "issues" / f"{clean.batch_id}.parquet").write_bytes(b"half")
    (lake.root / "rejected" / clean.entity / f"{clean.batch_id}.parquet").write_bytes(b"half")
    interrupted.append(clean.batch_id)
    report = validate_landed(landing, lake, root / "reference", as_of=LAST_DAY)
    assert report.validated == len(interrupted)
    assert _files(lake.root) == expected


def test_a_group_is_committed_together_and_a_crash_while_storing_it_commits_none_of_it(province, grouped, tmp_path):
    root, landing, crafted = province
    lake = Lake(tmp_path / "lake")
    group = [m for m in landing.manifests() if m.entity == "inspection"][:6]
    stored = []
    original = lake_module._store

    def dying(*args, **options):
        if len(stored) == 4:
            raise KeyboardInterrupt  # the process stopped part way through storing the group
        stored.append(args[1].batch_id)
        return original(*args, **options)

    reference = lake_module.reference_of(root / "reference", standard())
    lake_module._store = dying
    try:
        with pytest.raises(KeyboardInterrupt):
            lake_module.validate_group(landing, lake, group, reference, as_of=LAST_DAY, standard=standard())
    finally:
        lake_module._store = original
    assert len(stored) == 4 and all(
        (lake.root / "accepted" / "inspection" / f"{b}.parquet").exists() for b in stored
    )
    assert [m.batch_id for m in group if lake.entry(m.batch_id)] == []  # written in part, none committed
    # A ledger entry a power loss left empty is no commit either: that batch is validated again too.
    expected = _files(grouped[0].root)
    shutil.copytree(grouped[0].root / "ledger", lake.root / "ledger", dirs_exist_ok=True)
    for manifest in group:
        lake.ledger_path(manifest.batch_id).unlink()
    lake.ledger_path(crafted["conflict"]).write_bytes(b"")
    report = validate_landed(landing, lake, root / "reference", as_of=LAST_DAY)
    assert report.validated == len(group) + 1
    assert {k: v for k, v in _files(lake.root).items() if k.startswith("ledger")} == {
        k: v for k, v in expected.items() if k.startswith("ledger")
    }
    for manifest in [*group, landing.find(crafted["conflict"])]:
        for name in (f"issues/{manifest.batch_id}.parquet", f"accepted/{manifest.entity}/{manifest.batch_id}.parquet"):
            assert _files(lake.root).get(name) == expected.get(name)


def test_small_groups_give_the_same_files(province, one_at_a_time, tmp_path):
    """Groups cut by rows (a batch larger than the group size is validated alone) change nothing."""
    root, landing, _ = province
    lake = Lake(tmp_path / "lake")
    validate_landed(landing, lake, root / "reference", as_of=LAST_DAY, group_rows=40)
    assert _files(lake.root) == _files(one_at_a_time[0].root)


def test_validate_batches_gives_each_file_what_validate_file_gives(tmp_path):
    """Files of several formats and senders in one pass; an unusable one and a missing one among them."""
    coercion = tmp_path / "coercion.csv"
    coercion.write_text("强制编号,执法主体代码\nTH-QZ-1,x\n", encoding="utf-8")
    files = [
        BatchFile("csv", SAMPLES / "penalty_case.csv", UNIT),
        BatchFile("wrong entity", coercion, UNIT),
        BatchFile("gb18030, other unit", SAMPLES / "penalty_case.gb18030.csv", OTHER_UNIT),
        BatchFile("missing", tmp_path / "gone.csv", UNIT),
        BatchFile("xlsx", SAMPLES / "penalty_case.xlsx", UNIT),
        BatchFile("csv, no unit", SAMPLES / "penalty_case.csv", None),
    ]
    outcomes = validate_batches(files, "penalty_case", reference=REFERENCE, as_of=AS_OF)
    assert list(outcomes) == [file.key for file in files]
    for file in files:
        outcome = outcomes[file.key]
        try:
            alone = validate_file(
                file.path,
                "penalty_case",
                unit=file.unit,
                reference=REFERENCE,
                as_of=AS_OF,
                output_dir=tmp_path / "alone" / file.key,
            )
        except UnusableFile as problem:
            assert isinstance(outcome, UnusableFile) and str(outcome) == str(problem), file.key
            continue
        assert not isinstance(outcome, UnusableFile), file.key
        counts = (outcome.received, outcome.accepted, outcome.rejected)
        assert counts == (alone.received, alone.accepted, alone.rejected), file.key
        assert outcome.errors.equals(alone.errors), file.key
        assert outcome.findings.equals(alone.findings), file.key
        assert (outcome.notes, outcome.skipped_rules) == (alone.notes, alone.skipped_rules), file.key
        assert outcome.accepted_rows.equals(pl.read_parquet(alone.accepted_path)), file.key
        assert outcome.rejected_rows.equals(pl.read_parquet(alone.rejected_path)), file.key
    assert outcomes["csv"].rejected > 0 and outcomes["csv"].findings.height > 0  # the sample has both
    # the sender matters: the same file checked as another unit's is judged differently
    assert not outcomes["csv"].errors.equals(outcomes["gb18030, other unit"].errors)
