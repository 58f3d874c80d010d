"""The meeting pages after the browser walkthrough (issue #4): what each user is offered matches
what the services allow, the secretary's queue of proposals to review, the liaison's page."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from meetings.services import (
    meeting_invite_units,
    meeting_open,
    meeting_record_attendance,
    proposal_decide,
    proposal_schedule,
    proposal_submit,
    proxy_grant,
    resolution_publish,
)

from ..conftest import fresh
from .test_services import approved, schedule, sec, sitting, vote


def _get(client, user, name, **kwargs):
    client.force_login(fresh(user))
    response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 200
    return response.content.decode()


def _agenda_block(page, proposal):
    return page.split(f'<tbody id="proposal-{proposal.pk}"')[1].split("</tbody>")[0]


def test_the_vote_and_the_decide_form_sit_under_the_proposal_and_list_only_units_still_to_vote(m, client):
    meeting, (proposal,) = sitting(m, present=m.units[:3])
    vote(m, proposal, m.unit_a1, "for")
    page = _get(client, m.community_secretary_a1, "meeting-detail", pk=meeting.pk)
    block = _agenda_block(page, proposal)
    # The forms are in a full-width row of their own under the proposal's row.
    assert 'class="agenda-act"' in block and 'colspan="7"' in block
    assert 'placeholder="决议内容"' in block and "结束表决" in block
    units = block.split('name="unit"')[1].split("</select>")[0]
    assert m.unit_a1_other.name in units and m.unit_c.name in units
    assert m.unit_a1.name not in units  # its vote stands


def test_a_liaison_whose_unit_voted_is_told_so_and_is_offered_no_proxy(m, client):
    meeting, (proposal,) = sitting(m, present=m.units[:3])
    before = _get(client, m.liaison_a1, "meeting-detail", pk=meeting.pk)
    assert 'data-testid="proxy-form"' in before
    assert 'name="choice"' in _agenda_block(before, proposal)
    vote(m, proposal, m.unit_a1, "for")
    after = _get(client, m.liaison_a1, "meeting-detail", pk=meeting.pk)
    assert 'data-testid="proxy-form"' not in after
    block = _agenda_block(after, proposal)
    assert 'name="choice"' not in block and "可以表决的单位都已投票" in block
    assert "结束表决" not in block


def test_no_proxy_form_for_a_unit_that_gave_its_proxy_or_once_the_meeting_is_over(m, client):
    meeting = schedule(m)
    meeting_invite_units(user=sec(m), meeting=meeting, units=m.units)
    proxy_grant(user=sec(m), meeting=meeting, from_unit=m.unit_a1, to_unit=m.unit_c)
    assert 'data-testid="proxy-form"' not in _get(client, m.liaison_a1, "meeting-detail", pk=meeting.pk)
    # The secretary still may, for the others; both selects start empty (请选择).
    page = _get(client, m.community_secretary_a1, "meeting-detail", pk=meeting.pk)
    form = page.split('data-testid="proxy-form"')[1].split("</form>")[0]
    giver = form.split('name="from_unit"')[1].split("</select>")[0]
    holder = form.split('name="to_unit"')[1].split("</select>")[0]
    for select in (giver, holder):
        assert select.index('<option value="">请选择</option>') < select.index("<option value=\"" + str(m.unit_d.pk))
        assert " selected" not in select
    assert m.unit_a1.name not in giver and m.unit_c.name not in giver  # gave / holds a proxy
    assert m.unit_a1.name not in holder
    # An empty choice is refused with a message, not a 404.
    response = client.post(reverse("meeting-action", kwargs={"pk": meeting.pk, "action": "proxy"}),
                           {"from_unit": "", "to_unit": ""}, follow=True)
    assert "请选择委托单位和受托单位" in response.content.decode()


def test_the_secretary_finds_the_proposals_to_review_and_to_schedule_on_the_meeting_list(m, client):
    submitted = proposal_submit(user=fresh(m.liaison_a1), alliance=m.community_a1, unit=m.unit_a1,
                                title="东门电动车停放", body="飞线充电")
    waiting = approved(m, title="加装电梯")
    on_agenda = proposal_schedule(user=sec(m), proposal=approved(m, title="已列入的议题"), meeting=schedule(m))
    page = _get(client, m.community_secretary_a1, "meeting-list", pk=m.community_a1.pk)
    queue = page.split('data-testid="awaiting-proposals"')[1].split("</section>")[0]
    row = queue.split(f'data-testid="awaiting-{submitted.pk}"')[1].split("</tr>")[0]
    assert reverse("proposal-detail", kwargs={"pk": submitted.pk}) in row
    assert m.unit_a1.name in row and "待审定" in row and f"{timezone.localdate():%Y-%m-%d}" in row
    assert "待列入议程" in queue.split(f'data-testid="awaiting-{waiting.pk}"')[1].split("</tr>")[0]
    assert on_agenda.title not in queue
    # Not for the liaison, and not for the neighbour.
    assert 'data-testid="awaiting-proposals"' not in _get(client, m.liaison_a1, "meeting-list", pk=m.community_a1.pk)
    client.force_login(fresh(m.community_secretary_a2))
    assert client.get(reverse("meeting-list", kwargs={"pk": m.community_a1.pk})).status_code == 404


def test_the_liaison_goes_straight_to_the_proposal_and_sees_meetings_in_session(m, client):
    meeting, (proposal,) = sitting(m, present=m.units[:2])
    later = schedule(m, days=5, title="下次例会")
    meeting_invite_units(user=sec(m), meeting=later, units=m.units)
    page = _get(client, m.liaison_a1, "my-meetings")
    votes = page[page.index('data-testid="votes-to-cast"'):page.index('data-testid="invitations"')]
    assert f'{reverse("meeting-detail", kwargs={"pk": meeting.pk})}#proposal-{proposal.pk}' in votes
    invitations = page[page.index('data-testid="invitations"'):page.index('data-testid="past-meetings"')]
    assert meeting.title in invitations and 'data-testid="in-session"' in invitations and later.title in invitations
    assert invitations.count('data-testid="in-session"') == 1


def test_the_public_card_shows_the_day_the_meeting_was_held(m, client):
    meeting = schedule(m, days=3)
    meeting_invite_units(user=sec(m), meeting=meeting, units=m.units)
    proposal = proposal_schedule(user=sec(m), proposal=approved(m), meeting=meeting)
    meeting = meeting_open(user=sec(m), meeting=meeting)  # held today, three days early
    for unit in m.units:
        meeting_record_attendance(user=sec(m), meeting=meeting, unit=unit, present=True)
    for unit in m.units:
        vote(m, proposal, unit, "for")
    resolution = proposal_decide(user=sec(m), proposal=proposal, text="同意")
    resolution_publish(user=sec(m), resolution=resolution)
    client.logout()
    listing = client.get(reverse("public-resolutions", kwargs={"pk": m.community_a1.pk})).content.decode()
    today, planned = timezone.localdate(), timezone.localdate() + dt.timedelta(days=3)
    assert f"{today:%Y-%m-%d}" in listing and f"{planned:%Y-%m-%d}" not in listing
    # On the proposal page the publication line comes before the form assigning action items.
    page = _get(client, m.community_secretary_a1, "proposal-detail", pk=proposal.pk)
    assert page.index('data-testid="publication"') < page.index('data-testid="assign-actions"')
