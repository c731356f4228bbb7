"""The stand-in core's signing key: one RSA key, persisted as PEM, published as a JWKS.

The SuperTokens SDK picks the verification key by the token header's ``kid`` and
treats a ``kid`` starting with ``d-`` as a *dynamic* signing key, which is what a
session recipe with the default ``use_dynamic_access_token_signing_key=True``
expects. The ``kid`` is derived from the public key, so a key file always
publishes the same ``kid`` and a second key never collides with the first.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KEY_BITS = 2048


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def kid_for(public_key: rsa.RSAPublicKey) -> str:
    """``d-`` and 16 hex digits of the SHA-256 of the public key (SubjectPublicKeyInfo DER)."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "d-" + hashlib.sha256(der).hexdigest()[:16]


@dataclass(frozen=True)
class StubKey:
    """An RSA private key and the ``kid`` it is published under."""

    private_key: rsa.RSAPrivateKey = field(repr=False)
    kid: str

    @classmethod
    def generate(cls) -> StubKey:
        """A fresh in-memory key (tests use one to forge tokens the core never signed)."""
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
        return cls(private_key, kid_for(private_key.public_key()))

    @property
    def private_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def jwk(self) -> dict[str, Any]:
        numbers = self.private_key.public_key().public_numbers()
        return {
            "kty": "RSA",
            "kid": self.kid,
            "n": _b64url_uint(numbers.n),
            "e": _b64url_uint(numbers.e),
            "alg": "RS256",
            "use": "sig",
        }

    def jwks(self) -> dict[str, Any]:
        """The body of the core's ``GET /.well-known/jwks.json``."""
        return {"keys": [self.jwk()]}


def load_or_create_key(path: Path) -> StubKey:
    """Load the PEM private key at ``path``; create it (and its parent dirs) if missing."""
    path = Path(path)
    if path.exists():
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(loaded, rsa.RSAPrivateKey):
            raise ValueError(f"{path} does not hold an RSA private key")
        return StubKey(loaded, kid_for(loaded.public_key()))
    key = StubKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written to a temporary file first and created owner-only: a private key is never
    # world-readable, and a crash mid-write never leaves a truncated PEM behind.
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key.private_pem)
    os.replace(tmp, path)
    return key
