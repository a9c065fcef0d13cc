"""A local-account sign-in that lasts: a signed, expiring, HttpOnly session cookie.

Streamlit's script cannot set a cookie (it talks to the browser over a WebSocket), and a
cookie set by JavaScript could be read by JavaScript. So scripts/serve.py adds two small
HTTP routes to Streamlit's own server (Starlette):

* /_dashboard/session?ticket=T - after a successful sign-in the page sends the browser
  here with a one-time ticket (random, 60 s, single use, kept in this process); the route
  sets the cookie `dashboard_session` (HttpOnly, SameSite=Lax, Secure over https, 8 hours
  by default: DASHBOARD_SESSION_HOURS) and sends the browser back to the page it asked for,
  with its parameters.
* /_dashboard/sign-out?next=P - clears the cookie.

The cookie holds the user name, its expiry and an HMAC-SHA256 of both under a secret:
DASHBOARD_SESSION_SECRET (set it when several app processes serve the same users), else
one made at random when the server starts (a restart then signs everyone out). The app
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
_tickets: dict[str, tuple[str, str, float]] = {}
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


def issue_ticket(username: str, next_path: str) -> str:
    ticket = secrets.token_urlsafe(32)
    with _lock:
        now = time.time()
        for old in [k for k, (_u, _n, expires) in _tickets.items() if expires < now]:
            _tickets.pop(old, None)
        _tickets[ticket] = (username, safe_next(next_path), now + TICKET_SECONDS)
    return ticket


def redeem_ticket(ticket: str | None) -> tuple[str, str] | None:
    with _lock:
        found = _tickets.pop(ticket or "", None)
    if found is None or found[2] < time.time():
        return None
    return found[0], found[1]


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
        response.set_cookie(COOKIE, cookie_value(username), max_age=lifetime_seconds(), path="/", httponly=True,
                            samesite="lax", secure=request.url.scheme == "https")
        response.headers["Cache-Control"] = "no-store"
        return response

    async def sign_out(request):
        response = RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")
        return response

    return [Route(SESSION_ROUTE, session), Route(SIGN_OUT_ROUTE, sign_out)]
