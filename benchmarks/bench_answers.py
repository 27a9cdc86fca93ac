"""Answer latency and accuracy, with today's knowledge base and one ten times its size.

Usage: .venv/bin/python benchmarks/bench_answers.py [--rounds N] [--scale 10]

Targets (issues 8 and 15): answer p99 under 15 ms, also with the knowledge base x10;
``python -m bot ask`` start-up under 1.5 s.  The x10 knowledge base is made here: every
entry copied nine times with its phrasings and answer reworded by synthetic words, so the
index has ten times the entries, phrasings and vocabulary, and real questions share words
with ten times as many candidates (the worst case for the matcher's pruning).

A benchmark, not a test: it prints figures for the README and never fails a build.  Its
last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.answers import answer_question  # noqa: E402
from bot.knowledge.base import Knowledge, load_knowledge  # noqa: E402
from bot.knowledge.faq import FaqBase, FaqEntry  # noqa: E402
from bot.knowledge.matching import FaqMatcher  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"
TODAY = dt.date(2026, 11, 23)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def load_cases() -> dict[str, list[dict[str, Any]]]:
    sets = {
        "questions": EVAL / "questions.yaml",
        "realistic": EVAL / "questions_realistic.yaml",
        "paraphrases": ROOT / "benchmarks" / "paraphrases.yaml",
        "heldout": ROOT / "benchmarks" / "heldout.yaml",
    }
    return {name: yaml.safe_load(path.read_text()) for name, path in sets.items()}


def passed(knowledge: Knowledge, case: dict[str, Any]) -> bool:
    answer = answer_question(knowledge, case["q"], TODAY)
    if case.get("fallback"):
        return answer.tier == "decline"
    if "entries" in case:
        return answer.answered and bool({e.id for e in answer.entries} & set(case["entries"]))
    return answer.answered and all(re.search(p, answer.text, re.I) for p in case["expect"])


def scaled(knowledge: Knowledge, factor: int) -> Knowledge:
    """The knowledge base with every entry copied ``factor - 1`` times, reworded."""
    rng = random.Random(8)

    def reword(text: str, copy: int) -> str:
        words = text.split()
        for _ in range(max(1, len(words) // 4)):
            words[rng.randrange(len(words))] = f"syn{copy}w{rng.randrange(4000)}"
        return " ".join(words)

    entries: list[FaqEntry] = list(knowledge.faq.entries)
    for copy in range(1, factor):
        for entry in knowledge.faq.entries:
            entries.append(
                dataclasses.replace(
                    entry,
                    id=f"{entry.id}-x{copy}",
                    questions=tuple(reword(q, copy) for q in entry.questions),
                    answer=reword(entry.answer, copy),
                    topic=f"{entry.topic}-x{copy}" if entry.topic else None,
                )
            )
    faq = FaqBase(
        programmes=knowledge.faq.programmes,
        synonyms=knowledge.faq.synonyms,
        windows=knowledge.faq.windows,
        entries=tuple(entries),
    )
    return dataclasses.replace(knowledge, faq=faq, matcher=FaqMatcher(faq))


def latency(
    knowledge: Knowledge, questions: list[str], rounds: int
) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds per answer (CPU time is what a busy machine distorts least)."""
    for q in questions:  # warm caches the way a running bot has them
        answer_question(knowledge, q, TODAY)
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(rounds):
        for q in questions:
            t0, c0 = time.perf_counter(), time.thread_time()
            answer_question(knowledge, q, TODAY)
            cpu.append((time.thread_time() - c0) * 1000)
            wall.append((time.perf_counter() - t0) * 1000)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--startups", type=int, default=5)
    args = parser.parse_args()

    started = time.perf_counter()
    knowledge = load_knowledge(ROOT / "knowledge", ROOT / "flows")
    load_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    FaqMatcher(knowledge.faq)
    matcher_ms = (time.perf_counter() - started) * 1000
    # Memory separately: tracing allocations slows everything it traces.
    tracemalloc.start()
    matcher = FaqMatcher(knowledge.faq)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    cases = load_cases()
    accuracy = {
        name: (sum(passed(knowledge, c) for c in group), len(group))
        for name, group in cases.items()
    }
    questions = [c["q"] for group in cases.values() for c in group]
    times, cpu = latency(knowledge, questions, args.rounds)

    places = [c["place"] for c in yaml.safe_load((EVAL / "places.yaml").read_text())]
    hub_times: list[float] = []
    for _ in range(args.rounds):
        for place in places:
            t0 = time.perf_counter()
            knowledge.finder.find(place)
            hub_times.append((time.perf_counter() - t0) * 1000)

    started = time.perf_counter()
    big = scaled(knowledge, args.scale)
    big_build_ms = (time.perf_counter() - started) * 1000
    big_times, big_cpu = latency(big, questions, max(1, args.rounds // 2))

    startups: list[float] = []
    startup_cpu: list[float] = []
    for _ in range(args.startups):
        t0 = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(
            [sys.executable, "-m", "bot", "ask", "--json", "Do I need QTS?"],
            cwd=ROOT, capture_output=True, check=True,
        )  # fmt: skip
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        startups.append(time.perf_counter() - t0)
        startup_cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)

    figures = {
        "entries": len(knowledge.faq.entries),
        "knowledge_load_ms": round(load_ms),
        "matcher_build_ms": round(matcher_ms),
        "matcher_peak_mb": round(peak / 2**20, 1),
        "answers": len(times),
        "p50_ms": round(statistics.median(times), 3),
        "p99_ms": round(percentile(times, 0.99), 3),
        "max_ms": round(max(times), 3),
        "cpu_p50_ms": round(statistics.median(cpu), 3),
        "cpu_p99_ms": round(percentile(cpu, 0.99), 3),
        f"x{args.scale}_entries": len(big.faq.entries),
        f"x{args.scale}_build_ms": round(big_build_ms),
        f"x{args.scale}_p50_ms": round(statistics.median(big_times), 3),
        f"x{args.scale}_p99_ms": round(percentile(big_times, 0.99), 3),
        f"x{args.scale}_cpu_p99_ms": round(percentile(big_cpu, 0.99), 3),
        "hub_p50_ms": round(statistics.median(hub_times), 3),
        "hub_p99_ms": round(percentile(hub_times, 0.99), 3),
        "ask_startup_median_s": round(statistics.median(startups), 2),
        "ask_startup_max_s": round(max(startups), 2),
        "ask_startup_cpu_median_s": round(statistics.median(startup_cpu), 2),
        "load_average": round(os.getloadavg()[0], 1),
        **{f"accuracy_{name}": f"{ok}/{total}" for name, (ok, total) in accuracy.items()},
    }
    del matcher
    print(f"knowledge: {figures['entries']} entries, loaded in {load_ms:.0f} ms "
          f"(matcher {matcher_ms:.0f} ms, {figures['matcher_peak_mb']} MB traced while built)")  # fmt: skip
    for name, (ok, total) in accuracy.items():
        print(f"accuracy {name}: {ok}/{total} ({100 * ok / total:.0f}%)")
    print(f"answer latency over {len(times)} answers: p50 {figures['p50_ms']} ms, "
          f"p99 {figures['p99_ms']} ms, max {figures['max_ms']} ms; CPU p50 "
          f"{figures['cpu_p50_ms']} ms, p99 {figures['cpu_p99_ms']} ms")  # fmt: skip
    print(f"x{args.scale} knowledge base ({len(big.faq.entries)} entries, built in "
          f"{big_build_ms:.0f} ms) over {len(big_times)} answers: "
          f"p50 {figures[f'x{args.scale}_p50_ms']} ms, p99 {figures[f'x{args.scale}_p99_ms']} ms; "
          f"CPU p99 {figures[f'x{args.scale}_cpu_p99_ms']} ms")  # fmt: skip
    print(f"hub finder latency over {len(hub_times)} places: p50 {figures['hub_p50_ms']} ms, "
          f"p99 {figures['hub_p99_ms']} ms")  # fmt: skip
    print(f"`python -m bot ask` start-up ({args.startups} runs): median "
          f"{figures['ask_startup_median_s']} s, max {figures['ask_startup_max_s']} s; CPU "
          f"median {figures['ask_startup_cpu_median_s']} s (load average "
          f"{figures['load_average']} on {os.cpu_count()} cores)")  # fmt: skip
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
