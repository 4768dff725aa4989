"""What to measure: URLs (or HOST:PORT endpoints) from the command line or a plain file, or
URLs from a Citizen Lab test list; which of the two a run takes is its nettests' ``InputKind``.

Bad lines never stop a run: each is returned as an :class:`InputError` naming ``file:line`` and
the reason, and every good line is still measured (the policy of Censored Planet's and RIPE
Atlas's parsers: count and report bad input, never let it be fatal).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from netvigil._errors import InputError
from netvigil.probe.fetch import split_target
from netvigil.probe.nettest import InputKind
from netvigil.probe.steps import split_endpoint

TEST_LIST_COLUMNS = ("url", "category_code")  # required columns of a Citizen Lab CSV


@dataclass(frozen=True)
class Target:
    url: str  # the input: a URL, or HOST:PORT for a nettest that takes endpoints
    category_code: str | None = None


@dataclass
class Inputs:
    """The URLs to measure, in order and without duplicates, and the rejected lines."""

    targets: list[Target] = field(default_factory=list)
    rejected: list[InputError] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set)

    def add(self, target: Target) -> None:
        if target.url not in self._seen:
            self._seen.add(target.url)
            self.targets.append(target)


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be measured, or None when it can."""
    if not url:
        return "empty URL"
    if any(c.isspace() for c in url):
        return f"URL {url!r} contains white space"
    try:
        split_target(url)
    except ValueError as exc:
        return f"URL {url!r}: {exc}"
    return None


def endpoint_problem(endpoint: str) -> str | None:
    """Why ``endpoint`` cannot be measured, or None when it can."""
    if not endpoint:
        return "empty endpoint"
    if any(c.isspace() for c in endpoint):
        return f"endpoint {endpoint!r} contains white space"
    try:
        split_endpoint(endpoint)
    except ValueError as exc:
        return f"endpoint {endpoint!r}: {exc}"
    return None


def _checker(kind: InputKind) -> tuple[Callable[[str], str | None], str]:
    if kind is InputKind.ENDPOINTS:
        return endpoint_problem, "endpoint"
    return url_problem, "url"


def from_arguments(urls: Iterable[str], into: Inputs, kind: InputKind = InputKind.URLS) -> None:
    problem_of, name = _checker(kind)
    for n, url in enumerate(urls, start=1):
        problem = problem_of(url.strip())
        if problem:
            into.rejected.append(InputError(problem, path="<arguments>", line=n, field=name))
        else:
            into.add(Target(url.strip()))


def from_url_file(path: Path, into: Inputs, kind: InputKind = InputKind.URLS) -> None:
    """One input per line; blank lines and ``#`` comments are ignored."""
    problem_of, name = _checker(kind)
    for n, raw in enumerate(_read_lines(path), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        problem = problem_of(line)
        if problem:
            into.rejected.append(InputError(problem, path=path, line=n, field=name))
        else:
            into.add(Target(line))


def from_test_list(path: Path, categories: set[str], into: Inputs) -> None:
    """A Citizen Lab CSV (``url,category_code,...``), keeping only ``categories`` if given."""
    lines = _read_lines(path)
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        into.rejected.append(InputError("empty test list", path=path, line=1))
        return
    names = [h.strip().lower() for h in header]
    missing = [c for c in TEST_LIST_COLUMNS if c not in names]
    if missing:
        into.rejected.append(
            InputError(
                f"header lacks column(s) {', '.join(missing)}; expected Citizen Lab's "
                "url,category_code,category_description,date_added,source,notes",
                path=path,
                line=1,
            )
        )
        return
    url_at, cat_at = names.index("url"), names.index("category_code")
    for row in reader:
        n = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(names):
            into.rejected.append(
                InputError(f"expected {len(names)} fields, found {len(row)}", path=path, line=n)
            )
            continue
        url, category = row[url_at].strip(), row[cat_at].strip().upper()
        problem = url_problem(url)
        if problem:
            into.rejected.append(InputError(problem, path=path, line=n, field="url"))
            continue
        if not category.isalnum():
            into.rejected.append(
                InputError(
                    f"category code {category!r} is not a code such as NEWS",
                    path=path,
                    line=n,
                    field="category_code",
                )
            )
            continue
        if not categories or category in categories:
            into.add(Target(url, category))


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise InputError("no such file", path=path) from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason})", path=path) from exc
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=path) from exc
