"""The 监督驾驶舱's dashboards as code: datasets, charts and dashboards written as Superset's import bundle
(`analytics/dashboards/`: metadata.yaml, databases/, datasets/, charts/, dashboards/).

The bundle is generated from the tables below (`uv run python -m zfjd.dashboard_bundle`) and committed;
a test fails when the committed files are stale. Every dataset carries `city_code` (row-level security of
the 市级 roles filters on it) and the data-quality ones `reporting_unit_id` (the 报送单位 role); every dataset
whose rows belong to a month carries `stat_month`, which each dashboard's 月份 picker filters. Figures are
computed exactly as the 通报 (zfjd/reports/monthly.py) computes them: counts summed over the rows the viewer
may see, rates recomputed from the summed counts, never averaged.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

import yaml

BUNDLE_DIR = Path(__file__).resolve().parent.parent / "analytics" / "dashboards"
NAMESPACE = uuid.UUID("5d1f5e52-6b1e-4f57-9d0c-7a3c2f1f0a15")
DATABASE_NAME = "执法监督主题库"
DATABASE_URI_PLACEHOLDER = "duckdb:///__ZFJD_PUBLISHED__"  # the instance's published copy, set on import
VERSION = "1.0.0"

LATEST_MONTH = "(select max(month_start) from marts.mart_indicators_province)"
# The month picker's column, in every dataset whose rows belong to a month ('YYYY-MM' text: a select filter's
# values compare as written, whatever the source column's type).
MONTH_COLUMN = "stat_month"
MONTH_FILTER_NAME = "月份"
CITY_NAME = "coalesce(region.division_name, '省直及未登记')"
REGION_JOIN = "left join marts.dim_region region on region.division_code = {table}.city_code " \
              "and region.division_level = 'city'"
OPEN_TOO_LONG_RULES = ("finding.case_open_too_long", "finding.seizure_overdue")  # as the 通报's 六


# What analysts read instead of column names (the data dictionary's Chinese names), in every dataset.
COLUMN_LABELS = {
    "city_code": "地级市代码", "city_name": "地级市", "month_start": "月份（首日）", MONTH_COLUMN: "月份",
    "entity_id": "执法主体代码",
    "entity_name": "执法主体", "unit_name": "报送单位", "reporting_unit_id": "报送单位代码",
    "enforcement_domain": "执法领域", "penalty_kind": "处罚种类", "finding_kind": "发现类型", "rule_id": "规则编号",
    "message": "说明", "record_number": "案件编号", "started_on": "立案/措施开始日期", "finding_date": "发现日期",
    "finding_month": "发现月份", "matter_kind_name": "事项类别", "report_year": "年度", "draw_month": "抽取月份",
    "case_number": "案件编号", "closing_date": "结案日期", "field_name": "字段", "record_kind": "数据类型",
    "legal_basis": "依据", "is_provisional": "暂定", "stratum_size": "可抽案卷数",
}


def _id(kind: str, name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{name}"))


@dataclass(frozen=True)
class Dataset:
    name: str  # the dataset's name in Superset (English, stable: RLS and tests refer to it)
    title: str
    sql: str
    unit_scoped: bool = False  # carries reporting_unit_id: the 报送单位 roles see their own rows of it

    @property
    def uuid(self) -> str:
        return _id("dataset", self.name)


DATASETS = {
    d.name: d
    for d in (
        Dataset(
            "zfjd_city_month", "各市每月执法指标",
            "select indicators.*, " + CITY_NAME + " as city_name,\n"
            f"    strftime(indicators.month_start, '%Y-%m') as {MONTH_COLUMN},\n"
            f"    indicators.month_start = {LATEST_MONTH} as is_latest_month,\n"
            f"    indicators.month_start > {LATEST_MONTH} - interval 12 month as is_last_12_months\n"
            "from marts.mart_indicators_by_city indicators\n" + REGION_JOIN.format(table="indicators"),
        ),
        Dataset(
            "zfjd_penalty_kind", "处罚种类（按主体每月）",
            "select kinds.*, entity.city_code, " + CITY_NAME + " as city_name,\n"
            f"    strftime(kinds.month_start, '%Y-%m') as {MONTH_COLUMN},\n"
            f"    kinds.month_start = {LATEST_MONTH} as is_latest_month\n"
            "from marts.mart_penalty_kind_counts kinds\n"
            "left join marts.dim_enforcement_entity entity on entity.entity_id = kinds.entity_id "
            "and entity.is_current\n" + REGION_JOIN.format(table="entity"),
        ),
        Dataset(
            "zfjd_finding", "监督发现（含案件下钻）",
            "select finding.finding_id, finding.rule_id, finding.record_kind, finding.record_id,\n"
            "    finding.entity_id, coalesce(entity.entity_name, finding.entity_id) as entity_name,\n"
            "    finding.city_code, " + CITY_NAME + " as city_name, finding.enforcement_domain,\n"
            "    finding.finding_date, finding.finding_month, finding.finding_source, finding.is_provisional,\n"
            f"    strftime(finding.finding_month, '%Y-%m') as {MONTH_COLUMN},\n"
            "    regexp_split_to_array(coalesce(rule.message, finding.message, finding.rule_id), '[：:]')[1]"
            " as finding_kind,\n"
            "    coalesce(rule.message, finding.message) as message, finding.legal_basis,\n"
            "    coalesce(penalty.case_number, coercion.coercion_number, split_part(finding.record_id, '|', 2))"
            " as record_number,\n"
            "    coalesce(penalty.filing_date, coercion.measure_start_date) as started_on,\n"
            f"    finding.rule_id in {OPEN_TOO_LONG_RULES!r} and finding.finding_source = 'recomputed'\n"
            f"        and finding.finding_date < {LATEST_MONTH} + interval 1 month as is_open_too_long,\n"
            f"    finding.finding_month = {LATEST_MONTH} as is_latest_month\n"
            "from marts.fct_finding finding\n"
            "left join reference.rule rule on rule.rule_id = finding.rule_id\n"
            "left join marts.dim_enforcement_entity entity on entity.entity_id = finding.entity_id "
            "and entity.is_current\n"
            "left join marts.fct_penalty_case penalty on finding.record_kind = 'penalty_case' "
            "and penalty.case_id = finding.record_id\n"
            "left join marts.fct_coercion_case coercion on finding.record_kind = 'coercion_case' "
            "and coercion.coercion_id = finding.record_id\n" + REGION_JOIN.format(table="finding"),
        ),
        Dataset(
            "zfjd_zero_enforcement", "零执法（整年）",
            "select zero.*, " + CITY_NAME + " as city_name,\n"
            "    zero.report_year = (select max(report_year) from marts.mart_zero_enforcement) as is_latest_year\n"
            "from marts.mart_zero_enforcement zero\n" + REGION_JOIN.format(table="zero"),
        ),
        Dataset(
            "zfjd_unit_quality", "报送单位数据质量（每月）",
            "select quality.*, coalesce(entity.entity_name, quality.reporting_unit_id) as unit_name,\n"
            "    entity.city_code, " + CITY_NAME + " as city_name,\n"
            f"    strftime(quality.month_start, '%Y-%m') as {MONTH_COLUMN},\n"
            f"    quality.month_start = {LATEST_MONTH} as is_latest_month\n"
            "from marts.mart_unit_data_quality quality\n"
            "left join marts.dim_enforcement_entity entity on entity.entity_id = quality.reporting_unit_id "
            "and entity.is_current\n" + REGION_JOIN.format(table="entity"),
            unit_scoped=True,
        ),
        Dataset(
            "zfjd_rejection", "拒收记录（按规则）",
            "select rejection.rejection_id, rejection.unit as reporting_unit_id, rejection.entity as record_kind,\n"
            "    rejection.rule as rule_id, rejection.field_name, rejection.message,\n"
            "    coalesce(entity.entity_name, rejection.unit) as unit_name, entity.city_code, "
            + CITY_NAME + " as city_name,\n"
            "    cast(date_trunc('month', batch.received_at) as date) as month_start\n"
            "from ops.ops_rejection rejection\n"
            "left join ops.ops_batch batch on batch.batch_id = rejection.batch_id\n"
            "left join marts.dim_enforcement_entity entity on entity.entity_id = rejection.unit "
            "and entity.is_current\n" + REGION_JOIN.format(table="entity"),
            unit_scoped=True,
        ),
        Dataset(
            "zfjd_review_sample", "随机抽查案卷",
            "select sample.*, coalesce(entity.entity_name, sample.entity_id) as entity_name,\n"
            "    coalesce(penalty.case_number, split_part(sample.case_id, '|', 2)) as case_number,\n"
            "    " + CITY_NAME + " as city_name, sample.draw_month as " + MONTH_COLUMN + ",\n"
            "    sample.draw_month = (select max(draw_month) from marts.mart_review_sample) as is_latest_draw\n"
            "from marts.mart_review_sample sample\n"
            "left join marts.fct_penalty_case penalty on penalty.case_id = sample.case_id\n"
            "left join marts.dim_enforcement_entity entity on entity.entity_id = sample.entity_id "
            "and entity.is_current\n" + REGION_JOIN.format(table="sample"),
        ),
    )
}


def metric(label: str, sql: str) -> dict:
    return {"expressionType": "SQL", "sqlExpression": sql, "label": label, "hasCustomLabel": True,
            "optionName": "metric_" + _id("metric", label + sql)[:8]}


def where(sql: str) -> dict:
    return {"expressionType": "SQL", "clause": "WHERE", "sqlExpression": sql,
            "filterOptionName": "filter_" + _id("filter", sql)[:8]}


def rate(label: str, numerator: str, denominator: str) -> dict:
    # the marts' safe_ratio: the rate of the summed counts, empty when nothing is due
    return metric(label, f"CAST(SUM({numerator}) AS DOUBLE) / NULLIF(SUM({denominator}), 0)")


PENALTIES = metric("处罚案件数", "SUM(penalty_case_count)")
FORFEITURE = metric("罚没金额（万元）", "SUM(forfeiture_amount_wan)")
INSPECTIONS = metric("行政检查数", "SUM(inspection_count)")
COERCIONS = metric("行政强制措施数", "SUM(coercion_measure_count)")
CERTIFICATION = rate("执法人员持证率", "certified_officer_count", "officer_count")
OVERDUE = rate("超期办案率", "overdue_case_count", "ordinary_procedure_count")
FINDINGS = metric("监督发现数", "COUNT(*)")
ACCURACY = rate("数据精准率", "accepted_count", "received_count")
TIMELINESS = rate("报送及时率", "on_time_version_count", "accepted_version_count")
REJECTIONS = metric("拒收记录数", "COUNT(*)")
DRAWN = metric("抽取案卷数", "COUNT(*)")
ZERO_BODIES = metric("零执法主体数", "COUNT(DISTINCT entity_id)")


@dataclass(frozen=True)
class Chart:
    key: str  # stable English key: file name and uuid
    title: str
    dataset: str
    viz_type: str
    params: dict
    width: int = 4
    height: int = 50

    @property
    def uuid(self) -> str:
        return _id("chart", self.key)


def big_number(key: str, title: str, dataset: str, measure: dict, filters: list[dict], *, percent=False) -> Chart:
    return Chart(key, title, dataset, "big_number_total", {
        "metric": measure, "adhoc_filters": filters, "header_font_size": 0.4, "subheader_font_size": 0.15,
        "y_axis_format": ".2%" if percent else ",.2f" if "amount" in measure["sqlExpression"] else ",d",
        "subheader": "",
    }, width=3, height=30)


def table(key: str, title: str, dataset: str, groupby: list[str], metrics: list[dict], filters: list[dict],
          *, width: int = 6, height: int = 60, percent_metrics: tuple[str, ...] = ()) -> Chart:
    return Chart(key, title, dataset, "table", {
        "query_mode": "aggregate", "groupby": groupby, "metrics": metrics, "adhoc_filters": filters,
        "timeseries_limit_metric": metrics[0], "order_desc": True, "row_limit": 1000, "server_pagination": False,
        "include_search": True, "table_timestamp_format": "%Y-%m-%d",
        "column_config": {label: {"d3NumberFormat": ".2%"} for label in percent_metrics},
    }, width=width, height=height)


def listing(key: str, title: str, dataset: str, columns: list[str], order_by: list[str], filters: list[dict],
            *, width: int = 12, height: int = 60) -> Chart:
    return Chart(key, title, dataset, "table", {
        "query_mode": "raw", "all_columns": columns, "order_by_cols": [f'["{c}", true]' for c in order_by],
        "adhoc_filters": filters, "row_limit": 1000, "server_pagination": False, "include_search": True,
        "table_timestamp_format": "%Y-%m-%d",
    }, width=width, height=height)


def bars(key: str, title: str, dataset: str, x_axis: str, metrics: list[dict], filters: list[dict],
         *, width: int = 6, height: int = 60) -> Chart:
    return Chart(key, title, dataset, "echarts_timeseries_bar", {
        "x_axis": x_axis, "metrics": metrics, "groupby": [], "adhoc_filters": filters, "row_limit": 1000,
        "x_axis_sort": metrics[0]["label"], "x_axis_sort_asc": False, "show_legend": True,
        "orientation": "vertical", "y_axis_format": "SMART_NUMBER", "show_value": True,
    }, width=width, height=height)


# "当月" is the month picked in the dashboard's month picker (a native filter on MONTH_COLUMN, the copy's latest
# month unless another is chosen): the per-month charts carry no month filter of their own.
PICKED: list[dict] = []

DASHBOARDS: dict[str, tuple[str, list[list[Chart]]]] = {
    "overview": ("全省概览", [
        [
            big_number("overview_penalties", "当月处罚案件数", "zfjd_city_month", PENALTIES, PICKED),
            big_number("overview_forfeiture", "当月罚没金额（万元）", "zfjd_city_month", FORFEITURE, PICKED),
            big_number("overview_inspections", "当月行政检查数", "zfjd_city_month", INSPECTIONS, PICKED),
            big_number("overview_certification", "当月执法人员持证率", "zfjd_city_month", CERTIFICATION, PICKED,
                       percent=True),
        ],
        [
            Chart("overview_trend", "近12个月趋势", "zfjd_city_month", "echarts_timeseries_line", {
                "x_axis": "month_start", "time_grain_sqla": "P1M", "metrics": [PENALTIES, INSPECTIONS, COERCIONS],
                "groupby": [], "adhoc_filters": [where("is_last_12_months")], "row_limit": 1000,
                "show_legend": True, "x_axis_time_format": "%Y-%m", "markerEnabled": True,
                "y_axis_format": "SMART_NUMBER",
            }, width=12, height=50),
        ],
        [
            table("overview_city_ranking", "各地级市排名（当月，按处罚案件数）", "zfjd_city_month", ["city_name"],
                  [PENALTIES, FORFEITURE, INSPECTIONS, CERTIFICATION, OVERDUE], PICKED, width=8,
                  percent_metrics=("执法人员持证率", "超期办案率")),
            Chart("overview_penalty_kinds", "处罚种类（当月）", "zfjd_penalty_kind", "pie", {
                "groupby": ["penalty_kind"], "metric": PENALTIES, "adhoc_filters": PICKED, "row_limit": 100,
                "show_labels": True, "labels_outside": True, "label_type": "key_value", "show_legend": True,
                "number_format": "SMART_NUMBER", "sort_by_metric": True,
            }, width=4, height=60),
        ],
    ]),
    "supervision": ("执法监督", [
        [
            big_number("supervision_findings", "当月监督发现数", "zfjd_finding", FINDINGS, PICKED),
            big_number("supervision_open_cases", "超期未结及逾期未解除（截至最新月末）", "zfjd_finding", FINDINGS,
                       [where("is_open_too_long")]),
            big_number("supervision_zero", "零执法主体数（最近完整年度）", "zfjd_zero_enforcement", ZERO_BODIES,
                       [where("is_latest_year")]),
        ],
        [
            bars("supervision_by_kind", "监督发现（当月，按类型）", "zfjd_finding", "finding_kind", [FINDINGS], PICKED),
            bars("supervision_by_city", "监督发现（当月，按地级市）", "zfjd_finding", "city_name", [FINDINGS], PICKED),
        ],
        [
            table("supervision_by_body", "监督发现（当月，按执法主体）", "zfjd_finding",
                  ["city_name", "entity_name", "finding_kind"], [FINDINGS], PICKED, width=12),
        ],
        [
            listing("supervision_open_alerts", "超期未结案件预警（截至最新月末）", "zfjd_finding",
                    ["city_name", "entity_name", "finding_kind", "record_number", "started_on", "finding_date"],
                    ["started_on"], [where("is_open_too_long")]),
        ],
        [
            table("supervision_zero_by_city", "零执法主体（最近完整年度，按地级市与类别）", "zfjd_zero_enforcement",
                  ["city_name", "matter_kind_name"], [ZERO_BODIES], [where("is_latest_year")], width=12),
        ],
    ]),
    "quality": ("数据报送质量", [
        [
            big_number("quality_accuracy", "当月数据精准率", "zfjd_unit_quality", ACCURACY, PICKED, percent=True),
            big_number("quality_timeliness", "当月报送及时率", "zfjd_unit_quality", TIMELINESS, PICKED, percent=True),
            big_number("quality_received", "当月报送记录数", "zfjd_unit_quality",
                       metric("报送记录数", "SUM(received_count)"), PICKED),
        ],
        [
            table("quality_by_city", "各地级市数据质量（当月）", "zfjd_unit_quality", ["city_name"],
                  [ACCURACY, TIMELINESS, metric("报送记录数", "SUM(received_count)"),
                   metric("拒收记录数", "SUM(rejected_count)")], PICKED, percent_metrics=("数据精准率", "报送及时率")),
            table("quality_by_unit", "各报送单位数据质量（当月）", "zfjd_unit_quality", ["city_name", "unit_name"],
                  [ACCURACY, TIMELINESS, metric("报送记录数", "SUM(received_count)"),
                   metric("拒收记录数", "SUM(rejected_count)")], PICKED, percent_metrics=("数据精准率", "报送及时率")),
        ],
        [
            bars("quality_rejections_by_rule", "拒收记录（按规则，全部批次）", "zfjd_rejection", "message",
                 [REJECTIONS], [], width=12),
        ],
    ]),
    "review": ("案卷评查", [
        [
            big_number("review_drawn", "当月抽取案卷数", "zfjd_review_sample", DRAWN, PICKED),
            big_number("review_entities", "抽取涉及执法主体数", "zfjd_review_sample",
                       metric("执法主体数", "COUNT(DISTINCT entity_id)"), PICKED),
            # the results as units report them back (评查案卷数 in the indicators); the pass rate is left
            # out while no result has come back, rather than a chart that says nothing
            big_number("review_reviewed", "已评查案卷数（当月）", "zfjd_city_month",
                       metric("已评查案卷数", "SUM(reviewed_file_count)"), PICKED),
        ],
        [
            table("review_strata", "当月抽取情况（按地级市与执法领域）", "zfjd_review_sample",
                  ["city_name", "enforcement_domain"], [DRAWN, metric("可抽案卷数", "MAX(stratum_size)")],
                  PICKED, width=12),
        ],
        [
            listing("review_cases", "当月抽取的案卷", "zfjd_review_sample",
                    ["draw_month", "city_name", "enforcement_domain", "entity_name", "case_number", "closing_date"],
                    ["city_name"], PICKED),
        ],
    ]),
}


# Each dashboard's month picker: the dataset its months are listed from (one every viewer of the dashboard may
# read) and the charts it leaves alone (not per month: the 12-month trend, the open cases as of the latest
# month's end, the year's 零执法, the rejections of every batch).
MONTH_PICKERS: dict[str, tuple[str, frozenset[str]]] = {
    "overview": ("zfjd_city_month", frozenset({"overview_trend"})),
    "supervision": ("zfjd_city_month", frozenset({"supervision_open_cases", "supervision_zero",
                                                  "supervision_open_alerts", "supervision_zero_by_city"})),
    "quality": ("zfjd_unit_quality", frozenset({"quality_rejections_by_rule"})),
    "review": ("zfjd_city_month", frozenset()),
}


def month_filter_id(dashboard_key: str) -> str:
    return f"NATIVE_FILTER-month-{dashboard_key}"


def month_picker(dashboard_key: str, chart_ids: dict[str, int]) -> dict:
    """Superset's native select filter: one month, required, the latest by default (the first of the months
    listed newest first). Its scope names charts by their ids in the bundle's position (meta.chartId), which
    the importer maps to the new ids; chartsInScope, which the front end reads, is not mapped on import and
    is written by analytics/setup_instance.py from the imported position."""
    dataset, left_alone = MONTH_PICKERS[dashboard_key]
    return {
        "id": month_filter_id(dashboard_key), "name": MONTH_FILTER_NAME, "filterType": "filter_select",
        "type": "NATIVE_FILTER", "description": "“当月”图表显示所选月份；默认为最新月份",
        "targets": [{"datasetUuid": DATASETS[dataset].uuid, "column": {"name": MONTH_COLUMN}}],
        "controlValues": {"enableEmptyFilter": True, "defaultToFirstItem": True, "multiSelect": False,
                          "searchAllOptions": False, "inverseSelection": False, "creatable": False,
                          "sortAscending": False},
        "defaultDataMask": {"extraFormData": {}, "filterState": {}, "ownState": {}},
        # what the filter editor writes for a "select first value" filter: the dashboard waits for the
        # picker's value before it asks for any chart (else the charts draw every month summed)
        "requiredFirst": True,
        "cascadeParentIds": [],
        "scope": {"rootPath": ["ROOT_ID"], "excluded": sorted(chart_ids[key] for key in left_alone)},
    }


@dataclass
class Bundle:
    files: dict[str, str] = field(default_factory=dict)

    def add(self, path: str, content: dict) -> None:
        self.files[path] = yaml.safe_dump(content, allow_unicode=True, sort_keys=False, width=120)


def build_bundle() -> dict[str, str]:
    """{path in the bundle: YAML text}."""
    bundle = Bundle()
    database_uuid = _id("database", DATABASE_NAME)
    bundle.add("metadata.yaml", {"version": VERSION, "type": "assets", "timestamp": "2025-01-01T00:00:00+00:00"})
    bundle.add("databases/zfjd.yaml", {
        "database_name": DATABASE_NAME, "sqlalchemy_uri": DATABASE_URI_PLACEHOLDER, "cache_timeout": None,
        "expose_in_sqllab": True, "allow_run_async": False, "allow_ctas": False, "allow_cvas": False,
        "allow_dml": False, "allow_file_upload": False,
        "extra": {
            # read_only: the analysts' copy is never written; each query opens the file anew (NullPool),
            # so a dashboard left open reads the copy the daily cycle swapped in.
            "engine_params": {"connect_args": {"read_only": True}},
            "metadata_params": {}, "schemas_allowed_for_file_upload": [], "allows_virtual_table_explore": True,
            "disable_data_preview": False,
        },
        "uuid": database_uuid, "version": VERSION,
    })
    for dataset in DATASETS.values():
        bundle.add(f"datasets/zfjd/{dataset.name}.yaml", {
            "table_name": dataset.name, "main_dttm_col": None, "description": dataset.title,
            "default_endpoint": None, "offset": 0, "cache_timeout": None, "schema": "marts", "sql": dataset.sql,
            "params": None, "template_params": None, "filter_select_enabled": True, "fetch_values_predicate": None,
            "extra": None, "normalize_columns": False, "always_filter_main_dttm": False,
            "uuid": dataset.uuid, "metrics": [], "columns": [], "version": VERSION, "database_uuid": database_uuid,
        })
    for key, (title, rows) in DASHBOARDS.items():
        position: dict = {
            "DASHBOARD_VERSION_KEY": "v2",
            "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
            "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": [], "parents": ["ROOT_ID"]},
            "HEADER_ID": {"id": "HEADER_ID", "type": "HEADER", "meta": {"text": title}},
        }
        chart_ids = {chart.key: number for number, chart in enumerate((c for row in rows for c in row), start=1)}
        for row_number, row in enumerate(rows, start=1):
            row_id = f"ROW-{key}-{row_number}"
            position["GRID_ID"]["children"].append(row_id)
            position[row_id] = {"type": "ROW", "id": row_id, "children": [], "parents": ["ROOT_ID", "GRID_ID"],
                                "meta": {"background": "BACKGROUND_TRANSPARENT"}}
            for chart in row:
                chart_id = f"CHART-{chart.key}"
                position[row_id]["children"].append(chart_id)
                position[chart_id] = {
                    "type": "CHART", "id": chart_id, "children": [], "parents": ["ROOT_ID", "GRID_ID", row_id],
                    "meta": {"chartId": chart_ids[chart.key], "uuid": chart.uuid, "sliceName": chart.title,
                             "width": chart.width, "height": chart.height},
                }
                dataset = DATASETS[chart.dataset]
                bundle.add(f"charts/{chart.key}.yaml", {
                    "slice_name": chart.title, "description": None, "certified_by": None,
                    "certification_details": None, "viz_type": chart.viz_type,
                    "params": {"viz_type": chart.viz_type, **chart.params}, "query_context": None,
                    "cache_timeout": None, "uuid": chart.uuid, "version": VERSION, "dataset_uuid": dataset.uuid,
                })
        bundle.add(f"dashboards/{key}.yaml", {
            "dashboard_title": title, "description": None, "css": "", "slug": f"zfjd-{key}",
            "certified_by": "", "certification_details": "", "published": True, "uuid": _id("dashboard", key),
            "position": position,
            "metadata": {"native_filter_configuration": [month_picker(key, chart_ids)],
                         "cross_filters_enabled": True, "color_scheme": "",
                         "refresh_frequency": 0, "expanded_slices": {}, "timed_refresh_immune_slices": [],
                         "shared_label_colors": [], "color_scheme_domain": []},
            "version": VERSION,
        })
    return bundle.files


def dashboard_charts() -> dict[str, list[Chart]]:
    """{dashboard slug: its charts}, for the tests and the docs."""
    return {f"zfjd-{key}": [chart for row in rows for chart in row] for key, (_, rows) in DASHBOARDS.items()}


LABELS_FILE = BUNDLE_DIR.parent / "column_labels.yaml"


def write_bundle(target: Path = BUNDLE_DIR) -> list[Path]:
    labels = yaml.safe_dump(COLUMN_LABELS, allow_unicode=True, sort_keys=True)
    if not LABELS_FILE.exists() or LABELS_FILE.read_text(encoding="utf-8") != labels:
        LABELS_FILE.write_text(labels, encoding="utf-8")
    written = []
    for relative, text in build_bundle().items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        written.append(path)
    for stale in sorted(target.rglob("*.yaml")):
        if stale not in written:
            stale.unlink()
    return written


if __name__ == "__main__":
    for path in write_bundle():
        print(path)
