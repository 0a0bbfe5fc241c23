"""A simulated lore.kernel.org / patchwork / LWN web on 127.0.0.1 for tests and benchmarks.

``server.KernelWeb`` is a real HTTP server (faults, latency, request log);
``world.World`` is the set of series, messages and articles it knows about;
``sites.make_handler(world)`` renders pages shaped like the real sites.
"""
