"""Benchmark: the web chat (``python -m bot web``) under 100 concurrent browsers, beside
the conversation engine's own cost measured in the same run.

    .venv/bin/python benchmarks/bench_web.py [--users 100] [--think 0.5,2] [--sessions 10000]

The server runs as its own process (so its CPU time and RSS are its own); this process
plays the browsers over loopback HTTP with aiohttp, each with its own cookie jar, sending
what the page's script sends (JSON POSTs with the page's Origin).

1. Engine: the same conversations through ``Assistant.handle`` in this process, on its
   own SQLite file: the per-message cost every channel pays (p50/p99, messages a second).
2. Throughput: every browser sends its next message as soon as the reply arrives (closed
   loop, no think time): messages a second, latency at saturation, and the server's CPU
   time per message (read from /proc).
3. Latency at N concurrent browsers at a person's pace (--think, 0.5-2 s between one
   person's messages): reply latency p50/p99, POST to the parsed JSON reply.
4. Memory: --sessions browsers each open the page (greeting) and start an application
   (four messages, a stored draft and transcript); the server's RSS afterwards.

Rate limits are lifted for the run (WEB_SESSION_RATE, WEB_ADDRESS_RATE): every browser
comes from 127.0.0.1, which would otherwise be all this measures.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import signal
import socket
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TODAY = "2026-11-23"
# (message, a text the reply must contain; "" = any reply)
CONVERSATION: list[tuple[str, str]] = [
    ("How much release time do the teachers get?", ""),
    ("Is there a cost to the school?", ""),
    ("/apply eoi", "Question 1 of 23"),
    ("yes", "Question 2 of 23"),
    ("Denbigh School", "Question 3 of 23"),
    ("Denbigh Road, Shenley, Milton Keynes MK5 6BH", "Question 4 of 23"),
    ("110394", "Question 5 of 23"),
    ("01908 505030", "Question 6 of 23"),
    ("Jane Head", "Question 7 of 23"),
    ("head@school.org.uk", "Question 8 of 23"),
    ("Who can be a Mastery Advocate?", "Back to the form"),
    ("Harry Hod", "Question 9 of 23"),
    ("hod@school.org.uk", "Question 10 of 23"),
]
DRAFT = [("/apply eoi", "Question 1"), ("yes", "Question 2"), ("Denbigh School", "Question 3")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else 0.0


def process_cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_rss_mb(pid: int, key: str = "VmRSS") -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


# -- 1. the engine alone ------------------------------------------------------------------


async def engine_cost(users: int, data_dir: Path) -> list[float]:
    from bot.assistant import Assistant, Incoming
    from bot.knowledge.base import load_knowledge
    from bot.store.sqlite import SqliteStore

    knowledge = load_knowledge(ROOT / "knowledge", ROOT / "flows")
    store = await SqliteStore.open(data_dir / "engine.sqlite3")
    today = dt.date.fromisoformat(TODAY)
    assistant = Assistant(knowledge, store, today=lambda: today)
    timings: list[float] = []
    try:
        for user in range(users):
            await assistant.greet(f"e{user}")
            for text, expect in CONVERSATION:
                start = time.perf_counter()
                replies = await assistant.handle(Incoming(f"e{user}", text))
                timings.append(time.perf_counter() - start)
                assert expect in "\n".join(r.text for r in replies), (text, replies)
    finally:
        await store.close()
    return timings


# -- the server ---------------------------------------------------------------------------


class Server:
    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        self.process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> Server:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SMTP_", "TELEGRAM_"))}
        env.update(
            {
                "BOT_DATA_DIR": str(self.data_dir),
                "BOT_TODAY": TODAY,
                "WEB_PORT": str(self.port),
                "WEB_SESSION_RATE": "1000000",
                "WEB_ADDRESS_RATE": "1000000",
                "PYTHONPATH": str(ROOT),
            }
        )
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "web",
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,  # the access log: a line a request
        )
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            if line.startswith(b"Web chat: open"):
                return self
        raise SystemExit("the web chat did not start")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def __aexit__(self, *exc: object) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        await self.process.wait()


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    messages: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0


class BrowserSession:
    def __init__(self, url: str) -> None:
        self.url = url
        self.http = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            headers={"Origin": url},
            connector=aiohttp.TCPConnector(limit=1),
        )
        self.seq = 0

    async def open(self) -> None:
        async with self.http.get(f"{self.url}/api/history") as response:
            body = await response.json()
            assert response.status == 200, body
            self.seq = max(m["seq"] for m in body["messages"])

    async def say(self, text: str, expect: str) -> float:
        start = time.perf_counter()
        async with self.http.post(
            f"{self.url}/api/message", json={"text": text, "after": self.seq}
        ) as response:
            body = await response.json()
        elapsed = time.perf_counter() - start
        assert response.status == 200, body
        messages = body["messages"]
        self.seq = max([self.seq, *(m["seq"] for m in messages)])
        said = "\n".join(m["text"] for m in messages if m["role"] == "assistant")
        assert expect in said, (text, said)
        return elapsed

    async def close(self) -> None:
        await self.http.close()


async def drive(server: Server, users: int, think: tuple[float, float] | None) -> Run:
    run = Run()
    browsers = [BrowserSession(server.url) for _ in range(users)]
    rng = random.Random(7)
    try:
        await asyncio.gather(*(b.open() for b in browsers))

        async def person(browser: BrowserSession, delay: float) -> None:
            await asyncio.sleep(delay)
            for text, expect in CONVERSATION:
                run.latencies.append(await browser.say(text, expect))
                run.messages += 1
                if think is not None:
                    await asyncio.sleep(rng.uniform(*think))

        cpu_before = process_cpu_seconds(server.pid)
        start = time.perf_counter()
        spread = think[1] if think is not None else 0.0
        await asyncio.gather(*(person(b, rng.uniform(0, spread)) for b in browsers))
        run.seconds = time.perf_counter() - start
        run.cpu_seconds = process_cpu_seconds(server.pid) - cpu_before
    finally:
        await asyncio.gather(*(b.close() for b in browsers))
    return run


async def fill_sessions(server: Server, count: int, concurrency: int = 50) -> float:
    queue = iter(range(count))
    start = time.perf_counter()

    async def worker() -> None:
        for _ in queue:
            browser = BrowserSession(server.url)
            try:
                await browser.open()
                for text, expect in DRAFT:
                    await browser.say(text, expect)
            finally:
                await browser.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - start


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


async def main_async(args: argparse.Namespace) -> None:
    think = tuple(float(x) for x in args.think.split(","))
    assert len(think) == 2
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        engine = await engine_cost(args.users, data)
        print(
            f"engine (Assistant.handle + SQLite, in-process): {len(engine)} messages, "
            f"p50 {ms(statistics.median(engine))}, p99 {ms(pct(engine, 99))}, "
            f"{len(engine) / sum(engine):.0f} messages/s on one core"
        )
        async with Server(data / "saturated") as server:
            run = await drive(server, args.users, None)
            print(
                f"saturated, {args.users} browsers: {run.messages / run.seconds:.0f} messages/s, "
                f"p50 {ms(statistics.median(run.latencies))}, p99 {ms(pct(run.latencies, 99))}, "
                f"server CPU {ms(run.cpu_seconds / run.messages)} a message, "
                f"peak RSS {process_rss_mb(server.pid, 'VmHWM'):.0f} MB"
            )
        async with Server(data / "paced") as server:
            run = await drive(server, args.users, think)  # type: ignore[arg-type]
            print(
                f"paced ({args.think} s between messages), {args.users} browsers: "
                f"{run.messages} messages, p50 {ms(statistics.median(run.latencies))}, "
                f"p99 {ms(pct(run.latencies, 99))} (target < 50 ms), "
                f"server CPU {ms(run.cpu_seconds / run.messages)} a message"
            )
        if args.sessions:
            async with Server(data / "memory") as server:
                seconds = await fill_sessions(server, args.sessions)
                rss = process_rss_mb(server.pid)
                db = (data / "memory" / "assistant.sqlite3").stat().st_size / 1e6
                print(
                    f"memory: {args.sessions:,} web sessions with drafts and transcripts "
                    f"({seconds:.0f} s): server RSS {rss:.0f} MB (target < 200 MB), "
                    f"peak {process_rss_mb(server.pid, 'VmHWM'):.0f} MB, database {db:.1f} MB"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--think", default="0.5,2", help="seconds between a person's messages")
    parser.add_argument("--sessions", type=int, default=10_000, help="0 skips the memory run")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
