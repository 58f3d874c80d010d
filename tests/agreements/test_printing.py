"""The agreement PDF and a unit's obligations PDF: Chinese text that survives extraction, the
content hash, signatures, a QR code once published, and 404 for neighbours."""

from __future__ import annotations

import datetime as dt
import io
import time
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from agreements.services import (
    agreement_create,
    agreement_perform,
    agreement_publish,
    agreement_sign,
    clause_add,
    commitment_add,
)
from alliance.checks import harfbuzz_subset_available
from alliance.roles import Role
from tests import factories

# --- builders (also used by test_public.py) ---------------------------------------------------


CLAUSES = ("物业服务企业每月向社区通报小区公共收益。", "学校在节假日向居民开放操场。")


def liaison_of(tree, unit_name: str):
    """The liaison who signs for a unit of the tree: liaison_a1 for unit_a1, one made for the others."""
    if unit_name == "unit_a1":
        return tree.liaison_a1
    from members.models import User

    username = f"liaison_{unit_name}"
    return User.objects.filter(username=username).first() or factories.user_with_role(
        tree.community_a1, Role.LIAISON, unit=getattr(tree, unit_name), username=username)


def agreement_with_parties(tree, *, title="锦霞社区党建共建协议", clauses=3, units=("unit_a1", "unit_a1_other")):
    """A draft of community A1 (a year's term from this month) between its initiating organisation and the units,
    written through the services: clauses, and a commitment for each unit."""
    start = timezone.localdate().replace(day=1)
    end = start.replace(year=start.year + 1) - dt.timedelta(days=1)
    secretary = tree.community_secretary_a1
    agreement = agreement_create(
        user=secretary, alliance=tree.community_a1, title=title, term_start=start, term_end=end,
        units=[getattr(tree, name) for name in units],
        preamble="为共建美好锦霞,经各方协商一致,订立本协议。",
    )
    for i in range(clauses):
        text = CLAUSES[i] if i < len(CLAUSES) else f"各方按月报告履约情况,接受居民监督评价(约定{i + 1})。"
        clause_add(user=secretary, agreement=agreement, text=text)
    parties = {party.unit_id: party for party in agreement.parties.all()}
    if "unit_a1" in units:
        commitment_add(user=secretary, agreement=agreement, party=parties[tree.unit_a1.pk], title="公共收益公示",
                       description="在小区公示栏公示上月公共收益及支出。", recurrence="monthly", day_of_month=15)
    if "unit_a1_other" in units:
        commitment_add(user=secretary, agreement=agreement, party=parties[tree.unit_a1_other.pk], title="开放操场",
                       recurrence="once", due_on=end)
    return agreement


def sign_all(tree, agreement):
    """Every party signs: units through their liaisons, the initiating organisation through its secretary."""
    for party in agreement.parties.select_related("unit").order_by("pk"):
        if party.unit_id is None:
            signer = tree.community_secretary_a1
        else:
            signer = liaison_of(tree, next(n for n in ("unit_a1", "unit_a1_other") if getattr(tree, n).pk == party.unit_id))
        agreement_sign(user=signer, agreement=agreement, party=party)
    agreement.refresh_from_db()
    return agreement


def publish(tree, agreement):
    agreement_publish(user=tree.community_secretary_a1, agreement=agreement)
    agreement.refresh_from_db()
    return agreement


def perform(tree, agreement):
    agreement_perform(user=tree.community_secretary_a1, agreement=agreement)
    agreement.refresh_from_db()
    return agreement


def pdf_text(content: bytes) -> str:
    """The PDF's text without the line breaks and spaces layout puts into long names."""
    reader = PdfReader(io.BytesIO(content))
    return "".join("".join(page.extract_text() for page in reader.pages).split())


def pdf_pages(content: bytes) -> int:
    return len(PdfReader(io.BytesIO(content)).pages)


def test_the_pdf_holds_the_chinese_text_of_its_parties_clauses_and_hash(tree, client):
    agreement = agreement_with_parties(tree)
    sign_all(tree, agreement)
    publish(tree, agreement)
    client.force_login(tree.community_secretary_a1)
    response = client.get(reverse("agreement-pdf", kwargs={"pk": agreement.pk}))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    agreement.refresh_from_db()
    for expected in ("锦霞物业服务有限公司", "锦霞小学", "锦霞社区党建共同体", "物业服务企业每月向社区通报小区公共收益",
                     "每月15日", "协议条款", agreement.content_hash, agreement.title, "v1"):
        assert expected in text, expected
    # Every party signed: names and times, no "未签署".
    assert "未签署" not in text
    assert tree.community_secretary_a1.get_full_name() in text and tree.liaison_a1.get_full_name() in text
    # Published: the QR code's target is printed beside it, absolute.
    public = "http://testserver" + reverse("public-agreement", kwargs={"token": agreement.public_token})
    assert public in text
    assert "<svg" not in text and pdf_pages(response.content) >= 1


def test_a_draft_prints_unsigned_without_hash_or_qr(tree, client):
    agreement = agreement_with_parties(tree)
    client.force_login(tree.community_secretary_a1)
    response = client.get(reverse("agreement-pdf", kwargs={"pk": agreement.pk}))
    text = pdf_text(response.content)
    assert "未签署" in text and "(未签署,尚未生成)" in text
    assert agreement.public_token not in text


def test_the_file_name_is_the_title_and_version_in_rfc5987(tree, client):
    agreement = agreement_with_parties(tree, title="锦霞社区共建协议/2026")
    client.force_login(tree.community_secretary_a1)
    response = client.get(reverse("agreement-pdf", kwargs={"pk": agreement.pk}))
    disposition = response["Content-Disposition"]
    assert f"filename*=UTF-8''{quote('锦霞社区共建协议_2026-v1.pdf')}" in disposition
    assert f'filename="agreement-{agreement.pk}-v1.pdf"' in disposition


def test_a_forty_clause_agreement_runs_to_several_numbered_pages(tree, client):
    assert harfbuzz_subset_available(), "install libharfbuzz-subset0: without it WeasyPrint is ten times slower"
    agreement = agreement_with_parties(tree, clauses=40)
    sign_all(tree, agreement)
    client.force_login(tree.community_secretary_a1)
    url = reverse("agreement-pdf", kwargs={"pk": agreement.pk})
    client.get(url)  # warm-up: WeasyPrint loads pango and the font once per process
    started = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - started
    pages = pdf_pages(response.content)
    assert pages >= 3
    text = pdf_text(response.content)
    assert f"1/{pages}" in text and f"{pages}/{pages}" in text  # base.html numbers the pages
    assert "第40条" in text
    # The figure is measured by bench/pdf_bench.py; here only a generous bound against regressions.
    assert elapsed < 5, f"{elapsed:.2f} s"


@pytest.mark.parametrize("who", ["community_secretary_a2", "secretary_b", "other_tenant_admin"])
def test_neighbours_get_404_on_both_pdfs(tree, client, who):
    agreement = agreement_with_parties(tree)
    sign_all(tree, agreement)
    client.force_login(getattr(tree, who))
    assert client.get(reverse("agreement-pdf", kwargs={"pk": agreement.pk})).status_code == 404
    assert client.get(reverse("unit-obligations-pdf", kwargs={"pk": tree.unit_a1.pk})).status_code == 404


def test_an_unrelated_units_liaison_gets_404_on_both_pdfs(tree, client):
    agreement = agreement_with_parties(tree, units=("unit_a1",))
    sign_all(tree, agreement)
    other = factories.user_with_role(tree.community_a1, Role.LIAISON, unit=tree.unit_a1_other, username="liaison_x")
    client.force_login(other)
    assert client.get(reverse("agreement-pdf", kwargs={"pk": agreement.pk})).status_code == 404
    assert client.get(reverse("unit-obligations-pdf", kwargs={"pk": tree.unit_a1.pk})).status_code == 404
    # Its own unit's obligations it may print (none here).
    own = client.get(reverse("unit-obligations-pdf", kwargs={"pk": tree.unit_a1_other.pk}))
    assert own.status_code == 200 and "没有需要履行的承诺事项" in pdf_text(own.content)


def test_a_liaison_prints_its_own_agreement_and_obligations(tree, client):
    agreement = agreement_with_parties(tree)
    sign_all(tree, agreement)
    publish(tree, agreement)
    client.force_login(tree.liaison_a1)
    assert client.get(reverse("agreement-pdf", kwargs={"pk": agreement.pk})).status_code == 200
    response = client.get(reverse("unit-obligations-pdf", kwargs={"pk": tree.unit_a1.pk}))
    assert response.status_code == 200
    assert "filename*=UTF-8''" + quote("锦霞物业服务有限公司-履约清单.pdf") in response["Content-Disposition"]
    text = pdf_text(response.content)
    assert "锦霞物业服务有限公司" in text and agreement.title in text
    assert "物业服务企业每月向社区通报小区公共收益" not in text  # a clause, not an obligation
    assert "公共收益公示" in text and "每月15日" in text
    # The other unit's commitment is not the liaison's to print.
    assert "开放操场" not in text


def test_the_obligations_pdf_lists_only_agreements_in_force(tree, client):
    draft = agreement_with_parties(tree, title="尚在谈约的协议")
    signed = agreement_with_parties(tree, title="已签约的协议")
    sign_all(tree, signed)
    client.force_login(tree.community_secretary_a1)
    text = pdf_text(client.get(reverse("unit-obligations-pdf", kwargs={"pk": tree.unit_a1.pk})).content)
    assert signed.title in text and draft.title not in text


def test_the_obligations_pdf_shows_next_due_dates_and_item_status(tree, client):
    from agreements.models import CommitmentItem
    from tasks.services import item_start

    agreement = perform(tree, publish(tree, sign_all(tree, agreement_with_parties(tree))))
    monthly = CommitmentItem.objects.filter(commitment__party__unit=tree.unit_a1).select_related("item").first()
    assert monthly is not None and monthly.due_on.day == 15
    item_start(user=tree.community_secretary_a1, item=monthly.item)
    client.force_login(tree.liaison_a1)
    text = pdf_text(client.get(reverse("unit-obligations-pdf", kwargs={"pk": tree.unit_a1.pk})).content)
    assert agreement.title in text and "履约" in text
    assert monthly.due_on.strftime("%Y-%m-%d") + "办理中" in text  # the occurrence and its item's status
    assert "下次应完成" in text and text.count(monthly.due_on.strftime("%Y-%m-%d")) >= 2


def test_the_pdf_and_public_page_read_a_fixed_number_of_queries(tree, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    small = publish(tree, sign_all(tree, agreement_with_parties(tree, clauses=2, units=("unit_a1",))))
    large = publish(tree, sign_all(tree, agreement_with_parties(tree, clauses=30)))
    client.force_login(tree.community_secretary_a1)
    counts = {}
    for name, agreement in (("small", small), ("large", large)):
        for url in (reverse("agreement-pdf", kwargs={"pk": agreement.pk}),
                    reverse("public-agreement", kwargs={"token": agreement.public_token})):
            client.get(url)
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            counts[name, url.endswith(".pdf")] = len(ctx.captured_queries)
    assert counts["small", True] == counts["large", True]
    assert counts["small", False] == counts["large", False]
