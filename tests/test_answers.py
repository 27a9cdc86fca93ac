"""The matcher and answer composition on a small fixed knowledge base.

Segmentation, the three tiers, small talk, two questions in one message, and one
question asked of two programmes (entries sharing a ``topic``).
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.answers import BY_PROGRAMME_INTRO, NOT_SURE, WAY_ON, answer_question, small_talk
from bot.knowledge.base import Knowledge
from bot.knowledge.match_words import Normaliser
from bot.knowledge.text import segments
from tests.answers_kb import small_knowledge

TODAY = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Knowledge:
    return small_knowledge(tmp_path_factory.mktemp("small"))


def ask(knowledge: Knowledge, question: str) -> tuple[str, list[str], str]:
    answer = answer_question(knowledge, question, TODAY)
    return answer.tier, [e.id for e in answer.entries], answer.text


def test_segments_separate_context_from_the_questions() -> None:
    parts = segments(
        "Hi, bit of a long one sorry. I'm 2i/c at a middle school (Y5-Y8). "
        "does a middle school count or is it only secondaries? need to tell SLT"
    )
    asked = [text for text, question in parts if question]
    assert asked == ["does a middle school count or is it only secondaries"]
    assert ("need to tell SLT", False) in parts
    assert [t for t, q in segments("hw much does it cost and whats the deadline") if q] == [
        "hw much does it cost",
        "whats the deadline",
    ]
    assert segments("it is 7.5 days") == [("it is 7.5 days", False)]


def test_a_question_naming_no_programme_is_answered_for_each(small: Knowledge) -> None:
    tier, entries, text = ask(small, "cost?")
    assert tier == "confident" and sorted(entries) == ["cost-specialist", "cost-workgroups"]
    assert text.startswith(BY_PROGRAMME_INTRO)
    assert "Secondary Mastery Specialist Programme (2026/27):" in text
    assert "Secondary Teaching for Mastery Work Groups (2024/25):" in text
    assert text.count("Source:") == 2


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("work group cost?", "cost-workgroups"),
        ("how much does the specialist programme cost", "cost-specialist"),
        ("is it free in 2024/25?", "cost-workgroups"),
        ("fees for 2026-27", "cost-specialist"),
    ],
)
def test_a_named_programme_or_year_gets_only_its_answer(
    small: Knowledge, question: str, expected: str
) -> None:
    tier, entries, text = ask(small, question)
    assert tier in ("confident", "likely") and entries == [expected], (tier, entries)
    assert BY_PROGRAMME_INTRO not in text


def test_two_questions_in_one_message_get_both_answers_in_order(small: Knowledge) -> None:
    tier, entries, text = ask(small, "hw much does the work group cost and whats the deadline")
    assert tier == "confident" and entries == ["cost-workgroups", "closing-date"]
    assert text.index("£2000") < text.index("23 April 2026")
    assert text.count("Source:") == 2


def test_the_three_tiers(small: Knowledge) -> None:
    confident = answer_question(small, "do I need QTS", TODAY)
    assert confident.tier == "confident" and confident.options == ()
    likely = answer_question(small, "the head and travel", TODAY)
    assert likely.tier == "likely" and likely.entry is not None
    assert likely.text.startswith("I think you're asking about")
    assert [o.value for o in likely.options] == ["faq:head-launch"]
    assert likely.as_json()["tier"] == "likely"
    decline = answer_question(small, "What is the capital of France?", TODAY)
    assert decline.tier == "decline" and decline.entry is None and decline.unanswered
    assert decline.text.startswith(NOT_SURE) and WAY_ON in decline.text


@pytest.mark.parametrize(
    "text", ["thanks", "Thank you so much!", "ok", "OK great thanks", "3", "hello", "cheers", "bye"]
)
def test_small_talk_gets_a_short_reply_and_is_not_unanswered(small: Knowledge, text: str) -> None:
    answer = answer_question(small, text, TODAY)
    assert answer.tier == "smalltalk" and not answer.unanswered
    assert NOT_SURE not in answer.text


@pytest.mark.parametrize("text", ["thanks, is the work group free?", "ok so what's the deadline"])
def test_a_question_with_pleasantries_is_not_small_talk(text: str) -> None:
    assert small_talk(text) is None


def test_questions_about_the_assistant_use_its_own_notice(knowledge: Knowledge) -> None:
    for question in ("how long do you keep my data?", "what does /forget do", "who sees my data"):
        answer = answer_question(knowledge, question, TODAY, about_assistant=lambda: "NOTICE")
        assert [e.id for e in answer.entries] == ["assistant-privacy"], question
        assert answer.text == "NOTICE"
    hub = answer_question(
        knowledge, "what is the legal basis for the maths hub holding my data?", TODAY
    )
    assert hub.entry is not None and hub.entry.id != "assistant-privacy"


@pytest.mark.parametrize(
    "question",
    [
        "can i save the form and come back later?",
        "do I have to do the whole application in one go",
        "how do i get back to my half-finished application",
    ],
)
def test_saving_a_form_for_later_is_answered_from_the_assistants_own_entry(
    knowledge: Knowledge, question: str
) -> None:
    answer = answer_question(knowledge, question, TODAY)
    assert answer.entry is not None and answer.entry.id == "assistant-save-and-resume"
    assert "/resume" in answer.text and answer.answered


@pytest.mark.parametrize(
    ("question", "both"),
    [
        ("is it 7.5 days for the work group too?", ("7.5 days", "10 (combined) days")),
        # The Work Group's own length, not "two years' experience" (a recently qualified
        # Advocate), which shares the words.
        ("is the work group also two years", ("long-term",)),
    ],
)
def test_one_programmes_fact_asked_of_the_other_is_answered_for_the_one_named(
    knowledge: Knowledge, question: str, both: tuple[str, ...]
) -> None:
    # Never the Specialist fact alone for a Work Group question: the Work Groups' own fact.
    answer = answer_question(knowledge, question, TODAY)
    assert answer.answered
    for fact in both:
        assert fact in answer.text, (fact, answer.text)


def test_unknown_words_lower_the_score_so_near_misses_are_declined(small: Knowledge) -> None:
    tier, _, _ = ask(small, "is the primary mastery specialist programme free for FE colleges")
    assert tier == "decline"


def test_the_matcher_stays_within_its_budget_on_a_long_message(small: Knowledge) -> None:
    # Not a timing test: a long paragraph is cut to the matcher's limit and still answered.
    message = "we are a school. " * 50 + "is the work group free?"
    answer = answer_question(small, message, TODAY)
    assert answer.tier in ("confident", "likely", "decline")


def test_json_adds_tier_and_matches(small: Knowledge) -> None:
    obj = answer_question(small, "cost?", TODAY).as_json()
    assert {"question", "answer", "match", "score", "suggestions", "tier", "matches"} == set(obj)
    assert obj["match"] in obj["matches"]  # type: ignore[operator]


@pytest.mark.parametrize(
    "question",
    [
        "does the specialist programme pay a tlr",
        "is there a pay rise for the specialist programme",
        "when is the closing date for cohort 14",
        "deadline for 2031/32?",
    ],
)
def test_declared_out_of_scope_words_and_unknown_cohorts_are_declined(
    small: Knowledge, question: str
) -> None:
    tier, entries, _ = ask(small, question)
    assert tier == "decline", (tier, entries)


def test_the_same_questions_in_scope_are_answered(small: Knowledge) -> None:
    assert ask(small, "when is the closing date for applications")[0] == "confident"
    assert ask(small, "deadline for 2026/27?")[1] == ["closing-date"]


@pytest.mark.parametrize(
    "question",
    [
        "our school is in cardiff, can we join a work group?",
        "we teach in Belfast - could our maths teacher do the specialist programme",
    ],
)
def test_a_place_outside_england_in_a_question_gets_the_england_only_answer(
    knowledge: Knowledge, question: str
) -> None:
    # The hub directory's places outside England are cues, not words to ignore: without
    # them "can we join a work group?" is answered as if the school were in England.
    answer = answer_question(knowledge, question, TODAY)
    assert answer.entry is not None and answer.entry.id == "eligibility-outside-england"


def test_a_person_named_like_a_welsh_town_is_not_outside_england(knowledge: Knowledge) -> None:
    answer = answer_question(knowledge, "can Barry apply for the specialist programme", TODAY)
    assert "eligibility-outside-england" not in [e.id for e in answer.entries]


def test_a_work_group_word_keeps_a_specialist_fact_from_answering_confidently(
    knowledge: Knowledge,
) -> None:
    # Travel to the central days is covered for the Specialist Programme's lead teacher; the
    # documents say nothing of travel for Work Group Advocates. Answering this with the
    # Specialist fact would be one programme's fact for the other.
    tier, entries, text = ask(
        knowledge, "do the advocates get their travel to the central days covered"
    )
    assert not (tier == "confident" and entries == ["specialist-travel-costs"]), text


def test_a_question_asked_as_a_statement_is_read_as_one() -> None:
    parts = segments("Hi, SBM here. I've been asked to find out what we're committing to. Thanks")
    assert ("what we're committing to", True) in parts


def test_a_question_put_as_a_statement_in_a_long_message_is_answered(
    knowledge: Knowledge,
) -> None:
    tier, entries, text = ask(
        knowledge,
        "Hi there, I'm the school business manager. I've been asked to find out what we're "
        "committing to if we sign up to a work group - release days etc. Thanks",
    )
    assert tier != "decline" and entries[:1] == ["workgroups-expectations"], text


@pytest.mark.parametrize("question", ["what's the hub's email", "whats the email for the hub"])
def test_a_hubs_email_is_not_in_the_documents_so_the_way_on_is_the_hub_finder(
    knowledge: Knowledge, question: str
) -> None:
    # Not the EoI's "copy them into the email" answer, which shares the word.
    answer = answer_question(knowledge, question, TODAY)
    assert answer.tier == "decline" and "send /hub" in answer.text


def test_a_hub_saying_no_is_read_as_not_being_selected(knowledge: Knowledge) -> None:
    # "no" is a stop word: without the phrase, "what happens ... hub ... says" found the
    # number of hubs.
    answer = answer_question(knowledge, "what happens if the hub says no", TODAY)
    assert "workgroups-after-applying" in [e.id for e in answer.entries]


@pytest.mark.parametrize(
    "question", ["does the specialist get paid extra", "will I get paid extra as an advocate"]
)
def test_personal_pay_is_not_in_the_documents(knowledge: Knowledge, question: str) -> None:
    # Not the release-time funding, which pays the school, not the teacher.
    assert answer_question(knowledge, question, TODAY).tier == "decline"


@pytest.mark.parametrize("question", ["what is a maths hub", "what does a hub do"])
def test_what_a_maths_hub_is_is_answered_from_its_own_entry(
    knowledge: Knowledge, question: str
) -> None:
    # "hub" is the only word left, shared by a dozen entries: the candidates kept for
    # scoring must include the one whose phrasing is just that word.
    answer = answer_question(knowledge, question, TODAY)
    assert answer.entry is not None and answer.entry.id == "hub-what-is"


def test_a_misspelt_cohort_still_names_it(knowledge: Knowledge) -> None:
    answer = answer_question(knowledge, "deadlne for cohrot 11??", TODAY)
    assert answer.tier == "confident" and "23 April 2026" in answer.text


def test_a_long_message_with_one_clear_candidate_is_answered_as_likely(
    knowledge: Knowledge,
) -> None:
    # Its context scores it below LIKELY, but no other entry comes close: "I think you're
    # asking about ..." with the alternatives, never presented as the answer.
    answer = answer_question(
        knowledge,
        "Hi all, bit of context first: I'm a second in department at a three tier middle "
        "school in Bedfordshire, years 5 to 8, we've been pushing mastery with y7 and y8 and "
        "I've had QTS for nine years now, but the leaflet keeps on saying secondary. does a "
        "middle school count or is it only proper secondaries?",
        TODAY,
    )
    assert answer.tier == "likely" and answer.entry is not None
    assert answer.entry.id == "specialist-middle-schools" and answer.score < 50


def test_a_question_behind_a_lead_in_is_scored_on_its_own(knowledge: Knowledge) -> None:
    answer = answer_question(
        knowledge,
        "my head has asked me to find out whether the specialist programme is something "
        "we'd have to fund cover for ourselves",
        TODAY,
    )
    assert answer.answered and answer.entry is not None
    assert answer.entry.id == "specialist-release-funding"


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        ("when does the specialist programme start", "specialist-programme-length"),
        ("when did the specialist programme start", "history"),
        ("when do work groups start", "workgroups-duration"),
    ],
)
def test_the_tense_tells_this_cohorts_dates_from_the_history(
    knowledge: Knowledge, question: str, entry: str
) -> None:
    answer = answer_question(knowledge, question, TODAY)
    assert answer.entry is not None and answer.entry.id == entry


def test_a_supply_teacher_applying_is_not_read_as_supply_cover(knowledge: Knowledge) -> None:
    assert answer_question(knowledge, "can supply teachers apply", TODAY).tier == "decline"
    cover = answer_question(knowledge, "who pays for supply teachers", TODAY)
    assert cover.entry is not None and cover.entry.id == "specialist-release-funding"


def test_a_second_question_is_answered_for_the_programme_the_message_names(
    knowledge: Knowledge,
) -> None:
    answer = answer_question(
        knowledge, "is it free + how many teachers per school for work groups", TODAY
    )
    assert [e.id for e in answer.entries] == ["workgroups-cost", "workgroups-how-many-teachers"]


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("what happens on the non-central days", "reflective journal"),
        ("once I've sent the specialist form who gets back to me", "contacts applicants"),
        ("is the work group grant paid in arrears", None),  # not in the documents
        # Not the two years' experience a teacher needs (a tie on "cohort 11" + "long").
        ("how long is cohort 11", "two-year professional development"),
        ("how many years is cohort 11", "two-year professional development"),
        ("how many teachers was each hub allowed in the first specialist cohort", "up to four"),
        # Found by probing: an acronym's "stand for", "one of us" (not "1 year"), the hub first.
        ("what does EoI stand for", "Expression of Interest"),
        ("what does TfM stand for", "teaching for mastery"),
        ("can only one of us do the work group", "two teachers"),
        ("is it 5.5 days central in year 2 as well", "5.5 days"),
        ("roughly how many secondary mastery specialists are out there now", "Over 1000"),
        ("when did mobius start", "September 2020"),
        # "C11" is Cohort 11: the Specialist's date alone, not the Work Groups' beside it.
        ("when do c11 apps close", "23 April 2026"),
        ("where are the half day work group meetings held?", None),  # no venue in the documents
        ("do i need to tell the hub before applying for cohort 11 or just fill in the form", "NCETM website"),
    ],
)
def test_phrasings_found_by_a_held_out_set(
    knowledge: Knowledge, question: str, fact: str | None
) -> None:
    answer = answer_question(knowledge, question, TODAY)
    if fact is None:
        assert answer.tier == "decline"
    else:
        assert answer.answered and fact in answer.text, answer.text


@pytest.mark.parametrize(
    ("question", "hub"),
    [
        ("which hub covers reading? we used to be with bucks berks and oxon", "Mobius"),
        ("we're in thurrock. is our hub still matrix essex and herts?", "Venn Essex"),
        ("jurassic maths hub lead school?", "The Woodroffe School"),
        ("blackpool secondary - hub?", "Abacus NW"),
        # No word "hub": the old hub's name is what makes it a hub question.
        ("we're in thurrock. is it still matrix essex and herts for us?", "Venn Essex"),
        ("who leads venn essex maths hub?", "Lead school: not in our sources"),
        ("is it still north west two?", "Ashton on Mersey"),
        # A message that only says where the school is: its hub, as in the chat.
        ("we're on the isle of wight", "Solent"),
        ("our school is in leeds", "West Yorkshire"),
        # A misspelt place is offered as the finder's guess; lower-case Crewe is a town;
        # "is there even a hub"; a place beside a hub's name asks about the place.
        ("maths hub for birkenhed?", "Did you mean Birkenhead?"),
        ("crewe academy here, which maths hub should we be talking to", "Cheshire and Wirral"),
        ("cornwall - is there even a hub down here", "Cornwall and West Devon"),
        ("is the kent hub the one run by a grammar in rochester?", "Kent and Medway"),
        ("we're in grays. our old paperwork says matrix essex and herts - still right?", "Venn"),
        # Place names weigh nothing in the knowledge base: "hub covering newbury" is not
        # matched on "cover" alone, nor "is the central maths hub still our hub" on "central".
        ("hub covering newbury", "Mobius"),
        ("is the central maths hub still our hub - we're in nuneaton", "Warwickshire"),
        ("are we still with north north west hub? we're in preston", "The Maths Hub for Preston"),
    ],
)
def test_hub_questions_are_answered_by_the_hub_finder_in_every_channel(
    knowledge: Knowledge, question: str, hub: str
) -> None:
    # `ask` and `eval` answer as the chat does: the place named, not a hub mentioned in
    # passing, and a lower-case "reading" after "covers" is the town.
    answer = answer_question(knowledge, question, TODAY)
    assert answer.tier == "confident" and hub in answer.text, answer.text


@pytest.mark.parametrize(
    "question",
    [
        "how many places has south yorkshire maths hub got for cohort 11?",
        "whats the split between the central days and the stuff you do with the hub?",
        "are the central events in london",
        "is solent maths hub running work groups in portsmouth this year",
        "which hubs are still in the north west",  # the region's list, from the knowledge base
    ],
)
def test_a_question_about_a_hub_is_not_a_hub_search(knowledge: Knowledge, question: str) -> None:
    assert "The Maths Hub for" not in answer_question(knowledge, question, TODAY).text


@pytest.mark.parametrize(
    ("question", "facts"),
    [
        ("which were the new north west hubs in 2019", ("Cheshire and Wirral", "Abacus NW", "37")),
        ("how many new hubs opened in 2020", ("Three more", "September 2020", "40")),
        ("do specialists get the £2000 too?", ("£2000 grant per department", "7.5 days")),
        ("is it four half days for the specialist programme?", ("7.5 days", "four half-day")),
    ],
)
def test_mix_ups_of_dates_and_programmes_get_the_distinguishing_facts(
    knowledge: Knowledge, question: str, facts: tuple[str, ...]
) -> None:
    answer = answer_question(knowledge, question, TODAY)
    for fact in facts:
        assert fact in answer.text, (fact, answer.text)


def test_a_named_cohort_is_not_answered_with_another_cohorts_dates(knowledge: Knowledge) -> None:
    answer = answer_question(knowledge, "deadline for cohort 10?", TODAY)
    assert answer.entry is not None and answer.entry.id != "specialist-closing-date"


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("is the cohort 11 deadline 23rd april 2025?", "23 April 2026"),
        ("deadline is 23/04/2026 right?", "23 April 2026"),
        ("does the specialist window open on 16th december 2025", "16 December 2025"),
    ],
)
def test_a_date_being_checked_does_not_hide_the_question(
    knowledge: Knowledge, question: str, fact: str
) -> None:
    # The date is the user's guess; the entry is found by the other words and gives the true one.
    answer = answer_question(knowledge, question, TODAY)
    assert answer.answered and fact in answer.text, answer.text


def test_chat_spellings_are_read_as_the_words_they_stand_for() -> None:
    assert Normaliser.respell("cn u tell me wen ppl hv to apply") == (
        "can you tell me when people have to apply"
    )


@pytest.mark.parametrize(
    ("question", "tier"),
    [
        # Travel costs are the Specialist Programme's fact: the best Work Group entry (its
        # support) is about something else, so it is not given as the answer.
        ("can advocates claim travel", "decline"),
        ("are advocates' travel costs covered", "decline"),
        # The Specialist's headteacher entry leads a little: the Work Group answer is shown
        # as likely, with the Specialist's offered beside it.
        ("do advocates need their head to sign anything", "likely"),
    ],
)
def test_a_fact_only_the_other_programme_has_is_offered_not_answered(
    knowledge: Knowledge, question: str, tier: str
) -> None:
    answer = answer_question(knowledge, question, TODAY)
    assert answer.tier == tier, answer.text
    assert answer.suggestions[0].programme == "specialist", answer.suggestions


def test_a_short_message_about_a_word_the_documents_never_use_is_not_guessed_at(
    knowledge: Knowledge,
) -> None:
    # "maternity" is one word in three and unknown: the "leave" of "can I leave the form
    # and come back?" is no reason to offer that answer as likely.
    answer = answer_question(knowledge, "im on maternity leave can i apply", TODAY)
    assert answer.tier == "decline", answer.text


@pytest.mark.parametrize(
    "question",
    [
        # No document speaks of a 2026/27 Work Group: 2019/20's deadline is a near miss.
        "is there a tfm work group running 2026/27 and when do EoIs close?",
        # Cohorts are the Specialist Programme's: the size of a Work Group is no answer.
        "cohort 1 - how big was it and when did it kick off",
    ],
)
def test_a_period_or_programme_the_entry_is_not_about_is_a_near_miss(
    knowledge: Knowledge, question: str
) -> None:
    answer = answer_question(knowledge, question, TODAY)
    assert answer.tier == "decline", answer.text


def test_ncetm_logins_are_the_usernames_the_eoi_asks_for(knowledge: Knowledge) -> None:
    question = "two of our lot dont have NCETM logins. is that a problem for the work group form"
    answer = answer_question(knowledge, question, TODAY)
    assert answer.answered and answer.entry is not None, answer.text
    assert answer.entry.id == "eoi-ncetm-username"


def test_c11_names_cohort_11(knowledge: Knowledge) -> None:
    answer = answer_question(knowledge, "when do c11 apps close", TODAY)
    assert [e.id for e in answer.entries] == ["specialist-closing-date"], answer.text


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        (
            "ive been teaching maths for 18 months now since my ECT year ended, should i go "
            "for it this round or hold off another year?",
            "specialist-two-years-experience",
        ),
        ("cohort 2 - when were they supposed to begin with other schools", "history-earlier-cohorts"),
    ],
)
def test_a_word_only_one_entry_uses_makes_a_diluted_message_a_likely_answer(
    knowledge: Knowledge, question: str, entry: str
) -> None:
    answer = answer_question(knowledge, question, TODAY)
    assert answer.tier == "likely" and answer.entry is not None, answer.text
    assert answer.entry.id == entry


def test_a_distinctive_word_of_the_other_programme_is_still_a_near_miss(
    knowledge: Knowledge,
) -> None:
    answer = answer_question(knowledge, "are travel costs covered for work group meetings", TODAY)
    assert answer.tier == "decline", answer.text
