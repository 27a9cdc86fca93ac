"""Which versions of an answer to give: one programme's, or each programme's and year's.

Entries sharing a ``topic`` answer the same question for another programme or year
(cost, deadline, who can apply).  A question that names a programme, year or cohort gets
that one; a question that names none gets each, best first, so it is never given one
programme's fact as if it were the other's.  Split from :mod:`bot.knowledge.matching`.
"""

from __future__ import annotations

import re

from bot.knowledge.faq import FaqBase, FaqEntry
from bot.knowledge.match_words import Mentions

MAX_ANSWERS = 4


def for_programmes(
    faq: FaqBase,
    entries: tuple[FaqEntry, ...],
    top: FaqEntry,
    named: Mentions,
    ranked: list[tuple[float, int]],
) -> list[FaqEntry]:
    """``top``, or each programme's/year's version of it when the question names none."""
    siblings = faq.siblings(top) if top.topic else ()
    if not siblings:
        return [top]
    family = [top, *siblings]
    wanted = [e for e in family if _names(e, named)]
    if wanted:
        return sorted(wanted, key=lambda e: e is not top)[:MAX_ANSWERS]
    if named.programmes or named.years or named.cohorts:
        # The question names something none of them is about: the best one only.
        return [top]
    order = {i: rank for rank, (_, i) in enumerate(ranked)}
    positions = {id(e): order.get(entries.index(e), len(order)) for e in family}
    return sorted(family, key=lambda e: positions[id(e)])[:MAX_ANSWERS]


def _names(entry: FaqEntry, named: Mentions) -> bool:
    """Whether the question names this entry's programme, year or cohort."""
    year = (entry.year or "").lower()
    if named.years and any(y in year for y in named.years):
        return True
    if named.cohorts and any(re.search(rf"cohort\s*{c}\b", year) for c in named.cohorts):
        return True
    return bool(named.programmes) and entry.programme in named.programmes
