"""Signed, expiring links to a report page: `/report?desk=IT&period=2026-11&
expires=1796083200&sig=…`.

The signature is an HMAC-SHA256 over the desk, the period and the expiry (Unix
seconds), checked in constant time; a link is good for `VALID` (7 days) unless asked
otherwise. No valid link, no report. The key and the public address are the server's
settings (`bot.settings.Settings.report_key`, `report_base_url`), given by the caller.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

VALID = timedelta(days=7)
PATH = "/report"


def signature(key: bytes, desk: str, period: str, expires: int) -> str:
    """The HMAC-SHA256 (hex) of one link's desk, period and expiry."""
    message = "\n".join((desk, period, str(expires))).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def link(base_url: str, key: bytes, desk: str, period: str, now: datetime,
         valid: timedelta = VALID) -> str:
    """The signed link to the report of `desk` (its name; "" for every desk) for
    `period` (as written: `2026-11`, `month`…), good until `now + valid`."""
    expires = int((now + valid).timestamp())
    query = urlencode({"desk": desk, "period": period, "expires": expires,
                       "sig": signature(key, desk, period, expires)})
    return f"{base_url.rstrip('/')}{PATH}?{query}"


@dataclass(frozen=True)
class Asked:
    """What a valid link asks for."""

    desk: str
    period: str


def check(key: bytes, query: Mapping[str, str], now: datetime) -> Asked | None:
    """The desk and period a link asks for, or None when we did not sign it, it was
    changed, or it has expired."""
    desk, period = query.get("desk"), query.get("period")
    expires, sig = query.get("expires", ""), query.get("sig", "")
    if desk is None or period is None or not expires.isascii() or not expires.isdigit() \
            or len(expires) > 12:
        return None
    wanted = signature(key, desk, period, int(expires))
    if not hmac.compare_digest(wanted.encode(), sig.encode("utf-8", "replace")):
        return None
    if int(expires) <= now.timestamp():
        return None
    return Asked(desk, period)
