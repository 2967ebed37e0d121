"""How the simulated units hand their records over: the 三库 extract, file drops and platform pushes.

Each unit is given one channel, in turn by its place in the province (api, sql, file_drop,
platform_push), so every channel carries a quarter of the units. File drops rotate the formats units
really send: CSV in UTF-8, CSV in GB18030 and XLSX, always with the Chinese field names as headers.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import polars as pl
import xlsxwriter

from connectors.file_drop import FileDrop
from connectors.registry import CHANNELS
from connectors.simulator.exchange import CASE_ENTITIES, Exchange
from connectors.simulator.province import GOV_SERVICE_UNIT
from standards.loader import standard

DROP_FORMATS = ("utf-8.csv", "gb18030.csv", "xlsx")
_LONG_AGO = 946_684_800  # 2000-01-01: dropped files count as settled


def assign_channels(exchange: Exchange) -> dict[str, str]:
    return {code: CHANNELS[index % len(CHANNELS)] for index, code in enumerate(exchange.unit_codes)}


def write_units_config(exchange: Exchange, path: Path) -> dict[str, str]:
    channels = assign_channels(exchange)
    config = {"default_channel": "file_drop", "units": {code: {"channel": c} for code, c in channels.items()}}
    # The 政务服务网 sends the 行政许可 through the exchange's data API, as one more source.
    config["units"][GOV_SERVICE_UNIT] = {"channel": "api", "entities": ["license"]}
    channels = {**channels, GOV_SERVICE_UNIT: "api"}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, ensure_ascii=False, indent=1), encoding="utf-8")  # JSON is YAML
    return channels


def write_reference(exchange: Exchange, folder: Path) -> None:
    """The 三库 extract the province publishes to units, with Chinese headers, as `<entity>.csv`."""
    folder.mkdir(parents=True, exist_ok=True)
    for entity, frame in exchange.province.reference_frames().items():
        names = {f.code: f.name for f in standard().entity(entity).fields}
        frame.rename(names).write_csv(folder / f"{entity}.csv")


def _with_chinese_headers(frame: pl.DataFrame, entity: str) -> pl.DataFrame:
    return frame.rename({f.code: f.name for f in standard().entity(entity).fields})


def write_file_drops(exchange: Exchange, drop: FileDrop, units: list[str], day: dt.date) -> int:
    """Each unit's records of `day` as one file per entity in its inbox; returns the records written."""
    written = 0
    for index, unit in enumerate(units):
        layout = DROP_FORMATS[index % len(DROP_FORMATS)]
        for entity in CASE_ENTITIES:
            frame = exchange.of_unit(unit, entity, day)
            if frame.is_empty():
                continue
            path = drop.open_inbox(unit, entity) / f"{entity}-{day:%Y%m%d}.{layout.split('.')[-1]}"
            _write(_with_chinese_headers(frame, entity), path, layout, day)
            os.utime(path, (_LONG_AGO, _LONG_AGO))
            written += frame.height
    return written


def write_pushes(exchange: Exchange, push: FileDrop, units: list[str], day: dt.date) -> int:
    """The platform's pushes: each unit's records of `day` as one JSON batch per entity (field codes)."""
    written = 0
    for unit in units:
        for entity in CASE_ENTITIES:
            frame = exchange.of_unit(unit, entity, day)
            if frame.is_empty():
                continue
            path = push.open_inbox(unit, entity) / f"{entity}-{day:%Y%m%d}.json"
            body = json.dumps({"records": frame.to_dicts()}, ensure_ascii=False)
            path.write_text(body, encoding="utf-8")
            os.utime(path, (_LONG_AGO, _LONG_AGO))
            written += frame.height
    return written


def _write(frame: pl.DataFrame, path: Path, layout: str, day: dt.date) -> None:
    if layout == "utf-8.csv":
        frame.write_csv(path)
    elif layout == "gb18030.csv":
        path.write_bytes(frame.write_csv().encode("gb18030"))
    else:
        # in_memory: the workbook's parts are zipped from memory, not from temporary files (2× faster)
        book = xlsxwriter.Workbook(
            str(path), {"strings_to_numbers": False, "strings_to_formulas": False, "in_memory": True}
        )
        # A fixed creation time: the same records give the same bytes, as a re-upload of one file would.
        book.set_properties({"created": dt.datetime.combine(day, dt.time(18))})
        sheet = book.add_worksheet(path.stem.split("-")[0][:31])
        sheet.write_row(0, 0, frame.columns)
        for row_number, row in enumerate(frame.iter_rows(), start=1):
            for column, value in enumerate(row):
                if value is not None:
                    sheet.write_string(row_number, column, value)
        book.close()
