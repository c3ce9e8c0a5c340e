"""GZipMiddleware for every route except those that serve bytes gzipped once, when published.

Starlette's middleware compresses each response again (level 9, ~55 ms of CPU for a busy
display's manifest) and takes ``gzip;q=0`` for a yes; the manifest route chooses between
its stored plain and gzipped bytes itself (``scheduler.precompressed``).
"""

from __future__ import annotations

from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

#: Routes whose responses are already compressed (or chosen) by the route itself.
PRECOMPRESSED_PATHS = frozenset({"/api/v1/player/manifest"})


class GZipExceptPrecompressed(GZipMiddleware):
    def __init__(
        self, app: ASGIApp, minimum_size: int = 500, compresslevel: int = 9, skip_paths: frozenset[str] = frozenset()
    ) -> None:
        super().__init__(app, minimum_size=minimum_size, compresslevel=compresslevel)
        self.skip_paths = skip_paths or PRECOMPRESSED_PATHS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in self.skip_paths:
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
