"""One frozen ``Settings`` built from defaults, the settings file and the options.

``config.py`` reads the settings file; ``cli.py`` overlays command-line options;
everything downstream only ever sees a ``Settings``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from patchcrawl.models import Severity


class UsageError(Exception):
    """A usage, configuration or input error: exit code 2, one clear sentence, no traceback."""


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_UNIT = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}


def parse_duration(text: str) -> float:
    """``30m`` / ``12h`` / ``7d`` / ``90`` (seconds) -> seconds."""
    m = _DURATION.match(text)
    if not m:
        raise UsageError(f"not a duration: {text!r} (use e.g. 30m, 12h, 7d)")
    return float(m.group(1)) * _UNIT[m.group(2)]


@dataclass(frozen=True, slots=True)
class RemapRule:
    """``--remap 'REGEX REPLACEMENT'``: the whole URL must match REGEX."""

    pattern: re.Pattern[str]
    replacement: str  # already converted to Python ``\\g<N>`` syntax

    @classmethod
    def parse(cls, text: str) -> RemapRule:
        parts = text.strip().split(None, 1)
        if len(parts) != 2:
            raise UsageError(f"--remap wants 'REGEX REPLACEMENT', got {text!r}")
        try:
            pattern = re.compile(parts[0])
        except re.error as exc:
            raise UsageError(f"--remap: bad regular expression {parts[0]!r}: {exc}") from None
        # lychee style $1 / ${1} / ${name} and Python style \1 all become \g<...>
        repl = re.sub(
            r"\$\{(\w+)\}|\$(\d+)", lambda m: rf"\g<{m.group(1) or m.group(2)}>", parts[1]
        )
        repl = re.sub(r"\\(\d+)", r"\\g<\1>", repl)
        for ref in re.findall(r"\\g<(\w+)>", repl):
            known = ref.isdigit() and int(ref) <= pattern.groups
            if not known and ref not in pattern.groupindex:
                raise UsageError(
                    f"--remap: the replacement names group {ref!r}, which {parts[0]!r} lacks"
                )
        return cls(pattern, repl)

    @property
    def target(self) -> str | None:
        """The host (``host:port``, lowercase) the replacement names literally, which is
        the only address the user chose: ``http://127.0.0.1:8080/\\g<1>`` gives
        ``127.0.0.1:8080``; a replacement whose host comes from the URL (``\\g<1>``) names
        none, and every host it yields still passes the address guard."""
        m = _LITERAL_TARGET.match(self.replacement)
        return m.group(1).lower() if m else None

    def apply(self, url: str) -> str | None:
        m = self.pattern.fullmatch(url)
        if m is None:
            return None
        parts = _template_parts(self.replacement)
        if parts is None:
            return m.expand(self.replacement)
        # literal, group, literal, group...: what expand() gives, without re-parsing
        # the template for every request
        return "".join(
            p if i % 2 == 0 else (m.group(_group_ref(p)) or "") for i, p in enumerate(parts)
        )


_LITERAL_TARGET = re.compile(r"^https?://([^/?#\\]+)(?:[/?#]|$)", re.IGNORECASE)


@functools.lru_cache(maxsize=64)
def _template_parts(template: str) -> tuple[str, ...] | None:
    """``template`` split into literals and ``\\g<...>`` group names, or None when a
    literal holds another backslash escape (left to :meth:`re.Match.expand`)."""
    parts = tuple(re.split(r"\\g<(\w+)>", template))
    if any("\\" in p for p in parts[::2]):
        return None
    return parts


def _group_ref(name: str) -> int | str:
    return int(name) if name.isdigit() else name


def remap_url(rules: tuple[RemapRule, ...], url: str) -> str:
    """Rewrite ``url`` with the first matching rule; unchanged when none matches."""
    for rule in rules:
        out = rule.apply(url)
        if out is not None:
            return out
    return url


@dataclass(frozen=True, slots=True)
class HostPolicy:
    concurrency: int | None = None
    interval: float | None = None


@dataclass(frozen=True, slots=True)
class Ignore:
    """Ignore findings (optionally only some codes) by file glob, URL regex or row line."""

    codes: tuple[str, ...] = ()  # empty = every code
    file: str | None = None  # glob matched against the path as given and its posix form
    url: re.Pattern[str] | None = None
    line: int | None = None  # a row's first line (with ``file``)


@dataclass(frozen=True, slots=True)
class Settings:
    # fetching
    cache_dir: str | None = None
    offline: bool = False
    max_age: float = 7 * 86400.0
    remap: tuple[RemapRule, ...] = ()
    allow_private: bool = False
    host_concurrency: int = 4
    host_interval: float = 0.25
    max_concurrency: int = 32
    timeout: float = 20.0
    retries: int = 3
    max_retry_wait: float = 120.0  # cap on total time spent waiting to retry one URL
    # what a host's Retry-After may cost in all: one host, and the whole run; a host
    # asking for more is given up for the run (its links unreachable, saying so)
    max_host_wait: float = 300.0
    max_run_wait: float = 900.0
    max_redirects: int = 10
    max_body: int = 8 * 1024 * 1024
    hosts: tuple[tuple[str, HostPolicy], ...] = ()  # per-host overrides
    user_agent: str | None = None  # None = patchcrawl/<version> (+url)
    # lore message links looked up through lore's search, this many ids a search
    # (sources/lore_search.py); False: each fetched on its own (``--no-batch``)
    batch: bool = True
    batch_size: int = 50
    # what to check
    exclude: tuple[re.Pattern[str], ...] = ()  # URLs matching are ``skipped``
    accept: tuple[int, ...] = ()  # extra HTTP statuses counted as ok
    # findings
    severity: tuple[tuple[str, Severity | None], ...] = ()  # None = ignore the code
    ignores: tuple[Ignore, ...] = ()
    date_tolerance_days: int = 7
    # enrich
    canonical_style: str = "all"  # all | r | list
    fix_authors: bool = False
    fix_titles: bool = False
    # merged-release checks: a local clone of mainline Linux (``--kernel-git DIR``)
    kernel_git: str | None = None
    # output
    progress: bool = True
    extra: dict[str, object] = field(default_factory=dict)

    def host_policy(self, host: str) -> tuple[int, float]:
        """(concurrency, interval) for ``host``: the per-host override, else the defaults."""
        for name, pol in self.hosts:
            if name == host or host.endswith("." + name):
                return (
                    pol.concurrency if pol.concurrency is not None else self.host_concurrency,
                    pol.interval if pol.interval is not None else self.host_interval,
                )
        return self.host_concurrency, self.host_interval
