"""`zfjd city configure / push` and `zfjd run --cities`' checks (the two levels themselves:
tests/two_levels)."""

from __future__ import annotations

import stat

from typer.testing import CliRunner

from zfjd.cli import app
from zfjd.home import Home
from zfjd.instance import city_role, province_token

UNIT = "11440100MB0000CITY"


def zfjd(*args: str, input: str | None = None):
    return CliRunner().invoke(app, list(args), input=input, catch_exceptions=False)


def test_configure_makes_a_city_and_keeps_the_token_private_and_out_of_the_settings(tmp_path):
    done = zfjd("city", "configure", "--home", str(tmp_path), "--city", "440100", "--unit", UNIT,
                "--province-push", "/mnt/push", "--province-service", "https://province.example/data",
                "--token-stdin", input="s3cret-token\n")
    assert done.exit_code == 0, done.output
    home = Home.at(tmp_path)
    role = city_role(home)
    assert (role.city, role.unit, role.province_push) == ("440100", UNIT, "/mnt/push")
    assert "s3cret" not in (tmp_path / "instance.json").read_text() and "s3cret" not in done.output
    assert province_token(home) == "s3cret-token"
    assert stat.S_IMODE((home.state / "province-token").stat().st_mode) == 0o600
    # Another city in the same folder is refused; the same settings again are fine.
    again = zfjd("city", "configure", "--home", str(tmp_path), "--city", "440300", "--unit", UNIT,
                 "--province-push", "/mnt/push", "--province-service", "https://province.example/data")
    assert again.exit_code != 0 and "440100" in again.output


def test_configure_refuses_bad_settings_in_chinese(tmp_path):
    bad_city = zfjd("city", "configure", "--home", str(tmp_path), "--city", "4401", "--unit", UNIT,
                    "--province-push", "/mnt/push", "--province-home", str(tmp_path / "p"))
    assert bad_city.exit_code != 0 and "地市代码" in bad_city.output
    nowhere = zfjd("city", "configure", "--home", str(tmp_path), "--city", "440100", "--unit", UNIT,
                   "--province-push", "/mnt/push")
    assert nowhere.exit_code != 0 and "province_service" in nowhere.output
    assert not (tmp_path / "instance.json").exists()


def test_push_at_the_province_does_nothing(tmp_path):
    done = zfjd("city", "push", "--home", str(tmp_path), "--as-of", "2025-03-03")
    assert done.exit_code == 0 and "省级实例" in done.output
    assert not (tmp_path / "state" / "upward.sqlite").exists()


def test_run_refuses_a_code_that_is_not_a_city_before_doing_anything(tmp_path):
    for cities in ("440106", "440100,999900", ","):
        done = zfjd("run", "--home", str(tmp_path / "h"), "--units", "6", "--days", "1", "--cities", cities)
        assert done.exit_code != 0 and "地市" in done.output, (cities, done.output)
    assert not (tmp_path / "h").exists()
