"""The plain DuckDB SQL pass (benchmarks/duckdb_baseline.py) as an independent oracle for the engine.

Both validate the same file. The engine's errors and findings, restricted to the rules the SQL pass
implements (every field rule, every row rule and row finding of penalty_case; not the 三库, scope or
in-file key rules), must be the same (row, rule, field) triples — not just the same counts. The
engine keeps no findings on a rejected row (whatever rejected it, 三库 and batch rules included), so
the SQL pass's findings are compared on the rows the engine accepted.

Files: the bundled sample, 3,000 generated rows, and a file of edge cases (date, number, code and
identifier spellings, boundaries of each row rule, 公示 deadlines around holidays) written twice: as
is, where the engine types each distinct value once, and padded with rows of distinct dates, where it
parses the date columns row by row.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from build_samples import BODY_A, COMPANY, PENALTY_HEADERS, PERSON, UNIT, broken_check, clean_case, ric, uscc
from support import AS_OF, REFERENCE, SAMPLES

from quality.engine import validate_file
from standards.loader import standard

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"benchmarks_{name}", ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


baseline = _load("duckdb_baseline")
make_penalty_file = _load("make_penalty_file")

Triple = tuple[int, str, str]


@dataclass
class Outcome:
    engine_errors: set[Triple]
    sql_errors: set[Triple]
    engine_findings: set[Triple]
    sql_findings: set[Triple]  # on the rows the engine accepted
    rejected: set[int]  # by the engine, for any rule
    sql: pl.DataFrame  # everything the SQL pass found


def _triples(frame: pl.DataFrame) -> set[Triple]:
    return set(frame.select("row", "rule", "field").iter_rows())


def outcome(path: Path, as_of: dt.date = AS_OF) -> Outcome:
    result = validate_file(path, "penalty_case", unit=UNIT, reference=REFERENCE, as_of=as_of)
    sql = baseline.run_baseline(path, as_of)
    compared = sorted(baseline.implemented_rule_ids())
    findings = [rule.id for rule in standard().rules.values() if rule.severity == "finding"]
    rejected = set(result.errors["row"].to_list())
    sql_findings = sql.filter(pl.col("rule").is_in(findings) & ~pl.col("row").is_in(sorted(rejected)))
    return Outcome(
        engine_errors=_triples(result.errors.filter(pl.col("rule").is_in(compared))),
        sql_errors=_triples(sql.filter(~pl.col("rule").is_in(findings))),
        engine_findings=_triples(result.findings.filter(pl.col("rule").is_in(compared))),
        sql_findings=_triples(sql_findings),
        rejected=rejected,
        sql=sql,
    )


def assert_same(engine: set[Triple], sql: set[Triple], what: str) -> None:
    if engine != sql:
        only_engine, only_sql = sorted(engine - sql), sorted(sql - engine)
        raise AssertionError(
            f"{what} differ: engine only {only_engine[:20]} ({len(only_engine)}), "
            f"SQL only {only_sql[:20]} ({len(only_sql)})"
        )


def assert_agree(result: Outcome) -> None:
    assert_same(result.engine_errors, result.sql_errors, "errors")
    assert_same(result.engine_findings, result.sql_findings, "findings")


def test_the_sql_pass_covers_every_field_and_row_rule_of_penalty_case():
    std = standard()
    entity = std.entity("penalty_case")
    field_rules = {rule.id for rule in std.rules.values() if rule.kind == "field" and rule.targets(entity)}
    row_rules = {rule.id for rule in std.rules.values() if rule.kind == "row" and rule.applies("penalty_case")}
    assert baseline.implemented_rule_ids() == field_rules | row_rules
    assert "finding.late_publicity" in row_rules


def test_bundled_sample():
    result = outcome(SAMPLES / "penalty_case.csv")
    assert_agree(result)
    assert len(result.sql_errors) >= 15 and len(result.sql_findings) >= 8


def test_generated_file(tmp_path):
    path = make_penalty_file.make(3000, tmp_path / "penalty_case.csv")
    result = outcome(path)
    assert_agree(result)
    assert len(result.sql_errors) > 300 and len(result.sql_findings) > 300


def _without_columns(tmp_path: Path, dropped: set[str]) -> Path:
    entity = standard().entity("penalty_case")
    assert not any(f.required for f in entity.fields if f.name in dropped), "only columns a file may leave out"
    path = tmp_path / "penalty_case.csv"
    pl.read_csv(SAMPLES / "penalty_case.csv", infer_schema=False).drop(sorted(dropped)).write_csv(path)
    return path


def test_file_without_optional_columns(tmp_path):
    dropped = {
        "违法行为发生日期",
        "公示截止期",
        "是否听证",
        "公示日期",
        "备注",
        "没收违法所得、没收非法财物的金额（万元）",
    }
    assert_agree(outcome(_without_columns(tmp_path, dropped)))


def test_file_without_conditional_columns_that_rows_need(tmp_path):
    assert_agree(outcome(_without_columns(tmp_path, {"处罚类别", "处罚决定日期"})))


# --- edge cases ----------------------------------------------------------------------------------------

FULL_WIDTH = str.maketrans("0123456789-:", "０１２３４５６７８９－：")
RIC_X = next(r for n in range(1000) if (r := ric(f"44010619900317{n:03d}")).endswith("X"))
NO_FINE = {"罚款金额（万元）": ""}
PERSON_PARTY = {
    "行政相对人名称": "黄某",
    "行政相对人类别": "自然人",
    "统一社会信用代码": "",
    "法定代表人": "",
    "证件类型": "身份证",
    "证件号码": PERSON,
}
SOLE_TRADER = {
    "行政相对人类别": "个体工商户",
    "统一社会信用代码": "00000000000000000X",
    "工商注册号": "440106600123456",
    "法定代表人": "",
}
UNDECIDED = {
    "案件状态": "2",
    "处罚类别": "",
    "处罚内容": "",
    "处罚依据": "",
    "行政处罚决定书文号": "",
    "处罚决定日期": "",
    "处罚有效期": "",
    "公示截止期": "",
    "送达日期": "",
    "缴款日期": "",
    "执行方式": "",
    "结案日期": "",
    "公示日期": "",
    "实缴金额（元）": "",
    **NO_FINE,
}
SUMMARY = {"程序类型": "1", "立案日期": ""}
WITHDRAWN_3_JUNE = {"案件状态": "9", "更新时间": "2024-06-03 10:00:00"}


def _decided_on(decision: str, publicity: str, **other: str) -> dict[str, str]:
    """A case decided on `decision`, served the same day, published on `publicity`."""
    day = dt.date.fromisoformat(decision)

    def after(days: int) -> str:
        return (day + dt.timedelta(days=days)).isoformat()

    return {
        "违法行为发生日期": after(-60),
        "立案日期": after(-30),
        "处罚决定日期": decision,
        "处罚有效期": after(365),
        "公示截止期": after(3 * 365),
        "送达日期": decision,
        "缴款日期": after(3),
        "结案日期": after(40),
        "公示日期": publicity,
        **other,
    }


def _transferred(transfer: str, result: str, decided: str) -> dict[str, str]:
    return {"是否移送司法机关": "Y", "移送日期": transfer, "接收机关": "广州市公安局", "公安立案结果": result,
            "立案结果日期": decided}


EDGES: dict[str, dict[str, str]] = {
    # dates: every accepted spelling, and the near misses
    "date slashes": {"立案日期": "2024/3/1"},
    "date 年月日": {"立案日期": "2024年3月1日"},
    "date 年月 without 日": {"立案日期": "2024年3月1"},
    "date 年月日 spaced": {"立案日期": "2024 年 3 月 1 日"},
    "date compact": {"立案日期": "20240301"},
    "date compact impossible": {"立案日期": "20240230"},
    "date Excel serial": {"立案日期": "45352"},
    "date Excel serial with leading zero": {"违法行为发生日期": "04535"},
    "date Excel serial 1": {"违法行为发生日期": "00001"},
    "date full-width": {"立案日期": "2024-03-01".translate(FULL_WIDTH)},
    "date mathematical digits": {"立案日期": "𝟐𝟎𝟐𝟒-𝟎𝟑-𝟎𝟏"},
    "date dots": {"立案日期": "2024.3.1"},
    "date mixed separators": {"立案日期": "2024-3/1"},
    "date not zero-padded": {"立案日期": "2024-3-1"},
    "date with midnight": {"立案日期": "2024-03-01 00:00:00"},
    "date with short midnight": {"立案日期": "2024-03-01 0:00"},
    "date with midnight T and fraction": {"立案日期": "2024-03-01T00:00:00.000"},
    "date with a time of day": {"立案日期": "2024-03-01 10:00"},
    "date padded with spaces": {"立案日期": " 2024-03-01 "},
    "date padded with ideographic spaces": {"立案日期": "\u30002024-03-01\u3000"},
    "date after a no-break space": {"立案日期": "\xa02024-03-01"},
    "date 29 February, not a leap year": {"违法行为发生日期": "2023-02-29"},
    "date 29 February, leap year": {"违法行为发生日期": "2024-02-29"},
    "date month 13": {"结案日期": "2024-13-01"},
    "date two-digit year": {"送达日期": "24-4-18"},
    "date month/day/year": {"送达日期": "04/18/2024"},
    "date five-digit year": {"违法行为发生日期": "12024-01-01"},
    "date blank": {"送达日期": "   "},
    "date tomorrow": {"缴款日期": "2025-07-01"},
    "date today": {"缴款日期": "2025-06-30", "结案日期": "2025-06-30"},
    "date as words": {"处罚有效期": "长期"},
    # date-times
    "datetime with T": {"更新时间": "2024-05-10T09:30:00"},
    "datetime slashes, no seconds": {"更新时间": "2024/5/10 9:30"},
    "datetime compact": {"更新时间": "20240510093000"},
    "datetime compact date only": {"更新时间": "20240510"},
    "datetime 时分秒": {"更新时间": "2024年5月10日 9时30分00秒"},
    "datetime 时分 without 秒": {"更新时间": "2024年5月10日 9时30分"},
    "datetime Excel serial with fraction": {"更新时间": "45422.5"},
    "datetime Excel serial": {"更新时间": "45422"},
    "datetime hour 24": {"更新时间": "2024-05-10 24:00:00"},
    "datetime minute 60": {"更新时间": "2024-05-10 09:60:00"},
    "datetime leap second": {"更新时间": "2024-05-10 23:59:60"},
    "datetime leap second rolls into tomorrow": {"更新时间": "2025-06-30 23:59:60"},
    "datetime date only": {"更新时间": "2024-05-10"},
    "datetime with fraction": {"更新时间": "2024-05-10 09:30:00.123"},
    "datetime later today": {"更新时间": "2025-06-30 23:00:00"},
    "datetime tomorrow": {"更新时间": "2025-07-01 00:00:00"},
    "datetime full-width": {"更新时间": "２０２４－０５－１０　０９：３０：００"},
    # decimals
    "decimal trailing zero": {"罚款金额（万元）": "0.50"},
    "decimal full-width": {"罚款金额（万元）": "０．５"},
    "decimal thousands separator": {"罚款金额（万元）": "1,000"},
    "decimal negative": {"罚款金额（万元）": "-0.5"},
    "decimal leading dot": {"罚款金额（万元）": ".5"},
    "decimal trailing dot": {"罚款金额（万元）": "5."},
    "decimal exponent": {"罚款金额（万元）": "5e-1"},
    "decimal padded": {"罚款金额（万元）": " 0.5 "},
    "decimal circled digit": {"罚款金额（万元）": "①"},
    "decimal zero with a fine": {"罚款金额（万元）": "0"},
    "decimal 0.00 with a fine": {"罚款金额（万元）": "0.00"},
    "decimal in words": {"实缴金额（元）": "五千"},
    # Y/N
    "yn lower case": {"是否重大执法决定": "n"},
    "yn 是否": {"是否听证": "否", "是否移送司法机关": "是"},
    "yn full-width": {"是否重大执法决定": "Ｎ"},
    "yn modifier letter": {"是否重大执法决定": "ᴺ"},
    "yn word": {"是否听证": "yes"},
    # codes
    "code labels": {"程序类型": "普通程序", "案件状态": "已结案", "案件来源": "监督检查"},
    "code full-width": {"程序类型": "２"},
    "code padded": {"程序类型": " 2 "},
    "code unknown label": {"行政相对人类别": "法人"},
    "code label with a Kangxi radical": {"行政相对人类别": "法人及⾮法人组织"},
    "code open 其他-": {**PERSON_PARTY, "证件类型": "其他-军官证", "证件号码": "军字第123456号"},
    "code 其他- alone": {**PERSON_PARTY, "证件类型": "其他-"},
    "code withdrawn case": {"案件状态": "9"},
    "code review outcome by label": {"复议诉讼结果": "维持"},
    "code unknown execution method": {"执行方式": "4"},
    # code sets
    "kinds full-width semicolon": {"处罚类别": "警告；罚款"},
    "kinds separated by 、": {"处罚类别": "警告、罚款"},
    "kinds trailing separator": {"处罚类别": "罚款;"},
    "kinds only a separator": {"处罚类别": ";"},
    "kinds repeated": {"处罚类别": "罚款;罚款"},
    "kinds with an unknown one": {"处罚类别": "罚款;罚金"},
    "kinds padded": {"处罚类别": " 罚款 ; 警告 "},
    "kinds heavy first": {"处罚类别": "罚款;警告"},
    # 统一社会信用代码
    "uscc lower case": {"统一社会信用代码": COMPANY.lower()},
    "uscc full-width": {
        "统一社会信用代码": COMPANY.translate(str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}))
    },
    "uscc with a space inside": {"统一社会信用代码": COMPANY[:6] + " " + COMPANY[6:]},
    "uscc padded": {"统一社会信用代码": f" {COMPANY} "},
    "uscc with letter I": {"统一社会信用代码": COMPANY[:10] + "I" + COMPANY[11:]},
    "uscc letter in the division code": {"统一社会信用代码": uscc("9144010AMA5CXY801")},
    "uscc 17 characters": {"统一社会信用代码": COMPANY[:17]},
    "uscc wrong check character": {"统一社会信用代码": broken_check(COMPANY)},
    "uscc 登记管理部门 N (农村集体)": {"统一社会信用代码": uscc("N2440106MA5CXY801")},
    "uscc 登记管理部门 Y": {"统一社会信用代码": uscc("Y1440106MA5CXY801")},
    "uscc 登记管理部门 B": {"统一社会信用代码": uscc("B2440106MA5CXY801")},
    "uscc letter as 机构类别": {"统一社会信用代码": uscc("NA440106MA5CXY801")},
    "uscc lower-case n": {"统一社会信用代码": uscc("N2440106MA5CXY801").lower()},
    "body code lower case": {"执法主体代码": BODY_A.lower()},
    "placeholder with lower-case x": {**SOLE_TRADER, "统一社会信用代码": "00000000000000000x"},
    "placeholder without registration number": {**SOLE_TRADER, "工商注册号": ""},
    "placeholder for a company": {"统一社会信用代码": "00000000000000000X", "工商注册号": "440106600123456"},
    "placeholder for a person": {**PERSON_PARTY, "统一社会信用代码": "00000000000000000X"},
    "placeholder as body code": {"执法主体代码": "00000000000000000X"},
    "sole trader without a code": {**SOLE_TRADER, "统一社会信用代码": ""},
    "sole trader with a wrong code": {**SOLE_TRADER, "统一社会信用代码": broken_check(COMPANY)},
    "company with a blank representative": {"法定代表人": "  "},
    # 证件
    "person": PERSON_PARTY,
    "person id ending in X": {**PERSON_PARTY, "证件号码": RIC_X},
    "person id ending in x": {**PERSON_PARTY, "证件号码": RIC_X.lower()},
    "person id full-width": {**PERSON_PARTY, "证件号码": PERSON.translate(FULL_WIDTH)},
    "person id padded": {**PERSON_PARTY, "证件号码": f" {PERSON} "},
    "person id impossible birth date": {**PERSON_PARTY, "证件号码": ric("44010619900230123")},
    "person id birth year 0000": {**PERSON_PARTY, "证件号码": ric("44010600000101123")},
    "person id unknown region": {**PERSON_PARTY, "证件号码": ric("99999919900317123")},
    "person id unknown county": {**PERSON_PARTY, "证件号码": ric("44999919900317123")},
    "person id region abolished before birth": {**PERSON_PARTY, "证件号码": ric("11010320150317123")},
    "person id region existing at birth": {**PERSON_PARTY, "证件号码": ric("11010319850317123")},
    "person id 15 digits": {**PERSON_PARTY, "证件号码": "440106900317123"},
    "person id wrong check character": {**PERSON_PARTY, "证件号码": broken_check(PERSON)},
    "person with a passport": {**PERSON_PARTY, "证件类型": "护照号", "证件号码": "E12345678"},
    "person without a document": {**PERSON_PARTY, "证件类型": "", "证件号码": ""},
    "person with a company code": {**PERSON_PARTY, "统一社会信用代码": COMPANY},
    # text
    "text at its maximum length": {"案件编号": "T" * 60 + "0001"},
    "text one over its maximum length": {"案件编号": "T" * 61 + "0002"},
    "text at its maximum length, padded": {"案件编号": " " + "T" * 60 + "0003\u3000"},
    "text full-width, over its maximum": {"案件编号": "Ｔ" * 61 + "0004"},
    "text ideographic space only": {"行政相对人名称": "\u3000"},
    "text zero-width space only": {"行政相对人名称": "\u200b"},
    "chinese text at its maximum": {"违法行为类型": "违" * 500},
    "chinese text over its maximum": {"违法行为类型": "违" * 501},
    "text with newline, comma and quotes": {"备注": '第一行\n第二行，含"引号", 和逗号'},
    "text with CRLF": {"备注": "第一行\r\n第二行"},
    # officers
    "one officer": {"承办执法人员执法证号": "GD-TH-0001"},
    "the same officer twice": {"承办执法人员执法证号": "GD-TH-0001;GD-TH-0001"},
    "officers full-width semicolon": {"承办执法人员执法证号": "GD-TH-0001；GD-TH-0002"},
    "officers separated by 、": {"承办执法人员执法证号": "GD-TH-0001、GD-TH-0002"},
    "officers padded": {"承办执法人员执法证号": " GD-TH-0001 ; GD-TH-0002 ;"},
    "officers only a separator": {"承办执法人员执法证号": ";"},
    "officers blank": {"承办执法人员执法证号": " "},
    # row rules at their boundaries
    "summary: sole trader fined 300 元": {**SUMMARY, **SOLE_TRADER, "罚款金额（万元）": "0.03"},
    "summary: company fined 3000 元": {**SUMMARY, "罚款金额（万元）": "0.3"},
    "summary: company fined 3000.01 元": {**SUMMARY, "罚款金额（万元）": "0.300001"},
    "summary: company fined 3000.004 元": {**SUMMARY, "罚款金额（万元）": "0.3000004"},
    "summary: person fined 200 元": {**PERSON_PARTY, **SUMMARY, "罚款金额（万元）": "0.02"},
    "summary: with confiscation": {
        **SUMMARY,
        "处罚类别": "罚款;没收违法所得",
        "罚款金额（万元）": "0.01",
        "没收违法所得、没收非法财物的金额（万元）": "0.01",
    },
    "summary: warning only": {**SUMMARY, "处罚类别": "警告", "处罚内容": "警告", **NO_FINE},
    "summary: unknown kind": {**SUMMARY, "处罚类别": "罚款;罚金"},
    "ordinary without filing date": {"立案日期": ""},
    "ordinary with impossible filing date": {"立案日期": "2024-02-30"},
    "fine listed without amount, unknown kind": {"处罚类别": "罚款;罚金", **NO_FINE},
    "amount without fine, unknown kind": {"处罚类别": "警告;罚金"},
    "amount without any kind": {"处罚类别": ""},
    "warning with amount 0": {"处罚类别": "警告", "罚款金额（万元）": "0"},
    "confiscation without amount": {"处罚类别": "罚款;没收违法所得"},
    "confiscation with amount in words": {
        "处罚类别": "罚款;没收非法财物",
        "没收违法所得、没收非法财物的金额（万元）": "很多",
    },
    "confiscation with amount 0": {"处罚类别": "罚款;没收非法财物", "没收违法所得、没收非法财物的金额（万元）": "0"},
    "license revoked without document": {"处罚类别": "罚款;吊销许可证件"},
    "license suspended with document": {
        "处罚类别": "罚款;暂扣许可证件",
        "暂扣或吊销证照名称及编号": "食品经营许可证 JY123",
    },
    "decided without decision fields": {"行政处罚决定书文号": " ", "处罚依据": "", "处罚有效期": ""},
    "decided with impossible decision date": {"处罚决定日期": "2024-04-31"},
    "decided, status by label": {"案件状态": "已送达", "结案日期": ""},
    "closed without closing date": {"结案日期": ""},
    "closed with impossible closing date": {"结案日期": "2024-05-32"},
    "closed before legal review": {"法制审核日期": "2024-05-11", "结案日期": "2024-05-10"},
    "closed with only a filing date": {
        "处罚决定日期": "",
        "送达日期": "",
        "缴款日期": "",
        "案件状态": "9",
        "结案日期": "2024-02-01",
    },
    "legal review after decision": {"法制审核日期": "2024-04-16"},
    "major decision reviewed after it": {"是否重大执法决定": "Y", "法制审核日期": "2024-04-16"},
    "legal review on decision day": {"是否重大执法决定": "Y", "法制审核日期": "2024-04-15"},
    "served before decision": {"送达日期": "2024-04-14"},
    "paid before decision": {"缴款日期": "2024-04-14"},
    "valid before decision": {"处罚有效期": "2024-04-14"},
    "publicity ends before decision": {"公示截止期": "2024-04-14"},
    "authority code lower case": {"处罚机关统一社会信用代码": BODY_A.lower()},
    "authority code wrong": {"处罚机关统一社会信用代码": broken_check(BODY_A)},
    "decided 90 days after filing": {"立案日期": "2024-01-16"},
    "decided 91 days after filing": {"立案日期": "2024-01-15"},
    "decided 92 days after filing, day 90 a Saturday (顺延)": {
        "立案日期": "2024-01-14", "违法行为发生日期": "2023-12-20"
    },
    "decided 93 days after filing, day 90 a Friday": {"立案日期": "2024-01-13", "违法行为发生日期": "2023-12-20"},
    "decided on the approved extended deadline": {
        "立案日期": "2024-01-13", "违法行为发生日期": "2023-12-20", "延长办案期限至": "2024-04-15"
    },
    "decided after the approved extended deadline": {
        "立案日期": "2024-01-13", "违法行为发生日期": "2023-12-20", "延长办案期限至": "2024-04-14"
    },
    "served 7 days after decision": {"送达日期": "2024-04-22"},
    "served 8 days after decision": {"送达日期": "2024-04-23"},
    "served on the 7th working day": {"送达日期": "2024-04-24"},
    "served on the 8th working day": {"送达日期": "2024-04-25"},
    "served over National Day": _decided_on("2024-09-27", "2024-10-12", 送达日期="2024-10-12"),
    "served over National Day, late": _decided_on("2024-09-27", "2024-10-12", 送达日期="2024-10-14"),
    "filed 2 years and a day after 28 Feb": {"违法行为发生日期": "2022-02-28", "立案日期": "2024-02-29"},
    "filed 2 years after 29 Feb": {
        **_decided_on("2022-04-15", "2022-04-19"),
        "违法行为发生日期": "2020-02-29",
        "立案日期": "2022-03-01",
    },
    "filed exactly 2 years after": {"违法行为发生日期": "2022-03-01", "立案日期": "2024-03-01"},
    "filed 2 years after, the last day a Saturday (顺延)": {"违法行为发生日期": "2022-03-02", "立案日期": "2024-03-04"},
    "filed 2 years and a working day after": {"违法行为发生日期": "2022-03-01", "立案日期": "2024-03-04"},
    "filed 5 years after, with harm": {"违法行为发生日期": "2019-03-01", "是否有危害后果": "Y"},
    "filed 5 years and a day after, with harm": {"违法行为发生日期": "2019-02-28", "是否有危害后果": "Y"},
    "filed 2 years after a continuing act ended": {"违法行为发生日期": "2020-01-01", "违法行为终了日期": "2022-03-01"},
    "filed 2 years and a day after a continuing act ended": {
        "违法行为发生日期": "2020-01-01", "违法行为终了日期": "2022-02-28"
    },
    "continuing act ending before it began": {"违法行为终了日期": "2024-02-19"},
    "act after filing": {"违法行为发生日期": "2024-03-02"},
    "act after decision": {**SUMMARY, "违法行为发生日期": "2024-04-16", "罚款金额（万元）": "0.02"},
    "published before decision": {"公示日期": "2024-04-14"},
    "never published": {"公示日期": ""},
    "never published, withdrawn after the deadline": {"公示日期": "", "案件状态": "9"},
    "never published, withdrawn in time": {"公示日期": "", "案件状态": "9", "更新时间": "2024-04-24 18:00:00"},
    "never published, revoked on review": {"公示日期": "", "复议诉讼结果": "2", "复议诉讼结果日期": "2024-06-03"},
    "never published, revoked in time": {"公示日期": "", "复议诉讼结果": "2", "复议诉讼结果日期": "2024-04-24"},
    "review outcome without its date": {"复议诉讼结果": "2"},
    "review outcome before decision": {"复议诉讼结果": "1", "复议诉讼结果日期": "2024-04-14"},
    "withdrawn before published": {"撤回公示日期": "2024-04-18"},
    "revoked, withdrawn on the 3rd working day": {
        "复议诉讼结果": "2", "复议诉讼结果日期": "2024-06-03", "撤回公示日期": "2024-06-06"
    },
    "revoked, withdrawn on the 4th working day": {
        "复议诉讼结果": "2", "复议诉讼结果日期": "2024-06-03", "撤回公示日期": "2024-06-07"
    },
    "changed, never withdrawn": {"复议诉讼结果": "3", "复议诉讼结果日期": "2024-06-03"},
    "upheld, never withdrawn": {"复议诉讼结果": "1", "复议诉讼结果日期": "2024-06-03"},
    "withdrawn case, withdrawn late": {**WITHDRAWN_3_JUNE, "撤回公示日期": "2024-06-07"},
    "withdrawn case, withdrawn in time": {**WITHDRAWN_3_JUNE, "撤回公示日期": "2024-06-06"},
    "fine collected on the spot, ordinary procedure": {"收缴方式": "当场收缴"},
    "fine paid at the bank": {"收缴方式": "1"},
    "summary fine of 100 元 collected on the spot": {**SUMMARY, "罚款金额（万元）": "0.01", "收缴方式": "2"},
    "summary fine of 150 元 collected on the spot": {**SUMMARY, "罚款金额（万元）": "0.015", "收缴方式": "2"},
    "summary fine of 150 元 collected on the water": {
        **SUMMARY, "罚款金额（万元）": "0.015", "收缴方式": "2", "备注": "水上执法"
    },
    "major decision without legal review": {"是否重大执法决定": "Y"},
    "hearing without legal review": {"是否听证": "Y"},
    "major decision unknown": {"是否重大执法决定": "X"},
    "hearing blank": {"是否听证": ""},
    "open 91 days": {**UNDECIDED, "立案日期": "2025-03-31"},
    "open 90 days": {**UNDECIDED, "立案日期": "2025-04-01"},
    "open, status by label": {**UNDECIDED, "案件状态": "调查中", "立案日期": "2024-01-02"},
    "open, impossible decision date": {**UNDECIDED, "处罚决定日期": "2024-02-30", "立案日期": "2024-01-02"},
    # 公示 within 7 working days (调休 and holidays from the calendar)
    "publicity over National Day (Saturday 12 October is a 调休 working day)": _decided_on("2024-09-27", "2024-10-12"),
    "publicity over National Day, late": _decided_on("2024-09-27", "2024-10-14"),
    "publicity from a 调休 Sunday": _decided_on("2024-09-29", "2024-10-14"),
    "publicity from a 调休 Sunday, late": _decided_on("2024-09-29", "2024-10-15"),
    "publicity over Spring Festival": _decided_on("2024-02-08", "2024-02-23"),
    "publicity over Spring Festival, late": _decided_on("2024-02-08", "2024-02-26"),
    "publicity over New Year 2025": _decided_on("2024-12-27", "2025-01-08"),
    "publicity over New Year 2025, late": _decided_on("2024-12-27", "2025-01-09"),
    "publicity of a Saturday decision": _decided_on("2024-04-13", "2024-04-23"),
    "publicity of a Saturday decision, late": _decided_on("2024-04-13", "2024-04-24"),
    # 行刑衔接: the 公安机关 decide within 3 days of the transfer (移送规定 Art 8), 顺延 on a rest day.
    "police decide on the 3rd day, a 调休 Sunday": _transferred("2024-09-26", "立案", "2024-09-29"),
    "police decide the day after the 调休 Sunday, late": _transferred("2024-09-26", "立案", "2024-09-30"),
    "police decide after National Day, 顺延": _transferred("2024-09-28", "不予立案", "2024-10-08"),
    "police decide after National Day, late": _transferred("2024-09-28", "不予立案", "2024-10-09"),
    "police result without its date": _transferred("2024-09-26", "立案", ""),
    "police still deciding, no date": _transferred("2024-09-26", "审查中", ""),
    "police result before the transfer": _transferred("2024-09-26", "立案", "2024-09-25"),
}

DATE_COLUMNS = [f.name for f in standard().entity("penalty_case").fields if f.type == "date"]
# The optional fields the corrected standard added (§2): written too, blank unless a case fills them.
NEW_HEADERS = ["违法行为终了日期", "是否有危害后果", "延长办案期限至", "收缴方式", "复议诉讼结果日期", "撤回公示日期",
               "移送日期", "接收机关", "公安立案结果", "立案结果日期"]
HEADERS = PENALTY_HEADERS + NEW_HEADERS


def _filler(number: int, days_back: int) -> dict[str, str]:
    """A clean case with every date moved back, so that date columns have mostly distinct values."""
    row = clean_case(number)
    for column in DATE_COLUMNS:
        if row.get(column):
            row[column] = (dt.date.fromisoformat(row[column]) - dt.timedelta(days=days_back)).isoformat()
    stamp = dt.datetime(2024, 5, 10, 9, 30) - dt.timedelta(minutes=7 * days_back)
    row["更新时间"] = stamp.strftime("%Y-%m-%d %H:%M:%S")
    return row


def write_cases(path: Path, cases: dict[str, dict[str, str]], fillers: int = 0) -> Path:
    rows = []
    for changes in cases.values():
        row = dict.fromkeys(NEW_HEADERS, "") | clean_case(len(rows) + 1)
        row.update(changes)
        rows.append(row)
    rows += [_filler(len(rows) + 1, k) for k in range(1, fillers + 1)]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        writer.writerows([row.get(header, "") for header in HEADERS] for row in rows)
    return path


LAYOUTS = {"by value": 0, "row by row": 2 * len(EDGES)}


@pytest.fixture(scope="module", params=list(LAYOUTS))
def edge_outcome(request, tmp_path_factory):
    path = write_cases(tmp_path_factory.mktemp("edges") / "penalty_case.csv", EDGES, LAYOUTS[request.param])
    return outcome(path)


@pytest.mark.parametrize("name", list(EDGES))
def test_edge_case(edge_outcome, name):
    row = list(EDGES).index(name) + 1

    def on_row(triples: set[Triple]) -> set[tuple[str, str]]:
        return {(rule, field) for at, rule, field in triples if at == row}

    assert on_row(edge_outcome.engine_errors) == on_row(edge_outcome.sql_errors)
    assert on_row(edge_outcome.engine_findings) == on_row(edge_outcome.sql_findings)


def test_publicity_edges_sit_either_side_of_the_deadline(edge_outcome):
    """The 公示 edge cases test what their names say: the `late` ones one working day past the deadline."""
    late = set(edge_outcome.sql.filter(pl.col("rule") == "finding.late_publicity")["row"].to_list())
    cases = {
        row: name for row, name in enumerate(EDGES, start=1) if name.startswith("publicity") and "ends" not in name
    }
    assert {row for row, name in cases.items() if name.endswith("late")} == late & set(cases)


def test_police_decision_edges_sit_where_their_names_say(edge_outcome):
    """The 行刑衔接 edge cases: `late` ones past the 3rd day (顺延) in both engines, the dateless result
    and the result dated before the transfer rejected, the others clean."""
    rows = {name: row for row, name in enumerate(EDGES, start=1) if name.startswith("police")}
    found = {at for at, rule, _ in edge_outcome.engine_findings if rule == "finding.late_police_filing_decision"}
    assert found == {row for name, row in rows.items() if name.endswith("late")}
    rejected = {(at, rule) for at, rule, _ in edge_outcome.engine_errors}
    assert (rows["police result without its date"], "penalty.transfer_result_date_required") in rejected
    assert (rows["police result before the transfer"], "penalty.transfer_result_before_transfer") in rejected
    assert rows["police still deciding, no date"] not in {at for at, _ in rejected}


def test_edge_file_fillers(edge_outcome):
    """The rows after the edge cases (shifted clean cases) agree as well."""
    first = len(EDGES) + 1

    def fillers(triples: set[Triple]) -> set[Triple]:
        return {t for t in triples if t[0] >= first}

    assert_same(fillers(edge_outcome.engine_errors), fillers(edge_outcome.sql_errors), "errors")
    assert_same(fillers(edge_outcome.engine_findings), fillers(edge_outcome.sql_findings), "findings")


BEYOND_THE_CALENDAR = {  # judged as of 2030-06-30: dates past the last year with known holidays, and long before
    "publicity before the calendar": _decided_on("2003-06-06", "2003-06-17"),
    "publicity before the calendar, late": _decided_on("2003-06-06", "2003-06-18"),
    # 元旦 2027 is a holiday before the year's arrangement is announced: the 7th working day is 6 Jan.
    "publicity into the first unknown year": _decided_on("2026-12-25", "2027-01-06"),
    "publicity into the first unknown year, late": _decided_on("2026-12-25", "2027-01-07"),
    "publicity in an unknown year": _decided_on("2028-02-24", "2028-03-06"),
    "publicity in an unknown year, late": _decided_on("2028-02-24", "2028-03-07"),
    # 国庆 1–3 Oct 2029 (Mon–Wed) are statutory holidays: Thu 4 Oct is the 1st working day, 12 Oct the 7th.
    "publicity of a Sunday decision in an unknown year": _decided_on("2029-09-30", "2029-10-12"),
    "publicity of a Sunday decision in an unknown year, late": _decided_on("2029-09-30", "2029-10-15"),
}


def test_publicity_beyond_the_calendar(tmp_path):
    result = outcome(write_cases(tmp_path / "penalty_case.csv", BEYOND_THE_CALENDAR), as_of=dt.date(2030, 6, 30))
    assert_agree(result)
    late = result.sql.filter(pl.col("rule") == "finding.late_publicity")["row"].to_list()
    assert late == [2, 4, 6, 8], "every `late` case and no other (weekends and known statutory holidays)"
    assert result.rejected == {1, 2}, "the 2003 cases predate the 执法主体 and 事项: compared on errors only"


YEAR_ZERO = {
    "date year 0000": {"违法行为发生日期": "0000-01-01"},
    "date compact year 0000": {"违法行为发生日期": "00000101"},
    "datetime year 0000": {"更新时间": "0000-01-01 10:00:00"},
    "date year 1899": {"违法行为发生日期": "1899-12-31"},
    "date year 1900": {"违法行为发生日期": "1900-01-01"},
    "date year 2200": {"处罚有效期": "2200-01-01"},
    "date year 2199": {"处罚有效期": "2199-12-31"},
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("name", list(YEAR_ZERO))
def test_year_zero(tmp_path, name, layout):
    # beside clean cases (the same dates: typed by value) or shifted ones (distinct dates: row by row)
    cases = {name: YEAR_ZERO[name], **{f"clean {n}": {} for n in range(3)}}
    assert_agree(outcome(write_cases(tmp_path / "penalty_case.csv", cases, fillers=16 if LAYOUTS[layout] else 0)))


# The corrected §4 edges say in their names which side of a boundary they sit on: both passes must agree
# (above) and the answer must be the one the standard gives.
CORRECTED_EDGES = {
    "decided 92 days after filing, day 90 a Saturday (顺延)": None,
    "decided 93 days after filing, day 90 a Friday": "finding.overdue_handling",
    "decided on the approved extended deadline": None,
    "decided after the approved extended deadline": "finding.overdue_handling",
    "served 8 days after decision": None,
    "served on the 7th working day": None,
    "served on the 8th working day": "finding.late_service",
    "served over National Day": None,
    "served over National Day, late": "finding.late_service",
    "filed 2 years after, the last day a Saturday (顺延)": None,
    "filed 2 years and a working day after": "finding.time_barred",
    "filed 5 years after, with harm": None,
    "filed 5 years and a day after, with harm": "finding.time_barred",
    "filed 2 years after a continuing act ended": None,
    "filed 2 years and a day after a continuing act ended": "finding.time_barred",
    "continuing act ending before it began": "penalty.act_end_before_start",
    "act after filing": "penalty.act_after_filing",
    "act after decision": "penalty.act_after_decision",
    "published before decision": "penalty.publicity_before_decision",
    "never published": "finding.late_publicity",
    "never published, withdrawn after the deadline": "finding.late_publicity",
    "never published, withdrawn in time": None,
    "never published, revoked on review": "finding.late_publicity",
    "never published, revoked in time": None,
    "review outcome without its date": "penalty.review_result_date_required",
    "review outcome before decision": "penalty.review_result_before_decision",
    "withdrawn before published": "penalty.withdrawal_before_publicity",
    "revoked, withdrawn on the 3rd working day": None,
    "revoked, withdrawn on the 4th working day": "finding.late_withdrawal",
    "changed, never withdrawn": "finding.late_withdrawal",
    "upheld, never withdrawn": None,
    "withdrawn case, withdrawn late": "finding.late_withdrawal",
    "withdrawn case, withdrawn in time": None,
    "fine collected on the spot, ordinary procedure": "finding.fine_collection_not_separated",
    "fine paid at the bank": None,
    "summary fine of 100 元 collected on the spot": None,
    "summary fine of 150 元 collected on the spot": "finding.fine_collection_not_separated",
    "summary fine of 150 元 collected on the water": None,
    "legal review after decision": None,
    "major decision reviewed after it": "finding.missing_legal_review",
}


@pytest.mark.parametrize("name", list(CORRECTED_EDGES))
def test_corrected_edges_sit_where_their_names_say(edge_outcome, name):
    row = list(EDGES).index(name) + 1
    found = {rule for at, rule, _ in edge_outcome.engine_errors | edge_outcome.engine_findings if at == row}
    expected = CORRECTED_EDGES[name]
    assert found == ({expected} if expected else set()), found
