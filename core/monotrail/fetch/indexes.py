"""Simple package indexes: a project's page URL and the files it lists (PEP 691 JSON, PEP 503).

Which indexes to ask comes from the lock or the resolver (pip's configuration, Poetry's
sources); PyPI's URL is taken from pip's constant rather than written here.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from urllib.parse import unquote, urljoin, urlsplit

from monotrail import fingerprint
from monotrail.errors import MonotrailError
from monotrail.lockfile.model import Artifact
from monotrail.names import canonical_name

_JSON_ACCEPT = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"


def pypi_simple_url() -> str:
    from pip._internal.models.index import PyPI

    return str(PyPI.simple_url).rstrip("/") + "/"


#: pip's options that change what a resolution may choose (names as in ``pip config list``).
_RESOLUTION_OPTIONS = frozenset(
    "index-url extra-index-url no-index find-links constraint pre only-binary no-binary "
    "prefer-binary trusted-host".split()
)
#: The sections ``pip install`` reads, the later overriding the earlier.
_SECTIONS = ("global", "install", ":env:")


def _pip_settings() -> list[tuple[str, str, str]]:
    """``(section, name, value)`` of pip's configuration (files and ``PIP_*`` variables)."""
    from pip._internal.configuration import Configuration
    from pip._internal.exceptions import ConfigurationError

    configuration = Configuration(isolated=False)
    try:
        configuration.load()
    except ConfigurationError as err:
        raise MonotrailError(f"pip's configuration: {err}") from None
    found = []
    for key, value in configuration.items():
        section, _, name = key.rpartition(".")
        if section in _SECTIONS and name in _RESOLUTION_OPTIONS:
            found.append((section, name, str(value)))
    return sorted(found, key=lambda item: _SECTIONS.index(item[0]))


def pip_configuration() -> list[str]:
    """pip's settings that decide a resolution, as ``section.name=value`` words (a constraint
    file's content digest included): part of the key of every resolution kept in the store."""
    words = []
    for section, name, value in _pip_settings():
        words.append(f"{section}.{name}={value}")
        if name == "constraint":
            for path in value.split():
                try:
                    with open(path, "rb") as handle:
                        words.append(f"{path}:{fingerprint.digest(handle.read())}")
                except OSError:
                    words.append(f"{path}:missing")
    return words


def pip_index_urls() -> tuple[str, list[str]]:
    """The index pip asks (``index-url``; PyPI unless configured) and its extra indexes."""
    index, extra = pypi_simple_url(), []
    for _section, name, value in _pip_settings():
        if name == "index-url":
            index = value.rstrip("/") + "/"
        elif name == "extra-index-url":
            extra = [url.rstrip("/") + "/" for url in value.split()]
    return index, extra


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            attributes = dict(attrs)
            href = attributes.get("href")
            if href:
                self.links.append((href, attributes))


def parse_project_page(base_url: str, content_type: str, body: bytes) -> list[Artifact]:
    """Files listed on one project page of a simple index (PEP 691 JSON or PEP 503 HTML)."""
    artifacts = []
    if "json" in content_type:
        data = json.loads(body)
        for item in data.get("files", []):
            artifacts.append(
                Artifact(
                    item["filename"], urljoin(base_url, item["url"]), dict(item.get("hashes", {}))
                )
            )
        return artifacts
    parser = _LinkParser()
    parser.feed(body.decode("utf-8", errors="replace"))
    for href, _attributes in parser.links:
        url = urljoin(base_url, href)
        path, _, fragment = url.partition("#")
        hashes = {}
        match = re.match(r"(sha256|sha384|sha512|md5)=([0-9a-fA-F]+)", fragment)
        if match:
            hashes[match.group(1)] = match.group(2).lower()
        filename = urlsplit(path).path.rsplit("/", 1)[-1]
        artifacts.append(Artifact(unquote(filename), path, hashes))
    return artifacts


def project_page_url(index_url: str, name: str) -> str:
    return index_url.rstrip("/") + "/" + canonical_name(name) + "/"
