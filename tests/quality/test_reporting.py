"""The two ways of listing failures (outcome columns, or pandera's own failure cases) agree exactly."""

from __future__ import annotations

import sys

import pytest
from support import AS_OF, REFERENCE, ROOT, SAMPLES, UNIT

from quality.engine import validate_file


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from make_penalty_file import make

    return make(3_000, tmp_path_factory.mktemp("reporting") / "penalty.csv", seed=11)


@pytest.mark.parametrize("which", ["sample", "generated"])
def test_outcome_reporting_equals_pandera_reporting(which, generated):
    path = SAMPLES / "penalty_case.csv" if which == "sample" else generated
    results = [
        validate_file(path, "penalty_case", unit=UNIT, reference=REFERENCE, as_of=AS_OF, chunk_rows=1_000,
                      reporting=reporting)
        for reporting in ("outcomes", "pandera")
    ]
    by_outcomes, by_pandera = results
    assert by_outcomes.errors.height > 0 and by_outcomes.findings.height > 0
    assert by_outcomes.errors.equals(by_pandera.errors)
    assert by_outcomes.findings.equals(by_pandera.findings)
    assert (by_outcomes.accepted, by_outcomes.rejected) == (by_pandera.accepted, by_pandera.rejected)


def test_an_unknown_reporting_is_refused():
    with pytest.raises(ValueError, match="reporting"):
        validate_file(SAMPLES / "penalty_case.csv", "penalty_case", reporting="magic")


@pytest.mark.parametrize("breach", ["none", "wrong dtype", "missing field"])
def test_the_plain_polars_contract_check_gives_pandera_s_verdict(breach):
    import pandera.errors
    import polars as pl

    from quality.context import RuleContext
    from quality.normalise import typed_schema
    from quality.schema import build_schema, contract_breaches
    from quality.workdays import WorkdayCalendar
    from standards.loader import standard

    spec = standard()
    ctx = RuleContext(spec.entity("penalty_case"), spec, AS_OF, WorkdayCalendar(spec.holidays))
    frame = pl.DataFrame(schema={**typed_schema(ctx.entity), "__extra": pl.String})  # not strict: extras pass
    if breach == "wrong dtype":
        frame = frame.with_columns(pl.col("CF_JDRQ").cast(pl.String))
    elif breach == "missing field":
        frame = frame.drop("CF_JDRQ")
    try:
        build_schema(ctx, []).validate(frame, lazy=True)
        pandera_holds = True
    except pandera.errors.SchemaErrors:
        pandera_holds = False
    breaches = contract_breaches(ctx, frame.schema)
    assert pandera_holds == (breach == "none")
    assert (breaches == []) == pandera_holds
    assert all("CF_JDRQ" in text for text in breaches)
