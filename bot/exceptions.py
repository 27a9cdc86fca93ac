"""Every error the assistant raises on purpose.

BotError
├── KnowledgeError        knowledge/ or flows/ is invalid (carries every ``file:line: problem``)
├── ConfigError           an environment setting is missing or malformed
├── StoreError            the SQLite store could not do what was asked
│   └── SessionConflict   another process changed this user's session first
├── SubmissionRefused     a submission would pass a cap on submissions (see bot.limits)
└── DeliveryError         a message could not be handed to the mail server
    └── TransportError    (bot.mail.base) a transport's failure, saying whether to retry
"""

from __future__ import annotations


class BotError(Exception):
    """Base class of the assistant's own errors."""


class KnowledgeError(BotError):
    """The knowledge base or a flow file is invalid.

    ``problems`` holds one ``file:line: what is wrong`` string per problem, so that
    ``python -m bot check`` and start-up refusal print the same messages.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class ConfigError(BotError):
    """An environment setting is missing or malformed."""


class StoreError(BotError):
    """The store could not complete an operation."""


class SessionConflict(StoreError):
    """Another process saved this user's session after we read it; nothing was written."""


class SubmissionRefused(BotError):
    """A submission was refused by a cap; the message is the applicant's explanation."""


class DeliveryError(BotError):
    """A message could not be delivered; the outbox keeps it for a retry."""
