"""Copy the rows of the real-mail test set out of the corpus, byte for byte.

``tests/data/realmail/truth-*.tsv`` name the rows (``<corpus path>:<line>``) whose
linked mails were looked up in public raw-mail archives.  This writes
``tests/data/realmail/rows.md``: for each corpus table that holds such rows, its
header and delimiter lines and those rows, exactly as the corpus has them (rows
broken over several lines keep all their lines), under a comment naming the file
and line; and ``rows.tsv``, which maps each row's line in ``rows.md`` back to the
corpus.  Run it from the checkout with ``../shared/corpus`` beside it:

    python scripts/realmail_rows.py [CORPUS]
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from patchcrawl.tables import scan_file

HERE = Path(__file__).resolve().parent.parent / "tests" / "data" / "realmail"


def wanted_rows() -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for path in sorted(HERE.glob("truth-*.tsv")):
        with path.open(encoding="utf-8", newline="") as f:
            for rec in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                file, _, line = rec["row"].rpartition(":")
                out.setdefault(file, set()).add(int(line))
    return out


def main(argv: list[str]) -> int:
    corpus = Path(argv[1] if len(argv) > 1 else HERE.parents[3] / ".." / "shared" / "corpus")
    out: list[bytes] = [
        b"# Rows of the real-mail test set\n\n",
        b"Copied byte for byte from ../shared/corpus (gatieme/LDD-LinuxDeviceDrivers, "
        b"CC BY-NC-SA 4.0) by scripts/realmail_rows.py; rows.tsv maps each row back.\n\n",
    ]
    index: list[tuple[int, str, int]] = []
    for rel, lines in sorted(wanted_rows().items()):
        raw = (corpus / rel).read_bytes()
        text_lines = raw.split(b"\n")
        doc = scan_file(str(corpus / rel))
        for table in doc.tables:
            rows = [r for r in table.rows if r.line in lines]
            if not rows:
                continue
            out.append(f"<!-- {rel}, table at line {table.line} -->\n\n".encode())
            out.append(text_lines[table.line - 1] + b"\n")
            out.append(text_lines[table.line] + b"\n")
            for r in rows:
                at = sum(chunk.count(b"\n") for chunk in out) + 1
                index.append((at, rel, r.line))
                for n in range(r.line, r.end_line + 1):
                    out.append(text_lines[n - 1] + b"\n")
            out.append(b"\n")
    (HERE / "rows.md").write_bytes(b"".join(out))
    with (HERE / "rows.tsv").open("w", encoding="utf-8", newline="") as f:
        f.write("line\tcorpus\n")
        for at, rel, line in index:
            f.write(f"{at}\t{rel}:{line}\n")
    print(f"{len(index)} rows from {len(wanted_rows())} files")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
