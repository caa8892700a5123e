"""deploy/compose.yml and deploy/nginx.conf agree with the app and with each other:
replicas, health checks, the order of start, the settings' names, the secrets, the ports."""

from __future__ import annotations

from itertools import pairwise
from urllib.parse import urlsplit

import pytest

from tests.deploy.files import (
    APP_SERVICES,
    DEPLOY,
    HEALTH_PATHS,
    URL_SETTINGS,
    command_option,
    compose,
    compose_service,
    dockerfile_cmd,
    is_bare_reference,
    is_secret_name,
    known_variables,
    nginx_directives,
    nginx_routes,
    nginx_upstreams,
    rasa_endpoint_variables,
    references,
    strings,
    url_password,
)

# The containers of our images; the others (postgres, redis, nginx) have their own variables.
OUR_SERVICES = (*APP_SERVICES, "migrate")


def _environment(service: str) -> dict[str, str]:
    return {k: str(v) for k, v in compose_service(service).get("environment", {}).items()}


def _command(service: str) -> list[str]:
    """The service's command, or its image's (the Dockerfile it is built from)."""
    own = compose_service(service).get("command")
    if own:
        return list(own)
    dockerfile = compose_service(service)["build"]["dockerfile"]
    return dockerfile_cmd(dockerfile.removeprefix("deploy/").removesuffix(".Dockerfile"))


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_services_are_replicated_limited_and_health_checked(service: str) -> None:
    spec = compose_service(service)
    assert spec["deploy"]["replicas"] >= 2
    assert spec["deploy"]["resources"]["limits"]["memory"]
    check = " ".join(spec["healthcheck"]["test"])
    port = command_option(_command(service), "--port")
    assert f"http://127.0.0.1:{port}{HEALTH_PATHS[service]}'" in check
    assert spec["stop_grace_period"] == "15s"


def test_gateways_start_after_the_migration_and_the_services_they_call() -> None:
    migrate = compose_service("migrate")
    assert migrate["command"] == ["python", "-m", "server.db", "upgrade"]
    assert migrate["restart"] == "no"
    waits = compose_service("gateway")["depends_on"]
    assert waits["migrate"]["condition"] == "service_completed_successfully"
    assert waits["rasa"]["condition"] == waits["actions"]["condition"] == "service_healthy"


def test_every_dependency_waits_for_health_when_it_has_a_health_check() -> None:
    services = compose()["services"]
    for name, spec in services.items():
        for dependency, wait in spec.get("depends_on", {}).items():
            if "healthcheck" in services[dependency] and dependency != "lb":
                assert wait["condition"] == "service_healthy", (name, dependency)


def test_only_the_load_balancer_is_published() -> None:
    published = [name for name, spec in compose()["services"].items() if spec.get("ports")]
    assert published == ["lb"]
    (mapping,) = compose_service("lb")["ports"]
    assert nginx_routes()[int(mapping.rsplit(":", 1)[1])] == "gateway"


@pytest.mark.parametrize("service", OUR_SERVICES)
def test_every_variable_is_a_setting_an_endpoints_variable_or_an_image_knob(service: str) -> None:
    known = known_variables()
    assert set(_environment(service)) <= known, set(_environment(service)) - known


def test_rasa_gets_every_variable_its_endpoints_file_expands() -> None:
    """Rasa refuses to start when a ${VAR} of its endpoints file is not set."""
    assert rasa_endpoint_variables() | {"RASA_TOKEN"} <= set(_environment("rasa"))


@pytest.mark.parametrize("service", list(compose()["services"]))
def test_no_secret_is_written_in_clear(service: str) -> None:
    for name, value in _environment(service).items():
        if name in URL_SETTINGS:
            password = url_password(value)
            assert password is None or is_bare_reference(password), name
        elif is_secret_name(name):
            assert is_bare_reference(value), f"{service}: {name} must come from the environment"
    command = compose_service(service).get("command") or []
    for option, value in pairwise(command):
        if option in ("--requirepass", "--auth-token"):
            assert is_bare_reference(value), f"{service}: {option} must come from the environment"


def test_secret_check_refuses_a_written_value_or_default() -> None:
    assert is_bare_reference("${SECRET_KEY:?set it}")
    assert is_bare_reference("${STAFF_TOKEN:-}")
    assert not is_bare_reference("${STAFF_TOKEN:-letmein}")
    assert not is_bare_reference("letmein")
    assert url_password("postgresql+psycopg://u:letmein@db:5432/x") == "letmein"
    assert is_secret_name("TRACKER_DB_PASSWORD") and is_secret_name("ZALO_OA_SECRET_KEY")
    assert not is_secret_name("TOKENIZERS_PARALLELISM") and not is_secret_name("ZALO_APP_ID")


def test_the_example_env_file_names_every_variable_and_holds_no_secret() -> None:
    example = {}
    for line in (DEPLOY / ".env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            example[name] = value
    used = {name for value in strings(compose()) for name in references(value)}
    assert used == set(example)
    assert all(not example[name] for name in example if is_secret_name(name))


def test_nginx_has_one_upstream_per_app_service_on_its_port() -> None:
    upstreams = nginx_upstreams()
    assert set(upstreams) == set(APP_SERVICES)
    for name, (host, port) in upstreams.items():
        assert host == name
        assert str(port) in compose_service(name)["expose"]
        assert command_option(_command(name), "--port") == str(port)


@pytest.mark.parametrize(
    ("service", "variable", "upstream"),
    [
        ("gateway", "RASA_URL", "rasa"),
        ("gateway", "ACTION_SERVER_URL", "actions"),
        ("rasa", "ACTION_SERVER_URL", "actions"),
    ],
)
def test_services_reach_each_other_through_the_load_balancer(
    service: str, variable: str, upstream: str
) -> None:
    url = urlsplit(_environment(service)[variable])
    assert url.hostname == "lb"
    assert url.port is not None and nginx_routes()[url.port] == upstream
    assert str(url.port) in compose_service("lb")["expose"]


def test_nginx_skips_a_dead_replica_and_keeps_connections() -> None:
    text = nginx_directives()
    assert "proxy_next_upstream error timeout;" in text
    assert "non_idempotent" not in text  # a chat message that reached a replica is not resent
    assert text.count("keepalive ") == len(APP_SERVICES)
    assert 'proxy_set_header Connection "";' in text
