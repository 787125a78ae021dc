"""Short digests that name cached decisions (environment keys, interpreter choices).

They are computed on every ``run``, so they use BLAKE2b from the interpreter's built-in
``_blake2`` module: ``hashlib`` loads OpenSSL first, which on a slow machine costs more than the
rest of the fast path. Integrity checks (artifacts, RECORD files) keep using sha256 via hashlib.
"""

from __future__ import annotations

try:
    from _blake2 import blake2b
except ImportError:  # an interpreter built without it: hashlib has a fallback of its own
    from hashlib import blake2b


def file_digest(path: str) -> str:
    """A digest of a file's content ("missing" when it cannot be read)."""
    try:
        with open(path, "rb") as handle:
            return digest(handle.read())
    except OSError:
        return "missing"


def digest(*parts: bytes, size: int = 16) -> str:
    """The hex digest (``2 * size`` characters) of ``parts``, each length-prefixed so that
    ``("ab", "c")`` and ``("a", "bc")`` differ."""
    hasher = blake2b(digest_size=size)
    for part in parts:
        hasher.update(len(part).to_bytes(8, "little"))
        hasher.update(part)
    return hasher.hexdigest()
