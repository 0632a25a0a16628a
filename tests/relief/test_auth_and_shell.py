"""Login, lockout, logout, the Chinese shell and the English switch."""

from __future__ import annotations

import pytest
from django.urls import reverse

from relief.models import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "pw-for-tests-123"


def test_login_page_is_chinese_by_default(client):
    r = client.get("/login/")
    body = r.content.decode()
    assert r.status_code == 200
    assert 'lang="zh-hans"' in body
    assert "登录暖冬" in body
    assert "vendor/bootstrap/css/bootstrap.min.css" in body
    assert 'name="viewport"' in body  # usable on a phone


def test_login_then_home_shows_region_and_nav(client, regions):
    UserFactory(username="wang", role=Role.COUNTY, region=regions["county"])
    r = client.post("/login/", {"username": "wang", "password": PASSWORD})
    assert r.status_code == 302
    r = client.get(r.url)
    body = r.content.decode()
    assert "金堂县" in body
    for label in ("困难群众", "资金物资", "街面巡查", "服务机构"):
        assert label in body
    assert "系统管理" not in body  # admin link only for administrators


def test_repeated_failures_lock_the_account(client, regions, settings):
    UserFactory(username="li", role=Role.COUNTY, region=regions["county"])
    for _ in range(settings.AXES_FAILURE_LIMIT):
        r = client.post("/login/", {"username": "li", "password": "wrong"})
    r = client.post("/login/", {"username": "li", "password": PASSWORD})
    assert r.status_code == 429
    assert "账号已被暂时锁定" in r.content.decode()
    assert "_auth_user_id" not in client.session


def test_wrong_password_says_so_in_chinese(client, regions):
    UserFactory(username="zhao", role=Role.COUNTY, region=regions["county"])
    r = client.post("/login/", {"username": "zhao", "password": "nope"})
    assert r.status_code == 200
    assert "用户名或密码不正确" in r.content.decode()


def test_logout_is_a_post(as_user, users):
    c = as_user(users["county"])
    r = c.post(reverse("logout"))
    assert r.status_code == 302
    assert c.get("/").status_code == 302


def test_switch_to_english(as_user, users):
    c = as_user(users["county"])
    r = c.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert r.status_code == 302
    body = c.get("/").content.decode()
    assert 'lang="en"' in body
    assert "Log out" in body
    assert "Regions" in body


def test_admin_only_for_administrators(as_user, users):
    assert as_user(users["county"]).get("/admin/").status_code == 302
    assert as_user(users["admin"]).get("/admin/").status_code == 200
    assert as_user(users["admin"]).get("/admin/relief/policyparameter/").status_code == 200


def test_no_asset_comes_from_the_internet(as_user, users):
    body = as_user(users["county"]).get("/").content.decode()
    assert "http://" not in body.replace("http://testserver", "")
    assert "https://" not in body


def test_pages_stay_chinese_whatever_the_browser_language(client, as_user, users):
    body = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "登录暖冬" in body
    c = as_user(users["county"])
    assert "退出" in c.get("/", HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    c.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Log out" in c.get("/").content.decode()  # an explicit choice is kept
