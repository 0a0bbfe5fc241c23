"""``python -m patchcrawl``: the same as the ``patchcrawl`` command."""

from patchcrawl.cli import main

if __name__ == "__main__":
    main()
