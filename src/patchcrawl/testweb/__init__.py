"""A simulated lore.kernel.org / patchwork / LWN web on 127.0.0.1.

It ships with patchcrawl so that ``patchcrawl demo`` works on an installed copy with
no internet, and the tests and benchmarks use the same code:

``server.KernelWeb`` is a real HTTP server (faults, latency, request log);
``world.World`` is the set of series, messages and articles it knows about;
``sites.make_handler(world)`` renders pages shaped like the real sites;
``corpus_world`` builds a world from what scanned documents claim, and
``planted`` is ``planted.md`` (one defect per row) with the world that goes with it.

Nothing here is imported by a ``verify``, ``enrich`` or ``scan`` run.
"""
