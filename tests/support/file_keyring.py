"""A real keyring backend for tests: a JSON file of ``{service: [username, password]}``.

A test names it in ``$XDG_CONFIG_HOME/python_keyring/keyringrc.cfg`` (``keyring-path`` is this
folder), so pip and monotrail find it the way they find a system keyring. The file is
``$MONOTRAIL_TEST_KEYRING``; it is read, never written.
"""

from __future__ import annotations

import json
import os

from keyring.backend import KeyringBackend
from keyring.credentials import SimpleCredential


class FileKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def _entries(self) -> dict[str, list[str]]:
        with open(os.environ["MONOTRAIL_TEST_KEYRING"], encoding="utf-8") as handle:
            entries: dict[str, list[str]] = json.load(handle)
        return entries

    def get_credential(self, service: str, username: str | None) -> SimpleCredential | None:
        found = self._entries().get(service)
        if found is None or (username is not None and username != found[0]):
            return None
        return SimpleCredential(found[0], found[1])

    def get_password(self, service: str, username: str) -> str | None:
        found = self.get_credential(service, username)
        return found.password if found else None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise NotImplementedError("a read-only test keyring")

    def delete_password(self, service: str, username: str) -> None:
        raise NotImplementedError("a read-only test keyring")
