"""Bot Connector calls timed for the metrics: latency and failures per API method.

`measure(client)` wraps each coroutine method of the client's `conversations`
operations (send_to_conversation, update_activity, create_conversation, ...) on that
client only: `deskbot_platform_api_seconds{platform="teams",method=...}` and, for a call
that raised, `deskbot_platform_api_errors_total`.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any

from storage import metrics

_MARK = "_deskbot_measured"


def _timed(method: str, call: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(call)
    async def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await call(*args, **kwargs)
        except BaseException:
            metrics.API_ERRORS.labels("teams", method).inc()
            raise
        finally:
            metrics.API_SECONDS.labels("teams", method).observe(time.perf_counter() - started)
    return timed


def measure(client: Any) -> Any:
    """Time every call of `client.conversations` (idempotent); returns `client`."""
    operations = getattr(client, "conversations", None)
    if operations is None or getattr(operations, _MARK, False):
        return client
    for name, call in inspect.getmembers(operations, inspect.iscoroutinefunction):
        if not name.startswith("_"):
            setattr(operations, name, _timed(name, call))
    setattr(operations, _MARK, True)
    return client
