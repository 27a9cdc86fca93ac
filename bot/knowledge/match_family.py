"""Which versions of an answer to give: one programme's, or each programme's and year's.

Entries sharing a ``topic`` answer the same question for another programme or year
(cost, deadline, who can apply).  A question that names a programme, year or cohort gets
that one; a question that names none gets each, best first, so it is never given one
programme's fact as if it were the other's.  Split from :mod:`bot.knowledge.matching`.
"""

from __future__ import annotations

import re

from bot.knowledge.faq import FaqBase, FaqEntry
from bot.knowledge.match_units import Unit
from bot.knowledge.match_words import Mentions

MAX_ANSWERS = 4
# How far the other programme's entry must lead, before the programme named is weighed in,
# for the question to be read as perhaps asking for a fact only the other programme has
# (the answer is then at most "likely"), and as surely asking for one (a decline).
OTHER_FACT_LEAD = 5.0
OTHER_FACT_SURE = 10.0
PROGRAMMES = ("specialist", "workgroups")


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


def other_programmes_fact(
    entries: tuple[FaqEntry, ...],
    units: list[Unit],
    named: Mentions,
    chosen: tuple[float, int],
) -> tuple[FaqEntry, bool] | None:
    """The other programme's entry a question about one programme really asks about.

    "Do advocates get travel paid for?" matches the Specialist Programme's travel costs
    far better than any Work Group entry; the best Work Group entry is then about
    something else, and giving it as the answer would be a confident wrong one.  Returns
    that other entry when its own score (before the programme named is weighed in) leads
    the chosen entry's by :data:`OTHER_FACT_LEAD` and they answer different questions,
    and whether it leads by :data:`OTHER_FACT_SURE`.
    """
    if len(named.programmes) != 1:
        return None
    raw: dict[int, float] = {}
    for unit in units:
        for index, score in unit.scores.items():
            raw[index] = max(raw.get(index, 0.0), score)
    if not raw:
        return None
    best = max(raw, key=raw.__getitem__)
    entry, top = entries[best], entries[chosen[1]]
    if (
        best == chosen[1]
        or entry.programme not in PROGRAMMES
        or entry.programme in named.programmes
        or (entry.topic is not None and entry.topic == top.topic)
    ):
        return None
    lead = raw[best] - chosen[0]
    return (entry, lead >= OTHER_FACT_SURE) if lead >= OTHER_FACT_LEAD else None
