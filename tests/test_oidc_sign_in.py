"""Sign-in through OpenID Connect, end to end, with no internet: the real app (`st.login`,
configured by an `[auth]` section in a secrets file) against a real OpenID provider
(`oidc-provider-mock`, a Flask server on 127.0.0.1 in a thread of this process), driven by
Debian's Chromium.

The flow is the one a person goes through: the sign-in button, the provider's authorization
form (the mock asks for a subject, `sub`; its claims - email, email_verified, name - are
registered with the provider when it starts), back to the dashboard. The app then matches the
identity's email to a local account (data_access.accounts) and enforces its scope.

The app runs on a copy of the small demo database (accounts are added to it) and reads its
secrets from a file in a temporary folder (`--secrets.files`), so neither the session's demo
database nor the repository's .streamlit/ is touched. The redirect URI in that file says
`{port}`, which Streamlit replaces with the port it listens on.

Every browser request to a host other than 127.0.0.1 is aborted and recorded; only the mock
provider's own pages ask for one (a stylesheet on a CDN), and the form works without it.
"""

from __future__ import annotations

import secrets
import threading
from urllib.parse import urlparse

import pytest

from data_access import accounts
from data_access.db import make_engine
from tests.support import copy_sqlite, missing_tool
from tests.support.app_server import REPO_ROOT, StreamlitServer
from tests.support.browser import wait_for_app
from playwright.sync_api import expect

DISTRICT = "760"  # Quận 1
CHAIR_NAME = "Nguyễn Thị Lan"
CHAIR_EMAIL = "lan.nt@quan1.tphcm.gov.vn"
# The identities the provider knows: sub -> claims (the scopes Streamlit asks for are
# "openid email profile", so these all reach the ID token).
IDENTITIES = {
    "chair-q1": {"email": "Lan.NT@Quan1.TPHCM.gov.vn", "email_verified": True, "name": "Lan N. T."},  # the account's email, other case
    "stranger": {"email": "khach@example.org", "email_verified": True, "name": "Khách"},
    "unverified": {"email": CHAIR_EMAIL, "email_verified": False, "name": "Not Lan"},  # claims the chair's email, unverified
    "unverified-text": {"email": CHAIR_EMAIL, "email_verified": "false", "name": "Not Lan"},  # the same, as some providers spell it
}
SIGN_IN = "Đăng nhập bằng tài khoản cơ quan"
SIGN_OUT = "Đăng xuất"
REFUSED = "Chưa được cấp quyền"
DATA = "[data-testid='stMetric'], [data-testid='stDataFrame'], .js-plotly-plot, [data-testid='stSidebarNav']"


# --- the identity provider, the app and its database --------------------------------------------


@pytest.fixture(scope="module")
def provider():
    """oidc-provider-mock on 127.0.0.1 and a free port; yields its base URL."""
    try:
        import oidc_provider_mock
    except ImportError:
        missing_tool("Python package oidc-provider-mock not installed (requirements-dev.txt)")
    from werkzeug.serving import make_server

    wsgi = oidc_provider_mock.app(
        require_nonce=True,  # Streamlit (Authlib) sends one: make the provider insist on it
        user_claims=[oidc_provider_mock.User(sub=sub, claims=claims) for sub, claims in IDENTITIES.items()],
    )
    server = make_server("127.0.0.1", 0, wsgi, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope="module")
def oidc_db(demo_db_url, tmp_path_factory):
    """A copy of the demo database with an identity-provider-only leader of the area of the
    former Quận 1 (its chair before July 2025); yields (url, a ward of today in that area,
    one outside it)."""
    url = copy_sqlite(demo_db_url, tmp_path_factory.mktemp("oidc") / "oidc.sqlite")
    engine = make_engine(url)
    try:
        accounts.add(engine, "lan.q1", "area_leader", None, unit_code=DISTRICT, display_name=CHAIR_NAME, email=CHAIR_EMAIL)
        from data_access.queries import load_lineage, load_units
        from domain.units import area_members

        units = load_units(engine)
        today = units[units["valid_to"].isna()]["code"]
        members = area_members(units, load_lineage(engine), today)
    finally:
        engine.dispose()
    own_ward = members[DISTRICT][0]
    other_ward = members["74"][0]  # a ward of today that came from the former Bình Dương
    return url, own_ward, other_ward


@pytest.fixture(scope="module")
def oidc_app(provider, oidc_db, tmp_path_factory):
    """The real app (scripts/serve.py app.py) with `[auth]` pointing at the mock provider."""
    server = StreamlitServer(REPO_ROOT / "app.py", **_app_settings(provider, oidc_db, tmp_path_factory.mktemp("oidc-secrets")))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _app_settings(provider: str, oidc_db, folder, name: str | None = None) -> dict:
    """StreamlitServer settings: the database copy, and a secrets file in `folder` with the
    provider's settings in [auth] itself, or (`name`) in an [auth.NAME] section of their own."""
    shared = f'[auth]\nredirect_uri = "http://127.0.0.1:{{port}}/oauth2callback"\ncookie_secret = "{secrets.token_hex(32)}"\n'
    provider_settings = (
        f'client_id = "bang-dieu-hanh"\nclient_secret = "{secrets.token_hex(16)}"\nserver_metadata_url = "{provider}/.well-known/openid-configuration"\n'
    )
    secrets_file = folder / "secrets.toml"
    secrets_file.write_text(shared + (f"\n[auth.{name}]\n" if name else "") + provider_settings, encoding="utf-8")
    return {
        "env": {"DASHBOARD_DATABASE_URL": oidc_db[0]},
        "cwd": REPO_ROOT,
        "extra_args": ["--secrets.files", str(secrets_file)],
    }


# --- the browser -----------------------------------------------------------------------------------


@pytest.fixture
def offline(page, provider):
    """Abort every request to another host than 127.0.0.1. Yields the list of aborted requests
    that did not come from the mock provider's pages (its CDN stylesheet): must stay empty."""
    from_app: list[str] = []

    def guard(route):
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urlparse(url).hostname == "127.0.0.1":
            route.continue_()
            return
        route.abort()
        if not route.request.frame.url.startswith(provider + "/"):
            from_app.append(url)

    page.route("**/*", guard)
    page.on("websocket", lambda ws: None if urlparse(ws.url).hostname == "127.0.0.1" else from_app.append(ws.url))
    yield from_app
    assert from_app == [], f"the app tried to leave the machine: {from_app}"


def _under(prefix: str):
    """A wait_for_url matcher: the URL starts with `prefix`."""
    return lambda url: url.startswith(prefix)


def _sign_in(page, app, provider, sub: str) -> None:
    """From the app's sign-in screen through the provider's form, back to the app."""
    page.goto(app.url)
    wait_for_app(page)
    page.get_by_role("button", name=SIGN_IN).click()
    page.wait_for_url(_under(f"{provider}/oauth2/authorize?"))
    expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible()
    page.locator("input[name='sub']").fill(sub)
    page.get_by_role("button", name="Authorize", exact=True).click()
    page.wait_for_url(_under(f"{app.url}/"))
    wait_for_app(page)


def _sign_out(page, app, provider) -> None:
    """After a click on "Đăng xuất": Streamlit sends the browser to the provider's
    end_session_endpoint (RP-initiated logout), whose confirmation sends it back through
    /oauth2callback to the app's sign-in screen, without the identity cookie."""
    page.wait_for_url(_under(f"{provider}/oauth2/end_session?"))
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(_under(f"{app.url}/"))
    wait_for_app(page)
    page.get_by_role("button", name=SIGN_IN).wait_for()
    assert _user_cookie(page) == []


def _sidebar_text(page) -> str:
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("button", name=SIGN_OUT).wait_for()
    return sidebar.inner_text()


def _user_cookie(page) -> list[str]:
    return [c["name"] for c in page.context.cookies() if c["name"].startswith("_streamlit_user")]


# --- the tests -------------------------------------------------------------------------------------


@pytest.mark.browser
def test_an_area_leader_signs_in_through_the_provider_and_sees_only_their_area(oidc_app, provider, oidc_db, page, offline):
    _, own_ward, other_ward = oidc_db
    page.goto(oidc_app.url)
    wait_for_app(page)
    page.get_by_role("heading", name="Đăng nhập").wait_for()
    assert page.locator(DATA).count() == 0  # nothing of the data before sign-in
    assert not page.get_by_label("Tên đăng nhập").count()  # no password form: the provider signs in

    _sign_in(page, oidc_app, provider, "chair-q1")
    page.get_by_role("heading", name="Tổng quan · Khu vực Quận 1 (cũ)").wait_for()
    # The cards come after the heading (cached loaders run after the frame is drawn): wait for
    # one rather than count at once.
    page.get_by_test_id("stMetric").first.wait_for()
    sidebar = _sidebar_text(page)
    assert CHAIR_NAME in sidebar and "Lãnh đạo phụ trách khu vực" in sidebar and "Quận 1" in sidebar
    assert _user_cookie(page)  # the identity cookie Streamlit set after the provider's answer

    # A new browser session (a link opened in the same browser) is still signed in; a ward of
    # the chair's own district opens in full.
    page.goto(f"{oidc_app.url}/unit?unit={own_ward}")
    wait_for_app(page)
    page.get_by_role("heading", name="Cán bộ, công chức").wait_for()
    assert not page.get_by_text("ngoài phạm vi của bạn").count()

    # A crafted link to a ward of another district: the out-of-scope message, no figures.
    page.goto(f"{oidc_app.url}/unit?unit={other_ward}")
    wait_for_app(page)
    page.get_by_text("ngoài phạm vi của bạn").wait_for()
    assert page.get_by_test_id("stMetric").count() == 0 and page.locator(".js-plotly-plot").count() == 0
    assert CHAIR_NAME in _sidebar_text(page)


@pytest.mark.browser
@pytest.mark.parametrize("sub", ["stranger", "unverified", "unverified-text"])
def test_an_identity_without_an_account_is_refused_and_sees_no_data(oidc_app, provider, page, offline, sub):
    # The "unverified" ones claim the chair's email with email_verified false (a JSON false, or
    # the string "false"): they must not become the chair.
    _sign_in(page, oidc_app, provider, sub)
    page.get_by_role("heading", name=REFUSED).wait_for()
    # The address is shown as text, not a mail link: an invisible word joiner sits before the @ (ui/plain.py).
    shown = IDENTITIES[sub]["email"].replace("@", "\u2060@")
    expect(page.get_by_text(f"Tài khoản {shown} chưa được cấp quyền")).to_be_visible()
    assert page.locator(DATA).count() == 0
    assert CHAIR_NAME not in page.get_by_test_id("stApp").inner_text()
    # The link to a page does not get round it.
    page.goto(f"{oidc_app.url}/rankings")
    wait_for_app(page)
    page.get_by_role("heading", name=REFUSED).wait_for()
    assert page.locator(DATA).count() == 0
    # The refusal screen has its own sign-out, so another account can be chosen.
    page.get_by_role("button", name=SIGN_OUT).click()
    _sign_out(page, oidc_app, provider)


@pytest.mark.browser
def test_sign_out_ends_the_session_at_the_provider_and_returns_to_the_sign_in_screen(oidc_app, provider, page, offline):
    _sign_in(page, oidc_app, provider, "chair-q1")
    page.get_by_role("heading", name="Tổng quan · Khu vực Quận 1 (cũ)").wait_for()
    page.get_by_test_id("stSidebar").get_by_role("button", name=SIGN_OUT).click()
    _sign_out(page, oidc_app, provider)
    assert page.locator(DATA).count() == 0
    page.reload()  # and it stays signed out
    wait_for_app(page)
    page.get_by_role("button", name=SIGN_IN).wait_for()
    assert page.locator(DATA).count() == 0


@pytest.mark.browser
def test_a_named_provider_section_is_used(provider, oidc_db, tmp_path, streamlit_server, page, offline):
    # [auth] with only the shared settings and the provider in [auth.coquan]: the app picks it.
    app = streamlit_server(REPO_ROOT / "app.py", **_app_settings(provider, oidc_db, tmp_path, name="coquan"))
    _sign_in(page, app, provider, "chair-q1")
    page.get_by_role("heading", name="Tổng quan · Khu vực Quận 1 (cũ)").wait_for()
    assert CHAIR_NAME in _sidebar_text(page)
