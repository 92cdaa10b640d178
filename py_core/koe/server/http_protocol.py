"""uvicorn's HTTP/1.1 protocol, with its own 400 answer in the error envelope.

Requests that are not valid HTTP (a broken request line, bad header bytes,
headers over h11's size limit) never reach the app: uvicorn answers them itself
with a plain-text ``Invalid HTTP request received.``. uvicorn lets a server pick
its protocol class (``uvicorn.Config(http=...)``), so this subclass of the h11
protocol sends the same 400 as JSON in OpenAI's envelope, like every other
error of this server. (No request id: there is no request to tag.)
"""

from __future__ import annotations

import json

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from .errors import envelope

MESSAGE = "The request is not valid HTTP/1.1 (malformed request line or headers)."


class KoeH11Protocol(H11Protocol):
    def send_400_response(self, msg: str) -> None:
        body = json.dumps(envelope(MESSAGE, type="invalid_request_error", code="invalid_http")).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                   (b"connection", b"close")]
        try:
            for event in (h11.Response(status_code=400, headers=headers, reason=b"Bad Request"), h11.Data(data=body),
                          h11.EndOfMessage()):
                self.transport.write(self.conn.send(event))
        except h11.LocalProtocolError:  # a response had already begun: nothing more can be said
            pass
        self.transport.close()
