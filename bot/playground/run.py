"""Serving deskbot with the playground: `deskbot playground` (and `deskbot serve` when
no platform credentials are set)."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.playground.keep import state_file_for
from bot.playground.server import Playground
from bot.settings import Settings
from storage.clock import Clock

log = logging.getLogger("deskbot")


@dataclass
class Running:
    """A served playground: its address, deskbot's parts, the playground itself."""

    url: str
    deps: Any
    playground: Playground
    settings: Settings


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on (host, port); port 0 picks a free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


@asynccontextmanager
async def running(settings: Settings, *, clock: Clock | None = None,
                  db: Any = None, validate_blocks: bool = True,
                  access_log: logging.Logger | None = None) -> AsyncIterator[Running]:
    """deskbot with the playground, served on settings.host:settings.port until exit.

    The socket is bound first, so the playground knows its own address (port 0 too)
    before deskbot's Slack client is pointed at it.
    """
    from bot import bootstrap
    from bot.server import create_app

    sock = bind(settings.host, settings.port)
    host, port = sock.getsockname()[:2]
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "") else host
    base = f"http://[{shown_host}]:{port}" if ":" in shown_host else \
        f"http://{shown_host}:{port}"
    playground = Playground(base, validate_blocks=validate_blocks,
                            state_file=state_file_for(settings.database_url))
    settings = playground.configure(settings)
    try:
        deps = await bootstrap.build(settings, clock, db=db)
    except BaseException:
        sock.close()
        raise
    app = create_app(settings, deps)
    playground.add_routes(app)
    runner = web.AppRunner(app, handle_signals=False, access_log=access_log)
    try:
        await runner.setup()
        await web.SockSite(runner, sock).start()
        yield Running(base, deps, playground, settings)
    finally:
        await runner.cleanup()
        await deps.close()
        sock.close()


async def serve(settings: Settings, *, seed: bool = False,
                say: Callable[[str], None] | None = None) -> None:
    """Serve deskbot with the playground until SIGINT or SIGTERM."""
    say = say or (lambda line: print(line, flush=True))
    access = logging.getLogger("aiohttp.access") if settings.log_level == "DEBUG" else None
    async with running(settings, access_log=access) as served:
        if seed:
            from bot.playground.seed import seed as plant

            summary = await plant(served)
            say(f"deskbot playground: {summary}")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        say(f"deskbot listening on {served.url}")
        say(f"deskbot playground: open {served.playground.page_url} in a browser "
            "(Slack is simulated there: no Slack app needed)")
        log.info("listening on %s; playground at %s", served.url,
                 served.playground.page_url)
        await stop.wait()
        log.info("stopping")
