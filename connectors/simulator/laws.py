"""The simulated 法律法规库: the laws the simulated 事项 cite, their articles, and a few 事项 whose 设定依据
is wrong on purpose (a repealed law, an article the library does not list) for supervision to find.

Names, levels, enacting bodies and dates are those of the real laws (施行日期: the day the law first took
effect, so a 事项 effective since 2020 never predates it; 失效日期: the first day it was no longer in force).
Article texts are given only where this module quotes the law; every other cited article carries a
placeholder saying it is simulated, never an invented text attributed to a real law.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

LAW, ADMINISTRATIVE_REGULATION, LOCAL_REGULATION = "1", "2", "4"
NPC_STANDING_COMMITTEE = "全国人民代表大会常务委员会"
STATE_COUNCIL = "国务院"
PLACEHOLDER_TEXT = "（模拟数据：条文内容以官方公布的文本为准）"


@dataclass(frozen=True)
class Law:
    code: str
    title: str
    level: str
    enacted_by: str
    effective: dt.date
    repealed: dt.date | None = None


LAWS: tuple[Law, ...] = (
    Law("FL-0001", "中华人民共和国行政处罚法", LAW, "全国人民代表大会", dt.date(1996, 10, 1)),
    Law("FL-0002", "中华人民共和国行政强制法", LAW, NPC_STANDING_COMMITTEE, dt.date(2012, 1, 1)),
    Law("FG-0001", "行政执法机关移送涉嫌犯罪案件的规定", ADMINISTRATIVE_REGULATION, STATE_COUNCIL, dt.date(2001, 7, 9)),
    Law("FL-0101", "中华人民共和国产品质量法", LAW, NPC_STANDING_COMMITTEE, dt.date(1993, 9, 1)),
    Law("FL-0102", "中华人民共和国食品安全法", LAW, NPC_STANDING_COMMITTEE, dt.date(2009, 6, 1)),
    Law("FL-0103", "中华人民共和国食品卫生法", LAW, NPC_STANDING_COMMITTEE, dt.date(1995, 10, 30), dt.date(2009, 6, 1)),
    Law("FL-0201", "中华人民共和国大气污染防治法", LAW, NPC_STANDING_COMMITTEE, dt.date(1988, 6, 1)),
    Law("FG-0301", "中华人民共和国道路运输条例", ADMINISTRATIVE_REGULATION, STATE_COUNCIL, dt.date(2004, 7, 1)),
    Law("FL-0302", "中华人民共和国道路交通安全法", LAW, NPC_STANDING_COMMITTEE, dt.date(2004, 5, 1)),
    Law("FG-0401", "娱乐场所管理条例", ADMINISTRATIVE_REGULATION, STATE_COUNCIL, dt.date(2006, 3, 1)),
    Law("FL-0501", "中华人民共和国农产品质量安全法", LAW, NPC_STANDING_COMMITTEE, dt.date(2006, 11, 1)),
    Law("FL-0601", "中华人民共和国安全生产法", LAW, NPC_STANDING_COMMITTEE, dt.date(2002, 11, 1)),
    Law("DF-0701", "广东省城乡生活垃圾管理条例", LOCAL_REGULATION, "广东省人民代表大会常务委员会", dt.date(2016, 1, 1)),
    Law("FG-0801", "公共场所卫生管理条例", ADMINISTRATIVE_REGULATION, STATE_COUNCIL, dt.date(1987, 4, 1)),
    Law("FL-0901", "中华人民共和国土地管理法", LAW, NPC_STANDING_COMMITTEE, dt.date(1987, 1, 1)),
    Law("FG-1001", "建设工程质量管理条例", ADMINISTRATIVE_REGULATION, STATE_COUNCIL, dt.date(2000, 1, 30)),
    Law("FL-1101", "中华人民共和国水法", LAW, NPC_STANDING_COMMITTEE, dt.date(1988, 7, 1)),
    Law("FL-1201", "中华人民共和国治安管理处罚法", LAW, NPC_STANDING_COMMITTEE, dt.date(2006, 3, 1)),
    Law(
        "FL-1202",
        "中华人民共和国治安管理处罚条例",
        LAW,
        NPC_STANDING_COMMITTEE,
        dt.date(1987, 1, 1),
        dt.date(2006, 3, 1),
    ),
    Law("FL-1301", "中华人民共和国渔业法", LAW, NPC_STANDING_COMMITTEE, dt.date(1986, 7, 1)),
    Law("FL-1401", "中华人民共和国森林法", LAW, NPC_STANDING_COMMITTEE, dt.date(1985, 1, 1)),
    Law("FG-1501", "劳动保障监察条例", ADMINISTRATIVE_REGULATION, STATE_COUNCIL, dt.date(2004, 12, 1)),
)
LAW_BY_CODE = {law.code: law for law in LAWS}

# The articles this module quotes (the basis of the rules it lets supervision check).
QUOTED_ARTICLES: dict[tuple[str, str], str] = {
    ("FL-0001", "第四条"): (
        "公民、法人或者其他组织违反行政管理秩序的行为，应当给予行政处罚的，依照本法由法律、法规、规章规定，"
        "并由行政机关依照本法规定的程序实施。"
    ),
    ("FL-0001", "第三十八条"): (
        "行政处罚没有依据或者实施主体不具有行政主体资格的，行政处罚无效。违反法定程序构成重大且明显违法的，行政处罚无效。"
    ),
    ("FL-0002", "第四条"): "行政强制的设定和实施，应当依照法定的权限、范围、条件和程序。",
    ("FG-0001", "第八条"): (
        "（条文摘要）公安机关应当自接受行政执法机关移送的涉嫌犯罪案件之日起3日内审查，决定是否立案，"
        "并书面通知移送案件的行政执法机关。"
    ),
}

# A 事项 citing a law repealed before today (食品卫生法, replaced by 食品安全法 on 2009-06-01), and one
# citing an article the library does not list.
REPEALED_BASIS = "FL-0103:第四十条"
UNLISTED_BASIS = "FL-0101:第九百九十九条"


def with_defective_bases(matters: list) -> list:
    """The 事项 list with two 设定依据 made wrong on purpose: the first 处罚 事项 also cites a repealed law,
    the first 强制 事项 cites an article the library does not list (findings on the 事项, not rejections)."""
    defective = defective_matters(matters)
    return [
        dataclasses.replace(m, basis=(*m.basis, defective[m.code][0])) if m.code in defective else m for m in matters
    ]


def defective_matters(matters: list) -> dict[str, tuple[str, str]]:
    """{事项编码: (the wrong 设定依据 item, the finding it yields)} for the 事项 `with_defective_bases` spoils."""
    first_of = {}
    for matter in matters:
        first_of.setdefault(matter.kind, matter.code)
    return {
        first_of["CF"]: (REPEALED_BASIS, "finding.matter_basis_not_in_force"),
        first_of["QZ"]: (UNLISTED_BASIS, "finding.matter_basis_unknown"),
    }


def law_frames(matters: list, updated: str) -> dict[str, list[dict]]:
    """The 法律法规库 as the province publishes it: every law above, and every article a 事项 cites or
    this module quotes — except the article `UNLISTED_BASIS` names, which the library does not know."""
    cited = {tuple(item.split(":", 1)) for m in matters for item in m.basis}
    articles = (cited | set(QUOTED_ARTICLES)) - {tuple(UNLISTED_BASIS.split(":", 1))}
    law_rows = [
        {
            "FGBH": law.code,
            "FGMC": law.title,
            "XLJB": law.level,
            "FBJG": law.enacted_by,
            "SSRQ": law.effective.isoformat(),
            "SXRQ": law.repealed.isoformat() if law.repealed else None,
            "GXSJ": updated,
        }
        for law in LAWS
    ]
    article_rows = [
        {"FGBH": code, "TKH": article, "TKNR": QUOTED_ARTICLES.get((code, article), PLACEHOLDER_TEXT), "GXSJ": updated}
        for code, article in sorted(articles)
        if code in LAW_BY_CODE
    ]
    return {"law": law_rows, "law_article": article_rows}

