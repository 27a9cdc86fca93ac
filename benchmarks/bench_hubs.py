"""Hub finder latency: bare places, postcodes, typos, shared names and chat sentences.

Usage: .venv/bin/python benchmarks/bench_hubs.py [--rounds N]

Target (issue 9): p99 under 2 ms a look-up. The places are the development sets
(tests/data/hub_places.yaml and the shared places.yaml when present), the same places inside
chat sentences ("which hub is Leeds in?"), typos (one letter dropped) and unknown text, which
is the slowest path (every fuzzy attempt runs). A benchmark, not a test: it prints figures for
the README and never fails a build.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.knowledge.base import load_knowledge  # noqa: E402

SETS = [
    ROOT / "tests" / "data" / "hub_places.yaml",
    ROOT.parent / "shared" / "eval" / "places.yaml",
]
SENTENCES = [
    "which hub is {} in?",
    "we're an academy in {}, which hub?",
    "hub for {}",
    "Our school is at 1 High Street, {}. Which Maths Hub should we contact?",
]
UNKNOWN = ["Qwertyville", "what is a hub lead school?", "how do I contact my hub?", "x" * 300]


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    finder = load_knowledge(ROOT / "knowledge", ROOT / "flows").finder
    places: list[str] = []
    for path in SETS:
        if path.exists():
            places += [str(c["place"]) for c in yaml.safe_load(path.read_text()) if "place" in c]
    kinds: dict[str, list[str]] = {
        "place": places,
        "sentence": [s.format(p) for p in places for s in SENTENCES],
        "typo": [p[:2] + p[3:] for p in places if len(p) > 5 and not p[0].isdigit()],
        "unknown": UNKNOWN,
    }
    for text in (t for texts in kinds.values() for t in texts):  # warm up
        finder.find(text)
    # Wall clock, and this thread's CPU time: on a shared machine the wall clock's tail is
    # mostly time spent waiting for a core, which the CPU time leaves out.
    every: list[float] = []
    every_cpu: list[float] = []
    for kind, texts in kinds.items():
        times: list[float] = []
        cpu: list[float] = []
        for _ in range(args.rounds):
            for text in texts:
                c0, t0 = time.thread_time(), time.perf_counter()
                finder.find(text)
                times.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.thread_time() - c0) * 1000)
        every += times
        every_cpu += cpu
        print(
            f"{kind:<9} {len(times):>6} look-ups: wall p50 {statistics.median(times):.3f} ms, "
            f"p99 {percentile(times, 0.99):.3f} ms; CPU p50 {statistics.median(cpu):.3f} ms, "
            f"p99 {percentile(cpu, 0.99):.3f} ms"
        )
    print(
        f"all       {len(every):>6} look-ups: wall p50 {statistics.median(every):.3f} ms, "
        f"p99 {percentile(every, 0.99):.3f} ms; CPU p50 {statistics.median(every_cpu):.3f} ms, "
        f"p99 {percentile(every_cpu, 0.99):.3f} ms"
    )


if __name__ == "__main__":
    main()
