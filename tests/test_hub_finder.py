"""The hub finder and directory since 2020: the 40 hubs, honest place matching, provenance."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

from bot.exceptions import KnowledgeError
from bot.knowledge.hub_directory import HubDirectory, hub_warnings, load_hubs
from bot.knowledge.hub_text import ANY_HUB, describe_hub, describe_search, search_json
from bot.knowledge.hubs import HubFinder
from tests.conftest import ROOT, shared_knowledge

HUBS_YAML = ROOT / "knowledge" / "hubs.yaml"


def finder() -> HubFinder:
    return shared_knowledge().finder


def test_forty_hubs_with_the_new_ones_and_turing_nw() -> None:
    directory = shared_knowledge().hubs
    assert len(directory.hubs) == 40
    names = {h.name for h in directory.hubs}
    for name in (
        "Cheshire and Wirral Maths Hub",
        "Abacus NW Maths Hub",
        "Mobius Maths Hub",
        "Venn Essex Maths Hub",
        "Turing NW Maths Hub",
    ):
        assert name in names
    assert "North West Two Maths Hub" not in names
    # The Warwickshire, Solihull and Coventry hub's own name is in no source: it is named by
    # its area and says so, with no invented lead school.
    wsc = directory.get("warwickshire-solihull-coventry")
    assert wsc is not None and not wsc.name_published and wsc.lead_school == ""
    text = describe_hub(wsc)
    assert (
        "its own name is not in our sources" in text and "Lead school: not in our sources" in text
    )
    # An application stored under the old id still finds its hub.
    turing = directory.get("north-west-two")
    assert turing is not None and turing.id == "turing-nw"
    assert "Formerly North West Two Maths Hub" in describe_hub(turing)


@pytest.mark.parametrize(
    ("place", "hub_id", "old_hub"),
    [
        ("Chester", "cheshire-wirral", "north-west-one"),
        ("Birkenhead", "cheshire-wirral", "north-west-three"),
        ("CH43 4UY", "cheshire-wirral", "north-west-three"),
        ("WA8 7AB", "cheshire-wirral", "north-west-three"),
        ("CW1 2AA", "cheshire-wirral", "north-west-one"),
        ("Preston", "abacus-nw", "north-north-west"),
        ("Blackpool", "abacus-nw", "north-north-west"),
        ("FY1 4AA", "abacus-nw", "north-north-west"),
        ("BB2 1AA", "abacus-nw", "north-north-west"),
        ("Swindon", "mobius", "boolean"),
        ("SN1 1AA", "mobius", "boolean"),
        ("BA14 8AA", "mobius", "boolean"),
        ("Reading", "mobius", "bucks-berks-oxon"),
        ("Newbury", "mobius", "bucks-berks-oxon"),
        ("RG14 1AA", "mobius", "bucks-berks-oxon"),
        ("Chelmsford", "venn-essex", "matrix-essex-herts"),
        ("Southend", "venn-essex", "matrix-essex-herts"),
        ("SS1 1AA", "venn-essex", "matrix-essex-herts"),
        ("RM17 5AA", "venn-essex", "matrix-essex-herts"),
        ("Coventry", "warwickshire-solihull-coventry", "central"),
        ("Solihull", "warwickshire-solihull-coventry", "central"),
        ("CV1 2AA", "warwickshire-solihull-coventry", "central"),
        ("B91 3AA", "warwickshire-solihull-coventry", "central"),
        ("Manchester", "turing-nw", None),
    ],
)
def test_places_the_new_hubs_took_over_go_to_them(
    place: str, hub_id: str, old_hub: str | None
) -> None:
    search = finder().find(place)
    assert search.status == "found", search
    assert search.hubs[0].id == hub_id
    if old_hub is not None:
        assert old_hub != search.hubs[0].id


def test_what_the_old_hubs_kept() -> None:
    for place, hub_id in [
        ("Bath", "boolean"), ("BA1 1AA", "boolean"), ("Slough", "bucks-berks-oxon"),
        ("RG9 1AA", "bucks-berks-oxon"), ("CM23 2AA", "matrix-essex-herts"),
        ("Birmingham", "central"), ("PR9 0AA", "north-west-three"), ("Lancaster", "north-north-west"),
        ("CV13 0AA", "east-midlands-south"),
    ]:  # fmt: skip
        assert finder().find(place).hubs[0].id == hub_id, place


@pytest.mark.parametrize(
    ("name", "first", "counties"),
    [
        ("Richmond", "london-south-west", ["London", "North Yorkshire"]),
        ("Newport", "solent", ["Isle of Wight", "Shropshire", "Essex", "Wales"]),
        ("Wells", "boolean", ["Somerset", "Norfolk"]),
        ("Ashford", "kent-medway", ["Kent", "Surrey"]),
        ("Sutton", "london-thames", ["London", "Birmingham"]),
        ("Stratford", "london-north-east", ["London", "Warwickshire"]),
    ],
)
def test_a_shared_name_asks_which_place_with_each_county(
    name: str, first: str, counties: list[str]
) -> None:
    search = finder().find(name)
    assert search.status == "ambiguous"
    assert [c.county for c in search.choices] == counties
    # Each candidate hub, best guess first; the place outside England has none.
    assert search.hubs[0].id == first
    assert len(search.hubs) == len([c for c in search.choices if c.hub is not None]) >= 2
    text = describe_search(search)
    assert f"more than one {name}" in text
    for choice in search.choices:
        assert choice.label in text
    as_json = search_json(search)
    assert as_json["ambiguous"] is True and as_json["hubs"][0]["id"] == first
    assert [c["county"] for c in as_json["choices"]] == counties


def test_choosing_one_of_the_places_finds_its_hub() -> None:
    assert finder().find("Richmond, North Yorkshire").hubs[0].id == "yorkshire-ridings"
    assert finder().find("Newport, Isle of Wight").hubs[0].id == "solent"
    assert finder().find("Newport, Wales").status == "outside"


@pytest.mark.parametrize(
    ("place", "hub_id"),
    [
        ("Wells-next-the-Sea", "norfolk-suffolk"),
        ("Wells next the Sea", "norfolk-suffolk"),
        ("Hutton-le-Hole", "yorkshire-ridings"),
        ("Sutton-on-Sea", "east-midlands-east"),
        ("Sutton Coldfield", "central"),
        ("Newport Pagnell", "enigma"),
        ("Stratford-upon-Avon", "warwickshire-solihull-coventry"),
        ("12 High Street, Wells-next-the-Sea, Norfolk", "norfolk-suffolk"),
    ],
)
def test_whole_names_are_matched_before_their_parts(place: str, hub_id: str) -> None:
    search = finder().find(place)
    assert search.status == "found", search
    assert search.hubs[0].id == hub_id


def test_a_typo_corrected_to_another_place_is_asked_as_a_question() -> None:
    search = finder().find("Hetton le Hol")
    assert search.status == "suggested" and search.recognised == "Hetton-le-Hole, Sunderland"
    assert "Did you mean Hetton-le-Hole, Sunderland?" in describe_search(search)
    assert search_json(search)["match"] == "suggested"
    # A hyphenated name we do not know is not taken apart into a place it contains.
    assert finder().find("Sutton-under-Whitestonecliffe").status != "ambiguous"


@pytest.mark.parametrize(
    ("place", "expected"),
    [
        ("Douglas", "Douglas is on the Isle of Man, which is outside England"),
        ("Isle of Man", "The Isle of Man is a Crown Dependency, outside England"),
        ("St Helier", "St Helier is in Jersey, which is outside England"),
        ("Cardiff", "Cardiff is in Wales, not England"),
        ("Belfast", "Belfast is in Northern Ireland, not England"),
        ("Scotland", "Scotland is not part of England"),
        ("Dublin", "Dublin is in Ireland, outside the United Kingdom"),
    ],
)
def test_places_outside_england_read_correctly(place: str, expected: str) -> None:
    search = finder().find(place)
    assert search.status == "outside" and not search.hubs
    assert expected in describe_search(search)


@pytest.mark.parametrize(
    ("sentence", "place"),
    [
        ("hub for bristl", "bristl"),
        ("which hub is Leeds in", "Leeds"),
        ("we're an academy in Leeds, which hub?", "Leeds"),
        ("What Maths Hub covers Chelmsford?", "Chelmsford"),
        ("our school is in Wells-next-the-Sea, which hub?", "Wells-next-the-Sea"),
        ("which hub for a school in Richmond?", "Richmond"),
    ],
)
def test_a_place_inside_a_sentence_is_found_as_on_its_own(sentence: str, place: str) -> None:
    in_sentence, alone = finder().find(sentence), finder().find(place)
    assert in_sentence.status == alone.status != "unknown"
    assert in_sentence.hubs == alone.hubs and in_sentence.recognised == alone.recognised


@pytest.mark.parametrize(
    "sentence",
    [
        "when is the hub deadline in march?",
        "what is a hub lead school?",
        "how do I contact my hub?",
        "I was reading about the maths hub",
    ],
)
def test_ordinary_words_in_a_hub_question_are_not_places(sentence: str) -> None:
    assert finder().find(sentence).status == "unknown"


def test_every_hub_answer_gives_the_same_advice_on_choosing_a_hub() -> None:
    """005: a school may choose any hub; the finder's first hub is the local suggestion."""
    assert "local suggestion" in ANY_HUB and "any Maths Hub" in ANY_HUB
    for place in ("Truro", "Manchester", "Sheffeild", "London"):
        assert ANY_HUB in describe_search(finder().find(place))
    flows = shared_knowledge().flows
    assert "any hub" in (flows["hub"].step("place").help or "")


def test_an_only_announced_hub_says_so_and_points_to_the_ncetm_search() -> None:
    hub = shared_knowledge().hubs.get("mobius")
    assert hub is not None and hub.status == "announced"
    text = describe_hub(hub)
    assert "not confirmed with the hub" in text and "NCETM website's Maths Hub search" in text
    verified = replace(hub, verified_date=dt.date(2026, 10, 1))
    assert "Confirmed with the hub on 1 October 2026" in describe_hub(verified)
    assert "NCETM" not in describe_hub(verified)


def test_check_warns_about_hubs_never_or_long_ago_verified() -> None:
    directory = shared_knowledge().hubs
    today = dt.date(2026, 11, 23)
    warnings = hub_warnings(directory, today)
    assert len(warnings) == 40 and all("never verified" in w for w in warnings)
    hubs = list(directory.hubs)
    hubs[0] = replace(hubs[0], verified_date=dt.date(2025, 11, 1))  # over a year before today
    hubs[1] = replace(hubs[1], verified_date=dt.date(2026, 1, 10))
    recent = HubDirectory(tuple(hubs), directory.outside, directory.shared_names)
    warnings = hub_warnings(recent, today)
    assert len(warnings) == 39
    assert any(hubs[0].id in w and "more than 12 months" in w for w in warnings)
    assert not any(hubs[1].id in w for w in warnings)
    # The clock is the caller's (BOT_TODAY), not the wall clock.
    assert len(hub_warnings(recent, dt.date(2026, 10, 1))) == 38


def _copy(tmp_path: Path, replace_from: str, replace_to: str) -> Path:
    path = tmp_path / "hubs.yaml"
    text = HUBS_YAML.read_text(encoding="utf-8")
    assert replace_from in text
    path.write_text(text.replace(replace_from, replace_to, 1), encoding="utf-8")
    return path


def _line(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_the_hubs_file_refuses_unknown_keys_with_file_and_line(tmp_path: Path) -> None:
    path = _copy(
        tmp_path,
        "    areas_source: >-\n      announced (005): Wiltshire",
        "    websit: https://x.example\n    areas_source: >-\n      announced (005): Wiltshire",
    )
    with pytest.raises(KnowledgeError) as raised:
        load_hubs(path)
    assert (
        f"{path}:{_line(path, 'websit:')}: hub mobius: websit: unknown key 'websit'"
        in raised.value.problems
    )


def test_the_hubs_file_refuses_a_hub_without_provenance(tmp_path: Path) -> None:
    path = _copy(
        tmp_path, "    announced: {date: 2019-09-01, source: 001_fa6df260ef28dee6.txt}\n", ""
    )
    with pytest.raises(KnowledgeError) as raised:
        load_hubs(path)
    assert any(
        "hub cornwall-west-devon: announced: missing field" in p for p in raised.value.problems
    )


def test_a_shared_name_written_bare_is_refused(tmp_path: Path) -> None:
    path = _copy(tmp_path, 'Raynes Park, "Richmond, London"', "Raynes Park, Richmond")
    with pytest.raises(KnowledgeError) as raised:
        load_hubs(path)
    assert any(
        "shares its name with 'Richmond, North Yorkshire'" in p for p in raised.value.problems
    )


def test_a_place_listed_by_two_hubs_is_refused(tmp_path: Path) -> None:
    path = _copy(
        tmp_path, "      towns: [Burghfield, Newbury,", "      towns: [Burghfield, Newbury, Oxford,"
    )
    with pytest.raises(KnowledgeError) as raised:
        load_hubs(path)
    assert any("'Oxford' is an area of both" in p for p in raised.value.problems)


def test_the_shipped_directory_loads_clean() -> None:
    directory = load_hubs(HUBS_YAML)
    assert len(directory.hubs) == 40 and all(h.has_placeholder_email for h in directory.hubs)


@pytest.mark.parametrize("query", ["Jurassic", "jurassic maths hub", "North West Two"])
def test_a_hub_found_by_its_own_name_is_not_called_the_hub_for_itself(query: str) -> None:
    text = describe_search(finder().find(query))
    assert text.startswith("Here is what I know of that Maths Hub:"), text
    assert "The Maths Hub for" not in text


def test_a_place_is_still_named_as_the_area_the_hub_serves() -> None:
    assert describe_search(finder().find("Leeds")).startswith("The Maths Hub for Leeds is:")
