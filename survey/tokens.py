"""Unguessable tokens for invitation and resume links: 256 bits, only their hash is stored.

A token is found by the SHA-256 of what was presented, so no stored secret is ever compared
character by character; ``matches`` is for the rare direct comparison and is constant-time.
"""

import hashlib
import hmac
import re
import secrets

TOKEN_BYTES = 32
_TOKEN_SHAPE = re.compile(r"[\w-]{20,100}")  # \w: what str.isalnum() accepts, and _


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def matches(token: str, token_hash: str) -> bool:
    return hmac.compare_digest(hash_token(token), token_hash)


def looks_like_token(token: str) -> bool:
    """Cheap shape check before any database look-up (url-safe base64, sensible length)."""
    return _TOKEN_SHAPE.fullmatch(token) is not None
