"""Platform plumbing: health check, production settings, authentication, lockout, password reset, languages."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core import mail
from django.db import OperationalError
from django.utils import timezone

from approvals.models import OperationLog

PASSWORD = "pw-Secret-123"  # tests.factories.UserFactory's password
ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"


# ---------------------------------------------------------------------------------------------------- healthz


def test_healthz_ok(db, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


class BrokenCursorConnection:
    def cursor(self):
        raise OperationalError("could not connect to server")


def break_broker(monkeypatch):
    from safety.celery import app

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(app, "connection_for_write", refuse)


def break_database(monkeypatch):
    monkeypatch.setattr("safety.views.connection", BrokenCursorConnection())


@pytest.mark.parametrize(
    "breakers, expected",
    [
        ([break_broker], {"database": "ok", "broker": "error: ConnectionRefusedError"}),
        ([break_database], {"database": "error: OperationalError", "broker": "ok"}),
        (
            [break_broker, break_database],
            {"database": "error: OperationalError", "broker": "error: ConnectionRefusedError"},
        ),
    ],
    ids=["broker-down", "database-down", "both-down"],
)
def test_healthz_503_when_a_dependency_fails(db, client, monkeypatch, breakers, expected):
    for breaker in breakers:
        breaker(monkeypatch)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", **expected}


def test_healthz_needs_no_login(db, client):
    # A load balancer has no session; the page must not redirect to the login page.
    response = client.get("/healthz", follow=False)
    assert response.status_code == 200


# ------------------------------------------------------------------------------------ production settings


def production_env(tmp_path, **overrides) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "SECURE_", "CELERY_", "SECRET_", "DEBUG", "ALLOWED_HOSTS"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "safety.settings",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(64),  # 86 characters, random
            "ALLOWED_HOSTS": "safety.example.com",
            "SAFETY_VAR_DIR": str(tmp_path / "var"),
        }
    )
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def run_manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    python = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable
    return subprocess.run(
        [python, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_check_deploy_passes_with_production_env(tmp_path):
    env = production_env(tmp_path)
    assert len(env["SECRET_KEY"]) >= 50
    result = run_manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({"DEBUG": "1"}, "security.W018"),
        ({"SECRET_KEY": "too-short"}, "security.W009"),
        ({"SECURE_SSL_REDIRECT": "0"}, "security.W008"),
        ({"SECURE_HSTS_SECONDS": "0"}, "security.W004"),
    ],
    ids=["debug-on", "weak-secret", "no-ssl-redirect", "no-hsts"],
)
def test_check_deploy_catches_insecure_settings(tmp_path, overrides, expected):
    # The check above is meaningful: each of these makes the same command fail.
    result = run_manage(production_env(tmp_path, **overrides), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert expected in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = run_manage(production_env(tmp_path, SECRET_KEY=None), "check")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_code_only_commands_run_without_a_secret_key(tmp_path):
    # A bare checkout (the before-stop hook, a translator) checks migrations with no DEBUG and no SECRET_KEY.
    env = production_env(tmp_path, SECRET_KEY=None, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    result = run_manage(env, "makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout


# ----------------------------------------------------------------------------------- log in, out, password


def test_login_and_logout(world, client):
    user = world.alice.user
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert home.context["actor"].membership == world.alice
    assert world.acme.name in home.content.decode()

    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/"
    assert client.get("/").status_code == 302  # back to the login page


@pytest.mark.parametrize("page", ["/", "/notifications/", "/log/", "/inbox/", "/accounts/password_change/"])
def test_pages_need_login(db, client, page):
    response = client.get(page)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=")


@pytest.mark.parametrize(
    "username, password, ok",
    [
        ("alice", PASSWORD, True),
        ("ALICE", PASSWORD, False),  # user names are case-sensitive, as in Django
        ("alice", PASSWORD.upper(), False),
        ("alice", "", False),
        ("nobody", PASSWORD, False),
    ],
)
def test_login_outcomes(world, client, username, password, ok):
    response = client.post("/accounts/login/", {"username": username, "password": password})
    assert (response.status_code == 302) is ok
    assert ("_auth_user_id" in client.session) is ok


def test_password_change(world, client):
    user = world.bob.user
    client.force_login(user)
    new = "Ch4nged-Passw0rd!"
    wrong_old = client.post(
        "/accounts/password_change/", {"old_password": "nope", "new_password1": new, "new_password2": new}
    )
    assert wrong_old.status_code == 200
    assert "old_password" in wrong_old.context["form"].errors
    response = client.post(
        "/accounts/password_change/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    assert response.url == "/accounts/password_change/done/"
    client.logout()
    assert client.post("/accounts/login/", {"username": user.username, "password": PASSWORD}).status_code == 200
    assert client.post("/accounts/login/", {"username": user.username, "password": new}).status_code == 302


# ------------------------------------------------------------------------------------------------- lockout


def fail_logins(client, username: str, n: int, ip: str = "192.0.2.50") -> None:
    for _ in range(n):
        response = client.post("/accounts/login/", {"username": username, "password": "wrong-guess"}, REMOTE_ADDR=ip)
        assert response.status_code in (200, 429)


@pytest.mark.parametrize("failures, locked", [(3, False), (4, False), (5, True), (7, True)])
def test_lockout_after_five_failed_logins(world, client, failures, locked):
    user = world.alice.user
    fail_logins(client, user.username, failures)
    response = client.post(
        "/accounts/login/", {"username": user.username, "password": PASSWORD}, REMOTE_ADDR="192.0.2.50"
    )
    if locked:
        assert response.status_code == 429
        assert 'data-testid="locked-out"' in response.content.decode()
        assert "_auth_user_id" not in client.session
        assert not OperationLog.objects.filter(action=OperationLog.Action.LOGIN, user=user).exists()
    else:
        assert response.status_code == 302
        assert int(client.session["_auth_user_id"]) == user.pk


def test_lockout_is_per_user_name_not_per_address(world, client):
    # Offices share one NAT address: one person's lock must not lock out colleagues.
    fail_logins(client, "alice", 5, ip="192.0.2.60")
    response = client.post("/accounts/login/", {"username": "bob", "password": PASSWORD}, REMOTE_ADDR="192.0.2.60")
    assert response.status_code == 302
    client.logout()
    from_elsewhere = client.post(
        "/accounts/login/", {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="198.51.100.9"
    )
    assert from_elsewhere.status_code == 429


@pytest.mark.parametrize("minutes_later, locked", [(10, True), (29, True), (31, False)])
def test_lockout_ends_after_the_cool_off(world, client, minutes_later, locked):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        fail_logins(client, "alice", 5)
    with time_machine.travel(start + timedelta(minutes=minutes_later), tick=False):
        response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert (response.status_code == 429) is locked
    assert (response.status_code == 302) is not locked


def test_a_successful_login_resets_the_failure_count(world, client):
    fail_logins(client, "alice", 4)
    assert client.post("/accounts/login/", {"username": "alice", "password": PASSWORD}).status_code == 302
    client.logout()
    fail_logins(client, "alice", 4)
    assert client.post("/accounts/login/", {"username": "alice", "password": PASSWORD}).status_code == 302


# ------------------------------------------------------------------------------------------ password reset


def test_password_reset_by_email(world, client):
    user = world.gov_alice.user
    response = client.post("/accounts/password_reset/", {"email": user.email})
    assert response.status_code == 302
    assert response.url == "/accounts/password_reset/done/"
    [message] = mail.outbox
    assert message.to == [user.email]
    match = re.search(r"https?://testserver(/accounts/reset/[^/\s]+/[^/\s]+/)", message.body)
    assert match, message.body
    link = match.group(1)

    landing = client.get(link)
    assert landing.status_code == 302  # Django hides the token behind a session redirect
    form_url = landing.url
    assert form_url.endswith("/set-password/")
    new = "Reset-Passw0rd-9"
    response = client.post(form_url, {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    assert response.url == "/accounts/reset/done/"
    user.refresh_from_db()
    assert user.check_password(new)
    # The link works once only.
    again = client.get(link, follow=True)
    assert again.context["validlink"] is False


@pytest.mark.parametrize("email", ["nobody@example.com", "not-an-email"])
def test_password_reset_reveals_nothing_about_unknown_addresses(world, client, email):
    response = client.post("/accounts/password_reset/", {"email": email})
    assert mail.outbox == []
    if "@" in email:
        assert response.status_code == 302 and response.url == "/accounts/password_reset/done/"
    else:
        assert response.status_code == 200 and "email" in response.context["form"].errors


def test_password_reset_rejects_a_forged_token(world, client):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    user = world.alice.user
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    forged = token[:-1] + ("a" if token[-1] != "a" else "b")
    response = client.get(f"/accounts/reset/{uid}/{forged}/", follow=True)
    assert response.context["validlink"] is False


# ------------------------------------------------------------------------------------------------ languages


HTML_LANG = re.compile(r'<html lang="([^"]+)">')


@pytest.mark.parametrize(
    "how, lang, present, absent",
    [
        # Default: Chinese. "密码" (Password) comes from Django's own zh_Hans catalogue; "登录" (Log in) from ours
        # and from django.contrib.admin's.
        ("default", "zh-CN", ["密码", "登录"], ["Log in", "Password"]),
        ("accept-language", "en", ["Log in", "Password"], ["登录", "密码"]),
        ("setlang", "en", ["Log in", "Password"], ["登录", "密码"]),
    ],
)
def test_language(db, client, how, lang, present, absent):
    if how == "accept-language":
        response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    else:
        if how == "setlang":
            switched = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
            assert switched.status_code == 302
            assert switched.url == "/accounts/login/"
            assert client.cookies["django_language"].value == "en"
        response = client.get("/accounts/login/")
    html = response.content.decode()
    assert HTML_LANG.search(html).group(1) == lang
    for text in present:
        assert text in html, text
    # Check the visible form only (the language menu itself names both languages).
    form_html = html[html.index('data-testid="login-form"') :]
    for text in absent:
        assert text not in form_html, text


def test_switching_back_to_chinese(db, client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/accounts/login/"})
    html = client.get("/accounts/login/").content.decode()
    assert HTML_LANG.search(html).group(1) == "zh-CN"
    assert "密码" in html


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_language_menu_names_each_language_in_itself(db, client, language):
    # Someone who cannot read the current language must still find their own: "English", never "英语".
    client.post("/i18n/setlang/", {"language": language, "next": "/accounts/login/"})
    html = client.get("/accounts/login/").content.decode()
    buttons = dict(re.findall(r'name="language" value="([^"]+)" lang="[^"]+">([^<]+)</button>', html))
    assert buttons == {"zh-hans": "简体中文", "en": "English"}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_date_inputs_render_iso_dates_in_every_language(language):
    # <input type="date"> accepts only 2026-11-24: a localised initial value would show empty on a phone.
    from datetime import date

    from django import forms
    from django.utils import translation

    class F(forms.Form):
        day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    with translation.override(language):
        html = str(F(initial={"day": date(2026, 11, 24)})["day"])
        assert 'value="2026-11-24"' in html
        assert F(data={"day": "2026-11-24"}).is_valid()
        if language == "zh-hans":
            assert F(data={"day": "2026/11/24"}).is_valid()  # what people type keeps working
