"""``patchcrawl demo``: the whole tool in one command, with no internet.

It starts the simulated lore.kernel.org, patchwork, LWN and friends of
:mod:`patchcrawl.testweb` on 127.0.0.1, writes ``planted.md`` (one planted defect
per row) as ``history.md`` into a directory, runs ``verify`` on it (with the progress
bar on a terminal) and ``enrich``, prints the report, what each finding shows and the
diff, and stops the server. Every request goes to the simulated web through a
``--remap`` rule, with a cache of the demo's own that is removed afterwards: the
user's cache and settings files are never read or written.

The demo checks itself: each row must give exactly the finding its description
cell names (:data:`patchcrawl.testweb.planted.EXPECTED`), else it says which did not
and exits 1.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from patchcrawl.models import Finding, Report
from patchcrawl.settings import RemapRule, Settings, UsageError

DOC_NAME = "history.md"

#: what each finding of the demo document shows, in a sentence
SHOWS: dict[str, str] = {
    "dead-link": "the mail is gone from lore (404): an error. enrich searches lore for the "
    "series and proposes where it lives now, with its score",
    "moved-link": "a retired lore.kernel.org/patchwork link that lore redirects: a warning; "
    "enrich writes the canonical lore URL",
    "blocked": "a bot wall (Anubis) answered: never read as the page, never called dead",
    "paywalled": "an LWN article for subscribers only: info, the title read from the notice",
    "unreachable": "a host that answers 503 after every retry: a warning, never 'dead'",
    "malformed-url": "a typo in the host (lore.kernelorg), found without a request",
    "malformed-row": "a stray '|' gives the row a cell too many: a warning; its claims are "
    "still compared where its cells fit",
    "title-mismatch": "the row names another series than the mail it links: an error, left "
    "to you (enrich --fix-titles would replace it)",
    "author-mismatch": "the mail is from someone else: an error, left to you (enrich "
    "--fix-authors would replace it)",
    "version-mismatch": "the row says v2, the mail says v3: an error; enrich fixes the status",
    "patch-count-mismatch": "the label says 0/5, the series has 4 patches: an error; enrich "
    "fixes the label",
    "date-mismatch": "the row's date is months from the mail's: a warning (7 days are tolerated)",
    "author-email-missing": "the right person written without an address: info; enrich adds "
    "the mail's address",
}
RETRIED = "two rows answer 429 (with Retry-After) or 503 once: retried, found fine, no finding"


@dataclass
class DemoRun:
    """What the demo made (for tests): the report of verify, the diff of enrich."""

    report: Report
    diff: bytes
    fixes: list[dict[str, object]]
    missed: list[str]  # rows whose finding was not the planted one (empty: all as planted)


def _fit(text: str, width: int, first: str = "", rest: str = "") -> list[str]:
    return textwrap.wrap(
        text,
        width=width,
        initial_indent=first,
        subsequent_indent=rest or " " * len(first),
        break_long_words=False,
        break_on_hyphens=False,
    )


@contextlib.contextmanager
def _place(directory: str | None, text: bytes) -> Iterator[tuple[str, bool]]:
    """(the directory holding the demo document, whether it is kept afterwards)."""
    from patchcrawl.atomic import atomic_write

    if directory is None:
        tmp = tempfile.mkdtemp(prefix="patchcrawl-demo-")
        try:
            atomic_write(os.path.join(tmp, DOC_NAME), text)
            yield tmp, False
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise UsageError(f"{directory}: not a directory")
    doc = os.path.join(directory, DOC_NAME)
    if os.path.exists(doc):
        with open(doc, "rb") as fh:
            if fh.read() != text:
                raise UsageError(
                    f"{doc} exists and is not the demo's document: the demo does not "
                    "overwrite it (name another directory)"
                )
    try:
        os.makedirs(directory, exist_ok=True)
        atomic_write(doc, text)
    except OSError as exc:
        raise UsageError(f"{doc}: cannot write the demo document: {exc.strerror}") from None
    yield directory, True


def settings_for(remap_rule: str, cache_dir: str, progress: bool) -> Settings:
    """The demo's settings: nothing from a settings file, a cache of its own, every
    request to the simulated web, politeness and retries sized for loopback."""
    return Settings(
        cache_dir=cache_dir,
        remap=(RemapRule.parse(remap_rule),),
        host_interval=0.05,
        timeout=5.0,
        retries=2,
        progress=progress,
        extra={"retry_backoff": 0.05},
    )


def _missed(report: Report, doc: str) -> list[str]:
    """Rows of the demo document whose findings are not exactly the planted one."""
    from pathlib import Path

    from patchcrawl.testweb.planted import EXPECTED, row_lines

    by_line: dict[int, set[str]] = {}
    for f in report.findings:
        by_line.setdefault(f.row_line or f.line, set()).add(f.code)
    out: list[str] = []
    for name, line in row_lines(Path(doc)).items():
        want = EXPECTED[name]
        got = by_line.pop(line, set())
        if got != ({want[0]} if want else set()):
            out.append(f"line {line} ({name}): {', '.join(sorted(got)) or 'no finding'}")
    out += [f"line {line}: {', '.join(sorted(c))}" for line, c in sorted(by_line.items())]
    return out


def _explanations(findings: tuple[Finding, ...], width: int) -> list[str]:
    codes = list(dict.fromkeys(f.code for f in sorted(findings, key=lambda f: f.line)))
    code_width = max((len(c) for c in codes), default=0)
    lines = ["What each finding shows:"]
    for code in codes:
        head = f"  {code.ljust(code_width)}  "
        lines += _fit(SHOWS.get(code, code), width, head)
    lines += _fit(RETRIED, width, "  " + "(no finding)".ljust(code_width) + "  ")
    return lines


def run_demo(
    directory: str | None,
    *,
    progress: bool,
    width: int,
    color: bool,
    write: Callable[[str], None],
    write_bytes: Callable[[bytes], None],
) -> DemoRun:
    """The demo, printed through ``write`` (text) and ``write_bytes`` (the diff)."""
    from patchcrawl import pipeline
    from patchcrawl.reports.terminal import render_terminal
    from patchcrawl.testweb.planted import EXPECTED, PLANTED, install_faults, planted_handler
    from patchcrawl.testweb.server import KernelWeb

    text = PLANTED.read_bytes()
    cache = tempfile.mkdtemp(prefix="patchcrawl-demo-cache-")
    try:
        with (
            _place(directory, text) as (where, kept),
            KernelWeb(planted_handler(), latency=0.01) as web,
            contextlib.chdir(where),
        ):
            install_faults(web)
            settings = settings_for(web.remap_rule(), cache, progress)
            planted = sum(1 for want in EXPECTED.values() if want is not None)
            for line in (
                *_fit(
                    "patchcrawl demo: a simulated lore.kernel.org, patchwork, LWN and phoronix.com",
                    width,
                ),
                *_fit(f"answer on {web.base_url}; nothing leaves this machine.", width),
                *_fit(
                    "Every request goes there through a --remap rule, with a cache of the "
                    "demo's own (removed afterwards).",
                    width,
                ),
                *_fit(
                    f"The document, {len(EXPECTED)} rows ({planted} with a planted defect), is",
                    width,
                ),
                "  " + os.path.join(where, DOC_NAME),
                "",
                f"$ patchcrawl verify {DOC_NAME}",
                "",
            ):
                write(line + "\n")
            report, _checked = pipeline.verify([DOC_NAME], settings)
            write(render_terminal(report, color=color, width=width).rstrip("\n") + "\n\n")
            write("\n".join(_explanations(report.findings, width)) + "\n\n")
            write(f"$ patchcrawl enrich {DOC_NAME}\n\n")
            done = pipeline.enrich(
                [DOC_NAME], settings, select=None, ignore=None, write=False, rescue=True
            )
            write_bytes(done.diff)
            missed = _missed(report, DOC_NAME)
            tail = [""]
            for fix in done.fixes:
                if "score" in fix:
                    tail += _fit(
                        f"Line {fix['line']}: lore's search found the dead link's series "
                        f"at another address (score {fix['score']:.2f} of 1; 0.8 needed).",
                        width,
                    )
            tail += _fit(
                "`enrich --write` applies the diff in place; `git apply` and `patch -p1` "
                "take it as it is.",
                width,
            )
            if kept:
                tail += _fit(f"The document stays in {where}; the simulated web is stopped.", width)
            else:
                tail += _fit(
                    "The simulated web is stopped and the document removed (`patchcrawl "
                    "demo DIR` keeps it in DIR).",
                    width,
                )
        write("\n".join(tail) + "\n")  # the server is stopped now, as this says
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return DemoRun(report, done.diff, done.fixes, missed)


def main(directory: str | None, *, progress: bool) -> int:
    """``patchcrawl demo``: 0 when every planted defect gave its finding, else 1."""
    out = sys.stdout
    color = out.isatty()
    width = shutil.get_terminal_size((80, 24)).columns if color else _columns()

    def write(text: str) -> None:
        out.write(text)
        out.flush()

    def write_bytes(data: bytes) -> None:
        out.flush()
        out.buffer.write(data)
        out.buffer.flush()

    run = run_demo(
        directory, progress=progress, width=width, color=color, write=write, write_bytes=write_bytes
    )
    if run.missed:
        sys.stderr.write(
            "patchcrawl demo: these rows did not give their planted finding (a bug): "
            + "; ".join(run.missed)
            + "\n"
        )
        sys.stderr.flush()
        return 1
    return 0


def _columns() -> int:
    """The width of a report that goes to a pipe or a file: ``COLUMNS`` when set, else 80."""
    try:
        return max(40, int(os.environ.get("COLUMNS", "80")))
    except ValueError:
        return 80
