"""Draft the verdict table of the real-mail test set from a run of ``verify``.

Runs ``patchcrawl verify tests/data/realmail/rows.md`` against the real mails served
on 127.0.0.1 (:mod:`tests.kernelweb.realmail`) and writes
``tests/data/realmail/verdicts.draft.tsv``: each metadata finding at warning or
error with the verdict of the truth tables (``true``, ``false`` or ``unknown``) and
each disagreement no finding reported (``missed``).  A person reads the draft,
judges again in ``rejudged.tsv`` where a truth line was wrong (with the reason),
and copies it over ``verdicts.tsv``, which ``tests/test_realmail.py`` holds the
tool to.  It prints precision and recall.

    python scripts/realmail_verdicts.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.cli_helpers import run_cli
from tests.kernelweb import realmail

from patchcrawl.testweb.server import KernelWeb
from patchcrawl.testweb.sites import make_handler


def main() -> int:
    with KernelWeb(make_handler(realmail.world())) as web, tempfile.TemporaryDirectory() as d:
        run = run_cli(realmail.verify_args(web.remap_rule(), d))
    report = json.loads(run.out)
    rows = realmail.draft_verdicts(report)
    realmail.write_verdicts(rows, realmail.HERE / "verdicts.draft.tsv")
    n = Counter(r["verdict"] for r in rows)
    true, false, missed = n["true"], n["false"], n["missed"]
    print(f"exit {run.code}; verdicts {dict(n)}")
    print(f"precision {true / max(1, true + false):.3f}  recall {true / max(1, true + missed):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
