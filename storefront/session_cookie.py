"""The shopper's session: Flask's signed cookie, checked once per process rather than per request.

Flask builds the serializer that signs and checks the cookie twice per request (to read the
session, then to write it), and checks the cookie's signature on every request. Here the
serializer is built once, and a cookie value this process has already checked is not checked
again: the same bytes under the same key give the same answer. Its age still is checked every
time, so a session expires exactly as Flask's does. Only sessions of plain values (the cart and
CSRF tokens) are remembered; one holding a list (flash messages) is short-lived and may be changed
in place, so it is read afresh. The cookie itself is unchanged, and it is written only when the
session changes (``SESSION_REFRESH_EACH_REQUEST`` is off in config.py). Saving the session does
what Flask's does, with less bookkeeping (``save_session``).
"""

import hashlib
import time

from flask.sessions import SecureCookieSessionInterface
from itsdangerous import SignatureExpired, URLSafeTimedSerializer

from .browser_cache import add_vary

MAX_REMEMBERED = 8192  # cookie values; past that, start again (no LRU bookkeeping)
PLAIN = (str, int, float, bool, type(None))


class SessionInterface(SecureCookieSessionInterface):
    digest_method = staticmethod(hashlib.sha1)  # Flask's own digest, by OpenSSL's constructor: C HMAC

    def open_session(self, app, request):
        if app.secret_key and self.get_cookie_name(app) not in request.cookies:
            # A first visit. Flask would look the cookie up with ``.get``, whose miss raises and
            # catches a werkzeug HTTPException: a tenth of a kept page.
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        """Flask's, with the Vary header written once instead of parsed twice, and the cookie's
        settings read only when there is a cookie to write (most requests change nothing)."""
        if session.accessed:
            add_vary(response, "Cookie")
        if not session:
            if session.modified:  # emptied: Flask deletes the cookie
                super().save_session(app, session, response)
            return
        if not self.should_set_cookie(app, session):
            return
        response.set_cookie(
            self.get_cookie_name(app),
            self.get_signing_serializer(app).dumps(dict(session)),
            expires=self.get_expiration_time(app, session),
            httponly=self.get_cookie_httponly(app),
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
            secure=self.get_cookie_secure(app),
            partitioned=self.get_cookie_partitioned(app),
            samesite=self.get_cookie_samesite(app),
        )

    def get_signing_serializer(self, app):
        if not app.secret_key:
            return None
        keys = [*(app.config.get("SECRET_KEY_FALLBACKS") or ()), app.secret_key]  # as Flask: current key last
        kept = app.extensions.get("session_serializer")
        if kept is None or kept[0] != keys:  # a new key (tests, rotation) gets a new serializer
            serializer = CheckedOnceSerializer(
                keys,
                salt=self.salt,
                serializer=self.serializer,
                signer_kwargs={"key_derivation": self.key_derivation, "digest_method": self.digest_method},
            )
            kept = app.extensions["session_serializer"] = (keys, serializer)
        return kept[1]


class CheckedOnceSerializer(URLSafeTimedSerializer):
    """Flask's cookie serializer, whose ``loads`` remembers the cookies whose signature it checked."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.checked: dict[str, tuple[dict, int]] = {}  # cookie value -> (session, signed at)

    def loads(self, s, max_age=None, return_timestamp=False, salt=None):
        remembered = self.checked.get(s) if not return_timestamp and salt is None else None
        if remembered is None:
            return self._check(s, max_age, return_timestamp, salt)
        session, signed_at = remembered
        if max_age is not None:
            age = int(time.time()) - signed_at
            if age > max_age or age < 0:  # as itsdangerous says it
                raise SignatureExpired(f"Signature age {age} outside 0 to {max_age} seconds")
        return session

    def _check(self, s, max_age, return_timestamp, salt):
        session, signed_at = super().loads(s, max_age=max_age, return_timestamp=True, salt=salt)
        if salt is None and isinstance(session, dict) and all(isinstance(v, PLAIN) for v in session.values()):
            if len(self.checked) >= MAX_REMEMBERED:
                self.checked.clear()
            self.checked[s if isinstance(s, str) else s.decode()] = (session, int(signed_at.timestamp()))
        return (session, signed_at) if return_timestamp else session
