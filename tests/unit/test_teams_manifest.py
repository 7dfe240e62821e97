"""The Teams app package: the manifest against Microsoft's schema, the commands, the icons."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path

import jsonschema
import pytest

from bot.teams import manifest as teams_manifest
from bot.teams.manifest import ManifestError, build_manifest, draw_icons, write_package
from conversations.command_line.catalog import ADMIN, TOP
from tests.data import SCHEMAS

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = SCHEMAS / "teams-app-manifest-1.17.json"
ICONS = ROOT / "bot" / "teams" / "icons"
APP_ID = "6f1a2b3c-0000-4d5e-8f90-123456789abc"


@pytest.fixture(scope="module")
def schema() -> dict:
    return json.loads(SCHEMA.read_text())


@pytest.fixture
def manifest() -> dict:
    return build_manifest(APP_ID)


def command_lists(manifest: dict) -> list[dict]:
    return manifest["bots"][0]["commandLists"]


# ---------------------------------------------------------------- the schema


def test_manifest_validates_against_teams_schema(schema: dict, manifest: dict) -> None:
    jsonschema.validate(manifest, schema)
    # The schema is draft-04, which ignores its own `const`; hold the version here.
    assert manifest["manifestVersion"] == "1.17"
    assert manifest["$schema"].endswith("/teams/v1.17/MicrosoftTeams.schema.json")


def test_every_option_still_validates(schema: dict) -> None:
    manifest = build_manifest(
        APP_ID.upper(), name="x" * 30, developer="y" * 32, website_url="https://help.acme.test",
        privacy_url="https://help.acme.test/privacy", terms_url="https://help.acme.test/terms",
        version="2.10.0")
    jsonschema.validate(manifest, schema)
    assert manifest["developer"]["privacyUrl"] == "https://help.acme.test/privacy"
    assert manifest["validDomains"] == ["help.acme.test"]
    assert manifest["version"] == "2.10.0"


def test_schema_rejects_a_broken_manifest(schema: dict, manifest: dict) -> None:
    # The validator is not vacuous: a title over Teams' 32 characters fails.
    command_lists(manifest)[0]["commands"][0]["title"] = "t" * 33
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(manifest, schema)


def test_the_app_is_the_bot(manifest: dict) -> None:
    (bot,) = manifest["bots"]
    assert manifest["id"] == bot["botId"] == manifest["webApplicationInfo"]["id"] == APP_ID
    assert set(bot["scopes"]) == {"personal", "team"}
    # Files sent in a personal chat reach the bot (issue 14: files reach the other side).
    assert bot["supportsFiles"] is True
    assert bot["isNotificationOnly"] is False


def test_channel_messages_reach_the_bot_without_a_mention(manifest: dict) -> None:
    granted = manifest["authorization"]["permissions"]["resourceSpecific"]
    assert {"name": "ChannelMessage.Read.Group", "type": "Application"} in granted
    # RSC needs webApplicationInfo with the app id and some resource string.
    assert manifest["webApplicationInfo"]["resource"]


# ---------------------------------------------------------------- commands


def test_command_lists_keep_teams_limits(manifest: dict) -> None:
    lists = command_lists(manifest)
    bot_scopes = set(manifest["bots"][0]["scopes"])
    assert 1 <= len(lists) <= 3
    seen_scopes: list[str] = []
    for command_list in lists:
        assert len(command_list["scopes"]) == 1  # one list per scope
        seen_scopes += command_list["scopes"]
        commands = command_list["commands"]
        assert 1 <= len(commands) <= 10
        titles = [c["title"] for c in commands]
        assert len(set(titles)) == len(titles)
        for command in commands:
            assert 1 <= len(command["title"]) <= 32, command
            assert 1 <= len(command["description"]) <= 128, command
    assert len(set(seen_scopes)) == len(seen_scopes)
    assert set(seen_scopes) <= bot_scopes


def test_commands_are_ones_the_bot_knows(manifest: dict) -> None:
    for command_list in command_lists(manifest):
        for command in command_list["commands"]:
            first, _, rest = command["title"].partition(" ")
            assert first in TOP, command
            if first == "admin":
                assert rest in ADMIN, command
            else:
                assert rest == "", command
                assert TOP[first].audience != "later", command  # not a "not yet" stub


def test_employees_and_agents_find_their_commands(manifest: dict) -> None:
    by_scope = {cl["scopes"][0]: {c["title"] for c in cl["commands"]}
                for cl in command_lists(manifest)}
    assert {"ask", "my", "queue", "claim", "help"} <= by_scope["personal"]
    assert {"claim", "queue", "available", "admin create", "admin channel"} <= by_scope["team"]


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize("app_id", [
    "", "not-a-guid", "6f1a2b3c-0000-4d5e-8f90-123456789ab",
    "{6f1a2b3c-0000-4d5e-8f90-123456789abc}", "6f1a2b3c00004d5e8f90123456789abc",
    "6f1a2b3c-0000-4d5e-8f90-123456789abc x", "6f1a2b3c-0000-4d5e-8f90-123456789abg",
    "6f1a2b3c-0000-4d5e-8f90-123456789abc\nx",
])
def test_an_app_id_that_is_no_guid_is_refused_in_one_line(app_id: str) -> None:
    with pytest.raises(ManifestError) as refused:
        build_manifest(app_id)
    assert "\n" not in str(refused.value)
    assert "GUID" in str(refused.value)


def test_whitespace_around_the_app_id_is_forgiven() -> None:
    assert build_manifest(f"  {APP_ID}\n")["id"] == APP_ID


@pytest.mark.parametrize("options, words", [
    ({"name": ""}, "app name"),
    ({"name": "n" * 31}, "app name"),
    ({"developer": "d" * 33}, "developer"),
    ({"website_url": "http://help.acme.test"}, "website"),
    ({"privacy_url": "ftp://x"}, "privacy"),
    ({"terms_url": "https://"}, "terms"),
    ({"version": "1.0"}, "version"),
    ({"version": "1.0.0-beta"}, "version"),
])
def test_values_teams_would_refuse_are_refused(options: dict, words: str) -> None:
    with pytest.raises(ManifestError, match=words) as refused:
        build_manifest(APP_ID, **options)
    assert "\n" not in str(refused.value)


# ---------------------------------------------------------------- icons


def read_png(data: bytes) -> tuple[int, int, list[list[tuple[int, ...]]]]:
    """Width, height and RGBA rows of an 8-bit RGBA, non-interlaced PNG (checking CRCs)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks = 8, []
    while position < len(data):
        (length,) = struct.unpack(">I", data[position:position + 4])
        kind = data[position + 4:position + 8]
        body = data[position + 8:position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length:position + 12 + length])
        assert zlib.crc32(kind + body) == crc, kind
        chunks.append((kind, body))
        position += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(
        ">IIBBBBB", chunks[0][1])
    assert (depth, colour, compression, filtering, interlace) == (8, 6, 0, 0, 0)
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    stride = 1 + 4 * width
    assert len(raw) == stride * height
    rows = []
    for y in range(height):
        line = raw[y * stride:(y + 1) * stride]
        assert line[0] == 0  # the writer uses no filters
        rows.append([tuple(line[1 + 4 * x:5 + 4 * x]) for x in range(width)])
    return width, height, rows


def test_icons_are_pngs_of_the_sizes_teams_wants() -> None:
    width, height, color = read_png((ICONS / "color.png").read_bytes())
    assert (width, height) == (192, 192)
    assert all(pixel[3] == 255 for row in color for pixel in row)  # opaque, full bleed
    assert len({pixel for row in color for pixel in row}) > 2  # a glyph, smooth edges

    width, height, outline = read_png((ICONS / "outline.png").read_bytes())
    assert (width, height) == (32, 32)
    # White on transparent: every pixel is white at some opacity, and some are neither.
    assert all(pixel[:3] == (255, 255, 255) for row in outline for pixel in row)
    alphas = {pixel[3] for row in outline for pixel in row}
    assert 0 in alphas and 255 in alphas


def test_committed_icons_are_what_draw_icons_draws() -> None:
    # The PNGs are generated (python -m bot.teams.manifest); they must not drift from the
    # recipe. Pixels are compared, not bytes: zlib builds may compress differently.
    for name, data in draw_icons().items():
        assert read_png((ICONS / name).read_bytes()) == read_png(data), name


def test_icons_named_in_the_manifest_are_the_files(manifest: dict) -> None:
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert set(teams_manifest.ICON_FILES.values()) == {p.name for p in ICONS.glob("*.png")}


# ---------------------------------------------------------------- the package


def test_package_holds_exactly_manifest_and_icons(tmp_path: Path, manifest: dict) -> None:
    path = write_package(tmp_path / "deskbot-teams.zip", manifest)

    with zipfile.ZipFile(path) as package:
        assert package.testzip() is None
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        assert json.loads(package.read("manifest.json")) == manifest
        for name in ("color.png", "outline.png"):
            assert package.read(name) == (ICONS / name).read_bytes()


def test_same_manifest_same_package(tmp_path: Path, manifest: dict) -> None:
    first = write_package(tmp_path / "a.zip", manifest).read_bytes()
    second = write_package(tmp_path / "b.zip", manifest).read_bytes()
    assert first == second
