"""`zfjd` — the command line for units, engineers and analysts (执法监督)."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import sys
import time
from pathlib import Path
from typing import Annotated

import click
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

app = typer.Typer(
    name="zfjd",
    help="广东省执法监督数据主题库：数据标准、校验、归集与报表。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

EXIT_ALL_ACCEPTED, EXIT_SOME_REJECTED, EXIT_UNUSABLE = 0, 1, 2


def _fail(message: str) -> None:
    """One Chinese sentence on stderr and exit 2: the file (or the call) as a whole is unusable."""
    err.print(Text.assemble(("无法校验：", "bold red"), shown(message)), highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_UNUSABLE)


# Control characters (a terminal's escape sequences, newlines that would split the one line) and the
# bidirectional overrides that make text read differently from what it is: shown as their code.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def shown(text: str) -> str:
    """Text from a file (a name, a header, a value) as it may reach the terminal: never markup (the
    callers print it as rich Text or escaped) and never a control sequence."""
    return _UNPRINTABLE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


@app.command()
def validate(
    path: Annotated[Path, typer.Argument(help="要校验的文件（CSV：UTF-8 或 GBK/GB18030；或 XLSX）")],
    entity: Annotated[str, typer.Option("--entity", "-e", help="数据类型，如 penalty_case、inspection、officer")],
    unit: Annotated[str | None, typer.Option("--unit", "-u", help="报送单位的统一社会信用代码")] = None,
    reference: Annotated[
        Path | None,
        typer.Option("--reference", "-r", help="三库数据目录（enforcement_entity / officer / matter 文件）"),
    ] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="写出 JSON 结果（供其他程序读取）")] = None,
    xlsx_out: Annotated[Path | None, typer.Option("--xlsx", help="写出给报送单位看的 XLSX 报告")] = None,
    html_out: Annotated[Path | None, typer.Option("--html", help="写出给报送单位看的 HTML 报告")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="按哪一天校验（默认今天，北京时间），格式 YYYY-MM-DD")
    ] = None,
) -> None:
    """校验一个文件：退出码 0 全部通过，1 有记录被拒收，2 文件本身无法使用。

    读取的就是给出的路径（不展开通配符）；报告先写到临时文件，全部写好后才改名就位。"""
    try:
        with _terminate_as_exit():
            _validate(path, entity, unit, reference, {"json": json_out, "xlsx": xlsx_out, "html": html_out}, as_of)
    except (typer.Exit, click.exceptions.Exit, click.exceptions.Abort):
        raise
    except MemoryError:
        _fail("内存不足，无法校验这个文件：请拆分为多个较小的文件分批校验")
    except Exception as exc:
        # Every failure is one Chinese line and exit 2 (1 would mean "some records rejected").
        if os.environ.get("ZFJD_DEBUG"):
            raise
        _fail(f"校验时发生内部错误（{type(exc).__name__}）：请将文件与本信息反馈给数据管理员")


def _validate(path: Path, entity: str, unit, reference, outputs: dict[str, Path | None], as_of) -> None:
    from quality.engine import today_in_china, validate_file
    from quality.read import UnusableFile
    from quality.report import to_json_document, write_reports
    from standards.loader import standard as load_standard

    standard = load_standard()
    if entity not in standard.entities:
        _fail(f"未知的数据类型 {entity}，可用：{'、'.join(standard.entities)}")
    try:
        day = dt.date.fromisoformat(as_of) if as_of else today_in_china()
    except ValueError:
        _fail(f"--as-of 应为 YYYY-MM-DD 格式的日期，收到 {as_of}")
    targets = _checked_outputs(path, outputs)
    try:
        try:
            with _progress(f"校验 {escape(shown(path.name))}") as report_rows:
                result = validate_file(path, entity, unit=unit, reference=reference, as_of=day,
                                       on_progress=report_rows)
        except UnusableFile as exc:
            _fail(str(exc))
        except OSError as exc:
            _fail(f"读取时出错：{exc.strerror or type(exc).__name__}（{shown(str(exc.filename or path.name))}）")
        document = to_json_document(result, standard, day)
        try:
            write_reports(document, standard, targets)
        except OSError as exc:
            _fail(f"报告无法写出（{exc.strerror or type(exc).__name__}）：{shown(str(exc.filename or ''))}")
    except BaseException:
        # A report an earlier run left at these paths must not pass for this run's.
        for target in targets.values():
            if target.is_file():
                target.unlink(missing_ok=True)
        raise
    _print_summary(document, standard)
    raise typer.Exit(EXIT_ALL_ACCEPTED if result.rejected == 0 else EXIT_SOME_REJECTED)


@contextlib.contextmanager
def _terminate_as_exit():
    """SIGTERM (a container stopping, `kill`) ends the command as Ctrl-C does: through the `finally`
    blocks that remove its temporary files, with exit status 143."""
    import signal

    def terminated(signum, frame):
        raise SystemExit(128 + signal.SIGTERM)

    try:
        previous = signal.signal(signal.SIGTERM, terminated)
    except ValueError:  # not the main thread (an embedding program's worker): its own handling stands
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _checked_outputs(source: Path, outputs: dict[str, Path | None]) -> dict[str, Path]:
    """Every report path checked before any work or writing: its folder exists and is writable, it is
    not a folder itself, not the input, and no two options name the same file."""
    chosen: dict[str, Path] = {}
    seen: dict[str, str] = {}
    source_key = os.path.realpath(source) if source.exists() else None
    for kind, target in outputs.items():
        if target is None:
            continue
        option = f"--{kind} {shown(str(target))}"
        folder = target.absolute().parent
        if target.is_dir():
            _fail(f"{option} 是一个文件夹：请给出要写出的文件名")
        if not folder.is_dir():
            _fail(f"{option} 所在的文件夹不存在：{shown(str(folder))}")
        if not os.access(folder, os.W_OK | os.X_OK):
            _fail(f"{option} 所在的文件夹没有写入权限：{shown(str(folder))}")
        if target.exists() and not target.is_file():
            _fail(f"{option} 已存在且不是普通文件：请换一个文件名")
        key = os.path.realpath(target)
        if key == source_key:
            _fail(f"{option} 就是输入文件：写出报告会覆盖要校验的数据")
        if key in seen:
            _fail(f"--{seen[key]} 与 --{kind} 指向同一个文件：{shown(str(target))}")
        seen[key] = kind
        chosen[kind] = target
    return chosen


class _progress:
    """A spinner with a row count on an interactive terminal; silent otherwise (CI, pipes)."""

    def __init__(self, description: str) -> None:
        self.description = description
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn("{task.completed:,} 行"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        )

    def __enter__(self):
        self.progress.start()
        task = self.progress.add_task(self.description, total=None)
        return lambda rows: self.progress.update(task, completed=rows)

    def __exit__(self, *exc_info) -> None:
        self.progress.stop()


def _print_summary(document: dict, standard) -> None:
    spec_entity = standard.entity(document["entity"])
    out.print(
        f"[bold]{spec_entity.name}[/] {escape(shown(document['source']))}：收到 {document['received']} 条，"
        f"[green]通过 {document['accepted']}[/]，[red]拒收 {document['rejected']}[/]，"
        f"监督发现 {document['findings_total']} 条",
        highlight=False,
    )
    for note in document["notes"]:
        out.print(f"[yellow]说明：[/]{escape(note)}", highlight=False)
    from quality.report import summary_of

    for title, kind in (("拒收原因", "errors"), ("监督发现", "findings")):
        summary = summary_of(document, kind)
        if not summary:
            continue
        table = Table(title=title, title_justify="left", show_lines=False)
        table.add_column("条数", justify="right", no_wrap=True)
        table.add_column("规则", style="dim", no_wrap=True)
        table.add_column("说明", overflow="fold")
        for rule_id, message, count in summary:
            table.add_row(str(count), escape(rule_id), escape(message))
        out.print(table)


SAMPLES = Path(__file__).resolve().parent.parent / "samples"
SAMPLE_UNIT = "11440106MB2C3D4E5D"  # 广州市天河区司法局 in the bundled 三库 extract


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="报告输出目录")] = Path("var/demo"),
) -> None:
    """校验随附的样例文件（各类拒收规则与监督发现各有一例），并写出 JSON、XLSX、HTML 报告。"""
    from quality.engine import today_in_china, validate_file
    from quality.report import to_json_document, write_html, write_json, write_xlsx
    from standards.loader import standard as load_standard

    standard = load_standard()
    out_dir.mkdir(parents=True, exist_ok=True)
    sample = SAMPLES / "penalty_case.csv"
    day = today_in_china()
    result = validate_file(sample, "penalty_case", unit=SAMPLE_UNIT, reference=SAMPLES / "reference", as_of=day)
    document = to_json_document(result, standard, day)
    write_json(document, out_dir / "penalty_case.json")
    write_xlsx(document, standard, out_dir / "penalty_case.xlsx")
    write_html(document, standard, out_dir / "penalty_case.html")
    _print_summary(document, standard)
    out.print(f"\n报告已写出：{out_dir}/penalty_case.html、.xlsx、.json", highlight=False)
    out.print(
        "自行校验一个文件：zfjd validate 文件 --entity penalty_case --unit 本单位代码 "
        "--reference 三库目录 --html 报告.html",
        highlight=False,
    )


@app.command()
def simulate(
    out_dir: Annotated[Path, typer.Option("--out", help="输出目录")],
    units: Annotated[int, typer.Option("--units", help="报送单位数")] = 200,
    days: Annotated[int, typer.Option("--days", help="天数")] = 30,
    seed: Annotated[int, typer.Option("--seed", help="随机种子（相同种子得到相同的省份）")] = 7,
    start: Annotated[str, typer.Option("--start", help="第一天，YYYY-MM-DD")] = "2025-03-01",
    defect_rate: Annotated[float, typer.Option("--defect-rate", help="注入错误与监督发现的比例")] = 0.03,
    front_db: Annotated[
        str | None, typer.Option("--front-db", help="前置库的 SQLAlchemy URL（默认：输出目录下的 SQLite 文件）")
    ] = None,
    serve: Annotated[bool, typer.Option("--serve", help="在本机启动交换平台数据接口，按 Ctrl-C 停止")] = False,
    port: Annotated[int, typer.Option("--port", help="数据接口端口（0：任选空闲端口）")] = 0,
) -> None:
    """模拟一个省：报送单位、三库、按天的处罚/强制/检查记录，经四个渠道交出（接口、前置库、文件、平台推送）。"""
    import secrets

    from connectors.file_drop import FileDrop, platform_push
    from connectors.simulator.exchange import Exchange
    from connectors.simulator.outbox import write_file_drops, write_pushes, write_reference, write_units_config
    from zfjd.home import keep_private, write_secret

    try:
        first_day = dt.date.fromisoformat(start)
    except ValueError:
        _fail(f"--start 应为 YYYY-MM-DD 格式的日期，收到 {start}")
    keep_private()  # the simulated units' records are personal data: owner-only files from here on
    out_dir.mkdir(parents=True, exist_ok=True)
    exchange = Exchange.simulate(units, days, seed, first_day, defect_rate)
    channels = write_units_config(exchange, out_dir / "units.yaml")
    write_reference(exchange, out_dir / "reference")
    by_channel = {c: [u for u, ch in channels.items() if ch == c] for c in set(channels.values())}
    drop = FileDrop(out_dir / "drop")
    push = platform_push(out_dir / "push")
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=err, transient=True,
                  disable=not err.is_terminal) as progress:
        task = progress.add_task("生成文件与推送", total=len(exchange.days))
        for day in exchange.days:
            write_file_drops(exchange, drop, by_channel.get("file_drop", []), day)
            write_pushes(exchange, push, by_channel.get("platform_push", []), day)
            progress.advance(task)
    url = front_db or f"sqlite:///{(out_dir / 'front.sqlite').resolve()}"
    from connectors.simulator.front_db import write_front_tables

    write_front_tables(exchange, url)
    token_path = out_dir / "api-token"
    write_secret(token_path, secrets.token_urlsafe(24))
    counts = {entity: frame.height for entity, frame in exchange.records.items()}
    out.print(
        f"模拟省份：{units} 个报送单位、{len(exchange.province.bodies)} 个执法主体，{days} 天，"
        f"处罚 {counts['penalty_case']:,} 条、强制 {counts['coercion_case']:,} 条、检查 {counts['inspection']:,} 条",
        highlight=False,
    )
    for channel, members in sorted(by_channel.items()):
        out.print(f"  {channel}: {len(members)} 个单位", highlight=False)
    out.print(f"三库：{out_dir / 'reference'}；渠道配置：{out_dir / 'units.yaml'}", highlight=False)
    out.print(f"文件报送：{out_dir / 'drop'}；平台推送：{out_dir / 'push'}；前置库：{_shown_url(url)}", highlight=False)
    if serve:
        from connectors.simulator.api_server import start_api

        with start_api(exchange, token=token_path.read_text(encoding="utf-8").strip(), port=port) as api:
            out.print(f"数据接口：{api.url}（令牌见 {token_path}）。按 Ctrl-C 停止。", highlight=False)
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                out.print("已停止。")


def _shown_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command()
def dictionary(
    out_dir: Annotated[Path, typer.Argument(help="输出目录")] = Path("docs"),
) -> None:
    """由数据标准生成中文数据字典（Markdown 与 HTML）。"""
    from standards.dictionary import write_dictionary

    for written in write_dictionary(out_dir):
        out.print(f"已生成 {written}")


@app.command()
def template(
    out_dir: Annotated[Path, typer.Argument(help="输出目录")] = Path("templates"),
) -> None:
    """由数据标准生成报送模板（XLSX，中文表头，代码下拉框）。"""
    from standards.templates import write_templates

    for written in write_templates(out_dir):
        out.print(f"已生成 {written}")


DAILY_TASK_LABELS = {
    "plan": "确定日期",
    "take_reference": "取得三库（城市实例）",
    "discover_api": "发现单位（接口）",
    "discover_sql": "发现单位（前置库）",
    "discover_files": "发现单位（文件/推送）",
    "land_reference": "三库落地",
    "intake_api": "归集与校验（接口）",
    "intake_sql": "归集与校验（前置库）",
    "intake_files": "归集与校验（文件/推送）",
    "load_raw": "湖数据入库",
    "dbt_build": "主题库构建（dbt）",
    "check_warehouse": "主题库检查（great-expectations）",
    "publish": "发布分析副本",
    "push_upward": "向省级报送（城市实例）",
    "feedback": "单位反馈",
}
FINISHED = ("success", "skipped", "failed", "upstream_failed")


def _label(key: str) -> str:
    base = key.split("[")[0]
    return DAILY_TASK_LABELS.get(base, DAILY_TASK_LABELS.get(base.split(".")[-1], base))


@app.command()
def run(
    home: Annotated[Path | None, typer.Option("--home", help="实例目录（默认 var/zfjd 或 ZFJD_HOME）")] = None,
    units: Annotated[int | None, typer.Option("--units", help="模拟省份的报送单位数（首次默认 200）")] = None,
    days: Annotated[int | None, typer.Option("--days", help="模拟天数（首次默认 30）")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="随机种子（首次默认 7）")] = None,
    cities: Annotated[str | None, typer.Option(
        "--cities", help="演示省市两级：同时运行这些城市实例（逗号分隔的地市代码，如 440100,440300），"
        "城市实例在 DIR/cities/<代码>/，先于省级运行并向省级报送")] = None,
) -> None:
    """经 Airflow 运行一次每日流程：归集 → 校验 → 主题库 → 检查 → 发布 → 反馈，并输出摘要。

    首次使用时自动准备实例（模拟省份、Airflow 元数据库、资源池）；再次运行是安全的，已有内容不会改变。"""
    from zfjd import airflow_setup
    from zfjd.cycle import ProvinceMismatch, ProvinceSpec, add_outcomes, lake_totals, prepare_province, province_spec
    from zfjd.home import Home
    from zfjd.two_levels import CitiesError, parse_cities, prepare_two_levels
    from zfjd.warehouse import parsed_ahead

    global _exit_without_teardown
    _exit_without_teardown = True
    try:
        city_codes = parse_cities(cities) if cities is not None else []
    except CitiesError as exc:
        _fail_run(str(exc))
    place = Home.at(home).create()  # owner-only from here on (zfjd/home.py)
    existing = province_spec(place)
    base = existing or ProvinceSpec(200, 30, 7, "2025-03-01")
    spec = ProvinceSpec(
        base.units if units is None else units,
        base.days if days is None else days,
        base.seed if seed is None else seed,
        base.start,
    )
    started = time.perf_counter()
    screen = Console(file=airflow_setup.terminal(), force_terminal=err.is_terminal, highlight=False)
    place.airflow.mkdir(parents=True, exist_ok=True)
    log = place.airflow / "logs" / f"{airflow_setup.DAILY_DAG}-last-run.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("", encoding="utf-8")
    made: dict = {}

    def simulate() -> None:
        """While Airflow's metadata database is migrated in its own process."""
        made["created"] = prepare_province(place, spec)
        made["cities"] = prepare_two_levels(place, spec, city_codes) if city_codes else {}

    # On the first run, dbt parses the project for the first build in its own process, from the start
    # until the build (zfjd.warehouse.parsed_ahead); stopped if the run fails before.
    with parsed_ahead(place, spec.last_day) if existing is None else contextlib.nullcontext():
        try:
            with screen.status("准备实例（模拟省份、Airflow 元数据库、资源池）…", spinner="dots"), \
                    airflow_setup.output_to(log):
                airflow_setup.prepare(place, beside=simulate)
                created, city_homes = made["created"], made["cities"]
        except (ProvinceMismatch, RuntimeError, ValueError) as exc:
            _fail_run(str(exc))
        if created:
            screen.print(f"已生成模拟省份：{spec.units} 个报送单位、{spec.days} 天（种子 {spec.seed}）")
        as_of = spec.last_day
        if city_homes:
            _run_cities(city_homes, screen)
            started = time.perf_counter()  # the province's own run from here (each city showed its own time)
            # The cities' pushes are complete when renamed from .part (zfjd/upward.py): no settle time to wait.
            os.environ.setdefault("ZFJD_DROP_SETTLE_SECONDS", "0")
        progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=screen, transient=True
        )
        bar = progress.add_task("启动 Airflow（载入 DAG）…", total=None)
        seen: set[str] = set()

        def show(states: airflow_setup.TaskProgress) -> None:
            label = "、".join(dict.fromkeys(_label(k) for k in states.running)) or "调度中"
            progress.update(bar, description=f"每日流程：{states.done}/{len(states.states)} 个任务完成 · {label}")
            by_task: dict[str, list[str]] = {}
            for key, state in states.states.items():
                by_task.setdefault(key.split("[")[0], []).append(state)
            for task, task_states in sorted(by_task.items()):
                if task in seen or not all(state in FINISHED for state in task_states):
                    continue
                seen.add(task)
                mapped = len(task_states) > 1 or any(k.startswith(task + "[") for k in states.states)
                bad = [state for state in task_states if state in ("failed", "upstream_failed")]
                mark = "[red]✗[/]" if bad else "[dim]–[/]" if set(task_states) == {"skipped"} else "[green]✓[/]"
                groups = f"（{len(task_states)} 组单位）" if mapped else ""
                progress.console.print(f"  {mark} {_label(task)}{groups}")

        with progress:
            run_id, state, states = airflow_setup.run_dag(
                airflow_setup.DAILY_DAG, {"as_of": as_of.isoformat()}, on_progress=show, log=log
            )
    elapsed = time.perf_counter() - started
    outcomes = []
    for kind in ("api", "sql", "files"):
        outcomes += airflow_setup.task_results(airflow_setup.DAILY_DAG, run_id, f"intake_{kind}")
    today = add_outcomes(outcomes)
    totals = lake_totals(place)
    published = (airflow_setup.task_results(airflow_setup.DAILY_DAG, run_id, "publish") or [None])[0]
    checks = (airflow_setup.task_results(airflow_setup.DAILY_DAG, run_id, "check_warehouse") or [None])[0]
    feedback = (airflow_setup.task_results(airflow_setup.DAILY_DAG, run_id, "feedback") or [None])[0]
    out.print(f"\n[bold]每日流程完成情况[/]（校验日 {as_of}，用时 {elapsed:.0f} 秒）", highlight=False)
    out.print(f"  Airflow 运行：{run_id}", highlight=False, soft_wrap=True)
    out.print(
        f"  报送单位：名册 {today['units']:,} 个，已有数据 {totals.units:,} 个；"
        f"本次新收批次 {today['new_batches']:,} 个，"
        f"校验 {today['received']:,} 条（通过 {today['accepted']:,}，拒收 {today['rejected']:,}）",
        highlight=False,
    )
    out.print(
        f"  累计：收到 {totals.received:,} 条，[green]通过 {totals.accepted:,}[/]，"
        f"[red]拒收 {totals.rejected:,}[/]，监督发现 {totals.findings:,} 条（{totals.batches:,} 个批次）",
        highlight=False,
    )
    if checks:
        again = "（内容与上次检查相同，沿用结果）" if checks.get("reused") else ""
        out.print(
            f"  主题库检查：{checks['tables']} 张表、{checks['expectations']} 项期望，全部通过{again}", highlight=False
        )
    taken = (airflow_setup.task_results(airflow_setup.DAILY_DAG, run_id, "take_reference") or [None])[0]
    if taken and taken.get("role") == "city":  # a city instance's 三库 from the province: said either way
        label = "三库：" if taken["taken"] else "[yellow]三库：[/]"
        out.print(f"  {label}{escape(taken['message'])}", highlight=False, soft_wrap=True)
    for problem in today["problems"][:10]:
        # A problem names the unit's files: their names are text, never markup.
        out.print(f"  [yellow]单位问题：[/]{escape(problem)}", highlight=False, soft_wrap=True)
    if len(today["problems"]) > 10:
        out.print(f"  [yellow]另有 {len(today['problems']) - 10} 个单位问题[/]", highlight=False)
    if published:
        how = "已替换为新副本" if published["replaced"] else "内容未变，原文件保留"
        out.print(f"  分析副本（只读）：{place.published}（{how}）", highlight=False, soft_wrap=True)
    else:
        out.print(f"  分析副本（只读）：{place.published}（本次未发布）", highlight=False, soft_wrap=True)
    if feedback is not None:
        where = place.reports / "feedback"
        out.print(f"  单位反馈：{len(feedback)} 个文件，在 {where}", highlight=False, soft_wrap=True)
    out.print(
        f"  报告：{place.reports}（检查结果 {place.reports / 'data-docs' / 'index.html'}）",
        highlight=False,
        soft_wrap=True,
    )
    out.print(f"  Airflow：{place.airflow}（本次输出 {log}）", highlight=False, soft_wrap=True)
    if city_homes and state == "success" and not states.failed:
        _acknowledge_cities(city_homes, as_of)
    if state != "success" or states.failed:
        failed = "、".join(dict.fromkeys(_label(k) for k in states.failed)) or state
        err.print(f"[bold red]运行未成功：[/]{failed}；详见 {place.reports / 'alerts.jsonl'} 和 {log}", highlight=False)
        raise typer.Exit(1)


def _run_cities(city_homes: dict, screen: Console) -> None:
    """Each city instance's daily run, in its own process (its own Airflow), before the province's."""
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW") and k != "ZFJD_HOME"}
    for city, home in city_homes.items():
        screen.print(f"[bold]城市实例 {city}[/]（{home.root}）", highlight=False)
        done = subprocess.run([sys.executable, "-m", "zfjd.cli", "run", "--home", str(home.root)], env=env)
        if done.returncode != 0:
            _fail_run(f"城市实例 {city} 的每日流程未成功（退出码 {done.returncode}），省级未运行；详见 {home.airflow}")
    screen.print("[bold]省级实例[/]", highlight=False)


def _acknowledge_cities(city_homes: dict, as_of) -> None:
    """After the province's run: each city learns what the province made of what it sent (the step its
    next daily run would take first), and the two levels' figures are shown side by side."""
    from zfjd.upward import Outbox, outbox_path, push_upward

    out.print("\n[bold]省市两级[/]（城市已通过的记录 → 省级复核）", highlight=False)
    for city, home in city_homes.items():
        report = push_upward(home, as_of)
        outbox = Outbox(outbox_path(home))
        try:
            totals = outbox.totals()
        finally:
            outbox.close()
        out.print(
            f"  {city}：报送 {totals['batches']:,} 批、{totals['rows']:,} 条；省级已复核 {totals['acknowledged']:,} 批"
            f"（通过 {totals['province_accepted']:,}，退回 {totals['province_rejected']:,}，"
            f"本次新取回 {report.province_rejected:,} 条退回，下次反馈给原报送单位）",
            highlight=False,
        )


def _fail_run(message: str) -> None:
    err.print(f"[bold red]无法运行：[/]{message}", highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_UNUSABLE)


report_app = typer.Typer(help="报表：月度通报、年度公开表。", no_args_is_help=True)
app.add_typer(report_app, name="report")


@report_app.command("monthly")
def report_monthly(
    month: Annotated[str, typer.Option("--month", help="通报月份 YYYY-MM")],
    out_dir: Annotated[Path, typer.Option("--out", help="输出目录")],
    home: Annotated[Path | None, typer.Option("--home", help="实例目录（读取其中已发布的主题库）")] = None,
) -> None:
    """仅依据已发布的主题库重新生成某月的通报。"""
    from zfjd.cycle import write_monthly
    from zfjd.home import Home

    try:
        dt.date.fromisoformat(f"{month}-01")
    except ValueError:
        _fail_run(f"--month 应为 YYYY-MM 格式，收到 {month}")
    place = Home.at(home)
    if not place.published.exists():
        _fail_run(f"没有已发布的主题库：{place.published}（请先运行 zfjd run --home {place.root}）")
    try:
        written = write_monthly(place, month, out_dir)
    except (ImportError, RuntimeError) as exc:  # RuntimeError: e.g. no Chromium for the PDF (the HTML stays)
        for path in sorted(out_dir.glob(f"*{month}*")) if out_dir.exists() else []:
            out.print(f"已生成 {path}", highlight=False)
        _fail_run(str(exc))
    for path in written:
        out.print(f"已生成 {path}", highlight=False)


@report_app.command("yearly")
def report_yearly(
    year: Annotated[int, typer.Option("--year", help="年度 YYYY")],
    out_dir: Annotated[Path | None, typer.Option("--out", help="输出目录（默认 实例目录/reports/yearly）")] = None,
    home: Annotated[Path | None, typer.Option("--home", help="实例目录（读取其中已发布的主题库）")] = None,
) -> None:
    """依据已发布的主题库生成行政执法数据年度公开表（XLSX：说明、汇总、每个执法主体一张表）。"""
    from zfjd.home import Home
    from zfjd.reports.yearly import YearlyReportError, write_yearly_workbook

    if not 1900 <= year <= 9999:
        _fail_run(f"--year 应为四位年份，收到 {year}")
    place = Home.at(home)
    if not place.published.exists():
        _fail_run(f"没有已发布的主题库：{place.published}（请先运行 zfjd run --home {place.root}）")
    try:
        written = write_yearly_workbook(place.published, year, out_dir or place.reports / "yearly")
    except YearlyReportError as exc:
        _fail_run(str(exc))
    out.print(f"已生成 {written}", highlight=False, soft_wrap=True)


token_app = typer.Typer(help="数据服务的访问令牌：签发、列出、吊销（令牌只在签发时显示一次）。", no_args_is_help=True)
app.add_typer(token_app, name="token")
HomeOption = Annotated[Path | None, typer.Option("--home", help="实例目录（默认 var/zfjd 或 ZFJD_HOME）")]


@token_app.command("issue")
def token_issue(
    unit: Annotated[str, typer.Option("--unit", help="报送单位的统一社会信用代码")],
    home: HomeOption = None,
    city: Annotated[
        str | None, typer.Option("--city", help="城市令牌：可读该市（如 440100）全部执法主体的数据")
    ] = None,
    province: Annotated[bool, typer.Option("--province", help="全省令牌：可读全部数据")] = False,
) -> None:
    """签发一个新令牌并只显示这一次；保存的只是它的摘要。旧令牌在吊销前仍然有效（轮换不停服）。"""
    from zfjd.home import Home
    from zfjd.service import tokens

    try:
        record, token = tokens.issue(Home.at(home), unit, city=city, province=province)
    except ValueError as exc:
        _fail_run(str(exc))
    err.print(
        f"已签发令牌 {record.token_id}（范围：{record.scope.label}）。令牌只显示这一次，请妥善保存：",
        highlight=False,
    )
    out.print(token, highlight=False, soft_wrap=True)


@token_app.command("list")
def token_list(home: HomeOption = None) -> None:
    """列出有效令牌的编号、单位、范围与签发时间（不显示令牌本身）。"""
    from zfjd.home import Home
    from zfjd.service import tokens

    records = tokens.listed(Home.at(home))
    if not records:
        out.print("没有有效的令牌（zfjd token issue 可签发）", highlight=False)
        return
    grid = Table("编号", "报送单位", "范围", "签发时间（UTC）")
    for record in records:
        grid.add_row(record.token_id, record.unit, record.scope.label, record.created)
    out.print(grid)


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[str, typer.Option("--token-id", help="要吊销的令牌编号（见 zfjd token list）")],
    home: HomeOption = None,
) -> None:
    """吊销一个令牌：数据服务无需重启，下一个请求起即拒绝它。"""
    from zfjd.home import Home
    from zfjd.service import tokens

    try:
        record = tokens.revoke(Home.at(home), token_id)
    except LookupError as exc:
        _fail_run(str(exc))
    out.print(f"已吊销令牌 {record.token_id}（报送单位 {record.unit}，范围：{record.scope.label}）", highlight=False)


@app.command()
def serve(
    home: HomeOption = None,
    host: Annotated[str, typer.Option("--host", help="监听地址（默认只在本机回环地址）")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="数据服务端口")] = 8710,
    airflow_port: Annotated[int, typer.Option("--airflow-port", help="Airflow 界面与接口的端口")] = 8080,
    no_airflow: Annotated[
        bool, typer.Option("--no-airflow", help="只运行数据服务（不运行 Airflow 的主机，如只对外提供数据的服务器）")
    ] = False,
) -> None:
    """以服务方式运行实例：Airflow（界面与接口、调度器、DAG 处理器）和只读数据服务；Ctrl-C 全部停止。

    --no-airflow 只运行数据服务（三库与各报送单位的批次、拒收、监督发现、数据质量），读取已发布的主题库。"""
    from zfjd.home import Home

    place = Home.at(home)
    if no_airflow:
        _serve_data(place, host, port)
    else:
        _serve_instance(place, host, port, airflow_port)


def _serve_data(place, host: str, port: int) -> None:
    import uvicorn

    from zfjd.service import create_app

    if not place.published.exists():
        _fail_run(f"没有已发布的主题库：{place.published}（请先运行 zfjd run --home {place.root}）")
    err.print(
        f"数据服务：http://{host}:{port}/docs（读取 {place.published}；Ctrl-C 停止）", highlight=False, soft_wrap=True
    )
    # access_log off: a request line could carry what a client wrongly put in a URL
    uvicorn.run(create_app(place), host=host, port=port, access_log=False, log_level="warning")
    err.print("数据服务已停止", highlight=False)


def _serve_instance(place, host: str, port: int, airflow_port: int) -> None:
    from zfjd import airflow_setup, services

    if airflow_port == port:
        _fail_run("--port 与 --airflow-port 不能相同")
    for name, number in (("--airflow-port", airflow_port), ("--port", port)):
        if services.port_taken(host, number):
            _fail_run(f"端口 {number} 已被占用（{host}），请用 {name} 换一个端口，或先停止占用它的程序")
    # The executor's task processes reach the task execution API on this API server.
    os.environ.setdefault("ZFJD_AIRFLOW_API", f"http://127.0.0.1:{airflow_port}")
    logs = place.airflow / "logs" / "serve"
    try:
        place.create()
        logs.mkdir(parents=True, exist_ok=True)
        screen = Console(file=airflow_setup.terminal(), force_terminal=err.is_terminal, highlight=False)
        with screen.status("准备 Airflow（元数据库、资源池）…", spinner="dots"), \
                airflow_setup.output_to(logs / "prepare.log"):
            values = airflow_setup.prepare(place)
    except RuntimeError as exc:
        _fail_run(str(exc))
    login = airflow_setup.ui_passwords(place)
    env = {**os.environ, **values}
    # One API server process is plenty on loopback (Airflow's default is 4); set AIRFLOW__API__WORKERS for more.
    env.setdefault("AIRFLOW__API__WORKERS", "1")
    children = services.instance_services(place, host, port, airflow_port, values, login)
    supervisor = services.Supervisor(
        children, env, logs,
        say=lambda text: err.print(text, highlight=False, soft_wrap=True),
        warn=lambda text: err.print(f"[bold red]{escape(text)}[/]", highlight=False, soft_wrap=True),
    )
    err.print(f"正在启动实例 {place.root} 的服务（日志在 {logs}）…", highlight=False, soft_wrap=True)
    code = supervisor.run(
        on_all_ready=lambda: err.print("全部服务已就绪；Ctrl-C 停止。", highlight=False)
    )
    if code != services.EXIT_STOPPED:
        err.print("[bold red]服务已停止：有服务意外退出[/]", highlight=False)
        raise typer.Exit(code)
    err.print("全部服务已停止", highlight=False)


@app.command()
def dashboard(
    home: HomeOption = None,
    host: Annotated[str, typer.Option("--host", help="监听地址（默认只在本机回环地址）")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="驾驶舱端口")] = 8088,
) -> None:
    """监督驾驶舱（Apache Superset）：读取已发布的主题库（只读），四个仪表板与按角色的行级权限；Ctrl-C 停止。

    首次使用时安装驾驶舱环境（analytics/）、初始化元数据、导入仪表板并生成各角色用户的密码；之后启动只需数秒。"""
    import signal

    from zfjd import dashboard as cockpit
    from zfjd.home import Home

    def stop(*_):
        raise KeyboardInterrupt  # a service manager's TERM stops Superset as Ctrl-C does, never orphans it

    signal.signal(signal.SIGTERM, stop)
    started = time.monotonic()
    try:
        place = cockpit.prepare(Home.at(home))
        process = cockpit.start(place, host, port)
    except (RuntimeError, FileNotFoundError) as exc:
        _fail_run(str(exc))
    url = f"http://{host}:{port}/"
    try:
        cockpit.wait_until_up(url, process)
        err.print(f"驾驶舱已就绪（{time.monotonic() - started:.1f} 秒）", highlight=False)
        for line in cockpit.first_login_lines(place, url):
            out.print(line, highlight=False, soft_wrap=True)
        process.wait()
    except KeyboardInterrupt:
        pass
    except RuntimeError as exc:
        err.print(f"[bold red]{escape(str(exc))}[/]", highlight=False)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except Exception:
                process.kill()
    if process.returncode not in (0, -signal.SIGTERM, None):
        raise typer.Exit(1)
    err.print("驾驶舱已停止", highlight=False)


city_app = typer.Typer(help="城市实例：配置与向省级报送（docs/two-levels.md）。", no_args_is_help=True)
app.add_typer(city_app, name="city")


@city_app.command("configure")
def city_configure(
    city: Annotated[str, typer.Option("--city", help="本市地市行政区划代码，如 440100")],
    unit: Annotated[str, typer.Option("--unit", help="本市作为省级报送单位的统一社会信用代码")],
    province_push: Annotated[str, typer.Option("--province-push", help="省级平台推送目录（挂载的共享目录）")],
    province_service: Annotated[str | None, typer.Option("--province-service", help="省级数据服务地址")] = None,
    province_home: Annotated[str | None, typer.Option("--province-home", help="同机或共享存储上的省级实例目录")] = None,
    token_stdin: Annotated[
        bool, typer.Option("--token-stdin", help="从标准输入读取省级数据服务令牌并保存（0600）")
    ] = False,
    home: HomeOption = None,
) -> None:
    """将实例配置为城市实例：只归集本市单位，并每日将本市已通过的记录报送省级。"""
    from zfjd.home import Home
    from zfjd.instance import CityRole, RoleError, configure_city

    token = sys.stdin.readline().strip() if token_stdin else None
    try:
        role = CityRole(city=city, unit=unit, province_push=province_push, province_service=province_service,
                        province_home=province_home)
        configure_city(Home.at(home), role, token=token)
    except RoleError as exc:
        _fail(str(exc))
    out.print(f"已配置为城市实例：地市 {city}，省级报送单位代码 {unit}", highlight=False)


@city_app.command("push")
def city_push(
    home: HomeOption = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="本次的日期 YYYY-MM-DD（默认同每日流程）")] = None,
) -> None:
    """城市实例向省级报送一次（每日流程的 push_upward 步骤）：取回省级复核结果，并报送尚未确认的批次。"""
    from zfjd.cycle import resolve_as_of
    from zfjd.home import Home
    from zfjd.upward import push_upward

    place = Home.at(home)
    report = push_upward(place, resolve_as_of(place, as_of))
    if report is None:
        out.print("本实例是省级实例，无需向上报送")
        return
    out.print(
        f"新登记 {report.prepared} 批，本次发送 {report.sent} 批（{report.rows_sent} 条），省级新确认 "
        f"{report.acknowledged} 批（其中退回 {report.province_rejected} 条），待省级确认 {report.waiting} 批",
        highlight=False,
    )
    for problem in report.problems:
        err.print(f"[yellow]{escape(problem)}[/]", highlight=False)


# Set by `run`: its process ends without the interpreter's teardown (see main).
_exit_without_teardown = False


def main() -> None:  # pragma: no cover - console entry point
    """The `zfjd` command. After `zfjd run`, the interpreter's teardown (a last garbage collection over
    the millions of objects Airflow, dbt and GX leave, then every module's) took 2.5 s after the summary
    was shown, to free memory the system frees anyway: the exit handlers run as on any exit (logs
    flushed, Airflow's database closed, temporary folders removed), then the process ends. Whatever the
    run wrote was committed and closed long before."""
    try:
        app()
    except SystemExit as done:
        if not _exit_without_teardown:
            raise
        status = done.code
    else:
        status = 0
    if isinstance(status, str):
        print(status, file=sys.stderr)
        status = 1
    import atexit

    sys.stdout.flush()
    sys.stderr.flush()
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status or 0)


if __name__ == "__main__":  # pragma: no cover
    main()
