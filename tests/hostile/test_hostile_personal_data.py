"""Personal data locked down (issue 11, causes 4 and 5; ARCHITECTURE.md invariant 7), tried as a careless
operator and a curious local user would.

One small province goes through the cycle's own steps — province, 三库, intake, a unit's push with hostile
free text, warehouse, publish — each started under the most permissive process mask (umask 000), with
every Python-level chmod recorded. After each step every folder under the instance must be 0700 and every
file 0600 (created that way, not tightened after), except the instance folder (0711) and the analysts'
published copy (folder 0755, file 0444). A second local user must be able to open the published copy and
nothing else: not the warehouse (not even by ATTACH from the copy), the lake, the landing or the reports.
The hostile texts (an ID inside a sentence, mobiles with spaces and +86, a name repeated, a 法定代表人
whose name is part of the company's) must reach the feeds masked, and the masking must be counted.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import duckdb
import polars as pl
import pytest
from personal_data_scan import leaks, people
from typer.testing import CliRunner

from connectors.file_drop import platform_push
from quality.codes import with_ric_check
from zfjd import airflow_setup, cycle, publish, warehouse
from zfjd.home import Home, write_secret

UNITS = int(os.environ.get("ZFJD_TEST_WAREHOUSE_UNITS", "20"))
DAYS = int(os.environ.get("ZFJD_TEST_WAREHOUSE_DAYS", "30"))
STEPS = ("province", "reference", "intake", "hostile_push", "warehouse", "publish")
ANALYST = "zfjd-analyst"

OTHER_ID = with_ric_check("44010619850615123")
OLD_ID = "440106850615123"  # the 15-digit form: region, YYMMDD, sequence


def _mask_name(name: str) -> str:
    return name[0] + "*" * max(len(name) - 1, 1)


def _mask_id(number: str) -> str:
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def _modes(root: Path) -> dict[str, int]:
    found = {".": stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        if not path.is_symlink():
            found[str(path.relative_to(root))] = stat.S_IMODE(path.stat().st_mode)
    return found


def _wrong_modes(root: Path) -> list[str]:
    wrong = []
    for relative, mode in _modes(root).items():
        path = root / relative
        if relative == ".":
            expected = 0o711
        elif relative == "published":
            expected = 0o755
        elif relative == "published/warehouse.duckdb":
            expected = 0o444
        else:
            expected = 0o700 if path.is_dir() else 0o600
        if mode != expected:
            wrong.append(f"{relative}: {oct(mode)} (expected {oct(expected)})")
    return wrong


def _hostile_records(home: Home) -> tuple[str, list[dict], dict]:
    """Two valid, accepted penalty cases of a platform-push unit, copied under new numbers with hostile free
    text: a natural person's and a company's whose 法定代表人 is named with the first characters of the
    company's name. Returns the unit, the records (field codes) and what the feeds must show."""
    from standards.loader import standard

    codes = standard().entity("penalty_case").field_codes
    units = cycle.registry(home).units
    pushing = {code for code, unit in units.items() if unit.channel == "platform_push"}
    accepted = pl.concat(
        [pl.read_parquet(p) for p in sorted((home.lake / "accepted" / "penalty_case").glob("*.parquet"))],
        how="diagonal_relaxed",
    ).filter(
        pl.col("BSDWDM").is_in(sorted(pushing))
        & pl.col("CF_JDRQ").is_not_null()
        & pl.col("CF_CFLB").str.contains("罚款")
        & (pl.col("AJZT") != "9")
    )
    person = accepted.filter((pl.col("CF_XDR_LB") == "自然人") & (pl.col("CF_XDR_ZJLX") == "身份证")).row(0, named=True)
    unit = person["BSDWDM"]
    company = accepted.filter((pl.col("CF_XDR_LB") == "法人及非法人组织") & (pl.col("BSDWDM") == unit)).row(
        0, named=True
    )
    name, own_id = person["CF_XDR_MC"], person["CF_XDR_ZJHM"]
    facts = (
        f"经查，当事人{name}（身份证号{own_id}）于2025年1月在店内销售过期食品，{name}的联系电话 138 1234 5678，"
        f"举报人手机+86-139-8765-4321、13712345678；另查{name}旧证{OLD_ID}，同行人身份证{OTHER_ID}。"
    )
    masked_facts = (
        f"经查，当事人{_mask_name(name)}（身份证号{_mask_id(own_id)}）于2025年1月在店内销售过期食品，"
        f"{_mask_name(name)}的联系电话 138 **** 5678，举报人手机+86-139-****-4321、137****5678；"
        f"另查{_mask_name(name)}旧证440106*****5123，同行人身份证{_mask_id(OTHER_ID)}。"
    )
    firm, legal = company["CF_XDR_MC"], company["CF_XDR_MC"][:2]
    records = [
        {
            **person,
            "AJBH": person["AJBH"] + "-H1",
            "CF_WSH": person["CF_WSH"] + "H1",
            "CF_SY": facts,
            "BZ": f"{name}本人签收，电话13812345678",
        },
        {
            **company,
            "AJBH": company["AJBH"] + "-H2",
            "CF_WSH": company["CF_WSH"] + "H2",
            "CF_FRDB": legal,
            "CF_SY": f"当事人{firm}（法定代表人{legal}）未按规定公示，{legal}在现场签字。",
        },
    ]
    records = [{code: (None if r.get(code) is None else str(r[code])) for code in codes} for r in records]
    expected = {
        f"{person['ZTDM']}|{person['AJBH']}-H1": {
            "cf_sy": masked_facts,
            "remarks": f"{_mask_name(name)}本人签收，电话138****5678",
            "name": name,
            "own_id": own_id,
        },
        f"{company['ZTDM']}|{company['AJBH']}-H2": {
            "cf_sy": f"当事人{firm}（法定代表人{legal[0]}*）未按规定公示，{legal[0]}*在现场签字。",
            "cf_frdb": f"{legal[0]}*",
            "firm": firm,
        },
    }
    return unit, records, expected


class _Recorder:
    """Python-level chmod calls and the mode of the published copy at the moment it is swapped in."""

    def __init__(self) -> None:
        self.chmods: list[tuple[str, int]] = []
        self.swapped: list[tuple[int, int]] = []

    def install(self, patch: pytest.MonkeyPatch) -> None:
        chmod, replace = os.chmod, os.replace

        def recording_chmod(path, mode, *args, **kwargs):
            self.chmods.append((str(path), mode))
            return chmod(path, mode, *args, **kwargs)

        def recording_replace(source, target, *args, **kwargs):
            if str(target).endswith("published/warehouse.duckdb"):
                self.swapped.append(
                    (stat.S_IMODE(os.stat(source).st_mode), stat.S_IMODE(os.stat(Path(target).parent).st_mode))
                )
            return replace(source, target, *args, **kwargs)

        patch.setattr(os, "chmod", recording_chmod)
        patch.setattr(os, "replace", recording_replace)


@pytest.fixture(scope="session")
def instance():
    """The province through every step, each started under umask 000; modes recorded after each."""
    parent = Path(tempfile.mkdtemp(prefix="zfjd-personal-"))
    parent.chmod(0o755)  # like /srv: other users may pass through to the instance (pytest's own tmp is 0700)
    home = Home.at(parent / "instance")
    spec = cycle.ProvinceSpec(units=UNITS, days=DAYS, seed=11, start="2025-01-01")
    recorder, after, wrong = _Recorder(), {}, {}
    saved = os.umask(0)
    hostile = None
    try:
        with pytest.MonkeyPatch.context() as patch:
            recorder.install(patch)
            for step in STEPS:
                os.umask(0o000)  # the caller's mask is hostile: the step must not depend on it
                if step == "province":
                    cycle.prepare_province(home, spec)
                elif step == "reference":
                    cycle.land_reference(home, as_of=spec.last_day)
                elif step == "intake":
                    outcome = cycle.intake_and_validate(home, cycle.discover_units(home), as_of=spec.last_day)
                    assert not outcome.problems, outcome.problems
                elif step == "hostile_push":
                    os.umask(0o077)  # the unit's upload (its own file, kept as sent when archived)
                    unit, records, expected = _hostile_records(home)
                    inbox = platform_push(home.province / "push").open_inbox(unit, "penalty_case")
                    target = inbox / "hostile.json"
                    target.write_text(json.dumps({"records": records}, ensure_ascii=False), encoding="utf-8")
                    os.utime(target, (946_684_800, 946_684_800))
                    os.umask(0o000)
                    outcome = cycle.intake_and_validate(home, [unit], as_of=spec.last_day)
                    assert outcome.accepted >= 2, outcome
                    hostile = expected
                elif step == "warehouse":
                    result = warehouse.build(home, as_of=spec.last_day)
                    assert result.success, result.failures
                elif step == "publish":
                    publish.publish(home, as_of=spec.last_day)
                after[step] = _modes(home.root)
                wrong[step] = _wrong_modes(home.root)
    finally:
        os.umask(saved)
    yield {"home": home, "spec": spec, "recorder": recorder, "after": after, "wrong": wrong, "hostile": hostile}
    shutil.rmtree(parent, ignore_errors=True)


# --- modes, created that way -------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("step", STEPS)
def test_every_folder_is_0700_and_every_file_0600_after_each_step_under_umask_000(instance, step):
    assert instance["wrong"][step] == []
    assert len(instance["after"][step]) > 3


@pytest.mark.slow
@pytest.mark.parametrize("folder", ["landing", "lake", "warehouse", "province", "reports"])
def test_each_private_folder_holds_files_and_none_is_readable_by_group_or_others(instance, folder):
    home: Home = instance["home"]
    files = [p for p in (home.root / folder).rglob("*") if p.is_file()] if folder != "reports" else [home.root / folder]
    assert files, f"{folder} holds nothing to check"
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path


@pytest.mark.slow
def test_dbt_target_and_logs_are_owner_only(instance):
    target = warehouse.dbt_target_path(instance["home"])
    written = list(target.rglob("*"))
    assert any(p.name == "manifest.json" for p in written) and any(p.suffix == ".log" for p in written)
    assert all(stat.S_IMODE(p.stat().st_mode) in (0o600, 0o700) for p in written)


@pytest.mark.slow
def test_nothing_private_was_chmod_ed_after_creation(instance):
    home: Home = instance["home"]
    allowed = {str(home.root), str(home.published.parent)}
    chmodded = [
        (path, oct(mode))
        for path, mode in instance["recorder"].chmods
        if path not in allowed and not Path(path).name.startswith("building-")
    ]
    assert chmodded == []


@pytest.mark.slow
def test_the_published_copy_is_readable_only_once_complete_and_swapped_in_atomically(instance):
    home: Home = instance["home"]
    assert instance["recorder"].swapped == [(0o444, 0o755)]
    assert stat.S_IMODE(home.published.stat().st_mode) == 0o444
    assert stat.S_IMODE(home.published.parent.stat().st_mode) == 0o755
    assert [p.name for p in home.published.parent.iterdir()] == ["warehouse.duckdb"]


@pytest.mark.slow
def test_the_published_copy_holds_no_raw_staging_or_snapshot_schema(instance):
    with duckdb.connect(str(instance["home"].published), read_only=True) as con:
        schemas = {s for (s,) in con.execute("select distinct schema_name from duckdb_tables()").fetchall()}
    assert {"marts", "feeds", "ops"} <= schemas
    assert not {s for s in schemas if publish.is_private(s)}, schemas


def test_a_private_folder_left_readable_by_an_older_version_is_closed(tmp_path):
    home = Home.at(tmp_path / "old")
    (home.lake / "accepted").mkdir(parents=True)
    # as an older version left them (explicit: this process's umask may already be the private one)
    (home.lake / "accepted").chmod(0o755)
    home.lake.chmod(0o755)
    home.create()
    assert stat.S_IMODE(home.lake.stat().st_mode) == 0o700
    assert stat.S_IMODE((home.lake / "accepted").stat().st_mode) == 0o755  # closed behind a 0700 door


# --- secrets -----------------------------------------------------------------------------------------


@pytest.fixture
def chmod_forbidden(monkeypatch):
    """A secret that needs a chmod to become private was readable before it: refuse every chmod."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"chmod called: {args}")

    monkeypatch.setattr(os, "chmod", refuse)
    saved = os.umask(0o000)
    yield
    os.umask(saved)


@pytest.mark.parametrize("maker", ["write_secret", "airflow_jwt_secret", "airflow_api_secret"])
def test_a_secret_file_is_0600_from_its_creation_under_umask_000(tmp_path, chmod_forbidden, maker):
    if maker == "write_secret":
        path = tmp_path / "nested" / "token"
        assert write_secret(path, "s3cret") == "s3cret"
    else:
        home = Home.at(tmp_path / "instance")
        home.airflow.mkdir(parents=True)
        os.umask(0o000)
        values = airflow_setup.settings(home)
        path = home.airflow / ("jwt-secret" if maker == "airflow_jwt_secret" else "api-secret")
        assert values["AIRFLOW__API_AUTH__JWT_SECRET" if "jwt" in maker else "AIRFLOW__API__SECRET_KEY"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_existing_secret_is_kept_and_never_rewritten(tmp_path):
    path = tmp_path / "token"
    write_secret(path, "first")
    assert write_secret(path, "second") == "first"
    assert path.read_text(encoding="utf-8") == "first"


def test_a_secret_path_that_is_a_symlink_is_not_followed(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("", encoding="utf-8")
    (tmp_path / "token").symlink_to(victim)
    write_secret(tmp_path / "token", "s3cret")
    assert victim.read_text(encoding="utf-8") == ""  # an existing name is read, never written through


def test_zfjd_simulate_writes_the_province_owner_only_under_umask_000(tmp_path, chmod_forbidden):
    from zfjd.cli import app

    out = tmp_path / "province"
    result = CliRunner().invoke(app, ["simulate", "--out", str(out), "--units", "3", "--days", "2"])
    assert result.exit_code == 0, result.output
    modes = {p: stat.S_IMODE(p.stat().st_mode) for p in [out, *out.rglob("*")]}
    assert (out / "api-token") in modes and (out / "units.yaml") in modes
    wrong = {str(p): oct(m) for p, m in modes.items() if m != (0o700 if p.is_dir() else 0o600)}
    assert wrong == {}


@pytest.mark.slow
def test_the_daily_dag_makes_its_task_processes_owner_only(tmp_path):
    """A task process parses the DAG file before it runs a task: the mask is private from then on."""
    home = Home.at(tmp_path / "instance")
    environment = {**os.environ, **airflow_setup.settings(home.create())}
    script = textwrap.dedent(
        f"""
        import os, runpy
        os.umask(0)
        runpy.run_path({str(airflow_setup.DAGS_FOLDER / "zfjd_daily.py")!r})
        print(oct(os.umask(0)))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "0o77"


# --- another local user ------------------------------------------------------------------------------


def _analyst() -> tuple[int, int]:
    if os.geteuid() != 0:
        pytest.skip("needs root to act as a second local user (the modes are asserted bit-exactly above)")
    try:
        entry = pwd.getpwnam(ANALYST)
    except KeyError:
        if shutil.which("useradd") is None:
            entry = pwd.getpwnam("nobody")
        else:
            subprocess.run(
                ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", ANALYST],
                check=True,
                capture_output=True,
            )
            entry = pwd.getpwnam(ANALYST)
    return entry.pw_uid, entry.pw_gid


AS_ANALYST = textwrap.dedent(
    """
    import json, os, sys
    import duckdb  # imported as root: the interpreter's files are not the analyst's to read
    uid, gid, published, warehouse, paths = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5:]
    os.setgroups([]); os.setgid(gid); os.setuid(uid)
    os.environ["HOME"] = "/tmp"
    out = {"uid": os.getuid()}
    try:
        with duckdb.connect(published, read_only=True) as con:
            out["published_rows"] = con.execute("select count(*) from feeds.feed_credit_dual").fetchone()[0]
            try:
                con.execute(f"attach '{warehouse}' as private (read_only)")
                out["attach"] = con.execute('select count(*) from private.raw."penalty_case"').fetchone()[0]
            except duckdb.Error as exc:
                out["attach"] = "refused: " + str(exc).splitlines()[0]
            try:
                out["read_parquet"] = con.execute(f"select count(*) from read_parquet('{paths[0]}')").fetchone()[0]
            except duckdb.Error as exc:
                out["read_parquet"] = "refused: " + str(exc).splitlines()[0]
    except duckdb.Error as exc:
        out["published_rows"] = "refused: " + str(exc)
    for path in paths:
        try:
            if os.path.isdir(path):
                os.listdir(path)
            else:
                open(path, "rb").read(1)
            out[path] = "read"
        except OSError as exc:
            out[path] = type(exc).__name__
    print(json.dumps(out))
    """
)


@pytest.fixture(scope="session")
def as_analyst(instance):
    uid, gid = _analyst()
    home: Home = instance["home"]
    parquet = next((home.lake / "accepted" / "penalty_case").glob("*.parquet"))
    landed = next(p for p in home.landing.rglob("*") if p.is_file())
    paths = [
        parquet,
        home.warehouse,
        home.lake,
        home.landing,
        landed,
        home.watermarks,
        home.reports,
        home.province / "api-token",
        home.province,
        warehouse.dbt_target_path(home) / "manifest.json",
    ]
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            AS_ANALYST,
            str(uid),
            str(gid),
            str(home.published),
            str(home.warehouse),
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1]), [str(p) for p in paths], uid


@pytest.mark.slow
def test_another_local_user_can_open_the_published_copy(as_analyst):
    seen, _, uid = as_analyst
    assert seen["uid"] == uid != 0
    assert isinstance(seen["published_rows"], int) and seen["published_rows"] > 0


@pytest.mark.slow
def test_another_local_user_cannot_attach_the_warehouse_from_the_published_copy(as_analyst):
    seen, _, _ = as_analyst
    assert str(seen["attach"]).startswith("refused:") and "Permission denied" in seen["attach"]


@pytest.mark.slow
def test_another_local_user_cannot_read_the_lake_through_duckdb(as_analyst):
    seen, _, _ = as_analyst
    assert str(seen["read_parquet"]).startswith("refused:")


@pytest.mark.slow
@pytest.mark.parametrize(
    "which",
    [
        "lake parquet",
        "warehouse",
        "lake",
        "landing",
        "landed batch",
        "watermarks",
        "reports",
        "api token",
        "province",
        "dbt manifest",
    ],
)
def test_another_local_user_cannot_open_private_files_or_folders(as_analyst, which):
    seen, paths, _ = as_analyst
    names = [
        "lake parquet",
        "warehouse",
        "lake",
        "landing",
        "landed batch",
        "watermarks",
        "reports",
        "api token",
        "province",
        "dbt manifest",
    ]
    assert seen[paths[names.index(which)]] == "PermissionError"


# --- free text ---------------------------------------------------------------------------------------


def _published(instance, query: str, params=()) -> list[tuple]:
    with duckdb.connect(str(instance["home"].published), read_only=True) as con:
        return con.execute(query, list(params)).fetchall()


@pytest.mark.slow
def test_an_id_mobiles_and_a_repeated_name_in_the_facts_reach_the_credit_feed_masked(instance):
    (case_id, expected), _ = instance["hostile"].items()
    rows = _published(instance, "select cf_sy from feeds.feed_credit_dual where case_id = ?", [case_id])
    assert rows == [(expected["cf_sy"],)]


@pytest.mark.slow
def test_remarks_are_masked_in_the_penalty_fact(instance):
    (case_id, expected), _ = instance["hostile"].items()
    rows = _published(
        instance, "select remarks, violation_facts from marts.fct_penalty_case where case_id = ?", [case_id]
    )
    assert rows == [(expected["remarks"], expected["cf_sy"])]


@pytest.mark.slow
def test_a_legal_representative_named_inside_the_company_name_leaves_the_company_name_whole(instance):
    _, (case_id, expected) = instance["hostile"].items()
    rows = _published(
        instance, "select cf_sy, cf_frdb, cf_xdr_mc from feeds.feed_credit_dual where case_id = ?", [case_id]
    )
    assert rows == [(expected["cf_sy"], expected["cf_frdb"], expected["firm"])]


@pytest.mark.slow
def test_the_hostile_texts_are_whole_in_the_restricted_schema(instance):
    """The masking is on the way out: raw keeps what the unit sent (so the test above can fail)."""
    (case_id, expected), _ = instance["hostile"].items()
    with duckdb.connect(str(instance["home"].warehouse), read_only=True) as con:
        facts = con.execute(
            'select "CF_SY" from raw."penalty_case" where "ZTDM" || \'|\' || "AJBH" = ?', [case_id]
        ).fetchone()[0]
    assert expected["own_id"] in facts and "138 1234 5678" in facts and facts.count(expected["name"]) == 3


@pytest.mark.slow
def test_the_masking_is_counted_per_model_column_and_kind(instance):
    counted = {
        (column, kind): masked
        for column, kind, masked in _published(
            instance,
            "select column_name, data_kind, values_masked from ops.ops_masking where model_name = 'fct_penalty_case'",
        )
    }
    assert counted[("violation_facts", "id")] >= 1
    assert counted[("violation_facts", "mobile")] >= 1
    assert counted[("remarks", "mobile")] >= 1 and counted[("remarks", "name")] >= 1
    # every simulated natural person's case names them in its 违法事实: one masked value each, and the
    # company whose 法定代表人 is named in it
    with duckdb.connect(str(instance["home"].warehouse), read_only=True) as con:
        named = con.execute(
            "select count(*) from staging.stg_lake__penalty_cases where length(counterparty_name) >= 2 and "
            "counterparty_type = '自然人' and strpos(violation_facts, counterparty_name) > 0"
        ).fetchone()[0]
    assert counted[("violation_facts", "name")] == named + 1


@pytest.mark.slow
def test_no_personal_data_in_any_text_of_the_published_copy(instance):
    home: Home = instance["home"]
    who = people(home.warehouse)
    assert {v["own_id"] for v in instance["hostile"].values() if "own_id" in v} <= who.id_numbers
    assert leaks(home.published, who) == []


# --- the run command ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_zfjd_run_under_umask_000_leaves_only_the_published_copy_readable(tmp_path):
    """`zfjd run` as an operator with a careless umask runs it: simulation, Airflow's metadata database and
    logs, landing, lake, warehouse, dbt, checks, reports — all owner-only; the published copy readable."""
    parent = tmp_path / "srv"
    parent.mkdir()
    home = parent / "zfjd"
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "ZFJD_"))}
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "zfjd"),
            "run",
            "--home",
            str(home),
            "--units",
            "6",
            "--days",
            "4",
            "--seed",
            "11",
        ],
        env=environment | {"COLUMNS": "200", "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=900,
        umask=0o000,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    modes = _modes(home)
    assert {
        "airflow/airflow.db",
        "landing/watermarks.sqlite",
        "warehouse/warehouse.duckdb",
        "published/warehouse.duckdb",
        "province/api-token",
        "airflow/jwt-secret",
    } <= set(modes)
    assert any(name.startswith("airflow/logs/") for name in modes) and any(
        name.startswith("reports/") for name in modes
    )
    assert _wrong_modes(home) == []
