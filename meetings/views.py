"""HTML pages of alliance meetings and proposals: the list, planning a meeting, the meeting with
its attendance, agenda, tallies and report-back, and raising and reviewing proposals.
Thin: meetings.selectors read, meetings.services write."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from alliance.roles import HANDLE_ITEMS
from alliance.selectors import alliance_breadcrumb, alliance_get_for_user, user_scope
from alliance.services import require_permission
from members.models import MemberUnit
from members.selectors import (
    alliance_memberships,
    liaison_unit_ids,
    member_unit_get_for_user,
    member_unit_list,
)

from . import selectors, services
from .forms import MeetingForm, ProposalForm
from .models import MeetingStatus, ProposalStatus, VoteChoice

PAGE_SIZE = 30


def _crumbs(request, alliance):
    return alliance_breadcrumb(user=request.user, alliance=alliance)


def _errors(request, exc):
    if isinstance(exc, ValidationError):
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.error(request, str(exc))


# --- meetings ------------------------------------------------------------------------------

@login_required
def meeting_list(request, pk):
    alliance = alliance_get_for_user(user=request.user, pk=pk)
    meetings = selectors.meeting_list(user=request.user).filter(alliance_id=alliance.pk)
    upcoming = meetings.exclude(status=MeetingStatus.CLOSED).order_by("starts_at", "pk")
    past = meetings.filter(status=MeetingStatus.CLOSED).order_by("-starts_at", "-pk")
    page = Paginator(past, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "meetings/meeting_list.html", {
        "alliance": alliance, "breadcrumb": _crumbs(request, alliance),
        "upcoming": list(upcoming), "page": page,
        "can_schedule": user_scope(request.user).allows(HANDLE_ITEMS, alliance.path),
        "can_propose": _may_propose(request.user, alliance),
    })


def _alliance_units(user, alliance):
    unit_ids = alliance_memberships(user=user, alliance=alliance).values("unit_id")
    return member_unit_list(user=user).filter(pk__in=unit_ids).order_by("name", "pk")


@login_required
def meeting_create(request, pk):
    alliance = alliance_get_for_user(user=request.user, pk=pk)
    # The form is only for those the service will let through (the one rule: require_permission).
    require_permission(user=request.user, alliance=alliance, perm=HANDLE_ITEMS)
    form = MeetingForm(request.POST or None, units=_alliance_units(request.user, alliance))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        units = list(data.pop("units"))
        try:
            meeting = services.meeting_schedule(user=request.user, alliance=alliance, units=units, **data)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc)
        else:
            messages.success(request, _("已安排会议“%(title)s”。") % {"title": meeting.title})
            return redirect("meeting-detail", pk=meeting.pk)
    return render(request, "meetings/meeting_form.html", {
        "form": form, "alliance": alliance, "breadcrumb": _crumbs(request, alliance),
    })


@login_required
def meeting_detail(request, pk):
    meeting = selectors.meeting_get_for_user(user=request.user, pk=pk)
    handler = user_scope(request.user).allows(HANDLE_ITEMS, meeting.alliance_path)
    invitations = list(meeting.invitations.select_related("unit").order_by("unit__name", "pk"))
    attendance = {a.unit_id: a.present for a in meeting.attendances.all()}
    invited_ids = {i.unit_id for i in invitations}
    for invitation in invitations:
        invitation.present = attendance.get(invitation.unit_id)
    present = sum(1 for i in invitations if i.present)
    agenda = list(
        selectors.meeting_agenda(meeting=meeting).select_related("resolution").annotate(
            n_for=Count("votes", filter=Q(votes__choice=VoteChoice.FOR)),
            n_against=Count("votes", filter=Q(votes__choice=VoteChoice.AGAINST)),
            n_abstain=Count("votes", filter=Q(votes__choice=VoteChoice.ABSTAIN)),
        )
    )
    voting_units = sorted(liaison_unit_ids(request.user) & invited_ids)
    in_session = meeting.status == MeetingStatus.IN_SESSION
    return render(request, "meetings/meeting_detail.html", {
        "meeting": meeting, "alliance": meeting.alliance, "breadcrumb": _crumbs(request, meeting.alliance),
        "invitations": invitations, "invited_count": len(invitations), "present_count": present,
        "agenda": agenda, "report_back": list(selectors.report_back_items(meeting=meeting)),
        "is_handler": handler, "in_session": in_session,
        "can_vote": in_session and bool(voting_units), "vote_choices": VoteChoice.choices,
        "can_attend": handler and meeting.status in (MeetingStatus.PLANNED, MeetingStatus.IN_SESSION),
        "now": timezone.now(),
    })


MEETING_MESSAGES = {
    "open": _("会议已开始。"), "close": _("会议已结束。"), "attendance": _("已登记出席情况。"),
    "decide": _("已完成表决。"), "vote": _("已投票。"),
}


def _proposal_on(request, meeting):
    proposal = selectors.proposal_get_for_user(user=request.user, pk=request.POST.get("proposal"))
    if proposal.meeting_id != meeting.pk:
        raise ValidationError(_("议题不在本次会议的议程中。"))
    return proposal


@login_required
@require_POST
def meeting_action(request, pk, action):
    meeting = selectors.meeting_get_for_user(user=request.user, pk=pk)
    if action not in MEETING_MESSAGES:
        raise Http404
    try:
        if action == "open":
            services.meeting_open(user=request.user, meeting=meeting)
        elif action == "close":
            services.meeting_close(user=request.user, meeting=meeting)
        elif action == "attendance":
            unit = member_unit_get_for_user(user=request.user, pk=request.POST.get("unit"))
            services.meeting_record_attendance(user=request.user, meeting=meeting, unit=unit,
                                               present=request.POST.get("present") == "yes")
        elif action == "decide":
            services.proposal_decide(user=request.user, proposal=_proposal_on(request, meeting),
                                     text=request.POST.get("text", ""))
        elif action == "vote":
            proposal = _proposal_on(request, meeting)
            unit_pk = request.POST.get("unit")
            unit = member_unit_get_for_user(user=request.user, pk=unit_pk) if unit_pk else None
            services.vote_cast(user=request.user, proposal=proposal, unit=unit,
                               choice=request.POST.get("choice", ""))
    except (ValidationError, PermissionDenied) as exc:
        _errors(request, exc)
    else:
        messages.success(request, MEETING_MESSAGES[action])
    return redirect("meeting-detail", pk=meeting.pk)


# --- proposals -----------------------------------------------------------------------------

def _own_units(user, alliance):
    """The liaison's own units that are active members of the alliance."""
    own = liaison_unit_ids(user)
    if not own:
        return MemberUnit.objects.none()
    unit_ids = alliance_memberships(user=user, alliance=alliance).values("unit_id")
    return member_unit_list(user=user).filter(pk__in=sorted(own)).filter(pk__in=unit_ids).order_by("name", "pk")


def _may_propose(user, alliance) -> bool:
    return user_scope(user).allows(HANDLE_ITEMS, alliance.path) or _own_units(user, alliance).exists()


@login_required
def proposal_create(request, pk):
    alliance = alliance_get_for_user(user=request.user, pk=pk)
    own_level = user_scope(request.user).allows(HANDLE_ITEMS, alliance.path)
    units = list(_own_units(request.user, alliance))
    if not own_level and not units:
        raise PermissionDenied(_("只有本级书记、工作人员或成员单位联络员可以提出议题。"))
    form = ProposalForm(request.POST or None, units=units, own_level=own_level)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        unit_pk = data.pop("unit")
        try:
            unit = member_unit_get_for_user(user=request.user, pk=unit_pk) if unit_pk else None
            proposal = services.proposal_submit(user=request.user, alliance=alliance, unit=unit, **data)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc)
        else:
            messages.success(request, _("已提出议题,等待审定。"))
            return redirect("proposal-detail", pk=proposal.pk)
    return render(request, "meetings/proposal_form.html", {
        "form": form, "alliance": alliance, "breadcrumb": _crumbs(request, alliance),
    })


@login_required
def proposal_detail(request, pk):
    proposal = selectors.proposal_get_for_user(user=request.user, pk=pk)
    handler = user_scope(request.user).allows(HANDLE_ITEMS, proposal.alliance_path)
    meetings = []
    if handler and proposal.status == ProposalStatus.APPROVED:
        meetings = list(selectors.meeting_list(user=request.user).filter(
            alliance_id=proposal.alliance_id, status=MeetingStatus.PLANNED).order_by("starts_at", "pk"))
    resolution = None
    if proposal.status == ProposalStatus.DECIDED:
        resolution = selectors.resolution_list(user=request.user).filter(proposal_id=proposal.pk).first()
    return render(request, "meetings/proposal_detail.html", {
        "proposal": proposal, "alliance": proposal.alliance, "breadcrumb": _crumbs(request, proposal.alliance),
        "can_review": handler and proposal.status == ProposalStatus.SUBMITTED,
        "can_schedule": handler and proposal.status == ProposalStatus.APPROVED,
        "meetings": meetings, "resolution": resolution,
    })


PROPOSAL_MESSAGES = {"review": _("已审定。"), "schedule": _("已列入会议议程。")}


@login_required
@require_POST
def proposal_action(request, pk, action):
    proposal = selectors.proposal_get_for_user(user=request.user, pk=pk)
    if action not in PROPOSAL_MESSAGES:
        raise Http404
    try:
        if action == "review":
            approve = request.POST.get("approve") == "yes"
            services.proposal_review(user=request.user, proposal=proposal, approve=approve,
                                     reason=request.POST.get("reason", ""))
            message = _("已审定通过。") if approve else _("已退回。")
        else:
            meeting = selectors.meeting_get_for_user(user=request.user, pk=request.POST.get("meeting"))
            services.proposal_schedule(user=request.user, proposal=proposal, meeting=meeting)
            message = PROPOSAL_MESSAGES[action]
    except (ValidationError, PermissionDenied) as exc:
        _errors(request, exc)
    else:
        messages.success(request, message)
    return redirect("proposal-detail", pk=proposal.pk)
