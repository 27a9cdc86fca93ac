"""Requests to be told when applications open, as the conversation takes them.

``/notify`` (a Telegram chat, or an email address in the web chat and the terminal),
``/notify off``, and a submitted form whose ``notify_when_open`` question was answered
"yes".  Split from :mod:`bot.notify` (the daily check that turns requests into notices,
and their delivery) because this part is what a person asks for in a turn.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping

from bot.clock import Clock
from bot.conversation import texts
from bot.conversation.turn import Incoming, Turn
from bot.exceptions import StoreError
from bot.flows.validators import validate_email_address
from bot.knowledge.base import Knowledge
from bot.knowledge.faq import Window, format_date
from bot.knowledge.windows import window_on
from bot.notify import EMAIL, PROGRAMME, TELEGRAM, DayClock
from bot.store.base import SubmittedApplication, Subscription
from bot.store.ports import NotifyPort

logger = logging.getLogger(__name__)


class NotifyRequests:
    """The conversation's side of being told when applications open."""

    def __init__(
        self,
        knowledge: Knowledge,
        store: NotifyPort,
        today: Callable[[], dt.date],
        windows: Callable[[], Mapping[str, Window]],
    ) -> None:
        self.knowledge = knowledge
        self.store = store
        self.today = today
        self.windows = windows

    async def command(self, incoming: Incoming, argument: str) -> str:
        """``/notify ...``: the reply."""
        def email(text: str) -> tuple[str | None, str | None]:
            checked = validate_email_address(text, {})
            return checked.value, checked.error

        return await notify_command(
            self.store,
            user_id=incoming.user_id,
            argument=argument,
            private=incoming.private,
            windows=self.windows(),
            clock=DayClock(self.today),
            validate_email=email,
        )

    async def from_form(
        self, incoming: Incoming, stored: SubmittedApplication, turn: Turn
    ) -> None:
        """A form whose ``notify_when_open`` question was answered "yes" asks to be told
        when applications open (bot/notify.py), as ``/notify`` does."""
        flow = self.knowledge.flows.get(stored.form)
        role = flow.submission.notify_when_open if flow and flow.submission else None
        if role is None:
            return
        window = flow.submission.window if flow and flow.submission else None
        subscription = requested_in_form(
            user_id=incoming.user_id,
            programme=window.programme if window else PROGRAMME,
            private=incoming.private,
            answer=stored.answers.get(role.field, ""),
            email=stored.answers.get(role.email) if role.email else None,
            now=DayClock(self.today).now(),
        )
        if subscription is None:
            return
        try:
            await self.store.subscribe(subscription)
        except StoreError as exc:  # the application is stored; only the reminder is lost
            logger.error("could not keep the request to be told when applications open: %s", exc)
            turn.say(texts.NOTIFY_NOT_SAVED)
            return
        how = "here" if subscription.channel == TELEGRAM else f"by email to {subscription.address}"
        turn.say(texts.NOTIFY_PROMISED.format(how=how))


async def notify_command(
    store: NotifyPort,
    *,
    user_id: str,
    argument: str,
    private: bool,
    windows: Mapping[str, Window],
    clock: Clock,
    validate_email: Callable[[str], tuple[str | None, str | None]],
) -> str:
    """``/notify`` (Telegram), ``/notify EMAIL`` (web, terminal), ``/notify off``."""
    if not private:
        return (
            "I only take requests to be told about applications in a private chat: message me "
            "directly and send /notify there."
        )
    word = argument.strip()
    if word.lower() in ("off", "stop", "cancel", "no"):
        if await store.unsubscribe(user_id):
            return "Done: I won't tell you when applications open, and I've deleted your request."
        return (
            "You had not asked me to tell you when applications open, so there's nothing to stop."
        )
    today = clock.today()
    if user_id.startswith("tg:") and user_id.count(":") == 1:
        channel, address, how = TELEGRAM, user_id[3:], "here in Telegram"
    else:
        if not word:
            existing = await store.subscriptions(user_id=user_id)
            if existing:
                return (
                    f"You've already asked me to email {existing[0].address} when applications open. "
                    "Send /notify off to stop that."
                )
            return (
                "I can email you once when applications for the Specialist Programme open: send "
                "/notify followed by your email address, e.g. /notify name@school.org.uk."
            )
        address_or_none, problem = validate_email(word)
        if address_or_none is None:
            return (
                problem or "That isn't a valid email address. Example: /notify name@school.org.uk."
            )
        channel, address, how = EMAIL, address_or_none, f"by email to {address_or_none}"
    await store.subscribe(Subscription(user_id, PROGRAMME, channel, address, clock.now()))
    state = window_on(windows, today, PROGRAMME)
    coming = state.next
    if state.open is not None:
        window = state.open
        when = (
            f"Applications for the {window.label} are open now, until "
            f"{format_date(window.closes)}: you can apply today. I'll tell you {how} when the "
            "window after this one opens."
        )
    elif coming is not None:
        when = (
            f"I'll tell you {how} on {format_date(coming.opens)}, when applications for the "
            f"{coming.label} open."
        )
    else:
        when = (
            f"I'll tell you {how}, once, on the day the next application window opens (its "
            "dates are not published yet)."
        )
    return (
        f"{when} I keep only this request (and your {'chat id' if channel == TELEGRAM else 'address'}) "
        "until then, at most a year; send /notify off to stop, or /forget to delete everything."
    )


def requested_in_form(
    *,
    user_id: str,
    programme: str,
    private: bool,
    answer: str,
    email: str | None,
    now: dt.datetime,
) -> Subscription | None:
    """The request a submitted form's ``notify_when_open`` question made, if it made one:
    "yes", and a way to reach the teacher (their Telegram chat, or the form's email), for
    ``programme`` (the form's ``submission.window.programme``)."""
    if answer.strip().lower() != "yes" or not private:
        return None
    if user_id.startswith("tg:") and user_id.count(":") == 1:
        return Subscription(user_id, programme, TELEGRAM, user_id[3:], now)
    if email:
        return Subscription(user_id, programme, EMAIL, email, now)
    return None
