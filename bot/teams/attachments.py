"""The files on a Teams message, as `SharedFile`s the core keeps and relays.

In a personal chat a file arrives as an attachment of content type
`application/vnd.microsoft.teams.file.download.info`, whose `content.downloadUrl` is
pre-authenticated and short-lived; a pasted image as an `image/*` attachment with a
`contentUrl`. A file shared in a channel is a `reference` to SharePoint, which the bot
cannot read without Microsoft Graph permissions: its author is told so. The HTML copy of
the message's text and cards are not files.
"""

from __future__ import annotations

from typing import Any

from conversations.files import SharedFile
from desks.wording import Words

FILE_DOWNLOAD_INFO = "application/vnd.microsoft.teams.file.download.info"
REFERENCE = "reference"
MIMETYPES = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg",
             "jpeg": "image/jpeg", "gif": "image/gif", "txt": "text/plain",
             "csv": "text/csv", "zip": "application/zip",
             "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation"}


def has_files(activity: dict[str, Any]) -> bool:
    """Whether the message carries a file or image (a message even without text)."""
    return any(_kind(a) is not None for a in activity.get("attachments") or []
               if isinstance(a, dict))


def _kind(attachment: dict[str, Any]) -> str | None:
    content_type = str(attachment.get("contentType") or "")
    if content_type == FILE_DOWNLOAD_INFO:
        return "file"
    if content_type.startswith("image/") and attachment.get("contentUrl"):
        return "image"
    if content_type == REFERENCE and attachment.get("contentUrl"):
        return "reference"
    return None


def shared_files(activity: dict[str, Any]) -> tuple[list[SharedFile], list[Words]]:
    """The message's files, and what to tell of those deskbot cannot carry."""
    found: list[SharedFile] = []
    refusals: list[Words] = []
    for index, attachment in enumerate(activity.get("attachments") or []):
        if not isinstance(attachment, dict):
            continue
        kind = _kind(attachment)
        if kind is None:
            continue
        content = attachment.get("content")
        if not isinstance(content, dict):
            content = {}
        if kind == "image":
            content_type = str(attachment["contentType"])
            extension = content_type.split("/", 1)[1].split("+")[0] or "png"
            name = str(attachment.get("name") or f"image-{index + 1}.{extension}")
            found.append(SharedFile(platform="teams", name=name,
                                    url=str(attachment["contentUrl"]),
                                    mimetype=content_type))
            continue
        name = str(attachment.get("name") or "file")
        if kind == "reference":
            refusals.append(Words("file.in_sharepoint", name=name))
            continue
        url = content.get("downloadUrl")
        if not url:
            refusals.append(Words("file.cannot_fetch_teams", name=name))
            continue
        file_type = str(content.get("fileType") or name.rsplit(".", 1)[-1]).lower()
        found.append(SharedFile(platform="teams", name=name, url=str(url),
                                external_id=content.get("uniqueId"),
                                mimetype=MIMETYPES.get(file_type)))
    return found, refusals


__all__ = ["FILE_DOWNLOAD_INFO", "has_files", "shared_files"]
