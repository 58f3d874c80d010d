"""Uploaded files: the name a user gave is cleaned for display and never used to store the file;
files are reached only through a page or endpoint that checks the alliance, never under /media/.
(Type and size refusals are tested in tests/agreements/test_uploads.py and tests/meetings/.)"""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from alliance.uploads import UPLOAD_MAX_BYTES, upload_clean_name, upload_display_name
from meetings.models import ProposalAttachment
from meetings.services import proposal_attach, proposal_submit

from ..conftest import fresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def pdf(name, size=100):
    return SimpleUploadedFile(name, b"%PDF-1.4\n" + b"0" * (size - 9), content_type="application/pdf")


@pytest.mark.parametrize(("given", "shown"), [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("..\\..\\windows\\win.ini.pdf", "win.ini.pdf"),
    ('<img src=x onerror="alert(1)">.pdf', "_img src=x onerror=_alert(1)__.pdf"),
    ("发票\u202efdp.exe.pdf", "发票fdp.exe.pdf"),  # a right-to-left override would show "…exe.pdf" reversed
    ("会议\r\n纪要\x00.pdf", "会议纪要.pdf"),
    ("..pdf", "附件.pdf"),
    ("签到表.PDF", "签到表.pdf"),
])
def test_names_are_cleaned_for_display(given, shown):
    assert upload_clean_name(pdf(given)) == (shown, "pdf")


def test_a_name_without_folders_or_controls_is_kept():
    assert upload_display_name("2026年第一季度 共建清单(终稿).xlsx") == "2026年第一季度 共建清单(终稿).xlsx"


@pytest.mark.parametrize(("upload", "message"), [
    (lambda: SimpleUploadedFile("脚本.pdf.exe", b"MZ"), "只能上传PDF、Word、Excel或图片(jpg、png)文件。"),
    (lambda: SimpleUploadedFile("page.html", b"<script>"), "只能上传PDF、Word、Excel或图片(jpg、png)文件。"),
    (lambda: SimpleUploadedFile("无扩展名", b"%PDF"), "只能上传PDF、Word、Excel或图片(jpg、png)文件。"),
    (lambda: pdf("大文件.pdf", size=UPLOAD_MAX_BYTES + 1), "文件不能超过10MB。"),
])
def test_a_wrong_type_or_a_too_large_file_is_refused(upload, message):
    with pytest.raises(ValidationError) as refused:
        upload_clean_name(upload())
    assert refused.value.message_dict == {"file": [message]}


def test_a_hostile_name_is_stored_under_a_random_name_and_shown_escaped(tree, client, media):
    proposal = proposal_submit(user=fresh(tree.liaison_a1), alliance=tree.community_a1, unit=tree.unit_a1,
                               title="加装电梯")
    attachment = proposal_attach(user=fresh(tree.liaison_a1), proposal=proposal,
                                 uploaded_file=pdf("../../<script>alert(1)</script>.pdf"))
    assert attachment.name == "script_.pdf"
    stored = attachment.file.name
    assert "script" not in stored and ".." not in stored and stored.endswith(".pdf")
    assert (media / stored).is_file() and [p for p in media.rglob("*") if p.is_file()] == [media / stored]
    client.force_login(tree.liaison_a1)
    url = reverse("proposal-attachment", kwargs={"pk": proposal.pk, "attachment_pk": attachment.pk})
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="script_.pdf"'


def test_another_alliances_upload_answers_404_and_media_is_not_served(tree, client, media):
    proposal = proposal_submit(user=fresh(tree.liaison_a1), alliance=tree.community_a1, unit=tree.unit_a1,
                               title="加装电梯")
    attachment = proposal_attach(user=fresh(tree.liaison_a1), proposal=proposal, uploaded_file=pdf("方案.pdf"))
    url = reverse("proposal-attachment", kwargs={"pk": proposal.pk, "attachment_pk": attachment.pk})
    for neighbour in (tree.community_secretary_a2, tree.secretary_b, tree.other_tenant_admin):
        client.force_login(neighbour)
        assert client.get(url).status_code == 404
    # Knowing (or guessing) the stored name does not help: nothing serves MEDIA_URL.
    client.force_login(tree.root)
    assert client.get(f"/media/{attachment.file.name}").status_code == 404
    assert ProposalAttachment.objects.count() == 1
