"""The shopper's session: Flask's signed cookie, with its signer built once instead of per request.

Flask builds the serializer that signs and checks the cookie twice per request (to read the
session, then to write it); on an anonymous visitor's product page, whose first CSRF token
starts a session, that was a tenth of the page's time. The cookie itself is unchanged. It is
written only when the session changes (``SESSION_REFRESH_EACH_REQUEST`` is off in config.py).
"""

from flask.sessions import SecureCookieSessionInterface


class SessionInterface(SecureCookieSessionInterface):
    def get_signing_serializer(self, app):
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        kept = app.extensions.get("session_serializer")
        if kept is None or kept[0] != keys:  # a new key (tests, rotation) gets a new serializer
            kept = app.extensions["session_serializer"] = (keys, super().get_signing_serializer(app))
        return kept[1]
