"""Desks as code: a workspace's desks written as YAML, and such a file applied in one go.

The file (what `export_desks` writes; `deskbot desks export`):

    version: 1
    workspace: {platform: slack, external_id: T0123, name: Acme}
    desks:
    - name: IT
      description: Laptops, VPN, accounts
      agent_channel: C0IT
      intake_channel: null
      routing_keywords: [laptop, vpn]
      leads: [U0NOA]               # platform user ids
      agents: [U0DANA, U0LEE]      # leads are agents too; not repeated here
      archived: false
      language: en                 # its channel's cards, alerts and digests (he, en)
      settings:                    # the desk's settings in their stored form (desks.policy)
        hours: sun-thu 08:00-18:00; fri 08:00-13:00
        time_zone: Asia/Jerusalem
        ...
      saved_replies:               # written when it has some (desks/saved_replies.py)
      - name: vpn
        text: Hi {name}, try reconnecting the VPN. ({ref})
      articles:                    # written when it has some (/desk kb)
      - id: KB-3                   # kept on import when free; none: a new number
        title: VPN drops every hour
        text: Reinstall the VPN client 5.2.

Reading (`read_desk_file`) checks the whole file before anything is applied and
reports every problem with its line (`desks.yaml:12: hours: “25:00” is not a time…`).
Applying (`apply_desk_file`) runs in the caller's unit of work: desks are matched by
slug (the name's), missing ones created, existing ones updated through the same
`desks.service` functions as the chat commands, so the same events are written.
Desks the file does not name are left alone. A key left out of a desk leaves that part
as it is (for a new desk: the default); a key given is the whole truth for that part
(`agents: []` removes every agent; `settings` replaces all settings, defaults for
what it leaves out).

The actor is the system: events of an import have no `actor_id` (NULL, as for the
scheduler) and one `desks.imported` event names the file and what it did.

It sits beside the conversations, not in desks/, because a desk's articles are part of
it and writing one also indexes it for search (conversations/knowledge/articles.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import yaml
from sqlalchemy import select

from conversations.knowledge import articles as kb_articles
from desks import audience, autoassign, saved_replies, service
from desks.errors import DeskbotError, InvalidInput
from desks.languages import LANGUAGES
from desks.people import ensure_person, ensure_workspace
from desks.permissions import Actor, Role
from desks.policy import POLICY_KEYS, policy_of, settings_problems, settings_with, slugify
from storage.database import UnitOfWork
from storage.journal import record_event
from storage.models import Desk, Person, Workspace

FORMAT_VERSION = 1
DESK_KEYS = ("name", "description", "agent_channel", "intake_channel", "routing_keywords",
             "leads", "agents", "archived", "language", "settings", "saved_replies",
             "articles")
MAX_ID = 128
MAX_CHANNEL = 255
SYSTEM_NAME = "deskbot (desks import)"


class DeskFileInvalid(DeskbotError):
    """The file cannot be applied; `problems` are `file:line: what` lines, in file order."""

    kind = "desk_file_invalid"

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems), problems=problems)
        self.problems = problems


@dataclass
class DeskSpec:
    """One desk as the file describes it; None (or absent) means "leave as it is"."""

    name: str
    line: int
    description: str | None = None
    agent_channel: str | None = None
    intake_channel: str | None = None
    routing_keywords: list[str] | None = None
    leads: list[str] | None = None
    agents: list[str] | None = None
    archived: bool | None = None
    language: str | None = None
    settings: dict[str, Any] | None = None
    given: frozenset[str] = frozenset()
    saved_replies: list[tuple[str, str]] | None = None  # (name, text), the whole set
    articles: list[tuple[int | None, str, str]] | None = None  # (number, title, text)

    @property
    def slug(self) -> str:
        """The slug the desk is matched by."""
        return slugify(self.name)


@dataclass
class DeskFile:
    """A checked desk file."""

    source: str
    desks: list[DeskSpec]
    platform: str | None = None
    workspace_external_id: str | None = None
    workspace_name: str | None = None


@dataclass
class ImportResult:
    """What applying a desk file did, desk by desk (names)."""

    workspace: Workspace
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- export


def _plain_settings(settings: Mapping[str, Any] | None,
                    language: str | None = None) -> dict[str, Any]:
    """The settings written out: every policy key in its stored form, then the others."""
    settings = {k: v for k, v in (settings or {}).items() if k != autoassign.CURSOR}
    stored = settings_with(settings, policy_of(settings, language))
    ordered = {key: stored[key] for key in POLICY_KEYS if key in stored}
    ordered.update({key: stored[key] for key in sorted(stored) if key not in POLICY_KEYS})
    return ordered


async def export_document(uow: UnitOfWork, workspace: Workspace) -> dict[str, Any]:
    """Every desk of `workspace` (archived ones too) as the file's data."""
    desks = sorted(await service.list_desks(uow, workspace.id, include_archived=True),
                   key=lambda d: d.slug)
    written: list[dict[str, Any]] = []
    for desk in desks:
        members = await service.members(uow, desk)
        written.append({
            "name": desk.name,
            "description": desk.description,
            "agent_channel": desk.agent_channel,
            "intake_channel": desk.intake_channel,
            "routing_keywords": sorted(desk.routing_keywords or []),
            "leads": sorted(p.external_id for p, role in members if role == Role.LEAD),
            "agents": sorted(p.external_id for p, role in members if role == Role.AGENT),
            "archived": desk.archived_at is not None,
            "language": desk.language or "en",
            "settings": _plain_settings(desk.settings, desk.language),
        })
        replies = await saved_replies.replies_of(uow, desk.id)
        if replies:
            written[-1]["saved_replies"] = [{"name": r.name, "text": r.text} for r in replies]
        kept = await kb_articles.articles_of(uow, [desk.id])
        if kept:
            written[-1]["articles"] = [{"id": kb_articles.label(a.number), "title": a.title,
                                        "text": a.body} for a in kept]
    about = {"platform": workspace.platform, "external_id": workspace.external_id}
    if workspace.name:
        about["name"] = workspace.name
    return {"version": FORMAT_VERSION, "workspace": about, "desks": written}


def dump(document: Mapping[str, Any]) -> str:
    """The YAML text of a desk file (keys in the order given, text as it is)."""
    header = ("# deskbot desks: apply with `deskbot desks import FILE`; desks are matched by "
              "name.\n")
    return header + yaml.safe_dump(dict(document), sort_keys=False, allow_unicode=True,
                                   default_flow_style=False, width=100)


async def export_desks(uow: UnitOfWork, workspace: Workspace) -> str:
    """Every desk of `workspace` as YAML text."""
    return dump(await export_document(uow, workspace))


# ---------------------------------------------------------------- reading

_BOOL, _TIMESTAMP = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp"


class _Loader(yaml.SafeLoader):
    """Safe YAML as people mean it in this file: only true/false are booleans (`NO` is
    Norway) and dates stay text (so `2026-02-30` is reported, not a crash)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag not in (_BOOL, _TIMESTAMP)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))


class _Reader:
    """Walks the composed YAML nodes, collecting problems with their lines."""

    def __init__(self, source: str, loader: _Loader) -> None:
        self.source = source
        self.loader = loader
        self.problems: list[tuple[int, str]] = []

    def problem(self, node: yaml.Node, where: str, message: str) -> None:
        prefix = f"{where}: " if where else ""
        self.problems.append((node.start_mark.line + 1, prefix + message))

    def value(self, node: yaml.Node) -> Any:
        return _plain(self.loader.construct_object(node, deep=True))

    def items(self, node: yaml.Node, where: str) -> Iterator[tuple[str, yaml.Node, yaml.Node]]:
        """A mapping's (key, key node, value node), refusing keys given twice."""
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(self.value(key_node))
            if key in seen:
                self.problem(key_node, _join(where, key), "given twice.")
                continue
            seen.add(key)
            yield key, key_node, value_node

    def text(self, node: yaml.Node, where: str, *, limit: int, empty: bool = False,
             null: bool = True) -> str | None:
        value = self.value(node)
        if value is None and null:
            return None
        if not isinstance(value, str) or (not empty and not value.strip()):
            self.problem(node, where, "is text" + ("" if null else ", and it is needed")
                         + "; put it in quotes if it looks like something else.")
            return None
        if len(value) > limit:
            self.problem(node, where, f"is at most {limit} characters.")
            return None
        return value

    def texts(self, node: yaml.Node, where: str, *, limit: int) -> list[str] | None:
        if not isinstance(node, yaml.SequenceNode):
            self.problem(node, where, "is a list, like `[a, b]` (or `[]`).")
            return None
        found = []
        for item in node.value:
            text = self.text(item, where, limit=limit, null=False)
            if text is not None:
                found.append(text.strip())
        return found


def _join(where: str, key: str | int) -> str:
    return f"{where}.{key}" if where else str(key)


def _plain(value: Any) -> Any:
    """YAML's dates as text, keys as text: the JSON form settings are stored in."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _node_at(node: yaml.Node, path: tuple[str | int, ...], reader: _Reader) -> yaml.Node:
    """The deepest node of `path` under `node` (the line a settings problem is on)."""
    for step in path:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if str(reader.value(k)) == str(step)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) \
                and step < len(node.value):
            match = node.value[step]
        else:
            match = None
        if match is None:
            break
        node = match
    return node


def _read_desk(reader: _Reader, node: yaml.Node, index: int) -> DeskSpec | None:
    where = f"desks[{index}]"
    if not isinstance(node, yaml.MappingNode):
        reader.problem(node, where, "a desk is a mapping with at least `name:`.")
        return None
    fields: dict[str, yaml.Node] = {}
    for key, key_node, value_node in reader.items(node, ""):
        if key not in DESK_KEYS:
            reader.problem(key_node, key, f"not a desk key; they are {', '.join(DESK_KEYS)}.")
        else:
            fields[key] = value_node
    if "name" not in fields:
        reader.problem(node, where, "a desk needs a `name:`.")
        return None
    name = reader.text(fields["name"], "name", limit=200, null=False)
    if name is None:
        return None
    try:
        name = service.clean_name(name)
    except InvalidInput as error:
        reader.problem(fields["name"], "name", error.message)
        return None
    spec = DeskSpec(name=name, line=fields["name"].start_mark.line + 1,
                    given=frozenset(fields))
    if "description" in fields:
        spec.description = reader.text(fields["description"], "description",
                                       limit=service.MAX_DESCRIPTION, empty=True)
    for key in ("agent_channel", "intake_channel"):
        if key in fields:
            setattr(spec, key, reader.text(fields[key], key, limit=MAX_CHANNEL))
    for key, limit in (("routing_keywords", 100), ("leads", MAX_ID), ("agents", MAX_ID)):
        if key in fields:
            setattr(spec, key, reader.texts(fields[key], key, limit=limit))
    if "archived" in fields:
        archived = reader.value(fields["archived"])
        if not isinstance(archived, bool):
            reader.problem(fields["archived"], "archived",
                           f"true or false, not “{str(archived)[:40]}”.")
        spec.archived = archived if isinstance(archived, bool) else None
    if "language" in fields:
        language = reader.value(fields["language"])
        if not isinstance(language, str) or language.strip().lower() not in LANGUAGES:
            reader.problem(fields["language"], "language",
                           f"one of {', '.join(sorted(LANGUAGES))}, not “{str(language)[:40]}”.")
        else:
            spec.language = language.strip().lower()
    if "settings" in fields:
        spec.settings = _read_settings(reader, fields["settings"], spec)
    if "saved_replies" in fields:
        spec.saved_replies = _read_saved_replies(reader, fields["saved_replies"])
    if "articles" in fields:
        spec.articles = _read_articles(reader, fields["articles"])
    return spec


def _read_articles(reader: _Reader, node: yaml.Node) -> list[tuple[int | None, str, str]] | None:
    """`articles: [{id: KB-3, title: …, text: …}, …]` (id optional), each checked as
    `/desk kb add` does."""
    if reader.value(node) is None:
        return []
    form = "is a list of articles, like `[{id: KB-3, title: VPN drops, text: …}]` (or `[]`)."
    if not isinstance(node, yaml.SequenceNode):
        reader.problem(node, "articles", form)
        return None
    found: list[tuple[int | None, str, str]] = []
    seen: set[int] = set()
    for index, item in enumerate(node.value):
        where = f"articles[{index}]"
        value = reader.value(item)
        if not isinstance(item, yaml.MappingNode) or not isinstance(value, dict) \
                or not {"title", "text"} <= set(value) <= {"id", "title", "text"}:
            reader.problem(item, where, "an article is a mapping of title and text "
                                        "(and its id, like KB-3).")
            continue
        try:
            number = None if value.get("id") is None else kb_articles.parse_number(
                str(value["id"]))
            title = kb_articles.clean_title(value["title"] if isinstance(value["title"], str)
                                            else "")
            text = kb_articles.clean_text(value["text"] if isinstance(value["text"], str)
                                          else "")
        except InvalidInput as error:
            reader.problem(item, where, error.message)
            continue
        if number is not None and number in seen:
            reader.problem(item, where, f"the article {kb_articles.label(number)} is listed "
                                        "twice.")
            continue
        if number is not None:
            seen.add(number)
        found.append((number, title, text))
    return found


def _read_saved_replies(reader: _Reader, node: yaml.Node) -> list[tuple[str, str]] | None:
    """`saved_replies: [{name: vpn, text: …}, …]`, each checked as `/desk replies` does."""
    if reader.value(node) is None:
        return []
    form = "is a list of replies, like `[{name: vpn, text: \"Hi {name}, …\"}]` (or `[]`)."
    if not isinstance(node, yaml.SequenceNode):
        reader.problem(node, "saved_replies", form)
        return None
    found: list[tuple[str, str]] = []
    seen: set[str] = set()
    for index, item in enumerate(node.value):
        where = f"saved_replies[{index}]"
        value = reader.value(item)
        if not isinstance(item, yaml.MappingNode) or not isinstance(value, dict) \
                or set(value) != {"name", "text"}:
            reader.problem(item, where, "a saved reply is a mapping of name and text.")
            continue
        name, text = value["name"], value["text"]
        try:
            name = saved_replies.clean_reply_name(name if isinstance(name, str) else "")
            text = saved_replies.clean_reply_text(text if isinstance(text, str) else "")
        except InvalidInput as error:
            reader.problem(item, where, error.message)
            continue
        if name.casefold() in seen:
            reader.problem(item, where, f"the saved reply “{name}” is listed twice.")
            continue
        seen.add(name.casefold())
        found.append((name, text))
    if len(found) > saved_replies.MAX_REPLIES:
        reader.problem(node, "saved_replies",
                       f"a desk has at most {saved_replies.MAX_REPLIES} saved replies.")
    return found


def _read_settings(reader: _Reader, node: yaml.Node, spec: DeskSpec) -> dict[str, Any] | None:
    value = reader.value(node)
    if value is None:
        return {}
    problems = settings_problems(value)
    for path, message in problems:
        where = "".join(f"[{step}]" if isinstance(step, int) else f".{step}"
                        for step in path).lstrip(".") or "settings"
        reader.problem(_node_at(node, path, reader), where, message)
    oncall = value.get("oncall") if isinstance(value, Mapping) else None
    if isinstance(oncall, list) and spec.leads is not None and spec.agents is not None:
        members = set(spec.leads) | set(spec.agents)
        for index, user_id in enumerate(oncall):
            if isinstance(user_id, str) and user_id not in members:
                reader.problem(_node_at(node, ("oncall", index), reader), f"oncall[{index}]",
                               f"“{user_id[:40]}” is not one of this desk's agents or leads.")
    return None if problems else dict(value)


def read_desk_file(text: str, source: str = "desks.yaml") -> DeskFile:
    """Check a desk file; raises `DeskFileInvalid` with every problem, line by line."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = f"{source}:{mark.line + 1}: " if mark else f"{source}: "
        raise DeskFileInvalid([f"{line}not YAML: {error.problem or error}"]) from None
    except yaml.YAMLError as error:
        raise DeskFileInvalid([f"{source}: not YAML: {error}"]) from None
    finally:
        loader.dispose()
    reader = _Reader(source, loader)
    if not isinstance(root, yaml.MappingNode):
        at = root.start_mark.line + 1 if root is not None else 1
        raise DeskFileInvalid([f"{source}:{at}: a desk file is a mapping with "
                               "`desks:` (a list of desks); `deskbot desks export` writes one."])
    result = DeskFile(source=source, desks=[])
    desks_node = None
    for key, key_node, value_node in reader.items(root, ""):
        if key == "version":
            if reader.value(value_node) != FORMAT_VERSION:
                reader.problem(value_node, "version", f"this deskbot reads version "
                                                      f"{FORMAT_VERSION}.")
        elif key == "workspace":
            _read_workspace(reader, value_node, result)
        elif key == "desks":
            desks_node = value_node
        else:
            reader.problem(key_node, key, "not a key of a desk file; they are version, "
                                          "workspace, desks.")
    if desks_node is None:
        reader.problem(root, "desks", "is missing: a desk file lists its desks under `desks:`.")
    elif not isinstance(desks_node, yaml.SequenceNode):
        if reader.value(desks_node) is not None:
            reader.problem(desks_node, "desks", "is a list of desks, each starting `- name:`.")
    else:
        seen: dict[str, DeskSpec] = {}
        for index, node in enumerate(desks_node.value):
            spec = _read_desk(reader, node, index)
            if spec is None:
                continue
            if spec.slug in seen:
                reader.problem(node, "name", f"“{spec.name}” is the same desk as "
                               f"“{seen[spec.slug].name}” (line {seen[spec.slug].line}).")
                continue
            seen[spec.slug] = spec
            result.desks.append(spec)
    if reader.problems:
        raise DeskFileInvalid([f"{source}:{line}: {message}"
                               for line, message in sorted(reader.problems,
                                                           key=lambda p: p[0])])
    return result


def _read_workspace(reader: _Reader, node: yaml.Node, result: DeskFile) -> None:
    if not isinstance(node, yaml.MappingNode):
        reader.problem(node, "workspace", "is a mapping of platform, external_id and name.")
        return
    for key, key_node, value_node in reader.items(node, "workspace"):
        if key == "platform":
            platform = reader.text(value_node, "workspace.platform", limit=16, null=False)
            if platform is not None and platform not in ("slack", "teams"):
                reader.problem(value_node, "workspace.platform", "is slack or teams.")
            result.platform = platform
        elif key == "external_id":
            result.workspace_external_id = reader.text(value_node, "workspace.external_id",
                                                       limit=MAX_ID, null=False)
        elif key == "name":
            result.workspace_name = reader.text(value_node, "workspace.name", limit=200)
        else:
            reader.problem(key_node, f"workspace.{key}", "not a workspace key; they are "
                                                         "platform, external_id, name.")


# ---------------------------------------------------------------- applying


def system_actor(workspace: Workspace) -> Actor:
    """The actor of an import: an admin with no person behind it (events: actor_id NULL)."""
    person = Person(workspace_id=workspace.id, external_id="deskbot", display_name=SYSTEM_NAME,
                    is_platform_admin=True)
    return Actor(person=person, is_admin=True)


async def find_workspace(uow: UnitOfWork, external_id: str | None,
                         platform: str | None = None) -> Workspace | None:
    """The workspace with this external id (the only one when no id is given).

    Refuses when there is no telling which one is meant; None when it does not exist.
    """
    query = select(Workspace).order_by(Workspace.id)
    if external_id is not None:
        query = query.where(Workspace.external_id == external_id)
    if platform is not None:
        query = query.where(Workspace.platform == platform)
    found = list((await uow.session.execute(query)).scalars())
    if len(found) > 1:
        known = ", ".join(f"{w.platform}:{w.external_id}" for w in found)
        raise InvalidInput(f"Several workspaces ({known}); name one with --workspace.")
    if not found and external_id is None and platform is None:
        raise InvalidInput("The database has no workspace yet.")
    return found[0] if found else None


async def apply_desk_file(uow: UnitOfWork, config: DeskFile, *,
                          workspace_external_id: str | None = None) -> ImportResult:
    """Apply a checked desk file in the caller's unit of work (the caller commits).

    `workspace_external_id` (the --workspace flag) wins over the file's workspace. A
    workspace that is not there yet is created when the file says its platform.
    """
    external_id = workspace_external_id or config.workspace_external_id
    workspace = await find_workspace(uow, external_id, config.platform)
    if workspace is None:
        if config.platform is None or external_id is None:
            raise InvalidInput(f"{config.source}: there is no workspace {external_id}; the "
                               "file's `workspace:` needs its platform and external_id to "
                               "create it.")
        workspace = await ensure_workspace(uow, config.platform, external_id,
                                           config.workspace_name)
    actor = system_actor(workspace)
    result = ImportResult(workspace=workspace)
    for spec in config.desks:
        desk = (await uow.session.execute(
            select(Desk).where(Desk.workspace_id == workspace.id, Desk.slug == spec.slug)
        )).scalar_one_or_none()
        if desk is None:
            desk = await service.create_desk(uow, actor, spec.name,
                                             description=spec.description,
                                             agent_channel=spec.agent_channel)
            await _apply(uow, actor, workspace, desk, spec, config.source)
            result.created.append(desk.name)
        elif await _apply(uow, actor, workspace, desk, spec, config.source):
            result.updated.append(desk.name)
        else:
            result.unchanged.append(desk.name)
    await _check_escalations(uow, workspace, config)
    audience.forget_members()  # a new audience channel's members are asked at once
    record_event(uow, workspace_id=workspace.id, kind="desks.imported", source=config.source,
                 created=result.created, updated=result.updated, unchanged=result.unchanged)
    return result


async def _check_escalations(uow: UnitOfWork, workspace: Workspace, config: DeskFile) -> None:
    """Each desk of the file that escalates names another desk (of the file, or there
    already) and makes no loop; checked once every desk of the file is in place."""
    for spec in config.desks:
        slug = policy_of(spec.settings).escalate_to if spec.settings else None
        if slug is None:
            continue
        where = f"{config.source}:{spec.line}: escalate_to:"
        chain = await service.escalation_chain(uow, workspace.id, slug)
        if not chain:
            raise DeskFileInvalid([f"{where} there is no desk “{slug[:40]}” in the workspace "
                                   "or the file."])
        desk = (await uow.session.execute(select(Desk).where(
            Desk.workspace_id == workspace.id, Desk.slug == spec.slug))).scalar_one()
        try:
            service.check_escalation(desk, chain[0], chain)
        except InvalidInput as error:
            raise DeskFileInvalid([f"{where} {error.message}"]) from None


async def _apply(uow: UnitOfWork, actor: Actor, workspace: Workspace, desk: Desk,
                 spec: DeskSpec, source: str) -> bool:
    """Bring one desk to what the file says; whether anything changed."""
    changed = False
    given = spec.given
    if "archived" in given and not spec.archived and desk.archived_at is not None:
        await service.restore_desk(uow, actor, desk)
        changed = True
    if spec.name != desk.name:
        await service.rename_desk(uow, actor, desk, spec.name)
        changed = True
    if "description" in given and (spec.description or "").strip() != (desk.description or ""):
        await service.describe_desk(uow, actor, desk, spec.description or "")
        changed = True
    if "agent_channel" in given and spec.agent_channel != desk.agent_channel:
        if spec.agent_channel is None:  # no chat command unbinds it; the file may
            record_event(uow, workspace_id=desk.workspace_id, desk_id=desk.id,
                         actor_id=actor.id, kind="desk.agent_channel", old=desk.agent_channel,
                         new=None)
            desk.agent_channel = None
        else:
            await service.set_agent_channel(uow, actor, desk, spec.agent_channel)
        changed = True
    if "intake_channel" in given and spec.intake_channel != desk.intake_channel:
        await service.set_intake_channel(uow, actor, desk, spec.intake_channel)
        changed = True
    if spec.routing_keywords is not None:
        wanted = sorted({k.strip().lower() for k in spec.routing_keywords if k.strip()})
        if wanted != sorted(desk.routing_keywords or []):
            await service.set_routing_keywords(uow, actor, desk, wanted)
            changed = True
    if spec.language is not None and spec.language != (desk.language or "en"):
        await service.set_desk_language(uow, actor, desk, spec.language)
        changed = True
    changed |= await _apply_members(uow, actor, workspace, desk, spec)
    if spec.settings is not None:
        working = {p.external_id for p, _ in await service.members(uow, desk)}
        strangers = [i for i in spec.settings.get("oncall") or () if i not in working]
        if strangers:  # the file's lists were checked; this is about members kept from before
            raise DeskFileInvalid([f"{source}:{spec.line}: oncall: “{strangers[0][:40]}” is "
                                   f"not one of the {spec.name} desk's agents or leads."])
        changed |= _apply_settings(uow, actor, desk, spec.settings)
    if spec.saved_replies is not None:
        changed |= await _apply_saved_replies(uow, actor, desk, spec.saved_replies)
    if spec.articles is not None:
        changed |= await _apply_articles(uow, actor, desk, spec.articles)
    if spec.archived and desk.archived_at is None:
        await service.archive_desk(uow, actor, desk)
        changed = True
    return changed


async def _apply_saved_replies(uow: UnitOfWork, actor: Actor, desk: Desk,
                               wanted: list[tuple[str, str]]) -> bool:
    """The desk's saved replies become the file's: each one that differs (or is gone)
    removed, each one missing added, with the commands' events."""
    current = {r.name: r.text for r in await saved_replies.replies_of(uow, desk.id)}
    target = dict(wanted)
    if current == target:
        return False
    for name, text in current.items():
        if target.get(name) != text:
            await saved_replies.remove_reply(uow, actor, desk, name)
    for name, text in wanted:
        if current.get(name) != text:
            await saved_replies.store_reply(uow, actor, desk, name, text)
    return True


async def _apply_articles(uow: UnitOfWork, actor: Actor, desk: Desk,
                          wanted: list[tuple[int | None, str, str]]) -> bool:
    """The desk's articles become the file's: one with the id of an article of the desk
    is edited to match, the desk's others are removed, the rest added (keeping their
    number when the workspace has no article with it); each with the commands' event."""
    current = {a.number: a for a in await kb_articles.articles_of(uow, [desk.id])}
    named = {number for number, _, _ in wanted if number in current}
    changed = False
    for gone in current:
        if gone not in named:
            await kb_articles.remove_article(uow, actor, gone)
            changed = True
    for number, title, text in wanted:
        if number is not None and number in current:
            changed |= await kb_articles.edit_article(uow, actor, current[number], title, text)
        else:
            await kb_articles.add_article(uow, actor, desk, title, text, number=number)
            changed = True
    return changed


async def _apply_members(uow: UnitOfWork, actor: Actor, workspace: Workspace, desk: Desk,
                         spec: DeskSpec) -> bool:
    if spec.leads is None and spec.agents is None:
        return False
    current = {p.external_id: (p, role) for p, role in await service.members(uow, desk)}
    wanted: dict[str, Role] = {}
    if spec.leads is None:  # only agents given: the leads stay
        wanted.update({i: Role.LEAD for i, (_, r) in current.items() if r == Role.LEAD})
    for user_id in spec.agents or ():
        wanted.setdefault(user_id, Role.AGENT)
    for user_id in spec.leads or ():
        wanted[user_id] = Role.LEAD  # a lead is an agent too: listed twice is a lead
    if spec.agents is None:  # only leads given: the agents stay
        for user_id, (_, role) in current.items():
            wanted.setdefault(user_id, role)
    changed = False
    for user_id, role in wanted.items():
        have = current.get(user_id)
        if have is not None and have[1] == role:
            continue
        person = have[0] if have else await ensure_person(uow, workspace, user_id)
        if have is not None and have[1] == Role.LEAD:  # lead -> agent
            await service.remove_members(uow, actor, desk, [person], Role.LEAD)
        else:
            await service.add_members(uow, actor, desk, [person], role)
        changed = True
    gone = [person for user_id, (person, _) in current.items() if user_id not in wanted]
    if gone:
        await service.remove_members(uow, actor, desk, gone, Role.AGENT)
        changed = True
    return changed


def _apply_settings(uow: UnitOfWork, actor: Actor, desk: Desk,
                    settings: Mapping[str, Any]) -> bool:
    # Round-robin's place in the turn is the desk's own, never the file's: kept as it is.
    kept = (*POLICY_KEYS, autoassign.CURSOR)
    others = {k: v for k, v in settings.items() if k not in kept}
    old_others = {k: v for k, v in (desk.settings or {}).items() if k not in kept}
    changed = False
    if others != old_others:
        desk.settings = {**others, **{k: v for k, v in (desk.settings or {}).items()
                                      if k in kept}}
        record_event(uow, workspace_id=desk.workspace_id, desk_id=desk.id, actor_id=actor.id,
                     kind="desk.settings_changed", old=old_others, new=others)
        changed = True
    return bool(service.write_policy(uow, actor, desk, policy_of(settings, desk.language))) \
        or changed
