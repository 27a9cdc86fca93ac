"""Command line: ``python -m bot COMMAND``.

    python -m bot                     console chat, or Telegram when TELEGRAM_BOT_TOKEN is set
    python -m bot chat [--jsonl] [--user ID]
    python -m bot ask [--json] [QUESTION]       (no QUESTION: one question a line from stdin)
    python -m bot hub [--json] PLACE
    python -m bot hubs [--json]                  every hub: status, contact state, area count
    python -m bot check                          validate knowledge/ and flows/
    python -m bot schema                         the JSON Schema of flows/*.yaml
    python -m bot eval questions|places FILE     run a development set
    python -m bot unanswered [--limit N]         questions the knowledge base couldn't answer
    python -m bot outbox [retry]                 queued emails to hubs; retry sends pending now
    python -m bot export --hub ID [--form FORM] [--format csv|json] [--since YYYY-MM-DD]
    python -m bot run                            Telegram (long polling, or webhook with WEBHOOK_URL)
    python -m bot web                            the web chat (WEB_HOST:WEB_PORT, default 127.0.0.1:8080)

Settings come from the environment (see README.md); nothing here reads secrets from
arguments, so none end up in shell history.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import os
import sys
from collections.abc import Callable

from bot.exceptions import BotError, KnowledgeError
from bot.knowledge.base import Knowledge
from bot.knowledge.hub_directory import hub_warnings
from bot.knowledge.hub_text import describe_search, search_json
from bot.settings import Settings

logger = logging.getLogger(__name__)


def _configure_logging(level: int) -> None:
    logging.basicConfig(
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        level=level,
        stream=sys.stderr,
    )
    # httpx logs every request URL, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def _knowledge(settings: Settings) -> Knowledge:
    # The same as bot.services.load_checked_knowledge, without importing the services
    # (mail, store, Telegram): `ask` starts in well under a second.
    from bot.knowledge.base import load_knowledge

    return load_knowledge(settings.knowledge_dir, settings.flows_dir, settings.contacts_file())


# -- ask / hub ----------------------------------------------------------------------------


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from bot.knowledge_commands import ask_command

    return ask_command(args, _knowledge(settings), settings)


def cmd_hub(args: argparse.Namespace, settings: Settings) -> int:
    knowledge = _knowledge(settings)
    place = " ".join(args.place)
    search = knowledge.finder.find(place)
    if args.json:
        print(json.dumps({**search_json(search), "query": place}, ensure_ascii=False))
    else:
        print(describe_search(search))
    return 0


def cmd_hubs(args: argparse.Namespace, settings: Settings) -> int:
    from bot.knowledge_commands import hubs_command

    return hubs_command(args, _knowledge(settings))


# -- check / eval -----------------------------------------------------------------------


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    try:
        knowledge = _knowledge(settings)
    except KnowledgeError as exc:
        for problem in exc.problems:
            print(problem)
        print(f"{len(exc.problems)} problem(s) found", file=sys.stderr)
        return 1
    for warning in _warnings(knowledge, settings):
        print(f"warning: {warning}")
    print(
        f"ok: {len(knowledge.faq.entries)} FAQ entries, {len(knowledge.hubs.hubs)} hubs, "
        f"{len(knowledge.flows)} flows"
    )
    return 0


def cmd_schema(args: argparse.Namespace, settings: Settings) -> int:
    from bot.flows.model import flow_json_schema

    print(json.dumps(flow_json_schema(), indent=2, ensure_ascii=False))
    return 0


def _warnings(knowledge: Knowledge, settings: Settings) -> list[str]:
    warnings = hub_warnings(knowledge.hubs, settings.today())
    if settings.smtp is None:
        return warnings
    return warnings + [
        f"{hub.id}: SMTP is configured but the hub still has the placeholder address {hub.email}; "
        "its applications will be held in the outbox (set it in HUB_CONTACTS_FILE)"
        for hub in knowledge.hubs.hubs
        if hub.has_placeholder_email
    ]


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from bot.knowledge_commands import eval_command

    return eval_command(args, _knowledge(settings), settings)


# -- chat / unanswered -------------------------------------------------------------------


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from bot.channels.console import ConsoleChannel
    from bot.services import open_services

    async def main() -> None:
        services = await open_services(settings)
        try:
            await ConsoleChannel(services.assistant, args.user, jsonl=args.jsonl).run()
        finally:
            await services.close()

    asyncio.run(main())
    return 0


def cmd_unanswered(args: argparse.Namespace, settings: Settings) -> int:
    from bot.retention import open_store
    from bot.unanswered import group_unanswered

    async def main() -> None:
        store = await open_store(settings)
        try:
            # Repeats are grouped, so read well past the limit of groups shown.
            rows = await store.unanswered(max(args.limit, 1) * 20)
        finally:
            await store.close()
        groups = group_unanswered(rows, _knowledge(settings))[: args.limit]
        if not groups:
            print("No unanswered questions recorded.")
        for group in groups:
            print(group.describe())

    asyncio.run(main())
    return 0


def cmd_outbox(args: argparse.Namespace, settings: Settings) -> int:
    from bot.mail.commands import outbox_command

    return outbox_command(args, settings)


def cmd_notify(args: argparse.Namespace, settings: Settings) -> int:
    from bot.notify_command import notify_command

    return notify_command(args, settings)


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from bot.mail.commands import export_command

    return export_command(args, settings)


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.channels.telegram import run_telegram

    return run_telegram(settings)


def cmd_web(args: argparse.Namespace, settings: Settings) -> int:
    from bot.channels.web import run_web

    return run_web(settings)


def cmd_default(args: argparse.Namespace, settings: Settings) -> int:
    if settings.telegram_token:
        return cmd_run(args, settings)
    args.jsonl, args.user = False, "console"
    return cmd_chat(args, settings)


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "ask": cmd_ask,
    "hub": cmd_hub,
    "hubs": cmd_hubs,
    "check": cmd_check,
    "schema": cmd_schema,
    "eval": cmd_eval,
    "chat": cmd_chat,
    "unanswered": cmd_unanswered,
    "outbox": cmd_outbox,
    "export": cmd_export,
    "notify": cmd_notify,
    "run": cmd_run,
    "web": cmd_web,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="The Maths Hub applicant assistant."
    )
    sub = parser.add_subparsers(dest="command")
    ask = sub.add_parser("ask", help="answer a question (or one a line from stdin)")
    ask.add_argument("--json", action="store_true", help="one JSON object a line")
    ask.add_argument("question", nargs="?", help="the question; omit to read stdin")
    hub = sub.add_parser("hub", help="find the Maths Hub for a place")
    hub.add_argument("--json", action="store_true")
    hub.add_argument("place", nargs="+")
    hubs = sub.add_parser("hubs", help="list every Maths Hub: status, contact state, areas")
    hubs.add_argument("--json", action="store_true")
    sub.add_parser("check", help="validate knowledge/ and flows/")
    sub.add_parser("schema", help="print the JSON Schema of flow files (flows/flow.schema.json)")
    ev = sub.add_parser("eval", help="run a development set")
    ev.add_argument("kind", choices=("questions", "places"))
    ev.add_argument("file")
    chat = sub.add_parser("chat", help="chat in the terminal")
    chat.add_argument("--jsonl", action="store_true", help="JSON lines for programs")
    chat.add_argument("--user", default="console", help="who is chatting (resumes their draft)")
    un = sub.add_parser("unanswered", help="recent questions the knowledge base couldn't answer")
    un.add_argument("--limit", type=int, default=50)
    outbox = sub.add_parser(
        "outbox", help="list queued emails, or 'retry' to send pending ones now"
    )
    outbox.add_argument("action", nargs="?", choices=("list", "retry"), default="list")
    export = sub.add_parser("export", help="a hub's submitted applications (CSV or JSON)")
    export.add_argument("--hub", required=True, help="the hub id (see knowledge/hubs.yaml)")
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument(
        "--form", help="the form's id (flows/*.yaml); needed when there is more than one form"
    )
    export.add_argument(
        "--since", type=_date_arg, help="only applications submitted on/after YYYY-MM-DD"
    )
    notify = sub.add_parser(
        "notify", help="tell teachers who asked that an application window opens today"
    )
    notify.add_argument(
        "--dry-run", action="store_true", help="list who would be told; send nothing"
    )
    sub.add_parser("run", help="run the Telegram bot (needs TELEGRAM_BOT_TOKEN)")
    sub.add_parser("web", help="serve the web chat (WEB_HOST, WEB_PORT)")
    return parser


def _date_arg(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, not {value!r}") from None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Everything the assistant creates (database, .eml files, locks) holds personal data:
    # readable by this user only (files 0600, folders 0700).
    os.umask(0o077)
    # A service logs what it does; a terminal conversation shows only what needs attention.
    service = args.command in ("run", "web") or (
        args.command is None and os.environ.get("TELEGRAM_BOT_TOKEN")
    )
    _configure_logging(logging.INFO if service else logging.WARNING)
    try:
        settings = Settings.from_env()
        handler = COMMANDS.get(args.command or "", cmd_default)
        return handler(args, settings)
    except KnowledgeError as exc:
        print("The knowledge base is invalid; the assistant will not start:", file=sys.stderr)
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    except BotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
