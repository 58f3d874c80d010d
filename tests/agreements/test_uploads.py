"""Evidence files follow the shared upload rules (alliance.uploads), like meetings' attachments:
an oversized request is refused before it is read (the page shows a message, the API answers 413),
only PDF, Word, Excel and images up to 10 MB are taken, and a failure leaves no row or file."""

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from agreements.models import Evidence
from agreements.services import evidence_report
from alliance.uploads import UPLOAD_MAX_BYTES

from ..conftest import fresh

pytestmark = pytest.mark.django_db

HUGE = str(50 * 1024 * 1024)  # a body that claims 50 MB: reading it would fail, so success shows it was not read


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def pdf(name="签到表.pdf", size=None):
    return SimpleUploadedFile(name, b"%PDF-1.4\n" + b"0" * ((size or 100) - 9), content_type="application/pdf")


def unit_commitment(agreement):
    return agreement.commitments.filter(party__unit__isnull=False).order_by("position", "pk").first()


def report_url(agreement) -> str:
    return reverse("agreement-action", kwargs={"pk": agreement.pk, "action": "report"})


def api_report_url(commitment) -> str:
    return reverse("api:commitment-report", kwargs={"pk": commitment.pk})


def test_an_oversized_evidence_upload_is_refused_before_it_is_read(tree, client, api, media, agreement_performing):
    agreement = agreement_performing
    commitment = unit_commitment(agreement)
    client.force_login(tree.liaison_a1)
    response = client.post(report_url(agreement), {"commitment": commitment.pk, "text": "已完成。", "file": pdf()},
                           CONTENT_LENGTH=HUGE)
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["文件不能超过10MB。"]
    refused = api(tree.liaison_a1).post(api_report_url(commitment), {"text": "已完成。", "file": pdf()},
                                        format="multipart", CONTENT_LENGTH=HUGE)
    assert refused.status_code == 413 and refused.json()["message"] == "文件不能超过10MB。"
    assert not Evidence.objects.exists() and not [p for p in media.rglob("*") if p.is_file()]
    # A neighbour community's secretary still gets 404 on the page, whatever it sends.
    client.force_login(tree.community_secretary_a2)
    assert client.post(report_url(agreement), {"commitment": commitment.pk, "text": "x", "file": pdf()},
                       CONTENT_LENGTH=HUGE).status_code == 404
    # Just under the limit still goes through the ordinary way, stored under a random name.
    ok = api(tree.liaison_a1).post(api_report_url(commitment), {"text": "已完成。", "file": pdf(size=UPLOAD_MAX_BYTES)},
                                   format="multipart")
    assert ok.status_code == 201, ok.content
    evidence = Evidence.objects.get()
    assert evidence.file_name == "签到表.pdf" and "签到表" not in evidence.file.name


def test_the_evidence_page_shows_the_shared_file_rules(tree, client, media, agreement_performing):
    agreement = agreement_performing
    commitment = unit_commitment(agreement)
    client.force_login(tree.liaison_a1)
    page = client.get(reverse("agreement-detail", kwargs={"pk": agreement.pk})).content.decode()
    assert "不超过10MB" in page and 'accept=".pdf, .doc, .docx, .xls, .xlsx, .jpg, .jpeg, .png"' in page
    response = client.post(report_url(agreement), {
        "commitment": commitment.pk, "text": "已完成。",
        "file": SimpleUploadedFile("照片.zip", b"PK\x03\x04", content_type="application/zip")}, follow=True)
    assert "只能上传PDF、Word、Excel或图片(jpg、png)文件。" in response.content.decode()
    assert not Evidence.objects.exists()


def test_the_api_refuses_a_file_type_or_size_with_the_services_message(tree, api, media, agreement_performing):
    commitment = unit_commitment(agreement_performing)
    liaison = api(tree.liaison_a1)
    wrong = liaison.post(api_report_url(commitment), {"text": "已完成。", "file": SimpleUploadedFile("a.txt", b"x")},
                         format="multipart")
    assert wrong.status_code == 400 and wrong.json()["errors"]["file"] == ["只能上传PDF、Word、Excel或图片(jpg、png)文件。"]
    with pytest.raises(ValidationError) as refused:
        evidence_report(user=fresh(tree.liaison_a1), commitment=commitment, text="已完成。",
                        file=pdf(size=UPLOAD_MAX_BYTES + 1))
    assert refused.value.message_dict == {"file": ["文件不能超过10MB。"]}
    assert not Evidence.objects.exists() and not [p for p in media.rglob("*") if p.is_file()]


def test_a_file_that_cannot_be_stored_leaves_no_evidence_row(tree, media, agreement_performing):
    commitment = unit_commitment(agreement_performing)
    (media / "evidence").write_text("a file where the folder should be")
    with pytest.raises(ValidationError, match="附件保存失败"):
        evidence_report(user=fresh(tree.liaison_a1), commitment=commitment, text="已完成。", file=pdf())
    assert not Evidence.objects.exists()


def test_the_report_action_still_checks_the_csrf_token(tree, agreement_performing):
    commitment = unit_commitment(agreement_performing)
    client = Client(enforce_csrf_checks=True)
    client.force_login(tree.liaison_a1)
    forged = client.post(report_url(agreement_performing), {"commitment": commitment.pk, "text": "已完成。"})
    assert forged.status_code == 403
    assert not Evidence.objects.exists()
