"""Command line: options and wiring only (CONTRACT.md is the spec of every name here)."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import click

from patchcrawl import __version__
from patchcrawl.models import FINDING_CODES, Report
from patchcrawl.settings import (
    RemapRule,
    Settings,
    UsageError,
    parse_duration,
)

F = TypeVar("F", bound=Callable[..., Any])

FORMATS = ("terminal", "json", "markdown", "junit", "sarif", "github")
EXIT_INTERNAL = 4


_D = Settings()  # the defaults, as ``--help`` shows them


def _shared_options(formats: Sequence[str], format_help: str) -> Callable[[F], F]:
    """Options shared by ``verify`` and ``enrich`` (CONTRACT.md); ``--format`` takes
    ``formats``. A default a settings file can change is shown as the built-in one."""

    def decorate(func: F) -> F:
        opts = [
            click.argument("paths", nargs=-1, type=click.Path()),
            click.option("--format", "fmt", type=click.Choice(formats), help=format_help),
            click.option(
                "--output",
                "-o",
                type=click.Path(dir_okay=False),
                help="write the report there (atomically) instead of stdout",
            ),
            click.option(
                "--cache-dir",
                type=click.Path(file_okay=False),
                help="persistent cache (default: cache/ in the checkout, else the user cache "
                "dir; PATCHCRAWL_CACHE_DIR too)",
            ),
            click.option("--offline", is_flag=True, help="answer only from the cache"),
            click.option(
                "--max-age",
                metavar="DURATION",
                help="how old a cached answer may be before it is revalidated "
                "(30m, 12h, 7d; default: 7d)",
            ),
            click.option(
                "--remap",
                multiple=True,
                metavar="'REGEX REPLACEMENT'",
                help="rewrite every request URL (repeatable; $1, ${1} or \\1)",
            ),
            click.option("--allow-private", is_flag=True, help="allow loopback/private addresses"),
            click.option(
                "--host-concurrency",
                type=click.IntRange(1, 256),
                metavar="N",
                help=f"parallel requests per host (default: {_D.host_concurrency})",
            ),
            click.option(
                "--host-interval",
                type=click.FloatRange(0),
                metavar="SECONDS",
                help=f"seconds between request starts per host (default: {_D.host_interval})",
            ),
            click.option(
                "--max-concurrency",
                type=click.IntRange(1, 4096),
                metavar="N",
                help=f"requests in flight in all (default: {_D.max_concurrency})",
            ),
            click.option(
                "--timeout",
                type=click.FloatRange(0.1),
                metavar="SECONDS",
                help=f"per request (default: {_D.timeout:g})",
            ),
            click.option(
                "--retries",
                type=click.IntRange(0, 20),
                metavar="N",
                help=f"retries per request (default: {_D.retries})",
            ),
            click.option(
                "--config",
                "config_file",
                type=click.Path(dir_okay=False),
                help="settings file (default: [tool.patchcrawl] in the nearest pyproject.toml, "
                "or patchcrawl.toml)",
            ),
            click.option("--no-progress", is_flag=True, help="no progress bar"),
            click.option(
                "--no-batch",
                is_flag=True,
                help="fetch every lore message link on its own, as a link checker does "
                "(default: look them up in batches through lore's search)",
            ),
            click.option(
                "--kernel-git",
                type=click.Path(),
                metavar="DIR",
                help="a local clone of mainline Linux (partial is enough, tags needed): "
                "check merged releases (PATCHCRAWL_KERNEL_GIT too)",
            ),
        ]
        for opt in reversed(opts):
            func = opt(func)
        return func

    return decorate


def _run_settings(**opts: Any) -> Settings:
    """:func:`_settings` of a run that will send requests (verify, enrich): the
    environment is checked too."""
    if not opts.get("kernel_git") and os.environ.get("PATCHCRAWL_KERNEL_GIT"):
        opts["kernel_git"] = os.environ["PATCHCRAWL_KERNEL_GIT"]
    settings = _settings(**opts)
    if settings.kernel_git:
        from patchcrawl.mainline import check_repository

        check_repository(settings.kernel_git)
    return settings


def _settings(
    *,
    config_file: str | None,
    cache_dir: str | None,
    offline: bool,
    max_age: str | None,
    remap: Sequence[str],
    allow_private: bool,
    host_concurrency: int | None,
    host_interval: float | None,
    max_concurrency: int | None,
    timeout: float | None,
    retries: int | None,
    no_progress: bool,
    no_batch: bool = False,
    **extra: Any,
) -> Settings:
    """Defaults < settings file < PATCHCRAWL_CACHE_DIR < options."""
    from patchcrawl.config import default_cache_dir, load_settings

    cwd = os.getcwd()
    base = load_settings(config_file, cwd)
    changes: dict[str, Any] = {}
    env_cache = os.environ.get("PATCHCRAWL_CACHE_DIR")
    if cache_dir:
        changes["cache_dir"] = cache_dir
    elif env_cache:
        changes["cache_dir"] = env_cache
    elif not base.cache_dir:
        changes["cache_dir"] = default_cache_dir(cwd)
    if offline:
        changes["offline"] = True
    if max_age is not None:
        changes["max_age"] = parse_duration(max_age)
    if remap:
        changes["remap"] = tuple(RemapRule.parse(r) for r in remap) + base.remap
    if allow_private:
        changes["allow_private"] = True
    for key, val in (
        ("host_concurrency", host_concurrency),
        ("host_interval", host_interval),
        ("max_concurrency", max_concurrency),
        ("timeout", timeout),
        ("retries", retries),
    ):
        if val is not None:
            changes[key] = val
    if no_batch:
        changes["batch"] = False
    if no_progress or not sys.stderr.isatty():
        changes["progress"] = False
    for key, val in extra.items():
        if val is not None:
            changes[key] = val
    return dataclasses.replace(base, **changes)


def _paths(paths: Sequence[str]) -> list[str]:
    from patchcrawl.discover import default_paths

    return list(paths) if paths else default_paths()


def _default_format(fmt: str | None, output: str | None) -> str:
    if fmt:
        return fmt
    return "terminal" if output is None and sys.stdout.isatty() else "json"


def _emit_chunks(chunks: Iterator[str], output: str | None) -> None:
    """Write a report that comes in pieces (see ``reports.render_chunks``), as
    :func:`_emit` does: atomically to ``output``, or to stdout."""
    encoded = (c.encode("utf-8", "surrogateescape") for c in chunks)
    if output and output != "-":  # "-" is stdout, as for other tools
        from patchcrawl.atomic import atomic_write

        atomic_write(output, encoded)
    else:
        sys.stdout.flush()
        for data in encoded:
            sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()


def _emit_report(report: Report, fmt: str, output: str | None) -> None:
    from patchcrawl.reports import render, render_chunks

    if fmt == "json":  # written as it is encoded: a large report never stands whole
        _emit_chunks(render_chunks(report, fmt), output)
        return
    color = fmt == "terminal" and output is None and sys.stdout.isatty()
    _emit(render(report, fmt, color=color), output)


def _emit(text: str | bytes, output: str | None) -> None:
    """Write the report to ``output`` atomically, or to stdout; bytes pass through untouched
    (a diff of a non-UTF-8 document must keep its bytes)."""
    data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogateescape")
    if data and not data.endswith(b"\n") and not isinstance(text, bytes):
        data += b"\n"
    if output and output != "-":  # "-" is stdout, as for other tools
        from patchcrawl.atomic import atomic_write

        atomic_write(output, data)
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()


def _check_output(path: str | None, option: str) -> None:
    """Refuse, before any request, a file that cannot be written: its directory is
    missing or not writable, or it is a directory."""
    if path is None:
        return
    if os.path.isdir(path):
        raise UsageError(f"{option} {path}: is a directory")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise UsageError(f"{option} {path}: no such directory {directory}")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise UsageError(f"{option} {path}: cannot write in {directory} (permission denied)")


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def _codes(value: str | None, option: str) -> tuple[str, ...] | None:
    if not value:
        return None
    codes = tuple(c.strip() for c in re.split(r"[,\s]+", value) if c.strip())
    unknown = [c for c in codes if c not in FINDING_CODES]
    if unknown:
        raise UsageError(
            f"{option}: unknown finding code {unknown[0]!r} (known: {', '.join(FINDING_CODES)})"
        )
    return codes


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="patchcrawl")
def app() -> None:
    """Check the lore, patchwork and LWN references of kernel feature-history documents."""


VERIFY_EPILOG = """\b
Exit codes:
  0  every reference checked, no finding of severity error
  1  at least one error finding
  2  usage, configuration or input error (bad option, unreadable path, no markdown)
  3  the check could not be done (network unavailable, or too many links left
     unreachable); no link is called dead because of it
  4  internal error (a bug): one line; PATCHCRAWL_DEBUG=1 adds the traceback
"""

ENRICH_FORMATS = ("terminal", "json")


@app.command(epilog=VERIFY_EPILOG)
@_shared_options(FORMATS, "report format (default: terminal on a TTY, else json)")
@click.option("--baseline", type=click.Path(dir_okay=False), help="known findings to tolerate")
@click.option(
    "--update-baseline",
    is_flag=True,
    help="write the current findings to --baseline (no report) and exit 0",
)
def verify(
    paths: tuple[str, ...],
    fmt: str | None,
    output: str | None,
    baseline: str | None,
    update_baseline: bool,
    **opts: Any,
) -> None:
    """Check every reference; exit 1 on error findings, 3 when the check could not be done."""
    from patchcrawl import pipeline

    settings = _run_settings(**opts)
    if update_baseline and not baseline:
        raise UsageError("--update-baseline needs --baseline FILE")
    fmt = _default_format(fmt, output)
    # every choice about the output is checked before the first request
    _check_output(output, "--output")
    known = None
    if baseline and update_baseline:
        _check_output(baseline, "--baseline")
    elif baseline:
        from patchcrawl.baseline import load_baseline

        known = load_baseline(baseline)
    # the cells of audited rows are needed afterwards by the junit report only
    report, checked = pipeline.verify(_paths(paths), settings, slim=fmt != "junit")
    if baseline and update_baseline:
        _update_baseline(baseline, report, checked)
        return
    if known is not None:
        new, suppressed = known.filter(report.findings)
        report = dataclasses.replace(report, findings=tuple(new), suppressed=len(suppressed))
        report = pipeline.recount(report)
    _emit_report(report, fmt, output)
    code = pipeline.exit_code(report, checked)
    if code == pipeline.EXIT_UNAVAILABLE:
        click.echo(pipeline.unavailable_sentence(checked), err=True)
    sys.exit(code)


def _update_baseline(path: str, report: Report, checked: Any) -> None:
    """Write the findings of ``report`` as the baseline ``path`` and exit 0; a check
    that could not be done writes nothing (exit 3): it would record no dead link."""
    from patchcrawl import pipeline
    from patchcrawl.baseline import write_baseline

    if pipeline.could_not_check(checked):
        click.echo(pipeline.unavailable_sentence(checked), err=True)
        click.echo(f"patchcrawl: {path} was not written", err=True)
        sys.exit(pipeline.EXIT_UNAVAILABLE)
    entries, found = write_baseline(path, report.findings)
    what = plural(entries, "entry", "entries")
    if found != entries:
        what += f" ({plural(found, 'finding')})"
    click.echo(f"patchcrawl: wrote {what} to {path}", err=True)
    if report.incomplete is not None:
        click.echo(f"patchcrawl: {report.incomplete}", err=True)
    sys.exit(0)


@app.command()
@_shared_options(
    FORMATS,
    "enrich writes terminal (the unified diff, the default) or json (the fixes: code, file, "
    "line, old and new text, a rescue's score; and the diff); the other formats are "
    "verify's and are refused before any request",
)
@click.option("--write", is_flag=True, help="apply the edits in place (atomically)")
@click.option("--check", is_flag=True, help="exit 1 when there is anything to enrich")
@click.option("--force", is_flag=True, help="with --write: also write read-only files")
@click.option("--select", help="only these finding codes' fixes (comma-separated)")
@click.option("--ignore", "ignore_codes", help="not these finding codes' fixes")
@click.option("--fix-authors", is_flag=True, default=None, help="also replace wrong authors")
@click.option("--fix-titles", is_flag=True, default=None, help="also replace titles")
@click.option(
    "--canonical-style",
    type=click.Choice(["all", "r", "list"]),
    help="canonical lore URL form for moved links (default: all)",
)
@click.option("--no-rescue", is_flag=True, help="do not search lore for dead references")
def enrich(
    paths: tuple[str, ...],
    fmt: str | None,
    output: str | None,
    write: bool,
    check: bool,
    force: bool,
    select: str | None,
    ignore_codes: str | None,
    no_rescue: bool,
    **opts: Any,
) -> None:
    """Print a unified diff of proposed fixes (--write applies them).

    Exit 0, or 1 with --check when there is something to fix, 2 for a usage error,
    3 when the check could not be done."""
    from patchcrawl import pipeline

    if fmt is not None and fmt not in ENRICH_FORMATS:
        raise UsageError(
            f"enrich --format {fmt}: enrich writes a unified diff (terminal) or json; "
            f"{fmt} is a report format of verify"
        )
    settings = _run_settings(**opts)
    selected = _codes(select, "--select")
    ignored = _codes(ignore_codes, "--ignore")
    _check_output(output, "--output")
    done = pipeline.enrich(
        _paths(paths),
        settings,
        select=selected,
        ignore=ignored,
        write=write,
        rescue=not no_rescue,
        force=force,
    )
    if fmt == "json":
        import json

        data = {
            "diff": done.diff.decode("utf-8", "surrogateescape"),
            "written": done.written,
            "fixes": done.fixes,
            "complete": not pipeline.could_not_check(done.checked),
        }
        _emit(json.dumps(data, ensure_ascii=False, indent=2), output)
    elif not write and (done.diff or output):
        _emit(done.diff, output)
    if write:
        for path in done.written:
            click.echo(f"patchcrawl: wrote {path}", err=True)
    if pipeline.could_not_check(done.checked):
        click.echo(pipeline.unavailable_sentence(done.checked), err=True)
        sys.exit(pipeline.EXIT_UNAVAILABLE)
    sys.exit(1 if check and done.diff else 0)


@app.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="report format")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="write the report there")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="settings file")
def scan(
    paths: tuple[str, ...], fmt: str | None, output: str | None, config_file: str | None
) -> None:
    """No network: the tables, rows, claims and links found."""
    from patchcrawl import pipeline
    from patchcrawl.config import load_settings

    settings = dataclasses.replace(load_settings(config_file, os.getcwd()), progress=False)
    report = pipeline.run_scan(_paths(paths), settings)
    fmt = _default_format(fmt, output)
    _emit_report(report, fmt, output)


@app.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False))
@click.option("--no-progress", is_flag=True, help="no progress bar")
def demo(directory: str | None, no_progress: bool) -> None:
    """The whole tool offline: a simulated lore/patchwork/LWN on 127.0.0.1, a document
    with known defects (written into DIRECTORY, default a temporary directory that is
    removed), verify and enrich on it. Uses a cache of its own, never yours; exit 1 if
    a planted defect did not give its finding."""
    from patchcrawl.demo import main as demo_main

    sys.exit(demo_main(directory, progress=not no_progress))


@app.command()
@click.argument("action", type=click.Choice(["stats", "prune", "clear"]))
@click.option("--cache-dir", type=click.Path(file_okay=False), help="persistent cache")
@click.option("--max-age", help="prune: remove entries older than this (default 30d)")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="settings file")
@click.option("--format", "fmt", type=click.Choice(["terminal", "json"]), default="terminal")
def cache(
    action: str, cache_dir: str | None, max_age: str | None, config_file: str | None, fmt: str
) -> None:
    """The persistent response cache: stats, prune (older than --max-age), clear."""
    import json

    from patchcrawl.fetch import cache_clear, cache_prune, cache_stats

    settings = _settings(
        config_file=config_file,
        cache_dir=cache_dir,
        offline=False,
        max_age=None,
        remap=(),
        allow_private=False,
        host_concurrency=None,
        host_interval=None,
        max_concurrency=None,
        timeout=None,
        retries=None,
        no_progress=True,
    )
    directory = settings.cache_dir
    assert directory is not None
    if action == "stats":
        stats = cache_stats(directory)
        if fmt == "json":
            click.echo(json.dumps({"cache_dir": directory, **stats}, indent=2, default=str))
        else:
            for line in _stats_lines(directory, stats):
                click.echo(line)
    elif action == "prune":
        age = parse_duration(max_age) if max_age else 30 * 86400.0
        removed = cache_prune(directory, age)
        click.echo(f"pruned {removed} entries older than {max_age or '30d'} from {directory}")
    else:
        removed = cache_clear(directory)
        click.echo(f"cleared {removed} entries from {directory}")


def human_size(n: int) -> str:
    """``512 B``, ``3.4 kB``, ``12.0 MB``, ``1.2 GB`` (powers of 1,000, as disk sizes)."""
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{int(size)} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")


def human_time(epoch: float | None, now: float | None = None) -> str:
    """``2026-11-25 12:00 UTC (3 days ago)``; ``-`` for no time."""
    import datetime as dt
    import time

    if epoch is None:
        return "-"
    when = dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    ago = max(0.0, (time.time() if now is None else now) - epoch)
    for seconds, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if ago >= seconds:
            return f"{when} ({plural(int(ago // seconds), unit)} ago)"
    return f"{when} (just now)"


def _stats_lines(directory: str, stats: dict[str, Any]) -> list[str]:
    """``cache stats`` for people: sizes and dates, not bytes and epoch seconds."""
    kinds = stats.get("kinds") or {}
    lines = [
        f"cache: {directory}",
        f"  entries: {stats.get('entries', 0):,}"
        + (" (" + ", ".join(f"{v:,} {k}" for k, v in kinds.items()) + ")" if kinds else ""),
        f"  size on disk: {human_size(int(stats.get('bytes') or 0))}",
        f"  oldest entry: {human_time(stats.get('oldest'))}",
        f"  newest entry: {human_time(stats.get('newest'))}",
    ]
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: usage errors exit 2 with one sentence, never a traceback."""
    try:
        app.main(
            args=list(argv) if argv is not None else None,
            prog_name="patchcrawl",
            standalone_mode=False,
        )
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.NoArgsIsHelpError as exc:  # bare ``patchcrawl``: its help
        click.echo(exc.ctx.get_help() if exc.ctx is not None else app.get_help(click.Context(app)))
        sys.exit(0)
    except click.UsageError as exc:  # a bad option or argument: one line, as for UsageError
        click.echo(f"patchcrawl: error: {exc.format_message()}", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("patchcrawl: interrupted", err=True)
        sys.exit(130)
    except UsageError as exc:
        click.echo(f"patchcrawl: error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("patchcrawl: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # an internal bug: say so plainly, traceback only on request
        if os.environ.get("PATCHCRAWL_DEBUG"):
            # the traceback, and still exit 4 (re-raising would leave Python's 1)
            import traceback

            click.echo(traceback.format_exc(), err=True, nl=False)
            sys.exit(EXIT_INTERNAL)
        click.echo(
            f"patchcrawl: internal error: {type(exc).__name__}: {exc} "
            "(run with PATCHCRAWL_DEBUG=1 for the traceback, and please report it)",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)


def console() -> None:
    """The ``patchcrawl`` command: :func:`main`, then leave without tearing down the heap.

    Every file is written (atomically) and every cache closed before ``main``
    returns; what is left is freeing the scanned documents and results, object by
    object, which took 0.2-0.3 s of a 2 s run of 5,000 links. ``os._exit`` skips that
    after flushing stdout and stderr. ``main`` itself (tests, embedding) exits normally.
    """
    code: int = 0
    try:
        main()
    except SystemExit as exc:
        if isinstance(exc.code, int):
            code = exc.code
        elif exc.code is not None:
            sys.stderr.write(f"{exc.code}\n")
            code = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    console()
