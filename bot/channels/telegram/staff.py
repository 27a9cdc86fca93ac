"""Hub staff's Telegram commands: /export (a CSV of applications), /unanswered, /stats.

Only the Telegram ids in ``STAFF_TELEGRAM_IDS`` reach these handlers (PTB's
``filters.User``), and only in a private chat, where nobody else sees the data; in a group
they are told to ask privately.  Anyone else's /export falls through to the conversation,
which answers it like any unknown command.  A command Telegram delivers twice is run once
(the assistant remembers its update id with the staff member's session).
"""

from __future__ import annotations

import io

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes, filters

from bot.channels.telegram.handlers import update_key, user_key
from bot.channels.telegram.render import escape, say
from bot.channels.telegram.runtime import services_of
from bot.export import staff_export
from bot.unanswered import group_unanswered

STAFF_COMMANDS = ("export", "unanswered", "stats")


def staff_handlers(
    staff_ids: frozenset[int],
) -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
    staff = filters.User(user_id=staff_ids)
    return [
        CommandHandler(STAFF_COMMANDS, on_staff_command, filters=staff & filters.ChatType.PRIVATE),
        CommandHandler(
            STAFF_COMMANDS, on_staff_in_group, filters=staff & ~filters.ChatType.PRIVATE
        ),
    ]


async def on_staff_in_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or message.text is None:
        return
    command = message.text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower()
    await say(
        context,
        message.chat_id,
        f"Staff commands work only in a private chat with me: send /{command} there.",
    )


async def on_staff_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or message.text is None or user is None:
        return
    _, services = services_of(context)
    command = message.text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower()
    argument = " ".join(context.args or ())

    async def run() -> None:
        if command == "export":
            await _export(context, message.chat_id, user.id, argument)
        elif command == "unanswered":
            await _unanswered(context, message.chat_id, user.id)
        else:
            await _stats(context, message.chat_id, user.id)

    who = user_key(message.chat_id, message.chat.type, user.id)
    await services.assistant.handle_once(who, update_key(update), run)


async def _unanswered(context: ContextTypes.DEFAULT_TYPE, chat_id: int, staff_id: int) -> None:
    rt, services = services_of(context)
    # Staff tied to a hub see only the questions about their hub (all-hub staff see all).
    # Repeats are grouped (as in `python -m bot unanswered`), so read well past the groups shown.
    rows = await services.store.unanswered(400, hub_id=rt.settings.staff.get(staff_id))
    groups = group_unanswered(rows, services.knowledge)[:20]
    lines = [group.describe() for group in groups]
    await say(
        context,
        chat_id,
        "Recent questions I couldn't answer:\n" + "\n".join(lines)
        if lines
        else "No unanswered questions recorded.",
    )


async def _stats(context: ContextTypes.DEFAULT_TYPE, chat_id: int, staff_id: int) -> None:
    rt, services = services_of(context)
    stats = await services.store.stats(hub_id=rt.settings.staff.get(staff_id))
    lines = [f"{name.replace('_', ' ')}: {value:,}" for name, value in stats.items()]
    await say(context, chat_id, "\n".join(lines) or "Nothing recorded yet.")


async def _export(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, staff_id: int, argument: str
) -> None:
    rt, services = services_of(context)
    own_hub = rt.settings.staff.get(staff_id)
    hubs = services.knowledge.hubs
    hub_id: str | None = own_hub
    if argument:
        if own_hub is not None and argument != own_hub:
            await say(context, chat_id, f"You can export the applications of {own_hub} only.")
            return
        if hubs.get(argument) is None:
            await say(context, chat_id, f"I don't know a hub with the id {argument[:60]}.")
            return
        hub_id = argument
    # Read, decoded and written in the store's worker thread: everyone else's messages
    # go on being answered while thousands of applications are exported.
    export = await staff_export(services.store, services.knowledge.flows, hub_id=hub_id)
    hub = hubs.get(hub_id) if hub_id else None
    scope = hub.name if hub is not None else (hub_id or "all hubs")
    if not export.files and not export.left_out:
        await say(context, chat_id, f"No applications submitted yet for {scope}.")
    if export.left_out:
        await say(
            context,
            chat_id,
            f"{export.left_out} application(s) for {scope} were submitted with a form that is"
            " no longer installed; the hub's emails have them.",
        )
    # One file per form: each form has its own columns.
    for file in export.files:
        name = f"applications-{file.flow.id}-{hub_id or 'all'}-{rt.settings.today():%Y-%m-%d}.csv"
        await context.bot.send_document(
            chat_id,
            document=io.BytesIO(file.data),
            filename=name,
            caption=escape(f"{file.count} {file.flow.title} application(s) for {scope}."),
        )
