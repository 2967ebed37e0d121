"""The 三库 extracts a unit checks against, and the columns they add to a chunk of records.

The province publishes the 执法主体, 执法人员 and 执法事项 libraries down to units as files in the
standard's own layout; a folder holding `enforcement_entity.csv` (or `执法主体.xlsx`, …) is a
reference. Joining a chunk against it adds boolean/number columns (named here) that the reference
and scope rules in quality/rules.py read.

An extract may hold several versions of a body or a card (one per 更新时间): validity is judged as of
the action's date from that history, never from today's 状态 alone (standard.md §4):
- a body was in force on a day when its version in force then — the latest recorded version whose
  生效日期 is on or before the day — has no 失效日期 before the day (a 撤销 version without a 失效日期
  ends the body when it was recorded);
- a card was valid on a day when its status then was 有效 — the status of the latest version recorded
  on or before the day (a status changes when it is recorded; before the first record, the first) — and
  the day lies in the 有效期 of the latest version whose 有效期起 is on or before it (a renewal or a
  correction of the dates); the card's 执法主体 on the day is that of its status version.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from quality.headers import map_headers
from quality.normalise import normalise
from quality.read import ROW, UnusableFile, open_table
from standards.model import Standard

ENTITY_KNOWN = "__entity_known"
ENTITY_ACTIVE = "__entity_active"
ENTITY_IN_FORCE_AT_DECISION = "__entity_in_force_at_decision"
# The 执法领域 of the body as recorded for the decision day (null: no 三库 given) — §8: a 市场监管 body does
# not publish a case whose only penalty is a 警告, so no 公示 deadline runs for it.
ENTITY_DOMAIN_AT_DECISION = "__entity_domain_at_decision"
IN_SCOPE = "__in_scope"
SUBMITTER_MATCHES = "__submitter_matches"
MATTER_KNOWN = "__matter_known"
MATTER_KIND_OK = "__matter_kind_ok"
MATTER_HELD = "__matter_held"
MATTER_FINE_MIN = "__matter_fine_min"
MATTER_FINE_MAX = "__matter_fine_max"
OFFICERS_UNKNOWN = "__officers_unknown"
OFFICERS_CARD_INVALID = "__officers_card_invalid"
OFFICERS_OF_OTHER_ENTITY = "__officers_of_other_entity"
OFFICER_ENTITY_KNOWN = "__officer_entity_known"
MATTER_BASIS_UNKNOWN = "__matter_basis_unknown"
MATTER_BASIS_NOT_IN_FORCE = "__matter_basis_not_in_force"
MATTER_BASIS = "__matter_basis"
CASE_BASIS_OUTSIDE_MATTER = "__case_basis_outside_matter"

REFERENCE_ENTITIES = ("enforcement_entity", "officer", "matter", "law", "law_article")
SUFFIXES = (".csv", ".xlsx")
# Which 事项类别 each kind of record must use, and which date a record is judged on.
MATTER_KIND_OF = {"penalty_case": "CF", "coercion_case": "QZ", "inspection": "JC"}
OFFICERS_FIELD_OF = {"penalty_case": "CBRY", "coercion_case": "CBRY", "inspection": "JCRY"}
ACTIVE_STATUS = "1"
VALID_CARD = "1"


@dataclass(frozen=True)
class Reference:
    """Normalised 三库 frames; any of them may be absent."""

    entities: pl.DataFrame | None = None
    officers: pl.DataFrame | None = None
    matters: pl.DataFrame | None = None
    # 法律法规库: a 事项's 设定依据 is checked against it (both frames are needed).
    laws: pl.DataFrame | None = None
    law_articles: pl.DataFrame | None = None
    # City instances reporting upward (§5: a city platform answers for every body of its city):
    # (member, relay) pairs — the bodies a relay may report for, and the 报送单位 whose records it forwards.
    relay_bodies: pl.DataFrame | None = None
    relay_senders: pl.DataFrame | None = None

    @property
    def is_empty(self) -> bool:
        return self.entities is None and self.officers is None and self.matters is None

    def scope_of(self, unit: str) -> set[str]:
        """The 执法主体 a 报送单位 answers for: itself and every body that names it as 报送单位."""
        scope = {unit}
        if self.entities is not None:
            answers = _answers_now(self.entities)
            scope.update(answers.filter(pl.col(_SENDER) == unit)[_BODY].to_list())
        if self.relay_bodies is not None:
            scope.update(self.relay_bodies.filter(pl.col(_SENDER) == unit)[_BODY].to_list())
        return scope

    def senders_for(self, unit: str) -> set[str]:
        """Whose records `unit` may forward (BSDWDM): itself; for a city relay also its city's units."""
        senders = {unit}
        if self.relay_senders is not None:
            senders.update(self.relay_senders.filter(pl.col(_SENDER) == unit)[_BODY].to_list())
        return senders

    def with_relays(self, relays: dict[str, str]) -> Reference:
        """This reference with city relays (`{relay unit: city code}`): each relay answers for every body
        whose current 行政区划代码 lies in its city, and forwards the records of every 报送单位 answering
        for one of them. Without the 执法主体库 (or relays) it is returned unchanged."""
        if not relays or self.entities is None or "XZQHDM" not in self.entities.columns:
            return self
        latest = self.entities.sort("GXSJ", nulls_last=False).unique(subset="TYSHXYDM", keep="last")
        bodies, senders = [], []
        for relay, city in sorted(relays.items()):
            in_city = latest.filter(pl.col("XZQHDM").str.starts_with(city[:4]))
            bodies += [(body, relay) for body in in_city["TYSHXYDM"].drop_nulls().unique().sort()]
            members = set(in_city["BSDWDM"].drop_nulls()) | set(in_city["TYSHXYDM"].drop_nulls())
            senders += [(member, relay) for member in sorted(members)]
        schema = {_BODY: pl.String, _SENDER: pl.String}
        return Reference(
            self.entities, self.officers, self.matters, self.laws, self.law_articles,
            relay_bodies=pl.DataFrame(bodies, schema=schema, orient="row"),
            relay_senders=pl.DataFrame(senders, schema=schema, orient="row"),
        )


_BODY, _SENDER = "__scope_body", "__scope_sender"


def _answers_now(entities: pl.DataFrame) -> pl.DataFrame:
    """(body, 报送单位 answering for it now): who answers for a body is named by its latest version."""
    latest = entities.sort("GXSJ", nulls_last=False).unique(subset="TYSHXYDM", keep="last")
    return latest.select(pl.col("TYSHXYDM").alias(_BODY), pl.col("BSDWDM").alias(_SENDER)).drop_nulls(_BODY)


def load_reference(folder: Path | None, standard: Standard) -> Reference:
    if folder is None:
        return Reference()
    folder = Path(folder)
    if not folder.is_dir():
        raise UnusableFile(f"三库目录不存在：{folder}")
    frames = {}
    for entity_code in REFERENCE_ENTITIES:
        entity = standard.entity(entity_code)
        path = _find(folder, (entity.code, entity.name))
        if path is None:
            continue
        source = open_table(path, sheet_hint=(entity.name, entity.code))
        header_map = map_headers(source.headers, entity, standard)
        chunks = [
            normalise(chunk.select([*header_map.columns, ROW]).rename(header_map.columns), entity, standard)
            for chunk in source.chunks()
        ]
        frames[entity_code] = pl.concat(chunks) if chunks else None
    return Reference(
        frames.get("enforcement_entity"), frames.get("officer"), frames.get("matter"),
        frames.get("law"), frames.get("law_article"),
    )


def _find(folder: Path, stems: tuple[str, ...]) -> Path | None:
    for stem in stems:
        for suffix in SUFFIXES:
            candidate = folder / f"{stem}{suffix}"
            if candidate.is_file():
                return candidate
    return None


def judged_on(entity_code: str, as_of: dt.date) -> pl.Expr:
    """The date a record is checked against the 三库 on (whether bodies, matters, cards were valid)."""
    today = pl.lit(as_of)
    if entity_code == "penalty_case":
        return pl.coalesce(pl.col("CF_JDRQ"), pl.col("LARQ"), today)
    if entity_code == "coercion_case":
        return pl.coalesce(pl.col("JDRQ"), today)
    if entity_code == "inspection":
        return pl.coalesce(pl.col("JCRQ"), today)
    return today


def _valid_on(day: pl.Expr, start: str, end: str) -> pl.Expr:
    return (pl.col(start) <= day).fill_null(False) & (pl.col(end).is_null() | (day <= pl.col(end)))


def enrich(
    frame: pl.DataFrame, entity_code: str, reference: Reference, unit: str | None, as_of: dt.date
) -> pl.DataFrame:
    """Adds the reference/scope columns the entity's rules need (absent reference → column absent)."""
    columns = set(frame.columns)
    if entity_code == "penalty_case":
        frame = frame.with_columns(pl.lit(None, pl.String).alias(ENTITY_DOMAIN_AT_DECISION))
    if unit is not None and "BSDWDM" in columns:
        senders = sorted(reference.senders_for(unit))
        frame = frame.with_columns(pl.col("BSDWDM").is_in(senders).fill_null(True).alias(SUBMITTER_MATCHES))
    if reference.entities is not None and "ZTDM" in columns:
        frame = _join_entity(frame, entity_code, reference.entities, as_of)
        if unit is not None:
            scope = sorted(reference.scope_of(unit))
            frame = frame.with_columns((pl.col("ZTDM").is_in(scope) | pl.col("ZTDM").is_null()).alias(IN_SCOPE))
    if entity_code == "officer" and reference.entities is not None:
        known = reference.entities["TYSHXYDM"].drop_nulls().unique()
        frame = frame.with_columns(pl.col("SSZTDM").is_in(known.implode()).alias(OFFICER_ENTITY_KNOWN))
        if unit is not None:
            scope = sorted(reference.scope_of(unit))
            frame = frame.with_columns((pl.col("SSZTDM").is_in(scope) | pl.col("SSZTDM").is_null()).alias(IN_SCOPE))
    if reference.matters is not None and entity_code in MATTER_KIND_OF:
        frame = _join_matter(frame, entity_code, reference.matters, as_of)
    if reference.officers is not None and entity_code in OFFICERS_FIELD_OF:
        frame = _join_officers(frame, entity_code, reference.officers, as_of)
    if entity_code == "penalty_case" and reference.laws is not None and MATTER_BASIS in frame.columns:
        frame = _case_basis_outside_matter(frame, reference.laws)
    if entity_code == "matter" and reference.laws is not None and reference.law_articles is not None:
        frame = _join_legal_basis(frame, reference.laws, reference.law_articles, as_of)
    return frame


def enrich_as_sent(
    frame: pl.DataFrame, entity_code: str, reference: Reference, senders: pl.Series, as_of: dt.date
) -> pl.DataFrame:
    """`enrich` for rows sent by several units (`senders`: each row's 报送单位), in one pass: the 三库
    joins do not depend on who sent a row, only the scope columns do, and those are one join against
    (body, unit answering for it) instead of one `enrich` per unit. Same columns, in the same order,
    with the same values as `enrich(rows of one unit, …, unit, …)` gives for each unit's rows."""
    if senders.null_count():
        raise ValueError("every row needs its sender (rows without one are validated without scope)")
    columns = set(frame.columns)
    enriched = enrich(frame, entity_code, reference, None, as_of).with_columns(senders.alias(_SENDER))
    if "BSDWDM" in columns:
        enriched = enriched.with_columns((pl.col("BSDWDM") == pl.col(_SENDER)).fill_null(True).alias(SUBMITTER_MATCHES))
        if reference.relay_senders is not None:
            forwarded = enriched.select(pl.col("BSDWDM").alias(_BODY), _SENDER).join(
                reference.relay_senders.unique().with_columns(pl.lit(True).alias("__forwarded")),
                on=[_BODY, _SENDER], how="left", maintain_order="left",
            )["__forwarded"].fill_null(False)
            enriched = enriched.with_columns((pl.col(SUBMITTER_MATCHES) | pl.lit(forwarded)).alias(SUBMITTER_MATCHES))
    scoped = "ZTDM" if "ZTDM" in columns else "SSZTDM" if entity_code == "officer" else None
    if reference.entities is not None and scoped is not None:
        answers = _answers_now(reference.entities)
        if reference.relay_bodies is not None:
            answers = pl.concat([answers, reference.relay_bodies])
        answers = answers.unique().with_columns(pl.lit(True).alias(IN_SCOPE))
        answered = enriched.select(pl.col(scoped).alias(_BODY), _SENDER).join(
            answers, on=[_BODY, _SENDER], how="left", maintain_order="left"
        )[IN_SCOPE]
        own = pl.col(scoped) == pl.col(_SENDER)
        enriched = enriched.with_columns(
            (own | pl.lit(answered).fill_null(False) | pl.col(scoped).is_null()).fill_null(False).alias(IN_SCOPE)
        )
    # The column order `enrich` gives one unit (worked out on no rows: cheap).
    order = enrich(frame.clear(), entity_code, reference, senders[0], as_of).columns
    return enriched.select(order)


def _recorded(column: str = "GXSJ") -> pl.Expr:
    """The day a version was recorded; a version without one counts as the oldest."""
    return pl.col(column).dt.date().fill_null(dt.date.min)


def _entity_versions(entities: pl.DataFrame) -> pl.DataFrame:
    """Each version of a body with the last day it was in force (null: still in force)."""
    ended_unrecorded = pl.when(pl.col("ZT") != ACTIVE_STATUS).then(_recorded().dt.offset_by("-1d"))
    return entities.select(
        pl.col("TYSHXYDM").alias("ZTDM"),
        pl.col("SXRQ").alias("__start"),
        pl.coalesce(pl.col("SHXRQ"), ended_unrecorded).alias("__last"),
        _recorded().alias("__recorded"),
    ).filter(pl.col("ZTDM").is_not_null())


def _entity_in_force(frame: pl.DataFrame, day: pl.Expr, versions: pl.DataFrame) -> pl.Series:
    """Per row of `frame`: whether its body was in force on `day`, by the body's history (worked out
    once per body and day: a chunk has far fewer of those than rows)."""
    cases = frame.select("ZTDM", day.alias("__day"))
    in_force = (
        cases.unique()
        .join(versions, on="ZTDM", how="inner")
        .filter(pl.col("__start") <= pl.col("__day"))
        .group_by("ZTDM", "__day")
        .agg(pl.col("__last").sort_by("__recorded").last())
        .select("ZTDM", "__day", (pl.col("__last").is_null() | (pl.col("__day") <= pl.col("__last"))).alias("__in"))
    )
    joined = cases.join(in_force, on=["ZTDM", "__day"], how="left", maintain_order="left", nulls_equal=False)
    return joined["__in"].fill_null(False)


def _join_entity(frame: pl.DataFrame, entity_code: str, entities: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    versions = _entity_versions(entities)
    known = versions["ZTDM"].unique().implode()
    if entity_code == "penalty_case":
        day = pl.coalesce(pl.col("LARQ"), pl.col("CF_JDRQ"), pl.lit(as_of))
    else:
        day = judged_on(entity_code, as_of)
    frame = frame.with_columns(
        pl.col("ZTDM").is_in(known).fill_null(False).alias(ENTITY_KNOWN),
        _entity_in_force(frame, day, versions).alias(ENTITY_ACTIVE),
    )
    if entity_code == "penalty_case":
        decided = pl.coalesce(pl.col("CF_JDRQ"), pl.col("LARQ"), pl.lit(as_of))
        frame = frame.with_columns(
            _entity_in_force(frame, decided, versions).alias(ENTITY_IN_FORCE_AT_DECISION),
            _entity_domain(frame, decided, entities).alias(ENTITY_DOMAIN_AT_DECISION),
        )
    return frame


def _entity_domain(frame: pl.DataFrame, day: pl.Expr, entities: pl.DataFrame) -> pl.Series:
    """Per row: the body's 执法领域 in its latest version that had started by `day` (else its earliest
    version), worked out once per body and day."""
    versions = entities.select(
        pl.col("TYSHXYDM").alias("ZTDM"), pl.col("SXRQ").alias("__start"), _recorded().alias("__recorded"),
        pl.col("ZFLY").alias("__domain"),
    ).filter(pl.col("ZTDM").is_not_null())
    cases = frame.select("ZTDM", day.alias("__day"))
    candidates = cases.unique().join(versions, on="ZTDM", how="inner")
    started = (pl.col("__start") <= pl.col("__day")).fill_null(False)
    domain = candidates.group_by("ZTDM", "__day").agg(
        pl.when(started.any())
        .then(pl.col("__domain").filter(started).sort_by(pl.col("__recorded").filter(started)).last())
        .otherwise(pl.col("__domain").sort_by("__start").first())
        .alias("__domain")
    )
    joined = cases.join(domain, on=["ZTDM", "__day"], how="left", maintain_order="left", nulls_equal=False)
    return joined["__domain"]


def _join_matter(frame: pl.DataFrame, entity_code: str, matters: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    versions = matters.select(
        "SXBM",
        "BBH",
        "SXLB",
        "SSZTDM",
        "FKXX",
        "FKSX",
        "SDYJ",
        pl.col("ZT").alias("__m_status"),
        pl.col("SXRQ").alias("__m_start"),
        pl.col("SHXRQ").alias("__m_end"),
    )
    cases = frame.select(ROW, "SXBM", "ZTDM", judged_on(entity_code, as_of).alias("__day"))
    valid = (
        cases.join(versions, on="SXBM", how="inner")
        .filter((pl.col("__m_status") == ACTIVE_STATUS) & _valid_on(pl.col("__day"), "__m_start", "__m_end"))
        .sort(ROW, "BBH", descending=[False, True])
        .group_by(ROW, maintain_order=True)
        .first()
        .select(
            ROW,
            pl.lit(True).alias(MATTER_KNOWN),
            (pl.col("SXLB") == MATTER_KIND_OF[entity_code]).alias(MATTER_KIND_OK),
            pl.col("SSZTDM").list.contains(pl.col("ZTDM")).fill_null(False).alias(MATTER_HELD),
            pl.col("FKXX").alias(MATTER_FINE_MIN),
            pl.col("FKSX").alias(MATTER_FINE_MAX),
            pl.col("SDYJ").alias(MATTER_BASIS),
        )
    )
    return frame.join(valid, on=ROW, how="left", maintain_order="left").with_columns(
        pl.col(MATTER_KNOWN).fill_null(False),
        pl.col(MATTER_KIND_OK).fill_null(False),
        pl.col(MATTER_HELD).fill_null(False),
    )


def _join_officers(frame: pl.DataFrame, entity_code: str, officers: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    cards = officers.select(
        pl.col("ZFZH").alias("__card"),
        pl.col("ZJZT").alias("__card_status"),
        pl.col("YXQQ").alias("__card_from"),
        pl.col("YXQZ").alias("__card_to"),
        pl.col("SSZTDM").alias("__card_body"),
        _recorded().alias("__recorded"),
    ).filter(pl.col("__card").is_not_null())
    listed = OFFICERS_FIELD_OF[entity_code]
    day = pl.col("__day")
    recorded_by_then = pl.col("__recorded") <= day
    # The status version: the latest recorded by the day, else the first recorded.
    status_order = pl.when(recorded_by_then).then(pl.col("__recorded").cast(pl.Int64) + 10**7).otherwise(
        -pl.col("__recorded").cast(pl.Int64)
    )
    started = (pl.col("__card_from") <= day).fill_null(False)
    listed_cards = (
        frame.select(ROW, pl.col(listed).alias("__card"), pl.col("ZTDM"), judged_on(entity_code, as_of).alias("__day"))
        .explode("__card")
        .filter(pl.col("__card").is_not_null())
    )
    # Each card's state is worked out once per day it is used on, then joined back to the rows.
    card_days = (
        listed_cards.select("__card", "__day")
        .unique()
        .join(cards, on="__card", how="left")
        .group_by("__card", "__day")
        .agg(
            pl.col("__card_status").sort_by(status_order).last(),
            pl.col("__card_body").sort_by(status_order).last(),
            pl.col("__card_to").filter(started).sort_by(pl.col("__recorded").filter(started)).last(),
            pl.col("__recorded").is_not_null().any().alias("__known"),
        )
    )
    per_card = listed_cards.join(card_days, on=["__card", "__day"], how="left", nulls_equal=True)
    per_officer = (
        per_card.with_columns(
            (~pl.col("__known")).alias("__unknown"),
            (
                pl.col("__known")
                & ~(
                    (pl.col("__card_status") == VALID_CARD)
                    & (pl.col("__card_to").is_null() | (day <= pl.col("__card_to")))
                    & pl.col("__card_to").is_not_null()
                ).fill_null(False)
            ).alias("__invalid"),
            (pl.col("__known") & (pl.col("__card_body") != pl.col("ZTDM")).fill_null(False)).alias("__other"),
        )
        .group_by(ROW)
        .agg(
            pl.col("__unknown").any().alias(OFFICERS_UNKNOWN),
            pl.col("__invalid").any().alias(OFFICERS_CARD_INVALID),
            pl.col("__other").any().alias(OFFICERS_OF_OTHER_ENTITY),
        )
    )
    flags = (OFFICERS_UNKNOWN, OFFICERS_CARD_INVALID, OFFICERS_OF_OTHER_ENTITY)
    return frame.join(per_officer, on=ROW, how="left", maintain_order="left").with_columns(
        pl.col(flag).fill_null(False) for flag in flags
    )


def _join_legal_basis(
    frame: pl.DataFrame, laws: pl.DataFrame, articles: pl.DataFrame, as_of: dt.date
) -> pl.DataFrame:
    """Each 设定依据 item (`法规编号:条款号`) of a 事项 against the 法律法规库's latest versions: unknown when
    the article is not listed; not in force when its law takes effect after the 事项 does, or is no longer
    in force (失效日期: the first day it is not) on the day the 事项 is judged — today, or its own 失效日期
    when the 事项 has one before today. A malformed item is a rejection of its own, not judged here."""
    latest_laws = laws.sort("GXSJ", nulls_last=False).unique(subset="FGBH", keep="last").select(
        pl.col("FGBH").alias("__law"), pl.col("SSRQ").alias("__law_start"), pl.col("SXRQ").alias("__law_end")
    )
    listed = articles.select(pl.col("FGBH").alias("__law"), pl.col("TKH").alias("__article")).unique().with_columns(
        pl.lit(True).alias("__listed")
    )
    judged = pl.min_horizontal(pl.lit(as_of), pl.coalesce(pl.col("SHXRQ"), pl.lit(as_of)))
    items = (
        frame.select(ROW, "SXRQ", judged.alias("__day"), pl.col("SDYJ").alias("__item"))
        .explode("__item")
        .filter(pl.col("__item").str.contains(r"^[^:]+:[^:]+$"))
        .with_columns(
            pl.col("__item").str.split_exact(":", 1).struct.rename_fields(["__law", "__article"]).alias("__parts")
        )
        .unnest("__parts")
        .with_columns(pl.col("__law").str.strip_chars(), pl.col("__article").str.strip_chars())
        .join(latest_laws, on="__law", how="left")
        .join(listed, on=["__law", "__article"], how="left")
    )
    per_matter = items.group_by(ROW).agg(
        pl.col("__listed").is_null().any().alias(MATTER_BASIS_UNKNOWN),
        (
            pl.col("__listed").is_not_null()
            & ((pl.col("__law_start") > pl.col("SXRQ")) | (pl.col("__law_end") <= pl.col("__day"))).fill_null(False)
        )
        .any()
        .alias(MATTER_BASIS_NOT_IN_FORCE),
    )
    flags = (MATTER_BASIS_UNKNOWN, MATTER_BASIS_NOT_IN_FORCE)
    return frame.join(per_matter, on=ROW, how="left", maintain_order="left").with_columns(
        pl.col(flag).fill_null(False) for flag in flags
    )


NUMBERED_ARTICLE = r"第[零〇一二三四五六七八九十百千]+条"
_PRC = "中华人民共和国"


def _case_basis_outside_matter(frame: pl.DataFrame, laws: pl.DataFrame) -> pl.DataFrame:
    """`_case_basis_outside_matter_by_row`, judged once per distinct (处罚依据, the 事项's listed bases): the
    answer depends on nothing else, and a file's cases cite a few texts many times (splitting every row's
    text was a tenth of a million-row file's validation)."""
    pairs = (
        frame.select("CF_YJ", MATTER_BASIS)
        .unique()
        .with_row_index(ROW)
        .with_columns(pl.col(ROW).cast(pl.Int64))
    )
    judged = _case_basis_outside_matter_by_row(pairs, laws).drop(ROW)
    return frame.join(judged, on=["CF_YJ", MATTER_BASIS], how="left", nulls_equal=True, maintain_order="left")


def _case_basis_outside_matter_by_row(frame: pl.DataFrame, laws: pl.DataFrame) -> pl.DataFrame:
    """Whether a case's 处罚依据 cites an article (《法规名称》第某条, the title as in the 法律法规库, with or
    without 中华人民共和国) of a law its 事项's 设定依据 names, but not an article the 事项 lists — compared at
    the 条 (a 事项 listing 第十条第二款 covers a citation of 第十条). Citations of other laws (the 行政处罚法's
    general articles on 从轻、减轻 …) and text naming no article are not judged."""
    titles = (
        laws.sort("GXSJ", nulls_last=False)
        .unique(subset="FGBH", keep="last")
        .select(pl.col("FGMC").str.strip_prefix(_PRC).alias("__title"), pl.col("FGBH").alias("__law"))
        .drop_nulls()
        .unique(subset="__title", keep="first")
    )
    cited = (
        frame.select(ROW, pl.col("CF_YJ").str.split("《").alias("__segment"))
        .explode("__segment")
        .filter(pl.col("__segment").str.contains("》"))
        .with_columns(pl.col("__segment").str.split_exact("》", 1).struct.rename_fields(["__title", "__rest"]))
        .unnest("__segment")
        .with_columns(
            pl.col("__title").str.strip_chars().str.strip_prefix(_PRC),
            pl.col("__rest").str.extract_all(NUMBERED_ARTICLE).alias("__article"),
        )
        .explode("__article")
        .drop_nulls("__article")
        .join(titles, on="__title", how="inner")
        .select(ROW, "__law", "__article")
    )
    listed = (
        frame.select(ROW, pl.col(MATTER_BASIS).alias("__item"))
        .explode("__item")
        .filter(pl.col("__item").str.contains(r"^[^:]+:[^:]+$"))
        .with_columns(pl.col("__item").str.split_exact(":", 1).struct.rename_fields(["__law", "__listed"]))
        .unnest("__item")
        .select(
            ROW,
            pl.col("__law").str.strip_chars(),
            pl.col("__listed").str.strip_chars().str.extract(f"^({NUMBERED_ARTICLE})").alias("__article"),
        )
    )
    named_laws = listed.select(ROW, "__law").unique().with_columns(pl.lit(True).alias("__named"))
    listed_articles = listed.drop_nulls("__article").unique().with_columns(pl.lit(True).alias("__listed"))
    outside = (
        cited.join(named_laws, on=[ROW, "__law"], how="inner")
        .join(listed_articles, on=[ROW, "__law", "__article"], how="left")
        .group_by(ROW)
        .agg(pl.col("__listed").is_null().any().alias(CASE_BASIS_OUTSIDE_MATTER))
    )
    return frame.join(outside, on=ROW, how="left", maintain_order="left").with_columns(
        pl.col(CASE_BASIS_OUTSIDE_MATTER).fill_null(False)
    )


def required_columns(rule_id: str) -> tuple[str, ...]:
    """The enrichment columns a reference/scope rule reads; the rule is skipped when one is absent."""
    return _RULE_COLUMNS.get(rule_id, ())


_RULE_COLUMNS = {
    "scope.submitter": (SUBMITTER_MATCHES,),
    "scope.out_of_scope": (IN_SCOPE,),
    "scope.officer_out_of_scope": (IN_SCOPE,),
    "reference.entity_unknown": (ENTITY_KNOWN,),
    "reference.entity_inactive": (ENTITY_KNOWN, ENTITY_ACTIVE),
    "reference.matter_unknown": (MATTER_KNOWN,),
    "reference.matter_wrong_kind": (MATTER_KNOWN, MATTER_KIND_OK),
    "reference.matter_not_held": (MATTER_KNOWN, MATTER_HELD),
    "reference.officer_unknown": (OFFICERS_UNKNOWN,),
    "reference.officer_entity_unknown": (OFFICER_ENTITY_KNOWN,),
    "finding.officer_without_valid_card": (OFFICERS_CARD_INVALID,),
    "finding.officer_of_other_entity": (OFFICERS_OF_OTHER_ENTITY,),
    "finding.entity_not_in_force": (ENTITY_ACTIVE, ENTITY_IN_FORCE_AT_DECISION),
    "finding.fine_out_of_range": (MATTER_FINE_MIN, MATTER_FINE_MAX),
    "finding.matter_basis_unknown": (MATTER_BASIS_UNKNOWN,),
    "finding.matter_basis_not_in_force": (MATTER_BASIS_NOT_IN_FORCE,),
    "finding.case_basis_not_in_matter": (CASE_BASIS_OUTSIDE_MATTER,),
}
