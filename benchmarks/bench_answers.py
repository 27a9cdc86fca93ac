"""Answer latency over the development questions, hub-finder latency, and ``ask`` start-up.

Usage: .venv/bin/python benchmarks/bench_answers.py [--rounds N]

Targets (issue 2): p99 under 2 ms a question; ``python -m bot ask`` start-up under 1 s.
A benchmark, not a test: it prints figures for the README and never fails a build.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.answers import answer_question  # noqa: E402
from bot.knowledge.base import load_knowledge  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()

    started = time.perf_counter()
    knowledge = load_knowledge(ROOT / "knowledge", ROOT / "flows")
    load_ms = (time.perf_counter() - started) * 1000

    questions = [c["q"] for c in yaml.safe_load((EVAL / "questions.yaml").read_text())]
    places = [c["place"] for c in yaml.safe_load((EVAL / "places.yaml").read_text())]
    today = dt.date(2026, 11, 23)
    for q in questions:  # warm caches the way a running bot has them
        answer_question(knowledge, q, today)

    answer_times: list[float] = []
    for _ in range(args.rounds):
        for q in questions:
            t0 = time.perf_counter()
            answer_question(knowledge, q, today)
            answer_times.append((time.perf_counter() - t0) * 1000)
    hub_times: list[float] = []
    for _ in range(args.rounds):
        for p in places:
            t0 = time.perf_counter()
            knowledge.finder.find(p)
            hub_times.append((time.perf_counter() - t0) * 1000)

    startups: list[float] = []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "bot", "ask", "--json", "Do I need QTS?"],
            cwd=ROOT, capture_output=True, check=True,
        )  # fmt: skip
        startups.append(time.perf_counter() - t0)

    print(f"knowledge load (in process): {load_ms:.0f} ms")
    print(
        f"answer latency over {len(answer_times)} questions: p50 {statistics.median(answer_times):.3f} ms, "
        f"p99 {percentile(answer_times, 0.99):.3f} ms, max {max(answer_times):.3f} ms"
    )
    print(
        f"hub finder latency over {len(hub_times)} places: p50 {statistics.median(hub_times):.3f} ms, "
        f"p99 {percentile(hub_times, 0.99):.3f} ms"
    )
    print(
        f"`python -m bot ask` start-up (whole process, 5 runs): median {statistics.median(startups):.2f} s, max {max(startups):.2f} s"
    )


if __name__ == "__main__":
    main()
