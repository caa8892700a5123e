"""Every setting of the app side, read once from the environment (or a ``.env`` file).

The README lists them. Paths default to folders inside the checkout so that the embedded
default (SQLite, no other server) runs with no configuration at all. Secrets are never in
the repository: in development an empty ``SECRET_KEY`` is replaced by a random key kept in
``VAR_DIR``; in production (``ENVIRONMENT=production``) a missing secret stops the start.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from knowledge.paths import (
    DEPARTMENT_FILE,
    EMBEDDING_MODEL_DIR,
    LOCAL_OVERRIDES_FILE,
    PROCEDURES_DIR,
    ROOT,
)
from knowledge.retrieval import DEFAULT_DENSE_WEIGHT

__all__ = ["ROOT", "Settings", "get_settings"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "production"] = "development"
    # Keys the pseudonyms of senders, the web session tokens and the button tokens.
    secret_key: SecretStr = SecretStr("")
    var_dir: Path = ROOT / "var"  # runtime files of the embedded default (databases, logs)

    # Rasa and the action server
    rasa_url: str = "http://127.0.0.1:5005"
    action_server_url: str = "http://127.0.0.1:5055"
    rasa_model: Path = ROOT / "models" / "current.tar.gz"
    rasa_tracker_db: Path | None = None  # None = VAR_DIR/tracker.db
    # The endpoints file Rasa gets: tracker store, lock store, action server (README
    # "Scaling out": bot/endpoints.scale.yml puts them on PostgreSQL and Redis).
    rasa_endpoints: Path = ROOT / "bot" / "endpoints.yml"
    # Token of Rasa's HTTP API (--auth-token); empty = derived from SECRET_KEY.
    rasa_token: SecretStr = SecretStr("")
    rasa_timeout_s: float = 30.0

    # Data
    database_url: str = ""  # empty = SQLite in VAR_DIR/assistant.db
    # State the replicas share through Redis (channel de-duplication, the lookup rate
    # limit), e.g. redis://host:6379/0; empty = all of it in the app database.
    redis_url: str = ""
    catalogue_dir: Path = PROCEDURES_DIR
    department_file: Path = DEPARTMENT_FILE
    # The department's local facts (fee, desk, hours, online link, authorities); see README.
    local_overrides_file: Path = LOCAL_OVERRIDES_FILE
    # Sentence-embedding model for dense retrieval: a folder or a Hugging Face name;
    # empty = lexical search only. The default is built by `make` (see README).
    embedding_model: str = str(EMBEDDING_MODEL_DIR)
    dense_weight: float = DEFAULT_DENSE_WEIGHT
    max_message_chars: int = 2000

    # Dossier status lookup (README "Dossier status"): "sql" keeps dossiers in the app
    # database; "http" asks the provincial one-stop system at dossier_api_url.
    dossier_backend: Literal["sql", "http"] = "sql"
    dossier_api_url: str = ""
    dossier_api_token: SecretStr = SecretStr("")  # bearer token for the one-stop system
    dossier_api_timeout_s: float = 5.0
    dossier_api_retries: int = 2  # (1 + retries) x timeout < RASA_TIMEOUT_S
    staff_token: SecretStr = SecretStr("")  # staff API bearer token; empty = API refused
    lookup_max_failures: int = 5  # failed lookups per sender (and per code) in the window
    lookup_window_s: int = 3600

    # Staff console (/staff): README "Staff console"
    staff_session_hours: int = 10  # a working day; then the officer logs in again
    staff_max_failed_logins: int = 5  # wrong passwords in a row before the account locks
    staff_lockout_minutes: int = 15
    # The console's cookies are sent over HTTPS only; false only for a plain-HTTP test setup.
    staff_cookie_secure: bool = True
    handoff_max_wait_minutes: int = 10  # a waiting hand-off is flagged after this long
    inbox_low_confidence: float = 0.6  # citizen messages understood below this go to the inbox
    catalogue_poll_s: float = 1.0  # how often each process looks for a newly published record

    # Channels
    public_url: str = "http://127.0.0.1:8000"  # how citizens reach the gateway (links, QR)
    # Origins (scheme://host[:port]) of the websites allowed to embed the widget.
    widget_origins: Annotated[list[str], NoDecode] = []
    web_session_days: int = 30
    telegram_bot_token: SecretStr = SecretStr("")  # from BotFather; empty = Telegram off
    telegram_webhook_secret: SecretStr = SecretStr("")
    telegram_api_url: str = "https://api.telegram.org"
    zalo_app_id: str = ""  # empty = Zalo off
    zalo_app_secret: SecretStr = SecretStr("")  # to refresh the OA access token
    zalo_oa_secret_key: SecretStr = SecretStr("")  # checks X-ZEvent-Signature
    zalo_refresh_token: SecretStr = SecretStr("")  # the first one; later ones are stored
    zalo_api_url: str = "https://openapi.zalo.me"
    zalo_oauth_url: str = "https://oauth.zaloapp.com"

    @model_validator(mode="before")
    @classmethod
    def _split_origins(cls, values: dict[str, object]) -> dict[str, object]:
        for key in ("widget_origins", "WIDGET_ORIGINS"):
            raw = values.get(key)
            if isinstance(raw, str):
                values[key] = [o.strip().rstrip("/") for o in raw.split(",") if o.strip()]
        return values

    @model_validator(mode="after")
    def _secrets_in_production(self) -> Settings:
        if self.environment != "production":
            return self
        missing = [name for name, needed in self._required_secrets() if not needed]
        if missing:
            raise ValueError(f"ENVIRONMENT=production needs: {', '.join(missing)}")
        return self

    def _required_secrets(self) -> list[tuple[str, bool]]:
        required = [("SECRET_KEY", bool(self.secret_key.get_secret_value()))]
        if self.telegram_enabled:
            required.append(
                ("TELEGRAM_WEBHOOK_SECRET", bool(self.telegram_webhook_secret.get_secret_value()))
            )
        if self.zalo_enabled:
            required += [
                ("ZALO_OA_SECRET_KEY", bool(self.zalo_oa_secret_key.get_secret_value())),
                ("ZALO_APP_SECRET", bool(self.zalo_app_secret.get_secret_value())),
            ]
        return required

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_bot_token.get_secret_value())

    @property
    def zalo_enabled(self) -> bool:
        return bool(self.zalo_app_id)

    @property
    def app_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'assistant.db'}"

    @property
    def tracker_db(self) -> Path:
        return self.rasa_tracker_db or self.var_dir / "tracker.db"

    @cached_property
    def secret(self) -> bytes:
        """SECRET_KEY, or in development a random key kept in VAR_DIR so that every
        process of the stack (and the next start) shares it."""
        if value := self.secret_key.get_secret_value():
            return value.encode("utf-8")
        return _development_key(self.var_dir / "secret.key")

    @property
    def rasa_api_token(self) -> str:
        if value := self.rasa_token.get_secret_value():
            return value
        return hmac.new(self.secret, b"rasa-api-token", hashlib.sha256).hexdigest()


def _development_key(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f"{path.name}.{os.getpid()}")
        draft.write_text(secrets.token_hex(32))
        draft.chmod(0o600)
        try:  # a hard link is atomic: two processes starting at once agree on one key
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_bytes().strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
