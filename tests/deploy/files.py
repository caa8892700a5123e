"""The deployment files (deploy/), loaded and taken apart for the tests beside this file.

Only what the tests compare is parsed: the compose file and the Kubernetes manifests as
YAML, the Dockerfiles' COPY and CMD lines, nginx's upstreams and the port each server
listens on, the `${VAR}` references of the compose file and of Rasa's endpoints file.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from pydantic import SecretStr

from server.core.config import ROOT, Settings

DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE_FILE = DEPLOY / "compose.yml"
SECRET_EXAMPLE = K8S / "secret.example.yaml"
APP_SERVICES = ("gateway", "rasa", "actions")
# What each service answers when it is up (SPEC: the scale-out contract).
HEALTH_PATHS = {"gateway": "/api/health", "rasa": "/", "actions": "/health"}

# ${NAME}, ${NAME:?message}, ${NAME:-default}; `$${...}` is compose's escaped dollar.
_REFERENCE = re.compile(r"(?<!\$)\$\{(?P<name>[A-Za-z_]\w*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


@cache
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return loaded


def compose_service(name: str) -> dict[str, Any]:
    service: dict[str, Any] = compose()["services"][name]
    return service


def k8s_files() -> list[Path]:
    return sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


@cache
def k8s_documents() -> list[tuple[str, dict[str, Any]]]:
    """Every Kubernetes object of deploy/k8s, with the file it is in."""
    return [
        (path.name, doc)
        for path in k8s_files()
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]


def k8s_objects(kind: str) -> dict[str, dict[str, Any]]:
    """The objects of one kind that `kubectl apply -k` applies, by name."""
    return {
        doc["metadata"]["name"]: doc
        for file, doc in k8s_documents()
        if doc["kind"] == kind and file != SECRET_EXAMPLE.name
    }


def kustomization() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    return loaded


# --- environment variables ---------------------------------------------------------------


def setting_names() -> set[str]:
    return {name.upper() for name in Settings.model_fields}


def secret_settings() -> set[str]:
    """The settings the app itself treats as secrets (typed SecretStr)."""
    return {
        name.upper()
        for name, field in Settings.model_fields.items()
        if field.annotation is SecretStr
    }


def is_secret_name(name: str) -> bool:
    words = set(name.split("_"))
    return name in secret_settings() or bool(words & {"PASSWORD", "SECRET", "TOKEN", "AUTH"})


# Settings whose value is a URL that may carry a password.
URL_SETTINGS = frozenset({"DATABASE_URL", "REDIS_URL"})


def references(text: str) -> set[str]:
    return {m["name"] for m in _REFERENCE.finditer(text)}


def strings(node: object) -> list[str]:
    """Every string value in a loaded YAML document (not its keys, not its comments)."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in strings(value)]
    if isinstance(node, list):
        return [s for item in node for s in strings(item)]
    return []


def is_bare_reference(value: str) -> bool:
    """`${NAME}`, `${NAME:?message}` or `${NAME:-}`: a value that only the environment
    gives, never a default written in the file."""
    match = _REFERENCE.fullmatch(value)
    if match is None:
        return False
    op, arg = match["op"], match["arg"]
    return op is None or "?" in op or arg == ""


def url_password(url: str) -> str | None:
    # A ${...} reference is no valid port or password character: take the password by hand.
    netloc = urlsplit(url).netloc
    userinfo, _, _ = netloc.rpartition("@")
    if ":" not in userinfo:
        return None
    return userinfo.split(":", 1)[1]


# --- the images and Rasa's endpoints ------------------------------------------------------


def dockerfile(name: str) -> str:
    return (DEPLOY / f"{name}.Dockerfile").read_text()


def dockerfile_cmd(name: str) -> list[str]:
    """The exec-form CMD of deploy/<name>.Dockerfile (continuation lines joined)."""
    text = dockerfile(name).replace("\\\n", " ")
    line = next(line for line in text.splitlines() if line.startswith("CMD "))
    cmd: list[str] = json.loads(line.removeprefix("CMD "))
    return cmd


def dockerfile_env(name: str) -> set[str]:
    """The variables deploy/<name>.Dockerfile sets with ENV: the processes' own knobs."""
    text = dockerfile(name).replace("\\\n", " ")
    lines = [line.removeprefix("ENV ") for line in text.splitlines() if line.startswith("ENV ")]
    return {word.split("=", 1)[0] for line in lines for word in line.split()}


def known_variables() -> set[str]:
    """What a deployment may set: a setting, a variable of Rasa's endpoints file, or a
    knob the images set themselves (a process's, such as FORWARDED_ALLOW_IPS)."""
    images = dockerfile_env("app") | dockerfile_env("rasa")
    return setting_names() | rasa_endpoint_variables() | images


def dockerfile_copies(name: str) -> list[str]:
    """The sources of the COPY instructions (`COPY [--chown=...] SRC DEST`)."""
    sources = []
    for line in dockerfile(name).splitlines():
        if line.startswith("COPY "):
            words = [w for w in line.split()[1:] if not w.startswith("--")]
            sources.append(words[0])
    return sources


def command_option(command: list[str] | str, option: str) -> str:
    """The value after `option` in a command, in exec form or inside a `sh -c` string."""
    text = command if isinstance(command, str) else " ".join(command)
    match = re.search(rf"{re.escape(option)}\s+(\S+)", text)
    assert match, f"{option} not in {text!r}"
    return match[1].strip("\"'")


def rasa_endpoints_file() -> Path:
    return ROOT / command_option(dockerfile_cmd("rasa"), "--endpoints")


def rasa_endpoint_variables() -> set[str]:
    return references(rasa_endpoints_file().read_text())


# --- nginx -----------------------------------------------------------------------------------


def nginx_directives() -> str:
    """deploy/nginx.conf without its comments."""
    lines = (DEPLOY / "nginx.conf").read_text().splitlines()
    return "\n".join(line.split("#", 1)[0].rstrip() for line in lines)


def nginx_upstreams() -> dict[str, tuple[str, int]]:
    """Each upstream's (host, port): one `server` line each, the host a compose service."""
    text = nginx_directives()
    upstreams = {}
    for name, body in re.findall(r"^upstream\s+(\w+)\s*\{(.*?)^\}", text, re.S | re.M):
        servers = re.findall(r"^\s*server\s+([\w.-]+):(\d+)", body, re.M)
        assert len(servers) == 1, f"upstream {name}: {servers}"
        upstreams[name] = (servers[0][0], int(servers[0][1]))
    return upstreams


def nginx_routes() -> dict[int, str]:
    """The upstream each listening port proxies to."""
    routes: dict[int, str] = {}
    port = None
    for raw in nginx_directives().splitlines():
        line = raw.strip()
        if listen := re.match(r"listen\s+(\d+)", line):
            port = int(listen[1])
        elif proxy := re.match(r"proxy_pass\s+http://(\w+);", line):
            assert port is not None, f"proxy_pass before any listen: {line}"
            routes[port] = proxy[1]
    return routes
