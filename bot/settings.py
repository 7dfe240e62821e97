"""One typed settings object, read once from the environment (and `.env`) at start.

Every variable of the configuration table lives here with its default. Bad values
raise `SettingsError` naming the variable and the form it wants; secrets never show
up in `repr()` or logs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import logging
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from dotenv import dotenv_values
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./deskbot.db"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("text", "json")
ADMIN_PLATFORMS = ("slack", "teams")
MICROSOFT_APP_TYPES = ("MultiTenant", "SingleTenant", "UserAssignedMSI")
# Where the Bot Framework's connector lives (the `serviceUrl` of Teams' activities):
# the public cloud's Teams and Bot Framework hosts, and the US government clouds'.
DEFAULT_TEAMS_SERVICE_URLS = (
    "https://smba.trafficmanager.net/",
    "https://*.botframework.com/",
    "https://smba.infra.gcc.teams.microsoft.com/",
    "https://smba.infra.gov.teams.microsoft.us/",
    "https://smba.infra.dod.teams.microsoft.us/",
)
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")

LogFormat = Literal["text", "json"]
_REPORT_LABEL = b"deskbot report links v1"

log = logging.getLogger(__name__)


class SettingsError(ValueError):
    """A configuration value is missing or malformed; the message says which and how to fix it."""


# ---------------------------------------------------------------- value parsers
# Each takes the variable (or flag) name, so the error names what the user typed.


def parse_port(name: str, raw: str) -> int:
    """A TCP port, 0 to 65535 (0: any free port)."""
    try:
        port = int(raw.strip())
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise SettingsError(f"{name} must be a port number from 0 to 65535, got {raw!r}")
    return port


def parse_positive_int(name: str, raw: str) -> int:
    """A whole number of 1 or more."""
    try:
        value = int(raw.strip())
    except ValueError:
        value = 0
    if value < 1:
        raise SettingsError(f"{name} must be a whole number of 1 or more, got {raw!r}")
    return value


def parse_count(name: str, raw: str) -> int:
    """A whole number of 0 or more (0 usually meaning "no limit")."""
    try:
        value = int(raw.strip())
    except ValueError:
        value = -1
    if value < 0:
        raise SettingsError(f"{name} must be a whole number of 0 or more, got {raw!r}")
    return value


def parse_host(name: str, raw: str) -> str:
    """A host name or IP address to bind (no scheme, no port)."""
    host = raw.strip()
    if not host or "/" in host or " " in host:
        raise SettingsError(f"{name} must be a host name or IP address such as 127.0.0.1, "
                            f"got {raw!r}")
    return host


def parse_database_url(name: str, raw: str) -> str:
    """A SQLAlchemy URL for SQLite or PostgreSQL."""
    hint = ("a SQLAlchemy URL such as sqlite+aiosqlite:///./deskbot.db or "
            "postgresql+asyncpg://user:password@host:5432/deskbot")
    try:
        url = make_url(raw.strip())
    except ArgumentError:
        raise SettingsError(f"{name} must be {hint}") from None
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise SettingsError(f"{name} must be {hint}; "
                            f"{url.get_backend_name()!r} is not supported")
    return raw.strip()


def parse_http_url(name: str, raw: str) -> str:
    """An http(s) base URL, given a trailing slash (the Slack client joins method names)."""
    value = raw.strip()
    if not value.startswith(("http://", "https://")) or len(value.split("://", 1)[1]) == 0:
        raise SettingsError(f"{name} must be an http(s) URL such as {DEFAULT_SLACK_API_URL}, "
                            f"got {raw!r}")
    return value if value.endswith("/") else value + "/"


def parse_admins(name: str, raw: str) -> frozenset[str]:
    """Comma-separated `platform:user_id` items, e.g. `slack:U123,teams:29:abc`."""
    admins: set[str] = set()
    for item in raw.split(","):
        item = item.strip()
        if not item:
            continue
        platform, sep, user_id = item.partition(":")
        platform = platform.strip().lower()
        user_id = user_id.strip()
        if not sep or platform not in ADMIN_PLATFORMS or not user_id:
            raise SettingsError(f"{name} must be a comma-separated list of platform:user_id "
                                f"(slack:U123,teams:29:abc), got {item!r}")
        admins.add(f"{platform}:{user_id}")
    return frozenset(admins)


def parse_log_level(name: str, raw: str) -> str:
    """One of DEBUG, INFO, WARNING, ERROR, CRITICAL (any case)."""
    level = raw.strip().upper()
    if level not in LOG_LEVELS:
        raise SettingsError(f"{name} must be one of {', '.join(LOG_LEVELS)}, got {raw!r}")
    return level


def parse_log_format(name: str, raw: str) -> LogFormat:
    """`text` or `json`."""
    value = raw.strip().lower()
    if value == "text":
        return "text"
    if value == "json":
        return "json"
    raise SettingsError(f"{name} must be text or json, got {raw!r}")


def parse_app_type(name: str, raw: str) -> str:
    """A Bot Framework app type: MultiTenant, SingleTenant or UserAssignedMSI (any case)."""
    by_lower = {kind.lower(): kind for kind in MICROSOFT_APP_TYPES}
    try:
        return by_lower[raw.strip().lower()]
    except KeyError:
        raise SettingsError(f"{name} must be one of {', '.join(MICROSOFT_APP_TYPES)}, "
                            f"got {raw!r}") from None


def parse_bool(name: str, raw: str) -> bool:
    """A switch: 1/true/yes/on or 0/false/no/off (any case)."""
    value = raw.strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise SettingsError(f"{name} must be 1 or 0 (true/false, yes/no, on/off), got {raw!r}")


def parse_url_patterns(name: str, raw: str) -> tuple[str, ...]:
    """Comma-separated URL prefixes, `https://host/path/`; a host may start with `*.`."""
    patterns = []
    for item in raw.split(","):
        item = item.strip()
        if not item:
            continue
        scheme, sep, rest = item.partition("://")
        host = rest.split("/", 1)[0]
        if scheme not in ("http", "https") or not sep or not host or "*" in host[1:]:
            raise SettingsError(f"{name} must be a comma-separated list of URL prefixes "
                                f"such as https://smba.trafficmanager.net/ or "
                                f"https://*.botframework.com/, got {item!r}")
        patterns.append(item if "/" in rest else item + "/")
    if not patterns:
        raise SettingsError(f"{name} must name at least one URL prefix")
    return tuple(patterns)


def _text(name: str, raw: str) -> str:
    return raw.strip()


# ---------------------------------------------------------------- the settings


def _var(env: str, parse: Callable[[str, str], Any] = _text, *, secret: bool = False,
         default: Any = None) -> Any:
    return field(default=default, metadata={"env": env, "parse": parse, "secret": secret})


@dataclass(frozen=True, repr=False)
class Settings:
    """Everything deskbot reads from its environment. Build it with `Settings.from_env()`."""

    database_url: str = _var("DATABASE_URL", parse_database_url, default=DEFAULT_DATABASE_URL)
    # Slack: single workspace (bot token + signing secret) or OAuth (client id/secret/state).
    slack_bot_token: str | None = _var("SLACK_BOT_TOKEN", secret=True)
    slack_signing_secret: str | None = _var("SLACK_SIGNING_SECRET", secret=True)
    slack_client_id: str | None = _var("SLACK_CLIENT_ID")
    slack_client_secret: str | None = _var("SLACK_CLIENT_SECRET", secret=True)
    slack_state_secret: str | None = _var("SLACK_STATE_SECRET", secret=True)
    slack_app_token: str | None = _var("SLACK_APP_TOKEN", secret=True)
    slack_api_url: str = _var("SLACK_API_URL", parse_http_url, default=DEFAULT_SLACK_API_URL)
    # Our own Slack app's id (A…): requests for another app are refused. Unset: asked
    # of Slack (auth.test, then bots.info) at the first request.
    slack_app_id: str | None = _var("SLACK_APP_ID")
    # Teams (Bot Framework): served with an app id, or with the local-emulator switch
    # (unauthenticated, loopback bind only).
    microsoft_app_id: str | None = _var("MICROSOFT_APP_ID")
    microsoft_app_password: str | None = _var("MICROSOFT_APP_PASSWORD", secret=True)
    microsoft_app_tenant_id: str | None = _var("MICROSOFT_APP_TENANT_ID")
    microsoft_app_type: str | None = _var("MICROSOFT_APP_TYPE", parse_app_type)
    teams_emulator: bool = _var("DESKBOT_TEAMS_EMULATOR", parse_bool, default=False)
    teams_service_urls: tuple[str, ...] = _var("DESKBOT_TEAMS_SERVICE_URLS", parse_url_patterns,
                                               default=DEFAULT_TEAMS_SERVICE_URLS)
    host: str = _var("DESKBOT_HOST", parse_host, default="127.0.0.1")
    port: int = _var("DESKBOT_PORT", parse_port, default=3000)
    admins: frozenset[str] = _var("DESKBOT_ADMINS", parse_admins, default=frozenset())
    sweep_seconds: int = _var("DESKBOT_SWEEP_SECONDS", parse_positive_int, default=60)
    # Delivered notices and processed deliveries are dropped after this many days
    # (events and messages, the history, are kept).
    retention_days: int = _var("DESKBOT_RETENTION_DAYS", parse_positive_int, default=30)
    note_prefix: str = _var("DESKBOT_NOTE_PREFIX", default="//")
    # The largest file deskbot relays between the two sides of a conversation.
    max_file_mb: int = _var("DESKBOT_MAX_FILE_MB", parse_positive_int, default=25)
    # Per person: at most this many new requests within the window (0: no limit).
    requests_per_person: int = _var("DESKBOT_REQUESTS_PER_PERSON", parse_count, default=10)
    requests_window_minutes: int = _var("DESKBOT_REQUESTS_WINDOW_MINUTES",
                                        parse_positive_int, default=10)
    # Report pages: links are signed with this (HMAC-SHA256); unset, a key is derived
    # from the platform secrets (bot/report_links.py). The base URL people open them at.
    report_secret: str | None = _var("DESKBOT_REPORT_SECRET", secret=True)
    public_url: str | None = _var("DESKBOT_PUBLIC_URL", parse_http_url)
    # Slack's pace per channel: posts and card updates a minute (0: not paced), and how
    # many may go at once before that pace applies (bot/slack/channel_pace.py).
    slack_channel_posts_per_minute: int = _var("DESKBOT_SLACK_CHANNEL_POSTS_PER_MINUTE",
                                               parse_count, default=60)
    slack_channel_burst: int = _var("DESKBOT_SLACK_CHANNEL_BURST", parse_positive_int,
                                    default=5)
    log_level: str = _var("DESKBOT_LOG_LEVEL", parse_log_level, default="INFO")
    log_format: LogFormat = _var("DESKBOT_LOG_FORMAT", parse_log_format, default="text")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None,
                 env_file: str | os.PathLike[str] | None = ".env") -> Settings:
        """Read every variable from `environ` (default: the process environment).

        Values from `env_file` (when it exists) fill in what the environment does not
        set; the real environment always wins. An empty value counts as unset.
        Raises `SettingsError` on the first bad value.
        """
        values: dict[str, str] = {}
        if env_file is not None and Path(env_file).is_file():
            values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        values.update(os.environ if environ is None else environ)

        kwargs: dict[str, Any] = {}
        for spec in dataclasses.fields(cls):
            raw = values.get(spec.metadata["env"])
            if raw is None or not raw.strip():
                continue
            kwargs[spec.name] = spec.metadata["parse"](spec.metadata["env"], raw)
        return cls(**kwargs)

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed (command-line flags over the environment)."""
        return dataclasses.replace(self, **changes)

    # ------------------------------------------------------------ derived facts

    @property
    def database_url_safe(self) -> str:
        """The database URL with any password hidden, for logs and messages."""
        return make_url(self.database_url).render_as_string(hide_password=True)

    @property
    def is_sqlite(self) -> bool:
        """Whether the database is SQLite (the embedded default)."""
        return make_url(self.database_url).get_backend_name() == "sqlite"

    @property
    def slack_oauth(self) -> bool:
        """Whether multi-workspace OAuth is asked for (a client id is set)."""
        return self.slack_client_id is not None

    def slack_missing(self) -> list[str]:
        """Slack variables still needed, for the mode the set ones point at."""
        if self.slack_oauth:
            wanted = ["SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_STATE_SECRET",
                      "SLACK_SIGNING_SECRET"]
        elif self.slack_app_token is not None:
            wanted = ["SLACK_APP_TOKEN", "SLACK_BOT_TOKEN"]
        else:
            wanted = ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"]
        return [name for name in wanted if self._by_env(name) is None]

    def teams_missing(self) -> list[str]:
        """Teams variables still needed for authenticated Bot Framework traffic."""
        wanted = ["MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD"]
        if self.microsoft_app_type == "SingleTenant":
            wanted.append("MICROSOFT_APP_TENANT_ID")
        return [name for name in wanted if self._by_env(name) is None]

    def report_key(self) -> bytes:
        """The key report links are signed with: `DESKBOT_REPORT_SECRET`; unset, one
        derived from the platform secret the server has already (SLACK_SIGNING_SECRET,
        SLACK_CLIENT_SECRET or MICROSOFT_APP_PASSWORD), so every replica signs alike
        and links live through restarts; with none (a local try-out), a random key
        made at start, so links end when the process does."""
        if self.report_secret:
            return self.report_secret.encode()
        for base in (self.slack_signing_secret, self.slack_client_secret,
                     self.microsoft_app_password):
            if base:
                return hmac.new(base.encode(), _REPORT_LABEL, hashlib.sha256).digest()
        return _random_report_key()

    @property
    def report_base_url(self) -> str:
        """Where people open report pages: `DESKBOT_PUBLIC_URL`, else the bind address."""
        return self.public_url or f"http://{self.host}:{self.port}/"

    def _by_env(self, env: str) -> Any:
        for spec in dataclasses.fields(self):
            if spec.metadata["env"] == env:
                return getattr(self, spec.name)
        raise KeyError(env)

    def __repr__(self) -> str:
        parts = []
        for spec in dataclasses.fields(self):
            value = getattr(self, spec.name)
            if spec.metadata["secret"] and value is not None:
                shown = "'***'"
            elif spec.name == "database_url":
                shown = repr(self.database_url_safe)
            else:
                shown = repr(value)
            parts.append(f"{spec.name}={shown}")
        return f"Settings({', '.join(parts)})"

    __str__ = __repr__


@cache
def _random_report_key() -> bytes:
    log.warning("report links: neither DESKBOT_REPORT_SECRET nor a platform secret is set; "
                "links are signed with a key made at start and end when deskbot stops")
    return secrets.token_bytes(32)


def describe_variables() -> str:
    """The configuration table as plain text, for `deskbot serve --help`."""
    rows = [
        ("DATABASE_URL", "SQLAlchemy URL (SQLite or PostgreSQL)", DEFAULT_DATABASE_URL),
        ("SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET", "single-workspace Slack", "-"),
        ("SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, SLACK_STATE_SECRET",
         "multi-workspace Slack OAuth", "-"),
        ("SLACK_APP_TOKEN", "Slack Socket Mode", "-"),
        ("SLACK_API_URL", "Slack Web API base URL (tests, playground)", DEFAULT_SLACK_API_URL),
        ("MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD, MICROSOFT_APP_TENANT_ID, "
         "MICROSOFT_APP_TYPE", "Teams bot (without an id Teams is off)", "-"),
        ("DESKBOT_TEAMS_EMULATOR", "1: serve Teams without an app id, unauthenticated, for "
         "a local Bot Framework Emulator (loopback bind only; --teams-emulator)", "0"),
        ("DESKBOT_TEAMS_SERVICE_URLS", "the Bot Framework service URLs Teams activities may "
         "name (comma-separated prefixes, *. for any subdomain)",
         ", ".join(DEFAULT_TEAMS_SERVICE_URLS)),
        ("SLACK_APP_ID", "our Slack app's id; requests for another app are refused",
         "asked of Slack"),
        ("DESKBOT_HOST, DESKBOT_PORT", "server bind (--host, --port)", "127.0.0.1, 3000"),
        ("DESKBOT_ADMINS", "extra admins: slack:U123,teams:29:abc", "-"),
        ("DESKBOT_SWEEP_SECONDS", "sweep interval in seconds", "60"),
        ("DESKBOT_RETENTION_DAYS", "days delivered notices and processed deliveries are "
         "kept (events and messages always are)", "30"),
        ("DESKBOT_NOTE_PREFIX", "internal-note prefix in agent threads", "//"),
        ("DESKBOT_MAX_FILE_MB", "largest file relayed, in MB", "25"),
        ("DESKBOT_REQUESTS_PER_PERSON", "new requests one person may open within the "
         "window (0: no limit)", "10"),
        ("DESKBOT_REQUESTS_WINDOW_MINUTES", "that window, in minutes", "10"),
        ("DESKBOT_REPORT_SECRET", "key that signs report page links (HMAC-SHA256); "
         "unset: derived from SLACK_SIGNING_SECRET, SLACK_CLIENT_SECRET or "
         "MICROSOFT_APP_PASSWORD, else random per start", "derived"),
        ("DESKBOT_PUBLIC_URL", "the https base URL people reach deskbot at (report links)",
         "http://DESKBOT_HOST:DESKBOT_PORT"),
        ("DESKBOT_SLACK_CHANNEL_POSTS_PER_MINUTE", "Slack posts and card updates a "
         "minute in one channel; more wait their turn (0: not paced)", "60"),
        ("DESKBOT_SLACK_CHANNEL_BURST", "how many of those may go at once", "5"),
        ("DESKBOT_LOG_LEVEL", "DEBUG, INFO, WARNING, ERROR or CRITICAL", "INFO"),
        ("DESKBOT_LOG_FORMAT", "text or json", "text"),
    ]
    lines = []
    for names, meaning, default in rows:
        lines.append(f"  {names}")
        lines.append(f"      {meaning} (default: {default})")
    return "\n".join(lines)
