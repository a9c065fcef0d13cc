"""Sign-in and scope through the real app (AppTest), the audit of downloads, and the launcher's
refusal to expose the single-user demo on the network.

The app runs on a copy of the small demo database with accounts added: then everyone must
sign in, and a district chair sees their district in full and nothing of another's wards.
"""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from data_access import accounts
from data_access.db import make_engine
from data_access.schema import audit_log
from tests.support import copy_sqlite, free_port
from tests.support.app_test import open_every_viewer_page

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "mật khẩu của quận 1"
CHAIR = "chair760"


@pytest.fixture
def signed_db(demo_db_url, tmp_path, monkeypatch):
    """A copy of the demo database with a district chair of Quận 1 (760) and an admin."""
    url = copy_sqlite(demo_db_url, tmp_path / "signed.sqlite")
    engine = make_engine(url)
    # Quận 1 ended on 30 June 2025: its leader is an area leader (issue 12's roles).
    accounts.add(engine, CHAIR, "area_leader", PASSWORD, unit_code="760", display_name="Chủ tịch Quận 1")
    accounts.add(engine, "admin", "admin", PASSWORD + "!", display_name="Quản trị")
    accounts.add(engine, "sct", "department_head", PASSWORD, unit_code="79.SCT", display_name="Giám đốc Sở Công Thương")
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", url)
    yield engine
    engine.dispose()


def _other_district_and_ward(engine) -> tuple[str, str]:
    from data_access.queries import load_units

    units = load_units(engine)
    district = units[(units["level"] == "district") & (units["parent_code"] == "79") & (units["code"] != "760")]["code"].iloc[0]
    ward = units[units["parent_code"] == district]["code"].iloc[0]
    return district, ward


def _own_ward(engine) -> str:
    from data_access.queries import load_units

    units = load_units(engine)
    return units[units["parent_code"] == "760"]["code"].iloc[0]


def _app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)


def _sign_in(app: AppTest, username: str, password: str) -> AppTest:
    app.text_input(key="sign_in_user").input(username)
    app.text_input(key="sign_in_password").input(password)
    app.button(key="sign_in_submit").click()
    return app.run()


def _shows_no_data(app: AppTest) -> bool:
    return not app.dataframe and not app.metric and not app.get("plotly_chart") and not app.sidebar.selectbox


def _signed_in_chair() -> AppTest:
    app = _sign_in(_app().run(), CHAIR, PASSWORD)
    assert not app.exception, app.exception[0].value if app.exception else ""
    return app


def test_with_accounts_the_app_asks_to_sign_in_and_shows_no_data(signed_db):
    app = _app().run()
    assert not app.exception
    assert app.title[0].value == "Đăng nhập"
    assert app.text_input(key="sign_in_password").proto.type == 1  # TextInput.PASSWORD: masked
    assert _shows_no_data(app)
    assert not [i for i in app.sidebar.info if "thử nghiệm" in i.value]  # no demo banner


def test_a_wrong_password_gets_one_generic_message(signed_db):
    for username, password in ((CHAIR, "wrong password!"), ("nobody", PASSWORD)):
        app = _sign_in(_app().run(), username, password)
        assert app.error[0].value == "Tên đăng nhập hoặc mật khẩu không đúng."
        assert app.title[0].value == "Đăng nhập" and _shows_no_data(app)


def test_a_district_chair_signs_in_and_sees_their_district(signed_db):
    app = _signed_in_chair()
    # An area leader since the reform: the area of today's units that were Quận 1.
    assert app.title[0].value == "Tổng quan · Khu vực Quận 1 (cũ)"
    options = app.sidebar.selectbox(key="scope").options
    assert options[0] == "Khu vực Quận 1 (cũ)" and len(options) <= 6  # the area, then its own units only
    assert any("Chủ tịch Quận 1" in c.value for c in app.sidebar.caption)
    assert app.sidebar.button(key="sign_out")
    # A ward of their own district opens in full, with its civil servants.
    app.switch_page("pages/analysis/unit_profile.py")
    app.query_params["unit"] = _own_ward(signed_db)
    app.run()
    assert not app.exception and app.title[0].value.startswith("Hồ sơ đơn vị · ")
    assert any(s.value == "Cán bộ, công chức" for s in app.subheader)


@pytest.mark.parametrize(
    "page, param",
    [
        ("pages/analysis/unit_profile.py", "unit"),
        ("pages/analysis/trends.py", "units"),
        ("pages/map/map.py", "area"),
        ("pages/overview/overview.py", "scope"),
    ],
)
def test_a_crafted_link_to_another_district_says_out_of_scope(signed_db, page, param):
    district, ward = _other_district_and_ward(signed_db)
    app = _signed_in_chair()
    app.switch_page(page)
    app.query_params[param] = district if param in ("area", "scope") else ward
    app.run()
    assert not app.exception, app.exception[0].value if app.exception else ""
    assert any("ngoài phạm vi của bạn" in e.value for e in app.error)
    assert not app.dataframe and not app.metric and not app.get("plotly_chart")


@pytest.mark.parametrize("username", [CHAIR, "sct"])
def test_every_page_works_for_a_restricted_viewer(signed_db, username):
    app = _sign_in(_app().run(), username, PASSWORD)
    open_every_viewer_page(app)


def test_other_districts_are_aggregates_in_the_district_ranking(signed_db):
    from data_access.queries import load_units

    app = _signed_in_chair()
    app.switch_page("pages/analysis/rankings.py")
    # Districts rank in a month of their time (the district tier ended on 30 June 2025).
    app.query_params["period"] = "2025-05"
    app.query_params["layout"] = "then"
    app.query_params["level"] = "districts"
    app.run()
    assert not app.exception
    shown = set(app.dataframe[0].value["Đơn vị"])
    units = load_units(signed_db)
    districts = set(units.loc[(units["level"] == "district") & (units["parent_code"] == "79"), "name"])
    assert shown == districts  # every district, as one row each: no ward of another district


def test_sign_out_and_a_disabled_account(signed_db):
    app = _signed_in_chair()
    app.sidebar.button(key="sign_out").click()
    app.run()
    assert app.title[0].value == "Đăng nhập" and _shows_no_data(app)
    app = _signed_in_chair()
    accounts.set_active(signed_db, CHAIR, False)
    app.run()  # the next click: the account is checked again on every run
    assert app.title[0].value == "Đăng nhập" and _shows_no_data(app)


def test_only_an_administrator_gets_the_data_page(signed_db):
    app = _signed_in_chair()
    with pytest.raises(ValueError, match="Could not find a navigation page"):  # not in a chair's navigation
        app.switch_page("pages/admin/data.py")
    admin = _sign_in(_app().run(), "admin", PASSWORD + "!")
    admin.switch_page("pages/admin/data.py")
    admin.run()
    assert not admin.exception and admin.title[0].value == "Dữ liệu"


def test_demo_mode_banner_when_there_are_no_accounts(demo_db_env):
    app = _app().run()
    assert not app.exception
    assert any("Chế độ thử nghiệm một người dùng — chỉ mở trên máy này" in i.value for i in app.sidebar.info)
    assert not app.sidebar.get("button") or not [b for b in app.sidebar.button if b.key == "sign_out"]
    assert app.title[0].value.startswith("Tổng quan")


def test_a_download_is_recorded_when_the_file_is_generated(signed_db):
    from ui.downloads import audited

    generate = audited(lambda: b"a;b\n1;2\n", "xep-hang_quan-1.csv", {"rows": 1}, actor=CHAIR, engine=signed_db)
    with signed_db.connect() as connection:
        assert connection.execute(select(audit_log.c.id).where(audit_log.c.actor == CHAIR)).first() is None  # not before the click
    assert generate() == b"a;b\n1;2\n"
    with signed_db.connect() as connection:
        row = connection.execute(select(audit_log.c.actor, audit_log.c.action, audit_log.c.what, audit_log.c.details).where(audit_log.c.actor == CHAIR)).one()
    assert row[:3] == (CHAIR, "export", "xep-hang_quan-1.csv") and '"rows": 1' in row[3]


def test_a_download_drawn_before_the_account_was_disabled_delivers_nothing(signed_db):
    from ui.downloads import DownloadRefused, audited

    generate = audited(lambda: b"a;b\n1;2\n", "xep-hang_quan-1.csv", {"rows": 1}, actor=CHAIR, engine=signed_db, signed_in=True)
    accounts.set_active(signed_db, CHAIR, False)  # after the page drew the button, before the click
    with pytest.raises(DownloadRefused):
        generate()
    with signed_db.connect() as connection:
        rows = connection.execute(select(audit_log.c.actor, audit_log.c.action).where(audit_log.c.actor == CHAIR)).all()
    assert [tuple(r) for r in rows] == [(CHAIR, "export-refused")]


# --- the launcher ------------------------------------------------------------------------------


def _serve_module():
    spec = importlib.util.spec_from_file_location("serve_launcher", ROOT / "scripts" / "serve.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_mode_is_bound_to_loopback():
    serve = _serve_module()
    assert serve.demo_arguments(["--server.port", "8501"])[-2:] == ["--server.address", "127.0.0.1"]
    assert serve.demo_arguments(["--server.address", "::1"])[-1] == "::1"
    assert serve.demo_arguments(["--server.address=localhost"])[-1] == "localhost"
    assert serve.demo_arguments(["--server.address", "0.0.0.0"]) is None
    assert serve.demo_arguments(["--server.address", "10.0.0.5"]) is None


def test_accounts_count_as_sign_in_configured(signed_db, monkeypatch, tmp_path):
    serve = _serve_module()
    assert serve.accounts_configured()  # DASHBOARD_DATABASE_URL: the copy with accounts
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", f"sqlite:///{tmp_path / 'not-yet.sqlite'}")
    assert not serve.accounts_configured()
    assert not (tmp_path / "not-yet.sqlite").exists()  # looking did not create it


def test_the_launcher_refuses_a_network_address_in_demo_mode(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DASHBOARD_DATABASE_URL": f"sqlite:///{tmp_path / 'none.sqlite'}"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "serve.py"), "--server.address", "0.0.0.0", "--server.port", str(free_port())],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 2
    assert "127.0.0.1" in done.stderr and "data_access.accounts add" in done.stderr


def test_a_real_server_not_started_by_the_launcher_never_serves_the_demo(demo_db_env, monkeypatch):
    """`streamlit run app.py` (no launcher decision) behind a real runtime: fail closed."""
    from streamlit.runtime import Runtime

    from ui import auth

    with monkeypatch.context() as patched:
        patched.setattr(auth, "DEMO_AT_START", None)
        patched.setattr(Runtime, "exists", classmethod(lambda cls: True))
        patched.setattr(Runtime, "instance", classmethod(lambda cls: object()))
        assert not auth.demo_allowed()
    monkeypatch.setattr(auth, "DEMO_AT_START", False)  # the launcher saw sign-in configured
    app = _app().run()
    assert app.title[0].value == "Đăng nhập" and _shows_no_data(app)
    assert any("Quản trị viên cần tạo tài khoản" in w.value for w in app.warning)
