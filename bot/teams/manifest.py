"""The Teams app package: manifest.json (schema 1.17) plus the two icons, zipped.

`build_manifest` declares one bot (personal chat for employees, team channels for the
desks' agents), the text commands Teams offers in its command menu, and the RSC
permission `ChannelMessage.Read.Group`, without which a channel message reaches the bot
only when it is @mentioned (agents reply in card threads without mentioning it).
`write_package` zips it with `icons/color.png` and `icons/outline.png`; those two files
are drawn by `draw_icons` (`python -m bot.teams.manifest` redraws them).
"""

from __future__ import annotations

import json
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Sequence
from importlib import metadata, resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

MANIFEST_VERSION = "1.17"
SCHEMA_URL = ("https://developer.microsoft.com/en-us/json-schemas/teams/v1.17/"
              "MicrosoftTeams.schema.json")
DEFAULT_NAME = "deskbot"
DEFAULT_DEVELOPER = "deskbot"
# Teams wants all three links; a self-hosted deskbot has no page of its own to point at,
# so the operator passes theirs (the README says so). Same placeholder as app_manifest.yaml.
DEFAULT_WEBSITE = "https://deskbot.example.com"
ACCENT = (0x2F, 0x5B, 0xD3)
ICON_FILES = {"color": "color.png", "outline": "outline.png"}
ICON_SIZES = {"color": 192, "outline": 32}
# webApplicationInfo.resource does nothing for RSC, but Teams refuses the app without one.
RSC_RESOURCE = "https://RscBasedStoreApp"
RSC_PERMISSIONS = (("ChannelMessage.Read.Group", "Application"),)

_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_SEMVER = re.compile(r"(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)")

# The text commands Teams lists in its command menu, one list per scope, at most 10
# each; the titles are subcommands of conversations/command_line/catalog.py (a test
# holds them to it).
# Teams spelling: the bot is addressed by @mention, a channel is bound by running the
# command in it, refs are plain numbers.
PERSONAL_COMMANDS = (
    ("ask", "ask [desk] text: ask a desk for help, e.g. ask IT my VPN keeps dropping"),
    ("my", "your requests and where they stand"),
    ("queue", "queue [unassigned|mine|all] [desk]: your desks' requests, pinned first"),
    ("claim", "claim 1042: take a request"),
    ("available", "available on|off: new-request messages on, or away (your requests go "
                  "back to the queue)"),
    ("new", "new @employee desk text: start a request with an employee"),
    ("help", "the commands you can use"),
)
TEAM_COMMANDS = (
    ("claim", "claim 1042: take a request"),
    ("queue", "queue [unassigned|mine|all] [desk]: your desks' requests, pinned first"),
    ("transfer", "transfer 1042 @agent, or transfer 1042 desk: hand it on or move it"),
    ("priority", "priority 1042 1-5: set the priority (5 is critical)"),
    ("status", "status 1042 waiting|hold|open|resolved: change the status"),
    ("close", "close 1042 [note]: close a request, with an internal note"),
    ("available", "available on|off: new-request messages on, or away"),
    ("admin create", "admin create NAME [description]: create a desk whose cards come to "
                     "this channel"),
    ("admin channel", "admin channel DESK: send the desk's cards to this channel"),
    ("help", "the commands you can use"),
)


class ManifestError(ValueError):
    """A value the manifest cannot take; the message (one line) says which and why."""


def is_app_id(value: str) -> bool:
    """Whether `value` has the form of a Microsoft app id (a GUID)."""
    return _GUID.fullmatch(value.strip()) is not None


def default_version() -> str:
    """deskbot's own version when it is plain semver (Teams wants X.Y.Z), else 1.0.0."""
    try:
        version = metadata.version("deskbot")
    except metadata.PackageNotFoundError:
        return "1.0.0"
    return version if _SEMVER.fullmatch(version) else "1.0.0"


def build_manifest(app_id: str, *, name: str = DEFAULT_NAME,
                   developer: str = DEFAULT_DEVELOPER, website_url: str = DEFAULT_WEBSITE,
                   privacy_url: str | None = None, terms_url: str | None = None,
                   version: str | None = None) -> dict[str, Any]:
    """The manifest.json of deskbot's Teams app, for the bot registered as `app_id`.

    `app_id` is the bot's Microsoft app id (MICROSOFT_APP_ID); it is the Teams app id
    too, the bot id and the RSC application id. The privacy and terms links default to
    the website. Raises `ManifestError` for a value Teams would refuse.
    """
    app_id = app_id.strip()
    if not is_app_id(app_id):
        raise ManifestError(f"the app id must be the bot's Microsoft app id, a GUID such as "
                            f"6f1a2b3c-0000-4d5e-8f90-123456789abc; got {app_id[:60]!r}")
    name = name.strip()
    if not 1 <= len(name) <= 30:
        raise ManifestError(f"the app name must be 1 to 30 characters, got {name[:40]!r}")
    developer = developer.strip()
    if not 1 <= len(developer) <= 32:
        raise ManifestError(f"the developer name must be 1 to 32 characters, "
                            f"got {developer[:40]!r}")
    version = default_version() if version is None else version.strip()
    if not _SEMVER.fullmatch(version):
        raise ManifestError(f"the app version must be X.Y.Z (e.g. 1.0.0), got {version[:40]!r}")
    links = {what: _https_url(what, url) for what, url in (
        ("website", website_url), ("privacy", privacy_url or website_url),
        ("terms", terms_url or website_url))}
    return {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": app_id,
        "developer": {"name": developer, "websiteUrl": links["website"],
                      "privacyUrl": links["privacy"], "termsOfUseUrl": links["terms"]},
        "name": {"short": name, "full": f"{name}: helpdesk in chat"[:100]},
        "description": {
            "short": "Ask your helpdesks in chat; agents work requests in their channel.",
            "full": ("Employees ask a desk (IT, HR, facilities…) in a personal chat with the "
                     "bot. Each request opens a thread with a ticket card in the desk's "
                     "agent channel; agents claim, answer, transfer and close it there, and "
                     "their thread replies are relayed to the employee. deskbot keeps the "
                     "queue, the service hours, the SLAs and the history in your own "
                     "database."),
        },
        "icons": dict(ICON_FILES),
        "accentColor": "#{:02X}{:02X}{:02X}".format(*ACCENT),
        "bots": [{
            "botId": app_id,
            # Personal chat: an employee's intake. Team: a desk's agent channel. Group
            # chats have no role in a desk, so the bot is not offered there.
            "scopes": ["personal", "team"],
            # Files in a personal chat reach the bot as download links (the employee's
            # files; `bot.teams.attachments`). Channel files live in SharePoint regardless.
            "supportsFiles": True,
            "isNotificationOnly": False,
            "commandLists": [
                {"scopes": ["personal"], "commands": _commands(PERSONAL_COMMANDS)},
                {"scopes": ["team"], "commands": _commands(TEAM_COMMANDS)},
            ],
        }],
        "validDomains": [urlsplit(links["website"]).hostname],
        "webApplicationInfo": {"id": app_id, "resource": RSC_RESOURCE},
        "authorization": {"permissions": {"resourceSpecific": [
            {"name": permission, "type": kind} for permission, kind in RSC_PERMISSIONS]}},
    }


def _https_url(what: str, url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or len(url) > 2048:
        raise ManifestError(f"the {what} link must be an https:// URL, got {url[:80]!r}")
    return url


def _commands(entries: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"title": title, "description": description} for title, description in entries]


def write_package(path: str | Path, manifest: dict[str, Any]) -> Path:
    """Write the app package: a zip of manifest.json and both icons, all at its root.

    The same manifest gives the same bytes (fixed timestamps), so a package can be
    compared with an earlier one.
    """
    path = Path(path)
    icons = resources.files("bot.teams") / "icons"
    members = {"manifest.json": (json.dumps(manifest, indent=2, ensure_ascii=False)
                                 + "\n").encode("utf-8")}
    for file in ICON_FILES.values():
        members[file] = (icons / file).read_bytes()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as package:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            package.writestr(info, data)
    return path


# ---------------------------------------------------------------- icons
# Drawn with plain geometry and written as PNG with zlib, so there is no imaging
# dependency. Colour: a white chat bubble holding a "d" on the accent colour, full
# bleed. Outline: the same bubble as a white line on transparent, as Teams asks.

Shape = Callable[[float, float], bool]
Pixels = Sequence[Sequence[tuple[int, ...]]]  # rows of (r, g, b, a)


def _rounded_rect(x0: float, y0: float, x1: float, y1: float, radius: float) -> Shape:
    def inside(x: float, y: float) -> bool:
        if not (x0 <= x <= x1 and y0 <= y <= y1):
            return False
        dx = max(x0 + radius - x, 0.0, x - (x1 - radius))
        dy = max(y0 + radius - y, 0.0, y - (y1 - radius))
        return dx * dx + dy * dy <= radius * radius
    return inside


def _ring(cx: float, cy: float, outer: float, inner: float) -> Shape:
    def inside(x: float, y: float) -> bool:
        distance = (x - cx) ** 2 + (y - cy) ** 2
        return inner * inner <= distance <= outer * outer
    return inside


def _triangle(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> Shape:
    def side(p: tuple[float, float], q: tuple[float, float], x: float, y: float) -> float:
        return (q[0] - p[0]) * (y - p[1]) - (q[1] - p[1]) * (x - p[0])

    def inside(x: float, y: float) -> bool:
        sides = (side(a, b, x, y), side(b, c, x, y), side(c, a, x, y))
        return all(s >= 0 for s in sides) or all(s <= 0 for s in sides)
    return inside


def _coverage(size: int, shape: Shape, samples: int = 4) -> list[list[float]]:
    """How much of each pixel `shape` covers, 0 to 1 (supersampled: smooth edges)."""
    offsets = [(i + 0.5) / samples for i in range(samples)]
    total = samples * samples
    return [[sum(shape(px + ox, py + oy) for oy in offsets for ox in offsets) / total
             for px in range(size)] for py in range(size)]


def _glyph(scale: float, *, outline: bool) -> Shape:
    """The bubble with its tail and the "d", on a 32-unit grid times `scale`."""
    def s(value: float) -> float:
        return value * scale

    body = _rounded_rect(s(4), s(5), s(28), s(23), s(5))
    tail = _triangle((s(8), s(21)), (s(14), s(21)), (s(7), s(28)))
    hollow = _rounded_rect(s(6), s(7), s(26), s(21), s(3))
    bowl = _ring(s(14.5), s(16), s(4), s(2))
    stem = _rounded_rect(s(17.5), s(9), s(19.5), s(20), s(0.4))

    def d(x: float, y: float) -> bool:
        return bowl(x, y) or stem(x, y)

    if outline:
        return lambda x, y: ((body(x, y) and not hollow(x, y)) or tail(x, y)
                             or d(x, y))
    return lambda x, y: (body(x, y) or tail(x, y)) and not d(x, y)


def draw_icons() -> dict[str, bytes]:
    """The two icon files by name, as PNG bytes."""
    color_size, outline_size = ICON_SIZES["color"], ICON_SIZES["outline"]
    white = _coverage(color_size, _glyph(color_size / 32, outline=False))
    color = [[tuple(round(c + (255 - c) * w) for c in ACCENT) + (255,) for w in row]
             for row in white]
    line = _coverage(outline_size, _glyph(outline_size / 32, outline=True))
    outline = [[(255, 255, 255, round(255 * a)) for a in row] for row in line]
    return {ICON_FILES["color"]: png(color), ICON_FILES["outline"]: png(outline)}


def png(pixels: Pixels) -> bytes:
    """An 8-bit RGBA PNG of `pixels` (rows of (r, g, b, a))."""
    height, width = len(pixels), len(pixels[0])
    raw = b"".join(b"\x00" + bytes(channel for pixel in row for channel in pixel)
                   for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


if __name__ == "__main__":
    folder = Path(__file__).with_name("icons")
    for file_name, data in draw_icons().items():
        (folder / file_name).write_bytes(data)
        print(folder / file_name)
