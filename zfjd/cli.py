"""`zfjd` — the command line for units, engineers and analysts (执法监督)."""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

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
    err.print(f"[bold red]无法校验：[/]{message}", highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_UNUSABLE)


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
    """校验一个文件：退出码 0 全部通过，1 有记录被拒收，2 文件本身无法使用。"""
    from quality.engine import today_in_china, validate_file
    from quality.read import UnusableFile
    from quality.report import to_json_document, write_html, write_json, write_xlsx
    from standards.loader import standard as load_standard

    standard = load_standard()
    if entity not in standard.entities:
        _fail(f"未知的数据类型 {entity}，可用：{'、'.join(standard.entities)}")
    try:
        day = dt.date.fromisoformat(as_of) if as_of else today_in_china()
    except ValueError:
        _fail(f"--as-of 应为 YYYY-MM-DD 格式的日期，收到 {as_of}")
    try:
        with _progress(f"校验 {path.name}") as report_rows:
            result = validate_file(path, entity, unit=unit, reference=reference, as_of=day, on_progress=report_rows)
    except UnusableFile as exc:
        _fail(str(exc))
    document = to_json_document(result, standard, day)
    if json_out:
        write_json(document, json_out)
    if xlsx_out:
        write_xlsx(document, standard, xlsx_out)
    if html_out:
        write_html(document, standard, html_out)
    _print_summary(document, standard)
    raise typer.Exit(EXIT_ALL_ACCEPTED if result.rejected == 0 else EXIT_SOME_REJECTED)


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
        f"[bold]{spec_entity.name}[/] {document['source']}：收到 {document['received']} 条，"
        f"[green]通过 {document['accepted']}[/]，[red]拒收 {document['rejected']}[/]，"
        f"监督发现 {len(document['findings'])} 条",
        highlight=False,
    )
    for note in document["notes"]:
        out.print(f"[yellow]说明：[/]{note}", highlight=False)
    from quality.report import rule_summary

    for title, records in (("拒收原因", document["errors"]), ("监督发现", document["findings"])):
        summary = rule_summary(records)
        if not summary:
            continue
        table = Table(title=title, title_justify="left", show_lines=False)
        table.add_column("条数", justify="right", no_wrap=True)
        table.add_column("规则", style="dim", no_wrap=True)
        table.add_column("说明", overflow="fold")
        for rule_id, message, count in summary:
            table.add_row(str(count), rule_id, message)
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

    try:
        first_day = dt.date.fromisoformat(start)
    except ValueError:
        _fail(f"--start 应为 YYYY-MM-DD 格式的日期，收到 {start}")
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
    if not token_path.exists():
        token_path.write_text(secrets.token_urlsafe(24), encoding="utf-8")
        token_path.chmod(0o600)
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


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())


if __name__ == "__main__":  # pragma: no cover
    main()
