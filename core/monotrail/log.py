"""monotrail's explanations on stderr: ``-v`` or ``MONOTRAIL_LOG=debug`` explains every decision.

Two channels: ``debug()`` prints a line under ``MONOTRAIL_LOG=debug`` and imports nothing, for
the fast path; ``logger`` is a ``logging`` logger for the slow path, set up by ``configure()``.
``logging`` is imported when ``logger`` is first used.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging

    logger: logging.Logger

_NAME = "monotrail"


def __getattr__(name: str) -> object:
    """``logger``, made on first use."""
    if name == "logger":
        import logging

        return logging.getLogger(_NAME)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def debug(message: str) -> None:
    """A decision explained under MONOTRAIL_LOG=debug (or -v)."""
    if os.environ.get("MONOTRAIL_LOG", "").lower() == "debug":
        print(f"monotrail DEBUG: {message}", file=sys.stderr)


def set_debug() -> None:
    """Explain every decision from now on: here, and in the programs this process starts."""
    os.environ["MONOTRAIL_LOG"] = "debug"


def configure(verbosity: int = 0) -> None:
    """Send monotrail's log to stderr; level from ``-v`` count or ``MONOTRAIL_LOG``."""
    import logging

    log = logging.getLogger(_NAME)
    level_name = os.environ.get("MONOTRAIL_LOG", "").strip().upper()
    if verbosity >= 1:
        level = logging.DEBUG
    elif level_name in ("DEBUG", "INFO", "WARNING", "ERROR"):
        level = getattr(logging, level_name)
    else:
        level = logging.WARNING
    if log.handlers:
        log.setLevel(level)
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("monotrail %(levelname)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(level)
    log.propagate = False
