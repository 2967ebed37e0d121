"""The corrected standard.md §4, case by case, through `zfjd validate --as-of … --reference … --json`.

Each case is a record a legal reviewer would write at a boundary of §4: rejected, accepted, accepted
with a finding, or accepted with a provisional finding (a count through a year whose holiday
arrangement is not announced yet). Dates are worked out by hand in the comments.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import shutil
from pathlib import Path

import polars as pl
import pytest
from build_samples import BODY_A, BODY_B, UNIT, clean_case, ric, uscc
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from support import REFERENCE, outcomes_by_row, validate_cli, validate_rows

from quality.context import RuleContext
from quality.rules import row_violation
from quality.workdays import WorkdayCalendar
from standards.loader import standard

D = dt.date
AS_OF = D(2026, 11, 30)
ACCEPT = ("accept", set(), set())


def finding(*rules: str, provisional: bool = False) -> tuple[str, set[str], set[str]]:
    return ("accept", set(rules), set(rules) if provisional else set())


def reject(*rules: str) -> tuple[str, set[str], set[str]]:
    return ("reject", set(rules), set())


def decided(decision: str, *, served: str | None = None, published: str | None = None, number: int = 1, **changes):
    """A served (not yet paid or closed) 普通程序 case of BODY_A decided on `decision`: filed 30 days and
    the act 60 days before, served and published the same day unless told otherwise."""
    day = D.fromisoformat(decision)

    def shifted(days: int) -> str:
        return (day + dt.timedelta(days=days)).isoformat()

    row = clean_case(number)
    row.update(
        {
            "违法行为发生日期": shifted(-60),
            "立案日期": shifted(-30),
            "处罚决定日期": decision,
            "处罚有效期": shifted(365),
            "公示截止期": shifted(3 * 365),
            "送达日期": served or decision,
            "公示日期": decision if published is None else published,
            "缴款日期": "",
            "实缴金额（元）": "",
            "执行方式": "",
            "案件状态": "4",
            "结案日期": "",
            "更新时间": "2026-11-01 09:00:00",
        }
    )
    row.update(changes)
    return row


def run(tmp_path: Path, cases: list[tuple[dict, tuple]], **options) -> None:
    rows = [
        dict(row, 案件编号=f"TH-SJ-T-{n:04d}", 行政处罚决定书文号=f"穗天市监处罚〔T〕{n}号")
        for n, (row, _) in enumerate(cases, start=1)
    ]
    options.setdefault("as_of", AS_OF)
    got = outcomes_by_row(validate_cli(tmp_path, "penalty_case", rows, **options))
    wrong = {n: (got[n], expected) for n, (_, expected) in enumerate(cases, start=1) if got[n] != expected}
    assert not wrong, wrong


# -- 送达超期: the 7th working day (Art 61 with Art 85), 调休 counted -----------------------------------


@pytest.mark.parametrize(
    ("decision", "seventh", "eighth"),
    [
        # Fri 27 Sep 2024: Sun 29 (调休), Mon 30 Sep, 国庆 1–7 Oct, 8–11 Oct, Sat 12 Oct (调休) is the 7th.
        ("2024-09-27", "2024-10-12", "2024-10-14"),
        # Fri 24 Jan 2025: Sun 26 (调休), Mon 27, 春节 28 Jan–4 Feb, 5–7 Feb, Sat 8 Feb (调休), Mon 10 Feb.
        ("2025-01-24", "2025-02-10", "2025-02-11"),
        # Fri 13 Feb 2026: Sat 14 Feb (调休), 春节 15–23 Feb, 24–27 Feb, Sat 28 Feb (调休), Mon 2 Mar.
        ("2026-02-13", "2026-03-02", "2026-03-03"),
        # Fri 25 Apr 2025: Sun 27 Apr (调休), 28–30 Apr, 劳动节 1–5 May, 6–8 May.
        ("2025-04-25", "2025-05-08", "2025-05-09"),
        # Fri 26 Apr 2024: Sun 28 Apr (调休), 29–30 Apr, 劳动节 1–5 May, 6–9 May; Sat 11 May (调休) is the 8th.
        ("2024-04-26", "2024-05-09", "2024-05-11"),
    ],
)
def test_service_on_the_7th_working_day_is_in_time_and_on_the_8th_late(tmp_path, decision, seventh, eighth):
    run(
        tmp_path,
        [
            (decided(decision, served=seventh), ACCEPT),
            (decided(decision, served=eighth), finding("finding.late_service")),
        ],
    )


def test_serving_on_the_4th_working_day_across_national_day_is_in_time(tmp_path):
    # The issue's case: 11 calendar days, but the 4th working day (Sun 29, Mon 30 Sep, Tue 8, Wed 9 Oct).
    run(tmp_path, [(decided("2024-09-27", served="2024-10-09"), ACCEPT)])


# -- 法制审核 after the decision: a finding, not a reject -----------------------------------------------


def test_legal_review_after_the_decision_is_the_finding_not_a_reject(tmp_path):
    run(
        tmp_path,
        [
            (
                decided("2024-04-15", 是否重大执法决定="Y", 法制审核日期="2024-04-16"),
                finding("finding.missing_legal_review"),
            ),
            (decided("2024-04-15", 是否听证="Y", 法制审核日期="2024-04-15"), ACCEPT),
            (decided("2024-04-15", 法制审核日期="2024-04-16"), ACCEPT),  # neither 重大 nor 听证: nothing owed
        ],
    )
    assert "penalty.legal_review_after_decision" not in standard().rules


# -- 超过追责时效: 2 years, 5 with harm, from the end of a continuing act ---------------------------------


def test_limitation_two_years_five_with_harm_counted_from_the_end_of_a_continuing_act(tmp_path):
    filed = {"立案日期": "2024-03-01"}  # Fri
    run(
        tmp_path,
        [
            (decided("2024-04-15", **filed, 违法行为发生日期="2022-03-01"), ACCEPT),
            (decided("2024-04-15", **filed, 违法行为发生日期="2022-02-28"), finding("finding.time_barred")),
            (decided("2024-04-15", **filed, 违法行为发生日期="2019-03-01", 是否有危害后果="Y"), ACCEPT),
            (
                decided("2024-04-15", **filed, 违法行为发生日期="2019-02-28", 是否有危害后果="Y"),
                finding("finding.time_barred"),
            ),
            (
                decided("2024-04-15", **filed, 违法行为发生日期="2019-03-01", 是否有危害后果="N"),
                finding("finding.time_barred"),
            ),
            (decided("2024-04-15", **filed, 违法行为发生日期="2021-01-01", 违法行为终了日期="2022-03-01"), ACCEPT),
            (
                decided("2024-04-15", **filed, 违法行为发生日期="2021-01-01", 违法行为终了日期="2022-02-28"),
                finding("finding.time_barred"),
            ),
            # Two years from Sat 2 Mar 2022 end on Sat 2 Mar 2024: 顺延 to Mon 4 Mar.
            (decided("2024-04-15", 立案日期="2024-03-04", 违法行为发生日期="2022-03-02"), ACCEPT),
        ],
    )


# -- 超期办案: 90 days from 立案 with 顺延, or the approved extension ----------------------------------------


def test_handling_90_days_with_the_last_day_moved_over_a_weekend(tmp_path):
    # Decided Mon 15 Apr 2024. Filed Sun 14 Jan: day 90 is Sat 13 Apr → Mon 15 Apr. Filed Sat 13 Jan: day 90
    # is Fri 12 Apr.
    act = {"违法行为发生日期": "2023-12-01"}
    run(
        tmp_path,
        [
            (decided("2024-04-15", 立案日期="2024-01-16", **act), ACCEPT),  # day 90 exactly
            (decided("2024-04-15", 立案日期="2024-01-14", **act), ACCEPT),
            (decided("2024-04-15", 立案日期="2024-01-13", **act), finding("finding.overdue_handling")),
            (decided("2024-04-15", 立案日期="2024-01-13", 延长办案期限至="2024-04-15", **act), ACCEPT),
            (
                decided("2024-04-15", 立案日期="2024-01-13", 延长办案期限至="2024-04-14", **act),
                finding("finding.overdue_handling"),
            ),
        ],
    )


def test_a_summary_procedure_case_has_no_90_day_period_even_with_a_filing_date(tmp_path):
    # §6: 简易程序 has no 立案 and no 90-day period; a 立案日期 a unit fills in anyway starts none.
    summary = {"程序类型": "简易程序", "处罚类别": "警告", "罚款金额（万元）": "", "违法行为发生日期": "2023-12-01"}
    still_open = {
        "案件状态": "调查中", "处罚决定日期": "", "行政处罚决定书文号": "", "处罚类别": "", "处罚内容": "",
        "处罚依据": "", "处罚有效期": "", "公示截止期": "", "罚款金额（万元）": "", "送达日期": "", "公示日期": "",
    }
    run(
        tmp_path,
        [
            (decided("2024-04-15", 立案日期="2024-01-13", **summary), ACCEPT),
            (decided("2024-04-15", number=2, 立案日期="2024-01-13", 违法行为发生日期="2023-12-01"),
             finding("finding.overdue_handling")),
            (decided("2024-04-15", number=3, 立案日期="2026-06-01",
                     **{**summary, **still_open, "违法行为发生日期": "2026-05-01"}), ACCEPT),
            (decided("2024-04-15", number=4, 立案日期="2026-06-01", 违法行为发生日期="2026-05-01", **still_open),
             finding("finding.case_open_too_long")),
        ],
    )


# -- 公示超期, including never published -------------------------------------------------------------------


def test_never_published_is_late_once_the_7th_working_day_has_passed(tmp_path):
    # Decided Mon 16 Nov 2026: the 7th working day is Wed 25 Nov; as of 30 Nov it has passed.
    run(
        tmp_path,
        [
            (decided("2026-11-16", published=""), finding("finding.late_publicity")),
            (decided("2026-11-23", published=""), ACCEPT),  # 7th working day Wed 2 Dec: not yet
            # withdrawn on Fri 20 Nov, before the deadline: nothing owed any more
            (decided("2026-11-16", published="", 案件状态="9", 更新时间="2026-11-20 10:00:00"), ACCEPT),
            (
                decided("2026-11-16", published="", 案件状态="9", 更新时间="2026-11-26 10:00:00"),
                finding("finding.late_publicity"),
            ),
        ],
    )


def test_a_warning_only_case_of_a_market_regulation_body_owes_no_publication(tmp_path):
    # §8: 市场监管 bodies do not publish a case whose only penalty is a 警告, so no 公示 deadline runs for it;
    # a 警告-only case of another body, and a 市场监管 case with a fine, still owe theirs.
    warning = {"处罚类别": "警告", "处罚内容": "警告", "罚款金额（万元）": ""}
    other_body = {
        "执法主体代码": "11440106MB5F6G7H82", "处罚机关统一社会信用代码": "11440106MB5F6G7H82",
        "处罚机关": "广州市天河区城市管理和综合执法局", "事项编码": "CF-CGZF-0002",
        "承办执法人员执法证号": "GD-TH-0006",
    }
    run(
        tmp_path,
        [
            (decided("2026-11-16", published="", **warning), ACCEPT),
            (decided("2026-11-02", published="2026-11-25", **warning), ACCEPT),  # published anyway: not late
            (decided("2026-11-16", published=""), finding("finding.late_publicity")),
            (
                decided("2026-11-16", published="", **warning, **other_body),
                finding("finding.late_publicity", "finding.too_few_officers"),
            ),
        ],
    )


# -- 撤回超期 (Art 48 with Art 85) ------------------------------------------------------------------------


def test_withdrawal_within_three_working_days_of_the_review_or_the_withdrawing_version(tmp_path):
    # 复议 revoked Fri 27 Sep 2024: Sun 29 (调休), Mon 30 Sep, Tue 8 Oct is the 3rd working day.
    revoked = {"复议诉讼结果": "撤销", "复议诉讼结果日期": "2024-09-27"}
    run(
        tmp_path,
        [
            (decided("2024-06-03", **revoked, 撤回公示日期="2024-10-08"), ACCEPT),
            (decided("2024-06-03", **revoked, 撤回公示日期="2024-10-09"), finding("finding.late_withdrawal")),
            (decided("2024-06-03", **revoked), finding("finding.late_withdrawal")),  # never withdrawn
            (
                decided("2024-06-03", 复议诉讼结果="确认违法", 复议诉讼结果日期="2024-09-27"),
                finding("finding.late_withdrawal"),
            ),
            (decided("2024-06-03", 复议诉讼结果="维持", 复议诉讼结果日期="2024-09-27"), ACCEPT),
            # never published although due by 12 Jun, long before the revocation: 公示超期, nothing to withdraw
            (decided("2024-06-03", **revoked, 公示日期=""), finding("finding.late_publicity")),
            # A 撤销 version changed on Mon 23 Nov 2026: the 3rd working day is Thu 26 Nov.
            (
                decided("2024-06-03", 案件状态="已撤销", 更新时间="2026-11-23 10:00:00", 撤回公示日期="2026-11-26"),
                ACCEPT,
            ),
            (
                decided("2024-06-03", 案件状态="已撤销", 更新时间="2026-11-23 10:00:00"),
                finding("finding.late_withdrawal"),
            ),
            (decided("2024-06-03", 案件状态="已撤销", 更新时间="2026-11-27 10:00:00"), ACCEPT),  # not yet due
        ],
    )


# -- 罚缴分离 (Art 67–69) -----------------------------------------------------------------------------------


def test_fines_collected_on_the_spot(tmp_path):
    summary = {"程序类型": "简易程序", "立案日期": "", "处罚类别": "罚款", "收缴方式": "当场收缴"}
    run(
        tmp_path,
        [
            (decided("2024-04-15", 收缴方式="当场收缴"), finding("finding.fine_collection_not_separated")),
            (decided("2024-04-15", 收缴方式="指定银行或电子支付"), ACCEPT),
            # (the 事项's lower limit is 500 元: these small fines are also 超幅度处罚)
            (decided("2024-04-15", **summary, **{"罚款金额（万元）": "0.01"}), finding("finding.fine_out_of_range")),
            (
                decided("2024-04-15", **summary, **{"罚款金额（万元）": "0.0101"}),
                finding("finding.fine_collection_not_separated", "finding.fine_out_of_range"),
            ),
            (decided("2024-04-15", **summary, **{"罚款金额（万元）": "0.05"}, 备注="边远山区，交通不便"), ACCEPT),
        ],
    )


# -- the new rejects: impossible orders -------------------------------------------------------------------


def test_each_impossible_order_is_rejected(tmp_path):
    run(
        tmp_path,
        [
            (decided("2024-04-15", published="2024-04-14"), reject("penalty.publicity_before_decision")),
            (decided("2024-04-15", 违法行为发生日期="2024-03-17"), reject("penalty.act_after_filing")),
            (
                decided(
                    "2024-04-15",
                    程序类型="简易程序",
                    立案日期="",
                    违法行为发生日期="2024-04-16",
                    **{"罚款金额（万元）": "0.02"},
                ),
                reject("penalty.act_after_decision"),
            ),
            (
                decided("2024-04-15", 复议诉讼结果="维持", 复议诉讼结果日期="2024-04-14"),
                reject("penalty.review_result_before_decision"),
            ),
            (decided("2024-04-15", 撤回公示日期="2024-04-14"), reject("penalty.withdrawal_before_publicity")),
            (decided("2024-04-15", 违法行为终了日期="2024-02-14"), reject("penalty.act_end_before_start")),
            (decided("2024-04-15", 复议诉讼结果="变更"), reject("penalty.review_result_date_required")),
            (decided("2024-04-15", 违法行为终了日期="2024-02-15", 复议诉讼结果="无"), ACCEPT),
        ],
    )


# -- bodies and officers by their history ------------------------------------------------------------------


BODY_E = uscc("11440106MB7H8J9K0")  # 天河区某执法大队: abolished on 30 Jun 2024 in a 机构改革
CARD_MOVED = "GD-TH-0101"  # BODY_A until 1 Jun 2024, then BODY_B; 注销 1 Mar 2025
CARD_RENEWED = "GD-TH-0102"  # valid to 31 Dec 2024, renewed from 1 Jan 2025 (recorded 10 Jan)


@pytest.fixture
def history(tmp_path) -> Path:
    """The sample 三库 plus versions: a body abolished since, two officers of BODY_E, and two cards with
    a history (a transfer then a 注销; a renewal recorded late)."""
    folder = tmp_path / "reference"
    shutil.copytree(REFERENCE, folder)

    def append(name: str, rows: list[list[str]]) -> None:
        with (folder / name).open("a", encoding="utf-8", newline="") as handle:
            csv.writer(handle, lineterminator="\r\n").writerows(rows)

    body = ["广州市天河区某执法大队", BODY_E, "1", "440106", "3", "市场监管", "", UNIT]
    append(
        "enforcement_entity.csv",
        [
            [*body, "1", "2019-01-01", "", "2019-01-02 09:00:00"],
            [*body, "0", "2019-01-01", "2024-06-30", "2024-07-15 09:00:00"],
        ],
    )
    officer = ["市场监管"]
    append(
        "officer.csv",
        [
            [
                "孙一",
                ric("44010619880101001"),
                "GD-TH-0201",
                BODY_E,
                *officer,
                "2019-01-01",
                "2030-12-31",
                "1",
                "2019-01-02 09:00:00",
            ],
            [
                "孙二",
                ric("44010619880101002"),
                "GD-TH-0202",
                BODY_E,
                *officer,
                "2019-01-01",
                "2030-12-31",
                "1",
                "2019-01-02 09:00:00",
            ],
            [
                "钱三",
                ric("44010619880101003"),
                CARD_MOVED,
                BODY_A,
                *officer,
                "2022-01-01",
                "2027-12-31",
                "1",
                "2022-01-01 09:00:00",
            ],
            [
                "钱三",
                ric("44010619880101003"),
                CARD_MOVED,
                BODY_B,
                *officer,
                "2022-01-01",
                "2027-12-31",
                "1",
                "2024-06-01 09:00:00",
            ],
            [
                "钱三",
                ric("44010619880101003"),
                CARD_MOVED,
                BODY_B,
                *officer,
                "2022-01-01",
                "2027-12-31",
                "3",
                "2025-03-01 09:00:00",
            ],
            [
                "李四",
                ric("44010619880101004"),
                CARD_RENEWED,
                BODY_A,
                *officer,
                "2020-01-01",
                "2024-12-31",
                "1",
                "2020-01-01 09:00:00",
            ],
            [
                "李四",
                ric("44010619880101004"),
                CARD_RENEWED,
                BODY_A,
                *officer,
                "2025-01-01",
                "2029-12-31",
                "1",
                "2025-01-10 09:00:00",
            ],
        ],
    )
    matters = (folder / "matter.csv").read_text(encoding="utf-8")
    (folder / "matter.csv").write_text(matters.replace(f"{BODY_A};", f"{BODY_A};{BODY_E};", 1), encoding="utf-8")
    return folder


def test_a_body_is_judged_by_its_history_on_the_action_dates(tmp_path, history):
    body_e = {
        "执法主体代码": BODY_E,
        "处罚机关统一社会信用代码": BODY_E,
        "承办执法人员执法证号": "GD-TH-0201;GD-TH-0202",
    }
    run(
        tmp_path,
        [
            # lawful past case of a body abolished since: accepted, no finding (today's 状态 is 撤销)
            (decided("2024-04-15", **body_e), ACCEPT),
            # decided on its last day
            (decided("2024-06-30", **body_e), ACCEPT),
            # filed while in force, decided after it ceased: 主体资格存疑 (Art 38)
            (decided("2024-07-01", **body_e, 立案日期="2024-06-20"), finding("finding.entity_not_in_force")),
            # filed after it ceased: not a lawful body for the case at all
            (decided("2024-08-01", **body_e, 立案日期="2024-07-01"), reject("reference.entity_inactive")),
        ],
        reference=history,
    )


def test_an_officer_is_judged_by_the_cards_history_on_the_action_date(tmp_path, history):
    def officers(card: str) -> dict[str, str]:
        return {"承办执法人员执法证号": f"GD-TH-0001;{card}"}

    run(
        tmp_path,
        [
            (decided("2024-04-15", **officers(CARD_MOVED)), ACCEPT),  # BODY_A's card then
            (decided("2024-08-15", **officers(CARD_MOVED)), finding("finding.officer_of_other_entity")),
            (
                decided("2025-04-15", **officers(CARD_MOVED)),
                finding("finding.officer_of_other_entity", "finding.officer_without_valid_card"),
            ),
            (decided("2024-06-14", **officers(CARD_RENEWED)), ACCEPT),
            (decided("2025-01-06", **officers(CARD_RENEWED)), ACCEPT),  # renewed from 1 Jan, recorded on 10 Jan
            (decided("2024-04-15", **officers("GD-TH-0004")), finding("finding.officer_without_valid_card")),
        ],
        reference=history,
    )


# -- provisional findings: a year whose arrangement is not announced yet ----------------------------------


PROVISIONAL_AS_OF = D(2027, 1, 31)


def _provisional_cases() -> list[tuple[dict, tuple]]:
    late_2024 = decided("2024-04-15", served="2024-04-25")
    return [
        # 元旦 is a holiday every year: Wed 30 Dec 2026 → 31 Dec, Mon 4 … Mon 11 Jan 2027 is the 7th.
        (decided("2026-12-30", published="2027-01-11", 更新时间="2027-01-20 09:00:00"), ACCEPT),
        (
            decided("2026-12-30", published="2027-01-12", 更新时间="2027-01-20 09:00:00"),
            finding("finding.late_publicity", provisional=True),
        ),
        (
            decided("2026-12-30", served="2027-01-12", published="2026-12-30", 更新时间="2027-01-20 09:00:00"),
            finding("finding.late_service", provisional=True),
        ),
        # counted in 2024 only: firm
        (late_2024, finding("finding.late_service")),
    ]


def test_findings_that_depend_on_an_unannounced_year_are_provisional(tmp_path):
    run(tmp_path, _provisional_cases(), as_of=PROVISIONAL_AS_OF)


def test_provisional_is_shown_in_the_json_xlsx_and_html(tmp_path):
    rows = [row for row, _ in _provisional_cases()]
    rows = [dict(row, 案件编号=f"TH-SJ-P-{n}", 行政处罚决定书文号=f"P〔{n}〕号") for n, row in enumerate(rows)]
    xlsx, html = tmp_path / "r.xlsx", tmp_path / "r.html"
    document = validate_cli(
        tmp_path, "penalty_case", rows, as_of=PROVISIONAL_AS_OF, extra=("--xlsx", str(xlsx), "--html", str(html))
    )
    assert all(isinstance(f["provisional"], bool) for f in document["findings"])
    assert [f["provisional"] for f in sorted(document["findings"], key=lambda f: f["row"])] == [True, True, False]
    assert any("2027" in note and "暂定" in note for note in document["notes"])
    sheet = load_workbook(xlsx)["监督发现"]
    header = [cell.value for cell in sheet[1]]
    column = header.index("暂定")
    marks = sorted((row[0].value, row[column].value or "") for row in sheet.iter_rows(min_row=2))
    assert marks == [(2, "暂定"), (3, "暂定"), (4, "")]
    page = html.read_text(encoding="utf-8")
    assert "<th>暂定</th>" in page and page.count("<td>暂定</td>") == 2


def test_adding_the_year_to_holidays_yaml_recomputes_exactly_the_affected_findings(tmp_path):
    rows = [
        dict(row, 案件编号=f"TH-SJ-Y-{n}", 行政处罚决定书文号=f"Y〔{n}〕号")
        for n, (row, _) in enumerate(_provisional_cases())
    ]
    rows.append(
        decided(
            "2026-12-30",
            published="2027-01-13",
            案件编号="TH-SJ-Y-9",
            行政处罚决定书文号="Y〔9〕号",
            更新时间="2027-01-20 09:00:00",
        )
    )
    spec = standard()
    before = validate_rows(tmp_path, "penalty_case", rows, as_of=PROVISIONAL_AS_OF, standard=spec)
    # A hypothetical arrangement for 2027: 元旦 1–3 Jan and Mon 4 Jan off, nothing worked at a weekend.
    announced = dataclasses.replace(spec, holidays={2027: {"holidays": ["2027-01-01", "2027-01-04"], "workdays": []}})
    after = validate_rows(tmp_path, "penalty_case", rows, as_of=PROVISIONAL_AS_OF, standard=announced)

    def table(result) -> set[tuple]:
        return set(result.findings.select("row", "rule", "provisional").iter_rows())

    assert table(before) == {
        (2, "finding.late_publicity", True),
        (3, "finding.late_service", True),
        (4, "finding.late_service", False),
        (5, "finding.late_publicity", True),
    }
    # Mon 4 Jan off: the 7th working day is Tue 12 Jan, so row 2 is in time and row 3 too; row 5 stays
    # late, now firmly; row 4 (2024) is untouched.
    assert table(after) == {(4, "finding.late_service", False), (5, "finding.late_publicity", False)}
    assert before.rejected == after.rejected == 0


def test_the_lakes_issue_rows_carry_the_provisional_flag(tmp_path):
    from connectors.landing import Landing, RawBatch
    from zfjd.lake import Lake, validate_landed

    rows = [
        dict(row, 案件编号=f"TH-SJ-L-{n}", 行政处罚决定书文号=f"L〔{n}〕号")
        for n, (row, _) in enumerate(_provisional_cases(), start=1)
    ]
    records = pl.DataFrame(rows)
    landing = Landing(tmp_path / "landing")
    received = dt.datetime(2027, 1, 31, 18, 0, tzinfo=dt.UTC)
    batch = RawBatch(UNIT, "penalty_case", "file_drop", records.write_csv().encode(), records, source_name="p.csv")
    manifest, _ = landing.land(batch, received_at=received)
    lake = Lake(tmp_path / "lake")
    validate_landed(landing, lake, REFERENCE, as_of=PROVISIONAL_AS_OF)
    issues = pl.read_parquet(lake.root / "issues" / f"{manifest.batch_id}.parquet")
    found = set(issues.select("row_number", "rule", "provisional").iter_rows())
    assert found == {
        (2, "finding.late_publicity", True),
        (3, "finding.late_service", True),
        (4, "finding.late_service", False),
    }


# -- the period rules against a day-by-day count, on generated dates ---------------------------------------

_SPEC = standard()
_CALENDAR = WorkdayCalendar(_SPEC.holidays)
_DATES = st.dates(D(2023, 1, 1), D(2027, 12, 31))


def _next_workday(day: dt.date) -> dt.date:
    while not _CALENDAR.is_workday(day):
        day += dt.timedelta(days=1)
    return day


def _working_deadline(day: dt.date, n: int) -> dt.date:
    counted = 0
    while counted < n:
        day += dt.timedelta(days=1)
        counted += _CALENDAR.is_workday(day)
    return day


def _plus_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _violations(rule_id: str, frame: pl.DataFrame, as_of: dt.date) -> list[bool]:
    ctx = RuleContext(_SPEC.entity("penalty_case"), _SPEC, as_of, _CALENDAR)
    return frame.select(row_violation(ctx, rule_id).violation.fill_null(False).alias("v"))["v"].to_list()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_DATES, st.integers(0, 200), st.one_of(st.none(), st.integers(0, 200)),
                          st.sampled_from(["1", "2"])), min_size=1, max_size=40))
def test_overdue_handling_is_90_days_moved_on_to_a_working_day_or_the_extension(cases):
    frame = pl.DataFrame(
        {
            "CXLX": [procedure for *_, procedure in cases],
            "LARQ": [filed for filed, *_ in cases],
            "CF_JDRQ": [filed + dt.timedelta(days=later) for filed, later, *_ in cases],
            "YCQXZ": [None if ext is None else filed + dt.timedelta(days=ext) for filed, _, ext, _ in cases],
        },
        schema={"CXLX": pl.String, "LARQ": pl.Date, "CF_JDRQ": pl.Date, "YCQXZ": pl.Date},
    )
    expected = []
    for filed, later, ext, procedure in cases:
        deadline = _next_workday(filed + dt.timedelta(days=90))
        if ext is not None and filed + dt.timedelta(days=ext) > deadline:
            deadline = filed + dt.timedelta(days=ext)
        expected.append(procedure == "2" and filed + dt.timedelta(days=later) > deadline)  # 2: 普通程序
    assert _violations("finding.overdue_handling", frame, AS_OF) == expected


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_DATES, st.integers(0, 2200), st.booleans(), st.one_of(st.none(), st.integers(0, 400))),
                min_size=1, max_size=40))
def test_time_barred_is_2_or_5_years_from_the_end_of_the_act_moved_on_to_a_working_day(cases):
    frame = pl.DataFrame(
        {
            "WFRQ": [act for act, _, _, _ in cases],
            "WFZLRQ": [None if end is None else act + dt.timedelta(days=end) for act, _, _, end in cases],
            "LARQ": [act + dt.timedelta(days=later) for act, later, _, _ in cases],
            "WHHG": ["Y" if harm else "N" for _, _, harm, _ in cases],
        },
        schema={"WFRQ": pl.Date, "WFZLRQ": pl.Date, "LARQ": pl.Date, "WHHG": pl.String},
    )
    expected = []
    for act, later, harm, end in cases:
        since = act if end is None else act + dt.timedelta(days=end)
        expected.append(act + dt.timedelta(days=later) > _next_workday(_plus_years(since, 5 if harm else 2)))
    assert _violations("finding.time_barred", frame, AS_OF) == expected


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_DATES, st.integers(0, 25)), min_size=1, max_size=40))
def test_late_service_is_the_7th_working_day(cases):
    frame = pl.DataFrame(
        {"CF_JDRQ": [day for day, _ in cases], "SDRQ": [day + dt.timedelta(days=later) for day, later in cases]},
        schema={"CF_JDRQ": pl.Date, "SDRQ": pl.Date},
    )
    expected = [day + dt.timedelta(days=later) > _working_deadline(day, 7) for day, later in cases]
    assert _violations("finding.late_service", frame, AS_OF) == expected
