"""K1: which login a request comes with (the unit a verification is for)."""

from __future__ import annotations

import hashlib


def login_key(request) -> str:
    """``token:<digest>`` for a django-rest-knox token (its digest is the
    token's primary key), else ``session:<sha256 of the session key>`` for a
    browser session (admin, or the API with session authentication). A session
    without a key yet is given one, so the verification has something to hold."""
    digest = getattr(getattr(request, "auth", None), "digest", None)
    if digest:
        return f"token:{digest}"
    session = request.session
    if not session.session_key:
        session["k1_login"] = True  # not empty, so the session cookie is sent back
        session.save()
    return "session:" + hashlib.sha256(session.session_key.encode()).hexdigest()
