"""monotrail: run Python code with exactly its locked dependencies, without a virtualenv.

Every package version is unpacked once into a global store; an import hook shows the running
interpreter exactly the packages of the project's lock. This module stays import-light: the
``run`` fast path imports ``monotrail`` and must not pull in poetry, pip, requests or packaging.
"""

__version__ = "0.1.0"
