"""An incomplete check is never reported as "no problems" (issue #18, CONTRACT.md
``summary.complete``): offline with links left ``not-checked``, or exit 3 with the
network unavailable, every format says the check is incomplete."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from patchcrawl.testweb.planted import PLANTED, install_faults, planted_handler
from patchcrawl.testweb.server import KernelWeb
from tests.cli_helpers import Run, closed_port, run_cli

SCHEMA = json.loads(
    (Path(__file__).parent / "data" / "patchcrawl-report-1.schema.json").read_text("utf-8")
)
FAST = ["--no-progress", "--host-interval", "0", "--retries", "0", "--timeout", "2"]


@pytest.fixture
def doc(tmp_path: Path) -> Path:
    path = tmp_path / "history.md"
    shutil.copyfile(PLANTED, path)
    return path


def offline(doc: Path, fmt: str) -> Run:
    """``verify --offline`` with an empty cache: nothing can be answered."""
    run = run_cli(
        ["verify", doc, "--offline", "--cache-dir", doc.parent / "empty", "--format", fmt, *FAST]
    )
    run.assert_clean()
    return run


def down(doc: Path, fmt: str) -> Run:
    """``verify`` with every request refused (no host reachable): exit 3."""
    rule = rf"^https?://([^/?#]+)(.*)$ http://127.0.0.1:{closed_port()}/$1$2"
    run = run_cli(
        ["verify", doc, "--remap", rule, "--cache-dir", doc.parent / "c", "--format", fmt, *FAST]
    )
    run.assert_clean()
    assert run.code == 3, run.err
    return run


@pytest.mark.parametrize("check", [offline, down], ids=["offline", "network-down"])
def test_json_says_incomplete(doc: Path, check: Any) -> None:
    run = check(doc, "json")
    report = run.json()
    jsonschema.validate(report, SCHEMA)
    summary = report["summary"]
    assert summary["complete"] is False
    assert summary["incomplete_reason"].startswith("the check is incomplete")
    # the unit of the sentence is the summary's: every link of the document
    assert f"of {summary['links']} links" in summary["incomplete_reason"]


def test_offline_terminal_is_not_a_scan_and_not_clean(doc: Path) -> None:
    text = offline(doc, "terminal").text
    assert "no problems found" not in text
    assert "links by kind" not in text  # what scan prints
    not_checked = 28  # every link but the malformed one
    assert f"{not_checked} of 29 links were not checked" in " ".join(text.split())
    assert "the check is incomplete" in text
    assert "28 not-checked" in text


def test_offline_without_findings_does_not_say_no_findings(tmp_path: Path) -> None:
    path = tmp_path / "clean.md"
    path.write_text(
        "| 时间 | 作者 | 特性 | 描述 | 是否合入主线 | 链接 |\n|:-:|:-:|:-:|:-:|:-:|:-:|\n"
        "| 2024/01/01 | A <a@example.org> | [t](https://lore.kernel.org/all/x@y/) | d | v1 ☐ "
        "| [LORE](https://lore.kernel.org/all/x@y/) |\n",
        encoding="utf-8",
    )
    text = offline(path, "terminal").text
    assert "no findings in the links that could be checked" in text
    assert not re.search(r"^no findings$", text, re.M)
    md = offline(path, "markdown").text
    assert "No findings. ✅" not in md
    assert "No findings in the links that could be checked." in md


@pytest.mark.parametrize("check", [offline, down], ids=["offline", "network-down"])
def test_markdown_title_and_warning(doc: Path, check: Any) -> None:
    text = check(doc, "markdown").text
    assert text.startswith("## patchcrawl verify report\n")
    assert "patchcrawl scan" not in text
    assert "> [!WARNING]\n> The check is incomplete: " in text


@pytest.mark.parametrize("check", [offline, down], ids=["offline", "network-down"])
def test_junit_has_an_error_case(doc: Path, check: Any) -> None:
    root = ET.fromstring(check(doc, "junit").out)
    assert root.get("errors") == "1"
    errors = root.findall(".//testcase/error")
    assert len(errors) == 1 and errors[0].get("type") == "incomplete"
    assert "the check is incomplete" in (errors[0].get("message") or "")
    # and no row whose links were not checked passes
    for case in root.findall(".//testsuite[@name!='patchcrawl']/testcase"):
        assert (
            case.find("skipped") is not None
            or case.find("failure") is not None
            or (case.find("system-out") is not None)
        ), case.get("name")


@pytest.mark.parametrize("check", [offline, down], ids=["offline", "network-down"])
def test_sarif_execution_not_successful(doc: Path, check: Any) -> None:
    sarif = check(doc, "sarif").json()
    invocation = sarif["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error" and "incomplete" in note["message"]["text"]


@pytest.mark.parametrize("check", [offline, down], ids=["offline", "network-down"])
def test_github_error_line(doc: Path, check: Any) -> None:
    lines = check(doc, "github").text.splitlines()
    assert [x for x in lines if x.startswith("::error title=patchcrawl::the check is incomplete")]


def test_exit3_sentence_counts_links(doc: Path) -> None:
    run = down(doc, "json")
    links = run.json()["summary"]["links"]
    (line,) = run.err.splitlines()
    assert line.startswith("patchcrawl: the check is incomplete: the network is unavailable")
    assert re.search(rf"\d+ of {links} links were left unreachable and none was called dead", line)


@pytest.fixture(scope="module")
def served() -> Iterator[KernelWeb]:
    with KernelWeb(planted_handler()) as web:
        install_faults(web)
        yield web


def test_a_complete_check_says_so(doc: Path, served: KernelWeb) -> None:
    run = run_cli(
        [
            "verify",
            doc,
            "--remap",
            served.remap_rule(),
            "--cache-dir",
            doc.parent / "c",
            "--format",
            "json",
            "--no-progress",
            "--host-interval",
            "0",
            "--retries",
            "2",
        ]
    )
    run.assert_clean()
    summary = run.json()["summary"]
    assert summary["complete"] is True and summary["incomplete_reason"] is None
    # one link unreachable (a host that answers 503 for ever) is a finding, not an
    # incomplete check
    assert summary["by_status"]["unreachable"] == 1
    remap: list[str | Path] = ["--remap", served.remap_rule(), "--cache-dir", doc.parent / "c"]
    sarif = run_cli(
        ["verify", doc, *remap, "--format", "sarif", "--no-progress", "--retries", "0"]
    ).json()
    assert sarif["runs"][0]["invocations"][0]["executionSuccessful"] is True
    # offline (with the same remap: answers are kept under the URL as sent), the
    # unreachable link has no cached answer (a retry could change it): that one link
    # leaves the check incomplete
    again = run_cli(["verify", doc, *remap, "--offline", "--format", "json"]).json()["summary"]
    assert again["complete"] is False and again["by_status"]["not-checked"] == 1


def test_scan_is_not_called_incomplete(doc: Path) -> None:
    run = run_cli(["scan", doc, "--format", "json"])
    assert run.code == 0
    assert run.json()["summary"]["complete"] is True
    md = run_cli(["scan", doc, "--format", "markdown"]).text
    assert md.startswith("## patchcrawl scan\n") and "incomplete" not in md
