"""The assistant's own FAQ entries: questions about this chat, what it keeps, and its forms.

Questions such as "who sees my data?" are about the assistant, not about a Maths Hub's
privacy statement: the matcher scores these entries beside the knowledge base's (first, so
they win a tie). The privacy entry is answered with the assistant's own privacy notice;
the others carry their answer here, because they describe this assistant's behaviour,
which no programme document does (so they cite no source).
"""

from __future__ import annotations

from bot.knowledge.faq import FaqEntry

# Questions about the assistant itself are answered from its own privacy notice (the
# assistant supplies the text), never from a Maths Hub's privacy statement.
SELF_ENTRY = FaqEntry(
    id="assistant-privacy",
    programme="both",
    year=None,
    questions=(
        "How long do you keep my data?",
        "What do you keep about me?",
        "What information does this assistant store?",
        "Who can see my answers in this chat?",
        "Who sees my data?",
        "How do I delete my data?",
        "What does /forget do?",
        "Is this chat private?",
        "Do you save what I type?",
        "What happens to my conversation with you?",
        "Do you share my details with anyone?",
        "Can you forget me?",
    ),
    keywords=("chatbot privacy", "forget", "delete my data"),
    answer=(
        "How this assistant handles your information: what it keeps, why, who receives it, "
        "how long it is kept, and how to delete it with /forget."
    ),
    source=(),
    window=None,
    line=0,
)
# "Can I stop half way and finish the form later?": how drafts behave, in every channel.
RESUME_ENTRY = FaqEntry(
    id="assistant-save-and-resume",
    programme="both",
    year=None,
    questions=(
        "Can I save the form and come back later?",
        "Can I stop half way through the application and finish it another time?",
        "Do I have to fill the form in all in one go?",
        "Does the application have to be done in one sitting?",
        "Will I lose my answers if I leave the chat?",
        "How do I carry on with an application I started?",
        "Can I pause the application form?",
        "Is my form saved if I leave it?",
        "I started filling in the form yesterday, how do I return to it?",
    ),
    keywords=("save form", "resume form", "continue application", "finish later"),
    answer=(
        "Your answers are saved as you give them, so you can stop at any point and "
        "come back later, even on another day: send /resume to carry on from the question "
        "you reached (/cancel stops the form and keeps your answers). Before anything is "
        "sent you see all your answers and can change any of them. /forget deletes your "
        "draft, and /privacy says how long an unfinished draft is kept."
    ),
    source=(),
    window=None,
    line=0,
)
# Entries answered with the text they carry (the privacy entry's text is the notice).
SELF_ANSWERED = {RESUME_ENTRY.id: RESUME_ENTRY}
SELF_ENTRIES = (SELF_ENTRY, RESUME_ENTRY)
SELF_SYNONYMS: dict[str, tuple[str, ...]] = {
    "chatbot": (
        "this assistant",
        "this chatbot",
        "the chatbot",
        "this bot",
        "the bot",
        "this chat",
        "this conversation",
        "our conversation",
        "my conversation",
        "you keep",
        "you store",
        "you hold",
        "you save",
        "you record",
        "you delete",
        "do you remember",
    ),
    "forget": ("/forget", "forget me", "delete my data", "delete my details", "erase"),
}
