"""Rules over a whole file: repeated keys, reused 决定书文号, and conservation under random defects."""

from __future__ import annotations

import random

from build_samples import BODY_B, clean_case
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import clean_inspection, rules_by_row, validate_rows


def test_rows_sharing_a_key_with_different_content_are_all_rejected(tmp_path):
    first, second, third = clean_inspection(1), clean_inspection(1), clean_inspection(2)
    second["检查结果"] = "责令改正"
    result = validate_rows(tmp_path, "inspection", [first, second, third])
    assert rules_by_row(result) == {1: {"batch.key_conflict"}, 2: {"batch.key_conflict"}}


def test_exact_repeats_are_no_conflict_and_each_is_accepted(tmp_path):
    # §4 rejects the same key twice with *different* content; a repeat supersedes the record with itself.
    record = clean_inspection(1)
    respelled = dict(record, 检查日期="2024/5/20")  # the same record, another spelling of the same date
    changed = dict(clean_inspection(2), 检查结果="责令改正")
    result = validate_rows(tmp_path, "inspection", [record, dict(record), respelled, clean_inspection(2), changed])
    assert rules_by_row(result) == {4: {"batch.key_conflict"}, 5: {"batch.key_conflict"}}
    assert result.accepted == 3 and result.rejected == 2


def test_one_decision_number_on_two_cases_of_one_body_rejects_both(tmp_path):
    first, second, other_body = clean_case(1), clean_case(2), clean_case(3)
    second["行政处罚决定书文号"] = first["行政处罚决定书文号"]
    other_body["行政处罚决定书文号"] = first["行政处罚决定书文号"]
    other_body.update(执法主体代码=BODY_B, 处罚机关统一社会信用代码=BODY_B, 事项编码="CF-CGZF-0002",
                      **{"罚款金额（万元）": "0.02"}, 承办执法人员执法证号="GD-TH-0006;GD-TH-0001")
    result = validate_rows(tmp_path, "penalty_case", [first, second, other_body])
    rejected = rules_by_row(result)
    assert rejected[1] == {"batch.unique_conflict"} and rejected[2] == {"batch.unique_conflict"}
    assert "batch.unique_conflict" not in rejected.get(3, set())


DEFECTS = [
    {"检查编号": ""}, {"检查日期": "2024-02-30"}, {"检查方式": "抽查"}, {"执法主体代码": "123"},
    {"检查人员执法证号": "GD-XX-0000"}, {"检查结果": "立案查处"}, {"更新时间": "2099-01-01"},
    {"检查人员执法证号": "GD-TH-0001"}, {"检查日期": "20240520"}, {"检查对象名称": "  "},
]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), size=st.integers(1, 60))
def test_every_received_row_ends_accepted_or_rejected(tmp_path_factory, seed, size):
    """Conservation: received = accepted + rejected, and the rejected rows are exactly those with errors."""
    rng = random.Random(seed)
    rows = []
    for number in range(1, size + 1):
        record = clean_inspection(number)
        if rng.random() < 0.4:
            record.update(rng.choice(DEFECTS))
        if rows and rng.random() < 0.1:
            record = dict(rng.choice(rows))  # an exact repeat
        if rows and rng.random() < 0.05:
            record = dict(rng.choice(rows), 检查结果="责令改正")  # same key, other content
        rows.append(record)
    result = validate_rows(tmp_path_factory.mktemp("batch"), "inspection", rows)
    assert result.received == size
    assert result.accepted + result.rejected == result.received
    assert set(rules_by_row(result)) == set(result.errors["row"].to_list())
    assert len(set(rules_by_row(result))) == result.rejected
    assert set(result.findings["row"].to_list()).isdisjoint(rules_by_row(result))
    assert all(1 <= row <= size for row in result.errors["row"].to_list())


def test_accepted_and_rejected_rows_are_written_out_with_nothing_lost(tmp_path):
    import polars as pl
    from support import AS_OF, REFERENCE, UNIT, write_rows

    from quality.engine import validate_file

    rows = [clean_inspection(i) for i in range(1, 6)]
    rows[1]["检查日期"] = "2024-02-30"
    path = write_rows(tmp_path / "in.csv", rows)
    text = path.read_text(encoding="utf-8").splitlines()
    text[4] += ",多余"  # data row 4 is malformed
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    result = validate_file(path, "inspection", unit=UNIT, reference=REFERENCE, as_of=AS_OF, output_dir=tmp_path / "out")
    accepted = pl.read_parquet(result.accepted_path)
    rejected = pl.read_parquet(result.rejected_path)
    assert accepted["__row"].to_list() == [1, 3, 5]
    assert accepted.schema["JCRQ"] == pl.Date
    assert rejected["__row"].to_list() == [2, 4]
    assert rejected["JCRQ"].to_list()[0] == "2024-02-30"  # exactly as received
    assert rejected["__malformed_text"].to_list()[1].endswith(",多余")
    assert accepted.height + rejected.height == result.received == 5
