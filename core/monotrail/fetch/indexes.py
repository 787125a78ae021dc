"""Package indexes: which simple-index URLs to ask, and the file lists they answer.

URLs come from the users' own configuration: pip's (index-url, extra-index-url, find-links from
pip.conf and ``PIP_*`` variables) for requirements files, Poetry's sources for Poetry projects,
with PyPI's URL taken from pip's constant rather than written here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from monotrail.errors import MonotrailError
from monotrail.lockfile.model import Artifact
from monotrail.names import canonical_name

_JSON_ACCEPT = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"


def pypi_simple_url() -> str:
    from pip._internal.models.index import PyPI

    return str(PyPI.simple_url).rstrip("/") + "/"


@dataclass(frozen=True)
class PipIndexConfig:
    index_url: str
    extra_index_urls: list[str]
    find_links: list[str]


def pip_index_config() -> PipIndexConfig:
    """The index settings pip would use here (config files and PIP_* variables)."""
    from pip._internal.configuration import Configuration
    from pip._internal.exceptions import ConfigurationError

    config = Configuration(isolated=False)
    try:
        config.load()
    except ConfigurationError as err:
        raise MonotrailError(f"pip configuration: {err}") from None
    values = {key.split(".", 1)[-1]: value for key, value in config.items()}

    def listed(key: str) -> list[str]:
        return [v for v in str(values.get(key, "")).split() if v]

    index_url = str(values.get("index-url") or pypi_simple_url())
    return PipIndexConfig(index_url, listed("extra-index-url"), listed("find-links"))


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
        from urllib.parse import unquote

        artifacts.append(Artifact(unquote(filename), path, hashes))
    return artifacts


def project_page_url(index_url: str, name: str) -> str:
    return index_url.rstrip("/") + "/" + canonical_name(name) + "/"
