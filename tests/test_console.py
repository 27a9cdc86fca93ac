"""The console channel as a separate process: the JSON lines contract, a whole EoI, kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

from tests.conftest import EOI_ANSWERS, PYTHON, ROOT


def run_chat(env: dict[str, str], lines: list[str], *args: str) -> list[dict[str, Any]]:
    proc = subprocess.run(
        [PYTHON, "-m", "bot", "chat", "--jsonl", *args],
        input="".join(line + "\n" for line in lines),
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def turns(objects: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    out: list[list[dict[str, Any]]] = [[]]
    for obj in objects:
        if obj == {"turn": "end"}:
            out.append([])
        else:
            out[-1].append(obj)
    return out[:-1]


def test_jsonl_contract_and_a_whole_application(bot_env: dict[str, str]) -> None:
    lines = ["/apply eoi"] + [value for _, value in EOI_ANSWERS] + ["submit"]
    objects = run_chat(bot_env, lines, "--user", "school-1")
    for obj in objects:
        if obj != {"turn": "end"}:
            assert set(obj) == {"text", "field", "options", "flow"}
            assert all(set(o) == {"label", "value"} for o in obj["options"])
    conversation = turns(objects)
    assert len(conversation) == len(lines) + 1  # one turn for the greeting, one per line
    asked = [next((m["field"] for m in turn if m["field"]), None) for turn in conversation]
    assert asked[1:-1] == [field for field, _ in EOI_ANSWERS] + ["review"]
    assert conversation[1][-1]["flow"] == "eoi"
    assert "Reference: EOI-2026-0001" in conversation[-1][-1]["text"]


def test_a_choice_may_be_sent_as_its_label_or_its_value(bot_env: dict[str, str]) -> None:
    by_value = turns(run_chat(bot_env, ["/apply eoi", "yes"], "--user", "a"))
    by_label = turns(run_chat(bot_env, ["/apply eoi", "I agree"], "--user", "b"))
    assert by_value[-1][-1]["field"] == by_label[-1][-1]["field"] == "school_name"


def test_resume_in_a_new_process_after_kill_9(bot_env: dict[str, str]) -> None:
    proc = subprocess.Popen(
        [PYTHON, "-m", "bot", "chat", "--jsonl", "--user", "killed"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True, env=bot_env, cwd=ROOT,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None

    def read_turn() -> list[dict[str, Any]]:
        messages = []
        while (line := proc.stdout.readline()) and json.loads(line) != {"turn": "end"}:  # type: ignore[union-attr]
            messages.append(json.loads(line))
        return messages

    read_turn()
    answers = ["/apply eoi"] + [value for _, value in EOI_ANSWERS[:6]]
    for line in answers:
        proc.stdin.write(line + "\n")
        proc.stdin.flush()
        last = read_turn()
    assert last[-1]["field"] == "head_email"  # the reply came after the commit
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    proc.stdin.close()
    proc.stdout.close()

    conversation = turns(run_chat(bot_env, ["head@academy.example.org"], "--user", "killed"))
    assert conversation[0][-1]["field"] == "head_email"  # greeting resumes at the first open field
    assert conversation[1][-1]["field"] == "hod_name"


def test_plain_chat_numbers_options_and_accepts_numbers(bot_env: dict[str, str]) -> None:
    proc = subprocess.run(
        [PYTHON, "-m", "bot", "chat"], input="2\n1\n", capture_output=True, text=True,
        env=bot_env, cwd=ROOT, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 0
    assert "  2. Am I eligible?" in proc.stdout
    assert "Do you have Qualified Teacher Status" in proc.stdout
    assert "Are you employed as a teacher" in proc.stdout


def test_eligibility_verdict_cites_the_criteria(bot_env: dict[str, str]) -> None:
    conversation = turns(run_chat(bot_env, ["/eligibility", "Yes", "Yes", "Yes", "No"]))
    verdict = conversation[-1][-1]["text"]
    assert "two years" in verdict and "Work Group" in verdict and "Source:" in verdict
    conversation = turns(
        run_chat(bot_env, ["/eligibility", "Yes", "Yes", "Yes", "Yes"], "--user", "ok")
    )
    verdict = conversation[-1][-1]["text"]
    assert "meet these essential criteria" in verdict
    assert "closed" in verdict  # Cohort 11's window closed on 23 April 2026


def test_hub_flow_with_alternatives(bot_env: dict[str, str]) -> None:
    conversation = turns(run_chat(bot_env, ["/hub", "London"]))
    options = conversation[-1][-1]["options"]
    assert len(options) == 6
    conversation = turns(run_chat(bot_env, ["/hub", "London", options[4]["value"]], "--user", "h"))
    assert options[4]["label"] in conversation[-1][-1]["text"]


def test_data_dir_is_created_where_configured(bot_env: dict[str, str]) -> None:
    run_chat(bot_env, ["hello"])
    assert (Path(bot_env["BOT_DATA_DIR"]) / "assistant.sqlite3").exists()
