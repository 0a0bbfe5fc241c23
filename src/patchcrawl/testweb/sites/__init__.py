"""Page renderers shaped like the real sites, dispatched by ``WebRequest.host``.

``make_handler(world)`` returns the ``Handler`` the test server calls.  Every
simulated host that is not lore, patchwork, LWN, cgit, lkml.org or one of the
msgid redirectors gets a generic page (``world.generic`` can override it).
Redirect ``Location`` headers are in the original space (absolute
``https://lore.kernel.org/...`` or host-relative ``/all/...``).
"""

from __future__ import annotations

from patchcrawl.testweb.http import Handler, WebRequest, WebResponse
from patchcrawl.testweb.sites import common, lore, lwn, misc, patchwork
from patchcrawl.testweb.world import World

PATCHWORK_HOSTS = ("patchwork.kernel.org", "patches.linaro.org", "patchwork.ozlabs.org")


def make_handler(world: World) -> Handler:
    def handle(req: WebRequest) -> WebResponse:
        host = req.host.lower()
        mode = world.challenge_hosts.get(host)
        if mode:
            return common.challenge(mode)
        if host == "lore.kernel.org":
            return lore.handle(world, req)
        if host in PATCHWORK_HOSTS:
            return patchwork.handle(world, req)
        if host in ("lwn.net", "www.lwn.net"):
            return lwn.handle(world, req)
        return misc.handle(world, req)

    return handle


__all__ = ["PATCHWORK_HOSTS", "make_handler"]
