"""deploy/k8s agrees with the app and with itself: replicas, probes on the health paths,
resources, non-root pods, Services and budgets that select the pods, settings' names,
secrets only from the Secret."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from tests.deploy.files import (
    APP_SERVICES,
    HEALTH_PATHS,
    SECRET_EXAMPLE,
    URL_SETTINGS,
    command_option,
    dockerfile_cmd,
    is_secret_name,
    k8s_documents,
    k8s_objects,
    known_variables,
    rasa_endpoint_variables,
    url_password,
)

PLACEHOLDER = "change-me"


def _pod(kind: str, name: str) -> dict[str, Any]:
    pod: dict[str, Any] = k8s_objects(kind)[name]["spec"]["template"]["spec"]
    return pod


def _container(name: str) -> dict[str, Any]:
    (container,) = _pod("Deployment", name)["containers"]
    return container


def _pods() -> list[dict[str, Any]]:
    return [_pod("Deployment", name) for name in APP_SERVICES] + [_pod("Job", "migrate")]


def _config() -> dict[str, str]:
    data: dict[str, str] = k8s_objects("ConfigMap")["assistant-config"]["data"]
    return data


def _port(container: dict[str, Any], name_or_number: str | int) -> int:
    for port in container["ports"]:
        if name_or_number in (port["name"], port["containerPort"]):
            return int(port["containerPort"])
    raise AssertionError(f"{container['name']} has no port {name_or_number}")


@pytest.mark.parametrize("name", APP_SERVICES)
def test_deployments_are_replicated_probed_and_sized(name: str) -> None:
    deployment = k8s_objects("Deployment")[name]
    assert deployment["spec"]["replicas"] >= 2
    container = _container(name)
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert _port(container, container[probe]["httpGet"]["port"])
    assert container["readinessProbe"]["httpGet"]["path"] == HEALTH_PATHS[name]
    for part in ("requests", "limits"):
        assert set(container["resources"][part]) == {"cpu", "memory"}
    assert _pod("Deployment", name)["terminationGracePeriodSeconds"] >= 15


def test_rasa_gets_time_to_load_its_model() -> None:
    startup = _container("rasa")["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 180


def test_containers_listen_where_their_commands_say() -> None:
    assert _port(_container("gateway"), "http") == int(
        command_option(dockerfile_cmd("app"), "--port")
    )
    assert _port(_container("rasa"), "http") == int(
        command_option(dockerfile_cmd("rasa"), "--port")
    )
    actions = _container("actions")
    assert _port(actions, "http") == int(command_option(actions["command"], "--port"))


@pytest.mark.parametrize("pod", _pods(), ids=[*APP_SERVICES, "migrate"])
def test_pods_run_as_non_root_without_privileges(pod: dict[str, Any]) -> None:
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    for container in pod["containers"]:
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"]["drop"] == ["ALL"]
        # Read-only but for the scratch folders: model unpacking, library caches.
        assert context["readOnlyRootFilesystem"] is True
        mounts = {m["mountPath"] for m in container["volumeMounts"]}
        assert {"/tmp", "/home/app"} <= mounts


@pytest.mark.parametrize("name", APP_SERVICES)
def test_service_and_disruption_budget_select_the_pods(name: str) -> None:
    deployment = k8s_objects("Deployment")[name]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"] == labels
    service = k8s_objects("Service")[name]
    assert service["spec"]["selector"] == labels
    for port in service["spec"]["ports"]:
        assert _port(_container(name), port["targetPort"]) == port["port"]
    budget = k8s_objects("PodDisruptionBudget")[name]
    assert budget["spec"]["selector"]["matchLabels"] == labels
    assert budget["spec"]["minAvailable"] < deployment["spec"]["replicas"]


@pytest.mark.parametrize(
    ("variable", "service"), [("RASA_URL", "rasa"), ("ACTION_SERVER_URL", "actions")]
)
def test_services_reach_each_other_through_their_services(variable: str, service: str) -> None:
    url = urlsplit(_config()[variable])
    ports = [p["port"] for p in k8s_objects("Service")[service]["spec"]["ports"]]
    assert url.hostname == service and url.port in ports


def test_ingress_sends_to_the_gateway_service() -> None:
    (rule,) = k8s_objects("Ingress")["gateway"]["spec"]["rules"]
    backend = rule["http"]["paths"][0]["backend"]["service"]
    service = k8s_objects("Service")[backend["name"]]
    assert backend["port"]["name"] in [p["name"] for p in service["spec"]["ports"]]
    assert urlsplit(_config()["PUBLIC_URL"]).hostname == rule["host"]


def _secret_example() -> dict[str, str]:
    secret: dict[str, str] = yaml.safe_load(SECRET_EXAMPLE.read_text())["stringData"]
    return secret


def _env_names(container: dict[str, Any]) -> set[str]:
    return {entry["name"] for entry in container.get("env", [])}


def test_every_variable_is_a_setting_an_endpoints_variable_or_an_image_knob() -> None:
    known = known_variables()
    used = set(_config()) | set(_secret_example())
    used |= {n for pod in _pods() for c in pod["containers"] for n in _env_names(c)}
    assert used <= known, used - known


def test_rasa_gets_every_variable_its_endpoints_file_expands() -> None:
    given = set(_config()) | _env_names(_container("rasa"))
    assert rasa_endpoint_variables() | {"RASA_TOKEN"} <= given


def test_secrets_come_only_from_the_secret() -> None:
    assert not [name for name in _config() if is_secret_name(name) or name in URL_SETTINGS]
    for pod in _pods():
        for container in pod["containers"]:
            for entry in container.get("env", []):
                if is_secret_name(entry["name"]) or entry["name"] in URL_SETTINGS:
                    assert "value" not in entry, entry["name"]
                    assert entry["valueFrom"]["secretKeyRef"]["key"] in _secret_example()


def test_the_secret_example_holds_only_placeholders() -> None:
    for name, value in _secret_example().items():
        if name in URL_SETTINGS:
            assert url_password(value) == PLACEHOLDER, name
        else:
            assert value == PLACEHOLDER, name


def test_the_secret_example_is_not_applied() -> None:
    assert "assistant-secrets" not in k8s_objects("Secret")
    assert any(doc["kind"] == "Secret" for _, doc in k8s_documents())
