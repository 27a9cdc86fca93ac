"""The copy people read: one place to review the assistant's voice and wording.

Texts with blanks are ``str.format`` templates; the responders fill them in.  Texts that
come from data (a form's prompts, confirmation and privacy notice, the FAQ's answers)
live in ``flows/`` and ``knowledge/``, not here.
"""

from __future__ import annotations

# -- greeting and menu ----------------------------------------------------------------
WELCOME = (
    "Hello! I answer questions about the Secondary Mastery Specialist Programme and the "
    "Secondary Teaching for Mastery Work Groups run by England's Maths Hubs with the "
    "NCETM, find your Maths Hub, and help schools fill in the {forms}."
    "\nType a question, or choose:"
)
MENU_ASK = "Ask a question"
MENU_ELIGIBILITY = "Am I eligible?"
MENU_HUB = "Find my Maths Hub"
MENU_RESUME = "Continue my application"
WELCOME_BACK = "Welcome back! Your {form} is saved; let's carry on."
# Words that open the menu when typed on their own.
GREETINGS = frozenset(
    ["hi", "hello", "hey", "hiya", "good morning", "good afternoon", "menu", "start", "help"]
)

# -- commands ---------------------------------------------------------------------------
HELP_INTRO = "Ask me anything about the programmes in your own words, or use a command:"
HELP_IN_FORM = "While filling in a form: /back, /skip (optional questions), /help, /cancel."
COMMAND_LIST = "Commands: {commands}."
UNKNOWN_COMMAND = "I don't know the command /{word}. {commands}"
ONLY_IN_FORM = "/{command} works while you're answering a form's questions, and no form is open now."
APPLY_IN_PRIVATE = (
    "To keep personal details out of group chats, I only take applications in a "
    "private chat. Message me directly and send /apply there."
)
RESUME_IN_PRIVATE = (
    "Applications continue in a private chat: message me directly and send /resume."
)
STATUS_IN_PRIVATE = "Ask me /status in a private chat."
FORGOTTEN = (
    "Done: I've deleted your draft, our conversation, the questions you asked me and "
    "any request to be told when applications open. An application you "
    "already submitted stays with the Maths Hub it was sent to; contact that hub to "
    "have it removed."
)
NOTHING_TO_CANCEL = "There's nothing to cancel. Ask a question, or send /start for the menu."
FORM_STOPPED = (
    "Stopped. Your answers so far are saved: /resume continues where you left off, "
    "and /forget deletes them."
)
STOPPED = "Stopped. Ask me a question, or send /start for the menu."

# -- what cannot be read ----------------------------------------------------------------
NON_TEXT = {
    "sticker": "a sticker",
    "photo": "a photo",
    "voice": "a voice message",
    "video": "a video",
    "document": "a file",
    "audio": "an audio clip",
    "animation": "a GIF",
    "contact": "a contact",
    "poll": "a poll",
    "video_note": "a video message",
}
NON_TEXT_OTHER = "that kind of message"
NON_TEXT_IN_FORM = "I can't read {what} here: please type your answer as text."
NON_TEXT_IDLE = "I can't read {what}, only text. Type a question, or choose from /start."
STALE_BUTTON = "That button belongs to an earlier question, so I haven't changed anything."
STALE_BUTTON_IDLE = STALE_BUTTON + " Send /start for the menu."
NO_TEXT = "I didn't get any text there. Type a question, or send /start for the menu."
QUESTION_TOO_LONG = (
    "That message is {length:,} characters. Please ask one question at a time, "
    "in up to {limit:,} characters."
)
ANSWER_TOO_LONG = (
    "That message is {length:,} characters; the longest answer I can take is "
    "{limit:,}. Nothing was saved for this question."
)

# -- questions --------------------------------------------------------------------------
SUGGESTION_OUT_OF_DATE = "That suggestion is out of date; please ask your question again."
ASK_PROMPT = 'Type your question, for example "How much release time is there?"'

# -- hubs -------------------------------------------------------------------------------
NEAREST = "The Maths Hub whose lead school is nearest to that location:"
NEXT_NEAREST = "Next nearest:"
NEAREST_IS_ROUGH = (
    "Hubs serve areas rather than distances, so /hub with your town or postcode is more precise. "
)

# -- forms ------------------------------------------------------------------------------
FORMS_IN_PRIVATE = (
    "I only take applications in a private chat: message me directly and send /{command}."
)
UNKNOWN_FORM = "I don't know a form called {name!r}. The forms are:"
WHICH_FORM = "Which form would you like to fill in?"
FORM_SAVED = "Your {form} is saved: /resume takes you back to it."
FORM_IN_PROGRESS = "You already have {article} {form} in progress; let's continue it."
NO_SUCH_DRAFT = "You have no draft of that form. /resume continues the one you have."
NO_DRAFT = "You have no application in progress. /apply starts {what}."
WHICH_DRAFT = "You have more than one form in progress. Which shall we continue?"
CONTINUE_FORM = "Continue: {form}"
CARRY_ON = "Let's carry on with your {form}."
DRAFT_KEPT = "Your answers so far are saved, so you can stop at any point and come back later."
DRAFTS_SAVED = "({drafts} {verb} saved: /resume to continue.)"
DRAFT_PROGRESS = (
    "Draft in progress{which}: {done} of {total} questions answered. {again} to continue."
)
NOTHING_SUBMITTED = "You haven't submitted an application yet. /apply starts one."
NO_PRIVACY_NOTICE = "I keep only what you tell me in a form, and /forget deletes it."

# -- submitted applications -------------------------------------------------------------
SUBMITTED = "Thank you: your application has been submitted.\nReference: {reference}"
HELD_CONFIRMATION = (
    "Thank you: your application has been saved.\nReference: {reference}\n\n"
    "It has not been emailed yet: it will reach {hub_name} once this service's operator "
    "sends it. /status shows when it has gone."
)
SUBMISSION_REFUSED = "{reason}\n\nYour answers are kept: /resume shows them again."
APPLICATION_STATUS = "{reference} ({title}), submitted {date:%d %B %Y} to {hub}: {delivery}."
DELIVERY_WORDS = {
    "pending": "being sent to the hub (I'll keep trying if its mail server is busy)",
    "sent": "delivered to the hub's mail server",
    "held": (
        "saved, and not yet sent to the hub: it will reach the hub once this service's "
        "operator sends it"
    ),
    "failed": "not delivered: please email your hub directly",
    None: "saved",
}
UNCONFIRMED_WORDS = (
    "sent, but the hub's mail server stopped answering before confirming it: please email "
    "your hub to check it arrived"
)
HUB_REFUSED = " (its mail server refused the hub's address: {reply})"
NOT_COPIED = (
    "; not copied to {addresses} (refused by the mail server), so please forward it to them"
)

# -- told when applications open --------------------------------------------------------
NOTIFY_NOT_SAVED = (
    "I could not save your request to be told when applications open: send /notify to try again."
)
NOTIFY_PROMISED = (
    "I'll tell you {how}, once, when the next application window opens (/notify off stops it)."
)
