"""A desk's service policy: service window, SLA targets, stall thresholds, on-call.

Kept in the desk's `settings` JSON (no column per knob, so adding one needs no
migration) and read through `policy_of(desk)`, which validates with the same parsers
the admin commands use. Everything is plain data here; `scheduling` turns the window
into business time.

Stored form (every key optional; absent means the default below):

    {"hours": "sun-thu 08:00-18:00; fri 08:00-13:00", "time_zone": "Asia/Jerusalem",
     "holidays": "IL", "closed_dates": ["2026-12-31"],
     "sla": {"first_response": {"default": "15m", "5": "5m"},
             "resolution": {"default": "2d"}, "warning_percent": 75},
     "stall": {"unassigned": "10m", "agent_silence": "2h", "requester_silence": "3d"},
     "auto_close_after": "7d", "oncall": ["U123"], "reopen_window_days": 7}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from desks.errors import InvalidInput
from desks.window_grammar import WindowConfig, format_duration, parse_duration

PRIORITIES = (1, 2, 3, 4, 5)
DEFAULT_FIRST_RESPONSE = timedelta(hours=4)
DEFAULT_RESOLUTION = timedelta(days=3)
DEFAULT_WARNING_PERCENT = 75
DEFAULT_STALL = {"unassigned": timedelta(minutes=30), "agent_silence": timedelta(hours=4),
                 "requester_silence": timedelta(days=3)}
DEFAULT_AUTO_CLOSE = timedelta(days=7)
STALL_KINDS = tuple(DEFAULT_STALL)


@dataclass(frozen=True)
class SlaTargets:
    """First-response and resolution targets (business time), per priority."""

    first_response: Mapping[int, timedelta] = field(default_factory=dict)
    resolution: Mapping[int, timedelta] = field(default_factory=dict)
    warning_percent: int = DEFAULT_WARNING_PERCENT

    def first_response_for(self, priority: int) -> timedelta:
        """The first-response target of `priority`."""
        return self.first_response.get(priority, DEFAULT_FIRST_RESPONSE)

    def resolution_for(self, priority: int) -> timedelta:
        """The resolution target of `priority`."""
        return self.resolution.get(priority, DEFAULT_RESOLUTION)


@dataclass(frozen=True)
class DeskPolicy:
    """Everything the scheduler needs to know about one desk."""

    window: WindowConfig = field(default_factory=WindowConfig)
    sla: SlaTargets = field(default_factory=SlaTargets)
    stall: Mapping[str, timedelta] = field(default_factory=lambda: dict(DEFAULT_STALL))
    auto_close_after: timedelta = DEFAULT_AUTO_CLOSE
    oncall: tuple[str, ...] = ()  # platform user ids of on-call agents


def _targets(raw: Any) -> dict[int, timedelta]:
    """{"default": "15m", "5": "5m"} -> a target for each priority."""
    if not raw:
        return {}
    if not isinstance(raw, Mapping):
        raise InvalidInput("An SLA target is a duration per priority.")
    default = parse_duration(raw["default"]) if "default" in raw else None
    targets = {p: default for p in PRIORITIES if default is not None}
    for key, value in raw.items():
        if key != "default":
            targets[int(key)] = parse_duration(value)
    return targets


def _stored_targets(targets: Mapping[int, timedelta]) -> dict[str, str]:
    return {str(p): format_duration(d) for p, d in sorted(targets.items())}


def policy_of(settings: Mapping[str, Any] | None) -> DeskPolicy:
    """The policy stored in a desk's `settings` (defaults for what is not set)."""
    settings = settings or {}
    sla = settings.get("sla") or {}
    stall = dict(DEFAULT_STALL)
    stall.update({k: parse_duration(v) for k, v in (settings.get("stall") or {}).items()
                  if k in STALL_KINDS})
    return DeskPolicy(
        window=WindowConfig.from_settings(settings),
        sla=SlaTargets(first_response=_targets(sla.get("first_response")),
                       resolution=_targets(sla.get("resolution")),
                       warning_percent=int(sla.get("warning_percent",
                                                   DEFAULT_WARNING_PERCENT))),
        stall=stall,
        auto_close_after=parse_duration(settings["auto_close_after"])
        if settings.get("auto_close_after") else DEFAULT_AUTO_CLOSE,
        oncall=tuple(settings.get("oncall") or ()),
    )


def settings_with(settings: Mapping[str, Any] | None, policy: DeskPolicy) -> dict[str, Any]:
    """`settings` with the policy's keys replaced by `policy` (other keys kept)."""
    merged = {k: v for k, v in (settings or {}).items()
              if k not in ("hours", "time_zone", "holidays", "closed_dates", "sla", "stall",
                           "auto_close_after", "oncall")}
    merged.update(policy.window.to_settings())
    merged["sla"] = {"first_response": _stored_targets(policy.sla.first_response),
                     "resolution": _stored_targets(policy.sla.resolution),
                     "warning_percent": policy.sla.warning_percent}
    merged["stall"] = {k: format_duration(v) for k, v in policy.stall.items()}
    merged["auto_close_after"] = format_duration(policy.auto_close_after)
    merged["oncall"] = list(policy.oncall)
    return merged
