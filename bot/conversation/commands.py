"""The command table: each command's name, handler and help text, in one place.

``/help``, the list of commands after an unknown one, and the command menu a channel
registers (Telegram's ``setMyCommands``) are all generated from :data:`TABLE`, so a
command cannot be handled without being listed, or listed without being handled.  A
command word is read once (:func:`parse`): ``/Hub@bot Leeds`` is ``hub`` with the
argument ``Leeds``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.conversation import texts
from bot.conversation.forms import Forms
from bot.conversation.hubs import Hubs
from bot.conversation.submission import status_line
from bot.conversation.turn import Incoming, Turn
from bot.flows.engine import FlowEngine
from bot.knowledge.base import Knowledge
from bot.replies import Option
from bot.session import FlowState, Session
from bot.store.ports import ApplicationPort


@dataclass
class Call:
    """One command as sent: its word, the rest of the message, and where the person is."""

    word: str  # as typed (for an unknown command's reply)
    argument: str
    session: Session
    incoming: Incoming
    turn: Turn

    @property
    def state(self) -> FlowState | None:
        return self.session.current()

    @property
    def in_form(self) -> bool:
        state = self.session.current()
        return state is not None and state.step is not None


def parse(text: str) -> tuple[str, str, str]:
    """``/Word@bot rest`` -> (the word as typed, the command in lower case, the argument)."""
    word, _, argument = text[1:].partition(" ")
    return word, word.split("@", 1)[0].lower(), argument.strip()


Notify = Callable[[Incoming, str], Awaitable[str]]


class Commands:
    """The handlers; :data:`TABLE` says which command runs which."""

    def __init__(
        self,
        knowledge: Knowledge,
        engine: FlowEngine,
        applications: ApplicationPort,
        forms: Forms,
        hubs: Hubs,
        notify: Notify,
        *,
        mail_delivers: bool = True,
    ) -> None:
        self.knowledge = knowledge
        self.engine = engine
        self.applications = applications
        self.forms = forms
        self.hubs = hubs
        self.notify_request = notify
        # False when email only becomes files for the operator (no SMTP_HOST): the
        # applicant is then never told their application is being emailed.
        self.mail_delivers = mail_delivers
        self.by_name = {name: command for command in TABLE for name in command.names}

    async def run(self, session: Session, incoming: Incoming, text: str, turn: Turn) -> None:
        word, name, argument = parse(text)
        call = Call(word, argument, session, incoming, turn)
        command = self.by_name.get(name)
        if command is None:
            await self.unknown(call)
        else:
            await command.handler(self, call)

    # -- the menu and help ----------------------------------------------------------------

    def welcome(self, session: Session, turn: Turn, private: bool) -> None:
        options = [
            Option(texts.MENU_ASK, "ask"),
            Option(texts.MENU_ELIGIBILITY, "eligibility"),
            Option(texts.MENU_HUB, "hub"),
        ]
        forms = self.forms.all()
        if private:
            if self.forms.drafts(session):
                options.append(Option(texts.MENU_RESUME, "resume"))
            options += [Option(f.menu or f.title, f.id) for f in forms if f.id not in session.flows]
        session.offered = [(o.label, o.value) for o in options]
        names = " and the ".join(f.title for f in forms)
        turn.say(texts.WELCOME.format(forms=names), tuple(options))

    @staticmethod
    def command_list(in_form: bool) -> str:
        listed = [c for c in TABLE if c.listed and (in_form or not c.form_only)]
        return texts.COMMAND_LIST.format(commands=", ".join(f"/{c.name}" for c in listed))

    @staticmethod
    def help_text(private: bool) -> str:
        lines = [texts.HELP_INTRO]
        lines += [
            f"/{c.name}: {c.help}"
            for c in TABLE
            if c.listed and not c.form_only and (private or not c.private)
        ]
        lines.append(texts.HELP_IN_FORM)
        return "\n".join(lines)

    # -- the handlers ---------------------------------------------------------------------

    async def start(self, call: Call) -> None:
        # The menu replaces the question on screen, so the form pauses (its draft is
        # kept and the menu offers to continue it): a menu choice is never an answer.
        state = call.state
        if state is not None and not self.forms.is_form(state.flow):
            call.session.flows.pop(state.flow, None)
        call.session.active = None
        self.welcome(call.session, call.turn, call.incoming.private)

    async def help(self, call: Call) -> None:
        state = call.state
        if call.in_form and state is not None:
            call.turn.replies.append(self.engine.help(state))
        else:
            call.turn.say(self.help_text(call.incoming.private))

    async def eligibility(self, call: Call) -> None:
        self.forms.start(call.session, "eligibility", call.turn)

    async def hub(self, call: Call) -> None:
        if call.argument:
            self.hubs.search(call.session, call.argument, call.turn, offer=not call.in_form)
            self.forms.reask(call.session, call.turn)
        else:
            self.forms.start(call.session, "hub", call.turn)

    async def apply(self, call: Call) -> None:
        if not call.incoming.private:
            call.turn.say(texts.APPLY_IN_PRIVATE)
        else:
            self.forms.apply(call.session, call.argument, call.turn)

    async def resume(self, call: Call) -> None:
        if not call.incoming.private:
            call.turn.say(texts.RESUME_IN_PRIVATE)
        else:
            self.forms.resume(call.session, call.turn, call.argument or None)

    async def status(self, call: Call) -> None:
        if not call.incoming.private:
            call.turn.say(texts.STATUS_IN_PRIVATE)
            return
        applications = await self.applications.applications(user_id=call.incoming.user_id)
        lines = [status_line(self.knowledge, app, self.mail_delivers) for app in applications]
        lines += self.forms.progress_lines(call.session)
        call.turn.say("\n".join(lines) if lines else texts.NOTHING_SUBMITTED)
        self.forms.reask(call.session, call.turn)

    async def notify(self, call: Call) -> None:
        call.turn.say(await self.notify_request(call.incoming, call.argument))
        self.forms.reask(call.session, call.turn)

    async def cancel(self, call: Call) -> None:
        self.forms.cancel(call.session, call.turn)

    async def privacy(self, call: Call) -> None:
        state = call.state
        call.turn.say(self.forms.privacy_text(state.flow if state is not None else None))
        self.forms.reask(call.session, call.turn)

    async def forget(self, call: Call) -> None:
        session = call.session
        session.active, session.flows, session.offered = None, {}, []
        call.turn.forget = True
        call.turn.say(texts.FORGOTTEN)

    async def back(self, call: Call) -> None:
        await self._step(call, "back")

    async def skip(self, call: Call) -> None:
        await self._step(call, "skip")

    async def _step(self, call: Call, command: str) -> None:
        state = call.state
        if call.in_form and state is not None:
            outcome = self.engine.back(state) if command == "back" else self.engine.skip(state)
            self.forms.apply_outcome(call.session, state, outcome, call.turn)
        else:
            call.turn.say(texts.ONLY_IN_FORM.format(command=command))

    async def unknown(self, call: Call) -> None:
        call.turn.say(
            texts.UNKNOWN_COMMAND.format(
                word=call.word[:30], commands=self.command_list(call.in_form)
            )
        )
        self.forms.reask(call.session, call.turn)


Handler = Callable[[Commands, Call], Awaitable[None]]


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    help: str
    aliases: tuple[str, ...] = ()
    private: bool = False  # left out of /help in a group chat
    form_only: bool = False  # listed only while a form's question waits
    listed: bool = True

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


TABLE: tuple[Command, ...] = (
    Command("start", Commands.start, "the welcome and menu", aliases=("menu",)),
    Command("help", Commands.help, "what I can do, or help with the current question"),
    Command(
        "eligibility", Commands.eligibility, "check the Specialist programme's essential criteria"
    ),
    Command("hub", Commands.hub, "find your Maths Hub (also /hub PLACE)"),
    Command(
        "apply", Commands.apply, "fill in an application form (also /apply FORM)", private=True
    ),
    Command(
        "resume", Commands.resume, "continue your application (also /resume FORM)", private=True
    ),
    Command("status", Commands.status, "see whether your application has been delivered"),
    Command("cancel", Commands.cancel, "stop the current form (your answers are kept)"),
    Command(
        "notify",
        Commands.notify,
        "be told once when applications open (/notify off stops it)",
        private=True,
    ),
    Command("privacy", Commands.privacy, "how your information is used"),
    Command("forget", Commands.forget, "delete your draft and conversation data", private=True),
    Command("back", Commands.back, "go to the previous question", form_only=True),
    Command("skip", Commands.skip, "leave an optional question blank", form_only=True),
)
# (name, help) of the commands always on offer: the menu a channel registers.
COMMANDS = tuple((c.name, c.help) for c in TABLE if c.listed and not c.form_only)
