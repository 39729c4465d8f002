"""Typed settings, read once from the environment or a `.env` file and passed down.

Nothing outside this module reads the environment. Every key is listed in `.env.example`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from storage.reach import url_problem

Locale = Literal["zh", "en"]

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/courtyard.db"
PUBLIC_TELEGRAM_API = "https://api.telegram.org"


class Settings(BaseSettings):
    """Operator-facing configuration (docs/settings.md)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_api_base: str = PUBLIC_TELEGRAM_API
    # The library that talks to Telegram (README: "Which Telegram library").
    telegram_library: Literal["aiogram", "ptb"] = "ptb"
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    manager_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    default_locale: Locale = "zh"
    timezone: str = "Asia/Shanghai"
    # Messages a second the bot sends in all (Telegram allows about 30); shared by every
    # process through Redis when REDIS_URL is set.
    send_rate: float = Field(default=25.0, gt=0)

    # Webhook mode (`courtyard run --webhook`).
    webhook_url: str | None = Field(default=None, description="public base URL Telegram calls")
    webhook_path: str = "/telegram/webhook"
    webhook_secret: SecretStr | None = None
    webhook_host: str = "0.0.0.0"
    webhook_port: int = 8080

    # Knowledge base: a deployment's own entries (added or overriding shipped ones).
    kb_local_dir: Path | None = None

    log_level: str = "INFO"

    @field_validator(
        "telegram_bot_token",
        "redis_url",
        "webhook_url",
        "webhook_secret",
        "kb_local_dir",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # `.env.example` lists every key with an empty value: empty means "not set".
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("manager_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",")]
            try:
                return frozenset(int(p) for p in parts if p)
            except ValueError as exc:
                raise ValueError("MANAGER_IDS must be comma-separated Telegram user ids") from exc
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("database_url")
    @classmethod
    def _usable_url(cls, value: str) -> str:
        problem = url_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"TIMEZONE {value!r} is not an IANA time zone") from exc
        return value

    @field_validator("telegram_api_base")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")


def load_settings(**overrides: Any) -> Settings:
    """Reads the settings once; `overrides` win over the environment (tests, CLI flags)."""
    return Settings(**overrides)
