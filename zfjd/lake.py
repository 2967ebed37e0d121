"""Validates landed batches into the lake the warehouse reads: accepted rows, rejections, findings, a ledger.

Every landed batch (connectors/landing.py) is validated once, as the unit that sent it, against the
三库 extract, and leaves up to four things under the lake root:

    accepted/<entity>/<batch_id>.parquet   accepted rows, typed; lists `;`-joined; + batch_id, row_number
    rejected/<entity>/<batch_id>.parquet   rejected rows exactly as received (the quarantine); none if no row was
    issues/<batch_id>.parquet              one row per rejection or finding: row_number, rule, field, value;
                                           none if the batch has neither
    ledger/<batch_id>.json                 unit, entity, channel, received_at, received/accepted/rejected

The ledger entry is written last and only after received = accepted + rejected was checked, so a
batch with a ledger entry is done and a re-run skips it; a crash before it redoes the batch from the
landing zone, which never changes (idempotent, nothing lost). Batches validated together are committed
together (`Lake.commit`): their files are made durable with one flush of the file system, then their
ledger entries are written and flushed the same way, instead of a flush per file. A batch that cannot be read at all is
quarantined whole under rule `batch.unusable` with the real reason: the one its channel recorded when
it could not decode the input (`Manifest.problem`: bad JSON, a legacy .xls, mixed encodings, a limit
broken), or the validator's (wrong columns, wrong entity). A batch the validator fails on in any other
way is quarantined too, with that failure as its reason, so one batch never holds up the unit's next.

Batches of one entity are validated many at a time (`validate_batches` in quality/engine.py: a day
brings thousands of batches of a few rows, and the engine's fixed cost per call would dominate), yet
each batch's files and ledger entry are exactly those of validating it alone (tests/quality/test_lake.py).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import polars as pl

from connectors.durability import read_whole, sync_filesystem
from connectors.landing import RECORD, Landing, Manifest
from quality.engine import BatchFile, ValidationResult, validate_batches, validate_file
from quality.read import ROW, UnusableFile
from quality.reference import Reference, load_reference
from standards.loader import standard as load_standard
from standards.model import LIST_SEPARATOR, Standard

UNUSABLE_RULE = "batch.unusable"
# What units report (validated as the unit that sent it: scope applies), and what the province's 三库
# extract carries (no 报送单位 scope): entities.yaml `reported_by`. Together: every entity the lake holds.
UNIT_REPORTED_ENTITIES = load_standard().unit_reported_entities
EXTRACT_ENTITIES = load_standard().extract_entities
# Rows validated in one engine pass: one chunk of validate_file, so memory stays as for a big file.
GROUP_ROWS = 100_000
ISSUE_SCHEMA = {
    "batch_id": pl.String,
    "row_number": pl.Int64,
    "severity": pl.String,
    "rule": pl.String,
    "field": pl.String,
    "value": pl.String,
    "detail": pl.String,
    # a finding whose answer depends on a year whose holiday arrangement is not announced yet (§4)
    "provisional": pl.Boolean,
}


@dataclass(frozen=True)
class LedgerEntry:
    batch_id: str
    unit: str
    entity: str
    channel: str
    received_at: str
    window_start: str | None
    window_end: str | None
    source_name: str
    received: int
    accepted: int
    rejected: int
    findings: int
    validated_as_of: str
    unusable_reason: str | None = None

    @classmethod
    def of(cls, manifest: Manifest, as_of: dt.date, **counts) -> LedgerEntry:
        """The entry of a landed batch: where it came from (its manifest) and what validation made of it."""
        return cls(
            batch_id=manifest.batch_id,
            unit=manifest.unit,
            entity=manifest.entity,
            channel=manifest.channel,
            received_at=manifest.received_at,
            window_start=manifest.window_start,
            window_end=manifest.window_end,
            source_name=manifest.source_name,
            validated_as_of=as_of.isoformat(),
            **counts,
        )


@dataclass
class LakeReport:
    batches: int = 0
    validated: int = 0
    received: int = 0
    accepted: int = 0
    rejected: int = 0
    findings: int = 0


class Lake:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def ledger_path(self, batch_id: str) -> Path:
        return self.root / "ledger" / f"{batch_id}.json"

    def entry(self, batch_id: str) -> LedgerEntry | None:
        # None for an entry cut short by a power loss (its commit's last flush never happened): not
        # committed, so the batch is validated again and its entry rewritten.
        return read_whole(self.ledger_path(batch_id), LedgerEntry)

    def commit(self, entries: list[LedgerEntry]) -> None:
        """Commits batches whose files are written: those files made durable (one flush of the file
        system), then the ledger entries written, then flushed the same way. A crash before the end
        leaves some batches without an entry, which a re-run validates again to the same outcome."""
        if not entries:
            return
        sync_filesystem(self.root)
        for entry in entries:
            _write_bytes(
                self.ledger_path(entry.batch_id),
                json.dumps(asdict(entry), ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8"),
            )
        sync_filesystem(self.root)

    def entries(self) -> list[LedgerEntry]:
        folder = self.root / "ledger"
        if not folder.exists():
            return []
        return [LedgerEntry(**json.loads(p.read_text(encoding="utf-8"))) for p in sorted(folder.glob("*.json"))]


def files_fingerprint(folder: Path, *others: Path) -> tuple:
    """What tells that files changed without reading them: name, size, change time and inode of each
    file in `folder` (a file rewritten in place or replaced by a rename shows), and of `others`."""
    folder = Path(folder)
    paths = sorted(folder.iterdir()) if folder.is_dir() else []
    stamps = []
    for path in [*paths, *map(Path, others)]:
        try:
            stat = path.stat()
        except FileNotFoundError:
            stamps.append((str(path), None))
            continue
        stamps.append((str(path), stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino))
    return (str(folder.resolve()), tuple(stamps))


_reference_kept: dict[str, tuple[tuple, Standard, Reference]] = {}


def reference_of(folder: Path, standard: Standard) -> Reference:
    """The 三库 extract in `folder`, read once while its files stay unchanged: the daily cycle validates
    group after group of units against the same extract, and reading it costs as much as a group's
    work. A changed, added or removed file is read again; one entry per folder."""
    key = str(Path(folder).resolve())
    fingerprint = files_fingerprint(folder)
    kept = _reference_kept.get(key)
    if kept is not None and kept[0] == fingerprint and kept[1] is standard:
        return kept[2]
    reference = load_reference(folder, standard)
    _reference_kept[key] = (fingerprint, standard, reference)
    return reference


def validate_landed(
    landing: Landing,
    lake: Lake,
    reference_folder: Path | None,
    *,
    as_of: dt.date,
    units: set[str] | None = None,
    standard: Standard | None = None,
    on_batch: Callable[[LedgerEntry], None] | None = None,
    group_rows: int | None = GROUP_ROWS,
    relays: dict[str, str] | None = None,
) -> LakeReport:
    """Validates every landed batch (of `units`, when given) that has no ledger entry yet.

    Batches of one entity are validated together, up to `group_rows` rows per engine pass (a day lands
    one small batch per unit and entity, and the engine's cost per call, not per row, would dominate);
    each batch's outputs and ledger entry are exactly those of validating it alone, which
    `group_rows=None` does (one engine call per batch: the reference the tests compare against).
    `relays` (`{unit: city code}`): the city instances reporting to this one, each validated with the
    scope of its whole city (quality/reference.py `Reference.with_relays`).
    """
    standard = standard or load_standard()
    reference = reference_of(reference_folder, standard) if reference_folder else None
    if reference is not None and relays:
        reference = reference.with_relays(relays)
    report = LakeReport()
    pending: list[Manifest] = []
    for manifest in landing.manifests(units):
        report.batches += 1
        if lake.entry(manifest.batch_id) is None:
            pending.append(manifest)

    def done(entry: LedgerEntry) -> None:
        report.validated += 1
        report.received += entry.received
        report.accepted += entry.accepted
        report.rejected += entry.rejected
        report.findings += entry.findings
        if on_batch is not None:
            on_batch(entry)

    unreadable = [_quarantine_whole(landing, lake, m, m.problem, as_of) for m in pending if m.problem is not None]
    lake.commit(unreadable)
    for entry in unreadable:
        done(entry)
    readable = [m for m in pending if m.problem is None]
    for group in _groups(readable, group_rows):
        if len(group) > 1:
            try:
                entries = validate_group(landing, lake, group, reference, as_of=as_of, standard=standard)
            except Exception:  # find the batch at fault: each alone below
                entries = [
                    lake.entry(m.batch_id) or _validate_alone(landing, lake, m, reference, as_of, standard)
                    for m in group
                ]
            for entry in entries:
                done(entry)
            continue
        done(_validate_alone(landing, lake, group[0], reference, as_of, standard))
    return report


def _validate_alone(landing, lake, manifest, reference, as_of, standard) -> LedgerEntry:
    try:
        return validate_batch(landing, lake, manifest, reference, as_of=as_of, standard=standard)
    except OSError:
        raise  # the lake's own storage failing is not the batch's fault: the run fails and is re-run
    except Exception as exc:  # a batch the validator cannot handle is quarantined, not retried forever
        detail = f"{type(exc).__name__}: {exc}"[:200]
        entry = _quarantine_whole(landing, lake, manifest, f"校验程序无法处理此批次，已整批隔离：{detail}", as_of)
        lake.commit([entry])
        return entry


def _groups(manifests: list[Manifest], group_rows: int | None) -> list[list[Manifest]]:
    """Consecutive batches of one entity, up to `group_rows` rows together; a batch larger than that
    alone (validate_file streams it in chunks). Manifests come sorted by batch id, entity first, so
    the batches are still validated in the order of the landing zone."""
    groups: list[list[Manifest]] = []
    rows = 0
    for manifest in manifests:
        alone = group_rows is None or manifest.rows >= group_rows
        joins = bool(groups) and not alone and groups[-1][-1].entity == manifest.entity
        joins = joins and rows + manifest.rows <= group_rows
        if joins:
            groups[-1].append(manifest)
            rows += manifest.rows
        else:
            groups.append([manifest])
            rows = group_rows if alone else manifest.rows  # nothing joins a batch validated alone
    return groups


def validate_batch(
    landing: Landing,
    lake: Lake,
    manifest: Manifest,
    reference: Reference | None,
    *,
    as_of: dt.date,
    standard: Standard,
) -> LedgerEntry:
    with tempfile.TemporaryDirectory(prefix="zfjd-lake-", dir=_scratch(lake)) as scratch:
        try:
            result = validate_file(
                landing.root / manifest.records_path,
                manifest.entity,
                unit=_unit_of(manifest),
                reference=reference,
                as_of=as_of,
                standard=standard,
                output_dir=Path(scratch),
            )
        except UnusableFile as problem:
            entry = _quarantine_whole(landing, lake, manifest, str(problem), as_of)
        else:
            accepted = pl.read_parquet(result.accepted_path)
            rejected = pl.read_parquet(result.rejected_path)
            entry = _store(lake, manifest, result, accepted, rejected, as_of, standard)
    lake.commit([entry])
    return entry


def validate_group(
    landing: Landing,
    lake: Lake,
    manifests: list[Manifest],
    reference: Reference | None,
    *,
    as_of: dt.date,
    standard: Standard,
) -> list[LedgerEntry]:
    """Validates batches of one entity in one engine pass; each is stored on its own and all are
    committed together, so a crash part way leaves them to a re-run, which gives them the same outcome."""
    entities = {manifest.entity for manifest in manifests}
    if len(entities) != 1:
        raise ValueError(f"one entity per group, got {sorted(entities)}")
    files = [BatchFile(m.batch_id, landing.root / m.records_path, _unit_of(m)) for m in manifests]
    outcomes = validate_batches(
        files, manifests[0].entity, reference=reference or Reference(), as_of=as_of, standard=standard
    )
    entries = []
    for manifest in manifests:
        outcome = outcomes[manifest.batch_id]
        if isinstance(outcome, UnusableFile):
            entries.append(_quarantine_whole(landing, lake, manifest, str(outcome), as_of))
        else:
            entries.append(
                _store(lake, manifest, outcome, outcome.accepted_rows, outcome.rejected_rows, as_of, standard)
            )
    lake.commit(entries)
    return entries


def _unit_of(manifest: Manifest) -> str | None:
    # Reference records are the province's own extract: no 报送单位 scope applies to them.
    return manifest.unit if manifest.entity in UNIT_REPORTED_ENTITIES else None


def _store(
    lake: Lake,
    manifest: Manifest,
    result: ValidationResult,
    accepted: pl.DataFrame,
    rejected: pl.DataFrame,
    as_of: dt.date,
    standard: Standard,
) -> LedgerEntry:
    """Writes one batch's accepted rows, quarantine and issues; returns its ledger entry, to commit."""
    # A day is thousands of batches of a few rows: each frame is built in one polars pass (a pass
    # costs far more than its rows here), in the same columns and order as before.
    lists = [c for c, dtype in accepted.schema.items() if isinstance(dtype, pl.List)]
    accepted = (
        accepted.lazy()
        .rename({ROW: "row_number"})
        .with_columns(
            *(pl.col(c).list.join(LIST_SEPARATOR) for c in lists),  # `;`-joined: every SQL engine reads them alike
            pl.lit(manifest.batch_id).alias("batch_id"),
            pl.lit(manifest.unit).alias("unit"),
            pl.lit(manifest.received_at).alias("received_at"),
        )
        .collect()
    )
    _write_parquet(accepted, lake.root / "accepted" / manifest.entity / f"{manifest.batch_id}.parquet")
    rejected = rejected.clone()
    rejected.columns = ["row_number" if c == ROW else c for c in rejected.columns]  # a rename without a pass
    _write_parquet_or_none(rejected, lake.root / "rejected" / manifest.entity / f"{manifest.batch_id}.parquet")
    issues = _issues_of(manifest.batch_id, result.errors, result.findings)
    _write_parquet_or_none(issues, lake.root / "issues" / f"{manifest.batch_id}.parquet")
    entry = LedgerEntry.of(
        manifest,
        as_of,
        received=result.received,
        accepted=result.accepted,
        rejected=result.rejected,
        findings=result.findings["row"].n_unique(),
    )
    _check_conserved(entry, landed_rows=manifest.rows)
    return entry




def _quarantine_whole(landing: Landing, lake: Lake, manifest: Manifest, reason: str, as_of: dt.date) -> LedgerEntry:
    raw = landing.records(manifest).rename({RECORD: "row_number"})
    _write_parquet(raw, lake.root / "rejected" / manifest.entity / f"{manifest.batch_id}.parquet")
    issues = raw.select(
        "row_number",
        pl.lit("reject").alias("severity"),
        pl.lit(UNUSABLE_RULE).alias("rule"),
        pl.lit(None, dtype=pl.String).alias("field"),
        pl.lit(None, dtype=pl.String).alias("value"),
        pl.lit(reason).alias("detail"),
    )
    _write_issues(lake, manifest.batch_id, issues)
    entry = LedgerEntry.of(
        manifest, as_of, received=raw.height, accepted=0, rejected=raw.height, findings=0, unusable_reason=reason
    )
    _check_conserved(entry, landed_rows=manifest.rows)
    return entry


def _issues_of(batch_id: str, errors: pl.DataFrame, findings: pl.DataFrame) -> pl.DataFrame:
    """One row per rejection (errors) then per finding, in ISSUE_SCHEMA, in one polars pass (none for
    a batch with neither, most of a day's batches)."""
    if not errors.height and not findings.height:
        return pl.DataFrame(schema=ISSUE_SCHEMA)

    def part(frame: pl.DataFrame, severity: str, value: pl.Expr, provisional: pl.Expr) -> pl.LazyFrame:
        return frame.lazy().select(
            pl.lit(batch_id, dtype=pl.String).alias("batch_id"),
            pl.col("row").cast(pl.Int64).alias("row_number"),
            pl.lit(severity, dtype=pl.String).alias("severity"),
            pl.col("rule").cast(pl.String),
            pl.col("field").cast(pl.String),
            value.cast(pl.String).alias("value"),
            pl.lit(None, dtype=pl.String).alias("detail"),
            provisional.cast(pl.Boolean).fill_null(False).alias("provisional"),
        )

    return pl.concat(
        [
            part(errors, "reject", pl.col("value"), pl.lit(False)),
            part(findings, "finding", pl.lit(None, dtype=pl.String), pl.col("provisional")),
        ]
    ).collect()


def _write_issues(lake: Lake, batch_id: str, issues: pl.DataFrame) -> None:
    issues = pl.concat([pl.DataFrame(schema=ISSUE_SCHEMA), issues], how="diagonal_relaxed")
    issues = issues.with_columns(pl.lit(batch_id).alias("batch_id"), pl.col("provisional").fill_null(False))
    issues = issues.select(list(ISSUE_SCHEMA))
    _write_parquet(issues, lake.root / "issues" / f"{batch_id}.parquet")


def _check_conserved(entry: LedgerEntry, *, landed_rows: int) -> None:
    if entry.accepted + entry.rejected != entry.received or entry.received != landed_rows:
        raise RuntimeError(
            f"批次 {entry.batch_id} 数量不守恒：落地 {landed_rows}，接收 {entry.received}，"
            f"通过 {entry.accepted}，退回 {entry.rejected}"
        )


def _scratch(lake: Lake) -> Path:
    folder = lake.root / ".scratch"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _temporary_beside(path: Path) -> Path:
    """A fresh temporary name in `path`'s folder: renaming it over `path` is atomic, and two writers
    never share one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(descriptor)
    return Path(name)


def _write_parquet(frame: pl.DataFrame, path: Path) -> None:
    temporary = _temporary_beside(path)
    try:
        frame.write_parquet(temporary, row_group_size=100_000)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _write_parquet_or_none(frame: pl.DataFrame, path: Path) -> None:
    """`frame` at `path`, or no file when it has no rows: most batches have no rejected row and no
    issue, and an empty Parquet file per batch was a third of the lake's writes (and of load_raw's
    reads). A file left there by an interrupted earlier attempt is removed, so the lake converges to the
    same files whatever happened before."""
    if frame.height:
        _write_parquet(frame, path)
    else:
        path.unlink(missing_ok=True)


def _write_bytes(path: Path, data: bytes) -> None:
    """A ledger entry under a temporary name, then renamed (made durable by Lake.commit's flush)."""
    temporary = _temporary_beside(path)
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
