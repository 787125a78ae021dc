"""Logging set-up: ``MONOTRAIL_LOG=debug`` or ``-v`` explains every decision on stderr."""

from __future__ import annotations

import logging
import os
import sys

logger = logging.getLogger("monotrail")


def configure(verbosity: int = 0) -> None:
    """Send monotrail's log to stderr; level from ``-v`` count or ``MONOTRAIL_LOG``."""
    level_name = os.environ.get("MONOTRAIL_LOG", "").strip().upper()
    if verbosity >= 1:
        level = logging.DEBUG
    elif level_name in ("DEBUG", "INFO", "WARNING", "ERROR"):
        level = getattr(logging, level_name)
    else:
        level = logging.WARNING
    if logger.handlers:
        logger.setLevel(level)
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("monotrail %(levelname)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
