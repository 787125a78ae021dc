"""What distributions and their wheels are called: PEP 503 names and PEP 427 wheel file names.

Import-free: the ppipx fast path normalizes names, and parsing every wheel name a lock lists
must cost less than packaging's regular expressions and version parsing (a new environment
whose packages are all stored spends most of its time choosing files: numpy alone lists dozens).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Final


def canonical_name(name: str) -> str:
    """PEP 503 normalization (``Foo.Bar_baz`` -> ``foo-bar-baz``)."""
    out = []
    previous_sep = False
    for char in name.lower():
        if char in "-_.":
            if not previous_sep:
                out.append("-")
            previous_sep = True
        else:
            out.append(char)
            previous_sep = False
    return "".join(out)


class WheelName:
    """The parts of ``{name}-{version}[-{build}]-{python}-{abi}-{platform}.whl``.

    A plain class with read-only attributes (a dataclass would cost its import, see above).
    """

    __slots__ = ("name", "version", "build", "python", "abi", "platform")

    def __init__(
        self, name: str, version: str, build: str, python: str, abi: str, platform: str
    ) -> None:
        #: The distribution name as written (not normalized).
        self.name: Final = name
        self.version: Final = version
        #: The build tag, "" when there is none.
        self.build: Final = build
        #: The three parts of the tag, each possibly a compressed set (``py2.py3``).
        self.python: Final = python
        self.abi: Final = abi
        self.platform: Final = platform

    @property
    def tag(self) -> str:
        """The tag as written (``py3-none-any``): it names the wheel's store entry."""
        return f"{self.python}-{self.abi}-{self.platform}"

    def tags(self) -> Iterator[str]:
        """Every tag of a compressed tag set (PEP 425): ``py2.py3-none-any`` is two tags."""
        for python in self.python.split("."):
            for abi in self.abi.split("."):
                for platform in self.platform.split("."):
                    yield f"{python}-{abi}-{platform}"


def parse_wheel_name(filename: str, strict: bool = True) -> WheelName | None:
    """The parts of a wheel file name; None when ``filename`` is not one.

    ``strict`` accepts what packaging's ``parse_wheel_filename`` splits into the same tags (5 or
    6 parts). Otherwise the last three parts are the tag of any name of 5 parts or more, which
    is how entries of wheels with extra dashes in their names were always named.
    """
    if not filename.endswith(".whl"):
        return None
    parts = filename[: -len(".whl")].split("-")
    if len(parts) < 5 or (strict and len(parts) > 6):
        return None
    return WheelName(parts[0], parts[1], "-".join(parts[2:-3]), *parts[-3:])
