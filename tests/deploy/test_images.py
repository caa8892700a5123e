"""deploy/*.Dockerfile: what they copy exists and reaches the build, they install the
locked environments, they run as a non-root user, and Rasa starts as server.stack starts it
but with the scale-out endpoints. (Docker cannot run here: the images are not built.)"""

from __future__ import annotations

import pytest

from server.core.config import ROOT, Settings
from tests.deploy.files import (
    DEPLOY,
    command_option,
    dockerfile,
    dockerfile_cmd,
    dockerfile_copies,
    rasa_endpoints_file,
)

IMAGES = {"app": "requirements/app.lock", "rasa": "requirements/rasa.lock"}


def _kept(name: str) -> list[str]:
    """What deploy/<name>.Dockerfile.dockerignore lets into the build context."""
    lines = (DEPLOY / f"{name}.Dockerfile.dockerignore").read_text().splitlines()
    return [line[1:] for line in lines if line.startswith("!")]


@pytest.mark.parametrize("name", IMAGES)
def test_every_copied_path_exists_and_only_those_reach_the_build(name: str) -> None:
    copies = dockerfile_copies(name)
    assert all((ROOT / source).exists() for source in copies), copies
    assert sorted(_kept(name)) == sorted(copies)
    lines = (DEPLOY / f"{name}.Dockerfile.dockerignore").read_text().splitlines()
    directives = [line for line in lines if line and not line.startswith("#")]
    assert directives[0] == "*"  # everything else stays out: .venv*, var/, .git, .env


@pytest.mark.parametrize(("name", "lock"), IMAGES.items())
def test_images_install_the_locked_environment(name: str, lock: str) -> None:
    text = dockerfile(name)
    assert "pip install --no-deps" in text
    assert f"-r {lock}" in text
    assert f"COPY {lock} {lock}" in text


@pytest.mark.parametrize("name", IMAGES)
def test_images_run_as_a_non_root_user(name: str) -> None:
    users = [line.split()[1] for line in dockerfile(name).splitlines() if line.startswith("USER")]
    assert users and users[-1] not in ("0", "root")
    assert dockerfile(name).index("USER") < dockerfile(name).index("\nCMD")


def test_rasa_serves_the_trained_model_with_the_scale_out_endpoints() -> None:
    cmd = dockerfile_cmd("rasa")
    assert cmd[:2] == ["sh", "-c"] and "exec rasa run " in cmd[2]
    model = command_option(cmd, "--model")
    assert ROOT / model == Settings.model_fields["rasa_model"].default
    assert model in dockerfile_copies("rasa")
    assert rasa_endpoints_file() == ROOT / "bot" / "endpoints.scale.yml"
    assert rasa_endpoints_file().is_file()
    assert (ROOT / command_option(cmd, "--credentials")).is_file()
    # Rasa's default pool (50 + 100 connections a replica) would exhaust PostgreSQL.
    assert "SQL_POOL_SIZE=" in dockerfile("rasa") and "SQL_MAX_OVERFLOW=" in dockerfile("rasa")
    # An empty token would leave Rasa's HTTP API open: the container refuses to start.
    assert '"${RASA_TOKEN:?' in cmd[2] and '--auth-token "$RASA_TOKEN"' in cmd[2]


def test_the_app_image_serves_the_gateway_and_has_the_retrieval_model() -> None:
    cmd = dockerfile_cmd("app")
    assert cmd[:4] == ["python", "-m", "uvicorn", "server.main:app"]
    assert "--proxy-headers" in cmd and "--timeout-graceful-shutdown" in cmd
    embedding_model = Settings.model_fields["embedding_model"].default
    assert f"{embedding_model}/".removeprefix(f"{ROOT}/") in dockerfile_copies("app")
