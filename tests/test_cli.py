"""The command-line contract: ask, hub, check, eval, unanswered."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import EVAL_DIR, PYTHON, ROOT, run_bot


def test_ask_json_contract(bot_env: dict[str, str]) -> None:
    proc = run_bot(bot_env, "ask", "--json", "Do I need QTS to become a Mastery Specialist?")
    assert proc.returncode == 0, proc.stderr
    obj = json.loads(proc.stdout)
    assert {"question", "answer", "match", "score", "suggestions"} <= set(obj)
    assert isinstance(obj["match"], str) and 0 <= obj["score"] <= 100
    assert "QTS" in obj["answer"] and "Source:" in obj["answer"]
    assert all(isinstance(s, str) for s in obj["suggestions"])


def test_ask_reads_one_question_a_line_from_stdin(bot_env: dict[str, str]) -> None:
    proc = run_bot(
        bot_env, "ask", "--json", stdin="What does it cost?\nWhat is the capital of France?\n\n"
    )
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["question"] for r in rows] == [
        "What does it cost?",
        "What is the capital of France?",
        "",
    ]
    assert rows[0]["match"] is not None
    assert (
        rows[1]["match"] is None and "not sure" in rows[1]["answer"] and "/hub" in rows[1]["answer"]
    )
    assert rows[2]["match"] is None and rows[2]["score"] == 0


def test_unanswered_questions_are_recorded_for_staff(bot_env: dict[str, str]) -> None:
    run_bot(bot_env, "ask", "Can you recommend a good pizza place in Leeds?")
    proc = run_bot(bot_env, "unanswered")
    assert "pizza place in Leeds" in proc.stdout


def test_application_dates_say_whether_the_window_is_open(bot_env: dict[str, str]) -> None:
    question = "When is the closing date for Cohort 11 applications?"
    closed = json.loads(run_bot(bot_env, "ask", "--json", question).stdout)["answer"]
    assert "23 April 2026" in closed and "is closed" in closed
    bot_env["BOT_TODAY"] = "2026-01-10"
    open_ = json.loads(run_bot(bot_env, "ask", "--json", question).stdout)["answer"]
    assert "is open" in open_
    bot_env["BOT_TODAY"] = "2025-11-01"
    assert (
        "not yet open" in json.loads(run_bot(bot_env, "ask", "--json", question).stdout)["answer"]
    )


def test_hub_json_contract(bot_env: dict[str, str]) -> None:
    obj = json.loads(run_bot(bot_env, "hub", "--json", "Sheffeild").stdout)
    assert obj["query"] == "Sheffeild"
    # The contract's fields stay; new ones may be added.
    assert set(obj["hubs"][0]) >= {"id", "name", "region", "lead_school", "email"}
    assert obj["hubs"][0]["name"] == "South Yorkshire Maths Hub"
    assert obj["hubs"][0]["email"].endswith("@hubs.example")
    assert json.loads(run_bot(bot_env, "hub", "--json", "Glasgow").stdout)["hubs"] == []
    assert json.loads(run_bot(bot_env, "hub", "--json", "Qwertyville").stdout)["hubs"] == []


def test_hub_text_names_the_country_and_any_hub_rule(bot_env: dict[str, str]) -> None:
    assert "Wales, not England" in run_bot(bot_env, "hub", "Cardiff").stdout
    out = run_bot(bot_env, "hub", "Truro").stdout
    assert "Cornwall and West Devon" in out and "any Maths Hub" in out


@pytest.mark.parametrize("kind", ["questions", "places"])
def test_eval_prints_the_pass_rate(bot_env: dict[str, str], kind: str) -> None:
    proc = run_bot(bot_env, "eval", kind, str(EVAL_DIR / f"{kind}.yaml"))
    assert proc.stdout.splitlines()[-1].startswith(f"{kind}: ")
    passed, total = proc.stdout.splitlines()[-1].split()[1].split("/")
    assert int(passed) >= int(total) - (1 if kind == "questions" else 0)


def test_eval_judges_the_answer_a_user_reads(bot_env: dict[str, str], tmp_path: Path) -> None:
    # A question about the assistant is answered with its privacy notice in chat and in
    # `ask`, so `eval` must judge that same text, not a placeholder.
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "- q: 'what do you keep about me'\n  expect: ['email address', '/forget']\n",
        encoding="utf-8",
    )
    proc = run_bot(bot_env, "eval", "questions", str(cases))
    assert proc.stdout.splitlines()[-1].startswith("questions: 1/1"), proc.stdout


def test_check_passes_on_the_shipped_knowledge(bot_env: dict[str, str]) -> None:
    proc = run_bot(bot_env, "check")
    assert proc.returncode == 0, proc.stdout
    assert "40 hubs" in proc.stdout


def _broken_copy(tmp_path: Path) -> tuple[Path, Path]:
    knowledge, flows = tmp_path / "knowledge", tmp_path / "flows"
    shutil.copytree(ROOT / "knowledge", knowledge)
    shutil.copytree(ROOT / "flows", flows)
    return knowledge, flows


def test_check_reports_file_and_line_for_each_problem(
    bot_env: dict[str, str], tmp_path: Path
) -> None:
    knowledge, flows = _broken_copy(tmp_path)
    faq = knowledge / "faq.yaml"
    text = faq.read_text()
    first_id = text.index("\n  - id: ", text.index("\nentries:")) + 1
    duplicate = text[first_id : text.index("\n  - id: ", first_id + 5) + 1]
    broken = duplicate.replace("    source:", "    sourc:")
    faq.write_text(text.replace("\nentries:\n", "\nentries:\n" + broken, 1))
    (flows / "extra.yaml").write_text(
        "id: extra\nsteps:\n  - field: a\n    validator: nonsense\n    prompt: A?\n"
        "  - field: b\n    validator: text\n    prompt: B?\n    when: {field: zzz, equals: x}\n"
        "    next: end\n  - field: c\n    validator: text\n    prompt: C?\n    next: end\n"
        "  - field: d\n    validator: text\n    prompt: D?\n"
    )
    bot_env.update(BOT_KNOWLEDGE_DIR=str(knowledge), BOT_FLOWS_DIR=str(flows))
    proc = run_bot(bot_env, "check")
    assert proc.returncode == 1
    out = proc.stdout
    assert f"{faq}:" in out and "duplicate id" in out and "unknown key 'sourc'" in out
    assert "missing field 'source'" in out
    assert "unknown validator 'nonsense'" in out
    assert "condition names unknown field 'zzz'" in out
    assert "step d: unreachable" in out
    for line in out.splitlines():
        path, lineno, _ = line.split(":", 2)
        assert Path(path).exists() and int(lineno) >= 1
    # the bot refuses to start on invalid knowledge, with the same messages
    started = run_bot(bot_env, "chat", stdin="")
    assert started.returncode == 1 and "unknown validator 'nonsense'" in started.stderr


def test_check_reports_yaml_syntax_and_hubs_without_areas(
    bot_env: dict[str, str], tmp_path: Path
) -> None:
    knowledge, flows = _broken_copy(tmp_path)
    (knowledge / "sources.yaml").write_text("sources: [unclosed\n")
    hubs = knowledge / "hubs.yaml"
    nowhere = (
        "  - id: nowhere\n    name: Nowhere Hub\n    region: X\n    lead_school: Y\n"
        "    email: nowhere@hubs.example\n    announced: {date: 2020-09-01, source: x}\n"
    )
    hubs.write_text(hubs.read_text().replace("\nhubs:\n", "\nhubs:\n" + nowhere, 1))
    bot_env.update(BOT_KNOWLEDGE_DIR=str(knowledge), BOT_FLOWS_DIR=str(flows))
    out = run_bot(bot_env, "check").stdout
    assert "sources.yaml:2: YAML syntax error" in out or "sources.yaml:1: YAML syntax error" in out
    assert "hub nowhere: has no areas" in out


def test_operator_contacts_replace_placeholders(bot_env: dict[str, str], tmp_path: Path) -> None:
    contacts = tmp_path / "contacts.yaml"
    contacts.write_text("enigma: enigma.hub@school.example.org\n")
    bot_env["HUB_CONTACTS_FILE"] = str(contacts)
    obj = json.loads(run_bot(bot_env, "hub", "--json", "Milton Keynes").stdout)
    assert obj["hubs"][0]["email"] == "enigma.hub@school.example.org"
    contacts.write_text("atlantis: a@b.example.org\nenigma: not-an-address\n")
    out = run_bot(bot_env, "check").stdout
    assert "unknown hub id 'atlantis'" in out and "hub enigma:" in out


def test_check_warns_when_smtp_is_set_and_a_hub_has_a_placeholder(bot_env: dict[str, str]) -> None:
    bot_env["SMTP_HOST"] = "127.0.0.1"
    proc = run_bot(bot_env, "check")
    assert proc.returncode == 0
    assert "warning: enigma: SMTP is configured" in proc.stdout


def test_a_reader_that_stops_early_gets_no_traceback(bot_env: dict[str, str]) -> None:
    # As `python -m bot ask < questions.txt | head -1` does: read one line, close the pipe.
    # Enough answers to overflow the pipe's buffer, so the writer meets the closed end.
    questions = "is the work group free?\n" * 400
    proc = subprocess.Popen(
        [PYTHON, "-m", "bot", "ask"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, env=bot_env, cwd=ROOT,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdin.write(questions.encode())
    proc.stdin.close()
    assert proc.stdout.readline()
    proc.stdout.close()
    with proc.stderr:
        err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0
    assert "Traceback" not in err and "BrokenPipe" not in err, err
