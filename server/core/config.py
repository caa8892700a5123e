"""Every setting of the app side, read once from the environment (or a ``.env`` file).

The README lists them. Paths default to folders inside the checkout so that the embedded
default (SQLite, no other server) runs with no configuration at all.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from knowledge.paths import DEPARTMENT_FILE, PROCEDURES_DIR

ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    rasa_url: str = "http://127.0.0.1:5005"
    action_server_url: str = "http://127.0.0.1:5055"
    database_url: str = f"sqlite:///{ROOT / 'var' / 'assistant.db'}"
    catalogue_dir: Path = PROCEDURES_DIR
    department_file: Path = DEPARTMENT_FILE
    # Sentence-embedding model for dense retrieval: a folder or a Hugging Face name;
    # empty = lexical search only. The default is built by `make` (see README).
    embedding_model: str = str(ROOT / "models" / "e5-small-edu")
    dense_weight: float = 0.7  # chosen on a validation split of the training pairs
    rasa_timeout_s: float = 30.0
    max_message_chars: int = 2000
    # Dossier status lookup (README "Dossier status"): "sql" keeps dossiers in the app
    # database; "http" asks the provincial one-stop system at dossier_api_url.
    dossier_backend: str = "sql"
    dossier_api_url: str = ""
    dossier_api_token: str = ""  # sent as a bearer token to the one-stop system, if set
    dossier_api_timeout_s: float = 5.0
    dossier_api_retries: int = 2  # (1 + retries) x timeout < RASA_TIMEOUT_S
    staff_token: str = ""  # bearer token of the staff API; empty = every staff call refused
    lookup_max_failures: int = 5  # failed lookups per sender (and per code) in the window
    lookup_window_s: int = 3600


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
