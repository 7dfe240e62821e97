"""Slack Socket Mode: events, commands and interactions over the app's own websocket.

No public URL is needed: deskbot asks Slack for a websocket URL (`apps.connections.open`
with the app-level token, SLACK_APP_TOKEN), connects out, and gets every delivery as an
envelope there; bolt runs the same listeners as for HTTP and acks each envelope with
its `envelope_id`. The aiohttp-based handler comes with slack_bolt (no extra dependency).
"""

from __future__ import annotations

import logging

from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from bot.settings import Settings
from bot.slack.measured import MeasuredWebClient

log = logging.getLogger(__name__)


class DeskbotSocketModeHandler(AsyncSocketModeHandler):
    """bolt's handler, but a start with a refused app token fails instead of hanging.

    slack_sdk's client retries a failed connect forever; the first websocket URL is
    asked for here, so a bad SLACK_APP_TOKEN (or an unreachable Slack) stops the start
    with the Web API's error. Later reconnects are the client's own business.
    """

    async def connect_async(self) -> None:
        self.client.wss_uri = await self.client.issue_new_wss_url()
        await super().connect_async()


def build_socket_mode_handler(app: AsyncApp, settings: Settings) -> AsyncSocketModeHandler:
    """A Socket Mode handler for `app`; connect with `connect_async`, stop with `close_async`.

    `apps.connections.open` goes to SLACK_API_URL (the fake Slack in tests, the
    playground locally), with the app-level token.
    """
    if not settings.slack_app_token:
        raise ValueError("Socket Mode needs SLACK_APP_TOKEN")
    # Its own client: only apps.connections.open goes through it, with the app token.
    web_client = MeasuredWebClient(base_url=settings.slack_api_url)
    return DeskbotSocketModeHandler(app, app_token=settings.slack_app_token,
                                    web_client=web_client, logger=log)
