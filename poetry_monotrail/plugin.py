"""The Poetry application plugin: adds ``poetry monotrail run`` and ``poetry monotrail install``.

Registered under the ``poetry.application.plugin`` entry point group, so ``poetry self add
monotrail`` (or ``[tool.poetry.requires-plugins]``) makes Poetry load it.
"""

from __future__ import annotations

from typing import Any

from poetry.plugins.application_plugin import ApplicationPlugin


class MonotrailApplicationPlugin(ApplicationPlugin):  # type: ignore[misc]
    @property
    def commands(self) -> list[Any]:
        from poetry_monotrail.commands import InstallCommand, RunCommand

        return [RunCommand, InstallCommand]
