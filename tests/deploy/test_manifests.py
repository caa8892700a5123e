"""The deployment files pass their tools' own schemas.

Kubernetes: every manifest of deploy/k8s against the OpenAPI schemas that
kubernetes-validate bundles, in strict mode (an unknown or misspelt field fails), for the
oldest and the newest release a department is likely to run. Compose: deploy/compose.yml
against the Compose Specification's JSON schema. ``compose-spec.json`` beside this file is
``schema/compose-spec.json`` of github.com/compose-spec/compose-go at commit e70e961 (v2.13,
Apache-2.0), the schema `docker compose` itself validates with; no package on PyPI ships a
current copy. To update it, replace the file with a newer one from that repository.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.deploy.files import (
    COMPOSE_FILE,
    K8S,
    SECRET_EXAMPLE,
    compose,
    k8s_documents,
    k8s_files,
    kustomization,
)

KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")
COMPOSE_SCHEMA = Path(__file__).with_name("compose-spec.json")


def _name(file: str, doc: dict[str, Any]) -> str:
    return f"{file}: {doc.get('kind')}/{doc.get('metadata', {}).get('name')}"


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_kubernetes_manifests_match_the_api_schemas(version: str) -> None:
    errors = []
    for file, doc in k8s_documents():
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            errors.append(f"{_name(file, doc)}: {error.message} at {list(error.path)}")
    assert not errors, "\n".join(errors)


def test_kubernetes_validation_catches_a_misspelt_field() -> None:
    """The check above is strict: a field the API does not know fails."""
    _, deployment = next((f, d) for f, d in k8s_documents() if d["kind"] == "Deployment")
    broken = json.loads(json.dumps(deployment))
    broken["spec"]["replica"] = broken["spec"].pop("replicas")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[-1], strict=True)


def test_every_manifest_is_in_one_namespace() -> None:
    namespaced = [(f, d) for f, d in k8s_documents() if d["kind"] != "Namespace"]
    assert {d["metadata"]["namespace"] for _, d in namespaced} == {"edu-assistant"}
    assert kustomization()["namespace"] == "edu-assistant"


def test_kustomization_applies_every_manifest_but_the_secret_example() -> None:
    listed = kustomization()["resources"]
    assert all((K8S / name).is_file() for name in listed)
    assert set(listed) == {p.name for p in k8s_files()} - {SECRET_EXAMPLE.name}


def test_kustomization_images_are_the_manifests_images() -> None:
    used = {
        container["image"].split(":")[0]
        for _, doc in k8s_documents()
        if doc["kind"] in ("Deployment", "Job")
        for container in doc["spec"]["template"]["spec"]["containers"]
    }
    assert {image["name"] for image in kustomization()["images"]} == used


def _compose_errors(document: dict[str, Any]) -> list[str]:
    schema = json.loads(COMPOSE_SCHEMA.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(document)
    ]


def test_compose_file_matches_the_compose_specification() -> None:
    errors = _compose_errors(compose())
    assert not errors, "\n".join(errors)


def test_compose_validation_catches_a_wrong_field() -> None:
    broken = yaml.safe_load(COMPOSE_FILE.read_text())
    broken["services"]["gateway"]["healthcheck"]["retry"] = 3
    broken["services"]["gateway"]["depends_on"]["rasa"]["condition"] = "service_ready"
    errors = _compose_errors(broken)
    assert any("retry" in e for e in errors), errors
    assert any("service_ready" in e for e in errors), errors
