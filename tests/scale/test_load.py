"""The load benchmark's simulated citizens (server/benchmark) against the scaled-out setup:
20 conversations at once for 30 s through nginx, every turn answered, the load spread over
both replicas of every tier. The measurements go to VAR_DIR/bench/scale_out.json."""

from __future__ import annotations

from server.benchmark.run import run_levels, scripts_for
from server.core.config import get_settings
from tests.scale.harness import REPLICAS, TIERS, ScaleOut

LEVELS = {20: 30}  # concurrent conversations: seconds
SETUP = "one 2-core machine: 2 gateways, 2 Rasa, 2 action servers behind nginx; PostgreSQL, Redis"


def test_twenty_citizens_at_once_through_the_load_balancer(scale_out: ScaleOut) -> None:
    pids = {
        f"{name}-{index + 1}": process.pid
        for index, replica in enumerate(scale_out.replicas)
        for name, process in replica.by_name.items()
    }
    logged = {tier: len(scale_out.nginx_log(tier)) for tier in TIERS}
    scripts = scripts_for(scale_out.app_database_url)
    report = run_levels(scale_out.gateway_url, pids, scripts, LEVELS, SETUP)
    out = get_settings().var_dir / "bench" / "scale_out.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")

    level = report.levels[0]
    assert level.turns >= 100, level  # a few turns per second at least
    assert level.errors == 0, level.error_kinds
    for tier in TIERS:
        served = {e["upstream"] for e in scale_out.nginx_log(tier)[logged[tier] :]}
        assert served == {scale_out.upstream(tier, i) for i in range(REPLICAS)}, tier
