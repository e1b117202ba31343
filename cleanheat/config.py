"""Run-time settings of cleanheat: one pydantic-settings ``Settings`` read from ``CLEANHEAT_*`` variables."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "default_database_url", "user_data_dir"]


def user_data_dir() -> Path:
    """The per-user data folder (XDG): ``$XDG_DATA_HOME/cleanheat`` or ``~/.local/share/cleanheat``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "cleanheat"


def default_database_url() -> str:
    """The embedded default database: a SQLite file in the user data folder."""
    return f"sqlite:///{user_data_dir() / 'cleanheat.sqlite3'}"


class Settings(BaseSettings):
    """Settings of one cleanheat process.

    Attributes
    ----------
    database_url : str
        SQLAlchemy URL of the programme registry (``CLEANHEAT_DATABASE_URL``). Default: a SQLite
        file in the user data folder, so a fresh machine needs nothing else; point it at
        PostgreSQL (``postgresql+psycopg://user@host/db``) for multi-user use.
    timezone : str
        IANA name of the programme time zone (``CLEANHEAT_TIMEZONE``, default ``Asia/Shanghai``):
        every business date (payment, acceptance, report lateness, ticket deadlines) is a civil
        date of this zone; instants are stored in UTC (:mod:`cleanheat.clock`).
    """

    model_config = SettingsConfigDict(env_prefix="CLEANHEAT_", extra="ignore")

    database_url: str = Field(default_factory=default_database_url)
    timezone: str = "Asia/Shanghai"
