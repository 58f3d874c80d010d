"""What leaves a meeting: the report-back agenda (通报), the .ics file, the invitation and reminder
e-mails, and the minutes (会议纪要) as PDF."""

import datetime as dt
import io

import icalendar
import pypdf
import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from alliance.roles import Role
from meetings.models import Invitation, Meeting
from meetings.services import (
    Action,
    meeting_close,
    meeting_invite_units,
    meeting_open,
    meeting_record_attendance,
    meeting_schedule,
    proposal_decide,
    proposal_review,
    proposal_schedule,
    proposal_submit,
    proxy_grant,
    report_back_agenda,
    resolution_assign_actions,
    vote_cast,
)
from meetings.tasks import _send, send_meeting_invitations_task, send_meeting_reminders_task
from members.models import Membership, User
from members.services import membership_update
from tasks.models import Item
from tasks.services import item_resolve

from .. import factories
from ..conftest import fresh
from .test_services import DUE, schedule, sec, sitting, vote

SITE = "https://dangjian.example.gov.cn"


def _decided_actions(secretary, alliance, units, titles, *, days, voters=None):
    """A meeting of `alliance` `days` from now (negative: in the past), held and closed: one proposal
    adopted by `voters` (default: `units`; enough of the alliance's member units for a quorum), its
    actions (one per title, to `units` in turn) assigned."""
    secretary = fresh(secretary)
    assignees, units = units, voters or units
    meeting = meeting_schedule(user=secretary, alliance=alliance, title="往期例会", agenda="议题",
                               starts_at=timezone.now() + dt.timedelta(days=days), units=units)
    proposal = proposal_submit(user=secretary, alliance=alliance, title="往期议题")
    proposal = proposal_review(user=secretary, proposal=proposal, approve=True)
    proposal_schedule(user=secretary, proposal=proposal, meeting=meeting)
    meeting_open(user=secretary, meeting=meeting)
    for unit in units:
        meeting_record_attendance(user=secretary, meeting=meeting, unit=unit, present=True)
    for unit in units:
        vote_cast(user=secretary, proposal=proposal, unit=unit, choice="for")
    resolution = proposal_decide(user=secretary, proposal=proposal, text="同意")
    actions = resolution_assign_actions(user=secretary, resolution=resolution, actions=[
        Action(due=DUE, unit=assignees[i % len(assignees)], title=title) for i, title in enumerate(titles)])
    meeting_close(user=secretary, meeting=meeting)
    return meeting, [a.item for a in actions]


@pytest.fixture
def reported(m):
    """Community A1: a meeting 10 days ago whose four actions are, by now, finished before the
    previous meeting (2 days ago), finished since, overdue, and open in time; community A2 has a
    finished action of its own."""
    _first, items = _decided_actions(m.community_secretary_a1, m.community_a1, [m.unit_a1, m.unit_a1_other],
                                     ["早已办结的事项", "新近办结的事项", "超期未办的事项", "正在办理的事项"], days=-10,
                                     voters=m.units)
    early, recent, overdue, _open = items
    now = timezone.now()
    item_resolve(user=sec(m), item=early, note="已完成")
    Item.objects.filter(pk=early.pk).update(resolved_at=now - dt.timedelta(days=5))  # it happened back then
    meeting_schedule(user=sec(m), alliance=m.community_a1, title="上次例会", agenda="上次议程",
                     starts_at=now - dt.timedelta(days=2))
    item_resolve(user=sec(m), item=recent, note="已完成")
    Item.objects.filter(pk=overdue.pk).update(due_at=now - dt.timedelta(days=1))
    _other, (neighbour,) = _decided_actions(m.community_secretary_a2, m.community_a2, [m.unit_a2],
                                            ["翠园社区的事项"], days=-10)
    item_resolve(user=fresh(m.community_secretary_a2), item=neighbour, note="已完成")
    return m


def test_the_report_back_agenda_lists_what_was_finished_since_the_previous_meeting_and_what_is_overdue(reported):
    m = reported
    due = timezone.localtime(Item.objects.get(title="超期未办的事项").due_at).strftime("%Y-%m-%d")
    expected = "\n".join([
        "一、通报上次会议决议事项办理情况",
        f"1. 【已办结】新近办结的事项({m.unit_a1_other.name})",
        f"2. 【已超期】超期未办的事项({m.unit_a1.name},期限{due})",
    ])
    assert report_back_agenda(alliance=m.community_a1, starts_at=timezone.now() + dt.timedelta(days=7)) == expected
    # meeting_schedule fills it in when the caller gives no agenda, and keeps the caller's own.
    meeting = schedule(m, days=7)
    assert meeting.agenda == expected
    assert schedule(m, days=8, agenda="只讨论绿化").agenda == "只讨论绿化"
    # The neighbour's alliance reports only its own.
    assert "翠园社区的事项" in report_back_agenda(alliance=m.community_a2)
    assert "翠园社区的事项" not in expected


def test_the_create_page_and_the_api_start_from_the_report_back(reported, client, api):
    m = reported
    client.force_login(m.community_secretary_a1)
    page = client.get(reverse("meeting-create", kwargs={"pk": m.community_a1.pk})).content.decode()
    textarea = page.split('name="agenda"')[1].split("</textarea>")[0]
    assert "一、通报上次会议决议事项办理情况" in textarea
    assert "【已办结】新近办结的事项" in textarea and "【已超期】超期未办的事项" in textarea
    assert "早已办结的事项" not in textarea and "正在办理的事项" not in textarea
    assert "翠园社区的事项" not in textarea
    created = api(m.community_secretary_a1).post(reverse("api:meeting-list"), {
        "alliance": m.community_a1.pk, "title": "接口安排的例会",
        "starts_at": (timezone.now() + dt.timedelta(days=7)).isoformat()}, format="json")
    assert created.status_code == 201, created.content
    assert "【已办结】新近办结的事项" in created.json()["agenda"]


# --- iCalendar -----------------------------------------------------------------------------

def _calendar_event(content):
    calendar = icalendar.Calendar.from_ical(content)
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def test_the_ics_file_describes_the_meeting(m, client, settings):
    settings.SITE_URL = SITE
    meeting = schedule(m, days=3, agenda="一、通报\n二、加装电梯")
    meeting_invite_units(user=sec(m), meeting=meeting, units=[m.unit_a1])
    client.force_login(m.community_secretary_a1)
    response = client.get(reverse("meeting-ics", kwargs={"pk": meeting.pk}))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar, event = _calendar_event(response.content)
    assert str(event["uid"]) == f"meeting-{meeting.pk}@dangjian.example.gov.cn"
    start, end = event.decoded("dtstart"), event.decoded("dtend")
    assert start == meeting.starts_at.replace(microsecond=0) and str(start.tzinfo) == "Asia/Shanghai"
    assert end - start == dt.timedelta(hours=2)  # no end given: two hours
    assert str(event["summary"]) == meeting.title and str(event["location"]) == "社区党群服务中心"
    assert "二、加装电梯" in str(event["description"])
    assert f"{SITE}/meetings/{meeting.pk}/" in str(event["description"])
    assert event["organizer"].params["CN"] == m.community_secretary_a1.get_full_name()
    assert str(event["status"]) == "CONFIRMED"
    assert [tz["tzid"] for tz in calendar.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    # The same UID on every download, so calendars update the event instead of adding another.
    assert _calendar_event(client.get(reverse("meeting-ics", kwargs={"pk": meeting.pk})).content)[1]["uid"] == \
        event["uid"]
    # The liaison of an invited unit sees it; of a unit not invited, does not.
    client.force_login(m.liaison_a1)
    assert client.get(reverse("meeting-ics", kwargs={"pk": meeting.pk})).status_code == 200
    client.force_login(m.liaison_a1_other)
    assert client.get(reverse("meeting-ics", kwargs={"pk": meeting.pk})).status_code == 404


def test_the_ics_file_keeps_the_planned_end(m, client):
    meeting = schedule(m, days=3)
    Meeting.objects.filter(pk=meeting.pk).update(ends_at=meeting.starts_at + dt.timedelta(minutes=90))
    client.force_login(m.community_secretary_a1)
    _calendar, event = _calendar_event(client.get(reverse("meeting-ics", kwargs={"pk": meeting.pk})).content)
    assert event.decoded("dtend") - event.decoded("dtstart") == dt.timedelta(minutes=90)


@pytest.mark.parametrize("name", ["meeting-ics", "meeting-minutes"])
@pytest.mark.parametrize("neighbour", ["community_secretary_a2", "secretary_b", "other_tenant_admin"])
def test_neighbours_get_404_for_the_ics_and_the_minutes(m, client, name, neighbour):
    meeting = schedule(m)
    client.force_login(getattr(m, neighbour))
    assert client.get(reverse(name, kwargs={"pk": meeting.pk})).status_code == 404


def test_the_meeting_page_links_the_ics_and_the_minutes(m, client):
    meeting = schedule(m)
    client.force_login(m.community_secretary_a1)
    page = client.get(reverse("meeting-detail", kwargs={"pk": meeting.pk})).content.decode()
    assert reverse("meeting-ics", kwargs={"pk": meeting.pk}) in page
    assert reverse("meeting-minutes", kwargs={"pk": meeting.pk}) in page


# --- e-mails -------------------------------------------------------------------------------

@pytest.fixture
def liaisons(m):
    """unit_a1 gets a second liaison; unit_c one without an e-mail address; unit_d none."""
    m.liaison_a1_b = factories.user_with_role(m.community_a1, Role.LIAISON, unit=m.unit_a1, username="liaison_a1_b")
    m.liaison_c = factories.user_with_role(m.community_a1, Role.LIAISON, unit=m.unit_c, username="liaison_c")
    User.objects.filter(pk=m.liaison_c.pk).update(email="")
    return m


def _attachment(message):
    (attachment,) = message.attachments
    filename, content, mimetype = attachment
    return filename, content, mimetype


def test_invitations_are_mailed_once_to_the_liaisons_of_each_invited_unit(
        liaisons, settings, django_capture_on_commit_callbacks):
    m = liaisons
    settings.SITE_URL = SITE
    with django_capture_on_commit_callbacks(execute=True):
        meeting = schedule(m, days=3, agenda="一、通报\n二、加装电梯", units=m.units)
    assert sorted(sorted(message.to) for message in mail.outbox) == [
        sorted(["liaison_a1@example.cn", "liaison_a1_b@example.cn"]), ["liaison_a1_other@example.cn"]]
    message = next(msg for msg in mail.outbox if "liaison_a1@example.cn" in msg.to)
    assert message.subject == f"会议通知:{meeting.title}"
    local = timezone.localtime(meeting.starts_at)
    for text in (m.unit_a1.name, meeting.title, "社区党群服务中心", "二、加装电梯",
                 f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}", f"{SITE}/meetings/{meeting.pk}/"):
        assert text in message.body, text
    filename, content, mimetype = _attachment(message)
    assert filename == f"meeting-{meeting.pk}.ics" and mimetype == "text/calendar"
    _calendar, event = _calendar_event(content)
    assert str(event["uid"]) == f"meeting-{meeting.pk}@dangjian.example.gov.cn"
    assert event.decoded("dtstart") == meeting.starts_at.replace(microsecond=0)
    notified = dict(Invitation.objects.filter(meeting=meeting).values_list("unit_id", "notified_at"))
    assert notified[m.unit_a1.pk] and notified[m.unit_a1_other.pk]
    # No address, nobody told: those stay open for a later run.
    assert notified[m.unit_c.pk] is None and notified[m.unit_d.pk] is None

    # Running the task again (a retry, a second worker) sends nothing more.
    assert send_meeting_invitations_task.delay(meeting.pk).get() == 0
    assert len(mail.outbox) == 2
    # A worker that read the invitations before another one claimed them sends nothing either.
    stale = list(Invitation.objects.filter(meeting=meeting).select_related(
        "unit", "meeting", "meeting__alliance", "meeting__convener"))
    Invitation.objects.filter(meeting=meeting).update(notified_at=None)
    send_meeting_invitations_task.delay(meeting.pk).get()
    mail.outbox.clear()
    assert _send(stale, reminder=False) == 0 and mail.outbox == []

    # Once unit_c's liaison has an address, the next run tells unit_c only.
    User.objects.filter(pk=m.liaison_c.pk).update(email="liaison_c@example.cn")
    assert send_meeting_invitations_task.delay(meeting.pk).get() == 1
    assert [msg.to for msg in mail.outbox] == [["liaison_c@example.cn"]]


def test_inviting_more_units_mails_only_the_new_ones(liaisons, django_capture_on_commit_callbacks):
    m = liaisons
    with django_capture_on_commit_callbacks(execute=True):
        meeting = schedule(m, days=3, units=[m.unit_a1])
    assert len(mail.outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        meeting_invite_units(user=sec(m), meeting=meeting, units=[m.unit_a1, m.unit_a1_other])
    assert [msg.to for msg in mail.outbox[1:]] == [["liaison_a1_other@example.cn"]]


def test_nothing_is_mailed_when_the_invitation_rolls_back(liaisons, django_capture_on_commit_callbacks):
    m = liaisons
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(ValidationError):
        schedule(m, days=3, units=[m.unit_a1, m.unit_a2])  # unit_a2 is not a member: all or nothing
    assert not callbacks and mail.outbox == [] and not Meeting.objects.exists()


def test_reminders_go_once_for_meetings_within_a_day(liaisons):
    m = liaisons
    soon = schedule(m, days=0.25, title="明早例会", units=[m.unit_a1, m.unit_a1_other])
    later = schedule(m, days=3, title="下周例会", units=[m.unit_a1])
    running, _props = sitting(m, days=0.1)
    assert mail.outbox == []  # on_commit never ran inside the test's transaction: not yet invited
    Invitation.objects.update(notified_at=timezone.now())  # as if it had: the invitations went out
    assert send_meeting_reminders_task.delay().get() == 2
    assert {msg.subject for msg in mail.outbox} == {
        f"会议提醒:明早例会({timezone.localtime(soon.starts_at):%m-%d %H:%M})"}
    assert sorted(sorted(msg.to) for msg in mail.outbox) == [
        sorted(["liaison_a1@example.cn", "liaison_a1_b@example.cn"]), ["liaison_a1_other@example.cn"]]
    message = mail.outbox[0]
    assert "明早例会" in message.body and _calendar_event(_attachment(message)[1])[1]["summary"] == "明早例会"
    reminded = Invitation.objects.filter(reminded_at__isnull=False)
    assert set(reminded.values_list("meeting_id", flat=True)) == {soon.pk}
    assert not Invitation.objects.filter(meeting__in=[later, running], reminded_at__isnull=False).exists()
    # The beat runs every 15 minutes: nobody is reminded twice.
    assert send_meeting_reminders_task.delay().get() == 0
    assert len(mail.outbox) == 2


def test_an_invitation_within_a_day_is_the_reminder(liaisons, django_capture_on_commit_callbacks):
    m = liaisons
    with django_capture_on_commit_callbacks(execute=True):
        schedule(m, days=0.25, units=[m.unit_a1])
    assert [msg.subject.split(":")[0] for msg in mail.outbox] == ["会议通知"]
    assert send_meeting_reminders_task.delay().get() == 0


def test_the_reminder_sweep_is_on_the_beat_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["send-meeting-reminders"]
    assert entry["task"] == send_meeting_reminders_task.name and entry["schedule"] == 15 * 60


# --- minutes -------------------------------------------------------------------------------

def _pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "".join(page.extract_text() for page in reader.pages)


def test_the_minutes_print_attendance_quorum_tallies_and_actions(m, client):
    membership_update(user=sec(m), membership=Membership.objects.get(unit=m.unit_a1, alliance=m.community_a1),
                      representative="王建国")
    proposal = proposal_submit(user=sec(m), alliance=m.community_a1, title="老旧小区加装电梯")
    proposal = proposal_review(user=sec(m), proposal=proposal, approve=True, major=True)
    meeting = schedule(m, units=m.units)
    proposal_schedule(user=sec(m), proposal=proposal, meeting=meeting)
    meeting_open(user=sec(m), meeting=meeting)
    for unit in (m.unit_a1, m.unit_a1_other, m.unit_c):
        meeting_record_attendance(user=sec(m), meeting=meeting, unit=unit, present=True)
    meeting_record_attendance(user=sec(m), meeting=meeting, unit=m.unit_d, present=False)
    proxy_grant(user=sec(m), meeting=meeting, from_unit=m.unit_d, to_unit=m.unit_c)
    vote(m, proposal, m.unit_a1, "for")
    vote(m, proposal, m.unit_a1_other, "for")
    vote(m, proposal, m.unit_c, "abstain")
    vote(m, proposal, m.unit_d, "for")  # by its proxy holder
    resolution = proposal_decide(user=sec(m), proposal=proposal, text="同意在3号楼试点加装电梯")
    resolution_assign_actions(user=sec(m), resolution=resolution, actions=[
        Action(due=DUE, unit=m.unit_a1, title="制定加装方案")])
    meeting_close(user=sec(m), meeting=meeting)

    client.force_login(m.community_secretary_a1)
    response = client.get(reverse("meeting-minutes", kwargs={"pk": meeting.pk}))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content).replace(" ", "")
    for expected in (f"{meeting.title}纪要", "例会", "社区党群服务中心", m.community_secretary_a1.get_full_name(),
                     m.unit_a1.name, m.unit_a1_other.name, m.unit_c.name, m.unit_d.name, "王建国", "缺席",
                     f"委托{m.unit_c.name}代为表决", "应到单位4个,实到单位4个(其中委托表决1个)", "其中受邀4个",
                     "达到法定人数(须超过应到单位的1/2)", proposal.title, "重大事项", "赞成3", "反对0", "弃权1", "通过", "同意在3号楼试点加装电梯",
                     "制定加装方案", "办理中"):
        assert expected in text, expected
    # Nothing in it depends on when it was printed: the same meeting prints the same text.
    again = client.get(reverse("meeting-minutes", kwargs={"pk": meeting.pk}))
    assert _pdf_text(again.content) == _pdf_text(response.content)
    # The liaison of an invited unit may read the minutes too.
    client.force_login(m.liaison_a1)
    assert client.get(reverse("meeting-minutes", kwargs={"pk": meeting.pk})).status_code == 200


def test_the_minutes_carry_the_report_back_and_a_missing_quorum(reported, client):
    m = reported
    meeting = schedule(m, days=7, units=[m.unit_a1, m.unit_a1_other, m.unit_c])
    meeting_record_attendance(user=sec(m), meeting=meeting, unit=m.unit_a1, present=True)
    client.force_login(m.community_secretary_a1)
    text = _pdf_text(client.get(reverse("meeting-minutes", kwargs={"pk": meeting.pk})).content).replace(" ", "")
    assert "一、通报上次会议决议事项办理情况" in text and "【已办结】新近办结的事项" in text
    assert "超期未办的事项" in text and "未达到法定人数" in text
