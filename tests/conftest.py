"""Shared fixtures. The end-to-end fixture starts the real stack (trained model, action
server, gateway) on test ports; it is session-scoped because Rasa takes a while to load."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# The tests and the stack they start share one key, so pseudonyms computed here match.
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
# TEST_PORT_BASE lets two checkouts run their end-to-end tests at the same time.
_BASE = int(os.environ.get("TEST_PORT_BASE", "15000"))
TEST_PORTS = {"rasa": _BASE + 5, "actions": _BASE + 55, "gateway": _BASE + 3000}


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from server.stack import Ports, Stack

    var_dir: Path = tmp_path_factory.mktemp("stack")
    extra = {"DATABASE_URL": f"sqlite:///{var_dir / 'assistant.db'}"}
    running = Stack(ports=Ports(**TEST_PORTS), var_dir=var_dir, extra_env=extra)
    running.start()
    os.environ["TEST_STACK_VAR"] = str(var_dir)
    yield running
    running.stop()
