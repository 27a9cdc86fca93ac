"""Shared fixtures: the real knowledge base, a real SQLite file per test, a fixed date."""

from __future__ import annotations

import datetime as dt
import functools
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.assistant import Assistant, Incoming
from bot.knowledge.base import Knowledge, load_knowledge
from bot.replies import Reply
from bot.store.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 23)
# ../shared (the source documents and the full eval sets) sits beside a working copy but is
# not part of the repository: tests use the small copies under tests/data, or skip.
SHARED_DIR = ROOT.parent / "shared"
needs_shared_sources = pytest.mark.skipif(
    not (SHARED_DIR / "sources").is_dir(),
    reason=f"the source documents live in {SHARED_DIR / 'sources'}, outside this repository",
)
EVAL_DIR = Path(__file__).resolve().parent / "data" / "eval"

# Valid answers for every EoI field, in form order (the console accepts labels or values).
EOI_ANSWERS: list[tuple[str, str]] = [
    ("privacy_consent", "I agree"),
    ("school_name", "Example Academy"),
    ("school_address", "1 Example Road, Milton Keynes MK9 1AA"),
    ("school_urn", "123456"),
    ("school_phone", "0113 496 0000"),
    ("head_name", "Jane Smith"),
    ("head_email", "head@academy.example.org"),
    ("hod_name", "Sam Patel"),
    ("hod_email", "s.patel@academy.example.org"),
    ("maths_hub", "enigma"),
    ("teacher1_name", "Alex Jones"),
    ("teacher1_email", "a.jones@academy.example.org"),
    ("teacher1_ncetm_username", "ajones"),
    ("teacher1_year_groups", "7-9"),
    ("teacher1_role", "Second in Department"),
    ("teacher2_name", "Priya Shah"),
    ("teacher2_email", "p.shah@academy.example.org"),
    ("teacher2_ncetm_username", "pshah"),
    ("teacher2_year_groups", "Y7, Y8 and Y11"),
    ("teacher2_role", "Teacher of mathematics"),
    ("worked_with_specialist", "No"),
    (
        "hod_statement",
        " ".join(
            ["Our department wants to develop teaching for mastery across Key Stage 3 so that"]
            + ["every pupil builds a deep and connected understanding of mathematics."] * 4
        ),
    ),
    ("commitments", "I confirm"),
    ("submitter_name", "Morgan Example"),
    ("submitter_role", "School business manager"),
]


@functools.cache
def shared_knowledge() -> Knowledge:
    """The shipped knowledge base, loaded once per test process (it is never modified)."""
    return load_knowledge(ROOT / "knowledge", ROOT / "flows")


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    return shared_knowledge()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    db = await SqliteStore.open(tmp_path / "assistant.sqlite3")
    yield db
    await db.close()


@pytest.fixture
def assistant(knowledge: Knowledge, store: SqliteStore) -> Assistant:
    return Assistant(knowledge, store, today=lambda: TODAY)


@pytest.fixture
def bot_env(tmp_path: Path) -> dict[str, str]:
    """Environment for running ``python -m bot`` in a subprocess against a temp data dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMTP_", "TELEGRAM_", "BOT_"))}
    env.update({"BOT_DATA_DIR": str(tmp_path / "var"), "BOT_TODAY": TODAY.isoformat()})
    env["PYTHONPATH"] = str(ROOT)
    return env


PYTHON = sys.executable


def run_bot(
    env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m bot ARGS`` in a subprocess, as a user or another tool would run it."""
    return subprocess.run(
        [PYTHON, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
        env=env, cwd=ROOT, timeout=60, check=False,
    )  # fmt: skip


class Chat:
    """Drives the assistant in-process like a channel does, keeping the last replies."""

    def __init__(self, assistant: Assistant, user: str = "u1") -> None:
        self.assistant = assistant
        self.user = user
        self.replies: list[Reply] = []

    async def send(self, text: str, **kwargs: object) -> list[Reply]:
        self.replies = await self.assistant.handle(Incoming(self.user, text, **kwargs))  # type: ignore[arg-type]
        return self.replies

    @property
    def field(self) -> str | None:
        return next((r.field for r in reversed(self.replies) if r.field), None)

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.replies)

    async def fill_until(self, stop_field: str) -> None:
        """Start (or resume) the EoI and answer every field until ``stop_field`` is asked."""
        await self.send("/apply eoi")
        answers = dict(EOI_ANSWERS)
        for _ in range(len(EOI_ANSWERS) + 1):
            if self.field == stop_field:
                return
            assert self.field in answers, (self.field, self.text)
            await self.send(answers[self.field])
        raise AssertionError(f"never reached {stop_field}: {self.text}")
