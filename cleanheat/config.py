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
    session_ttl_h : float
        Lifetime in hours of a browser login (``CLEANHEAT_SESSION_TTL_H``, default 12: one working
        day); the session is stored in the database and can be revoked earlier.
    token_ttl_min : float
        Lifetime in minutes of an API access token from ``POST /api/v1/token``
        (``CLEANHEAT_TOKEN_TTL_MIN``, default 60).
    secure_cookies : bool or None
        Mark cookies ``Secure`` (``CLEANHEAT_SECURE_COOKIES``). ``None`` (default): when the request
        came over HTTPS (behind a proxy: uvicorn's ``--proxy-headers``).
    default_language : str
        Language of a visitor who has not chosen one (``CLEANHEAT_DEFAULT_LANGUAGE``, ``zh_CN``).
    web_threads : int
        Requests one web process works on at once (``CLEANHEAT_WEB_THREADS``, default 4; the rest wait
        their turn). The pages are CPU work under one GIL: more threads only share it worse
        (``benchmarks/bench_web.py``, ``docs/performance.md``). Add processes (``--workers``) instead.
    """

    model_config = SettingsConfigDict(env_prefix="CLEANHEAT_", extra="ignore")

    database_url: str = Field(default_factory=default_database_url)
    timezone: str = "Asia/Shanghai"
    session_ttl_h: float = Field(default=12.0, gt=0, le=24 * 30)
    token_ttl_min: float = Field(default=60.0, gt=0, le=24 * 60)
    secure_cookies: bool | None = None
    default_language: str = "zh_CN"
    web_threads: int = Field(default=4, ge=1, le=200)
