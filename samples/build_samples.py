"""Writes the bundled sample: a small 三库 extract and a penalty-case file where each row is a case.

`python samples/build_samples.py` rewrites `samples/` (committed; tests read it). Every row of
`penalty_case.csv` is either clean or carries exactly the defect named in `expected.yaml`, so the
file shows — and tests check — each reject rule and each finding being sorted right. The
GB18030 copy is made from the same rows; `penalty_case.xlsx` was saved from it by LibreOffice Calc
(see `tests/quality/test_sample.py` for how it is compared).
"""

from __future__ import annotations

import csv
from pathlib import Path

import yaml

from quality.codes import with_broken_check, with_ric_check, with_uscc_check

HERE = Path(__file__).parent


# Valid (and deliberately broken) codes are made with the project's own check-character functions.
uscc, ric, broken_check = with_uscc_check, with_ric_check, with_broken_check


UNIT = uscc("11440106MB2C3D4E5")  # 广州市天河区司法局: the reporting unit
OTHER_UNIT = uscc("11440104MB7K8L9M0")  # 广州市越秀区司法局
BODY_A = uscc("11440106MB1A2B3C4")  # 天河区市场监督管理局
BODY_B = uscc("11440106MB5F6G7H8")  # 天河区城市管理和综合执法局
BODY_C = uscc("11440104MB9J0K1L2")  # 越秀区市场监督管理局 (reported by OTHER_UNIT)
BODY_D = uscc("11440106MB3N4P5Q6")  # 天河区原某执法队 (撤销)
UNKNOWN_BODY = uscc("11440106MB8R9T0U1")
COMPANY = uscc("91440106MA5CXY801")
COMPANY_2 = uscc("91440106MA9DABC02")
PERSON = ric("44010619900317123")
OFFICERS = {
    "GD-TH-0001": ("李明", BODY_A, "1", "2020-01-01", "2030-12-31"),
    "GD-TH-0002": ("王芳", BODY_A, "1", "2020-01-01", "2030-12-31"),
    "GD-TH-0003": ("陈强", BODY_A, "1", "2021-06-01", "2031-05-31"),
    "GD-TH-0004": ("赵磊", BODY_A, "1", "2019-02-01", "2024-01-31"),  # expired
    "GD-TH-0005": ("周静", BODY_A, "2", "2020-01-01", "2030-12-31"),  # 暂扣
    "GD-TH-0006": ("吴刚", BODY_B, "1", "2020-01-01", "2030-12-31"),
}

ENTITY_HEADERS = ["执法主体名称", "统一社会信用代码", "主体性质", "行政区划代码", "层级", "执法领域", "上级主管单位代码",
                  "报送单位代码", "状态", "生效日期", "失效日期", "更新时间"]
ENTITIES = [
    ["广州市天河区司法局", UNIT, "1", "440106", "3", "其他", "", UNIT, "1", "2019-01-01", "", "2024-01-02 09:00:00"],
    ["广州市天河区市场监督管理局", BODY_A, "1", "440106", "3", "市场监管", "", UNIT, "1", "2019-01-01", "",
     "2024-01-02 09:00:00"],
    ["广州市天河区城市管理和综合执法局", BODY_B, "1", "440106", "3", "城市管理综合执法", "", UNIT, "1", "2019-01-01", "",
     "2024-01-02 09:00:00"],
    ["广州市越秀区市场监督管理局", BODY_C, "1", "440104", "3", "市场监管", "", OTHER_UNIT, "1", "2019-01-01", "",
     "2024-01-02 09:00:00"],
    ["广州市天河区原综合执法队", BODY_D, "2", "440106", "3", "城市管理综合执法", "", UNIT, "0", "2015-01-01",
     "2023-12-31", "2024-01-02 09:00:00"],
]
OFFICER_HEADERS = ["姓名", "身份证号", "执法证号", "所属执法主体代码", "执法领域", "证件有效期起", "证件有效期止", "证件状态",
                   "更新时间"]
MATTER_HEADERS = ["事项编码", "版本号", "事项名称", "事项类别", "执法领域", "实施主体代码", "设定依据", "罚款下限（元）",
                  "罚款上限（元）", "互联网+监管事项编码", "状态", "生效日期", "失效日期", "更新时间"]
MATTERS = [
    ["CF-SCJG-0001", "1", "对销售不合格产品的行政处罚", "CF", "市场监管", f"{BODY_A};{BODY_C};{BODY_D}",
     "FL-0001:第四十九条", "500", "50000", "JG-0001", "1", "2020-01-01", "", "2024-01-02 09:00:00"],
    ["CF-CGZF-0002", "1", "对违法占道经营的行政处罚", "CF", "城市管理综合执法", BODY_B, "FG-0102:第二十条", "50", "500", "",
     "1", "2020-01-01", "", "2024-01-02 09:00:00"],
    ["QZ-SCJG-0001", "1", "查封、扣押不符合安全标准的产品", "QZ", "市场监管", BODY_A, "FL-0001:第十八条", "", "", "", "1",
     "2020-01-01", "", "2024-01-02 09:00:00"],
    ["JC-SCJG-0001", "1", "对产品质量的监督检查", "JC", "市场监管", f"{BODY_A};{BODY_C}", "FL-0001:第十五条", "", "",
     "JG-0009", "1", "2020-01-01", "", "2024-01-02 09:00:00"],
]

# The 法律法规库 of the sample extract: the laws the 事项 above cite (and the clean test 事项's FG-0201), and
# the repealed 食品卫生法 (replaced by the 食品安全法 on 2009-06-01) for the 设定依据失效 finding. Article
# texts are placeholders: the sample quotes no law.
LAW_HEADERS = ["法规编号", "法规名称", "效力级别", "制定机关", "施行日期", "失效日期", "更新时间"]
LAWS = [
    ["FL-0001", "中华人民共和国产品质量法", "法律", "全国人民代表大会常务委员会", "1993-09-01", "", "2024-01-02 09:00:00"],
    ["FG-0102", "城市市容和环境卫生管理条例", "行政法规", "国务院", "1992-08-01", "", "2024-01-02 09:00:00"],
    ["FG-0201", "无证无照经营查处办法", "行政法规", "国务院", "2017-10-01", "", "2024-01-02 09:00:00"],
    ["FL-0009", "中华人民共和国食品卫生法", "法律", "全国人民代表大会常务委员会", "1995-10-30", "2009-06-01",
     "2024-01-02 09:00:00"],
]
LAW_ARTICLE_HEADERS = ["法规编号", "条款号", "条款内容", "更新时间"]
LAW_ARTICLES = [
    [law, article, "（示例数据：条文内容以官方公布的文本为准）", "2024-01-02 09:00:00"]
    for law, article in (("FL-0001", "第四十九条"), ("FL-0001", "第十八条"), ("FL-0001", "第十五条"),
                         ("FG-0102", "第二十条"), ("FG-0201", "第十三条"), ("FL-0009", "第四十条"))
]

PENALTY_HEADERS = [
    "案件编号", "执法主体代码", "报送单位代码", "事项编码", "案件来源", "程序类型", "行政相对人名称", "行政相对人类别",
    "统一社会信用代码", "工商注册号", "法定代表人", "证件类型", "证件号码", "违法行为发生日期", "立案日期", "违法行为类型", "违法事实",
    "处罚依据", "处罚类别", "处罚内容", "罚款金额（万元）", "没收违法所得、没收非法财物的金额（万元）", "暂扣或吊销证照名称及编号",
    "行政处罚决定书文号", "处罚决定日期", "处罚有效期", "公示截止期", "处罚机关", "处罚机关统一社会信用代码", "数据来源单位",
    "数据来源单位统一社会信用代码", "承办执法人员执法证号", "是否重大执法决定", "法制审核日期", "是否听证", "送达日期", "缴款日期",
    "实缴金额（元）", "执行方式", "案件状态", "结案日期", "是否移送司法机关", "复议诉讼结果", "公示日期", "备注", "更新时间",
]


def clean_case(number: int) -> dict[str, str]:
    """A correct, closed 普通程序 case of BODY_A: a 5,000 元 fine on a company."""
    return {
        "案件编号": f"TH-SJ-2024-{number:04d}", "执法主体代码": BODY_A, "报送单位代码": UNIT, "事项编码": "CF-SCJG-0001",
        "案件来源": "1", "程序类型": "2", "行政相对人名称": "广州市某某贸易有限公司", "行政相对人类别": "法人及非法人组织",
        "统一社会信用代码": COMPANY, "工商注册号": "", "法定代表人": "张伟", "证件类型": "", "证件号码": "",
        "违法行为发生日期": "2024-02-20", "立案日期": "2024-03-01", "违法行为类型": "销售不合格产品",
        "违法事实": "当事人销售的电热水壶经抽检不合格，货值金额3000元。", "处罚依据": "《中华人民共和国产品质量法》第四十九条",
        "处罚类别": "罚款", "处罚内容": "罚款人民币5000元", "罚款金额（万元）": "0.5",
        "没收违法所得、没收非法财物的金额（万元）": "", "暂扣或吊销证照名称及编号": "",
        "行政处罚决定书文号": f"穗天市监处罚〔2024〕{number}号", "处罚决定日期": "2024-04-15", "处罚有效期": "2025-04-15",
        "公示截止期": "2027-04-15", "处罚机关": "广州市天河区市场监督管理局", "处罚机关统一社会信用代码": BODY_A,
        "数据来源单位": "广州市天河区市场监督管理局", "数据来源单位统一社会信用代码": BODY_A,
        "承办执法人员执法证号": "GD-TH-0001;GD-TH-0002", "是否重大执法决定": "N", "法制审核日期": "", "是否听证": "N",
        "送达日期": "2024-04-18", "缴款日期": "2024-04-30", "实缴金额（元）": "5000", "执行方式": "1", "案件状态": "6",
        "结案日期": "2024-05-10", "是否移送司法机关": "N", "复议诉讼结果": "0", "公示日期": "2024-04-19", "备注": "",
        "更新时间": "2024-05-10 09:30:00",
    }


def sample_rows() -> list[tuple[dict[str, str], dict]]:
    """(row, expectation) pairs; expectation: {"reject": [rule ids]} or {"findings": [rule ids]}."""
    rows: list[tuple[dict[str, str], dict]] = []

    def add(expect: dict, **changes: str) -> None:
        row = clean_case(len(rows) + 1)
        row.update(changes)
        rows.append((row, expect))

    add({"findings": []}, 备注="完全正确的普通程序案件")
    add({"findings": []}, 程序类型="简易程序", 行政相对人名称="黄某", 行政相对人类别="自然人", 统一社会信用代码="", 法定代表人="",
        证件类型="身份证", 证件号码=PERSON, 立案日期="", 处罚类别="警告", 处罚内容="警告", **{"罚款金额（万元）": ""},
        处罚决定日期="2024-05-06", 处罚有效期="2024-11-06", 公示截止期="2024-11-06", 送达日期="2024-05-06", 缴款日期="",
        **{"实缴金额（元）": ""}, 执行方式="", 结案日期="2024-05-06", 公示日期="2024-05-07", 备注="简易程序当场警告")
    add({"findings": []}, 立案日期="20240301", 处罚决定日期="2024年4月15日", 送达日期="2024/4/18", **{"罚款金额（万元）": "０.５"},
        案件来源="监督检查", 程序类型="普通程序", 案件状态="已结案", 备注="日期与数字的各种写法")
    add({"findings": []}, 行政相对人名称="天河区某某便利店", 行政相对人类别="个体工商户", 统一社会信用代码="00000000000000000X",
        工商注册号="440106600123456", 法定代表人="", **{"罚款金额（万元）": "0.1"}, 处罚内容="罚款人民币1000元", **{"实缴金额（元）": "1000"},
        备注="无统一社会信用代码的个体工商户")
    add({"reject": ["field.required"]}, 行政相对人名称="", 备注="缺少必填项")
    add({"reject": ["field.uscc"]}, 执法主体代码=broken_check(BODY_A), 备注="执法主体代码校验位错误")
    add({"reject": ["field.date"]}, 处罚决定日期="2024-13-45", 备注="不存在的日期")
    add({"reject": ["field.date"]}, 立案日期="03/01/2024", 备注="有歧义的日期写法")
    add({"reject": ["field.code"]}, 程序类型="3", 备注="代码表外的程序类型")
    add({"reject": ["field.not_future"]}, 更新时间="2099-01-01 10:00:00", 备注="更新时间在未来")
    add({"reject": ["field.decimal"]}, **{"罚款金额（万元）": "5000元"}, 备注="金额带单位")
    add({"reject": ["field.max_length"]}, 案件编号="TH-" + "X" * 70, 备注="案件编号过长")
    add({"reject": ["counterparty.credit_code_required"]}, 统一社会信用代码="", 备注="法人缺统一社会信用代码")
    add({"reject": ["counterparty.id_number_invalid"]}, 行政相对人名称="黄某", 行政相对人类别="自然人", 统一社会信用代码="",
        法定代表人="", 证件类型="身份证", 证件号码=broken_check(PERSON), 备注="身份证校验位错误")
    add({"reject": ["penalty.fine_amount_missing"]}, 处罚类别="警告;罚款", **{"罚款金额（万元）": ""}, 备注="有罚款无金额")
    add({"reject": ["penalty.fine_amount_without_fine"]}, 处罚类别="警告", 备注="有金额无罚款")
    add({"reject": ["penalty.decision_before_filing"]}, 立案日期="2024-04-20", 备注="决定早于立案")
    add({"reject": ["penalty.closing_before_other_dates"]}, 结案日期="2024-04-16", 备注="结案早于缴款")
    add({"reject": ["penalty.authority_code_mismatch"]}, 处罚机关统一社会信用代码=BODY_B, 备注="处罚机关代码不符")
    add({"reject": ["reference.entity_unknown", "reference.matter_not_held", "scope.out_of_scope"]},
        执法主体代码=UNKNOWN_BODY, 处罚机关统一社会信用代码=UNKNOWN_BODY, 备注="执法主体库中没有的主体")
    add({"reject": ["scope.out_of_scope"]}, 执法主体代码=BODY_C, 处罚机关统一社会信用代码=BODY_C, 处罚机关="广州市越秀区市场监督管理局",
        备注="越权报送：越秀区的主体")
    add({"reject": ["scope.submitter"]}, 报送单位代码=OTHER_UNIT, 备注="报送单位代码不是本单位")
    add({"reject": ["reference.matter_wrong_kind"]}, 事项编码="JC-SCJG-0001", 备注="用检查事项报处罚")
    add({"reject": ["reference.officer_unknown"]}, 承办执法人员执法证号="GD-TH-0001;GD-XX-9999", 备注="执法证号不在人员库")
    add({"reject": ["reference.entity_inactive"]}, 执法主体代码=BODY_D, 处罚机关统一社会信用代码=BODY_D, 立案日期="2024-03-01",
        备注="已撤销的执法主体")
    add({"reject": ["reference.matter_unknown"]}, 事项编码="CF-SCJG-9999", 备注="执法事项库中没有的事项")
    conflict = {"案件编号": "TH-SJ-2024-CONFLICT"}
    add({"reject": ["batch.key_conflict"]}, **conflict, 处罚内容="罚款人民币5000元", 备注="同一案件两种内容（一）")
    add({"reject": ["batch.key_conflict"]}, **conflict, 处罚内容="罚款人民币6000元", 备注="同一案件两种内容（二）")
    # The first case sent again, unchanged: no conflict, accepted (the warehouse keeps one version).
    rows.append((dict(rows[0][0]), {"findings": []}))
    add({"findings": ["finding.overdue_handling"]}, 违法行为发生日期="2023-12-20", 立案日期="2024-01-02", 备注="超期办案")
    add({"findings": ["finding.officer_without_valid_card", "finding.too_few_officers"]},
        承办执法人员执法证号="GD-TH-0004", 备注="一人办案且执法证已过期")
    add({"findings": ["finding.officer_without_valid_card"]}, 承办执法人员执法证号="GD-TH-0001;GD-TH-0005",
        备注="执法证暂扣")
    add({"findings": ["finding.summary_procedure_exceeded"]}, 程序类型="1", 立案日期="", 备注="简易程序罚款5000元")
    add({"findings": ["finding.late_publicity", "finding.late_service", "finding.missing_legal_review"]},
        是否重大执法决定="Y", 送达日期="2024-04-25", 公示日期="2024-04-26", 备注="重大决定未法制审核、送达和公示超期")
    add({"findings": ["finding.fine_out_of_range"]}, **{"罚款金额（万元）": "10"}, 处罚内容="罚款人民币10万元", **{"实缴金额（元）": "100000"},
        备注="超过事项罚款上限")
    add({"findings": ["finding.time_barred"]}, 违法行为发生日期="2021-12-01", 备注="超过两年追责时效")
    add({"findings": ["finding.case_open_too_long"]}, 案件状态="2", 处罚类别="", 处罚内容="", **{"罚款金额（万元）": ""}, 处罚依据="",
        行政处罚决定书文号="", 处罚决定日期="", 处罚有效期="", 公示截止期="", 送达日期="", 缴款日期="", **{"实缴金额（元）": ""},
        执行方式="", 结案日期="", 复议诉讼结果="", 公示日期="", 更新时间="2024-03-05 10:00:00", 备注="立案后久未决定")
    add({"findings": []}, 公示日期="2024-04-24", 备注="公示日期恰为第7个工作日")
    return rows


def _write_csv(path: Path, headers: list[str], rows: list[list[str]], encoding: str = "utf-8") -> None:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(headers)
        writer.writerows(rows)


def build(folder: Path = HERE) -> None:
    reference = folder / "reference"
    reference.mkdir(parents=True, exist_ok=True)
    _write_csv(reference / "enforcement_entity.csv", ENTITY_HEADERS, ENTITIES)
    officers = [
        [name, ric(f"4401061990010{i:1d}{i:03d}"[:17]), number, body, "市场监管", start, end, status, "2024-01-02 09:00:00"]
        for i, (number, (name, body, status, start, end)) in enumerate(OFFICERS.items(), start=1)
    ]
    _write_csv(reference / "officer.csv", OFFICER_HEADERS, officers)
    _write_csv(reference / "matter.csv", MATTER_HEADERS, MATTERS)
    _write_csv(reference / "law.csv", LAW_HEADERS, LAWS)
    _write_csv(reference / "law_article.csv", LAW_ARTICLE_HEADERS, LAW_ARTICLES)
    rows = sample_rows()
    table = [[row[h] for h in PENALTY_HEADERS] for row, _ in rows]
    _write_csv(folder / "penalty_case.csv", PENALTY_HEADERS, table)
    _write_csv(folder / "penalty_case.gb18030.csv", PENALTY_HEADERS, table, encoding="gb18030")
    expected = {
        "unit": UNIT,
        "as_of": "2025-06-30",
        "rows": {i: expect for i, (_, expect) in enumerate(rows, start=1)},
    }
    with (folder / "expected.yaml").open("w", encoding="utf-8") as handle:
        handle.write("# What zfjd validate must conclude for each data row of penalty_case.csv (as of as_of).\n")
        yaml.safe_dump(expected, handle, allow_unicode=True, sort_keys=False)


if __name__ == "__main__":
    build()
