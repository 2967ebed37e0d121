"""The data model behind `zfjd simulate`: a deterministic Guangdong of reporting units and what they send.

`build_province(units, seed, start)` lays out 报送单位 and the 三库 (执法主体, 执法人员, 执法事项) over the real
division list of the standard; `daily_records(province, day)` gives one day of 行政处罚, 行政强制 and 行政检查
records as the units would send them: field codes as column names, every value a string (dates
`YYYY-MM-DD`, datetimes `YYYY-MM-DD HH:MM:SS`, lists `;`-joined, codes as codes), empty as null.

Records evolve: an ordinary penalty case is sent at 立案 (案件状态 1/2, no decision fields), re-sent with
a later 更新时间 when decided, and again when closed (or withdrawn, 案件状态 9); a 查封/扣押/冻结 is
re-sent when released. A few percent of rows carry exactly one injected defect — a reject rule or a
finding of `standards/spec/rules.yaml` — named in the parallel column `__expected_rule` (null for a
clean row); `__unit` names the 报送单位 whose file the row belongs to (it differs from BSDWDM only when
the defect is `scope.submitter`). Same (units, seed, start, day, defect_rate) → identical frames.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import polars as pl

from connectors.simulator.laws import law_frames, with_defective_bases
from quality.codes import USCC_ALPHABET, with_broken_check, with_ric_check, with_uscc_check
from standards.loader import standard

EXPECTED = "__expected_rule"
UNIT_COLUMN = "__unit"
RECORD_ENTITIES = ("penalty_case", "coercion_case", "inspection", "license")
# The 广东政务服务网: one more source on the exchange, sending the 行政许可 of every 许可机关 (its own code,
# registered in units.yaml with `entities: [license]`; docs/intake.md).
GOV_SERVICE_UNIT = with_uscc_check("11440000MB0GDXK01")
GOV_SERVICE_NAME = "广东省政务服务和数据管理局"
# What the licensing bodies of a domain grant (许可证书名称, 许可类别, years valid; 0 = 长期 2099-12-31).
LICENSES = {
    "市场监管": ("食品经营许可证", "普通", 5),
    "卫生健康": ("公共场所卫生许可证", "普通", 4),
    "交通运输": ("道路运输经营许可证", "普通", 4),
    "住房城乡建设": ("建筑工程施工许可证", "普通", 0),
    "生态环境": ("排污许可证", "普通", 5),
    "文化市场": ("娱乐经营许可证", "普通", 2),
}
LICENSES_PER_BODY = 0.4  # a day, per licensing body below the province
LICENSE_REVOKED_SHARE, LICENSE_REVOKE_LAG = 0.05, (3, 20)  # 撤销/注销 later: re-sent 无效 (withdrawn, §8)

# Birth places python-stdnum 2.2 knows for birth years 1988–2000 (tests check every generated number).
BIRTH_PLACES = ("440103", "440104", "440105", "440106", "440111", "440303", "440304", "440305", "441900", "442000")
BIRTH_YEARS = (1988, 2000)

# 执法领域 → (department of a city/county, law id, law title, violations it punishes).
DEPARTMENTS: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "市场监管": (
        "市场监督管理局",
        "FL-0101",
        "中华人民共和国产品质量法",
        ("销售不合格产品", "无照经营", "虚假宣传", "未按规定明码标价"),
    ),
    "生态环境": (
        "生态环境局",
        "FL-0201",
        "中华人民共和国大气污染防治法",
        ("超标排放大气污染物", "未批先建", "违规处置危险废物"),
    ),
    "交通运输": (
        "交通运输局",
        "FG-0301",
        "中华人民共和国道路运输条例",
        ("未取得道路运输经营许可从事经营", "车辆超限运输"),
    ),
    "文化市场": (
        "文化广电旅游体育局",
        "FG-0401",
        "娱乐场所管理条例",
        ("擅自从事娱乐场所经营活动", "未按规定核验身份证件"),
    ),
    "农业农村": ("农业农村局", "FL-0501", "中华人民共和国农产品质量安全法", ("销售农药残留超标农产品", "经营假劣农药")),
    "应急管理": (
        "应急管理局",
        "FL-0601",
        "中华人民共和国安全生产法",
        ("未按规定开展安全生产教育培训", "未建立事故隐患排查制度"),
    ),
    "城市管理综合执法": (
        "城市管理和综合执法局",
        "DF-0701",
        "广东省城乡生活垃圾管理条例",
        ("违法占道经营", "乱张贴乱涂写", "未按规定分类投放垃圾"),
    ),
    "卫生健康": (
        "卫生健康局",
        "FG-0801",
        "公共场所卫生管理条例",
        ("未取得卫生许可证经营", "从业人员未取得健康合格证明"),
    ),
    "自然资源": ("自然资源局", "FL-0901", "中华人民共和国土地管理法", ("非法占用土地", "未经批准擅自采矿")),
    "住房城乡建设": (
        "住房和城乡建设局",
        "FG-1001",
        "建设工程质量管理条例",
        ("未取得施工许可证擅自施工", "违反工程建设强制性标准"),
    ),
    "水利": ("水务局", "FL-1101", "中华人民共和国水法", ("未经批准取水", "在河道管理范围内违法建设")),
    "公安": ("公安局", "FL-1201", "中华人民共和国治安管理处罚法", ("扰乱公共秩序", "违反消防管理规定")),
    "海洋渔业": ("海洋综合执法局", "FL-1301", "中华人民共和国渔业法", ("使用禁用渔具捕捞", "无证捕捞")),
    "林业": ("林业局", "FL-1401", "中华人民共和国森林法", ("滥伐林木", "擅自改变林地用途")),
    "人力资源社会保障": (
        "人力资源和社会保障局",
        "FG-1501",
        "劳动保障监察条例",
        ("拖欠劳动者工资", "未依法缴纳社会保险费"),
    ),
}
DOMAINS = tuple(DEPARTMENTS)
PROVINCIAL_BODIES = (
    ("广东省市场监督管理局", "市场监管"),
    ("广东省生态环境厅", "生态环境"),
    ("广东省交通运输厅", "交通运输"),
    ("广东省应急管理厅", "应急管理"),
    ("广东省自然资源厅", "自然资源"),
)
TOWNSHIP_OFFICE = ("综合行政执法办公室", "城市管理综合执法")
SELF_REPORTING_TOWNSHIP = (
    ("市场监督管理所", "市场监管"),
    ("派出所", "公安"),
    ("自然资源所", "自然资源"),
    ("林业站", "林业"),
)
FINE_RANGES = (
    (50, 500),
    (200, 2000),
    (500, 5000),
    (1000, 10000),
    (2000, 20000),
    (5000, 50000),
    (10000, 100000),
    (50000, 500000),
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高梁郑谢宋唐许邓冯韩曹曾彭萧蔡潘田董袁"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玲丹萍鹏辉宇浩凯健俊帆帅旭宁龙林欣"
SHOP_WORDS = "恒信达盛华泰宏源鑫隆兴发顺安利通广联德丰瑞祥"
TRADES = (
    "贸易有限公司",
    "餐饮管理有限公司",
    "电子科技有限公司",
    "建筑工程有限公司",
    "物流有限公司",
    "食品有限公司",
    "五金制品厂",
    "酒店管理有限公司",
)
SHOPS = ("便利店", "五金店", "小食店", "服装店", "水果店", "理发店", "汽车修理店")

# Daily volume: about 10 records per reporting unit (standard: 50,000 a day at 5,000 units).
RECORDS_PER_UNIT = 10.0
SHARE_INSPECTION, SHARE_PENALTY_CASES, SHARE_COERCION = 0.80, 0.075, 0.008
SUMMARY_SHARE, MAJOR_SHARE, WITHDRAW_SHARE = 0.35, 0.04, 0.03
DECISION_LAG, CLOSING_LAG = (5, 85), (10, 60)  # days: 立案 → 决定 (≤ 90, so clean), 决定 → 结案
# A few ordinary cases take 30 days longer (past the 90 of Art 60), each with an approved extension
# (延长办案期限至 120 days after 立案), so they stay clean; the defects below make 超期办案 and 未及时结案.
LONG_CASE_SHARE, LONG_CASE_EXTRA_DAYS, EXTENDED_TO_DAYS = 0.02, 30, 120
# 行刑衔接: the share of ordinary cases transferred as suspected crimes, and of those the police decide late.
TRANSFER_SHARE, LATE_POLICE_DECISION_SHARE = 0.02, 0.25
MAX_LAG = DECISION_LAG[1] + LONG_CASE_EXTRA_DAYS + CLOSING_LAG[1]
# 复议/诉讼 results of ordinary cases (维持, 撤销, 变更) 20–50 days after the decision; a 撤销 or 变更
# withdraws the publication 1–3 days later (within the 3 working days of Art 48; a defect makes it late).
REVIEW_OUTCOMES = (("1", 0.03), ("2", 0.02), ("3", 0.01))
REVIEW_LAG, WITHDRAW_PUBLICATION_LAG = (20, 50), (1, 3)


# Valid (and deliberately broken) codes are made with the project's own check-character functions.
uscc, ric, broken_check = with_uscc_check, with_ric_check, with_broken_check


def _base31(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, digit = divmod(number, 31)
        digits.append(USCC_ALPHABET[digit])
    return "".join(reversed(digits))


def _cn(number: int) -> str:
    """1–99 in Chinese numerals, as article numbers are written (第四十九条)."""
    units = "零一二三四五六七八九"
    if number < 10:
        return units[number]
    tens, rest = divmod(number, 10)
    return ("" if tens == 1 else units[tens]) + "十" + (units[rest] if rest else "")


def _d(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def _wan(yuan: int) -> str:
    """元 → the 双公示 万元 spelling: 5000 → 0.5, 50 → 0.005."""
    text = format(Decimal(yuan) / 10000, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    division: str
    kind: str  # 司法局 | 自行报送


@dataclass(frozen=True)
class Body:
    index: int
    code: str
    name: str
    nature: str
    division: str
    level: str
    domain: str
    unit: str
    city: str  # 4-digit city prefix, 4400 for provincial bodies: matters are catalogued per city
    active: bool = True
    weight: float = 1.0


@dataclass(frozen=True)
class Officer:
    name: str
    id_number: str
    card: str
    body: str
    domain: str
    valid_from: dt.date
    valid_to: dt.date
    status: str

    def valid_on(self, day: dt.date) -> bool:
        return self.status == "1" and self.valid_from <= day <= self.valid_to


@dataclass(frozen=True)
class Matter:
    code: str
    name: str
    kind: str
    domain: str
    holders: tuple[str, ...]
    basis: tuple[str, ...]
    article: str
    law_title: str
    violation: str
    fine_min: int | None
    fine_max: int | None
    supervision_code: str | None


@dataclass
class Province:
    units_count: int
    seed: int
    start: dt.date
    units: list[Unit]
    bodies: list[Body]
    officers: list[Officer]
    matters: list[Matter]
    body_by_code: dict[str, Body] = field(default_factory=dict)
    good_officers: dict[str, list[Officer]] = field(default_factory=dict)  # cards valid for the whole run
    bad_officers: dict[str, list[Officer]] = field(default_factory=dict)  # 暂扣/注销 or expiring
    held: dict[tuple[str, str], list[Matter]] = field(default_factory=dict)  # (body, kind) → matters
    bodies_of_unit: dict[str, list[Body]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.body_by_code = {b.code: b for b in self.bodies}
        for officer in self.officers:
            stable = officer.status == "1" and officer.valid_to >= self.start + dt.timedelta(days=3650)
            target = self.good_officers if stable else self.bad_officers
            target.setdefault(officer.body, []).append(officer)
        for matter in self.matters:
            for holder in matter.holders:
                self.held.setdefault((holder, matter.kind), []).append(matter)
        for body in self.bodies:
            self.bodies_of_unit.setdefault(body.unit, []).append(body)
        self.matters_by_kind = {k: [m for m in self.matters if m.kind == k] for k in ("CF", "QZ", "JC")}
        self.unit_codes = [u.code for u in self.units]

    @property
    def working_bodies(self) -> list[Body]:
        return [b for b in self.bodies if b.active and b.weight > 0 and len(self.good_officers.get(b.code, ())) >= 2]

    def reference_frames(self) -> dict[str, pl.DataFrame]:
        """The 三库 as the province publishes them to units: enforcement_entity, officer, matter, and the
        法律法规库 (law, law_article)."""
        std = standard()
        updated = f"{(self.start - dt.timedelta(days=1)).isoformat()} 09:00:00"
        entity_rows = [
            {
                "ZTMC": b.name,
                "TYSHXYDM": b.code,
                "ZTXZ": b.nature,
                "XZQHDM": b.division,
                "CJ": b.level,
                "ZFLY": b.domain,
                "SJDWDM": None,
                "BSDWDM": b.unit,
                "ZT": "1" if b.active else "0",
                "SXRQ": "2019-01-01" if b.active else "2012-01-01",
                "SHXRQ": None if b.active else "2018-12-31",
                "GXSJ": updated,
            }
            for b in self.bodies
        ]
        officer_rows = [
            {
                "XM": o.name,
                "SFZH": o.id_number,
                "ZFZH": o.card,
                "SSZTDM": o.body,
                "ZFLY": o.domain,
                "YXQQ": _d(o.valid_from),
                "YXQZ": _d(o.valid_to),
                "ZJZT": o.status,
                "GXSJ": updated,
            }
            for o in self.officers
        ]
        matter_rows = [
            {
                "SXBM": m.code,
                "BBH": "1",
                "SXMC": m.name,
                "SXLB": m.kind,
                "ZFLY": m.domain,
                "SSZTDM": ";".join(m.holders),
                "SDYJ": ";".join(m.basis),
                "FKXX": None if m.fine_min is None else str(m.fine_min),
                "FKSX": None if m.fine_max is None else str(m.fine_max),
                "JGSXBM": m.supervision_code,
                "ZT": "1",
                "SXRQ": "2020-01-01",
                "SHXRQ": None,
                "GXSJ": updated,
            }
            for m in self.matters
        ]
        law_rows = law_frames(self.matters, updated)
        return {
            name: _frame(rows, std.entity(name).field_codes)
            for name, rows in (
                ("enforcement_entity", entity_rows),
                ("officer", officer_rows),
                ("matter", matter_rows),
                ("law", law_rows["law"]),
                ("law_article", law_rows["law_article"]),
            )
        }


def _frame(rows: list[dict], codes: tuple[str, ...], extra: tuple[str, ...] = ()) -> pl.DataFrame:
    columns = (*codes, *extra)
    return pl.DataFrame({c: [r.get(c) for r in rows] for c in columns}, schema=dict.fromkeys(columns, pl.String))


# --- the province ----------------------------------------------------------------------------------


class _Codes:
    """Unique, valid USCCs: 登记管理部门 1 (机构编制) or 9 (工商), then 机构类别, division, a counter."""

    def __init__(self) -> None:
        self.counter = 0

    def next(self, prefix: str, division6: str) -> str:
        self.counter += 1
        return uscc(f"{prefix}{division6}MB{_base31(self.counter, 7)}")


def _person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _id_number(rng: random.Random) -> str:
    place = rng.choice(BIRTH_PLACES)
    born = dt.date(rng.randint(*BIRTH_YEARS), 1, 1) + dt.timedelta(days=rng.randrange(365))
    return ric(f"{place}{born:%Y%m%d}{rng.randrange(1000):03d}")


def build_province(units: int, seed: int, start: dt.date) -> Province:
    """A deterministic province of `units` 报送单位, with its 执法主体, 执法人员 and 执法事项.

    Units, in this order: a few provincial departments reporting for themselves, the 21 cities' 司法局,
    the 122 counties' 司法局 (in a seeded order), then township bodies reporting for themselves
    (市场监督管理所, 派出所, …). A 司法局 answers for itself, its level's departments, one 撤销 body and
    the townships' 综合行政执法办公室 under it (东莞, 中山: directly under the city).
    """
    if units < 1:
        raise ValueError("units must be at least 1")
    std = standard()
    rng = random.Random(f"province:{seed}")
    divisions = std.divisions
    children: dict[str, list[str]] = {}
    for code, division in divisions.items():
        if division.parent_code:
            children.setdefault(division.parent_code, []).append(code)
    for codes in children.values():
        codes.sort()
    cities = [c for c in children["440000"] if divisions[c].level == "city"]

    def full_name(code: str) -> str:
        parts = []
        while code and code != "440000":
            parts.append(divisions[code].name)
            code = divisions[code].parent_code
        return "".join(reversed(parts))

    def townships_of(code: str) -> list[str]:
        return [c for c in children.get(code, []) if divisions[c].level == "township"]

    counties = [c for city in cities for c in children.get(city, []) if divisions[c].level == "county"]
    rng.shuffle(counties)
    all_townships = sorted(c for c, d in divisions.items() if d.level == "township")
    shuffled_townships = list(all_townships)
    rng.shuffle(shuffled_townships)
    self_slots = [(t, kind) for kind in SELF_REPORTING_TOWNSHIP for t in shuffled_townships]
    plan = (
        [("province", name) for name in PROVINCIAL_BODIES]
        + [("city", c) for c in cities]
        + [("county", c) for c in counties]
        + [("self", slot) for slot in self_slots]
    )
    if units > len(plan):
        raise ValueError(f"at most {len(plan)} units can be simulated")
    plan = plan[:units]

    codes = _Codes()
    bodies: list[Body] = []
    unit_list: list[Unit] = []

    def add_body(name, nature, division, level, domain, unit, *, prefix="11", active=True, weight=1.0, code=None):
        body = Body(
            len(bodies),
            code or codes.next(prefix, division[:6]),
            name,
            nature,
            division,
            level,
            domain,
            unit or "",
            division[:4],
            active,
            weight,
        )
        if not unit:  # reports for itself
            body = Body(
                body.index, body.code, name, nature, division, level, domain, body.code, division[:4], active, weight
            )
        bodies.append(body)
        return body

    for kind, what in plan:
        if kind == "province":
            name, domain = what
            body = add_body(name, "1", "440000", "1", domain, None, weight=2.0)
            unit_list.append(Unit(body.code, name, "440000", "自行报送"))
        elif kind in ("city", "county"):
            division = what
            place = full_name(division)
            level = "2" if kind == "city" else "3"
            unit = codes.next("11", division)
            unit_list.append(Unit(unit, f"{place}司法局", division, "司法局"))
            add_body(f"{place}司法局", "1", division, level, "其他", unit, code=unit, weight=0.0)
            domains = [d for d in DOMAINS if d != "海洋渔业" or rng.random() < 0.3]
            domains = sorted(
                rng.sample(domains, rng.randint(min(8, len(domains)), min(12, len(domains)))), key=DOMAINS.index
            )
            for domain in domains:
                add_body(
                    f"{place}{DEPARTMENTS[domain][0]}",
                    "1",
                    division,
                    level,
                    domain,
                    unit,
                    weight=2.0 if kind == "city" else 1.5,
                )
            add_body(
                f"{place}原综合执法大队",
                "2",
                division,
                level,
                "城市管理综合执法",
                unit,
                prefix="12",
                active=False,
                weight=0.0,
            )
            for township in townships_of(division):
                name, domain = TOWNSHIP_OFFICE
                add_body(f"{full_name(township)}{name}", "2", township, "4", domain, unit, prefix="12", weight=0.5)
        else:
            township, (suffix, domain) = what
            body = add_body(f"{full_name(township)}{suffix}", "1", township, "4", domain, None)
            unit_list.append(Unit(body.code, body.name, township, "自行报送"))

    officers: list[Officer] = []
    far = start + dt.timedelta(days=3650 + 365)
    for body in bodies:
        if not body.active:
            count = 1
        elif body.weight == 0:
            count = 2
        else:
            count = rng.randint(3, 4) if body.level == "4" else rng.randint(4, 6)
        extra = 1 if body.active and rng.random() < 0.4 else 0
        for i in range(count + extra):
            card = f"{body.division[:6]}{body.index:05d}{i:02d}"
            valid_from = dt.date(rng.randint(2019, 2023), rng.randint(1, 12), 1)
            status, valid_to = "1", far
            if i == count or not body.active:  # the one officer whose card is a problem
                roll = rng.random()
                if roll < 0.5:
                    valid_to = start + dt.timedelta(days=rng.randint(-120, 60))
                    valid_from = min(valid_from, valid_to - dt.timedelta(days=365))
                else:
                    status = "2" if roll < 0.75 else "3"
            officers.append(
                Officer(_person_name(rng), _id_number(rng), card, body.code, body.domain, valid_from, valid_to, status)
            )

    matters = _matters(bodies, rng)
    return Province(units, seed, start, unit_list, bodies, officers, matters)


def _matters(bodies: list[Body], rng: random.Random) -> list[Matter]:
    """Per city (4400: the provincial departments) and 执法领域: 4 处罚, 1 强制, 2 检查 事项, held by the bodies
    of that domain there (撤销 ones included: the catalogue still lists them)."""
    holders: dict[tuple[str, str], list[str]] = {}
    for body in bodies:
        if body.domain in DEPARTMENTS:
            holders.setdefault((body.city, body.domain), []).append(body.code)
    matters = []
    for (city, domain), codes in sorted(holders.items()):
        _, law, title, violations = DEPARTMENTS[domain]
        dom = DOMAINS.index(domain) + 1
        for kind, count in (("CF", 4), ("QZ", 1), ("JC", 2)):
            for k in range(1, count + 1):
                number = rng.randint(10, 99)
                article = f"第{_cn(number)}条"
                basis = (f"{law}:{article}",)
                violation = violations[(k - 1) % len(violations)]
                fine_min = fine_max = None
                if kind == "CF":
                    name = f"对{violation}的行政处罚"
                    fine_min, fine_max = FINE_RANGES[rng.randrange(len(FINE_RANGES))]
                elif kind == "QZ":
                    name = f"对涉嫌{violation}的场所、财物采取查封、扣押"
                else:
                    name = f"对{domain}领域{'日常' if k == 1 else '专项'}事项的监督检查"
                code = f"{city}00-{kind}-{dom:02d}{k:02d}"
                # 检查 事项 map to a 互联网+监管 监管事项, but for the 专项 ones of every third domain: the
                # gaps mart_supervision_item_gaps lists per body (and their inspections carry no JGSXBM).
                mapped = kind == "JC" and not (k == 2 and dom % 3 == 0)
                supervision = f"JG{city}{dom:02d}{k:02d}" if mapped else None
                matters.append(
                    Matter(
                        code,
                        name,
                        kind,
                        domain,
                        tuple(codes),
                        basis,
                        article,
                        title,
                        violation,
                        fine_min,
                        fine_max,
                        supervision,
                    )
                )
    return with_defective_bases(matters)


# --- one day of records ----------------------------------------------------------------------------


@dataclass
class _Ctx:
    province: Province
    day: dt.date
    rng: random.Random
    matters: dict[str, Matter] = field(default_factory=dict)


def _rates(province: Province, bodies: list[Body], share: float) -> np.ndarray:
    weights = np.array([b.weight if province.held.get((b.code, "CF")) else 0.0 for b in bodies])
    total = RECORDS_PER_UNIT * province.units_count * share
    return weights * (total / weights.sum()) if weights.sum() else weights


def _draws(province: Province, seed: int, filed: dt.date, tag: int, rates: np.ndarray, params: int):
    """For the cases filed on `filed`: body index and sequence of each, and `params` uniform draws each."""
    rng = np.random.default_rng([seed & 0xFFFFFFFF, province.seed & 0xFFFFFFFF, filed.toordinal(), tag])
    counts = rng.poisson(rates)
    total = int(counts.sum())
    body_idx = np.repeat(np.arange(len(rates)), counts)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    sequence = np.arange(total) - starts + 1
    return body_idx, sequence, rng.random((params, total))


def _lag(u: float, bounds: tuple[int, int]) -> int:
    return bounds[0] + int(u * (bounds[1] - bounds[0] + 1))


def _counterparty(rng: random.Random, body: Body, allow_person: bool = True) -> dict[str, str | None]:
    roll = rng.random()
    county = body.division[:6] if body.division[4:6] != "00" else body.division[:4] + "03"
    if roll < 0.6 or not allow_person:
        name = f"{'广东' if body.level == '1' else ''}{''.join(rng.sample(SHOP_WORDS, 2))}{rng.choice(TRADES)}"
        code = uscc(f"91{county[:6]}MA{''.join(rng.choice(USCC_ALPHABET) for _ in range(7))}")
        return {"CF_XDR_MC": name, "CF_XDR_LB": "法人及非法人组织", "CF_XDR_SHXYM": code, "CF_FRDB": _person_name(rng)}
    if roll < 0.75:
        name = f"{_person_name(rng)}{rng.choice(SHOPS)}"
        if rng.random() < 0.2:
            return {
                "CF_XDR_MC": name,
                "CF_XDR_LB": "个体工商户",
                "CF_XDR_SHXYM": "00000000000000000X",
                "CF_XDR_GSZC": f"{county[:6]}6{rng.randrange(10**8):08d}",
            }
        code = uscc(f"92{county[:6]}MA{''.join(rng.choice(USCC_ALPHABET) for _ in range(7))}")
        return {"CF_XDR_MC": name, "CF_XDR_LB": "个体工商户", "CF_XDR_SHXYM": code}
    return {
        "CF_XDR_MC": _person_name(rng),
        "CF_XDR_LB": "自然人",
        "CF_XDR_ZJLX": "身份证",
        "CF_XDR_ZJHM": _id_number(rng),
    }


def _stamp(day: dt.date, rng: random.Random) -> str:
    return f"{day.isoformat()} {rng.randint(8, 20):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}"


def _officers(rng: random.Random, province: Province, body: Body, count: int = 2) -> list[str]:
    pool = province.good_officers[body.code]
    return [o.card for o in rng.sample(pool, min(count, len(pool)))]


def _shared_out(roll: float, shares) -> str | None:
    """The value whose share of the cumulative shares holds `roll`; None past the last of them."""
    total = 0.0
    for value, share in shares:
        total += share
        if roll < total:
            return value
    return None


def _decision_lag(u) -> int:
    """Days from 立案 to 决定 of an ordinary case, from its draws (u[1] the lag, u[5] a long case)."""
    lag = _lag(u[1], DECISION_LAG)
    return lag + LONG_CASE_EXTRA_DAYS if u[5] < LONG_CASE_SHARE else lag


def _penalty_case(province: Province, body: Body, filed: dt.date, n: int, u, seed: int) -> dict:
    """The facts of one penalty case (the same on every re-send), from its own seeded generator."""
    rng = random.Random(f"{seed}:{province.seed}:P:{filed.toordinal()}:{body.index}:{n}")
    summary = u[0] < SUMMARY_SHARE
    decided = filed if summary else filed + dt.timedelta(days=_decision_lag(u))
    matter = rng.choice(province.held[(body.code, "CF")])
    party = _counterparty(rng, body)
    person_like = party["CF_XDR_LB"] != "法人及非法人组织"
    major = not summary and u[4] < MAJOR_SHARE
    extended = not summary and u[5] < LONG_CASE_SHARE
    kinds = ["罚款"]
    fine = None
    low, high = matter.fine_min or 0, matter.fine_max or 0
    if summary:
        limit = 200 if person_like else 3000
        if low <= limit and rng.random() < 0.8:
            fine = max(low, min(limit, high, (rng.randint(low, min(limit, high)) // 10) * 10))
        else:
            kinds = ["警告"]
    else:
        roll = rng.random()
        skew = (0.5 + 0.5 * rng.random()) if major else rng.random() ** 3
        fine = max(low, min(high, int(low + (high - low) * skew) // 10 * 10))
        if roll < 0.1:
            kinds, fine = ["警告"], None
        elif roll < 0.2:
            kinds = ["警告", "罚款"]
        elif roll < 0.27:
            kinds = ["罚款", "没收违法所得"]
        elif roll < 0.3:
            kinds = ["罚款", "暂扣许可证件"]
    number = f"{filed:%m%d}{n:03d}"
    short = body.name.replace("广东省", "粤")[:12]
    case = {
        "AJBH": f"{body.division[:6]}-{body.index:05d}-{filed:%Y%m%d}-{n:03d}",
        "ZTDM": body.code,
        "BSDWDM": body.unit,
        "SXBM": matter.code,
        "AJLY": rng.choice("11111225"),
        "CXLX": "1" if summary else "2",
        **party,
        "WFRQ": _d(filed - dt.timedelta(days=0 if summary else rng.randint(0, 40))),
        "LARQ": None if summary else _d(filed),
        "CF_WFXW": matter.violation,
        "CF_SY": f"经查，当事人{party['CF_XDR_MC']}存在{matter.violation}的行为。",
        "CF_CFJG": body.name,
        "CF_CFJGDM": body.code,
        "CF_SJLY": body.name,
        "CF_SJLYDM": body.code,
        "CBRY": ";".join(_officers(rng, province, body, 3 if rng.random() < 0.15 else 2)),
        "SFZD": "Y" if major else "N",
        "SFTZ": "Y" if major and rng.random() < 0.5 else "N",
        "SFYS": "N",
        "YCQXZ": _d(filed + dt.timedelta(days=EXTENDED_TO_DAYS)) if extended else None,
        "BZ": None,
    }
    decision = {
        "CF_YJ": f"《{matter.law_title}》{matter.article}",
        "CF_CFLB": ";".join(kinds),
        "CF_NR": "、".join(k if k != "罚款" else f"罚款人民币{fine}元" for k in kinds),
        "CF_NR_FK": _wan(fine) if fine else None,
        "CF_NR_WFFF": _wan(rng.randint(1, 50) * 100) if "没收违法所得" in kinds else None,
        "CF_NR_ZKDX": f"许可证（编号{rng.randrange(10**6):06d}）" if "暂扣许可证件" in kinds else None,
        "CF_WSH": f"{short}罚决字〔{decided.year}〕{number}号",
        "CF_JDRQ": _d(decided),
        "CF_YXQ": _d(decided + dt.timedelta(days=365 if fine else 180)),
        "CF_GSJZQ": _d(decided + dt.timedelta(days=3 * 365 if fine else 180)),
        "FZSHRQ": _d(decided - dt.timedelta(days=rng.randint(1, 3))) if major else None,
    }
    if major and decided - dt.timedelta(days=3) < filed:
        decision["FZSHRQ"] = _d(decided)
    review = None
    outcome = _shared_out(rng.random(), REVIEW_OUTCOMES)
    if outcome is not None and not summary:
        reviewed = decided + dt.timedelta(days=rng.randint(*REVIEW_LAG))
        review = (outcome, reviewed, reviewed + dt.timedelta(days=rng.randint(*WITHDRAW_PUBLICATION_LAG)))
    return {
        "review": review,
        "transfer": None if summary else _transfer(province, body, filed, decided, seed, n),
        "case": case,
        "decision": decision,
        "fine": fine,
        "summary": summary,
        "decided": decided,
        "rng": rng,
        "publicity_lag": rng.randint(1, 3),
        "service_lag": rng.randint(0, 5),
        "pay_lag": rng.randint(0, 10),
    }


def _transfer(province: Province, body: Body, filed: dt.date, decided: dt.date, seed: int, n: int) -> dict | None:
    """行刑衔接 of an ordinary case: a few are transferred to the 公安机关 before the decision; the police
    decide within the 3 days of the 移送规定's Art 8 mostly, late for some. From its own generator, so the
    other draws of the case stay as they were."""
    rng = random.Random(f"{seed}:{province.seed}:T:{filed.toordinal()}:{body.index}:{n}")
    if rng.random() >= TRANSFER_SHARE:
        return None
    transferred = min(decided, filed + dt.timedelta(days=rng.randint(3, 15)))
    late = rng.random() < LATE_POLICE_DECISION_SHARE
    decided_by_police = transferred + dt.timedelta(days=rng.randint(6, 12) if late else rng.randint(1, 3))
    return {
        "YSRQ": transferred,
        "JSJG": "广东省公安厅" if body.name.startswith("广东省") else f"{body.name.split('市')[0]}市公安局",
        "GALAJG": "1" if rng.random() < 0.7 else "2",
        "LAJGRQ": decided_by_police,
    }


def _with_transfer(row: dict, transfer: dict | None, day: dt.date) -> None:
    """The transfer as known on `day`: the police result only once it is dated (审查中 before)."""
    if transfer is None or transfer["YSRQ"] > day:
        return
    known = transfer["LAJGRQ"] <= day
    row.update(
        SFYS="Y",
        YSRQ=_d(transfer["YSRQ"]),
        JSJG=transfer["JSJG"],
        GALAJG=transfer["GALAJG"] if known else "0",
        LAJGRQ=_d(transfer["LAJGRQ"]) if known else None,
    )


def _penalty_rows(province: Province, bodies: list[Body], day: dt.date, seed: int) -> list[dict]:
    rates = _rates(province, bodies, SHARE_PENALTY_CASES)
    rows = []
    for back in range(MAX_LAG, -1, -1):
        filed = day - dt.timedelta(days=back)
        body_idx, sequence, u = _draws(province, seed, filed, 1, rates, 6)
        for i in range(len(body_idx)):
            summary = u[0, i] < SUMMARY_SHARE
            decision_lag = _decision_lag(u[:, i])
            closing_lag = decision_lag + _lag(u[2, i], CLOSING_LAG)
            withdrawn = u[3, i] < WITHDRAW_SHARE
            if back == 0:
                stage = "summary" if summary else "filed"
            elif summary:
                continue
            elif back == decision_lag:
                stage = "withdrawn" if withdrawn else "decided"
            elif back == closing_lag and not withdrawn:
                stage = "closed"
            else:
                continue
            facts = _penalty_case(province, bodies[body_idx[i]], filed, int(sequence[i]), u[:, i], seed)
            rows.append(_penalty_row(facts, stage, day))
    return rows


def _penalty_row(facts: dict, stage: str, day: dt.date) -> dict:
    rng = facts["rng"]
    row = dict(facts["case"])
    decided: dt.date = facts["decided"]
    fine = facts["fine"]
    row["GXSJ"] = _stamp(day, rng)
    if stage == "filed":
        row["AJZT"] = "1" if rng.random() < 0.6 else "2"
        return row
    if stage == "withdrawn":
        row["AJZT"] = "9"
        row["BZ"] = "案件已撤销立案"
        return row
    row.update(facts["decision"])
    if stage == "summary":
        row.update(
            AJZT="6",
            SDRQ=_d(day),
            JARQ=_d(day),
            ZXFS="1" if fine else None,
            JKRQ=_d(day) if fine else None,
            SJJE=str(fine) if fine else None,
            FYSS="0",
        )
        return row
    _with_transfer(row, facts["transfer"], day)
    if stage == "decided":
        served = rng.random() < 0.5
        row.update(AJZT="4" if served else "3", SDRQ=_d(day) if served else None)
        return row
    served = decided + dt.timedelta(days=facts["service_lag"])
    paid = served + dt.timedelta(days=facts["pay_lag"]) if fine else None
    if paid and paid > day:
        paid = day
    row.update(
        AJZT="6",
        SDRQ=_d(served),
        JKRQ=_d(paid),
        SJJE=str(fine) if fine else None,
        ZXFS="1",
        FYSS="0",
        JARQ=_d(day),
        GSRQ=_d(decided + dt.timedelta(days=facts["publicity_lag"])),
    )
    review = facts["review"]
    if review and review[1] <= day:
        outcome, reviewed, withdrawn = review
        row.update(FYSS=outcome, FYSSRQ=_d(reviewed))
        if outcome in ("2", "3") and withdrawn <= day:
            row["CHGSRQ"] = _d(withdrawn)
    return row


COERCION_METHODS = (
    ("1", "扣押财物", 0.45),
    ("1", "查封场所设施或者财物", 0.3),
    ("1", "冻结存款汇款", 0.05),
    ("1", "其他强制措施", 0.05),
    ("2", "加处罚款或者滞纳金", 0.1),
    ("2", "代履行", 0.05),
)
SEIZURES = ("扣押财物", "查封场所设施或者财物", "冻结存款汇款")
RELEASE_LAG = (3, 28)
# A tenth of seizures are extended by 30 days past their end (行政强制法 Art 25) and released within it.
EXTENDED_SHARE, EXTENDED_RELEASE_LAG = 0.1, (31, 58)


def _coercion_method(roll: float) -> tuple[str, str]:
    total = 0.0
    for qzlx, method, share in COERCION_METHODS:
        total += share
        if roll < total:
            return qzlx, method
    return COERCION_METHODS[-1][:2]


def _coercion_rows(province: Province, bodies: list[Body], day: dt.date, seed: int) -> list[dict]:
    rates = _rates(province, bodies, SHARE_COERCION)
    rates = np.array([r if province.held.get((b.code, "QZ")) else 0.0 for r, b in zip(rates, bodies, strict=True)])
    rows = []
    for back in range(EXTENDED_RELEASE_LAG[1], -1, -1):
        decided = day - dt.timedelta(days=back)
        body_idx, sequence, u = _draws(province, seed, decided, 2, rates, 3)
        for i in range(len(body_idx)):
            qzlx, method = _coercion_method(u[0, i])
            seizure = method in SEIZURES
            extended = seizure and u[2, i] < EXTENDED_SHARE
            release = _lag(u[1, i], EXTENDED_RELEASE_LAG if extended else RELEASE_LAG)
            if back and not (seizure and back == release):
                continue
            body = bodies[body_idx[i]]
            n = int(sequence[i])
            rng = random.Random(f"{seed}:{province.seed}:Q:{decided.toordinal()}:{body.index}:{n}")
            matter = rng.choice(province.held[(body.code, "QZ")])
            party = _counterparty(rng, body)
            party.pop("CF_FRDB", None)
            row = {
                "QZBH": f"{body.division[:6]}-{body.index:05d}-QZ{decided:%Y%m%d}-{n:03d}",
                "ZTDM": body.code,
                "BSDWDM": body.unit,
                "SXBM": matter.code,
                "QZLX": qzlx,
                "QZFS": method,
                **party,
                "JDSWH": f"{body.name.replace('广东省', '粤')[:12]}强决字〔{decided.year}〕{decided:%m%d}{n:03d}号",
                "JDRQ": _d(decided),
                "SFYC": "N",
                "CBRY": ";".join(_officers(rng, province, body)),
                "GXSJ": _stamp(day, rng),
            }
            if seizure:
                row.update(QSRQ=_d(decided), JMRQ=_d(decided + dt.timedelta(days=29)))
                if extended:
                    row.update(SFYC="Y", YCZ=_d(decided + dt.timedelta(days=59)))
                if back:
                    row["JCRQ"] = _d(day)
            rows.append(row)
    return rows


def _inspection_rows(province: Province, bodies: list[Body], day: dt.date, seed: int) -> list[dict]:
    rates = _rates(province, bodies, SHARE_INSPECTION)
    rates = np.array([r if province.held.get((b.code, "JC")) else 0.0 for r, b in zip(rates, bodies, strict=True)])
    body_idx, sequence, _ = _draws(province, seed, day, 3, rates, 1)
    rows = []
    for i in range(len(body_idx)):
        body = bodies[body_idx[i]]
        n = int(sequence[i])
        rng = random.Random(f"{seed}:{province.seed}:J:{day.toordinal()}:{body.index}:{n}")
        matter = rng.choice(province.held[(body.code, "JC")])
        method = rng.choices("12345", weights=(30, 45, 15, 8, 2))[0]
        result = rng.choices("1234", weights=(70, 25, 4, 1))[0]
        party = _counterparty(rng, body)
        organisation = party["CF_XDR_LB"] != "自然人"
        code = party.get("CF_XDR_SHXYM")
        rows.append(
            {
                "JCBH": f"{body.division[:6]}-{body.index:05d}-JC{day:%Y%m%d}-{n:04d}",
                "ZTDM": body.code,
                "BSDWDM": body.unit,
                "SXBM": matter.code,
                "JCFS": method,
                "JCDXMC": party["CF_XDR_MC"],
                "JCDXDM": code if organisation and code != "00000000000000000X" else None,
                "JCRQ": _d(day),
                "JCRY": ";".join(_officers(rng, province, body)),
                "JCJG": result,
                "GLAJBH": f"{body.division[:6]}-{body.index:05d}-{day:%Y%m%d}-9{n:02d}" if result == "3" else None,
                "JGSXBM": matter.supervision_code,
                "GXSJ": _stamp(day, rng),
            }
        )
    return rows


def _licensing_bodies(province: Province, bodies: list[Body]) -> list[Body]:
    """The 许可机关 of the simulated 政务服务网: working bodies of the licensing domains at city and county level."""
    return [b for b in bodies if b.domain in LICENSES and b.level in ("2", "3")]


def _license_rows(province: Province, bodies: list[Body], day: dt.date, seed: int) -> list[dict]:
    """The 行政许可 the 政务服务网 sends on `day`: those decided that day, and (re-sent 无效, a later
    更新时间) those decided earlier and revoked that day."""
    licensing = _licensing_bodies(province, bodies)
    rates = np.full(len(licensing), LICENSES_PER_BODY)
    rows = []
    for back in range(LICENSE_REVOKE_LAG[1], -1, -1):
        decided = day - dt.timedelta(days=back)
        body_idx, sequence, u = _draws(province, seed, decided, 4, rates, 2)
        for i in range(len(body_idx)):
            revoked = u[0, i] < LICENSE_REVOKED_SHARE and back == _lag(u[1, i], LICENSE_REVOKE_LAG)
            if back and not revoked:
                continue
            body = licensing[body_idx[i]]
            n = int(sequence[i])
            rng = random.Random(f"{seed}:{province.seed}:X:{decided.toordinal()}:{body.index}:{n}")
            certificate, kind, years = LICENSES[body.domain]
            party = _counterparty(rng, body)
            if party.get("CF_XDR_SHXYM") == "00000000000000000X":  # the XK_* layout has no 工商注册号
                party["CF_XDR_SHXYM"] = uscc(f"92{party['CF_XDR_GSZC'][:6]}MA{_base31(n, 7)}")
                party.pop("CF_XDR_GSZC")
            short = body.name.replace("广东省", "粤")[:12]
            until = dt.date(2099, 12, 31) if not years else decided.replace(day=1) + dt.timedelta(days=365 * years)
            row = {
                **{f"XK_{code[3:]}": value for code, value in party.items()},
                "XK_XKWS": f"{certificate[:-1]}决定书",
                "XK_WSH": f"{short}许字〔{decided.year}〕{body.index:05d}{decided:%m%d}{n:03d}号",
                "XK_XKLB": kind,
                "XK_XKZS": certificate,
                "XK_XKBH": f"XK{body.division[:6]}-{decided:%Y}-{body.index:05d}{decided:%m%d}{n:03d}",
                "XK_NR": f"准予{party['CF_XDR_MC']}取得{certificate}",
                "XK_JDRQ": _d(decided),
                "XK_YXQZ": _d(decided),
                "XK_YXQZI": _d(until),
                "XK_XKJG": body.name,
                "XK_XKJGDM": body.code,
                "XK_ZT": "2" if back else "1",
                "XK_LYDW": GOV_SERVICE_NAME,
                "XK_LYDWDM": GOV_SERVICE_UNIT,
                "BZ": "许可已撤销" if back else None,
                "GXSJ": _stamp(day, rng),
            }
            rows.append(row)
    return rows


# --- defects ----------------------------------------------------------------------------------------

Defect = tuple[str, Callable[[dict, _Ctx], bool], Callable[[dict, _Ctx], None]]
# Not a defect: a record a unit sends twice in one file (accepted twice; the warehouse keeps one version).
REPEAT = "repeat"


def _always(row: dict, ctx: _Ctx) -> bool:
    return True


def _has(*codes: str) -> Callable[[dict, _Ctx], bool]:
    return lambda row, ctx: all(row.get(c) for c in codes)


def _is(code: str, *values: str) -> Callable[[dict, _Ctx], bool]:
    return lambda row, ctx: row.get(code) in values


def _both(*tests) -> Callable[[dict, _Ctx], bool]:
    return lambda row, ctx: all(t(row, ctx) for t in tests)


def _set(**values) -> Callable[[dict, _Ctx], None]:
    return lambda row, ctx: row.update(values)


def _date(row: dict, code: str) -> dt.date:
    return dt.date.fromisoformat(row[code])


def _shift(code: str, base: str, days: int) -> Callable[[dict, _Ctx], None]:
    def apply(row: dict, ctx: _Ctx) -> None:
        row[code] = _d(_date(row, base) + dt.timedelta(days=days))

    return apply


def _future_update(row: dict, ctx: _Ctx) -> None:
    row["GXSJ"] = f"{(ctx.day + dt.timedelta(days=30)).isoformat()} 10:00:00"


def _unknown_body(row: dict, ctx: _Ctx) -> None:
    code = uscc(f"11{row['ZTDM'][2:8]}XX{ctx.rng.randrange(10**7):07d}")  # registered codes have MB there
    row["ZTDM"] = code
    if "CF_CFJGDM" in row:
        row["CF_CFJGDM"] = code


def _other_authority(row: dict, ctx: _Ctx) -> None:
    others = [b.code for b in ctx.province.bodies_of_unit[row["BSDWDM"]] if b.code != row["ZTDM"]]
    row["CF_CFJGDM"] = (
        others[0]
        if others
        else row["BSDWDM"]
        if row["BSDWDM"] != row["ZTDM"]
        else uscc(f"11{row['ZTDM'][2:8]}XX0000000")
    )


def _inactive_available(row: dict, ctx: _Ctx) -> bool:
    return any(not b.active for b in ctx.province.bodies_of_unit.get(row["BSDWDM"], ()))


def _inactive_body(row: dict, ctx: _Ctx) -> None:
    body = next(b for b in ctx.province.bodies_of_unit[row["BSDWDM"]] if not b.active)
    row["ZTDM"] = body.code
    if "CF_CFJGDM" in row:
        row.update(CF_CFJGDM=body.code, CF_CFJG=body.name, CF_SJLY=body.name, CF_SJLYDM=body.code)


KIND_OF = {"penalty_case": "CF", "coercion_case": "QZ", "inspection": "JC"}
OFFICER_FIELD = {"penalty_case": "CBRY", "coercion_case": "CBRY", "inspection": "JCRY"}


def _foreign_body(kind: str, officers: str) -> Defect:
    """越权报送: a working body of another unit, with a 事项 it holds and its own officers."""

    def applies(row: dict, ctx: _Ctx) -> bool:
        return len(ctx.province.units) > 1

    def apply(row: dict, ctx: _Ctx) -> None:
        candidates = [
            b for b in ctx.province.working_bodies if b.unit != row["BSDWDM"] and (b.code, kind) in ctx.province.held
        ]
        body = candidates[ctx.rng.randrange(len(candidates))]
        row.update(ZTDM=body.code, SXBM=ctx.province.held[(body.code, kind)][0].code)
        row[officers] = ";".join(o.card for o in ctx.province.good_officers[body.code][:2])
        if "CF_CFJGDM" in row:
            row.update(CF_CFJGDM=body.code, CF_CFJG=body.name, CF_SJLY=body.name, CF_SJLYDM=body.code)

    return ("scope.out_of_scope", applies, apply)


def _other_unit(row: dict, ctx: _Ctx) -> None:
    others = [u for u in ctx.province.unit_codes if u != row["BSDWDM"]]
    row["BSDWDM"] = others[ctx.rng.randrange(len(others))]


def _matter_not_held(kind: str) -> Callable[[dict, _Ctx], None]:
    def apply(row: dict, ctx: _Ctx) -> None:
        held = {m.code for m in ctx.province.held.get((row["ZTDM"], kind), ())}
        pool = [m for m in ctx.province.matters_by_kind[kind] if m.code not in held]
        row["SXBM"] = pool[ctx.rng.randrange(len(pool))].code

    return apply


def _wrong_kind(kind: str) -> Callable[[dict, _Ctx], None]:
    def apply(row: dict, ctx: _Ctx) -> None:
        other = next(k for k in ("JC", "CF", "QZ") if k != kind)
        pool = ctx.province.held.get((row["ZTDM"], other)) or ctx.province.matters_by_kind[other]
        row["SXBM"] = pool[0].code

    return apply


def _unknown_officer(code: str) -> Callable[[dict, _Ctx], None]:
    def apply(row: dict, ctx: _Ctx) -> None:
        row[code] = f"{row[code]};GD-XX-{ctx.rng.randrange(10**6):06d}"

    return apply


def _bad_cards_of_body(row: dict, ctx: _Ctx) -> list:
    """The body's own officers whose card is not valid on the record's date (another body's card would
    also be 非本主体执法人员)."""
    body = ctx.province.body_by_code[row["ZTDM"]]
    judged = _date(
        row,
        "CF_JDRQ" if row.get("CF_JDRQ") else "LARQ" if row.get("LARQ") else "JDRQ" if row.get("JDRQ") else "JCRQ",
    )
    return [o for o in ctx.province.bad_officers.get(body.code, ()) if not o.valid_on(judged)]


def _has_bad_card(row: dict, ctx: _Ctx) -> bool:
    return row.get("ZTDM") in ctx.province.body_by_code and bool(_bad_cards_of_body(row, ctx))


def _bad_card(code: str) -> Callable[[dict, _Ctx], None]:
    def apply(row: dict, ctx: _Ctx) -> None:
        pool = _bad_cards_of_body(row, ctx)
        row[code] = f"{row[code]};{pool[ctx.rng.randrange(len(pool))].card}"

    return apply


def _one_officer(code: str) -> Callable[[dict, _Ctx], None]:
    return lambda row, ctx: row.update({code: row[code].split(";")[0]})


def _common(entity: str) -> list[Defect]:
    kind, officers = KIND_OF[entity], OFFICER_FIELD[entity]
    key = {"penalty_case": "AJBH", "coercion_case": "QZBH", "inspection": "JCBH"}[entity]
    return [
        ("field.not_future", _always, _future_update),
        ("field.datetime", _always, lambda row, ctx: row.update(GXSJ=row["GXSJ"][:11] + "25:61:00")),
        ("field.max_length", _always, lambda row, ctx: row.update({key: row[key] + "-" + "X" * 70})),
        ("field.uscc", _always, lambda row, ctx: row.update(ZTDM=broken_check(row["ZTDM"]))),
        ("reference.entity_unknown", _always, _unknown_body),
        ("reference.entity_inactive", _inactive_available, _inactive_body),
        ("reference.matter_unknown", _always, lambda row, ctx: row.update(SXBM=f"{row['SXBM']}-9999")),
        ("reference.matter_wrong_kind", _always, _wrong_kind(kind)),
        ("reference.matter_not_held", _always, _matter_not_held(kind)),
        ("reference.officer_unknown", _always, _unknown_officer(officers)),
        ("scope.submitter", lambda row, ctx: len(ctx.province.units) > 1, _other_unit),
        _foreign_body(kind, officers),
        (REPEAT, _always, lambda row, ctx: None),  # handled by the caller: the row sent twice
        ("finding.officer_without_valid_card", _has_bad_card, _bad_card(officers)),
    ]


def _counterparty_defects() -> list[Defect]:
    organisation = _is("CF_XDR_LB", "法人及非法人组织")
    return [
        ("counterparty.credit_code_required", _both(organisation, _has("CF_XDR_SHXYM")), _set(CF_XDR_SHXYM=None)),
        (
            "counterparty.registration_number_required",
            _is("CF_XDR_SHXYM", "00000000000000000X"),
            _set(CF_XDR_GSZC=None),
        ),
        ("counterparty.id_document_required", _is("CF_XDR_LB", "自然人"), _set(CF_XDR_ZJLX=None, CF_XDR_ZJHM=None)),
        (
            "counterparty.id_number_invalid",
            _is("CF_XDR_ZJLX", "身份证"),
            lambda row, ctx: row.update(CF_XDR_ZJHM=broken_check(row["CF_XDR_ZJHM"])),
        ),
        ("field.required", _always, _set(CF_XDR_MC=None)),
    ]


def _closed(row: dict, ctx: _Ctx) -> bool:
    return row.get("AJZT") == "6" and row.get("CXLX") == "2"


def _decided(row: dict, ctx: _Ctx) -> bool:
    return row.get("AJZT") in ("3", "4", "5", "6")


def _closed_long_after(days: int) -> Callable[[dict, _Ctx], bool]:
    return lambda row, ctx: _closed(row, ctx) and (_date(row, "JARQ") - _date(row, "CF_JDRQ")).days >= days


def _penalty_defects() -> list[Defect]:
    fine = _has("CF_NR_FK")
    ordinary_decided = _both(_decided, _is("CXLX", "2"))
    return [
        *_common("penalty_case"),
        *_counterparty_defects(),
        ("counterparty.legal_representative_required", _is("CF_XDR_LB", "法人及非法人组织"), _set(CF_FRDB=None)),
        (
            "counterparty.placeholder_only_for_sole_trader",
            _is("CF_XDR_LB", "法人及非法人组织"),
            _set(CF_XDR_SHXYM="00000000000000000X", CF_XDR_GSZC="440106600123456"),
        ),
        ("field.date", _has("WFRQ"), lambda row, ctx: row.update(WFRQ=f"{row['WFRQ'][:4]}-02-30")),
        ("field.code", _always, _set(AJLY="7")),
        ("field.yn", _always, _set(SFZD="X")),
        ("field.decimal", fine, lambda row, ctx: row.update(CF_NR_FK=row["CF_NR_FK"] + "万元")),
        ("field.uscc", _always, lambda row, ctx: row.update(CF_SJLYDM=broken_check(row["CF_SJLYDM"]))),
        ("penalty.filing_date_required", _is("CXLX", "2"), _set(LARQ=None, WFRQ=None)),
        ("penalty.decision_fields_required", _decided, _set(CF_WSH=None)),
        ("penalty.fine_amount_missing", fine, _set(CF_NR_FK=None)),
        (
            "penalty.fine_amount_without_fine",
            _both(_decided, lambda row, ctx: "罚款" not in row["CF_CFLB"]),
            _set(CF_NR_FK="0.1"),
        ),
        (
            "penalty.confiscation_amount_missing",
            _decided,
            lambda row, ctx: row.update(CF_CFLB=row["CF_CFLB"] + ";没收违法所得", CF_NR_WFFF=None),
        ),
        (
            "penalty.license_missing",
            _decided,
            lambda row, ctx: row.update(CF_CFLB=row["CF_CFLB"] + ";吊销许可证件", CF_NR_ZKDX=None),
        ),
        ("penalty.decision_before_filing", ordinary_decided, _shift("LARQ", "CF_JDRQ", 3)),
        ("penalty.validity_before_decision", _decided, _shift("CF_YXQ", "CF_JDRQ", -1)),
        ("penalty.publicity_end_before_decision", _decided, _shift("CF_GSJZQ", "CF_JDRQ", -1)),
        # (a 法制审核 dated after the decision is the finding 未经法制审核 since the corrected §4, not a reject)
        ("penalty.publicity_before_decision", _both(_decided, _has("GSRQ")), _shift("GSRQ", "CF_JDRQ", -1)),
        ("penalty.service_before_decision", _has("SDRQ"), _shift("SDRQ", "CF_JDRQ", -1)),
        ("penalty.payment_before_decision", _has("JKRQ"), _shift("JKRQ", "CF_JDRQ", -1)),
        ("penalty.closing_date_required", _closed, _set(JARQ=None)),
        ("penalty.closing_before_other_dates", _closed, _shift("JARQ", "CF_JDRQ", -1)),
        ("penalty.authority_code_mismatch", _always, _other_authority),
        # findings: the record is accepted and the issue recorded
        (
            "finding.overdue_handling",
            ordinary_decided,
            lambda row, ctx: row.update(
                LARQ=_d(_date(row, "CF_JDRQ") - dt.timedelta(days=100)),
                WFRQ=_d(_date(row, "CF_JDRQ") - dt.timedelta(days=110)),
                YCQXZ=None,
            ),
        ),
        ("finding.too_few_officers", _always, _one_officer("CBRY")),
        (
            "finding.summary_procedure_exceeded",
            _both(_is("CXLX", "1"), _decided),
            lambda row, ctx: row.update(CF_CFLB=row["CF_CFLB"] + ";通报批评"),
        ),
        ("finding.missing_legal_review", _both(_decided, _is("SFZD", "N")), _set(SFZD="Y", FZSHRQ=None)),
        (
            "finding.fine_out_of_range",
            _both(fine, _is("CXLX", "2")),
            lambda row, ctx: row.update(CF_NR_FK=_wan(2 * ctx.matters[row["SXBM"]].fine_max)),
        ),
        # an article of the 事项's law that the 事项 does not list (its articles are 第十条 to 第九十九条)
        (
            "finding.case_basis_not_in_matter",
            _decided,
            lambda row, ctx: row.update(CF_YJ=f"《{ctx.matters[row['SXBM']].law_title}》第一百九十九条"),
        ),
        # 七日 are working days (Art 85): 24 calendar days are more than 7 working days even around 春节
        ("finding.late_service", _closed_long_after(25), _shift("SDRQ", "CF_JDRQ", 24)),
        (
            "finding.time_barred",
            _has("LARQ"),
            lambda row, ctx: row.update(WFRQ=_d(_date(row, "LARQ") - dt.timedelta(days=800))),
        ),
        ("finding.late_publicity", _closed_long_after(25), _shift("GSRQ", "CF_JDRQ", 24)),
        (
            "finding.case_open_too_long",
            _is("AJZT", "1", "2"),
            lambda row, ctx: row.update(
                LARQ=_d(ctx.day - dt.timedelta(days=120)), WFRQ=_d(ctx.day - dt.timedelta(days=130)), YCQXZ=None
            ),
        ),
        # 20 calendar days hold more than 3 working days whatever the holidays
        ("finding.late_withdrawal", _has("CHGSRQ", "FYSSRQ"), _shift("FYSSRQ", "CHGSRQ", -20)),
    ]


def _seizure(row: dict, ctx: _Ctx) -> bool:
    return row.get("QZFS") in SEIZURES


def _coercion_defects() -> list[Defect]:
    return [
        *_common("coercion_case"),
        *_counterparty_defects(),
        ("field.date", _always, lambda row, ctx: row.update(JDRQ=f"{row['JDRQ'][:4]}-13-01")),
        ("field.code", _always, _set(QZFS="没收")),
        ("field.yn", _always, _set(SFYC="X")),
        (
            "coercion.method_type_mismatch",
            _always,
            lambda row, ctx: row.update(QZLX="2" if row["QZLX"] == "1" else "1"),
        ),
        ("coercion.start_date_required", _seizure, _set(QSRQ=None)),
        ("coercion.expiry_date_required", _seizure, _set(JMRQ=None)),
        ("coercion.extension_date_required", _always, _set(SFYC="Y", YCZ=None)),
        ("coercion.start_before_decision", _seizure, _shift("QSRQ", "JDRQ", -2)),
        ("coercion.expiry_before_start", _seizure, _shift("JMRQ", "QSRQ", -1)),
        (
            "coercion.extension_before_expiry",
            _seizure,
            lambda row, ctx: row.update(SFYC="Y", YCZ=_d(_date(row, "JMRQ") - dt.timedelta(days=1))),
        ),
        ("coercion.release_before_start", _has("JCRQ"), _shift("JCRQ", "QSRQ", -1)),
        ("finding.too_few_officers_coercion", _always, _one_officer("CBRY")),
        (
            "finding.seizure_overdue",
            _seizure,
            lambda row, ctx: row.update(
                JDRQ=_d(ctx.day - dt.timedelta(days=45)),
                QSRQ=_d(ctx.day - dt.timedelta(days=45)),
                JMRQ=_d(ctx.day - dt.timedelta(days=16)),
                JCRQ=None,
                SFYC="N",
                YCZ=None,
            ),
        ),
    ]


def _inspection_defects() -> list[Defect]:
    organisation = _has("JCDXDM")
    return [
        *_common("inspection"),
        ("field.required", _always, _set(JCDXMC=None)),
        ("field.date", _always, lambda row, ctx: row.update(JCRQ=f"{row['JCRQ'][:4]}-02-30")),
        ("field.code", _always, _set(JCFS="6")),
        ("field.uscc", organisation, lambda row, ctx: row.update(JCDXDM=broken_check(row["JCDXDM"]))),
        ("inspection.linked_case_required", _always, _set(JCJG="3", GLAJBH=None)),
        ("finding.too_few_inspectors", _always, _one_officer("JCRY")),
    ]


def _license_defects() -> list[Defect]:
    organisation = _is("XK_XDR_LB", "法人及非法人组织")
    return [
        ("field.required", _always, _set(XK_NR=None)),
        ("field.code", _always, _set(XK_XKLB="许可")),
        ("field.uscc", _always, lambda row, ctx: row.update(XK_XKJGDM=broken_check(row["XK_XKJGDM"]))),
        ("license.credit_code_required", _both(organisation, _has("XK_XDR_SHXYM")), _set(XK_XDR_SHXYM=None)),
        ("license.legal_representative_required", organisation, _set(XK_FRDB=None)),
        ("license.id_document_required", _is("XK_XDR_LB", "自然人"), _set(XK_XDR_ZJLX=None, XK_XDR_ZJHM=None)),
        ("license.validity_before_decision", _always, _shift("XK_YXQZ", "XK_JDRQ", -1)),
        ("license.validity_end_before_start", _always, _shift("XK_YXQZI", "XK_YXQZ", -1)),
        (REPEAT, _always, lambda row, ctx: None),
    ]


def _defects(entity: str) -> list[Defect]:
    return {
        "penalty_case": _penalty_defects,
        "coercion_case": _coercion_defects,
        "inspection": _inspection_defects,
        "license": _license_defects,
    }[entity]()


def _inject(rows: list[dict], entity: str, ctx: _Ctx, rate: float) -> list[dict]:
    defects = _defects(entity)
    out = []
    for row in rows:
        row[UNIT_COLUMN] = row.get("BSDWDM", GOV_SERVICE_UNIT)  # a 行政许可 comes from the 政务服务网
        row[EXPECTED] = None
        if rate <= 0 or ctx.rng.random() >= rate:
            out.append(row)
            continue
        candidates = [d for d in defects if d[1](row, ctx)]
        rule, _, apply = candidates[ctx.rng.randrange(len(candidates))]
        if rule == REPEAT:  # no defect: the same record twice in one file is accepted twice
            out += [row, dict(row)]
            continue
        apply(row, ctx)
        row[EXPECTED] = rule
        out.append(row)
    return out


def daily_records(
    province: Province, day: dt.date, *, defect_rate: float = 0.03, seed: int = 0
) -> dict[str, pl.DataFrame]:
    """One day of penalty_case, coercion_case and inspection records from every unit of `province`, and
    the 行政许可 the 政务服务网 (GOV_SERVICE_UNIT) sends for the licensing bodies.

    Columns: the entity's field codes (strings as sent), then `__unit` (whose file the row is in) and
    `__expected_rule` (the rule the row was built to break, null for a clean row).
    """
    std = standard()
    bodies = province.working_bodies
    matters = {m.code: m for m in province.matters}
    makers = {
        "penalty_case": _penalty_rows,
        "coercion_case": _coercion_rows,
        "inspection": _inspection_rows,
        "license": _license_rows,
    }
    frames = {}
    for entity, make in makers.items():
        ctx = _Ctx(province, day, random.Random(f"{seed}:{province.seed}:{day.toordinal()}:{entity}:defects"), matters)
        rows = _inject(make(province, bodies, day, seed), entity, ctx, defect_rate)
        frames[entity] = _frame(rows, std.entity(entity).field_codes, (UNIT_COLUMN, EXPECTED))
    return frames
