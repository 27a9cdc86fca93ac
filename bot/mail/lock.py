"""One sender at a time per data directory, across processes.

The console, the Telegram bot and ``python -m bot outbox retry`` may all run against the
same SQLite file.  Each delivery pass holds an exclusive ``flock`` on
``BOT_DATA_DIR/outbox.lock`` while it reads due messages, sends them and records the
result, so two processes never send the same pending message.  The kernel drops the
lock when its holder dies (even on kill -9), so a crash never wedges delivery.
(On systems without ``fcntl`` the lock is a no-op.)
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import IO

POLL_SECONDS = 0.05


class LockBusy(Exception):
    """Another process is delivering right now."""


class DeliveryLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[bytes] | None = None

    def _try(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "ab")  # noqa: SIM115 - held open for the lock's lifetime
        if sys.platform != "win32":
            import fcntl

            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                return False
        self._handle = handle
        return True

    async def acquire(self, wait: float = 0.0) -> None:
        """Take the lock, waiting up to ``wait`` seconds; raises LockBusy."""
        deadline = time.monotonic() + wait
        while not self._try():
            if time.monotonic() >= deadline:
                raise LockBusy(str(self.path))
            await asyncio.sleep(POLL_SECONDS)

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing the file drops the flock
            self._handle = None

    def held(self, wait: float = 0.0) -> _Held:
        return _Held(self, wait)


class _Held:
    def __init__(self, lock: DeliveryLock, wait: float) -> None:
        self.lock = lock
        self.wait = wait

    async def __aenter__(self) -> DeliveryLock:
        await self.lock.acquire(self.wait)
        return self.lock

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.lock.release()
