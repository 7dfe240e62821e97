"""`deskbot teams-manifest` run for real (a subprocess) in an empty directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

APP_ID = "6f1a2b3c-0000-4d5e-8f90-123456789abc"
TIMEOUT = 60


def deskbot(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    prefixes = ("DESKBOT_", "SLACK_", "MICROSOFT_", "DATABASE_URL")
    environ = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    environ.update(env)
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env=environ,
                          capture_output=True, text=True, timeout=TIMEOUT,
                          stdin=subprocess.DEVNULL)


def package_manifest(path: Path) -> dict:
    with zipfile.ZipFile(path) as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        return json.loads(package.read("manifest.json"))


def test_writes_the_package_with_the_app_id_flag(tmp_path: Path) -> None:
    done = deskbot("teams-manifest", "--app-id", APP_ID, cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    manifest = package_manifest(tmp_path / "deskbot-teams.zip")
    assert manifest["id"] == manifest["bots"][0]["botId"] == APP_ID
    assert manifest["name"]["short"] == "deskbot"
    assert "deskbot-teams.zip" in done.stdout
    assert "Upload an app" in done.stdout and "/api/messages" in done.stdout
    assert done.stderr == ""


def test_takes_the_app_id_from_the_environment_and_the_options(tmp_path: Path) -> None:
    out = tmp_path / "out" / "acme.zip"
    out.parent.mkdir()
    done = deskbot("teams-manifest", "-o", str(out), "--name", "Acme Help",
                   "--website", "https://help.acme.test", "--app-version", "1.2.3",
                   cwd=tmp_path, MICROSOFT_APP_ID=APP_ID)

    assert done.returncode == 0, done.stderr
    manifest = package_manifest(out)
    assert manifest["id"] == APP_ID
    assert manifest["name"]["short"] == "Acme Help"
    assert manifest["developer"]["termsOfUseUrl"] == "https://help.acme.test"
    assert manifest["version"] == "1.2.3"
    assert str(out) in done.stdout


def test_the_flag_wins_over_the_env_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("MICROSOFT_APP_ID=not-a-guid\n")
    done = deskbot("teams-manifest", "--app-id", APP_ID, cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert package_manifest(tmp_path / "deskbot-teams.zip")["id"] == APP_ID


@pytest.mark.parametrize("args, env, says", [
    (["--app-id", "not-a-guid"], {}, "--app-id must be the bot's Microsoft app id, a GUID"),
    ([], {"MICROSOFT_APP_ID": "1234"}, "MICROSOFT_APP_ID must be the bot's Microsoft app id"),
    ([], {}, "no app id: pass --app-id GUID or set MICROSOFT_APP_ID"),
    (["--app-id", APP_ID, "--name", "n" * 31], {}, "the app name must be 1 to 30 characters"),
    (["--app-id", APP_ID, "--website", "http://plain.test"], {}, "https:// URL"),
], ids=["bad-flag", "bad-env", "missing", "long-name", "not-https"])
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str],
                                          env: dict[str, str], says: str) -> None:
    done = deskbot("teams-manifest", *args, cwd=tmp_path, **env)

    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("deskbot teams-manifest: ")
    assert says in lines[0]
    assert not (tmp_path / "deskbot-teams.zip").exists()


def test_an_unwritable_destination_is_one_line_and_exit_1(tmp_path: Path) -> None:
    done = deskbot("teams-manifest", "--app-id", APP_ID, "-o",
                   str(tmp_path / "missing" / "x.zip"), cwd=tmp_path)

    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("deskbot teams-manifest: cannot write ")
