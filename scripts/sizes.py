"""How knotted is the code: the longest functions, the largest modules (issue #19).

    python scripts/sizes.py [--top 10] [--over 60] [--files-over 600] [paths...]

Counts the lines of each function and method (from its ``def`` to its last line,
docstring and comments included, nested functions counted in their parent too) and
of each module under ``src/patchcrawl`` (the test web included), and prints the
``--top`` longest functions, the modules over ``--files-over`` lines and how many
functions are over ``--over`` lines. Counts, not judgement: the closing notes of
#19 quote them before and after.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def functions(path: Path) -> Iterator[tuple[str, int]]:
    """(qualified name, lines) of every function in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))

    def walk(node: ast.AST, prefix: str) -> Iterator[tuple[str, int]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{child.name}"
                yield name, (child.end_lineno or child.lineno) - child.lineno + 1
                yield from walk(child, f"{name}.")
            elif isinstance(child, ast.ClassDef):
                yield from walk(child, f"{prefix}{child.name}.")

    yield from walk(tree, "")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="*", default=[str(ROOT / "src" / "patchcrawl")])
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--over", type=int, default=60)
    ap.add_argument("--files-over", type=int, default=600)
    ns = ap.parse_args(argv)
    files = sorted(p for root in ns.paths for p in Path(root).rglob("*.py"))
    fns: list[tuple[int, str]] = []
    sizes: list[tuple[int, str]] = []
    for path in files:
        rel = path.relative_to(ROOT / "src") if path.is_relative_to(ROOT / "src") else path
        sizes.append((len(path.read_text(encoding="utf-8").splitlines()), str(rel)))
        fns.extend((n, f"{rel}:{name}") for name, n in functions(path))
    fns.sort(reverse=True)
    print(f"{len(fns)} functions in {len(files)} modules")
    print(f"\nthe {ns.top} longest functions (lines):")
    for n, name in fns[: ns.top]:
        print(f"  {n:5d}  {name}")
    over = [x for x in fns if x[0] > ns.over]
    print(f"\nfunctions over {ns.over} lines: {len(over)}")
    big = sorted((x for x in sizes if x[0] > ns.files_over), reverse=True)
    print(f"\nmodules over {ns.files_over} lines: {len(big)}")
    for n, name in big:
        print(f"  {n:5d}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
