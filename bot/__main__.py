"""``python -m bot``: the command line (see :mod:`bot.cli`)."""

from __future__ import annotations

import os
import sys

from bot.cli import main

try:
    code = main()
    sys.stdout.flush()
except BrokenPipeError:
    # The reader went away (``python -m bot hubs | head``): that is not an error of ours.
    # Point stdout at /dev/null so the interpreter's own flush at exit cannot fail again.
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    code = 0
raise SystemExit(code)
