"""A province and city instances on one machine, for a demonstration (`zfjd run --cities 440100,440300`).

The province's folder is `--home DIR`; each city's is `DIR/cities/<city code>/`. Every instance is
given the same simulated province (each takes in only its own units: a city its city's units, the
province the others and the cities); the cities report to the province through its platform-push
store (`DIR/province/push/`) and read its verdicts from its lake (`province_home`). On separate
machines the same settings name a mounted push store and the province's data service instead
(docs/two-levels.md).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from connectors.registry import CITY_CODE
from zfjd.cycle import ProvinceSpec, prepare_province
from zfjd.home import Home
from zfjd.instance import CityRole, configure_city


class CitiesError(ValueError):
    pass


def parse_cities(text: str) -> list[str]:
    """`440100,440300` → the cities' codes, each checked against the standard's divisions."""
    from standards.loader import standard

    divisions = standard().divisions
    codes = list(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    if not codes:
        raise CitiesError("--cities 应为逗号分隔的地市行政区划代码，如 440100,440300")
    for code in codes:
        division = divisions.get(code)
        if not CITY_CODE.fullmatch(code) or division is None or division.level != "city":
            raise CitiesError(f"{code} 不是广东省的地市行政区划代码（如 440100 广州、440300 深圳）")
    return codes


def city_unit(city: str) -> str:
    """The demonstration's 报送单位 code of a city instance at the province (18 characters)."""
    return f"11{city}MB0000CITY"


def city_home(province: Home, city: str) -> Home:
    return Home.at(province.root / "cities" / city)


def prepare_two_levels(province: Home, spec: ProvinceSpec, cities: list[str]) -> dict[str, Home]:
    """The province and its cities' instances, once (running it again changes nothing)."""
    prepare_province(province, spec)
    homes = {}
    for city in cities:
        home = city_home(province, city)
        prepare_province(home, spec)
        configure_city(home, CityRole(city=city, unit=city_unit(city), province_push=str(province.province / "push"),
                                      province_home=str(province.root)))
        homes[city] = home
    _register_relays(province.province / "units.yaml", {city_unit(city): city for city in cities})
    return homes


def _register_relays(config_path: Path, relays: dict[str, str]) -> None:
    """The cities as 报送单位 of the province (platform push, with their city) in its units.yaml."""
    import yaml

    config = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    units = config.setdefault("units", {})
    wanted = {code: {"channel": "platform_push", "city": city} for code, city in relays.items()}
    if all(units.get(code) == settings for code, settings in wanted.items()):
        return
    units.update(wanted)
    temporary = config_path.with_name(f".{config_path.name}.tmp")
    temporary.write_text(json.dumps(config, ensure_ascii=False, indent=1), encoding="utf-8")  # JSON is YAML
    os.replace(temporary, config_path)
