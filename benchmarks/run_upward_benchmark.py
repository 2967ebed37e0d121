"""A city instance's upward step against the intake it follows (a benchmark, not a test).

    uv run python benchmarks/run_upward_benchmark.py [--units 400] [--days 10] [--seed 6] [--city 440100]

A simulated province of `--units` units over `--days` days; the city `--city` takes in its units'
records in one cycle (`intake_and_validate`: the baseline, what the cycle already does for these
records), then `push_upward` runs three times: the first prepares and sends every batch (nothing judged
yet); the province then takes the pushes in (`intake_and_validate` of the city's 报送单位, re-validated
with the city's scope); the second push acknowledges every batch and stores the province's rejections
(read from the province's lake); the third, the same day again, has nothing to do. Each figure is wall
seconds and this process's CPU seconds (user + system), measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from zfjd import cycle
from zfjd.home import Home
from zfjd.two_levels import city_unit, prepare_two_levels
from zfjd.upward import Outbox, outbox_path, push_upward


def timed(label: str, figures: dict, action):
    started, cpu = time.perf_counter(), time.process_time()
    result = action()
    figures[label] = {"wall_s": round(time.perf_counter() - started, 2), "cpu_s": round(time.process_time() - cpu, 2)}
    print(f"{label:<40} {figures[label]['wall_s']:>8.2f} s wall {figures[label]['cpu_s']:>8.2f} s CPU", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=400)
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--city", default="440100")
    args = parser.parse_args()
    os.environ["ZFJD_DROP_SETTLE_SECONDS"] = "0"
    with tempfile.TemporaryDirectory(prefix="zfjd-upward-") as folder:
        province = Home.at(Path(folder) / "province")
        spec = cycle.ProvinceSpec(args.units, args.days, args.seed, "2025-03-01")
        city = prepare_two_levels(province, spec, [args.city])[args.city]
        day = spec.last_day
        figures: dict = {}
        cycle.land_reference(city, as_of=day)
        units = cycle.discover_units(city)
        intake = timed("city intake_and_validate (baseline)", figures,
                       lambda: cycle.intake_and_validate(city, units, as_of=day, settle_seconds=0))
        first = timed("push_upward: prepare + send", figures, lambda: push_upward(city, day))
        cycle.land_reference(province, as_of=day)
        timed("province takes the city's pushes", figures,
              lambda: cycle.intake_and_validate(province, [city_unit(args.city)], as_of=day, settle_seconds=0))
        second = timed("push_upward: acknowledge", figures, lambda: push_upward(city, day))
        timed("push_upward: same day again", figures, lambda: push_upward(city, day))
        outbox = Outbox(outbox_path(city))
        totals = outbox.totals()
        outbox.close()
        summary = {
            "units": args.units, "days": args.days, "city": args.city, "city_units": len(units),
            "city_received": intake.received, "city_accepted": intake.accepted, "batches_sent": first.sent,
            "rows_sent": first.rows_sent, "acknowledged": second.acknowledged, **totals, "figures": figures,
        }
        print(json.dumps(summary, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
