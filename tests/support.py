"""Builders shared by the tests: clean records of each entity and a way to validate a few rows."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from build_samples import BODY_A, BODY_B, COMPANY, UNIT, clean_case

from quality.engine import ValidationResult, validate_file

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
REFERENCE = SAMPLES / "reference"
AS_OF = dt.date(2025, 6, 30)


def clean_coercion(number: int = 1) -> dict[str, str]:
    return {
        "强制编号": f"TH-QZ-2024-{number:04d}",
        "执法主体代码": BODY_A,
        "报送单位代码": UNIT,
        "事项编码": "QZ-SCJG-0001",
        "强制类型": "强制措施",
        "强制方式": "扣押财物",
        "行政相对人名称": "广州市某某贸易有限公司",
        "行政相对人类别": "法人及非法人组织",
        "统一社会信用代码": COMPANY,
        "工商注册号": "",
        "证件类型": "",
        "证件号码": "",
        "决定书文号": f"穗天市监强制〔2024〕{number}号",
        "决定日期": "2024-03-04",
        "措施起始日期": "2024-03-04",
        "措施期限届满日期": "2024-04-02",
        "是否延长": "N",
        "延长至": "",
        "解除日期": "2024-03-28",
        "关联处罚案件编号": "",
        "承办执法人员执法证号": "GD-TH-0001;GD-TH-0002",
        "更新时间": "2024-03-28 10:00:00",
    }


def clean_inspection(number: int = 1) -> dict[str, str]:
    return {
        "检查编号": f"TH-JC-2024-{number:05d}",
        "执法主体代码": BODY_A,
        "报送单位代码": UNIT,
        "事项编码": "JC-SCJG-0001",
        "检查方式": "双随机抽查",
        "检查对象名称": "广州市某某贸易有限公司",
        "检查对象代码": COMPANY,
        "检查日期": "2024-05-20",
        "检查人员执法证号": "GD-TH-0001;GD-TH-0003",
        "检查结果": "未发现问题",
        "关联案件编号": "",
        "互联网+监管事项编码": "JG-0009",
        "更新时间": "2024-05-20 16:00:00",
    }


def clean_entity(number: int = 1) -> dict[str, str]:
    from build_samples import uscc

    return {
        "执法主体名称": f"广州市天河区第{number}执法队",
        "统一社会信用代码": uscc(f"11440106MC{number:07d}"),
        "主体性质": "1",
        "行政区划代码": "440106",
        "层级": "3",
        "执法领域": "卫生健康",
        "上级主管单位代码": "",
        "报送单位代码": UNIT,
        "状态": "1",
        "生效日期": "2019-01-01",
        "失效日期": "",
        "更新时间": "2024-01-02 09:00:00",
    }


CLEAN = {
    "penalty_case": clean_case,
    "coercion_case": clean_coercion,
    "inspection": clean_inspection,
    "enforcement_entity": clean_entity,
}


def write_rows(path: Path, rows: list[dict[str, str]], encoding: str = "utf-8") -> Path:
    headers = list(rows[0])
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=headers)
        writer.writeheader()
        writer.writerows(rows)
    return path


def validate_rows(tmp_path: Path, entity: str, rows: list[dict[str, str]], **options) -> ValidationResult:
    path = write_rows(tmp_path / f"{entity}.csv", rows)
    options.setdefault("unit", UNIT)
    options.setdefault("reference", REFERENCE)
    options.setdefault("as_of", AS_OF)
    return validate_file(path, entity, **options)


def rules_by_row(result: ValidationResult) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for row, rule in result.errors.select("row", "rule").iter_rows():
        found.setdefault(row, set()).add(rule)
    return found


def findings_by_row(result: ValidationResult) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for row, rule in result.findings.select("row", "rule").iter_rows():
        found.setdefault(row, set()).add(rule)
    return found


def clean_officer(number: int = 1) -> dict[str, str]:
    from build_samples import ric

    return {
        "姓名": "刘洋", "身份证号": ric("44010619920615123"), "执法证号": f"GD-TH-1{number:03d}", "所属执法主体代码": BODY_A,
        "执法领域": "市场监管", "证件有效期起": "2023-01-01", "证件有效期止": "2028-12-31", "证件状态": "有效",
        "更新时间": "2024-01-02 09:00:00",
    }


def clean_matter(number: int = 1) -> dict[str, str]:
    return {
        "事项编码": f"CF-SCJG-{number + 100:04d}", "版本号": "1", "事项名称": "对无照经营的行政处罚", "事项类别": "行政处罚",
        "执法领域": "市场监管", "实施主体代码": f"{BODY_A};{BODY_B}", "设定依据": "FG-0201:第十三条", "罚款下限（元）": "1000",
        "罚款上限（元）": "10000", "互联网+监管事项编码": "", "状态": "在用", "生效日期": "2021-01-01", "失效日期": "",
        "更新时间": "2024-01-02 09:00:00",
    }


def clean_review(number: int = 1) -> dict[str, str]:
    return {
        "评查批次": "2024-Q2", "执法主体代码": BODY_A, "案件编号": f"TH-SJ-2024-{number:04d}", "否决项": "", "卷面得分": "18",
        "内容得分": "72", "评查等级": "合格", "评查日期": "2024-07-10", "更新时间": "2024-07-10 17:00:00",
    }


def clean_license(number: int = 1) -> dict[str, str]:
    """A 行政许可 as the 政务服务网 sends it (XK_* layout, Chinese headers), to a company."""
    from build_samples import COMPANY

    return {
        "行政相对人名称": "广州华新贸易有限公司", "行政相对人类别": "法人及非法人组织", "统一社会信用代码": COMPANY,
        "法定代表人": "陈明", "证件类型": "", "证件号码": "", "行政许可决定文书名称": "食品经营许可决定书",
        "行政许可决定文书号": f"穗天市监许字〔2024〕{number:04d}号", "许可类别": "普通", "许可证书名称": "食品经营许可证",
        "许可编号": f"JY144010600{number:05d}", "许可内容": "准予从事食品销售经营", "许可决定日期": "2024-04-15",
        "有效期自": "2024-04-15", "有效期至": "2029-04-14", "许可机关": "广州市天河区市场监督管理局",
        "许可机关统一社会信用代码": BODY_A, "当前状态": "有效", "数据来源单位": "广东省政务服务和数据管理局",
        "数据来源单位统一社会信用代码": BODY_B, "备注": "", "更新时间": "2024-04-15 17:00:00",
    }


CLEAN.update({"officer": clean_officer, "matter": clean_matter, "review_result": clean_review, "license": clean_license})


def validate_rules_pair(tmp_path: Path, entity: str, failing: dict, passing: dict, **options) -> ValidationResult:
    """Two records of `entity` (1 with `failing` applied, 2 with `passing`) validated in one file."""
    first, second = CLEAN[entity](1), CLEAN[entity](2)
    first.update(failing)
    second.update(passing)
    return validate_rows(tmp_path, entity, [first, second], **options)


def validate_cli(
    tmp_path: Path,
    entity: str,
    rows: list[dict[str, str]],
    *,
    reference: Path = REFERENCE,
    as_of: dt.date = AS_OF,
    unit: str = UNIT,
    extra: tuple[str, ...] = (),
) -> dict:
    """Runs `zfjd validate … --json` (in this process) on `rows` and returns the JSON document."""
    from typer.testing import CliRunner

    from zfjd.cli import app

    path = write_rows(tmp_path / f"{entity}.csv", [_all_keys(rows, row) for row in rows])
    out = tmp_path / f"{entity}.json"
    done = CliRunner().invoke(
        app,
        ["validate", str(path), "--entity", entity, "--unit", unit, "--reference", str(reference),
         "--as-of", as_of.isoformat(), "--json", str(out), *extra],
    )
    assert done.exit_code in (0, 1), done.output
    import json

    return json.loads(out.read_text(encoding="utf-8"))


def _all_keys(rows: list[dict[str, str]], row: dict[str, str]) -> dict[str, str]:
    """Every row with every column any row has (blank where it has none)."""
    keys = dict.fromkeys(key for each in rows for key in each)
    return {key: row.get(key, "") for key in keys}


def outcomes_by_row(document: dict) -> dict[int, tuple[str, set[str], set[str]]]:
    """row → ("reject" | "accept", rules, provisional finding rules) from a validate JSON document."""
    rejected: dict[int, set[str]] = {}
    for error in document["errors"]:
        rejected.setdefault(error["row"], set()).add(error["rule"])
    found: dict[int, set[str]] = {}
    provisional: dict[int, set[str]] = {}
    for finding in document["findings"]:
        found.setdefault(finding["row"], set()).add(finding["rule"])
        if finding["provisional"]:
            provisional.setdefault(finding["row"], set()).add(finding["rule"])
    rows = range(1, document["received"] + 1)
    return {
        row: ("reject", rejected[row], set()) if row in rejected else ("accept", found.get(row, set()),
                                                                       provisional.get(row, set()))
        for row in rows
    }


def build_published_province(home, spec, review_month: str):
    """A small simulated province landed, validated, modelled, the month's 随机抽查 drawn, then copied to
    DIR/published (the publish step is tested elsewhere): what the report and dashboard tests read."""
    import json
    import shutil

    from zfjd import cycle, warehouse

    cycle.prepare_province(home, spec)
    cycle.land_reference(home, as_of=spec.last_day)
    outcome = cycle.intake_and_validate(home, cycle.discover_units(home), as_of=spec.last_day)
    assert not outcome.problems and outcome.rejected > 0
    result = warehouse.build(home, as_of=spec.last_day)
    assert result.success, "\n".join(result.failures)
    variables = {**warehouse.dbt_vars(spec.last_day), "review_month": review_month}
    drawn = warehouse.run_dbt(["build", "--select", "mart_review_sample", "--vars", json.dumps(variables)], home)
    assert drawn.success, "\n".join(drawn.failures)
    home.published.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(home.warehouse, home.published)
    return home


def intake_share_with_a_broken_unit(broken: str, root: str, units: list[str], as_of, settle_seconds):
    """A worker of `cycle.intake_spread` in which unit `broken`'s channel fails (run in a spawned process,
    where a test's monkeypatch does not reach)."""
    import connectors.intake
    from zfjd import cycle

    real = connectors.intake.run_intake

    def failing(registry, *args, **kwargs):
        if broken in registry.units:
            raise ConnectionError("前置库连接超时")
        return real(registry, *args, **kwargs)

    connectors.intake.run_intake = failing
    return cycle._intake_share(root, units, as_of, settle_seconds)
