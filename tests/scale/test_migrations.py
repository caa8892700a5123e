"""The gateways bring the PostgreSQL app database to the newest migration as they start."""

from __future__ import annotations

import os
import subprocess
import sys

from alembic.config import Config
from alembic.script import ScriptDirectory

from server.core.config import ROOT
from server.db import MIGRATIONS_DIR
from tests.scale.harness import ScaleOut


def test_the_app_database_is_at_the_newest_migration(scale_out: ScaleOut) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(config).get_current_head()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": scale_out.app_database_url}
    done = subprocess.run(
        [sys.executable, "-m", "server.db", "current"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert scale_out.app_database_url.startswith("postgresql+psycopg://")
    assert head is not None and done.stdout.split() == [head]
