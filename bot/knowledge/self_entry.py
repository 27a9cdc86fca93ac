"""The assistant's own FAQ entry: questions about this chat and what it keeps.

Questions such as "who sees my data?" are about the assistant, not about a Maths Hub's
privacy statement: the matcher scores this entry beside the knowledge base's (first, so
it wins a tie) and the assistant answers it with its own privacy notice.
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
