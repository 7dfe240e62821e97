from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, describe_variables

SECRETS = {
    "SLACK_BOT_TOKEN": "xoxb-secret-bot-token",
    "SLACK_SIGNING_SECRET": "signing-secret-value",
    "SLACK_CLIENT_SECRET": "client-secret-value",
    "SLACK_STATE_SECRET": "state-secret-value",
    "SLACK_APP_TOKEN": "xapp-secret-app-token",
    "MICROSOFT_APP_PASSWORD": "teams-password-value",
}


def from_env(env: dict[str, str], env_file: Path | None = None) -> Settings:
    return Settings.from_env(env, env_file=env_file)


def test_defaults_match_the_configuration_table() -> None:
    settings = from_env({})

    assert settings.database_url == "sqlite+aiosqlite:///./deskbot.db"
    assert settings.slack_bot_token is None
    assert settings.slack_signing_secret is None
    assert settings.slack_client_id is None
    assert settings.slack_app_token is None
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.microsoft_app_id is None
    assert settings.microsoft_app_type is None
    assert settings.host == "127.0.0.1"
    assert settings.port == 3000
    assert settings.admins == frozenset()
    assert settings.sweep_seconds == 60
    assert settings.retention_days == 30
    assert settings.note_prefix == "//"
    assert settings.log_level == "INFO"
    assert settings.log_format == "text"
    assert settings.is_sqlite


def test_every_variable_is_read() -> None:
    env = {
        **SECRETS,
        "DATABASE_URL": "postgresql+asyncpg://deskbot:pw@db:5432/deskbot",
        "SLACK_CLIENT_ID": "123.456",
        "SLACK_API_URL": "http://127.0.0.1:8080/api",
        "MICROSOFT_APP_ID": "app-id",
        "MICROSOFT_APP_TENANT_ID": "tenant",
        "MICROSOFT_APP_TYPE": "singletenant",
        "DESKBOT_HOST": "0.0.0.0",
        "DESKBOT_PORT": "8080",
        "DESKBOT_ADMINS": " slack:U123 , teams:29:abc,,",
        "DESKBOT_SWEEP_SECONDS": "15",
        "DESKBOT_RETENTION_DAYS": "90",
        "DESKBOT_NOTE_PREFIX": "#note",
        "DESKBOT_LOG_LEVEL": "debug",
        "DESKBOT_LOG_FORMAT": "JSON",
    }
    settings = from_env(env)

    assert settings.database_url == env["DATABASE_URL"]
    assert not settings.is_sqlite
    assert settings.slack_bot_token == SECRETS["SLACK_BOT_TOKEN"]
    assert settings.slack_signing_secret == SECRETS["SLACK_SIGNING_SECRET"]
    assert settings.slack_client_id == "123.456"
    assert settings.slack_client_secret == SECRETS["SLACK_CLIENT_SECRET"]
    assert settings.slack_state_secret == SECRETS["SLACK_STATE_SECRET"]
    assert settings.slack_app_token == SECRETS["SLACK_APP_TOKEN"]
    assert settings.slack_api_url == "http://127.0.0.1:8080/api/"  # trailing slash added
    assert settings.microsoft_app_id == "app-id"
    assert settings.microsoft_app_password == SECRETS["MICROSOFT_APP_PASSWORD"]
    assert settings.microsoft_app_tenant_id == "tenant"
    assert settings.microsoft_app_type == "SingleTenant"
    assert settings.host == "0.0.0.0"
    assert settings.port == 8080
    assert settings.admins == frozenset({"slack:U123", "teams:29:abc"})
    assert settings.sweep_seconds == 15
    assert settings.retention_days == 90
    assert settings.note_prefix == "#note"
    assert settings.log_level == "DEBUG"
    assert settings.log_format == "json"


def test_settings_are_frozen() -> None:
    settings = from_env({})
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.port = 1  # type: ignore[misc]
    assert settings.replace(port=4000).port == 4000
    assert settings.port == 3000


def test_empty_values_count_as_unset() -> None:
    settings = from_env({"DESKBOT_PORT": "", "SLACK_BOT_TOKEN": "  ", "DESKBOT_LOG_FORMAT": ""})
    assert settings.port == 3000
    assert settings.slack_bot_token is None
    assert settings.log_format == "text"


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("DESKBOT_PORT", "abc", "DESKBOT_PORT must be a port number from 0 to 65535, got 'abc'"),
        ("DESKBOT_PORT", "70000", "DESKBOT_PORT must be a port number from 0 to 65535"),
        ("DESKBOT_PORT", "-1", "DESKBOT_PORT must be a port number"),
        ("DESKBOT_LOG_FORMAT", "xml", "DESKBOT_LOG_FORMAT must be text or json, got 'xml'"),
        ("DESKBOT_LOG_LEVEL", "loud", "DESKBOT_LOG_LEVEL must be one of DEBUG, INFO"),
        ("DESKBOT_SWEEP_SECONDS", "0", "DESKBOT_SWEEP_SECONDS must be a whole number of 1"),
        ("DESKBOT_SWEEP_SECONDS", "1.5", "DESKBOT_SWEEP_SECONDS must be a whole number"),
        ("DESKBOT_RETENTION_DAYS", "0", "DESKBOT_RETENTION_DAYS must be a whole number of 1"),
        ("DESKBOT_ADMINS", "U123", "DESKBOT_ADMINS must be a comma-separated list of "
                                   "platform:user_id (slack:U123,teams:29:abc), got 'U123'"),
        ("DESKBOT_ADMINS", "discord:1", "DESKBOT_ADMINS must be"),
        ("DESKBOT_ADMINS", "slack:", "DESKBOT_ADMINS must be"),
        ("DATABASE_URL", "not a url", "DATABASE_URL must be a SQLAlchemy URL"),
        ("DATABASE_URL", "mysql://u@h/db", "DATABASE_URL must be a SQLAlchemy URL"),
        ("SLACK_API_URL", "slack.com/api", "SLACK_API_URL must be an http(s) URL"),
        ("MICROSOFT_APP_TYPE", "Personal", "MICROSOFT_APP_TYPE must be one of MultiTenant"),
        ("DESKBOT_HOST", "http://x", "DESKBOT_HOST must be a host name or IP address"),
    ],
)
def test_bad_values_name_the_variable_and_the_form(variable: str, value: str,
                                                  expected: str) -> None:
    with pytest.raises(SettingsError) as raised:
        from_env({variable: value})
    message = str(raised.value)
    assert message.startswith(expected)
    assert "\n" not in message


def test_bad_database_url_does_not_echo_a_password() -> None:
    with pytest.raises(SettingsError) as raised:
        from_env({"DATABASE_URL": "mysql://user:hunter2@host/db"})
    assert "hunter2" not in str(raised.value)
    assert "'mysql' is not supported" in str(raised.value)


def test_secrets_never_appear_in_repr() -> None:
    settings = from_env({**SECRETS, "DATABASE_URL": "postgresql://deskbot:dbpass@db/deskbot"})

    for text in (repr(settings), str(settings), f"{settings}"):
        for secret in [*SECRETS.values(), "dbpass"]:
            assert secret not in text
        assert "slack_bot_token='***'" in text
        assert "postgresql://deskbot:***@db/deskbot" in text
    assert settings.database_url_safe == "postgresql://deskbot:***@db/deskbot"
    # Unset secrets show as None, so a reader can tell "missing" from "hidden".
    assert "slack_bot_token=None" in repr(from_env({}))


def test_env_file_fills_in_but_never_overrides(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("DESKBOT_PORT=4000\nDESKBOT_HOST=0.0.0.0\n"
                        "# a comment\nSLACK_BOT_TOKEN='xoxb-from-file'\nEMPTY_KEY\n")

    settings = from_env({"DESKBOT_PORT": "5000"}, env_file=env_file)

    assert settings.port == 5000  # the real environment wins
    assert settings.host == "0.0.0.0"  # the file fills the gap
    assert settings.slack_bot_token == "xoxb-from-file"


def test_missing_env_file_is_fine(tmp_path: Path) -> None:
    assert from_env({}, env_file=tmp_path / "absent.env").port == 3000


def test_env_file_does_not_touch_the_process_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("DESKBOT_SWEEP_SECONDS=7\n")
    monkeypatch.delenv("DESKBOT_SWEEP_SECONDS", raising=False)

    assert Settings.from_env(env_file=env_file).sweep_seconds == 7

    assert "DESKBOT_SWEEP_SECONDS" not in os.environ


def test_bad_value_in_env_file_is_reported(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("DESKBOT_PORT=eighty\n")
    with pytest.raises(SettingsError, match="DESKBOT_PORT"):
        from_env({}, env_file=env_file)


def test_missing_credentials_are_named() -> None:
    assert from_env({}).slack_missing() == ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"]
    assert from_env({"SLACK_BOT_TOKEN": "x"}).slack_missing() == ["SLACK_SIGNING_SECRET"]
    assert from_env({"SLACK_CLIENT_ID": "1"}).slack_missing() == [
        "SLACK_CLIENT_SECRET", "SLACK_STATE_SECRET", "SLACK_SIGNING_SECRET"]
    assert from_env({"SLACK_BOT_TOKEN": "x", "SLACK_SIGNING_SECRET": "y"}).slack_missing() == []
    assert from_env({}).teams_missing() == ["MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD"]
    single = from_env({"MICROSOFT_APP_ID": "a", "MICROSOFT_APP_PASSWORD": "p",
                       "MICROSOFT_APP_TYPE": "SingleTenant"})
    assert single.teams_missing() == ["MICROSOFT_APP_TENANT_ID"]


def test_help_text_lists_every_variable() -> None:
    text = describe_variables()
    for spec in dataclasses.fields(Settings):
        assert spec.metadata["env"] in text


def test_teams_guard_settings_are_read_and_checked() -> None:
    from bot.settings import DEFAULT_TEAMS_SERVICE_URLS

    defaults = from_env({})
    assert not defaults.teams_emulator and defaults.slack_app_id is None
    assert defaults.teams_service_urls == DEFAULT_TEAMS_SERVICE_URLS
    read = from_env({"DESKBOT_TEAMS_EMULATOR": "On", "SLACK_APP_ID": "A0123",
                     "DESKBOT_TEAMS_SERVICE_URLS": "https://a.example, http://127.0.0.1:9/x/"})
    assert read.teams_emulator and read.slack_app_id == "A0123"
    assert read.teams_service_urls == ("https://a.example/", "http://127.0.0.1:9/x/")
    for env, name in (({"DESKBOT_TEAMS_EMULATOR": "maybe"}, "DESKBOT_TEAMS_EMULATOR"),
                      ({"DESKBOT_TEAMS_SERVICE_URLS": "ftp://x/"}, "DESKBOT_TEAMS_SERVICE_URLS"),
                      ({"DESKBOT_TEAMS_SERVICE_URLS": "https://a*.example/"},
                       "DESKBOT_TEAMS_SERVICE_URLS")):
        with pytest.raises(SettingsError, match=name):
            from_env(env)
