"""A stand-in identity provider for tests: keys generated here, their public halves served
as a JWKS by a tiny HTTP server on 127.0.0.1, and access tokens signed with them."""

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

ISSUER = "https://idp.test/realms/tickets"
AUDIENCE = "tickets-api"


@dataclass
class SigningKey:
    kid: str
    algorithm: str
    private: Any

    @classmethod
    def rsa(cls, kid: str) -> "SigningKey":
        return cls(kid, "RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048))

    @classmethod
    def ec(cls, kid: str) -> "SigningKey":
        return cls(kid, "ES256", ec.generate_private_key(ec.SECP256R1()))

    def jwk(self) -> dict[str, Any]:
        codec = RSAAlgorithm if self.algorithm == "RS256" else ECAlgorithm
        public: dict[str, Any] = codec.to_jwk(self.private.public_key(), as_dict=True)
        return {**public, "kid": self.kid, "use": "sig", "alg": self.algorithm}

    def sign(self, claims: dict[str, Any], **header: Any) -> str:
        return jwt.encode(
            claims, self.private, algorithm=self.algorithm, headers={"kid": self.kid, **header}
        )


@dataclass
class IdentityProvider:
    url: str
    keys: list[SigningKey] = field(default_factory=list)
    fetches: int = 0
    mode: str = "ok"
    """How the JWKS URL answers: ok; error (HTTP 500); not-json (200, HTML); hold (waits
    for ``release`` before answering); drip (one byte of the answer per 0.1 s until
    ``release``)."""
    holding: threading.Event = field(default_factory=threading.Event)
    """Set once a request is being held or dripped."""
    release: threading.Event = field(default_factory=threading.Event)


def access_claims(subject: str = "u-1", **changes: Any) -> dict[str, Any]:
    """A Keycloak-shaped access token's claims (roles under realm_access.roles)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": subject,
        "preferred_username": f"user-{subject}",
        "realm_access": {"roles": ["offline_access", "approver"]},
        "iat": now,
        "exp": now + 300,
        "iss": ISSUER,
        "aud": AUDIENCE,
    }
    claims.update(changes)
    return claims


@contextmanager
def serving_jwks(*keys: SigningKey) -> Iterator[IdentityProvider]:
    """Serve the public keys of ``provider.keys`` (changeable while running) as a JWKS."""
    provider = IdentityProvider("", list(keys))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with contextlib.suppress(OSError):  # the client gave up (a deadline), as it should
                self._answer()

        def _answer(self) -> None:
            provider.fetches += 1
            mode = provider.mode
            if mode == "error":
                self.send_error(500)
                return
            body = json.dumps({"keys": [k.jwk() for k in provider.keys]}).encode()
            if mode == "not-json":
                body = b"<html>maintenance</html>"
            if mode == "hold":
                provider.holding.set()
                provider.release.wait(60)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if mode == "drip":
                provider.holding.set()
                for byte in body:
                    if provider.release.wait(0.1):
                        return
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                return
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    provider.url = f"http://127.0.0.1:{server.server_address[1]}/certs"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        provider.release.set()  # a held or dripping answer ends, so its thread does
        server.shutdown()
        server.server_close()
        thread.join()
