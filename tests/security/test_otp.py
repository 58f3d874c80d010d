"""Second factor (TOTP, django-otp): optional for everyone, required for district admins when
OTP_REQUIRED_FOR_DISTRICT_ADMINS is on. A user with an authenticator gives its code after the
password before any page opens; a wrong code is refused; the right one lets the user in."""

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..conftest import fresh

pytestmark = pytest.mark.django_db

PASSWORD = "pw-Test-2026"


@pytest.fixture(autouse=True)
def no_throttle(settings):
    # A wrong code makes the next one wait a second (throttling); these tests enter codes at once.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def code(device, drift=0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift):06d}"


def wrong(device) -> str:
    good = {code(device, d) for d in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in good)


def login(client, username="csec_a1"):
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return response


def test_a_user_enrols_an_authenticator_with_a_code_it_shows(tree, client):
    client.force_login(tree.community_secretary_a1)
    assert "otp-off" in client.get(reverse("account")).content.decode()
    page = client.get(reverse("otp-setup")).content.decode()
    assert "data:image/svg+xml" in page and 'data-testid="otp-secret"' in page
    device = TOTPDevice.objects.get(user=tree.community_secretary_a1)
    assert not device.confirmed
    refused = client.post(reverse("otp-setup"), {"token": wrong(device)})
    assert "验证码不正确或已过期。" in refused.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    # Opening the page again shows the same pending authenticator, not a new secret.
    client.get(reverse("otp-setup"))
    assert TOTPDevice.objects.filter(user=tree.community_secretary_a1).count() == 1
    response = client.post(reverse("otp-setup"), {"token": code(device)})
    assert response.status_code == 302 and response["Location"] == reverse("account")
    device.refresh_from_db()
    assert device.confirmed
    assert "otp-on" in client.get(reverse("account")).content.decode()


def test_login_with_an_authenticator_asks_for_the_code(tree, client, api):
    device = TOTPDevice.objects.create(user=tree.community_secretary_a1, name="手机", confirmed=True)
    login(client)
    # Signed in with the password only: every page sends the user to the code, the API refuses.
    for url in (reverse("home"), reverse("account"), reverse("alliance-detail", args=[tree.community_a1.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("otp-verify") + "?next=")
    assert client.get(reverse("api:alliance-list")).status_code == 403
    page = client.get(reverse("otp-verify") + "?next=/accounts/")
    assert page.status_code == 200 and "请输入手机身份验证器上显示的6位验证码" in page.content.decode()
    # A wrong code is refused, and still nothing opens.
    refused = client.post(reverse("otp-verify"), {"token": wrong(device), "next": "/accounts/"})
    assert refused.status_code == 200 and "验证码不正确或已过期。" in refused.content.decode()
    assert client.get(reverse("home")).status_code == 302
    # The right code, computed from the device's key, lets the user in and back where they were going.
    response = client.post(reverse("otp-verify"), {"token": code(device), "next": "/accounts/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/"
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("api:alliance-list")).status_code == 200


def test_a_code_is_not_accepted_twice(tree, client):
    device = TOTPDevice.objects.create(user=tree.community_secretary_a1, name="手机", confirmed=True)
    login(client)
    token = code(device)
    assert client.post(reverse("otp-verify"), {"token": token}).status_code == 302
    client.post(reverse("logout"))
    login(client)
    replay = client.post(reverse("otp-verify"), {"token": token})
    assert replay.status_code == 200 and "验证码不正确或已过期。" in replay.content.decode()


def test_wrong_codes_are_throttled(tree, client, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 1
    device = TOTPDevice.objects.create(user=tree.community_secretary_a1, name="手机", confirmed=True)
    login(client)
    client.post(reverse("otp-verify"), {"token": wrong(device)})
    throttled = client.post(reverse("otp-verify"), {"token": code(device)})
    assert "验证码错误次数过多,请稍等片刻再试。" in throttled.content.decode()
    assert client.get(reverse("home")).status_code == 302


def test_the_user_can_log_out_before_giving_the_code(tree, client):
    TOTPDevice.objects.create(user=tree.community_secretary_a1, name="手机", confirmed=True)
    login(client)
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and "_auth_user_id" not in client.session


def test_a_user_without_an_authenticator_is_not_asked(tree, client):
    login(client)
    assert client.get(reverse("home")).status_code == 200


def test_district_admins_must_enrol_when_the_setting_is_on(tree, client, settings):
    settings.OTP_REQUIRED_FOR_DISTRICT_ADMINS = True
    login(client, "district_admin")
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("otp-setup"))
    page = client.get(reverse("otp-setup")).content.decode()
    assert "组织部管理员必须启用两步验证后才能继续使用平台。" in page
    device = TOTPDevice.objects.get(user=tree.district_admin)
    assert client.post(reverse("otp-setup"), {"token": code(device)}).status_code == 302
    assert client.get(reverse("home")).status_code == 200
    # They cannot turn it off.
    client.post(reverse("otp-disable"), {"token": code(device, drift=1)})
    assert TOTPDevice.objects.filter(user=tree.district_admin, confirmed=True).exists()
    # Other roles are not asked.
    other = type(client)()
    login(other, "csec_a1")
    assert other.get(reverse("home")).status_code == 200


def test_the_setting_is_off_by_default(tree, client, settings):
    assert settings.OTP_REQUIRED_FOR_DISTRICT_ADMINS is False
    login(client, "district_admin")
    assert client.get(reverse("home")).status_code == 200


def test_a_user_turns_the_second_factor_off_with_a_code(tree, client):
    device = TOTPDevice.objects.create(user=tree.community_secretary_a1, name="手机", confirmed=True)
    client.force_login(tree.community_secretary_a1)
    session = client.session
    session["accounts_otp"] = "ok"
    session.save()
    client.post(reverse("otp-disable"), {"token": wrong(device)})
    assert TOTPDevice.objects.filter(user=tree.community_secretary_a1).exists()
    client.post(reverse("otp-disable"), {"token": code(device)})
    assert not TOTPDevice.objects.filter(user=fresh(tree.community_secretary_a1)).exists()


def test_the_admin_login_also_asks_for_the_code(tree, client):
    TOTPDevice.objects.create(user=tree.root, name="手机", confirmed=True)
    response = client.post(reverse("admin:login"), {"username": "root", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 302
