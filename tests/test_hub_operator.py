"""The operator's file keeps the hub directory current without editing shipped files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.exceptions import KnowledgeError
from bot.knowledge.hub_directory import hub_warnings, load_hubs
from bot.knowledge.hubs import HubFinder
from tests.conftest import ROOT

HUBS_YAML = ROOT / "knowledge" / "hubs.yaml"


def _operator(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hub_contacts.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _line(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_one_file_sets_address_name_website_verified_date_and_areas(tmp_path: Path) -> None:
    path = _operator(
        tmp_path,
        "enigma: workgroups@enigma-hub.example.org\n"
        "warwickshire-solihull-coventry:\n"
        "  email: hub@wsc-hub.example.org\n"
        "  name: Example Maths Hub\n"
        "  lead_school: Example School, Coventry\n"
        "  website: https://wsc-hub.example.org/\n"
        "  verified: 2026-10-01\n"
        "  verified_note: confirmed by email with the hub lead\n"
        "matrix-essex-herts:\n"
        "  areas:\n"
        "    add: {towns: [Harlow], postcodes: [CM17]}\n"
        "    remove: [Royston]\n",
    )
    directory = load_hubs(HUBS_YAML, path)
    enigma = directory.get("enigma")
    assert enigma is not None and enigma.email == "workgroups@enigma-hub.example.org"
    assert not enigma.has_placeholder_email and enigma.status == "announced"
    wsc = directory.get("warwickshire-solihull-coventry")
    assert wsc is not None
    assert (wsc.name, wsc.lead_school, wsc.website) == (
        "Example Maths Hub", "Example School, Coventry", "https://wsc-hub.example.org/",
    )  # fmt: skip
    assert (
        wsc.name_published
        and wsc.status == "verified"
        and wsc.verified_date == dt.date(2026, 10, 1)
    )
    assert set(wsc.operator_fields) >= {"email", "name", "website", "verified"}
    finder = HubFinder(directory)
    # A place added to one hub leaves the hub that had it.
    assert [h.id for h in finder.find("Harlow").hubs][:1] == ["matrix-essex-herts"]
    assert finder.find("CM17 0AA").hubs[0].id == "matrix-essex-herts"
    venn = directory.get("venn-essex")
    assert venn is not None and "Harlow" not in venn.areas["boroughs"]
    assert finder.find("Royston").hubs[0].id != "matrix-essex-herts"
    assert finder.find("Coventry").hubs[0].name == "Example Maths Hub"
    # Verified in October: no warning for it on 23 November 2026, but one a year later.
    assert not any("warwickshire" in w for w in hub_warnings(directory, dt.date(2026, 11, 23)))
    assert any(
        "warwickshire" in w and "12 months" in w
        for w in hub_warnings(directory, dt.date(2027, 11, 23))
    )


def test_the_old_id_of_a_renamed_hub_still_works_in_the_operator_file(tmp_path: Path) -> None:
    path = _operator(tmp_path, "north-west-two: eoi@turing.example.org\n")
    hub = load_hubs(HUBS_YAML, path).get("turing-nw")
    assert hub is not None and hub.email == "eoi@turing.example.org"


@pytest.mark.parametrize(
    ("text", "needle", "problem"),
    [
        ("atlantis: a@b.example.org\n", "atlantis", "unknown hub id 'atlantis'"),
        ("enigma:\n  emial: a@b.example.org\n", "emial", "hub enigma: emial: unknown key 'emial'"),
        (
            "enigma:\n  verified: last week\n",
            "verified",
            "hub enigma: verified: Input should be a valid date",
        ),
        (
            "enigma:\n  website: www.example.org\n",
            "website",
            "hub enigma: website: String should match pattern",
        ),
        ("enigma: not an address\n", "enigma", "hub enigma: "),
        ("enigma:\n  areas:\n    remove: [Truro]\n", "remove", "hub enigma: cannot remove 'Truro'"),
        (
            "enigma:\n  areas:\n    add: {villages: [Olney]}\n",
            "villages",
            "hub enigma: areas.add.villages: unknown key",
        ),
    ],
)
def test_check_reports_each_mistake_with_file_and_line(
    tmp_path: Path, text: str, needle: str, problem: str
) -> None:
    path = _operator(tmp_path, text)
    with pytest.raises(KnowledgeError) as raised:
        load_hubs(HUBS_YAML, path)
    expected = f"{path}:{_line(path, needle)}: {problem}"
    assert any(p.startswith(expected) for p in raised.value.problems), raised.value.problems
