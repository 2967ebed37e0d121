"""Each rule of the catalogue with a failing case and a passing (near-miss) case.

Every case validates two records in one file: record 1 carries the change that must break the rule,
record 2 the change that must not. Both start from a record that is clean on its own (checked first).
"""

from __future__ import annotations

import pytest
from build_samples import BODY_A, BODY_B, BODY_C, BODY_D, COMPANY, PERSON, UNKNOWN_BODY, broken_check
from support import CLEAN, findings_by_row, rules_by_row, validate_rules_pair

from quality.rules import FIELD_RULES, ROW_RULES, implemented_rule_ids
from standards.loader import standard

ORGANISATION_TO_PERSON = {"行政相对人类别": "自然人", "统一社会信用代码": "", "法定代表人": "", "证件类型": "身份证", "证件号码": PERSON}
SIMPLE = {"程序类型": "简易程序", "立案日期": ""}
BODY_D_CASE = {"执法主体代码": BODY_D, "处罚机关统一社会信用代码": BODY_D, "立案日期": "2023-11-01", "违法行为发生日期": "2023-10-20"}

# (entity, rule, failing change, passing change)
CASES = [
    ("penalty_case", "field.required", {"行政相对人名称": " "}, {"行政相对人名称": "某公司"}),
    ("penalty_case", "field.max_length", {"案件编号": "A" * 65}, {"案件编号": "A" * 64}),
    ("penalty_case", "field.uscc", {"执法主体代码": broken_check(BODY_A)}, {"执法主体代码": BODY_A.lower()}),
    ("penalty_case", "field.date", {"处罚决定日期": "2024-02-30"}, {"处罚决定日期": "2024.4.15"}),
    ("penalty_case", "field.date", {"处罚决定日期": "15/04/2024"}, {"处罚决定日期": "45397"}),
    ("penalty_case", "field.datetime", {"更新时间": "2024-05-10 25:00:00"}, {"更新时间": "2024/5/10 9:30"}),
    ("penalty_case", "field.decimal", {"罚款金额（万元）": "-0.5"}, {"罚款金额（万元）": "0.50"}),
    ("penalty_case", "field.decimal", {"罚款金额（万元）": "5,000"}, {"罚款金额（万元）": "０.５"}),
    ("penalty_case", "field.decimal", {"罚款金额（万元）": "5."}, {"罚款金额（万元）": ".5"}),
    ("penalty_case", "field.yn", {"是否重大执法决定": "是的"}, {"是否重大执法决定": "否"}),
    ("penalty_case", "field.code", {"程序类型": "3"}, {"程序类型": "普通程序"}),
    ("penalty_case", "field.code", {"处罚类别": "罚款;罚金"}, {"处罚类别": "罚款、警告"}),
    ("penalty_case", "field.code", {"证件类型": "军官证"}, {"证件类型": "其他-军官证"}),
    ("penalty_case", "field.not_future", {"更新时间": "2025-07-01 00:00:00"}, {"更新时间": "2025-06-30 23:59:59"}),
    ("officer", "field.ric", {"身份证号": broken_check(PERSON)}, {"身份证号": PERSON.lower()}),
    ("enforcement_entity", "field.division", {"行政区划代码": "110105"}, {"行政区划代码": "440106"}),
    ("matter", "field.integer", {"版本号": "0"}, {"版本号": "2"}),
    ("matter", "field.uscc", {"实施主体代码": f"{BODY_A};123"}, {"实施主体代码": f"{BODY_A}；{BODY_B}"}),
    ("penalty_case", "counterparty.credit_code_required", {"统一社会信用代码": ""}, {"统一社会信用代码": COMPANY}),
    ("penalty_case", "counterparty.registration_number_required",
     {"行政相对人类别": "个体工商户", "统一社会信用代码": "00000000000000000X", "法定代表人": "", "工商注册号": ""},
     {"行政相对人类别": "个体工商户", "统一社会信用代码": "00000000000000000X", "法定代表人": "", "工商注册号": "4401066001"}),
    ("penalty_case", "counterparty.placeholder_only_for_sole_trader", {"统一社会信用代码": "00000000000000000X"},
     {"行政相对人类别": "个体工商户", "统一社会信用代码": "00000000000000000X", "工商注册号": "4401066001"}),
    ("penalty_case", "counterparty.legal_representative_required", {"法定代表人": ""},
     {**ORGANISATION_TO_PERSON}),
    ("penalty_case", "counterparty.id_document_required", {**ORGANISATION_TO_PERSON, "证件号码": ""},
     {**ORGANISATION_TO_PERSON}),
    ("penalty_case", "counterparty.id_number_invalid", {**ORGANISATION_TO_PERSON, "证件号码": broken_check(PERSON)},
     {**ORGANISATION_TO_PERSON, "证件类型": "护照号", "证件号码": "E12345678"}),
    ("penalty_case", "penalty.filing_date_required", {"立案日期": ""}, {**SIMPLE, "罚款金额（万元）": "0.02"}),
    ("penalty_case", "penalty.decision_fields_required", {"处罚决定日期": ""},
     {"案件状态": "调查中", "处罚决定日期": "", "行政处罚决定书文号": "", "处罚类别": "", "处罚内容": "", "处罚依据": "",
      "处罚有效期": "", "罚款金额（万元）": "", "送达日期": "", "缴款日期": "", "结案日期": "", "公示日期": ""}),
    ("penalty_case", "penalty.fine_amount_missing", {"罚款金额（万元）": "0"}, {"罚款金额（万元）": "0.0001"}),
    ("penalty_case", "penalty.fine_amount_without_fine", {"处罚类别": "警告"}, {"处罚类别": "警告", "罚款金额（万元）": "0"}),
    ("penalty_case", "penalty.confiscation_amount_missing", {"处罚类别": "罚款;没收违法所得"},
     {"处罚类别": "罚款;没收违法所得", "没收违法所得、没收非法财物的金额（万元）": "0.3"}),
    ("penalty_case", "penalty.license_missing", {"处罚类别": "罚款;吊销许可证件"},
     {"处罚类别": "罚款;吊销许可证件", "暂扣或吊销证照名称及编号": "食品经营许可证 JY14401060012345"}),
    ("penalty_case", "penalty.decision_before_filing", {"立案日期": "2024-04-16"}, {"立案日期": "2024-04-15"}),
    ("penalty_case", "penalty.validity_before_decision", {"处罚有效期": "2024-04-14"}, {"处罚有效期": "2024-04-15"}),
    ("penalty_case", "penalty.publicity_end_before_decision", {"公示截止期": "2024-04-14"}, {"公示截止期": "2024-04-15"}),
    # standard.md §4 (corrected): a review dated after the decision is the finding 未经法制审核, not a reject.
    ("penalty_case", "penalty.publicity_before_decision", {"公示日期": "2024-04-14"}, {"公示日期": "2024-04-15"}),
    ("penalty_case", "penalty.act_after_filing", {"违法行为发生日期": "2024-03-02"}, {"违法行为发生日期": "2024-03-01"}),
    ("penalty_case", "penalty.act_after_decision", {**SIMPLE, "罚款金额（万元）": "0.02", "违法行为发生日期": "2024-04-16"},
     {**SIMPLE, "罚款金额（万元）": "0.02", "违法行为发生日期": "2024-04-15"}),
    ("penalty_case", "penalty.act_end_before_start", {"违法行为终了日期": "2024-02-19"}, {"违法行为终了日期": "2024-02-20"}),
    ("penalty_case", "penalty.review_result_date_required", {"复议诉讼结果": "维持", "复议诉讼结果日期": ""},
     {"复议诉讼结果": "维持", "复议诉讼结果日期": "2024-06-01"}),
    ("penalty_case", "penalty.review_result_before_decision", {"复议诉讼结果": "1", "复议诉讼结果日期": "2024-04-14"},
     {"复议诉讼结果": "1", "复议诉讼结果日期": "2024-04-15"}),
    ("penalty_case", "penalty.withdrawal_before_publicity", {"撤回公示日期": "2024-04-18"}, {"撤回公示日期": "2024-04-19"}),
    ("penalty_case", "penalty.service_before_decision", {"送达日期": "2024-04-14"}, {"送达日期": "2024-04-15"}),
    ("penalty_case", "penalty.payment_before_decision", {"缴款日期": "2024-04-14"}, {"缴款日期": "2024-04-15"}),
    ("penalty_case", "penalty.closing_date_required", {"结案日期": ""}, {"结案日期": "", "案件状态": "执行中"}),
    ("penalty_case", "penalty.closing_before_other_dates", {"结案日期": "2024-04-29"}, {"结案日期": "2024-04-30"}),
    ("penalty_case", "penalty.authority_code_mismatch", {"处罚机关统一社会信用代码": BODY_B},
     {"处罚机关统一社会信用代码": BODY_A.lower()}),
    ("coercion_case", "coercion.method_type_mismatch", {"强制类型": "强制执行"}, {"强制类型": "1"}),
    ("coercion_case", "coercion.start_date_required", {"措施起始日期": "", "解除日期": ""},
     {"强制方式": "限制公民人身自由", "措施起始日期": "", "措施期限届满日期": "", "解除日期": ""}),
    ("coercion_case", "coercion.expiry_date_required", {"措施期限届满日期": ""}, {"措施期限届满日期": "2024-04-02"}),
    ("coercion_case", "coercion.extension_date_required", {"是否延长": "Y"}, {"是否延长": "Y", "延长至": "2024-05-02"}),
    ("coercion_case", "coercion.start_before_decision", {"措施起始日期": "2024-03-03"}, {"措施起始日期": "2024-03-04"}),
    ("coercion_case", "coercion.expiry_before_start", {"措施期限届满日期": "2024-03-03"}, {"措施期限届满日期": "2024-03-04"}),
    ("coercion_case", "coercion.extension_before_expiry", {"是否延长": "Y", "延长至": "2024-04-01"},
     {"是否延长": "Y", "延长至": "2024-04-02"}),
    ("coercion_case", "coercion.release_before_start", {"解除日期": "2024-03-03"}, {"解除日期": "2024-03-04"}),
    ("inspection", "inspection.linked_case_required", {"检查结果": "立案查处"},
     {"检查结果": "立案查处", "关联案件编号": "TH-SJ-2024-0001"}),
    ("enforcement_entity", "entity.level_mismatch", {"层级": "2"}, {"层级": "县(区)"}),
    ("enforcement_entity", "entity.end_before_start", {"失效日期": "2018-12-31"}, {"失效日期": "2019-01-01"}),
    ("officer", "officer.card_end_before_start", {"证件有效期止": "2022-12-31"}, {"证件有效期止": "2023-01-01"}),
    ("officer", "reference.officer_entity_unknown", {"所属执法主体代码": UNKNOWN_BODY}, {"所属执法主体代码": BODY_B}),
    ("officer", "scope.officer_out_of_scope", {"所属执法主体代码": BODY_C}, {"所属执法主体代码": BODY_B}),
    ("matter", "matter.fine_range_inverted", {"罚款上限（元）": "999"}, {"罚款上限（元）": "1000"}),
    ("matter", "matter.legal_basis_format", {"设定依据": "FG-0201 第十三条"}, {"设定依据": "FG-0201：第十三条;FL-1:第2条"}),
    ("review_result", "review.veto_grade_mismatch", {"否决项": "程序违法"}, {"否决项": "程序违法", "评查等级": "不合格"}),
    ("review_result", "review.score_out_of_range", {"内容得分": "80.5"}, {"内容得分": "80"}),
    ("inspection", "scope.out_of_scope", {"执法主体代码": "11440104MB9J0K1L2B"}, {"执法主体代码": BODY_A}),
    ("inspection", "reference.matter_wrong_kind", {"事项编码": "CF-SCJG-0001"}, {"事项编码": "JC-SCJG-0001"}),
    ("coercion_case", "reference.matter_not_held", {"执法主体代码": BODY_B}, {"执法主体代码": BODY_A}),
    ("inspection", "reference.officer_unknown", {"检查人员执法证号": "GD-TH-0001;GD-TH-9999"},
     {"检查人员执法证号": "GD-TH-0001；GD-TH-0006"}),
    ("enforcement_entity", "scope.submitter", {"报送单位代码": BODY_A}, {"报送单位代码": "11440106MB2C3D4E5D"}),
    ("license", "license.credit_code_required", {"统一社会信用代码": ""},
     {"行政相对人类别": "自然人", "统一社会信用代码": "", "法定代表人": "", "证件类型": "身份证", "证件号码": PERSON}),
    ("license", "license.legal_representative_required", {"法定代表人": ""},
     {"行政相对人类别": "个体工商户", "法定代表人": ""}),
    ("license", "license.id_document_required",
     {"行政相对人类别": "自然人", "统一社会信用代码": "", "法定代表人": "", "证件类型": "身份证", "证件号码": ""},
     {"行政相对人类别": "自然人", "统一社会信用代码": "", "法定代表人": "", "证件类型": "护照号", "证件号码": "E12345678"}),
    ("license", "license.validity_before_decision", {"有效期自": "2024-04-14"}, {"有效期自": "2024-04-16"}),
    ("license", "license.validity_end_before_start", {"有效期至": "2024-04-14"}, {"有效期至": "2099/12/31"}),
]

TRANSFERRED = {"是否移送司法机关": "Y", "移送日期": "2024-04-01", "接收机关": "广州市公安局"}
CASES += [
    ("penalty_case", "penalty.transfer_result_date_required", {**TRANSFERRED, "公安立案结果": "立案"},
     {**TRANSFERRED, "公安立案结果": "审查中"}),
    ("penalty_case", "penalty.transfer_result_before_transfer",
     {**TRANSFERRED, "公安立案结果": "不予立案", "立案结果日期": "2024-03-31"},
     {**TRANSFERRED, "公安立案结果": "不予立案", "立案结果日期": "2024-04-01"}),
]

# (entity, finding, failing change, passing change)
FINDINGS = [
    # Transferred Thu 26 Sep 2024: the 3rd day is Sun 29 Sep, a 调休 working day, so a decision on Mon 30 Sep
    # is late (移送规定 Art 8); transferred Sat 28 Sep: the 3rd day is 1 Oct (国庆), moved on to Tue 8 Oct.
    ("penalty_case", "finding.late_police_filing_decision",
     {**TRANSFERRED, "移送日期": "2024-09-26", "公安立案结果": "立案", "立案结果日期": "2024-09-30"},
     {**TRANSFERRED, "移送日期": "2024-09-26", "公安立案结果": "立案", "立案结果日期": "2024-09-29"}),
    ("penalty_case", "finding.late_police_filing_decision",
     {**TRANSFERRED, "移送日期": "2024-09-28", "公安立案结果": "立案", "立案结果日期": "2024-10-09"},
     {**TRANSFERRED, "移送日期": "2024-09-28", "公安立案结果": "立案", "立案结果日期": "2024-10-08"}),
    # The 事项 CF-SCJG-0001 lists 产品质量法 第四十九条 only: another article of that law is outside it; the
    # 行政处罚法 (not the 事项's law) is not judged, and a 款 of the listed 条 is the 条.
    ("penalty_case", "finding.case_basis_not_in_matter", {"处罚依据": "依据《中华人民共和国产品质量法》第四十九条、第五十条"},
     {"处罚依据": "依据《产品质量法》第四十九条第一款、《中华人民共和国行政处罚法》第三十二条"}),
    # 设定依据 against the sample's 法律法规库 (samples/reference/law.csv, law_article.csv).
    ("matter", "finding.matter_basis_unknown", {"设定依据": "FG-0201:第十三条;FG-0201:第九百条"},
     {"设定依据": "FG-0201:第十三条;FL-0001:第四十九条"}),
    ("matter", "finding.matter_basis_not_in_force", {"设定依据": "FL-0009:第四十条"}, {"设定依据": "FG-0201:第十三条"}),
    # A 事项 that itself ended before the 食品卫生法 was repealed cited it lawfully.
    ("matter", "finding.matter_basis_not_in_force", {"设定依据": "FL-0009:第四十条", "生效日期": "2005-01-01",
     "失效日期": "2009-06-01"}, {"设定依据": "FL-0009:第四十条", "生效日期": "2005-01-01", "失效日期": "2009-05-31"}),
    # Decided Mon 15 Apr 2024. Filed 13 Jan: the 90th day is Fri 12 Apr, so the 15th is late; filed 14 Jan:
    # the 90th day is Sat 13 Apr, which moves on (顺延) to Mon 15 Apr: in time.
    ("penalty_case", "finding.overdue_handling", {"立案日期": "2024-01-13", "违法行为发生日期": "2023-12-20"},
     {"立案日期": "2024-01-14", "违法行为发生日期": "2023-12-20"}),
    ("penalty_case", "finding.overdue_handling",
     {"立案日期": "2024-01-13", "违法行为发生日期": "2023-12-20", "延长办案期限至": "2024-04-14"},
     {"立案日期": "2024-01-13", "违法行为发生日期": "2023-12-20", "延长办案期限至": "2024-04-15"}),
    ("penalty_case", "finding.too_few_officers", {"承办执法人员执法证号": "GD-TH-0001;GD-TH-0001"},
     {"承办执法人员执法证号": "GD-TH-0001;GD-TH-0003"}),
    ("coercion_case", "finding.too_few_officers_coercion", {"承办执法人员执法证号": "GD-TH-0002"},
     {"承办执法人员执法证号": "GD-TH-0002;GD-TH-0003"}),
    ("inspection", "finding.too_few_inspectors", {"检查人员执法证号": "GD-TH-0001"},
     {"检查人员执法证号": "GD-TH-0001;GD-TH-0002"}),
    ("inspection", "finding.officer_without_valid_card", {"检查人员执法证号": "GD-TH-0001;GD-TH-0004"},
     {"检查人员执法证号": "GD-TH-0001;GD-TH-0004", "检查日期": "2024-01-31"}),
    # GD-TH-0006 holds a card of 天河区城市管理和综合执法局 (BODY_B), not of BODY_A.
    ("inspection", "finding.officer_of_other_entity", {"检查人员执法证号": "GD-TH-0001;GD-TH-0006"},
     {"检查人员执法证号": "GD-TH-0001;GD-TH-0003"}),
    # BODY_D was in force 2015-01-01 – 2023-12-31: a case filed in 2023 and decided in 2024 (Art 38).
    ("penalty_case", "finding.entity_not_in_force", {**BODY_D_CASE, "处罚决定日期": "2024-01-02"},
     {**BODY_D_CASE, "处罚决定日期": "2023-12-29"}),
    ("penalty_case", "finding.summary_procedure_exceeded", {**SIMPLE, "罚款金额（万元）": "0.3001"},
     {**SIMPLE, "罚款金额（万元）": "0.3"}),
    ("penalty_case", "finding.summary_procedure_exceeded",
     {**SIMPLE, **ORGANISATION_TO_PERSON, "罚款金额（万元）": "0.0201"},
     {**SIMPLE, **ORGANISATION_TO_PERSON, "罚款金额（万元）": "0.02"}),
    ("penalty_case", "finding.summary_procedure_exceeded", {**SIMPLE, "处罚类别": "罚款;没收违法所得",
     "罚款金额（万元）": "0.02", "没收违法所得、没收非法财物的金额（万元）": "0.01"},
     {**SIMPLE, "处罚类别": "警告;罚款", "罚款金额（万元）": "0.02"}),
    ("penalty_case", "finding.missing_legal_review", {"是否听证": "是"}, {"是否听证": "是", "法制审核日期": "2024-04-12"}),
    ("penalty_case", "finding.missing_legal_review", {"是否重大执法决定": "Y", "法制审核日期": "2024-04-16"},
     {"是否重大执法决定": "Y", "法制审核日期": "2024-04-15"}),
    ("penalty_case", "finding.fine_out_of_range", {"罚款金额（万元）": "0.0499"}, {"罚款金额（万元）": "0.05"}),
    # Decided Mon 15 Apr 2024: the 7th working day is Wed 24 Apr (Art 85: 七日 are working days).
    ("penalty_case", "finding.late_service", {"送达日期": "2024-04-25"}, {"送达日期": "2024-04-24"}),
    ("penalty_case", "finding.time_barred", {"违法行为发生日期": "2022-02-28"}, {"违法行为发生日期": "2022-03-01"}),
    ("penalty_case", "finding.time_barred", {"违法行为发生日期": "2019-02-28", "是否有危害后果": "Y"},
     {"违法行为发生日期": "2019-03-01", "是否有危害后果": "Y"}),
    ("penalty_case", "finding.time_barred", {"违法行为发生日期": "2021-01-01", "违法行为终了日期": "2022-02-28"},
     {"违法行为发生日期": "2021-01-01", "违法行为终了日期": "2022-03-01"}),
    # Filed Mon 4 Mar 2024: two years from 2 Mar 2022 end on Sat 2 Mar 2024, moved on (顺延) to Mon 4 Mar.
    ("penalty_case", "finding.time_barred", {"立案日期": "2024-03-04", "违法行为发生日期": "2022-03-01"},
     {"立案日期": "2024-03-04", "违法行为发生日期": "2022-03-02"}),
    # Decided Fri 27 Sep 2024: Sun 29 and Mon 30 Sep (调休) count, 1–7 Oct is 国庆, so the 7th working day
    # is Sat 12 Oct (调休 again); 14 Oct is late.
    ("penalty_case", "finding.late_publicity",
     {"立案日期": "2024-08-01", "处罚决定日期": "2024-09-27", "送达日期": "2024-09-29", "公示日期": "2024-10-14",
      "缴款日期": "2024-10-15", "结案日期": "2024-10-20", "处罚有效期": "2025-09-27"},
     {"立案日期": "2024-08-01", "处罚决定日期": "2024-09-27", "送达日期": "2024-09-29", "公示日期": "2024-10-12",
      "缴款日期": "2024-10-15", "结案日期": "2024-10-20", "处罚有效期": "2025-09-27"}),
    ("penalty_case", "finding.late_publicity", {"公示日期": ""}, {"公示日期": "2024-04-24"}),
    # Published 19 Apr 2024; revoked on 复议 Mon 3 Jun: withdraw by the 3rd working day, Thu 6 Jun.
    ("penalty_case", "finding.late_withdrawal",
     {"复议诉讼结果": "撤销", "复议诉讼结果日期": "2024-06-03", "撤回公示日期": "2024-06-07"},
     {"复议诉讼结果": "撤销", "复议诉讼结果日期": "2024-06-03", "撤回公示日期": "2024-06-06"}),
    ("penalty_case", "finding.late_withdrawal", {"复议诉讼结果": "变更", "复议诉讼结果日期": "2024-06-03", "撤回公示日期": ""},
     {"复议诉讼结果": "维持", "复议诉讼结果日期": "2024-06-03", "撤回公示日期": ""}),
    ("penalty_case", "finding.late_withdrawal",
     {"案件状态": "已撤销", "更新时间": "2024-06-03 10:00:00", "撤回公示日期": "2024-06-07"},
     {"案件状态": "已撤销", "更新时间": "2024-06-03 10:00:00", "撤回公示日期": "2024-06-06"}),
    ("penalty_case", "finding.fine_collection_not_separated", {"收缴方式": "当场收缴"}, {"收缴方式": "指定银行或电子支付"}),
    ("penalty_case", "finding.fine_collection_not_separated",
     {**SIMPLE, "罚款金额（万元）": "0.015", "收缴方式": "当场收缴"}, {**SIMPLE, "罚款金额（万元）": "0.01", "收缴方式": "当场收缴"}),
    ("penalty_case", "finding.fine_collection_not_separated",
     {**SIMPLE, "罚款金额（万元）": "0.015", "收缴方式": "当场收缴", "备注": "城区"},
     {**SIMPLE, "罚款金额（万元）": "0.015", "收缴方式": "当场收缴", "备注": "水上执法，当场收缴"}),
    # Seized Mon 4 Mar 2024 until Tue 2 Apr: released after the end of the period is overdue (§4).
    ("coercion_case", "finding.seizure_overdue", {"解除日期": "2024-04-03"}, {"解除日期": "2024-04-02"}),
    # The first period may run to day 30 (Wed 3 Apr), not longer.
    ("coercion_case", "finding.seizure_overdue", {"措施期限届满日期": "2024-04-04"}, {"措施期限届满日期": "2024-04-03"}),
    # Seized 7 Mar: day 30 is Sat 6 Apr, 顺延 to Sun 7 Apr (a 调休 working day after 清明).
    ("coercion_case", "finding.seizure_overdue",
     {"决定日期": "2024-03-07", "措施起始日期": "2024-03-07", "措施期限届满日期": "2024-04-08", "解除日期": "2024-04-01"},
     {"决定日期": "2024-03-07", "措施起始日期": "2024-03-07", "措施期限届满日期": "2024-04-07", "解除日期": "2024-04-01"}),
    ("coercion_case", "finding.seizure_overdue", {"是否延长": "Y", "延长至": "2024-05-02", "解除日期": "2024-05-03"},
     {"是否延长": "Y", "延长至": "2024-05-02", "解除日期": "2024-05-02"}),
    # Extended from Tue 2 Apr: 30 more days end Thu 2 May, in 劳动节, so on Mon 6 May (顺延).
    ("coercion_case", "finding.seizure_overdue", {"是否延长": "Y", "延长至": "2024-05-07", "解除日期": "2024-05-01"},
     {"是否延长": "Y", "延长至": "2024-05-06", "解除日期": "2024-05-01"}),
    # 冻结 never released (nor decided) long after its 30 days.
    ("coercion_case", "finding.seizure_overdue", {"强制方式": "冻结存款汇款", "解除日期": ""},
     {"强制方式": "冻结存款汇款", "解除日期": "2024-04-02"}),
    ("penalty_case", "finding.case_open_too_long",
     {"案件状态": "调查中", "立案日期": "2025-03-29", "处罚决定日期": "", "行政处罚决定书文号": "", "处罚类别": "",
      "处罚内容": "", "处罚依据": "", "处罚有效期": "", "罚款金额（万元）": "", "送达日期": "", "缴款日期": "",
      "结案日期": "", "公示日期": "", "违法行为发生日期": "2025-03-01"},
     {"案件状态": "调查中", "立案日期": "2025-03-30", "处罚决定日期": "", "行政处罚决定书文号": "", "处罚类别": "",
      "处罚内容": "", "处罚依据": "", "处罚有效期": "", "罚款金额（万元）": "", "送达日期": "", "缴款日期": "",
      "结案日期": "", "公示日期": "", "违法行为发生日期": "2025-03-01"}),
]


@pytest.mark.parametrize("entity", sorted(CLEAN))
def test_clean_records_are_clean(tmp_path, entity):
    result = validate_rules_pair(tmp_path, entity, {}, {})
    assert result.rejected == 0, result.errors
    assert result.findings.is_empty(), result.findings


@pytest.mark.parametrize(("entity", "rule", "failing", "passing"), CASES, ids=[f"{c[1]}-{i}" for i, c in enumerate(CASES)])
def test_reject_rule(tmp_path, entity, rule, failing, passing):
    rejected = rules_by_row(validate_rules_pair(tmp_path, entity, failing, passing))
    assert rule in rejected.get(1, set()), f"record 1 should break {rule}; got {rejected.get(1)}"
    assert rule not in rejected.get(2, set()), f"record 2 should pass {rule}; got {rejected.get(2)}"


@pytest.mark.parametrize(
    ("entity", "rule", "failing", "passing"), FINDINGS, ids=[f"{c[1]}-{i}" for i, c in enumerate(FINDINGS)]
)
def test_finding(tmp_path, entity, rule, failing, passing):
    result = validate_rules_pair(tmp_path, entity, failing, passing)
    assert result.rejected == 0, f"findings are recorded on accepted records: {result.errors}"
    found = findings_by_row(result)
    assert rule in found.get(1, set()), f"record 1 should show {rule}; got {found.get(1)}"
    assert rule not in found.get(2, set()), f"record 2 should not show {rule}; got {found.get(2)}"


def test_every_rule_of_the_catalogue_is_implemented_and_nothing_else():
    catalogue = {rule.id for rule in standard().rules.values() if rule.kind != "batch"}
    assert catalogue == implemented_rule_ids(standard())


def test_python_implementations_are_only_for_what_the_language_does_not_state():
    spec = standard()
    assert not set(ROW_RULES) & set(spec.checks), "a rule with a check must not also be registered in Python"
    for rule_id in ROW_RULES:
        rule = spec.rules[rule_id]
        assert rule.kind in ("scope", "reference") or rule_id in spec.engine_specific, rule_id
    assert set(spec.engine_specific) <= set(ROW_RULES)
    assert {rule.id for rule in spec.rules.values() if rule.kind == "field"} == set(FIELD_RULES)


def test_every_reject_and_finding_rule_has_a_case_here_or_in_the_sample():
    import yaml
    from support import SAMPLES

    expected = yaml.safe_load((SAMPLES / "expected.yaml").read_text(encoding="utf-8"))
    shown = {rule for _, rule, _, _ in CASES + FINDINGS}
    for expect in expected["rows"].values():
        shown.update(expect.get("reject", []) + expect.get("findings", []))
    batch_tests = {"batch.unique_conflict", "record.malformed"}  # tests/quality/test_batch.py
    batch_tests.add("batch.unusable")  # a landed batch that cannot be read at all: tests/quality/test_lake.py
    assert set(standard().rules) - shown - batch_tests == set()


def test_a_year_without_holiday_data_is_counted_with_weekends_and_said_so(tmp_path):
    late_2027 = {"立案日期": "2026-12-01", "处罚决定日期": "2026-12-28", "送达日期": "2026-12-29", "公示日期": "2027-01-08",
                 "缴款日期": "2027-01-08", "结案日期": "2027-01-10", "处罚有效期": "2027-12-28", "违法行为发生日期": "2026-11-01",
                 "更新时间": "2027-01-10 09:00:00"}
    on_time = {**late_2027, "公示日期": "2027-01-06"}
    import datetime as dt

    result = validate_rules_pair(tmp_path, "penalty_case", late_2027, on_time, as_of=dt.date(2027, 1, 31))
    # Mon 28 Dec 2026 + 7 working days with 2027 unknown to the calendar: 29, 30, 31 Dec, then Fri 1 Jan
    # (元旦, but unknown, so counted as a weekday), Mon 4, Tue 5, Wed 6 Jan: the deadline is 6 Jan.
    assert "finding.late_publicity" in findings_by_row(result).get(1, set())
    assert "finding.late_publicity" not in findings_by_row(result).get(2, set())
    assert any("2027" in note and "节假日" in note for note in result.notes)
