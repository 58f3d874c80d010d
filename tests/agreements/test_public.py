"""The public page of an agreement (亮约): no login, only while published and in force, with
the progress of its commitments and the residents' rating form."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from agreements.models import Evaluation, PointEntry
from agreements.services import agreement_amend, agreement_terminate
from tasks.services import item_resolve, item_start

from .test_printing import agreement_with_parties, perform, publish, sign_all


def public_url(agreement) -> str:
    return reverse("public-agreement", kwargs={"token": agreement.public_token})


@pytest.fixture
def published(tree):
    return publish(tree, sign_all(tree, agreement_with_parties(tree)))


@pytest.fixture
def performing(tree, published):
    return perform(tree, published)


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    """The rate limit counts in the cache (Redis in CI): each test starts from zero."""
    cache.clear()
    yield
    cache.clear()


def test_the_public_page_shows_the_published_agreement_without_login(tree, client, published):
    response = client.get(public_url(published))
    assert response.status_code == 200
    page = response.content.decode()
    for expected in (published.title, "锦霞物业服务有限公司", "锦霞小学", "锦霞社区党建共同体",
                     "物业服务企业每月向社区通报小区公共收益", "公共收益公示", "每月15日", published.content_hash,
                     f"{published.term_start.year}年{published.term_start.month}月1日", "<svg", "居民评约",
                     timezone.localtime(published.signed_at).strftime("%Y-%m-%d")):
        assert expected in page, expected
    # Which party signed and when, but not the signers' personal names, for anonymous visitors.
    signers = [p.signer_name for p in published.parties.all()]
    assert all(signers) and not any(name in page for name in signers)
    assert 'data-testid="signer-name"' not in page
    # The QR code and the link point at the page itself, absolute.
    assert "http://testserver" + public_url(published) in page
    # Published but not yet performing: nothing to rate yet, and the page says so.
    assert 'name="score"' not in page and "开始履约后" in page


def test_a_wrong_token_is_404(tree, client, published):
    assert client.get(reverse("public-agreement", kwargs={"token": "guess"})).status_code == 404


def test_the_page_is_404_in_every_stage_that_is_not_public(tree, client):
    draft = agreement_with_parties(tree, title="谈约中")
    assert client.get(public_url(draft)).status_code == 404
    signed = sign_all(tree, agreement_with_parties(tree, title="已签约未亮约"))
    assert client.get(public_url(signed)).status_code == 404
    # Published, then terminated: gone from the public.
    terminated = publish(tree, sign_all(tree, agreement_with_parties(tree, title="将终止")))
    assert client.get(public_url(terminated)).status_code == 200
    agreement_terminate(user=tree.community_secretary_a1, agreement=terminated, reason="物业公司退出小区")
    assert client.get(public_url(terminated)).status_code == 404
    # Published, then superseded by a signed amendment: the old version is gone, the new one is not
    # public until it is published itself.
    old = publish(tree, sign_all(tree, agreement_with_parties(tree, title="将修订")))
    amendment = sign_all(tree, agreement_amend(user=tree.community_secretary_a1, agreement=old))
    old.refresh_from_db()
    assert old.stage == "superseded"
    assert client.get(public_url(old)).status_code == 404  # nothing public in force yet
    assert client.get(public_url(amendment)).status_code == 404
    publish(tree, amendment)
    assert client.get(public_url(amendment)).status_code == 200
    # Once the amendment is public, the old version's address (its QR code may hang printed on a
    # wall) leads to the version in force.
    response = client.get(public_url(old))
    assert response.status_code == 302 and response.url == public_url(amendment)


def test_the_page_shows_the_progress_of_each_commitment(tree, client, performing):
    from agreements.models import CommitmentItem

    occurrences = list(CommitmentItem.objects.filter(commitment__agreement=performing).select_related("item"))
    assert occurrences, "performing generates the occurrences due within the horizon"
    first = occurrences[0]
    item_start(user=tree.community_secretary_a1, item=first.item)
    item_resolve(user=tree.community_secretary_a1, item=first.item, note="已公示")
    page = client.get(public_url(performing)).content.decode()
    assert "已完成 1" in page


def test_a_residents_rating_is_saved_and_a_second_from_the_same_phone_is_refused(tree, client, performing):
    url = public_url(performing)
    body = {"score": "4", "name": "王阿姨", "phone": "13900000000", "comment": "物业公示很及时"}
    response = client.post(url, body)
    assert response.status_code == 302
    rating = Evaluation.objects.get(agreement=performing)
    assert (rating.rater_kind, rating.score, rating.resident_name, rating.resident_phone, rating.comment) == (
        "resident", 4, "王阿姨", "13900000000", "物业公示很及时")
    assert "谢谢您的评价" in client.get(url).content.decode()
    # The units earn points for a good rating.
    assert PointEntry.objects.filter(unit=tree.unit_a1, reason="rated").exists()
    again = client.post(url, {**body, "score": "1", "name": "王阿姨的女儿", "phone": "139 0000 0000"})
    assert again.status_code == 200
    assert "该手机号已经评价过" in again.content.decode()
    assert Evaluation.objects.filter(agreement=performing).count() == 1


def test_the_form_reports_bad_input(tree, client, performing):
    response = client.post(public_url(performing), {"score": "9", "name": "", "phone": "abc"})
    page = response.content.decode()
    assert response.status_code == 200 and "请填写正确的手机号或座机号" in page
    assert not Evaluation.objects.exists()


def test_a_published_agreement_refuses_ratings_posted_anyway(tree, client, published):
    response = client.post(public_url(published), {"score": "5", "name": "李", "phone": "13900000001"})
    assert response.status_code == 200 and "不能评价" in response.content.decode()
    assert not Evaluation.objects.exists()


def test_the_rating_form_is_rate_limited(tree, client, performing):
    url = public_url(performing)
    for i in range(10):
        client.post(url, {"score": "5", "name": "居民", "phone": f"1390000{i:04d}"})
    limited = client.post(url, {"score": "5", "name": "居民", "phone": "13911112222"})
    assert limited.status_code == 429 and "太频繁" in limited.content.decode()
    assert not Evaluation.objects.filter(resident_phone="13911112222").exists()
    assert Evaluation.objects.count() == 10


def test_the_signers_names_are_shown_to_those_who_may_read_the_agreement(tree, client, published):
    client.force_login(tree.community_secretary_a1)
    page = client.get(public_url(published)).content.decode()
    assert tree.liaison_a1.get_full_name() in page and 'data-testid="signer-name"' in page
    client.force_login(tree.community_secretary_a2)  # a neighbour: like any resident
    page = client.get(public_url(published)).content.decode()
    assert tree.liaison_a1.get_full_name() not in page


def test_the_old_versions_address_follows_the_chain_to_the_newest_public_version(tree, client):
    from agreements.services import agreement_cancel

    v1 = publish(tree, sign_all(tree, agreement_with_parties(tree, title="多次修订")))
    v2 = publish(tree, sign_all(tree, agreement_amend(user=tree.community_secretary_a1, agreement=v1)))
    # A cancelled amendment of v2 is not followed; the live one after it is.
    dropped = agreement_amend(user=tree.community_secretary_a1, agreement=v2)
    agreement_cancel(user=tree.community_secretary_a1, agreement=dropped, reason="改由下一稿修订")
    v3 = publish(tree, sign_all(tree, agreement_amend(user=tree.community_secretary_a1, agreement=v2)))
    for old in (v1, v2):
        response = client.get(public_url(old))
        assert response.status_code == 302 and response.url == public_url(v3), old.version
    assert client.get(public_url(dropped)).status_code == 404
    # The version in force terminated: nothing public to lead to.
    agreement_terminate(user=tree.community_secretary_a1, agreement=v3, reason="共建结束")
    assert client.get(public_url(v1)).status_code == 404
