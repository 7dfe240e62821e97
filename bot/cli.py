"""The `deskbot` command: serve, playground, database upgrade/current, desks export/import,
teams-manifest.

Settings come from the environment (and `.env`); flags override them. Bad arguments
or settings end with one line on stderr and exit code 2; a failure at run time with
one line and exit code 1 (DESKBOT_LOG_LEVEL=DEBUG logs the traceback).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, NoReturn

from bot.settings import (
    Settings,
    SettingsError,
    describe_variables,
    parse_database_url,
    parse_host,
    parse_port,
)

log = logging.getLogger("deskbot")

USAGE_ERROR = 2
RUNTIME_ERROR = 1


class UsageError(Exception):
    """A bad command line; reported on one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def _flag(name: str, parse: Callable[[str, str], Any]) -> Callable[[str], Any]:
    def convert(raw: str) -> Any:
        try:
            return parse(name, raw)
        except SettingsError as error:
            # argparse already names the flag: "argument --port: must be ..."
            raise argparse.ArgumentTypeError(str(error).removeprefix(f"{name} ")) from None

    convert.__name__ = name
    return convert


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `deskbot` command."""
    parser = _Parser(prog="deskbot", description="deskbot: a chat-native helpdesk for Slack "
                     "and Microsoft Teams.")
    parser.add_argument("--env-file", default=".env", metavar="PATH",
                        help="read variables from this file too; the environment wins "
                             "(default: .env)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    database = _Parser(add_help=False)
    database.add_argument("--database-url", type=_flag("--database-url", parse_database_url),
                          metavar="URL", help="SQLAlchemy URL (overrides DATABASE_URL)")
    address = _Parser(add_help=False)  # where the server listens: serve and playground
    address.add_argument("--host", type=_flag("--host", parse_host),
                         help="address to bind (overrides DESKBOT_HOST; default 127.0.0.1)")
    address.add_argument("--port", type=_flag("--port", parse_port),
                         help="port to bind, 0 for any free one (overrides DESKBOT_PORT; "
                              "default 3000)")

    serve = commands.add_parser(
        "serve", parents=[database, address], help="run the server",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run the HTTP server. Flags override the environment variables.",
        epilog="environment variables (also read from .env):\n" + describe_variables())
    serve.add_argument("--no-playground", action="store_true",
                       help="with no Slack or Teams credentials, serve /healthz only "
                            "instead of starting the playground")
    serve.add_argument("--teams-emulator", action="store_true", default=None,
                       help="serve Teams' /api/messages without MICROSOFT_APP_ID, "
                            "unauthenticated, for a local Bot Framework Emulator; only on "
                            "a loopback bind (overrides DESKBOT_TEAMS_EMULATOR). Without "
                            "an app id or this switch Teams is off")
    serve.set_defaults(run=_serve)

    playground = commands.add_parser(
        "playground", parents=[database, address], help="try deskbot in a browser, no Slack needed",
        description="Serve deskbot with a local Slack in the browser (/playground/): "
                    "a Slack-compatible Web API inside the same server, a generated bot "
                    "token and signing secret, and a page where you act as one of two "
                    "employees (Eli; Noa, whose Slack is in Hebrew), two agents or an "
                    "admin. Every click is the signed request Slack would send.")
    playground.add_argument("--seed", action="store_true",
                            help="first create desks IT and HR, their agents and a few "
                                 "weeks of requests, and the Hebrew-speaking desk אחזקה "
                                 "that Noa asks (skipped when desks exist)")
    playground.set_defaults(run=_playground)

    db = commands.add_parser("db", help="database migrations")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    upgrade = db_commands.add_parser("upgrade", parents=[database],
                                     help="migrate the database to the newest revision")
    upgrade.add_argument("--revision", default="head",
                         help="revision to migrate to (default: head)")
    upgrade.set_defaults(run=_db_upgrade)
    current = db_commands.add_parser("current", parents=[database],
                                     help="show the revision the database is at")
    current.set_defaults(run=_db_current)

    desks = commands.add_parser("desks", help="desk configuration as code (YAML)")
    desks_commands = desks.add_subparsers(dest="desks_command", required=True,
                                          metavar="COMMAND")
    workspace = _Parser(add_help=False)
    workspace.add_argument("--workspace", metavar="EXTERNAL_ID",
                           help="the Slack team or Teams tenant id (needed when the database "
                                "holds several; for import it wins over the file's)")
    export = desks_commands.add_parser(
        "export", parents=[database, workspace], help="write every desk as YAML",
        description="Write every desk of a workspace (archived ones too) as YAML: names, "
                    "channels, keywords, agents and leads (platform user ids), settings.")
    export.add_argument("-o", "--output", metavar="FILE",
                        help="write to FILE instead of standard output")
    export.set_defaults(run=_desks_export)
    load = desks_commands.add_parser(
        "import", parents=[database, workspace], help="apply a YAML desk file",
        description="Check FILE, then apply it in one transaction: missing desks are "
                    "created, existing ones (matched by name) updated. Nothing is applied "
                    "if anything is wrong; each problem is one line `FILE:LINE: what` and "
                    "the exit code is 2 (1 when the database fails).")
    load.add_argument("file", metavar="FILE", help="a file written like `deskbot desks "
                                                    "export` writes")
    load.set_defaults(run=_desks_import)

    report = commands.add_parser(
        "report", parents=[database], help="a desk's report as JSON, CSV or HTML",
        description="Write the report of a desk (or every desk) for a period: the figures "
                    "and recommendations as JSON, one CSV row per request of the period, "
                    "or the whole report as a printable HTML page (the signed link's page).")
    report.add_argument("--desk", metavar="NAME", help="the desk's name (default: every desk)")
    report.add_argument("--period", default="month", metavar="PERIOD",
                        help="week, month, quarter (the last complete one), 2026-Q4, 2026-11 "
                             "or 2026-11-01..2026-11-30, in the desks' time zone (UTC when "
                             "they differ; default: month)")
    report.add_argument("--format", choices=("json", "csv", "html"), default="json",
                        help="json (default), csv or html")
    report.add_argument("-o", "--output", metavar="FILE",
                        help="write to FILE instead of standard output")
    report.set_defaults(run=_report)

    audit = commands.add_parser("audit", help="the event journal")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True,
                                          metavar="COMMAND")
    audit_export = audit_commands.add_parser(
        "export", parents=[database], help="write the event journal as JSON lines",
        description="Write every event from FROM (inclusive) to TO (exclusive), oldest "
                    "first, one JSON object a line: id, time, workspace, desk, conversation, "
                    "actor, kind, data. Days and times are UTC.")
    audit_export.add_argument("--from", dest="start", required=True, metavar="FROM",
                              type=_moment, help="2026-11-01 or 2026-11-01T08:00 (UTC)")
    audit_export.add_argument("--to", dest="end", required=True, metavar="TO", type=_moment,
                              help="2026-12-01 or 2026-12-01T08:00 (UTC), not included")
    audit_export.add_argument("-o", "--output", metavar="FILE",
                              help="write to FILE instead of standard output")
    audit_export.set_defaults(run=_audit_export)

    search = commands.add_parser("search", help="the search index")
    search_commands = search.add_subparsers(dest="search_command", required=True,
                                            metavar="COMMAND")
    reindex = search_commands.add_parser(
        "reindex", parents=[database], help="rebuild the search documents of every request",
        description="Index every request as its commands would (the backfill after "
                    "migration 0020, or after the normaliser changed). Articles are indexed "
                    "by whoever writes them. Safe to run while deskbot serves.")
    reindex.set_defaults(run=_search_reindex)

    teams = commands.add_parser(
        "teams-manifest", help="write the Teams app package (zip)",
        description="Write the Microsoft Teams app package: manifest.json (the bot, its "
                    "commands, the permission to read channel messages without a mention) "
                    "and two icons, zipped, ready to upload in Teams.")
    teams.add_argument("--app-id", metavar="GUID",
                       help="the bot's Microsoft app id (overrides MICROSOFT_APP_ID)")
    teams.add_argument("-o", "--output", default="deskbot-teams.zip", metavar="FILE",
                       help="where to write the zip (default: deskbot-teams.zip)")
    teams.add_argument("--name", default="deskbot",
                       help="the app's name in Teams, up to 30 characters (default: deskbot)")
    teams.add_argument("--developer", default="deskbot",
                       help="who publishes the app, as Teams shows it (default: deskbot)")
    teams.add_argument("--website", default="https://deskbot.example.com", metavar="URL",
                       help="https link on the app's page; the privacy and terms links "
                            "default to it (default: https://deskbot.example.com)")
    teams.add_argument("--privacy-url", metavar="URL", help="https link to a privacy notice")
    teams.add_argument("--terms-url", metavar="URL", help="https link to terms of use")
    teams.add_argument("--app-version", metavar="X.Y.Z",
                       help="the package's version; raise it for every upload that replaces "
                            "an earlier one (default: deskbot's version)")
    teams.set_defaults(run=_teams_manifest)
    return parser


def _settings_from(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env(env_file=args.env_file)
    overrides = {name: getattr(args, name) for name in ("host", "port", "database_url",
                                                        "teams_emulator")
                 if getattr(args, name, None) is not None}
    return settings.replace(**overrides)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `deskbot` command; returns the exit code."""
    try:
        args = build_parser().parse_args(argv)
        settings = _settings_from(args)
    except SystemExit as done:  # --help
        return done.code if isinstance(done.code, int) else 0
    except UsageError as error:
        print(str(error), file=sys.stderr)
        return USAGE_ERROR
    except SettingsError as error:
        print(f"deskbot: {error}", file=sys.stderr)
        return USAGE_ERROR
    configure_logging(settings)
    try:
        return int(args.run(settings, args))
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        command = " ".join(filter(None, [args.command, getattr(args, "db_command", None),
                                         getattr(args, "desks_command", None)]))
        log.debug("deskbot %s failed", command, exc_info=True)
        print(f"deskbot {command}: error: {_one_line(error)}", file=sys.stderr)
        return RUNTIME_ERROR


def _one_line(error: BaseException) -> str:
    original = getattr(error, "orig", None)  # SQLAlchemy wraps the driver's error
    text = str(original if original is not None else error) or type(error).__name__
    first = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    return first[:300]


# ---------------------------------------------------------------- logging


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, any extra context."""

    _standard = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message"}

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in self._standard and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(settings: Settings, stream: Any = None) -> None:
    """Send logs to stderr (or `stream`) as text or JSON lines, at the configured level."""
    handler = logging.StreamHandler(stream or sys.stderr)
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(
            "%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    # Alembic narrates every plugin and context at INFO; deskbot logs the outcome itself.
    logging.getLogger("alembic").setLevel(
        logging.DEBUG if settings.log_level == "DEBUG" else logging.WARNING)
    # APScheduler says "Running job … executed successfully" for every sweep (each
    # minute); the sweeps log what they flag themselves.
    logging.getLogger("apscheduler.executors").setLevel(
        logging.DEBUG if settings.log_level == "DEBUG" else logging.WARNING)


# ---------------------------------------------------------------- db


class DatabaseUnavailable(RuntimeError):
    """The database could not be reached or migrated; the message says which one."""


def _run_on_database(settings: Settings, work: Any) -> Any:
    try:
        return asyncio.run(work)
    except Exception as error:
        raise DatabaseUnavailable(f"database at {settings.database_url_safe}: "
                                  f"{_one_line(error)}") from error


def _db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    from storage import migrate

    result = _run_on_database(settings, migrate.upgrade(settings.database_url, args.revision))
    where = settings.database_url_safe
    if result.changed:
        print(f"database at {where} upgraded to {result.after or 'base'} "
              f"(was {result.before or 'empty'})")
    elif args.revision == "head":
        print(f"database at {where} already at head ({result.after})")
    else:
        print(f"database at {where} already at {result.after or 'base'}")
    return 0


def _db_current(settings: Settings, args: argparse.Namespace) -> int:
    from storage import migrate

    async def look() -> tuple[str | None, list[str]]:
        current = await migrate.current_revision(settings.database_url)
        return current, await migrate.pending(settings.database_url)

    current, waiting = _run_on_database(settings, look())
    where = settings.database_url_safe
    if current is None:
        print(f"database at {where}: not migrated (run `deskbot db upgrade`)")
    elif waiting:
        print(f"database at {where}: {current}; pending {', '.join(waiting)} "
              f"(run `deskbot db upgrade`)")
    else:
        print(f"database at {where}: {current} (head)")
    return 0


# ---------------------------------------------------------------- desks


def _on_database(settings: Settings, work: Callable[[Any], Any]) -> Any:
    """Run `work(db)` on a database of its own; refusals pass, failures are one line."""
    from desks.errors import DeskbotError
    from storage.database import Database

    async def run() -> Any:
        from storage import migrate

        db = Database(settings.database_url)
        try:
            # As `serve` does: SQLite is brought up to date here (one process owns the
            # file); PostgreSQL is migrated as a deployment step, so a lag is refused.
            if db.is_sqlite:
                await migrate.upgrade(db)
            elif waiting := await migrate.pending(db):
                raise DatabaseUnavailable(
                    f"database at {settings.database_url_safe} is behind ({', '.join(waiting)} "
                    "not applied); run `deskbot db upgrade` first")
            return await work(db)
        finally:
            await db.dispose()

    try:
        return asyncio.run(run())
    except (DeskbotError, DatabaseUnavailable):
        raise
    except Exception as error:
        raise DatabaseUnavailable(f"database at {settings.database_url_safe}: "
                                  f"{_one_line(error)}") from error


def _desks_export(settings: Settings, args: argparse.Namespace) -> int:
    from conversations.desk_file import export_desks, find_workspace
    from desks.errors import InvalidInput

    async def export(db: Any) -> str:
        async with db.unit_of_work(readonly=True) as uow:
            workspace = await find_workspace(uow, args.workspace)
            if workspace is None:
                raise InvalidInput(f"There is no workspace {args.workspace}.")
            return await export_desks(uow, workspace)

    return _write_text(settings, args, "deskbot desks export", export)


def _write_text(settings: Settings, args: argparse.Namespace, command: str,
                make: Callable[[Any], Awaitable[str]]) -> int:
    """Run `make` on the database; its text to `--output` (or standard output). A refusal
    is printed after `command`'s name, with the usage error's exit code."""
    from desks.errors import DeskbotError

    try:
        text = _on_database(settings, make)
    except DeskbotError as error:
        print(f"{command}: {error.message}", file=sys.stderr)
        return USAGE_ERROR
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _desks_import(settings: Settings, args: argparse.Namespace) -> int:
    from conversations.desk_file import DeskFileInvalid, apply_desk_file, read_desk_file
    from desks.errors import DeskbotError

    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        print(f"deskbot desks import: cannot read {args.file}: {reason}", file=sys.stderr)
        return USAGE_ERROR

    async def apply(db: Any) -> Any:
        async with db.unit_of_work() as uow:
            result = await apply_desk_file(uow, config, workspace_external_id=args.workspace)
            await uow.commit()
            return result

    try:
        config = read_desk_file(text, args.file)
        result = _on_database(settings, apply)
    except DeskFileInvalid as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return USAGE_ERROR
    except DeskbotError as error:
        print(f"deskbot desks import: {error.message}", file=sys.stderr)
        return USAGE_ERROR
    workspace = result.workspace
    parts = [f"{what} {', '.join(names) if names else 'none'}" for what, names in
             (("created", result.created), ("updated", result.updated),
              ("unchanged", result.unchanged))]
    print(f"{args.file} applied to {workspace.platform}:{workspace.external_id}: "
          + "; ".join(parts))
    return 0


# ---------------------------------------------------------------- report


def _report(settings: Settings, args: argparse.Namespace) -> int:
    from cards.report_page import report_html
    from conversations.reports.periods import parse_period
    from conversations.reports.report import build_report, desks_named
    from conversations.reports.report_view import page_view
    from desks.errors import UnknownDesk
    from scheduling.desk_calendar import DeskCalendar

    async def write(db: Any) -> str:
        db.business_time = DeskCalendar()  # the calendar the sweeps count with
        if args.format == "html":  # the page a signed link shows
            async with db.unit_of_work(readonly=True) as uow:
                view = await page_view(uow, args.desk, args.period)
            if view is None:
                raise UnknownDesk("report.unknown_desk", desk=args.desk)
            return report_html(view)
        async with db.unit_of_work(readonly=True) as uow:
            desks = await desks_named(uow, args.desk) if args.desk else None
            if desks == []:
                raise UnknownDesk("report.unknown_desk", desk=args.desk)
            # Days are the desks' days when they share a time zone, else UTC's.
            zones = {(d.settings or {}).get("time_zone") or "UTC"
                     for d in (desks if desks is not None else await desks_named(uow, None))}
            zone = zones.pop() if len(zones) == 1 else "UTC"
            period = parse_period(args.period, uow.clock.now(), zone)
            report = await build_report(uow, period, desks)
        if args.format == "csv":
            return report.csv()
        return json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n"

    return _write_text(settings, args, "deskbot report", write)


# ---------------------------------------------------------------- audit export


def _moment(raw: str) -> datetime:
    """A day (`2026-11-01`: its midnight) or a time (`2026-11-01T08:00`), UTC unless
    it names its own offset."""
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a day like 2026-11-01 or a time like 2026-11-01T08:00, got {raw!r}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _audit_export(settings: Settings, args: argparse.Namespace) -> int:
    from conversations.audit import export_events

    if args.end <= args.start:
        print(f"deskbot audit export: --to ({args.end.isoformat()}) must come after --from "
              f"({args.start.isoformat()})", file=sys.stderr)
        return USAGE_ERROR
    with contextlib.ExitStack() as stack:
        out: IO[str] = (stack.enter_context(open(args.output, "w", encoding="utf-8"))
                        if args.output else sys.stdout)

        async def export(db: Any) -> int:
            written: int = await export_events(db, args.start, args.end, out.write)
            return written

        count = _on_database(settings, export)
    print(f"deskbot audit export: {count} events", file=sys.stderr)
    return 0


def _search_reindex(settings: Settings, args: argparse.Namespace) -> int:
    from conversations.knowledge.indexing import reindex_requests

    async def reindex(db: Any) -> int:
        done, after = 0, 0
        while True:  # one transaction per batch: a long backfill never holds the writer
            async with db.unit_of_work() as uow:
                after, count = await reindex_requests(uow, after_id=after)
                await uow.commit()
            if not count:
                return done
            done += count

    count = _on_database(settings, reindex)
    print(f"deskbot search reindex: {count} requests indexed", file=sys.stderr)
    return 0


# ---------------------------------------------------------------- teams-manifest


def _teams_manifest(settings: Settings, args: argparse.Namespace) -> int:
    from bot.teams.manifest import ManifestError, build_manifest, is_app_id, write_package

    app_id = args.app_id or settings.microsoft_app_id
    source = "--app-id" if args.app_id else "MICROSOFT_APP_ID"
    if not app_id:
        print("deskbot teams-manifest: no app id: pass --app-id GUID or set MICROSOFT_APP_ID "
              "(the bot's Microsoft app id)", file=sys.stderr)
        return USAGE_ERROR
    if not is_app_id(app_id):
        print(f"deskbot teams-manifest: {source} must be the bot's Microsoft app id, a GUID "
              f"such as 6f1a2b3c-0000-4d5e-8f90-123456789abc; got {app_id.strip()[:60]!r}",
              file=sys.stderr)
        return USAGE_ERROR
    try:
        manifest = build_manifest(app_id, name=args.name, developer=args.developer,
                                  website_url=args.website, privacy_url=args.privacy_url,
                                  terms_url=args.terms_url, version=args.app_version)
    except ManifestError as error:
        print(f"deskbot teams-manifest: {error}", file=sys.stderr)
        return USAGE_ERROR
    try:
        path = write_package(args.output, manifest)
    except OSError as error:
        print(f"deskbot teams-manifest: cannot write {args.output}: "
              f"{error.strerror or error}", file=sys.stderr)
        return RUNTIME_ERROR
    print(f"wrote {path} (Teams app {manifest['name']['short']!r} {manifest['version']}, "
          f"bot {manifest['id']})")
    print(f"next: in Teams, Apps > Manage your apps > Upload an app, choose {path}; add the "
          "app to the team of your agents' channel and say `@"
          f"{manifest['name']['short']} admin create NAME` there. The bot's messaging "
          "endpoint must be https://<your address>/api/messages.")
    return 0


# ---------------------------------------------------------------- serve


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    if not args.no_playground and no_platform_credentials(settings):
        log.warning("Slack is off: missing %s; no Slack or Teams credentials are set, so "
                    "the playground stands in for Slack (`deskbot serve --no-playground` "
                    "serves /healthz only)", ", ".join(settings.slack_missing()))
        return _playground(settings, args)
    asyncio.run(serve(settings))
    return 0


def no_platform_credentials(settings: Settings) -> bool:
    """Whether not one Slack or Teams credential is set (a newcomer's first run)."""
    return all(value is None for value in (
        settings.slack_bot_token, settings.slack_signing_secret, settings.slack_client_id,
        settings.slack_client_secret, settings.slack_state_secret, settings.slack_app_token,
        settings.microsoft_app_id, settings.microsoft_app_password))


def _playground(settings: Settings, args: argparse.Namespace) -> int:
    from bot.playground.run import serve as serve_playground

    asyncio.run(serve_playground(settings, seed=bool(getattr(args, "seed", False))))
    return 0


async def serve(settings: Settings) -> None:
    """Build everything, serve until SIGINT or SIGTERM, then shut down cleanly."""
    from aiohttp import web

    from bot import bootstrap
    from bot.server import create_app

    deps = await bootstrap.build(settings)
    runner = web.AppRunner(
        create_app(settings, deps), handle_signals=False,
        access_log=logging.getLogger("aiohttp.access") if settings.log_level == "DEBUG"
        else None)
    try:
        await runner.setup()
        site = web.TCPSite(runner, settings.host, settings.port)
        await site.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        for address in runner.addresses:
            host, port = address[0], address[1]
            url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
            print(f"deskbot listening on {url}", flush=True)
            log.info("listening on %s", url)
        await stop.wait()
        log.info("stopping")
    finally:
        await runner.cleanup()  # runs the app's cleanup: stops the outbox worker, closes the db
        await deps.close()
