"""nginx in front of each tier of the scaled-out setup, as a Kubernetes Service would be:
a generated configuration in a temporary folder, nginx in the foreground as a child of the
tests, and a log of every request with the replica that served it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from server.stack import Ports, _die_with_parent

REPLICAS = 2
TIERS = ("gateway", "rasa", "actions")
START_TIMEOUT_S = 10


def nginx_binary() -> Path | None:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/bin")
    return Path(found) if found else None


@dataclass(frozen=True)
class ScalePorts:
    """Every port of the setup, from one base (TEST_PORT_BASE + 600 in the tests)."""

    base: int

    def balancer(self, tier: str) -> int:
        return self.base + {"gateway": 0, "rasa": 5, "actions": 55}[tier]

    def replica(self, index: int) -> Ports:
        first = self.base + 10 * (index + 1)
        return Ports(rasa=first + 1, actions=first + 2, gateway=first + 3)

    @property
    def postgres(self) -> int:
        return self.base + 32

    @property
    def redis(self) -> int:
        return self.base + 79

    @property
    def fake_telegram(self) -> int:
        return self.base + 81


NGINX_CONF = """\
{user}worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 256; }}
http {{
  access_log off;
  client_body_temp_path {root}/body;
  proxy_temp_path {root}/proxy;
  fastcgi_temp_path {root}/fastcgi;
  uwsgi_temp_path {root}/uwsgi;
  scgi_temp_path {root}/scgi;
  client_max_body_size 2m;
  client_body_buffer_size 1m;  # Rasa's calls to the actions carry the whole tracker
  log_format served escape=json
    '{{"method":"$request_method","uri":"$uri","status":"$status","end":"$msec",'
    '"seconds":"$request_time","upstream":"$upstream_addr","upstream_status":"$upstream_status"}}';
  # The gateway's messages to Rasa name the conversation in their small JSON body: logged,
  # so a test can tell which Rasa replica handled which message of which conversation.
  log_format served_body escape=json
    '{{"method":"$request_method","uri":"$uri","status":"$status","end":"$msec",'
    '"seconds":"$request_time","upstream":"$upstream_addr","upstream_status":"$upstream_status",'
    '"body":"$request_body"}}';
{tiers}
}}
"""

TIER_CONF = """\
  upstream {tier} {{
{servers}
    keepalive 8;
    keepalive_timeout 4s;  # under uvicorn's and Sanic's 5 s (deploy/nginx.conf says why)
  }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://{tier};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      # A replica that refuses the connection or does not accept it in time is skipped;
      # a request it has already received is never sent twice (nginx's default for POST).
      proxy_next_upstream error timeout;
      proxy_connect_timeout 2s;
      proxy_read_timeout 120s;
      add_header X-Upstream $upstream_addr always;
      access_log {root}/{tier}.log {log_format};
    }}
  }}
"""


def nginx_conf(ports: ScalePorts, root: Path) -> str:
    tiers = []
    for tier in TIERS:
        servers = "\n".join(
            f"    server 127.0.0.1:{getattr(ports.replica(i), tier)} max_fails=1 fail_timeout=5s;"
            for i in range(REPLICAS)
        )
        log_format = "served_body" if tier == "rasa" else "served"
        port = ports.balancer(tier)
        tiers.append(
            TIER_CONF.format(
                tier=tier, servers=servers, port=port, root=root, log_format=log_format
            )
        )
    # Under root the workers would otherwise run as "nobody", who cannot enter the
    # temporary folder; the directive is meaningless (and warned about) for other users.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return NGINX_CONF.format(user=user, root=root, tiers="\n".join(tiers))


@dataclass
class Nginx:
    ports: ScalePorts
    root: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        for folder in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        conf = self.root / "nginx.conf"
        conf.write_text(nginx_conf(self.ports, self.root))
        binary = nginx_binary()
        assert binary is not None
        errors = self.root / "error.log"
        args = [str(binary), "-c", str(conf), "-p", str(self.root), "-e", str(errors),
                "-g", "daemon off;"]  # fmt: skip
        self.process = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=_die_with_parent
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        url = f"http://127.0.0.1:{self.ports.balancer('gateway')}/"
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.errors()}")
            try:
                httpx.get(url, timeout=1)  # 502 until a gateway is up: nginx answers
                return
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def served(self, tier: str) -> list[dict[str, Any]]:
        """nginx's log of ``tier``: one dict per request (method, uri, status, end time and
        duration in seconds, upstream; for Rasa the request body too), oldest first."""
        log = self.root / f"{tier}.log"
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]

    def errors(self) -> str:
        log = self.root / "error.log"
        return log.read_text()[-2000:] if log.exists() else ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGQUIT)  # graceful: finish what is in flight
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
