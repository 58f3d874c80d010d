"""Password rules: at least 10 characters and 3 of 4 kinds (lower, upper, digit, symbol), with
Chinese messages; users change their own password on a page of their own."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from ..conftest import fresh

pytestmark = pytest.mark.django_db

PASSWORD = "pw-Test-2026"


@pytest.mark.parametrize("password", ["Ab1-xyz", "alllowercaseletters", "lowercase123456", "UPPER-CASE-ONLY"])
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_the_messages_are_chinese():
    with translation.override("zh-hans"):
        with pytest.raises(ValidationError) as short:
            validate_password("Ab1-xyz")
        assert short.value.messages == ["密码太短,至少需要10个字符。"]
        with pytest.raises(ValidationError) as simple:
            validate_password("lowercase123456")
        assert "密码须包含小写字母、大写字母、数字和符号中的至少3类。" in simple.value.messages


@pytest.mark.parametrize("password", ["Jinxia-2026", "honglou#Meng9", "PartyBuilding2026"])
def test_strong_passwords_pass(password):
    validate_password(password)


def test_a_user_changes_the_password_and_other_sessions_end(tree, client):
    other = type(client)()
    other.force_login(tree.community_secretary_a1)
    client.force_login(tree.community_secretary_a1)
    url = reverse("password_change")
    page = client.get(url)
    assert page.status_code == 200 and "修改密码" in page.content.decode()
    weak = client.post(url, {"old_password": PASSWORD, "new_password1": "abcdefgh12", "new_password2": "abcdefgh12"})
    assert weak.status_code == 200 and "至少3类" in weak.content.decode()
    assert fresh(tree.community_secretary_a1).check_password(PASSWORD)
    done = client.post(url, {"old_password": PASSWORD, "new_password1": "Jinxia-2026!",
                             "new_password2": "Jinxia-2026!"}, follow=True)
    assert "新密码已生效" in done.content.decode()
    assert fresh(tree.community_secretary_a1).check_password("Jinxia-2026!")
    # This browser stays signed in; the other one is signed out.
    assert client.get(reverse("account")).status_code == 200
    assert other.get(reverse("account")).status_code == 302


def test_the_password_page_needs_a_login(client):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_demo_password_is_set_directly_and_still_works(db):
    """seed_demo sets `demo2026` with set_password, which does not run the validators: the demo
    keeps its easy password although the rules would refuse it for a real account."""
    from dashboard.management.commands.seed_demo import DEMO_PASSWORD

    with pytest.raises(ValidationError):
        validate_password(DEMO_PASSWORD)
