"""A Slack Web API client that reports each call's latency and failures to the metrics.

Every method of `AsyncWebClient` (chat_postMessage, conversations_open, ...) goes
through `api_call`, so timing it there covers the senders, the listeners and bolt's
own calls alike: `deskbot_platform_api_seconds{platform="slack",method=...}` and, for a
call that raised (an `ok: false` answer, a 429, a network error),
`deskbot_platform_api_errors_total`.
"""

from __future__ import annotations

import time
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from storage import metrics


class MeasuredWebClient(AsyncWebClient):
    """`AsyncWebClient`, timed per API method."""

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        started = time.perf_counter()
        try:
            return await super().api_call(api_method, **kwargs)
        except BaseException:
            metrics.API_ERRORS.labels("slack", api_method).inc()
            raise
        finally:
            metrics.API_SECONDS.labels("slack", api_method).observe(
                time.perf_counter() - started)
