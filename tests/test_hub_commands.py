"""The hub commands as processes: `hub`, `hubs`, `check` on provenance, `eval places`, and the
finder inside a console conversation (`chat --jsonl`)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import ROOT, run_bot
from tests.test_console import run_chat, turns

HUB_PLACES = ROOT / "tests" / "data" / "hub_places.yaml"


def test_hub_json_for_a_shared_name_lists_each_candidate_best_first(
    bot_env: dict[str, str],
) -> None:
    obj = json.loads(run_bot(bot_env, "hub", "--json", "Richmond").stdout)
    assert obj["query"] == "Richmond" and obj["ambiguous"] is True and obj["match"] == "ambiguous"
    assert [h["id"] for h in obj["hubs"]] == ["london-south-west", "yorkshire-ridings"]
    for hub in obj["hubs"]:
        assert {"id", "name", "region", "lead_school", "email", "status", "county"} <= set(hub)
    assert [c["place"] for c in obj["choices"]] == ["Richmond, London", "Richmond, North Yorkshire"]
    out = run_bot(bot_env, "hub", "Newport").stdout
    assert "- Newport, Isle of Wight: Solent Maths Hub" in out
    assert "- Newport, Wales: outside England" in out


def test_hub_text_for_douglas_and_an_announced_hub(bot_env: dict[str, str]) -> None:
    assert (
        "Douglas is on the Isle of Man, which is outside England"
        in run_bot(bot_env, "hub", "Douglas").stdout
    )
    out = run_bot(bot_env, "hub", "Chester").stdout
    assert "Cheshire and Wirral Maths Hub" in out and "not confirmed with the hub" in out


def test_hubs_lists_every_hub_with_status_contact_and_areas(
    bot_env: dict[str, str], tmp_path: Path
) -> None:
    contacts = tmp_path / "hub_contacts.yaml"
    contacts.write_text("mobius:\n  email: hub@mobius.example.org\n  verified: 2026-09-01\n")
    bot_env["HUB_CONTACTS_FILE"] = str(contacts)
    obj = json.loads(run_bot(bot_env, "hubs", "--json").stdout)
    assert obj["count"] == 40 == len(obj["hubs"]) and obj["operator_file"] == str(contacts)
    by_id = {h["id"]: h for h in obj["hubs"]}
    assert by_id["mobius"]["status"] == "verified" and by_id["mobius"]["contact"] == "real"
    assert by_id["mobius"]["verified"] == "2026-09-01"
    assert by_id["enigma"]["status"] == "announced" and by_id["enigma"]["contact"] == "placeholder"
    assert all(h["areas"] > 0 for h in obj["hubs"])
    text = run_bot(bot_env, "hubs").stdout.splitlines()
    assert len(text) == 42  # header, 40 hubs, summary
    mobius = next(line for line in text if line.startswith("mobius "))
    assert "verified 2026-09-01" in mobius and "real" in mobius
    assert "1 verified, 39 announced only; 1 real addresses" in text[-1]


def test_check_warns_on_provenance_by_the_settings_clock(
    bot_env: dict[str, str], tmp_path: Path
) -> None:
    contacts = tmp_path / "hub_contacts.yaml"
    contacts.write_text("mobius:\n  verified: 2025-10-01\n")
    bot_env["HUB_CONTACTS_FILE"] = str(contacts)
    bot_env["BOT_TODAY"] = "2026-09-01"
    out = run_bot(bot_env, "check").stdout
    assert "hub enigma: never verified" in out and "hub mobius:" not in out
    bot_env["BOT_TODAY"] = "2026-11-23"
    out = run_bot(bot_env, "check").stdout
    assert "hub mobius: last verified 1 October 2025, more than 12 months ago" in out


def test_check_reports_the_operator_file_with_file_and_line(
    bot_env: dict[str, str], tmp_path: Path
) -> None:
    contacts = tmp_path / "hub_contacts.yaml"
    contacts.write_text("enigma: hub@enigma.example.org\nmobius:\n  nmae: Mobius\n")
    bot_env["HUB_CONTACTS_FILE"] = str(contacts)
    proc = run_bot(bot_env, "check")
    assert proc.returncode == 1
    assert f"{contacts}:3: hub mobius: nmae: unknown key 'nmae'" in proc.stdout


def test_the_development_places_all_pass(bot_env: dict[str, str]) -> None:
    proc = run_bot(bot_env, "eval", "places", str(HUB_PLACES))
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.splitlines()[-1].endswith("(100.0%)")


def test_in_chat_the_finder_works_as_on_the_command_line(bot_env: dict[str, str]) -> None:
    lines = [
        "hub for bristl",
        "which hub is Leeds in",
        "we're an academy in Leeds, which hub?",
        "Richmond",
        "Richmond, North Yorkshire",
        "/hub Newport",
        "2",
    ]
    conversation = turns(run_chat(bot_env, lines, "--user", "finder"))[1:]
    bristol = conversation[0][-1]
    assert "Did you mean Bristol?" in bristol["text"] and "Boolean Maths Hub" in bristol["text"]
    assert bristol["options"] == [{"label": "Yes, Bristol", "value": "place:Bristol"}]
    for turn in conversation[1:3]:
        assert "The Maths Hub for Leeds is:" in turn[-1]["text"]
        assert "West Yorkshire Maths Hub" in turn[-1]["text"]
    richmond = conversation[3][-1]
    assert "more than one Richmond" in richmond["text"]
    assert [o["label"] for o in richmond["options"]] == [
        "Richmond, London",
        "Richmond, North Yorkshire",
    ]
    chosen = conversation[4][-1]["text"]
    assert (
        "The Maths Hub for Richmond, North Yorkshire is:" in chosen
        and "Yorkshire Ridings" in chosen
    )
    newport = conversation[5][-1]
    assert [o["label"] for o in newport["options"]][:2] == [
        "Newport, Isle of Wight",
        "Newport, Shropshire",
    ]
    assert "Salop and Herefordshire Maths Hub" in conversation[6][-1]["text"]
