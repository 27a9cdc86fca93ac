"""Settings read once from the environment into a frozen value object.

Every setting has a ``DEFAULT_*`` constant; nothing else in the package reads ``os.environ``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import overload

from bot.clock import Clock, SystemClock
from bot.exceptions import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_KNOWLEDGE_DIR = PROJECT_ROOT / "knowledge"
DEFAULT_FLOWS_DIR = PROJECT_ROOT / "flows"
DEFAULT_DATA_DIR = Path("var")
DEFAULT_SMTP_PORT = 587
DEFAULT_SMTP_TIMEOUT = 60.0
DEFAULT_SMTP_CONNECTIONS = 3
DEFAULT_MAIL_FROM = "Maths Hub assistant <assistant@mathshub-assistant.example>"
DEFAULT_SHUTDOWN_GRACE_SECONDS = 5.0
DEFAULT_WEBHOOK_LISTEN = "0.0.0.0"
DEFAULT_WEBHOOK_PORT = 8443
DEFAULT_TELEGRAM_HTTP = "aiohttp"
DEFAULT_WEB_HOST = "127.0.0.1"
DEFAULT_WEB_PORT = 8080
DEFAULT_WEB_ADDRESS_RATE = 600  # messages a minute from one network address
DEFAULT_WEB_SESSION_RATE = 60  # messages a minute from one browser


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = env.get(name, "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise ConfigError(f"{name} must be true or false, not {value!r}")


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value <= 3600:
        raise ConfigError(f"{name} must be a number of seconds between 1 and 3600, not {raw!r}")
    return value


def parse_staff(raw: str) -> dict[int, str | None]:
    """``"123:cambridge, 456"`` -> ``{123: "cambridge", 456: None}`` (None: every hub)."""
    staff: dict[int, str | None] = {}
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        user, colon, hub = part.partition(":")
        if colon and not hub.strip():
            # "123:" is a typo for a hub-tied entry; reading it as "every hub" would widen access.
            raise ConfigError(
                f"STAFF_TELEGRAM_IDS: {part!r} names no hub after ':' "
                "(write 12345:hub-id for one hub, or 12345 alone for every hub)"
            )
        try:
            staff[int(user.strip())] = hub.strip() or None
        except ValueError:
            raise ConfigError(
                f"STAFF_TELEGRAM_IDS: {part!r} is not a Telegram user id (e.g. 12345:hub-id)"
            ) from None
    return staff


def parse_origins(raw: str, name: str = "WEB_ALLOWED_ORIGINS") -> tuple[str, ...]:
    """``"https://a.example, http://localhost:8000"`` -> normalised origins (no wildcard:
    every site that may embed the chat is named)."""
    origins: list[str] = []
    for part in raw.replace(";", ",").replace(" ", ",").split(","):
        part = part.strip().rstrip("/")
        if not part:
            continue
        scheme, sep, host = part.partition("://")
        if (
            scheme.lower() not in ("http", "https")
            or not sep
            or not host
            or any(c in host for c in "/?#*@")
        ):
            raise ConfigError(
                f"{name}: {part!r} is not an origin like https://www.example-hub.org "
                "(scheme and host, optional port, no path or wildcard)"
            )
        origins.append(f"{scheme.lower()}://{host.lower()}")
    return tuple(dict.fromkeys(origins))


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = DEFAULT_SMTP_PORT
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = False
    tls: bool = False
    # Log in even when the connection has no TLS (only for a relay on the same machine).
    allow_plain_auth: bool = False
    # Seconds the whole SMTP conversation for one message may take.
    timeout: float = DEFAULT_SMTP_TIMEOUT
    # Messages in flight at once during an outbox pass, each on its own connection.
    connections: int = DEFAULT_SMTP_CONNECTIONS


@dataclass(frozen=True)
class Settings:
    knowledge_dir: Path = DEFAULT_KNOWLEDGE_DIR
    flows_dir: Path = DEFAULT_FLOWS_DIR
    data_dir: Path = DEFAULT_DATA_DIR
    today_override: dt.date | None = None
    hub_contacts_file: Path | None = None
    telegram_token: str | None = field(default=None, repr=False)
    telegram_api_url: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    webhook_listen: str = DEFAULT_WEBHOOK_LISTEN
    webhook_port: int = DEFAULT_WEBHOOK_PORT
    smtp: SmtpSettings | None = None
    mail_from: str = DEFAULT_MAIL_FROM
    staff: Mapping[int, str | None] = field(default_factory=dict)
    shutdown_grace_seconds: float = DEFAULT_SHUTDOWN_GRACE_SECONDS
    purge_interval_seconds: float = 3600.0  # how often a running service applies retention
    # How often a running service looks for a window opening today (bot/notify.py).
    notify_interval_seconds: float = 3600.0
    telegram_http: str = DEFAULT_TELEGRAM_HTTP  # the Bot API HTTP client: aiohttp or httpx
    telegram_proxy: str | None = None
    web_host: str = DEFAULT_WEB_HOST
    web_port: int = DEFAULT_WEB_PORT
    web_allowed_origins: tuple[str, ...] = ()
    web_public_url: str | None = None
    web_address_rate: int = DEFAULT_WEB_ADDRESS_RATE
    web_session_rate: int = DEFAULT_WEB_SESSION_RATE

    @property
    def db_path(self) -> Path:
        return self.data_dir / "assistant.sqlite3"

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"

    @property
    def clock(self) -> Clock:
        return SystemClock(self.today_override)

    def today(self) -> dt.date:
        return self.clock.today()

    def contacts_file(self) -> Path | None:
        """The operator's file of real hub addresses, if there is one."""
        if self.hub_contacts_file is not None:
            return self.hub_contacts_file
        for candidate in (
            self.data_dir / "hub_contacts.yaml",
            self.knowledge_dir / "hub_contacts.local.yaml",
        ):
            if candidate.exists():
                return candidate
        return None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        contacts = _text(env, "HUB_CONTACTS_FILE")
        telegram_http = (_text(env, "TELEGRAM_HTTP") or DEFAULT_TELEGRAM_HTTP).lower()
        if telegram_http not in ("aiohttp", "httpx"):
            raise ConfigError(f"TELEGRAM_HTTP must be aiohttp or httpx, not {telegram_http!r}")
        return cls(
            knowledge_dir=Path(_text(env, "BOT_KNOWLEDGE_DIR", str(DEFAULT_KNOWLEDGE_DIR))),
            flows_dir=Path(_text(env, "BOT_FLOWS_DIR", str(DEFAULT_FLOWS_DIR))),
            data_dir=Path(_text(env, "BOT_DATA_DIR", str(DEFAULT_DATA_DIR))),
            today_override=_today(env),
            hub_contacts_file=Path(contacts) if contacts else None,
            telegram_token=_text(env, "TELEGRAM_BOT_TOKEN"),
            telegram_api_url=_text(env, "TELEGRAM_API_URL"),
            webhook_url=_text(env, "WEBHOOK_URL"),
            webhook_secret=_text(env, "WEBHOOK_SECRET"),
            webhook_listen=_text(env, "WEBHOOK_LISTEN", DEFAULT_WEBHOOK_LISTEN),
            webhook_port=_int(env, "WEBHOOK_PORT", DEFAULT_WEBHOOK_PORT),
            smtp=_smtp(env),
            mail_from=_text(env, "MAIL_FROM", DEFAULT_MAIL_FROM),
            staff=parse_staff(env.get("STAFF_TELEGRAM_IDS", "")),
            notify_interval_seconds=_seconds(env, "NOTIFY_INTERVAL_SECONDS", 3600.0),
            telegram_http=telegram_http,
            telegram_proxy=_text(env, "TELEGRAM_PROXY"),
            web_host=_text(env, "WEB_HOST", DEFAULT_WEB_HOST),
            web_port=_int(env, "WEB_PORT", DEFAULT_WEB_PORT),
            web_allowed_origins=parse_origins(env.get("WEB_ALLOWED_ORIGINS", "")),
            web_public_url=(
                public[0].rstrip("/")
                if (public := parse_origins(env.get("WEB_PUBLIC_URL", ""), "WEB_PUBLIC_URL"))
                else None
            ),
            web_address_rate=_int(env, "WEB_ADDRESS_RATE", DEFAULT_WEB_ADDRESS_RATE),
            web_session_rate=_int(env, "WEB_SESSION_RATE", DEFAULT_WEB_SESSION_RATE),
        )


@overload
def _text(env: Mapping[str, str], name: str) -> str | None: ...
@overload
def _text(env: Mapping[str, str], name: str, default: str) -> str: ...
def _text(env: Mapping[str, str], name: str, default: str | None = None) -> str | None:
    """The variable's value without surrounding blanks; ``default`` when unset or blank."""
    return env.get(name, "").strip() or default


def _today(env: Mapping[str, str]) -> dt.date | None:
    raw = _text(env, "BOT_TODAY")
    if raw is None:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ConfigError(f"BOT_TODAY must be YYYY-MM-DD, not {raw!r}") from None


def _smtp(env: Mapping[str, str]) -> SmtpSettings | None:
    host = _text(env, "SMTP_HOST")
    if host is None:
        return None
    tls = _flag(env, "SMTP_TLS")
    return SmtpSettings(
        host=host,
        port=_int(env, "SMTP_PORT", 465 if tls else DEFAULT_SMTP_PORT),
        username=env.get("SMTP_USERNAME") or None,
        password=env.get("SMTP_PASSWORD") or None,
        starttls=_flag(env, "SMTP_STARTTLS"),
        tls=tls,
        allow_plain_auth=_flag(env, "SMTP_ALLOW_PLAIN_AUTH"),
        timeout=_seconds(env, "SMTP_TIMEOUT", DEFAULT_SMTP_TIMEOUT),
        connections=_connections(env),
    )


def _connections(env: Mapping[str, str]) -> int:
    value = _int(env, "SMTP_CONNECTIONS", DEFAULT_SMTP_CONNECTIONS)
    if not 1 <= value <= 20:
        raise ConfigError(f"SMTP_CONNECTIONS must be between 1 and 20, not {value}")
    return value
