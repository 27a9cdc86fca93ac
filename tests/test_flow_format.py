"""The flow format: what `check` refuses (file:line), the published schema, roles in YAML.

A hub editor's plausible mistakes used to pass `check` and fail silently at run time;
each one here must fail `check` with the file and line to fix.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from bot.exceptions import KnowledgeError
from bot.flows.loading import load_flows
from bot.flows.model import Flow, flow_json_schema
from tests.conftest import ROOT, run_bot

FLOWS = ROOT / "flows"


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "flows"
    shutil.copytree(FLOWS, target)
    return target


def _problems(flows: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as caught:
        load_flows(flows)
    return caught.value.problems


def _line_of(path: Path, text: str, after: int = 0) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if n > after and text in line)


def _role_fields(flow: Flow) -> list[str]:
    sub = flow.submission
    assert sub is not None
    people = [*sub.cc, *([sub.reply_to] if sub.reply_to else [])]
    fields = [sub.hub, sub.title, *(p.name for p in people), *(p.email for p in people)]
    if sub.commitments:
        fields.append(sub.commitments)
    if sub.notify_when_open:
        fields.append(sub.notify_when_open.field)
        fields += [sub.notify_when_open.email] if sub.notify_when_open.email else []
    return list(dict.fromkeys(fields))


FORMS = sorted(f.id for f in load_flows(FLOWS).values() if f.is_form)
ROLES = [(form, field) for form in FORMS for field in _role_fields(load_flows(FLOWS)[form])]


@pytest.mark.parametrize(("form", "field"), ROLES)
def test_renaming_a_role_field_fails_check_at_the_role(
    tmp_path: Path, form: str, field: str
) -> None:
    flows = _copy(tmp_path)
    path = next(p for p in flows.glob("*.yaml") if re.search(rf"^id: {form}$", p.read_text(), re.M))
    text = path.read_text(encoding="utf-8")
    renamed = re.sub(rf"(- field: ){field}\n", rf"\g<1>{field}_renamed\n", text)
    assert renamed != text
    path.write_text(renamed, encoding="utf-8")
    problems = _problems(flows)
    submission_line = _line_of(path, "submission:")
    role_lines = [
        n
        for n, line in enumerate(renamed.splitlines(), 1)
        if n > submission_line and re.search(rf"\b{field}\b", line)
    ]
    assert role_lines, "the role should still name the old field"
    expected = {f"{path}:{n}:" for n in role_lines}
    hits = [p for p in problems if any(p.startswith(e) for e in expected)]
    assert any("names no field of this form" in p for p in hits), problems


def test_check_names_the_file_and_line_of_a_renamed_hub_field(
    tmp_path: Path, bot_env: dict[str, str]
) -> None:
    flows = _copy(tmp_path)
    path = flows / "eoi.yaml"
    path.write_text(path.read_text().replace("- field: maths_hub\n", "- field: hub_choice\n"))
    bot_env["BOT_FLOWS_DIR"] = str(flows)
    proc = run_bot(bot_env, "check")
    assert proc.returncode == 1
    line = _line_of(path, "  hub: maths_hub")
    assert (
        f"{path}:{line}: submission: hub names no field of this form ('maths_hub')" in proc.stdout
    )


def test_a_misspelt_key_is_refused_not_ignored(tmp_path: Path) -> None:
    flows = _copy(tmp_path)
    path = flows / "eoi.yaml"
    text = path.read_text()
    path.write_text(text.replace("    optional: true\n", "    optinal: true\n", 1))
    line = _line_of(path, "optinal: true")
    assert f"{path}:{line}: step teacher1_ncetm_username: unknown key 'optinal'" in _problems(flows)


def test_an_unknown_validator_parameter_is_refused(tmp_path: Path) -> None:
    flows = _copy(tmp_path)
    path = flows / "eoi.yaml"
    text = path.read_text()
    path.write_text(
        text.replace("{what: school name, max_chars: 150}", "{what: school name, max_char: 150}")
    )
    line = _line_of(path, "max_char: 150")
    [problem] = _problems(flows)
    assert problem.startswith(f"{path}:{line}: step school_name: unknown parameter 'max_char'")
    assert "known: what, max_chars" in problem


def test_a_condition_on_a_label_instead_of_a_value_is_refused(tmp_path: Path) -> None:
    flows = _copy(tmp_path)
    path = flows / "eoi.yaml"
    text = path.read_text()
    path.write_text(text.replace('equals: "yes"}', 'equals: "Yes"}'))
    line = _line_of(path, 'equals: "Yes"')
    [problem] = _problems(flows)
    assert problem.startswith(f"{path}:{line}: step specialist_details: condition value 'Yes'")
    assert "(that is the label of 'yes')" in problem


def test_other_mistakes_each_get_a_line(tmp_path: Path) -> None:
    flows = _copy(tmp_path)
    (flows / "extra.yaml").write_text(
        "id: extra\n"
        "steps:\n"
        "  - field: a\n    type: choise\n    prompt: A?\n"                      # 4
        "  - field: b\n    type: choice\n    prompt: B?\n    options: [x, y]\n"
        "  - field: c\n    validator: text\n    prompt: C?\n"
        "    params: {max_chars: many}\n"                                       # 13
        "checks:\n  - different: [b, zz]\n    message: Not {zz}.\n"            # 15
    )  # fmt: skip
    problems = "\n".join(_problems(flows))
    path = flows / "extra.yaml"
    assert f"{path}:4: step a: unknown type 'choise'" in problems
    flows_ok = _copy(tmp_path / "2")
    (flows_ok / "extra.yaml").write_text(
        (path.read_text()).replace("type: choise", "type: choice\n    options: [p]")
    )
    problems = "\n".join(_problems(flows_ok))
    extra = flows_ok / "extra.yaml"
    assert f"{extra}:14: step c: parameter 'max_chars'" in problems
    assert f"{extra}:16: check: names unknown field 'zz'" in problems
    assert f"{extra}:16: check: message uses unknown placeholder {{zz}}" in problems


def test_the_published_schema_is_current() -> None:
    published = json.loads((FLOWS / "flow.schema.json").read_text(encoding="utf-8"))
    assert published == flow_json_schema(), (
        "flows/flow.schema.json is out of date: run `python -m bot schema > flows/flow.schema.json`"
    )


def test_the_schema_refuses_unknown_keys_for_editors() -> None:
    schema = flow_json_schema()
    assert schema["additionalProperties"] is False
    assert schema["$defs"]["Step"]["additionalProperties"] is False
    assert "optional" in schema["$defs"]["Step"]["properties"]


def test_no_module_names_a_particular_form() -> None:
    pattern = re.compile(
        r"\beoi\b|maths_hub|school_name|hod_email|hod_name|school_address|EOI-|teacher1_|"
        r"head_email",
        re.IGNORECASE,
    )
    offenders = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in sorted((ROOT / "bot").rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line) and not line.lstrip().startswith("#")
    ]
    assert offenders == []


def test_the_specialist_forms_own_features_are_checked_with_a_line(tmp_path: Path) -> None:
    """A criterion's passing value, the window's message and its keys, as a hub editor
    might get them wrong in flows/specialist.yaml."""
    assert "specialist" in FORMS
    flows = _copy(tmp_path)
    path = flows / "specialist.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("    programme: specialist\n", "    programme: specialist\n    program: x\n"),
        encoding="utf-8",
    )
    line = _line_of(path, "program: x")
    assert f"{path}:{line}: submission.window: unknown key 'program'" in _problems(flows)
    path.write_text(
        text.replace('      passes: "yes"\n', '      passes: "Yes"\n', 1).replace(
            "the window opened on {window_opens}", "the window opened on {window_open}"
        ),
        encoding="utf-8",
    )
    problems = _problems(flows)
    line = _line_of(path, 'passes: "Yes"')
    assert (
        f"{path}:{line}: step qts: criterion passes 'Yes' is not one of its option values (yes, no)"
        in problems
    )
    line = _line_of(path, "message: |-", after=_line_of(path, "while_open:"))
    assert (
        f"{path}:{line}: submission: window.while_open.message uses unknown placeholder "
        "{window_open}" in problems
    )


def test_a_steps_window_condition_is_checked_with_a_line(tmp_path: Path) -> None:
    """``window:`` on a step takes `open` or `closed`, and only in a form whose outcome
    depends on an application window (``submission.window``)."""
    flows = _copy(tmp_path)
    path = flows / "specialist.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("    window: closed\n", "    window: shut\n"), encoding="utf-8")
    line = _line_of(path, "window: shut")
    [problem] = _problems(flows)
    assert problem.startswith(f"{path}:{line}: step tell_me_when_open: window: ")
    assert "'open' or 'closed'" in problem
    shutil.copy(FLOWS / "specialist.yaml", path)
    eoi = flows / "eoi.yaml"
    eoi.write_text(
        eoi.read_text(encoding="utf-8").replace(
            "    optional: true\n", "    optional: true\n    window: open\n", 1
        ),
        encoding="utf-8",
    )
    line = _line_of(eoi, "window: open")
    assert (
        f"{eoi}:{line}: step teacher1_ncetm_username: 'window' needs the form's "
        "submission.window (whose application windows count)" in _problems(flows)
    )
