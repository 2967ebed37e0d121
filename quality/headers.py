"""Maps a file's header row to the standard's field codes (Chinese names or codes, any order)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from quality.read import UnusableFile
from standards.model import Entity, Standard


def _fold(header: str) -> str:
    """Compares headers the way a person reads them: width, case, spaces and brackets don't matter."""
    text = unicodedata.normalize("NFKC", header).replace("\ufeff", "")
    return "".join(text.split()).upper()


@dataclass(frozen=True)
class HeaderMap:
    """file header → field code, for the headers that name a field of the entity."""

    columns: dict[str, str]

    @property
    def present(self) -> set[str]:
        return set(self.columns.values())


def map_headers(headers: list[str], entity: Entity, standard: Standard) -> HeaderMap:
    spellings = {}
    for spec_field in entity.fields:
        spellings[_fold(spec_field.code)] = spec_field.code
        spellings[_fold(spec_field.name)] = spec_field.code
    columns: dict[str, str] = {}
    unknown: list[str] = []
    for header in headers:
        code = spellings.get(_fold(header))
        if code is None:
            if _fold(header):
                unknown.append(header)
            continue
        if code in columns.values():
            raise UnusableFile(f"表头中「{header}」与另一列都对应字段 {entity.field(code).label}，请删除重复的列")
        columns[header] = code
    if unknown:
        raise UnusableFile(_unknown_columns_message(unknown, headers, entity, standard))
    missing = [f.label for f in entity.fields if f.required and f.code not in columns.values()]
    if missing:
        raise UnusableFile(f"缺少{entity.name}的必填列：{'、'.join(missing)}")
    return HeaderMap(columns)


def _unknown_columns_message(unknown: list[str], headers: list[str], entity: Entity, standard: Standard) -> str:
    """Says which entity the file looks like when it is not the one asked for."""
    folded = {_fold(h) for h in headers}

    def overlap(candidate: Entity) -> int:
        names = {_fold(f.code) for f in candidate.fields} | {_fold(f.name) for f in candidate.fields}
        return len(folded & names)

    best = max(standard.entities.values(), key=overlap)
    listed = "、".join(f"「{h}」" for h in unknown[:5]) + ("等" if len(unknown) > 5 else "")
    if best.code != entity.code and overlap(best) > overlap(entity):
        return (
            f"文件内容像是「{best.name}」（{best.code}）数据，而不是「{entity.name}」（{entity.code}）："
            f"有不属于{entity.name}的列 {listed}"
        )
    return f"表头中有标准以外的列 {listed}：请使用报送模板中的中文列名或字段代码"
