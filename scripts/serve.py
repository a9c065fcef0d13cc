"""Start the dashboard's Streamlit server: `python scripts/serve.py [streamlit run options]`.

Streamlit looks once per process for a `pages/` folder beside the main script and, on the
very first script run after the server starts, routes it through its legacy multipage
mode; a deep link such as /unit?unit=26734 then opens under a "Page not found" dialog.
app.py declares its pages with st.navigation, which turns that mode off for later runs;
this launcher turns it off before the first one.

Secure by default: with no sign-in configured - no `[auth]` section in secrets.toml and no
active account in the database (or no database yet) - the app runs as a single-user demo
with full access, so the server is bound to 127.0.0.1. An explicit non-loopback
`--server.address` (or STREAMLIT_SERVER_ADDRESS) is then refused with exit code 2.

Fail closed: that decision is taken here, once, and handed to the app (ui.auth.DEMO_AT_START).
A server that started with sign-in never turns into the demo, even if every account is
disabled later: it then shows a sign-in screen saying an administrator must create one.
"""

from __future__ import annotations

import ipaddress
import os
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
EXIT_REFUSED = 2
METRICS_ENV = "DASHBOARD_METRICS"  # "1": serve Streamlit's /_stcore/metrics (it needs no sign-in)


def _secrets_files() -> list[Path]:
    # Where Streamlit reads secrets.toml: the user's folder and the working directory's.
    return [Path.home() / ".streamlit" / "secrets.toml", Path.cwd() / ".streamlit" / "secrets.toml", ROOT / ".streamlit" / "secrets.toml"]


def oidc_configured() -> bool:
    for path in _secrets_files():
        try:
            with path.open("rb") as handle:
                if tomllib.load(handle).get("auth"):
                    return True
        except (OSError, tomllib.TOMLDecodeError):
            continue
    return False


def accounts_configured() -> bool:
    """An active account exists. No database yet, or one that cannot be read: no."""
    sys.path.insert(0, str(ROOT))
    try:
        from sqlalchemy.engine import make_url

        from data_access.db import database_url, make_engine

        url = database_url()
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and (not parsed.database or not Path(parsed.database).exists()):
            return False
        from data_access.accounts import any_active

        engine = make_engine(url)
        try:
            return any_active(engine)
        finally:
            engine.dispose()
    except Exception:  # noqa: BLE001 - unreachable, not migrated yet...: treat as the demo (localhost only)
        return False


def requested_address(argv: list[str]) -> str | None:
    """The --server.address given on the command line (the last one wins), else the environment's."""
    found = None
    for position, arg in enumerate(argv):
        if arg == "--server.address" and position + 1 < len(argv):
            found = argv[position + 1]
        elif arg.startswith("--server.address="):
            found = arg.split("=", 1)[1]
    return found if found is not None else os.environ.get("STREAMLIT_SERVER_ADDRESS")


def is_loopback(address: str) -> bool:
    if address.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def demo_arguments(argv: list[str]) -> list[str] | None:
    """The arguments for the demo mode (bound to 127.0.0.1), or None when the address asked
    for is not a loopback one."""
    address = requested_address(argv)
    if address is not None and not is_loopback(address):
        return None
    return [*argv, "--server.address", address or "127.0.0.1"]


def trust_proxies() -> None:
    """One list of trusted proxies for the app and for Streamlit's server. uvicorn (under
    Streamlit's server) rewrites the connection's address from X-Forwarded-For, and the scheme
    from X-Forwarded-Proto, for peers in FORWARDED_ALLOW_IPS (its default: 127.0.0.1 and ::1);
    it is set here to DASHBOARD_TRUSTED_PROXIES (same default) so both believe the same proxies,
    and a browser's forged header is believed by neither (domain/client_address.py)."""
    from domain import client_address

    networks, bad = client_address.trusted_proxies(os.environ.get(client_address.ENV))
    if bad:
        print(f"{client_address.ENV}: ignored, neither an address nor a network: {', '.join(bad)}", file=sys.stderr)
    os.environ["FORWARDED_ALLOW_IPS"] = ",".join(str(network) for network in networks)


def customise_server() -> None:
    """Two changes to Streamlit's own HTTP server: the session-cookie routes of local sign-in
    (ui/session_cookie.py), and no /_stcore/metrics, which answers anyone who reaches the
    port, signed in or not, unless an operator sets DASHBOARD_METRICS=1."""
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from streamlit.web.server.starlette import starlette_app, starlette_routes

    async def metrics_off(_request):
        return PlainTextResponse(f"Not found: metrics are off ({METRICS_ENV}=1 turns them on).\n", status_code=404)

    from ui import session_cookie

    original = starlette_app.create_streamlit_routes
    starlette_app.create_streamlit_routes = lambda runtime: [*session_cookie.routes(), *original(runtime)]
    session_cookie.ROUTES_ON = True

    watch_moved_sessions()

    if os.environ.get(METRICS_ENV) != "1":
        # A plain 404, not the app's page that any unknown path gets.
        starlette_app.create_metrics_routes = lambda runtime, base_url: [
            Route(starlette_routes._with_base(starlette_routes.ROUTE_METRICS, base_url), metrics_off)
        ]


def fast_strings() -> None:
    """Text columns held as Python strings, not Arrow arrays: the app's frames are small (units,
    days, fields) and every pandas operation on an Arrow string column paid a pyarrow call;
    a profile under load put a fifth of the server's time there (issue 14). Same `str` dtype
    and missing-value rules, other storage."""
    import pandas as pd

    pd.set_option("mode.string_storage", "python")


def watch_moved_sessions() -> None:
    """A browser that asks to resume a session this process never had (its process stopped
    and the proxy sent it here) gets a new session; ui/reconnect.py tells the user."""
    from streamlit.runtime.websocket_session_manager import WebsocketSessionManager

    from ui import reconnect

    original = WebsocketSessionManager.connect_session

    def connect_session(self, *args, existing_session_id=None, **kwargs):
        session_id = original(self, *args, existing_session_id=existing_session_id, **kwargs)
        if existing_session_id and session_id != existing_session_id and existing_session_id not in self._active_session_info_by_id:
            reconnect.note_moved(session_id)
        return session_id

    WebsocketSessionManager.connect_session = connect_session


def main(argv: list[str]) -> int:
    demo = not (oidc_configured() or accounts_configured())
    if demo:
        arguments = demo_arguments(argv)
        if arguments is None:
            print(
                f"Refused: no sign-in is configured, so the dashboard runs as a single-user demo and listens on "
                f"127.0.0.1 only, not on {requested_address(argv)!r}.\n"
                "To serve it on the network, first create an account (python -m data_access.accounts add USERNAME "
                "--role admin) or configure an identity provider ([auth] in .streamlit/secrets.toml).",
                file=sys.stderr,
            )
            return EXIT_REFUSED
        print("Single-user demo mode (no sign-in configured): listening on 127.0.0.1 only.", file=sys.stderr)
        argv = arguments

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from ui import auth

    auth.DEMO_AT_START = demo  # the app runs in this process and reads it on every run
    trust_proxies()
    fast_strings()

    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli

    PagesManager.uses_pages_directory = False
    customise_server()
    sys.argv = ["streamlit", "run", str(APP), *argv]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
