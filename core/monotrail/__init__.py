"""monotrail: run Python code with exactly its locked dependencies, without a virtualenv.

Every package version is unpacked once into a global store; an import hook shows the running
interpreter exactly the packages of the project's lock. This module stays import-light: the
``run`` fast path imports ``monotrail`` and must not pull in poetry, pip, requests or packaging.
"""

__version__ = "0.1.0"

TYPE_CHECKING = False
if TYPE_CHECKING:
    from monotrail.api import from_git, interactive

__all__ = ["__version__", "from_git", "interactive"]


def __getattr__(name: str) -> object:
    """``monotrail.interactive`` and ``monotrail.from_git``, imported when first used."""
    if name in ("interactive", "from_git"):
        from monotrail import api

        return getattr(api, name)
    raise AttributeError(f"module 'monotrail' has no attribute {name!r}")
