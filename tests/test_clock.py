"""One clock: BOT_TODAY moves every date the assistant reads or records, together."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.clock import SystemClock
from bot.services import open_services
from bot.settings import Settings
from tests._smtp import submit

DAY = dt.date(2031, 3, 4)  # another year than the machine's, whenever the tests run


def test_a_fixed_date_pins_the_date_and_lets_the_time_run() -> None:
    clock = SystemClock(DAY)
    assert clock.today() == DAY
    first, second = clock.now(), clock.now()
    assert first.date() == DAY and first.tzinfo is not None and second >= first
    free = SystemClock()
    assert free.today() == dt.date.today()
    assert abs(free.now() - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=5)


async def test_bot_today_reaches_references_the_outbox_and_the_academic_year(
    tmp_path: Path,
) -> None:
    settings = Settings.from_env({"BOT_DATA_DIR": str(tmp_path), "BOT_TODAY": DAY.isoformat()})
    services = await open_services(settings)
    try:
        reference = await submit(services.assistant)
        assert reference == "EOI-2031-0001"
        (application,) = await services.store.applications()
        assert application.submitted_at.date() == DAY
        assert application.answers["academic_year"] == "2031/32"
        (entry,) = await services.store.outbox()
        assert entry.created_at.date() == DAY
        await services.store.record_unanswered("pizza?", 1)
        (question,) = await services.store.unanswered()
        assert question.asked_at.date() == DAY
    finally:
        await services.close()
