"""``python -m patchcrawl``: the same as the ``patchcrawl`` command."""

from patchcrawl.cli import console

if __name__ == "__main__":
    console()
