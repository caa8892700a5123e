"""The scaled-out assistant on this machine: what a Kubernetes or compose deployment runs,
on loopback and in temporary folders.

PostgreSQL (the app database and Rasa's tracker store), Redis (Rasa's lock store and what
the gateways and action servers share), two replicas of each service, each replica a
:class:`server.stack.Stack` (action server, Rasa with ``bot/endpoints.scale.yml``,
gateway), and nginx in front of each tier (:mod:`tests.scale.nginx`): the gateways reach
Rasa and Rasa reaches the action servers only through it.
"""

from __future__ import annotations

import json
import shutil
import signal
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

from knowledge.paths import EMBEDDING_MODEL_DIR
from server.stack import Stack
from tests.postgres import PostgresServer
from tests.postgres import binaries as postgres_binaries
from tests.redis import RedisServer
from tests.redis import binary as redis_binary
from tests.scale.nginx import REPLICAS, TIERS, Nginx, ScalePorts, nginx_binary

__all__ = ["REPLICAS", "TIERS", "ScaleOut", "ScalePorts", "missing_binaries"]

START_TIMEOUT_S = 300
TELEGRAM_TOKEN = "123456:SCALE-token"
TELEGRAM_SECRET = "scale-webhook-secret"
WARM_UP = "__warmup__"  # the conversation Stack's warm-up holds with each Rasa


def missing_binaries() -> list[str]:
    found = {
        "postgresql": postgres_binaries(),
        "redis-server": redis_binary(),
        "nginx": nginx_binary(),
    }
    return [name for name, path in found.items() if path is None]


@dataclass
class ScaleOut:
    """Everything started by :meth:`start` and stopped by :meth:`stop`, in temporary folders."""

    ports: ScalePorts
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="scale-out-")))
    postgres: PostgresServer | None = None
    redis: RedisServer | None = None
    nginx: Nginx | None = None
    replicas: list[Stack] = field(default_factory=list)
    app_database_url: str = ""
    tracker_database: str = ""

    def url(self, tier: str) -> str:
        return f"http://127.0.0.1:{self.ports.balancer(tier)}"

    @property
    def gateway_url(self) -> str:  # as Stack's, so tests/e2e/chat.py talks to nginx
        return self.url("gateway")

    def upstream(self, tier: str, index: int) -> str:
        """How nginx names replica ``index`` of ``tier`` in its log and X-Upstream."""
        return f"127.0.0.1:{getattr(self.ports.replica(index), tier)}"

    def start(self) -> None:
        self.postgres = PostgresServer(self.ports.postgres)
        self.postgres.start()
        self.app_database_url = self.postgres.new_database()
        self.tracker_database = self.postgres.new_database().rsplit("/", 1)[1]
        self.redis = RedisServer(self.ports.redis)
        self.redis.start()
        self.nginx = Nginx(self.ports, self.root / "nginx")
        self.nginx.start()
        env = self._replica_env()
        for index in range(REPLICAS):
            replica = Stack(
                ports=self.ports.replica(index),
                var_dir=self.root / f"replica-{index}",
                extra_env=env,
            )
            self.replicas.append(replica)
            replica.launch()  # the first one migrates PostgreSQL and seeds the demo dossiers
        self._wait_all()

    def _replica_env(self) -> dict[str, str]:
        assert self.postgres is not None and self.redis is not None
        return {
            "DATABASE_URL": self.app_database_url,
            "REDIS_URL": self.redis.url,
            "EMBEDDING_MODEL": str(EMBEDDING_MODEL_DIR),
            # Each tier reaches the next through its load balancer, never directly.
            "RASA_URL": self.url("rasa"),
            "ACTION_SERVER_URL": self.url("actions"),
            # Rasa's endpoints for several replicas (bot/endpoints.scale.yml).
            "RASA_ENDPOINTS": "bot/endpoints.scale.yml",
            "TRACKER_DB_HOST": "127.0.0.1",
            "TRACKER_DB_PORT": str(self.postgres.port),
            "TRACKER_DB_NAME": self.tracker_database,
            "TRACKER_DB_USER": "postgres",
            "TRACKER_DB_PASSWORD": "",
            "REDIS_HOST": "127.0.0.1",
            "REDIS_PORT": str(self.redis.port),
            "REDIS_DB": "0",
            "REDIS_PASSWORD": "",
            "STAFF_COOKIE_SECURE": "false",
            # Telegram, against a fake Bot API (tests/fakes) started by the tests that use it.
            "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
            "TELEGRAM_API_URL": f"http://127.0.0.1:{self.ports.fake_telegram}",
        }

    def crashed(self) -> list[str]:
        """The processes that stopped by themselves (not killed by a test with SIGKILL)."""
        down = [f"{name} of replica {i}" for i, replica in enumerate(self.replicas)
                for name, p in replica.by_name.items()
                if p.poll() is not None and p.returncode != -signal.SIGKILL]  # fmt: skip
        if self.nginx is not None and self.nginx.process is not None:
            down += ["nginx"] if self.nginx.process.poll() is not None else []
        return down

    def nginx_log(self, tier: str) -> list[dict[str, Any]]:
        assert self.nginx is not None
        return self.nginx.served(tier)

    def tracker_events(self, conversation: str) -> list[dict[str, Any]]:
        """The events Rasa's tracker store holds for ``conversation``, in their order."""
        assert self.postgres is not None
        url = self.postgres.url(self.tracker_database, driver=False)
        with psycopg.connect(url) as conn:
            rows = conn.execute(
                "SELECT data FROM events WHERE sender_id = %s ORDER BY id", (conversation,)
            ).fetchall()
        return [json.loads(data) for (data,) in rows]

    def _wait_all(self) -> None:
        """Waits for every replica at once (each loads its models and warms itself up),
        then warms the action servers, which the replicas' warm-ups reached through nginx."""
        failures: list[BaseException] = []

        def wait(replica: Stack) -> None:
            try:
                replica.wait_ready(START_TIMEOUT_S)
            except BaseException as exc:  # noqa: BLE001 - reported below, in the main thread
                failures.append(exc)

        threads = [threading.Thread(target=wait, args=(r,)) for r in self.replicas]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if failures:
            raise failures[0]
        self._warm_action_servers()
        self._clear_balancers()

    def _clear_balancers(self) -> None:
        """nginx marks a replica failed when it refuses a connection, as all did while
        starting; once marked, a replica is tried again by one request at a time, and the
        others meanwhile get 502 ("no live upstreams"). One answered request per replica
        and tier, through the balancer, clears the marks before the tests begin."""
        health = {"gateway": "/api/health", "rasa": "/", "actions": "/health"}
        for tier, path in health.items():
            for _ in range(2 * REPLICAS):
                httpx.get(self.url(tier) + path, timeout=30)

    def _warm_action_servers(self) -> None:
        """An action server loads its retrieval model and embeds the catalogue on its first
        procedure search (10-20 s). Behind the balancer, the warm-up turns' searches may all
        have reached one of them, so each gets one directly: the answer action of the
        warm-up conversation, with the tracker and domain Rasa would send."""
        rasa, token = self.url("rasa"), {"token": self.replicas[0].settings.rasa_api_token}
        tracker = httpx.get(f"{rasa}/conversations/{WARM_UP}/tracker", params=token, timeout=30)
        domain = httpx.get(
            f"{rasa}/domain", params=token, headers={"Accept": "application/json"}, timeout=30
        )
        call = {"next_action": "action_answer_procedure", "sender_id": WARM_UP,
                "tracker": tracker.json(), "domain": domain.json()}  # fmt: skip
        for replica in self.replicas:
            url = f"http://127.0.0.1:{replica.ports.actions}/webhook"
            answer = httpx.post(url, json=call, timeout=180)
            assert answer.status_code == 200, answer.text

    def stop(self) -> None:
        for replica in self.replicas:
            replica.stop()
        if self.nginx is not None:
            self.nginx.stop()
        if self.redis is not None:
            self.redis.close()
        if self.postgres is not None:
            self.postgres.stop()
        shutil.rmtree(self.root, ignore_errors=True)
