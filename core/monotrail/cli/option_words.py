"""Reading one option word of a command line (stdlib only; shared by the fast-path parsers).

``--name=value``, ``--name value``, ``-Xvalue`` and ``-X value`` all read as ``(name, value)``
for the options that take a value; any other word comes back as it is, with no value.
"""

from __future__ import annotations

from monotrail.errors import MonotrailError

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds on the fast path
    from typing import Any


def read_flag(word: str, args: Any) -> bool:
    """Apply ``-h``/``--help`` or ``-v``/``--verbose`` to ``args``, ``-q``/``--quiet`` or
    ``--no-ansi``/``--ansi`` to the display (progress.py); every command has them. Or
    ``--refresh`` (the commands whose ``args`` have it). True when ``word`` was one of them."""
    if word in ("-h", "--help"):
        args.help = True
        return True
    if word == "--refresh" and hasattr(args, "refresh"):
        args.refresh = True
        return True
    if word in ("-v", "--verbose", "-vv", "-vvv"):
        args.verbose += 1
        return True
    if word in ("-q", "--quiet", "--no-ansi", "--ansi"):
        from monotrail import progress

        if word in ("-q", "--quiet"):
            progress.configure(quiet=True)
        else:
            progress.configure(ansi=word == "--ansi")
        return True
    return False


def read_option(
    argv: list[str], i: int, with_value: dict[str, str], command: str
) -> tuple[str, str | None, int]:
    """``(name, value, index of the next word)`` for the word ``argv[i]``."""
    word = argv[i]
    name, value = word, None
    if word.startswith("--") and "=" in word:
        name, value = word.split("=", 1)
    elif not word.startswith("--") and word[:2] in with_value and len(word) > 2:
        name, value = word[:2], word[2:]
    if name in with_value and value is None:
        if i + 1 >= len(argv):
            raise MonotrailError(f"{command}: option {name} needs a value")
        return name, argv[i + 1], i + 2
    return name, value, i + 1
