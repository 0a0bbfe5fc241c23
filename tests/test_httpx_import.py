"""httpx is imported without its command-line module (``patchcrawl.fetch._httpx``),
and an httpx that needs that module after all is still imported whole."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _child(code: str, path: Path | None = None) -> str:
    env = dict(os.environ)
    if path is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(path), env.get("PYTHONPATH", "")])
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_the_fetcher_imports_httpx_without_its_command_line_tool() -> None:
    out = _child(
        "import sys\n"
        "from patchcrawl.fetch import client\n"
        "import httpx\n"
        "assert 'httpx._main' not in sys.modules, 'marker left behind'\n"
        "assert 'rich' not in sys.modules and 'pygments' not in sys.modules\n"
        "assert httpx.URL('https://lore.kernel.org/all/x/').host == 'lore.kernel.org'\n"
        "assert callable(httpx.main)\n"
        "print('ok')\n"
    )
    assert out == "ok"


def test_a_program_that_imported_httpx_first_keeps_it() -> None:
    out = _child(
        "import sys, httpx\n"
        "assert 'httpx._main' in sys.modules\n"
        "from patchcrawl.fetch._httpx import httpx as same\n"
        "assert same is httpx and sys.modules['httpx._main'] is not None\n"
        "print('ok')\n"
    )
    assert out == "ok"


def test_an_httpx_that_needs_its_main_module_is_imported_all_the_same(tmp_path: Path) -> None:
    pkg = tmp_path / "httpx"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("from ._main import main\nVERSION = 'fake'\n")
    (pkg / "_main.py").write_text("def main() -> None:\n    pass\n")
    out = _child(
        "import sys\n"
        "from patchcrawl.fetch._httpx import httpx\n"
        "assert httpx.VERSION == 'fake' and callable(httpx.main)\n"
        "assert sys.modules['httpx._main'] is not None\n"
        "print('ok')\n",
        tmp_path,
    )
    assert out == "ok"
