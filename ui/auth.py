"""Sign-in, and who is looking: the one source of the viewer that every page and loader uses.

Three modes; which one is decided on every run (so adding the first account takes effect at
once), but whether the demo may ever be served is decided once, when the server starts:

* "oidc": `.streamlit/secrets.toml` has an `[auth]` section - sign-in through the identity
  provider with `st.login()`; the identity (`st.user`: email, else preferred_username) is
  matched to an active local account for its role and unit; anyone else is refused.
* "local": the `accounts` table has an active account - a user name and password form;
  argon2id hashes only (data_access.accounts), one generic error message; failures are
  counted per account name and per client address in the database and lock further tries
  for a while (data_access.sign_in_throttle); every sign-in, failure and refusal is in the
  audit log.
* "demo": neither - a single-user demo with full access (the admin role), a visible
  banner, and no sign-out. Only when scripts/serve.py started the server with no sign-in
  configured, and so bound it to loopback (`DEMO_AT_START`). A server that started with
  sign-in fails closed: once every account is disabled it shows a sign-in screen saying an
  administrator must create one ("closed"), never the demo.

The viewer lives in the session (never in the URL); `current_viewer()` reads it.
"""

from __future__ import annotations

import html
import os
from datetime import datetime

import streamlit as st
from sqlalchemy.exc import DBAPIError

from data_access import accounts
from data_access import sign_in_throttle as throttle
from domain import client_address as forwarding
from domain.access import Viewer
from data_access.audit import record_audit
from data_access.db import database_url, is_default_demo, user_facing_error
from ui import session_cookie
from ui.i18n import lang, t
from ui.plain import plain

DEMO_VIEWER = Viewer("demo", "admin", None, "Demo")
NOBODY = Viewer("", "none", None, "")  # owns nothing: what a run without sign-in would read
_VIEWER = "_viewer"
_MODE = "_sign_in_mode"
_USER = "_signed_in_user"
_SIGNED_OUT = "_signed_out"
_REQUESTED = "_requested_path"
# Set by scripts/serve.py before the server starts: True only when no sign-in was configured
# then and the server listens on loopback only. None: not started by the launcher.
DEMO_AT_START: bool | None = None
DEMO_BANNER = ("Chế độ thử nghiệm một người dùng — chỉ mở trên máy này", "Single-user demo mode — open on this computer only")
# What the default demo data covers (demo/model.py: PER_MONTH_SINCE_REFORM, HISTORY_SCALE).
DEMO_DATA_NOTE = (
    "Dữ liệu mẫu mặc định: quy mô thật của TP.HCM từ 7/2025 (khoảng 255.000 hồ sơ/tháng, 168 đơn vị cấp xã); "
    "trước đó theo địa giới cũ và mỏng hơn (khoảng 1/50 số hồ sơ).",
    "Default demo data: Ho Chi Minh City's real scale since July 2025 (about 255,000 dossiers a month, 168 "
    "commune-level units); before that on the former layout and thinner (about 1/50 of the dossiers).",
)


def demo_data_note(url: str, demo_size: str | None) -> tuple[str, str] | None:
    """DEMO_DATA_NOTE where the figures are the default demo's: the embedded demo file
    (ui/setup.py builds it on first start, at DASHBOARD_DEMO_SIZE, "default" when unset).
    Any other database (a city's own, another demo size) gets no note: it would misdescribe it."""
    return DEMO_DATA_NOTE if is_default_demo(url) and (demo_size or "default") == "default" else None


def current_viewer() -> Viewer:
    """The signed-in viewer of this session (NOBODY, who sees nothing, before sign-in)."""
    viewer = st.session_state.get(_VIEWER)
    return viewer if isinstance(viewer, Viewer) else NOBODY


def mode() -> str:
    return st.session_state.get(_MODE, "closed")


def oidc_configured() -> bool:
    try:
        return bool(st.secrets.load_if_toml_exists() and st.secrets.get("auth"))
    except Exception:  # noqa: BLE001 - an unreadable secrets file means no identity provider
        return False


def client_address() -> str | None:
    """The browser's address: the connection's, or behind a trusted proxy
    (DASHBOARD_TRUSTED_PROXIES) the right-most X-Forwarded-For hop that is not itself one
    (domain.client_address). None when unknown: not counted by the sign-in throttle."""
    try:
        peer = st.context.ip_address  # None for 127.0.0.1 and ::1
        forwarded = st.context.headers.get_all("X-Forwarded-For")
    except Exception:  # noqa: BLE001 - no request context: unknown
        return None
    trusted, _bad = forwarding.trusted_proxies(os.environ.get(forwarding.ENV))
    # With no connection (AppTest) there are no headers either: unknown.
    return forwarding.client_address(peer if isinstance(peer, str) else None, forwarded, trusted)


def _db(call, *args):
    """Run an accounts query; a database that cannot be reached becomes DatabaseUnavailable."""
    try:
        return call(*args)
    except DBAPIError as error:
        raise user_facing_error(error) from error


def demo_allowed() -> bool:
    """May this process serve the single-user demo? Decided when the server started (see
    DEMO_AT_START); a server started some other way (plain `streamlit run`) never does. A
    script run with no server at all (AppTest's mock runtime) listens on no network."""
    if DEMO_AT_START is not None:
        return DEMO_AT_START
    from unittest.mock import NonCallableMock

    from streamlit.runtime import Runtime

    return Runtime.exists() and isinstance(Runtime.instance(), NonCallableMock)


def require_viewer() -> Viewer:
    """The viewer of this run. Without one, draws the sign-in screen and stops the run."""
    from ui import data

    engine = data.engine()
    if oidc_configured():
        chosen = "oidc"
    elif _db(accounts.any_active, engine):
        chosen = "local"
    else:
        chosen = "demo" if demo_allowed() else "closed"
    st.session_state[_MODE] = chosen
    if chosen == "demo":
        viewer = DEMO_VIEWER
    elif chosen == "closed":
        st.session_state[_VIEWER] = NOBODY
        _no_account_screen()
        st.stop()
    elif chosen == "local":
        viewer = _local_viewer(engine)
    else:
        viewer = _oidc_viewer(engine)
    st.session_state[_VIEWER] = viewer
    return viewer


# --- local accounts -----------------------------------------------------------------------------


def _cookie() -> str | None:
    try:
        return st.context.cookies.get(session_cookie.COOKIE)
    except Exception:  # noqa: BLE001 - no browser connection (a test run): no cookie
        return None


def _requested_path() -> str:
    """The page and parameters this session was opened with, to return to after sign-in."""
    from urllib.parse import urlencode, urlsplit

    try:
        path = urlsplit(st.context.url or "/").path or "/"
    except Exception:  # noqa: BLE001 - no browser connection
        path = "/"
    query = urlencode([(key, value) for key in st.query_params for value in st.query_params.get_all(key)])
    return session_cookie.safe_next(path + (f"?{query}" if query else ""))


def _go_to(url: str) -> None:
    """Send the browser to another address of this server (a plain link as well, should the
    automatic move be blocked)."""
    st.markdown(f'<meta http-equiv="refresh" content="0; url={html.escape(url, quote=True)}">', unsafe_allow_html=True)
    st.link_button(t("Tiếp tục", "Continue"), url, type="primary")
    st.stop()


def _local_viewer(engine) -> Viewer:
    if st.session_state.get(_SIGNED_OUT):
        if session_cookie.ROUTES_ON and _cookie():
            _go_to(f"{session_cookie.SIGN_OUT_ROUTE}?next=/")  # the browser forgets the cookie too
    else:
        st.session_state.setdefault(_REQUESTED, _requested_path())
    username = st.session_state.get(_USER) or (None if st.session_state.get(_SIGNED_OUT) else session_cookie.signed_in_user(_cookie()))
    if username:
        # Checked on every run: a disabled account or a changed role takes effect at once.
        account = _db(accounts.get, engine, username)
        if account is not None and account.active:
            return account.viewer()
        st.session_state.pop(_USER, None)
    st.session_state[_VIEWER] = NOBODY
    _sign_in_form(engine)
    st.stop()


def _no_account_screen() -> None:
    st.title(t("Đăng nhập", "Sign in"))
    st.warning(
        t(
            "Chưa có tài khoản nào đang hoạt động, nên chưa ai đăng nhập được. Quản trị viên cần tạo tài khoản "
            "trên máy chủ: python -m data_access.accounts add TÊN --role admin",
            "No account is active, so nobody can sign in. An administrator must create one on the server: "
            "python -m data_access.accounts add USERNAME --role admin",
        ),
        icon=":material/lock:",
    )


def _sign_in_form(engine) -> None:
    st.title(t("Đăng nhập", "Sign in"))
    st.caption(t("Bảng điều hành chỉ số phục vụ người dân", "Public service dashboard"))
    with st.form("sign_in", clear_on_submit=True):
        username = st.text_input(t("Tên đăng nhập", "User name"), key="sign_in_user", autocomplete="username", max_chars=100)
        password = st.text_input(
            t("Mật khẩu", "Password"), type="password", key="sign_in_password", autocomplete="current-password", max_chars=accounts.MAX_PASSWORD
        )
        submitted = st.form_submit_button(t("Đăng nhập", "Sign in"), type="primary", key="sign_in_submit", icon=":material/login:")
    if not submitted:
        return
    address = client_address()
    until = _db(throttle.locked_until, engine, username, address)
    if until is not None:
        _db(record_audit, engine, accounts.normalise_username(username), "sign-in-locked", "local", {"address": address, "until": until})
        minutes = max(1, -(-int((until - datetime.now()).total_seconds()) // 60))
        st.error(
            t(
                f"Đã đăng nhập sai quá nhiều lần. Hãy thử lại sau {minutes} phút, hoặc nhờ quản trị viên mở khóa.",
                f"Too many failed sign-ins. Try again in {minutes} min, or ask an administrator to unlock.",
            ),
            icon=":material/lock_clock:",
        )
        return
    account = _db(accounts.authenticate, engine, username, password)
    if account is None:
        _db(throttle.record_failure, engine, username, address)
        _db(record_audit, engine, accounts.normalise_username(username), "sign-in-failed", "local", {"address": address})
        st.error(t("Tên đăng nhập hoặc mật khẩu không đúng.", "Wrong user name or password."), icon=":material/lock:")
        return
    _db(throttle.record_success, engine, account.username)
    _db(record_audit, engine, account.username, "sign-in", "local", {"address": address})
    st.session_state[_USER] = account.username
    st.session_state.pop(_SIGNED_OUT, None)
    if session_cookie.ROUTES_ON:  # the cookie that keeps the sign-in over reloads and new tabs
        ticket = session_cookie.issue_ticket(account.username, st.session_state.get(_REQUESTED, "/"))
        _go_to(f"{session_cookie.SESSION_ROUTE}?ticket={ticket}")
    st.rerun()


def _sign_out() -> None:
    for key in (_USER, _VIEWER):
        st.session_state.pop(key, None)
    st.session_state[_SIGNED_OUT] = True


# --- the identity provider (OpenID Connect) -------------------------------------------------------


def _provider() -> str | None:
    """None when [auth] itself holds the provider's settings, else the first [auth.NAME]."""
    section = st.secrets.get("auth") or {}
    if "client_id" in section:
        return None
    named = [name for name, value in section.items() if hasattr(value, "keys")]
    return named[0] if named else None


def _login() -> None:
    st.login(_provider())


def _oidc_viewer(engine) -> Viewer:
    st.session_state[_VIEWER] = NOBODY
    if not st.user.is_logged_in:
        from streamlit.auth_util import is_authlib_installed

        st.title(t("Đăng nhập", "Sign in"))
        if not is_authlib_installed():
            st.error(
                t(
                    'Đã cấu hình đăng nhập qua nhà cung cấp định danh nhưng máy chủ thiếu gói Authlib (pip install "Authlib>=1.3.2").',
                    'Sign-in through the identity provider is configured, but the server lacks the Authlib package (pip install "Authlib>=1.3.2").',
                ),
                icon=":material/error:",
            )
            st.stop()
        st.button(t("Đăng nhập bằng tài khoản cơ quan", "Sign in with your organisation account"), on_click=_login, type="primary", icon=":material/login:")
        st.stop()
    email = st.user.get("email")
    verified = st.user.get("email_verified")
    # An email the provider says is not verified is not matched; some providers send the claim as text.
    unverified = verified is False or (isinstance(verified, str) and verified.strip().lower() == "false")
    account = _db(accounts.find_by_identity, engine, None if unverified else email, st.user.get("preferred_username"))
    if account is None:
        shown = str(email or st.user.get("preferred_username") or "?")[:100]
        st.title(t("Chưa được cấp quyền", "Not authorised"))
        st.error(
            t(
                f"Tài khoản {plain(shown)} chưa được cấp quyền xem bảng điều hành. Liên hệ quản trị viên để được tạo tài khoản.",
                f"The account {plain(shown)} may not use this dashboard. Ask an administrator for an account.",
            ),
            icon=":material/block:",
        )
        st.button(t("Đăng xuất", "Sign out"), on_click=st.logout, icon=":material/logout:")
        st.stop()
    return account.viewer()


# --- the sidebar ----------------------------------------------------------------------------------


def sidebar(viewer: Viewer, unit_names: dict | None = None) -> None:
    """Who is signed in and the sign-out button; in demo mode the demo banner instead."""
    if mode() == "demo":
        st.sidebar.info(t(*DEMO_BANNER), icon=":material/science:")
        note = demo_data_note(database_url(), os.environ.get("DASHBOARD_DEMO_SIZE"))
        if note:
            st.sidebar.caption(t(*note))
        return
    unit = f" · {unit_names.get(viewer.unit_code, viewer.unit_code)}" if viewer.unit_code and unit_names else ""
    st.sidebar.caption(f":material/person: **{plain(viewer.display_name or viewer.username)}** · {viewer.role_label(lang())}{plain(unit)}")
    on_click = st.logout if mode() == "oidc" else _sign_out
    st.sidebar.button(t("Đăng xuất", "Sign out"), on_click=on_click, key="sign_out", icon=":material/logout:")
