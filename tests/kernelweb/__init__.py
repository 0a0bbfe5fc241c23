"""Test-only worlds on top of :mod:`patchcrawl.testweb` (the simulated web itself,
shipped with patchcrawl): ``scenarios`` (every odd case the resolver must get
right) and ``realmail`` (the real-mail test set of ``tests/data/realmail``)."""
