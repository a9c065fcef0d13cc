"""A local-account sign-in that lasts: a signed, expiring, HttpOnly session cookie.

Streamlit's script cannot set a cookie (it talks to the browser over a WebSocket), and a
cookie set by JavaScript could be read by JavaScript. So scripts/serve.py adds two small
HTTP routes to Streamlit's own server (Starlette):

* /_dashboard/session?ticket=T - after a successful sign-in the page sends the browser
  here with a one-time ticket (60 s, signed like the cookie and self-contained, so any app
  process behind the proxy can redeem it; single use in the process that redeems it, and
  the proxy sends the browser back to the process that issued it); the route
  sets the cookie `dashboard_session` (HttpOnly, SameSite=Lax, Secure over https, 8 hours
  by default: DASHBOARD_SESSION_HOURS) and sends the browser back to the page it asked for,
  with its parameters.
* /_dashboard/sign-out?next=P - clears the cookie.

The cookie holds the user name, its expiry and an HMAC-SHA256 of both under a secret:
DASHBOARD_SESSION_SECRET (set it when several app processes serve the same users:
`scripts/run.sh --workers N` makes one for them), else one made at random when the server
starts (a restart then signs everyone out). Nothing of a sign-in lives in one process's
memory but the list of tickets already redeemed there. The app
reads it with st.context.cookies on every run and still checks that the account is active.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
import time
from urllib.parse import urlsplit

COOKIE = "dashboard_session"
SESSION_ROUTE = "/_dashboard/session"
SIGN_OUT_ROUTE = "/_dashboard/sign-out"
SECRET_ENV, HOURS_ENV = "DASHBOARD_SESSION_SECRET", "DASHBOARD_SESSION_HOURS"
TICKET_SECONDS = 60

ROUTES_ON = False  # set by scripts/serve.py once the routes are part of the server
_SECRET = (os.environ.get(SECRET_ENV) or secrets.token_hex(32)).encode()
_redeemed: dict[str, float] = {}  # ticket -> its expiry: a ticket works once per process
_lock = threading.Lock()


def lifetime_seconds() -> int:
    return int(float(os.environ.get(HOURS_ENV) or 8) * 3600)


def _signature(payload: str) -> str:
    digest = hmac.new(_SECRET, payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def cookie_value(username: str, now: float | None = None) -> str:
    payload = f"{username}|{int((now or time.time()) + lifetime_seconds())}"
    return f"{payload}|{_signature(payload)}"


def signed_in_user(value: str | None, now: float | None = None) -> str | None:
    """The user name a valid, unexpired cookie value names, else None."""
    try:
        username, expires, signature = (value or "").split("|")
        if not hmac.compare_digest(signature, _signature(f"{username}|{expires}")):
            return None
        return username if int(expires) > (now or time.time()) else None
    except ValueError:
        return None


def safe_next(path: str | None) -> str:
    """A path on this site only (never //other.host or http://...): else the overview."""
    parts = urlsplit(path or "/")
    if parts.scheme or parts.netloc or not (path or "/").startswith("/") or (path or "").startswith("//") or "\\" in (path or ""):
        return "/"
    return path or "/"


def _encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(text: str) -> str:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()


def issue_ticket(username: str, next_path: str, now: float | None = None) -> str:
    """A signed ticket naming the user, the page to go back to and its expiry, with a random
    part so that no two are alike."""
    payload = f"{_encode(username)}.{_encode(safe_next(next_path))}.{int((now or time.time()) + TICKET_SECONDS)}.{secrets.token_urlsafe(12)}"
    return f"{payload}.{_signature(payload)}"


def redeem_ticket(ticket: str | None, now: float | None = None) -> tuple[str, str] | None:
    now = now or time.time()
    try:
        user_part, next_part, expires, nonce, signature = (ticket or "").split(".")
        payload = f"{user_part}.{next_part}.{expires}.{nonce}"
        if not hmac.compare_digest(signature, _signature(payload)) or int(expires) < now:
            return None
        username, next_path = _decode(user_part), safe_next(_decode(next_part))
    except (ValueError, UnicodeDecodeError):
        return None
    with _lock:
        for old in [k for k, expiry in _redeemed.items() if expiry < now]:
            _redeemed.pop(old, None)
        if ticket in _redeemed:
            return None
        _redeemed[ticket] = int(expires)
    return username, next_path


def routes() -> list:
    """The two Starlette routes (scripts/serve.py adds them to Streamlit's server)."""
    from starlette.responses import RedirectResponse
    from starlette.routing import Route

    async def session(request):
        redeemed = redeem_ticket(request.query_params.get("ticket"))
        if redeemed is None:
            return RedirectResponse("/", status_code=303)
        username, next_path = redeemed
        response = RedirectResponse(next_path, status_code=303)
        response.set_cookie(
            COOKIE, cookie_value(username), max_age=lifetime_seconds(), path="/", httponly=True, samesite="lax", secure=request.url.scheme == "https"
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    async def sign_out(request):
        response = RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")
        return response

    return [Route(SESSION_ROUTE, session), Route(SIGN_OUT_ROUTE, sign_out)]
