"""Simple package indexes: a project's page URL and the files it lists (PEP 691 JSON, PEP 503).

Which indexes to ask comes from the lock or the resolver (pip's configuration, Poetry's
sources); PyPI's URL is taken from pip's constant rather than written here.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from urllib.parse import unquote, urljoin, urlsplit

from monotrail.lockfile.model import Artifact
from monotrail.names import canonical_name

_JSON_ACCEPT = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"


def pypi_simple_url() -> str:
    from pip._internal.models.index import PyPI

    return str(PyPI.simple_url).rstrip("/") + "/"


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
