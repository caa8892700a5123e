"""Every module that defines a table of the app database, imported in one place so that
the migrations (``server/migrations``) and the tests see the whole schema."""

from __future__ import annotations

import importlib

TABLE_MODULES = (
    "server.db",
    "server.chat.subscriptions",
    "server.dossiers.sql",
    "server.channels.zalo_api",
    "server.channels.zalo_tokens",
    "server.staff.tables",
)


def import_all_tables() -> None:
    for name in TABLE_MODULES:
        importlib.import_module(name)
