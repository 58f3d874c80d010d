"""HTML pages of alliance meetings and proposals: the list, planning a meeting, the meeting with
its attendance, agenda, tallies and report-back, and raising and reviewing proposals.
Thin: meetings.selectors read, meetings.services write."""

import calendar
import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from alliance.forms import add_service_error
from alliance.pdf import qr_svg, render_pdf
from alliance.roles import CHANGE, HANDLE_ITEMS
from alliance.selectors import alliance_breadcrumb, alliance_get_for_user, alliance_list, user_scope
from alliance.services import require_permission
from alliance.uploads import upload_too_large, upload_too_large_message, upload_types_text
from members.models import MemberUnit
from members.selectors import (
    alliance_memberships,
    liaison_unit_ids,
    member_unit_get_for_user,
    member_unit_list,
)
from tasks.selectors import item_get_for_user, item_list

from . import selectors, services
from .forms import ActionFormSet, MeetingForm, MeetingRulesForm, ProposalForm, assignee_choices
from .ics import meeting_calendar
from .models import MeetingKind, MeetingStatus, ProposalStatus, PublishScope, VoteChoice

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
    can_schedule = user_scope(request.user).allows(HANDLE_ITEMS, alliance.path)
    public_url = request.build_absolute_uri(reverse("public-resolutions", kwargs={"pk": alliance.pk}))
    return render(request, "meetings/meeting_list.html", {
        "alliance": alliance, "breadcrumb": _crumbs(request, alliance),
        "upcoming": list(upcoming), "page": page,
        "calendar": _month_calendar(meetings, request.GET.get("month", "")),
        "can_schedule": can_schedule,
        # 待审定议题 / 待列入议程: the secretary's work queue, in the same scope as the proposal pages.
        "awaiting": selectors.proposals_awaiting(user=request.user, alliance=alliance) if can_schedule else [],
        "can_propose": _may_propose(request.user, alliance),
        **_rules_context(request, alliance),
        # For the secretary to print and put up: residents scan it to read the published resolutions.
        "public_url": public_url, "public_qr": qr_svg(public_url, scale=5) if can_schedule else "",
    })


def _rules_context(request, alliance) -> dict:
    """议事规则 on the meeting list: shown to all who see the page, the form to those who may change it."""
    rules = selectors.meeting_rules_for(alliance)
    form = None
    if user_scope(request.user).allows(CHANGE, alliance.path):
        form = MeetingRulesForm(initial={f: getattr(rules, f) for f in MeetingRulesForm.base_fields})
    return {"rules": rules, "rules_form": form}


@login_required
@require_POST
def meeting_rules(request, pk):
    """A secretary (or the district) sets the alliance's meeting rules (meeting_rules_update)."""
    alliance = alliance_get_for_user(user=request.user, pk=pk)
    require_permission(user=request.user, alliance=alliance, perm=CHANGE)
    form = MeetingRulesForm(request.POST)
    if form.is_valid():
        try:
            services.meeting_rules_update(user=request.user, alliance=alliance, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("已保存议事规则。"))
            return redirect("meeting-list", pk=alliance.pk)
    for message in [*form.non_field_errors(), *(e for f in form.errors.values() for e in f)]:
        messages.error(request, message)
    return redirect(reverse("meeting-list", kwargs={"pk": alliance.pk}) + "#rules")


def _month_calendar(meetings, month: str) -> dict:
    """The month grid of ?month=YYYY-MM (this month when absent or malformed), Monday first, with
    the month's meetings in their day cells: one query."""
    today = timezone.localdate()
    first = today.replace(day=1)
    try:
        year, number = (int(part) for part in month.split("-"))
        if 2000 <= year <= 2100 and 1 <= number <= 12:
            first = dt.date(year, number, 1)
    except ValueError:
        pass
    following = (first + dt.timedelta(days=32)).replace(day=1)
    previous = (first - dt.timedelta(days=1)).replace(day=1)
    zone = timezone.get_current_timezone()
    by_day: dict[dt.date, list] = {}
    for meeting in meetings.filter(
        starts_at__gte=dt.datetime.combine(first, dt.time.min, tzinfo=zone),
        starts_at__lt=dt.datetime.combine(following, dt.time.min, tzinfo=zone),
    ).order_by("starts_at", "pk"):
        by_day.setdefault(timezone.localtime(meeting.starts_at).date(), []).append(meeting)
    weeks = [
        [{"date": day, "in_month": day.month == first.month, "today": day == today,
          "meetings": by_day.get(day, [])} for day in week]
        for week in calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    ]
    return {
        "month": first, "weeks": weeks, "count": sum(len(day) for day in by_day.values()),
        "previous": f"{previous:%Y-%m}", "next": f"{following:%Y-%m}", "is_current": first == today.replace(day=1),
    }


def _alliance_units(user, alliance):
    unit_ids = alliance_memberships(user=user, alliance=alliance).values("unit_id")
    return member_unit_list(user=user).filter(pk__in=unit_ids).order_by("name", "pk")


@login_required
def meeting_create(request, pk):
    alliance = alliance_get_for_user(user=request.user, pk=pk)
    # The form is only for those the service will let through (the one rule: require_permission).
    require_permission(user=request.user, alliance=alliance, perm=HANDLE_ITEMS)
    # 通报: the agenda starts from what was finished since the previous meeting and what is overdue.
    initial = {} if request.method == "POST" else {"agenda": services.report_back_agenda(alliance=alliance)}
    # A joint meeting (联席) names the other alliances here; their member units are invited on the
    # meeting's page once it exists (meeting_invitable_units).
    others = alliance_list(user=request.user).filter(tenant_id=alliance.tenant_id, is_active=True).exclude(
        pk=alliance.pk).order_by("path")
    form = MeetingForm(request.POST or None, units=_alliance_units(request.user, alliance), alliances=others,
                       initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        units = list(data.pop("units"))
        try:
            meeting = services.meeting_schedule(user=request.user, alliance=alliance, units=units, **data)
        except ValidationError as exc:
            add_service_error(form, exc)
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
    roll = selectors.meeting_roll(meeting=meeting)
    agenda = list(selectors.meeting_agenda(meeting=meeting).select_related("resolution").annotate(
        **selectors.live_tally()))
    voting_units = selectors.meeting_voting_units(user=request.user, meeting=meeting, roll=roll)
    in_session = meeting.status == MeetingStatus.IN_SESSION
    open_meeting = meeting.status in (MeetingStatus.PLANNED, MeetingStatus.IN_SESSION)
    own = liaison_unit_ids(request.user)
    cast = selectors.meeting_open_votes(meeting=meeting) if open_meeting else set()
    # Each open proposal carries the units that may still vote on it (not those whose vote stands).
    for proposal in agenda:
        proposal.voters = [(unit, holder) for unit, holder in voting_units if (proposal.pk, unit.pk) not in cast]
    # 委托表决, offered only where proxy_grant would allow it: a unit that has not voted on an open
    # proposal, gave no proxy and holds none; a liaison for its own units, the secretary for any.
    voted = {unit_id for _proposal, unit_id in cast}
    max_held = roll.rules.max_proxies_per_unit
    proxy_from = [i.unit for i in roll.invitations if i.proxy is None and not i.proxies_held
                  and i.unit_id not in voted and (handler or i.unit_id in own)] if open_meeting and max_held else []
    proxy_to = [i.unit for i in roll.invitations if i.proxy is None and len(i.proxies_held) < max_held]
    if not any(to.pk != giver.pk for giver in proxy_from for to in proxy_to):
        proxy_from, proxy_to = [], []
    for proxy in roll.proxies:
        proxy.can_revoke = open_meeting and (handler or proxy.from_unit_id in own)
    return render(request, "meetings/meeting_detail.html", {
        "meeting": meeting, "alliance": meeting.alliance, "breadcrumb": _crumbs(request, meeting.alliance),
        "invitations": roll.invitations, "invited_count": roll.invited_count, "present_count": roll.present_count,
        "member_count": roll.member_count,
        "roll": roll, "proxies": roll.proxies, "proxy_from": proxy_from,
        "proxy_to": proxy_to,
        "quorum": services.has_quorum(members=roll.member_count, present=roll.present_count, rules=roll.rules),
        # 邀请成员单位: while planned, the member units of the host and joint alliances not yet invited.
        "invitable": list(selectors.meeting_invitable_units(meeting=meeting))
        if handler and meeting.status == MeetingStatus.PLANNED else [],
        "is_joint": meeting.kind == MeetingKind.JOINT,
        "voting_units": voting_units,
        "agenda": agenda, "report_back": list(selectors.report_back_items(meeting=meeting)),
        "is_handler": handler, "in_session": in_session,
        "can_vote": in_session and bool(voting_units), "vote_choices": VoteChoice.choices,
        "can_attend": handler and meeting.status in (MeetingStatus.PLANNED, MeetingStatus.IN_SESSION),
        "now": timezone.now(),
    })


@login_required
def meeting_ics(request, pk):
    """The meeting as an iCalendar file, for whoever sees the meeting."""
    meeting = selectors.meeting_get_for_user(user=request.user, pk=pk)
    response = HttpResponse(meeting_calendar(meeting=meeting), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="meeting-{meeting.pk}.ics"'
    return response


@login_required
def meeting_minutes(request, pk):
    """会议纪要 as PDF: attendance, quorum, proposals with their tallies, resolutions, action items."""
    meeting = selectors.meeting_get_for_user(user=request.user, pk=pk)
    minutes = selectors.meeting_minutes(meeting=meeting)
    roll = minutes["roll"]
    quorum = services.has_quorum(members=roll.member_count, present=roll.present_count, rules=roll.rules)
    pdf = render_pdf("pdf/meeting_minutes.html", {"meeting": meeting, "quorum": quorum, **minutes}, request=request)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="meeting-{meeting.pk}-minutes.pdf"'
    return response


MEETING_MESSAGES = {
    "open": _("会议已开始。"), "close": _("会议已结束。"), "attendance": _("已登记出席情况。"),
    "invite": _("已邀请成员单位。"),
    "decide": _("已完成表决。"), "vote": _("已投票。"),
    "proxy": _("已办理委托表决。"), "revoke-proxy": _("已撤销委托。"),
}


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


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
        elif action == "invite":
            units = [selectors.meeting_member_unit_get_for_user(user=request.user, meeting=meeting, pk=unit_pk)
                     for unit_pk in request.POST.getlist("units")]
            services.meeting_invite_units(user=request.user, meeting=meeting, units=units)
        elif action == "attendance":
            # Among the units invited (a joint meeting's units lie outside the host's subtree).
            unit = selectors.meeting_unit_get_for_user(user=request.user, meeting=meeting,
                                                       pk=request.POST.get("unit"))
            services.meeting_record_attendance(user=request.user, meeting=meeting, unit=unit,
                                               present=request.POST.get("present") == "yes")
        elif action == "decide":
            services.proposal_decide(user=request.user, proposal=_proposal_on(request, meeting),
                                     text=request.POST.get("text", ""))
        elif action == "vote":
            proposal = _proposal_on(request, meeting)
            unit_pk = request.POST.get("unit")
            unit = selectors.vote_unit_get_for_user(user=request.user, proposal=proposal, pk=unit_pk) \
                if unit_pk else None
            services.vote_cast(user=request.user, proposal=proposal, unit=unit,
                               choice=request.POST.get("choice", ""))
        elif action == "proxy":
            if not request.POST.get("from_unit") or not request.POST.get("to_unit"):
                raise ValidationError(_("请选择委托单位和受托单位。"))
            services.proxy_grant(
                user=request.user, meeting=meeting,
                from_unit=selectors.meeting_unit_get_for_user(user=request.user, meeting=meeting,
                                                              pk=request.POST.get("from_unit")),
                to_unit=selectors.meeting_unit_get_for_user(user=request.user, meeting=meeting,
                                                            pk=request.POST.get("to_unit")))
        elif action == "revoke-proxy":
            proxy = selectors.meeting_proxies(meeting=meeting).filter(pk=_int(request.POST.get("proxy"))).first()
            if proxy is None:
                raise Http404(_("没有找到该委托。"))
            services.proxy_revoke(user=request.user, proxy=proxy)
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
    # A matter that needs a collective decision: the proposal is raised from an item (?item=<pk>).
    source_item = item_get_for_user(user=request.user, pk=request.GET["item"]) if request.GET.get("item") else None
    initial = {"title": source_item.title, "body": source_item.description} if source_item else None
    form = ProposalForm(request.POST or None, initial=initial, units=units, own_level=own_level)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        unit_pk = data.pop("unit")
        try:
            unit = member_unit_get_for_user(user=request.user, pk=unit_pk) if unit_pk else None
            proposal = services.proposal_submit(user=request.user, alliance=alliance, unit=unit,
                                                source_item=source_item, **data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("已提出议题,等待审定。"))
            return redirect("proposal-detail", pk=proposal.pk)
    return render(request, "meetings/proposal_form.html", {
        "form": form, "alliance": alliance, "breadcrumb": _crumbs(request, alliance), "source_item": source_item,
    })


@login_required
def proposal_detail(request, pk):
    return _proposal_page(request, selectors.proposal_get_for_user(user=request.user, pk=pk))


def _proposal_page(request, proposal, action_forms=None):
    """The proposal page; `action_forms` is the bound form of action items that failed, shown again."""
    handler = user_scope(request.user).allows(HANDLE_ITEMS, proposal.alliance_path)
    meetings = []
    if handler and proposal.status == ProposalStatus.APPROVED:
        meetings = list(selectors.meeting_list(user=request.user).filter(
            alliance_id=proposal.alliance_id, status=MeetingStatus.PLANNED).order_by("starts_at", "pk"))
    resolution = None
    actions = []
    if proposal.status == ProposalStatus.DECIDED:
        # The same rule as everywhere: those who see the meeting, and the liaison of the raising unit.
        resolution = selectors.resolution_list(user=request.user).filter(proposal_id=proposal.pk).first()
    can_assign = handler and resolution is not None and resolution.adopted
    if resolution is not None:
        actions = list(selectors.action_items_of(resolution=resolution))
    if can_assign and action_forms is None:
        action_forms = _action_formset(resolution)
    # The item it was raised from, for those who may open it (the link would 404 for the others).
    source_item = None
    if proposal.source_item_id is not None:
        source_item = item_list(user=request.user).filter(pk=proposal.source_item_id).first()
    # The meeting's title links to it only for those who may open it.
    meeting_visible = proposal.meeting_id is not None and selectors.meeting_list(user=request.user).filter(
        pk=proposal.meeting_id).exists()
    return render(request, "meetings/proposal_detail.html", {
        **_proposal_extras(request, proposal, handler),
        "proposal": proposal, "alliance": proposal.alliance, "breadcrumb": _crumbs(request, proposal.alliance),
        "can_review": handler and proposal.status == ProposalStatus.SUBMITTED,
        "can_schedule": handler and proposal.status == ProposalStatus.APPROVED,
        "meetings": meetings, "resolution": resolution, "actions": actions, "source_item": source_item,
        "meeting_visible": meeting_visible,
        "can_publish": handler and resolution is not None and resolution.adopted and not resolution.published,
        "publish_scopes": PublishScope.choices,
        "action_forms": action_forms if can_assign else None,
    })


def _action_formset(resolution, data=None):
    units, users = selectors.resolution_assignees(resolution=resolution)
    return ActionFormSet(data, prefix="actions",
                         form_kwargs={"assignees": assignee_choices(list(units), list(users))})


def _proposal_extras(request, proposal, handler) -> dict:
    """重大事项, merging, attachments and each unit's vote on the proposal page."""
    user = request.user
    raiser = proposal.raised_by_user_id == user.pk or proposal.raised_by_unit_id in liaison_unit_ids(user)
    can_merge = handler and proposal.status in selectors.MERGEABLE
    merged_into = None
    if proposal.merged_into_id is not None:  # a link only for those who may open it
        merged_into = selectors.proposal_list(user=user).filter(pk=proposal.merged_into_id).first()
    return {
        "merged_into": merged_into,
        "merged_from": list(selectors.proposal_merged_from(user=user, proposal=proposal)),
        "can_merge": can_merge,
        "merge_targets": list(selectors.proposal_merge_targets(user=user, proposal=proposal)) if can_merge else [],
        "attachments": list(proposal.attachments.all()),
        "can_attach": (handler or raiser) and proposal.status not in (ProposalStatus.DECIDED, ProposalStatus.MERGED),
        "attachment_types": upload_types_text(),
        "votes": (votes := list(selectors.proposal_votes(proposal=proposal))),
        "voided_votes": any(v.voided_at for v in votes),
    }


@login_required
def proposal_attachment(request, pk, attachment_pk):
    """Download a proposal's attachment: only through the proposal's scope, never from MEDIA_URL."""
    proposal = selectors.proposal_get_for_user(user=request.user, pk=pk)
    attachment = selectors.proposal_attachment_get(proposal=proposal, pk=attachment_pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("没有找到该附件。")) from None
    return FileResponse(handle, as_attachment=True, filename=attachment.name)


PROPOSAL_MESSAGES = {"review": _("已审定。"), "schedule": _("已列入会议议程。"), "merge": _("已合并议题。"),
                     "attach": _("已上传附件。")}


@csrf_exempt  # only so that an oversized upload is refused before anything reads its body
@login_required
@require_POST
def proposal_action(request, pk, action):
    proposal = selectors.proposal_get_for_user(user=request.user, pk=pk)
    if action not in PROPOSAL_MESSAGES:
        raise Http404
    if action == "attach" and upload_too_large(request.META):
        # CsrfViewMiddleware reads request.POST, and so the whole multipart body, before a view
        # runs; this check comes first and changes nothing but the message shown.
        messages.error(request, upload_too_large_message())
        return redirect("proposal-detail", pk=proposal.pk)
    return _proposal_action(request, proposal, action)


@csrf_protect
def _proposal_action(request, proposal, action):
    try:
        if action == "review":
            approve = request.POST.get("approve") == "yes"
            services.proposal_review(user=request.user, proposal=proposal, approve=approve,
                                     reason=request.POST.get("reason", ""),
                                     major=request.POST.get("major") == "yes")
            message = _("已审定通过。") if approve else _("已退回。")
        elif action == "merge":
            into = selectors.proposal_get_for_user(user=request.user, pk=request.POST.get("into"))
            services.proposal_merge(user=request.user, proposal=proposal, into=into)
            message = PROPOSAL_MESSAGES[action]
        elif action == "attach":
            services.proposal_attach(user=request.user, proposal=proposal, uploaded_file=request.FILES.get("file"))
            message = PROPOSAL_MESSAGES[action]
        else:
            meeting = selectors.meeting_get_for_user(user=request.user, pk=request.POST.get("meeting"))
            services.proposal_schedule(user=request.user, proposal=proposal, meeting=meeting)
            message = PROPOSAL_MESSAGES[action]
    except (ValidationError, PermissionDenied) as exc:
        _errors(request, exc)
    else:
        messages.success(request, message)
    return redirect("proposal-detail", pk=proposal.pk)


# --- action items (决议事项) -----------------------------------------------------------------

@login_required
@require_POST
def resolution_actions(request, pk):
    """The secretary assigns an adopted resolution's action items: rows of title, a member unit or
    a staff member, and a due date (resolution_assign_actions, all or nothing). Errors are shown on
    the proposal page with the rows as typed."""
    resolution = selectors.resolution_get_for_user(user=request.user, pk=pk)
    proposal = selectors.proposal_get_for_user(user=request.user, pk=resolution.proposal_id)
    formset = _action_formset(resolution, request.POST)
    if formset.is_valid():
        units, users = selectors.resolution_assignees(resolution=resolution)
        rows = [f.cleaned_data for f in formset if f.cleaned_data]
        picked = [row["assignee"].partition(":")[::2] for row in rows]
        by_unit = {str(u.pk): u for u in units.filter(pk__in=[i for kind, i in picked if kind == "unit"])}
        by_user = {str(u.pk): u for u in users.filter(pk__in=[i for kind, i in picked if kind == "user"])}
        actions = [
            services.Action(title=row["title"], due=row["due"],
                            unit=by_unit.get(ident) if kind == "unit" else None,
                            assignee_user=by_user.get(ident) if kind == "user" else None)
            for row, (kind, ident) in zip(rows, picked, strict=True)
        ]
        try:
            created = services.resolution_assign_actions(user=request.user, resolution=resolution, actions=actions)
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("已分派%(n)d项决议事项。") % {"n": len(created)})
            return redirect(reverse("proposal-detail", kwargs={"pk": proposal.pk}) + "#resolution-actions")
    # Shown again with the rows as typed, the messages above them; nothing was created.
    return _proposal_page(request, proposal, action_forms=formset)


# --- publication (公开) --------------------------------------------------------------------

@login_required
@require_POST
def resolution_publish(request, pk):
    """The secretary publishes an adopted resolution, choosing who may read it."""
    resolution = selectors.resolution_get_for_user(user=request.user, pk=pk)
    try:
        services.resolution_publish(user=request.user, resolution=resolution,
                                    scope=request.POST.get("scope", PublishScope.EVERYONE))
    except (ValidationError, PermissionDenied) as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("决议已公开。"))
    return redirect("proposal-detail", pk=resolution.proposal_id)


# The two public pages need no login; what they show depends on the visitor
# (selectors.public_scopes): resolutions published to party members only are for signed-in users
# of the same tenant, and 404 for everyone else.

def public_resolutions(request, pk):
    """亮出来: an alliance's published resolutions and how their action items are getting on."""
    alliance = selectors.public_alliance_get(pk=pk)
    resolutions = selectors.public_resolution_list(user=request.user, alliance=alliance)
    page = Paginator(resolutions, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "meetings/public_resolutions.html", {"community": alliance, "page": page})


def public_resolution(request, pk):
    resolution = selectors.public_resolution_get(user=request.user, pk=pk)
    return render(request, "meetings/public_resolution_detail.html", {
        "resolution": resolution, "community": resolution.alliance,
        "actions": list(selectors.action_items_of(resolution=resolution)), "now": timezone.now(),
    })


# --- the liaison's page --------------------------------------------------------------------

@login_required
def my_meetings(request):
    """A liaison's meetings: invitations, votes still to cast, how its units voted, its proposals."""
    past = Paginator(selectors.liaison_past_invitations(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page"))
    selectors.with_unit_votes(list(past))
    proposals = Paginator(selectors.liaison_proposals(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("proposals"))
    return render(request, "meetings/my_meetings.html", {
        "is_liaison": bool(liaison_unit_ids(request.user)),
        "invitations": list(selectors.liaison_invitations(user=request.user)),
        "to_vote": selectors.liaison_votes_to_cast(user=request.user),
        "page": past, "proposals": proposals,
    })
