"""HEAD wherever GET is served: the GET answer, status and headers, without its body.

FastAPI's routes serve exactly the methods they declare, so HEAD on a GET route would
answer 405. Declaring HEAD on every GET route would also put a second operation per
path in the OpenAPI document; HEAD is a property of GET (RFC 9110, 9.3.2), so it is
served here, once, for every route.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGetMiddleware:
    """Routes a HEAD request as GET and drops the body of the answer. The headers stay
    those of the GET answer, Content-Length included (the size the body would have)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        # A copy: the server and the outer middleware keep seeing HEAD (the server then
        # writes no body either; the access log and the metrics say HEAD).
        as_get = {**scope, "method": "GET"}

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return  # a chunk of a streamed body: nothing to send
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        try:
            await self.app(as_get, receive, without_body)
        finally:
            if "route" in as_get:  # the matched route labels the latency metric
                scope["route"] = as_get["route"]
