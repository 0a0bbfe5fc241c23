"""A status version newer than the row's links, settled by lore's search (confirm.py),
end to end: the real CLI, the real fetcher, the simulated lore answering Atom searches."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

from patchcrawl.testweb.server import KernelWeb
from patchcrawl.testweb.sites import make_handler
from patchcrawl.testweb.world import World
from tests.cli_helpers import run_cli, verify_argv

HEAD = (
    "| 时间  | 作者 | 特性 | 描述 | 是否合入主线 | 链接 |\n"
    "|:----:|:----:|:---:|:----:|:---------:|:----:|\n"
)
WHO = ("Alexei Starovoitov", "ast@kernel.org")
TITLE = "bpf: introduce the widget map"
WHEN = dt.datetime(2023, 5, 1, 10, 0, tzinfo=dt.UTC)


def world() -> World:
    w = World()
    for v in (5, 7, 9):
        w.add_message(
            subject=f"[PATCH bpf-next v{v} 0/3] {TITLE}",
            author=WHO[0],
            email=WHO[1],
            msgid=f"v{v}-widget@kernel.org",
            date=WHEN + dt.timedelta(days=v),
        )
    # the same title by someone else is not the series
    w.add_message(
        subject=f"[PATCH v12 0/3] {TITLE}", author="Someone Else", email="else@example.org"
    )
    return w


def doc(tmp_path: Path, status: str) -> Path:
    p = tmp_path / "t.md"
    row = (
        f"| 2023/05/06 | {WHO[0]} <{WHO[1]}> | [{TITLE}](https://lore.kernel.org/all/v5-widget@kernel.org/)"
        f" | NA | {status} | [LORE v5,0/3](https://lore.kernel.org/all/v5-widget@kernel.org/) |\n"
    )
    p.write_text("# t\n\n" + HEAD + row, encoding="utf-8")
    return p


def verify(web: KernelWeb, path: Path, cache: Path, *extra: str) -> dict[str, Any]:
    r = run_cli(
        verify_argv(path, web.remap_rule(), cache, "--retries", "0", "--timeout", "5", *extra)
    )
    r.assert_clean()
    data = r.json()
    assert isinstance(data, dict)
    return data


def version_findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["code"].startswith("version-")]


@pytest.fixture
def web() -> Any:
    with KernelWeb(make_handler(world())) as w:
        yield w


def test_a_version_lore_has_confirms_the_status(web: KernelWeb, tmp_path: Path) -> None:
    rep = verify(web, doc(tmp_path, "v9 ☑ 6.5-rc1"), tmp_path / "c")
    assert version_findings(rep) == []
    searches = [r for r in web.log if "q=" in r.query]
    assert searches and all("x=A" in r.query for r in searches)


def test_only_lower_versions_on_lore_is_a_mismatch_naming_them(
    web: KernelWeb, tmp_path: Path
) -> None:
    rep = verify(web, doc(tmp_path, "v10 ☐"), tmp_path / "c")
    (f,) = version_findings(rep)
    assert (f["code"], f["severity"], f["expected"]) == ("version-mismatch", "error", "v10")
    assert f["actual"] == "v5, v7, v9"  # someone else's v12 is not the series
    assert f["fix"] is None  # a search may miss a renamed version: never an edit
    assert "lore has this series only as v5, v7, v9" in f["message"]


def test_no_answer_leaves_it_unconfirmed(web: KernelWeb, tmp_path: Path) -> None:
    web.fail(re.compile(r"[?&]q="), 503)
    rep = verify(web, doc(tmp_path, "v10 ☐"), tmp_path / "c")
    (f,) = version_findings(rep)
    assert (f["code"], f["severity"]) == ("version-unconfirmed", "info")
    assert "lore could not be searched" in f["message"] and f["fix"] is None


def test_the_answer_is_cached_for_offline_runs(web: KernelWeb, tmp_path: Path) -> None:
    path, cache = doc(tmp_path, "v10 ☐"), tmp_path / "c"
    first = version_findings(verify(web, path, cache))
    web.clear_log()
    again = version_findings(verify(web, path, cache, "--offline"))
    assert again == first and web.count == 0
