"""The progress bar is silent unless stderr is a terminal and progress is wanted."""

from __future__ import annotations

import io

import pytest

from patchcrawl.fetch import FetchStats
from patchcrawl.progress import NullProgress, RichProgress, make_progress


def test_no_tty_gives_null_progress(capsys: pytest.CaptureFixture[str]) -> None:
    p = make_progress(10, enabled=True)  # pytest's stderr is not a TTY
    assert isinstance(p, NullProgress)
    p.advance()
    p.update(FetchStats(requests=3))
    p.close()
    assert capsys.readouterr().err == ""


def test_disabled_gives_null_progress() -> None:
    assert isinstance(make_progress(10, enabled=False), NullProgress)


def test_rich_progress_on_a_tty(monkeypatch: pytest.MonkeyPatch) -> None:
    class FakeTTY(io.StringIO):
        def isatty(self) -> bool:
            return True

    fake = FakeTTY()
    monkeypatch.setattr("sys.stderr", fake)
    p = make_progress(5, enabled=True)
    assert isinstance(p, RichProgress)
    p.advance(2)
    p.update(FetchStats(requests=4, from_cache=1, waiting={"lore.kernel.org": 3}))
    p.close()
    p.close()
