"""/api/v1/meetings/, /proposals/, /votes/ and /resolutions/: scoped by the selectors, moved by the services.

Every object a body names (an alliance, a unit, a meeting, an item) is fetched through its
`*_get_for_user` selector, so an id outside the user's scope answers 404 like the one in the URL.
"""

import django_filters
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from alliance.api.base import ScopedViewSetMixin
from alliance.api.uploads import RefuseOversizedUploadsMixin
from alliance.selectors import alliance_get_for_user
from meetings import selectors, services
from meetings.models import (
    Meeting,
    MeetingKind,
    MeetingStatus,
    Proposal,
    ProposalStatus,
    Resolution,
    Vote,
    VoteChoice,
)
from members.selectors import member_unit_get_for_user
from tasks.selectors import item_get_for_user

from .serializers import (
    ActionItemSerializer,
    AssignActionsSerializer,
    AttachmentUploadSerializer,
    AttendanceInputSerializer,
    AttendanceSerializer,
    DecideSerializer,
    InviteSerializer,
    MeetingCreateSerializer,
    MeetingDetailSerializer,
    MeetingSerializer,
    MergeSerializer,
    ProposalAttachmentSerializer,
    ProposalCreateSerializer,
    ProposalSerializer,
    ProxyInputSerializer,
    ProxySerializer,
    PublishSerializer,
    ResolutionSerializer,
    ReviewSerializer,
    RevokeProxySerializer,
    ScheduleSerializer,
    VoteCreateSerializer,
    VoteInputSerializer,
    VoteSerializer,
)


def _valid(serializer_class, request):
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return data.validated_data


def _unit(request, pk):
    return member_unit_get_for_user(user=request.user, pk=pk)


# --- meetings ------------------------------------------------------------------------------

class LocalIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO time with any UTC offset Python accepts (up to ±23:59) is converted to local time first:
    PostgreSQL accepts offsets only up to ±15:59 and would fail the query (found by the API fuzz, #7)."""

    def filter(self, qs, value):
        return super().filter(qs, timezone.localtime(value) if value is not None else value)


class MeetingFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=MeetingStatus.choices)
    kind = django_filters.ChoiceFilter(choices=MeetingKind.choices)
    alliance = django_filters.NumberFilter(field_name="alliance_id")
    starts_after = LocalIsoDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = LocalIsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")

    class Meta:
        model = Meeting
        fields = ["status", "kind", "alliance", "starts_after", "starts_before"]


class MeetingViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                     mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Meetings (共同体会议): planned → in session → closed; each move is an action."""

    client_scopes = {"read": "meetings:read"}  # API clients may read (integrations); no client writes
    scoped_selector = staticmethod(selectors.meeting_list)
    serializer_class = MeetingSerializer
    filterset_class = MeetingFilter

    def _answer(self, meeting, code=status.HTTP_200_OK):
        meeting = selectors.meeting_get_for_user(user=self.request.user, pk=meeting.pk)
        return Response(MeetingSerializer(meeting).data, status=code)

    @extend_schema(request=MeetingCreateSerializer, responses={201: MeetingSerializer})
    def create(self, request, *args, **kwargs):
        """Plan a meeting of an alliance (meeting_schedule)."""
        values = dict(_valid(MeetingCreateSerializer, request))
        alliance = alliance_get_for_user(user=request.user, pk=values.pop("alliance"))
        joint = [alliance_get_for_user(user=request.user, pk=pk) for pk in values.pop("joint_alliances")]
        meeting = services.meeting_schedule(user=request.user, alliance=alliance, joint_alliances=joint, **values)
        return self._answer(meeting, status.HTTP_201_CREATED)

    @extend_schema(responses={200: MeetingDetailSerializer})
    def retrieve(self, request, *args, **kwargs):
        """The meeting with its roll: invited units and their representatives, attendance, proxies
        (who holds whose vote) and whether the quorum is there."""
        meeting = self.get_object()
        meeting.roll = selectors.meeting_roll(meeting=meeting)
        meeting.quorum = services.has_quorum(members=meeting.roll.member_count,
                                             present=meeting.roll.present_count, rules=meeting.roll.rules)
        return Response(MeetingDetailSerializer(meeting).data)

    @extend_schema(request=ProxyInputSerializer, responses={201: ProxySerializer})
    @action(detail=True, methods=["post"])
    def proxies(self, request, pk=None):
        """委托表决: an invited unit hands its vote for this meeting to another invited unit."""
        meeting = self.get_object()
        data = _valid(ProxyInputSerializer, request)
        units = {field: selectors.meeting_unit_get_for_user(user=request.user, meeting=meeting, pk=data[field])
                 for field in ("from_unit", "to_unit")}
        proxy = services.proxy_grant(user=request.user, meeting=meeting, **units)
        proxy = selectors.meeting_proxies(meeting=meeting).get(pk=proxy.pk)
        return Response(ProxySerializer(proxy).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RevokeProxySerializer, responses={204: None})
    @action(detail=True, methods=["post"], url_path="revoke-proxy")
    def revoke_proxy(self, request, pk=None):
        """撤销委托: while no vote has been cast with it."""
        meeting = self.get_object()
        data = _valid(RevokeProxySerializer, request)
        proxy = selectors.meeting_proxies(meeting=meeting).filter(from_unit_id=data["from_unit"]).first()
        if proxy is None:
            raise Http404(_("没有找到该委托。"))
        services.proxy_revoke(user=request.user, proxy=proxy)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=InviteSerializer, responses={200: MeetingSerializer})
    @action(detail=True, methods=["post"])
    def invite(self, request, pk=None):
        """Invite member units of the meeting's alliances (for a joint meeting, the other alliances'
        too): they are asked to come and are the ones who vote. The quorum is counted against all
        member units."""
        meeting = self.get_object()
        data = _valid(InviteSerializer, request)
        units = [selectors.meeting_member_unit_get_for_user(user=request.user, meeting=meeting, pk=unit_pk)
                 for unit_pk in data["units"]]
        services.meeting_invite_units(user=request.user, meeting=meeting, units=units)
        return self._answer(meeting)

    @extend_schema(request=None, responses={200: MeetingSerializer})
    @action(detail=True, methods=["post"])
    def open(self, request, pk=None):
        """开会: planned → in session."""
        return self._answer(services.meeting_open(user=request.user, meeting=self.get_object()))

    @extend_schema(request=AttendanceInputSerializer, responses={200: AttendanceSerializer})
    @action(detail=True, methods=["post"])
    def attendance(self, request, pk=None):
        """签到: record an invited unit present or absent (a joint meeting's units of the other
        alliances too)."""
        meeting = self.get_object()
        data = _valid(AttendanceInputSerializer, request)
        unit = selectors.meeting_unit_get_for_user(user=request.user, meeting=meeting, pk=data["unit"])
        attendance = services.meeting_record_attendance(
            user=request.user, meeting=meeting, unit=unit, present=data["present"])
        return Response(AttendanceSerializer(attendance).data)

    @extend_schema(request=None, responses={200: MeetingSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """散会: in session → closed; undecided proposals go back to the approved list and the votes
        cast on them are voided (kept, counted nowhere)."""
        return self._answer(services.meeting_close(user=request.user, meeting=self.get_object()))

    @extend_schema(responses={200: ProposalSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def agenda(self, request, pk=None):
        """The proposals on the meeting's agenda."""
        return Response(ProposalSerializer(selectors.meeting_agenda(meeting=self.get_object()), many=True).data)

    @extend_schema(responses={200: ActionItemSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="report-back")
    def report_back(self, request, pk=None):
        """通报: action items of earlier resolutions still open or finished since the previous meeting."""
        items = selectors.report_back_items(meeting=self.get_object())
        return Response(ActionItemSerializer(items, many=True).data)


# --- proposals -----------------------------------------------------------------------------

class ProposalFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ProposalStatus.choices)
    alliance = django_filters.NumberFilter(field_name="alliance_id")
    meeting = django_filters.NumberFilter(field_name="meeting_id")

    class Meta:
        model = Proposal
        fields = ["status", "alliance", "meeting"]


class ProposalViewSet(RefuseOversizedUploadsMixin, ScopedViewSetMixin, mixins.ListModelMixin,
                      mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Proposals (议题): submitted → approved | returned → scheduled → decided."""

    client_scopes = {"read": "meetings:read"}  # API clients may read (integrations); no client writes
    scoped_selector = staticmethod(selectors.proposal_list)
    serializer_class = ProposalSerializer
    filterset_class = ProposalFilter
    upload_actions = ("attachments",)  # an oversized attachment is refused (413) before it is read

    def _answer(self, proposal, code=status.HTTP_200_OK):
        proposal = selectors.proposal_get_for_user(user=self.request.user, pk=proposal.pk)
        return Response(ProposalSerializer(proposal).data, status=code)

    @extend_schema(request=ProposalCreateSerializer, responses={201: ProposalSerializer})
    def create(self, request, *args, **kwargs):
        """提出议题: for the initiating organisation (no unit) or a liaison's own unit."""
        values = dict(_valid(ProposalCreateSerializer, request))
        alliance = alliance_get_for_user(user=request.user, pk=values.pop("alliance"))
        unit_pk, item_pk = values.pop("unit"), values.pop("source_item")
        unit = _unit(request, unit_pk) if unit_pk is not None else None
        item = item_get_for_user(user=request.user, pk=item_pk) if item_pk is not None else None
        proposal = services.proposal_submit(user=request.user, alliance=alliance, unit=unit, source_item=item,
                                            **values)
        return self._answer(proposal, status.HTTP_201_CREATED)

    @extend_schema(request=ReviewSerializer, responses={200: ProposalSerializer})
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        """审定: approve, or return with a reason."""
        proposal = self.get_object()
        data = _valid(ReviewSerializer, request)
        return self._answer(services.proposal_review(user=request.user, proposal=proposal, **data))

    @extend_schema(request=ScheduleSerializer, responses={200: ProposalSerializer})
    @action(detail=True, methods=["post"])
    def schedule(self, request, pk=None):
        """Put an approved proposal on a planned meeting's agenda."""
        proposal = self.get_object()
        data = _valid(ScheduleSerializer, request)
        meeting = selectors.meeting_get_for_user(user=request.user, pk=data["meeting"])
        return self._answer(services.proposal_schedule(user=request.user, proposal=proposal, meeting=meeting))

    @extend_schema(request=VoteInputSerializer, responses={200: VoteSerializer})
    @action(detail=True, methods=["post"])
    def vote(self, request, pk=None):
        """One unit, one vote; a liaison of a single unit may leave the unit out."""
        proposal = self.get_object()
        data = _valid(VoteInputSerializer, request)
        unit = selectors.vote_unit_get_for_user(user=request.user, proposal=proposal, pk=data["unit"]) \
            if data["unit"] is not None else None
        vote = services.vote_cast(user=request.user, proposal=proposal, unit=unit, choice=data["choice"])
        return Response(VoteSerializer(vote).data)

    @extend_schema(request=MergeSerializer, responses={200: ProposalSerializer})
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        """合并 (at review): merge this proposal into another of the same alliance."""
        proposal = self.get_object()
        data = _valid(MergeSerializer, request)
        into = selectors.proposal_get_for_user(user=request.user, pk=data["into"])
        return self._answer(services.proposal_merge(user=request.user, proposal=proposal, into=into))

    @extend_schema(request={"multipart/form-data": AttachmentUploadSerializer},
                   responses={201: ProposalAttachmentSerializer,
                              413: OpenApiResponse(description="The request is larger than an attachment may be.")})
    @action(detail=True, methods=["post"], url_path="attachments", parser_classes=[MultiPartParser, FormParser])
    def attachments(self, request, pk=None):
        """材料: attach a file (PDF, Word, Excel, JPEG, PNG; at most 10 MB) to the proposal."""
        proposal = self.get_object()
        attachment = services.proposal_attach(user=request.user, proposal=proposal,
                                              uploaded_file=request.FILES.get("file"))
        return Response(ProposalAttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiResponse(
        response=OpenApiTypes.BINARY, description="The attached file.")})
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<attachment_id>[0-9]+)",
            url_name="attachment-download")
    def attachment_download(self, request, pk=None, attachment_id=None):
        """Download an attachment of the proposal."""
        attachment = selectors.proposal_attachment_get(proposal=self.get_object(), pk=attachment_id)
        try:
            handle = attachment.file.open("rb")
        except FileNotFoundError:
            raise Http404(_("没有找到该附件。")) from None
        return FileResponse(handle, as_attachment=True, filename=attachment.name)

    @extend_schema(request=DecideSerializer, responses={201: ResolutionSerializer})
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """Close the vote and record the resolution (adopted or not)."""
        proposal = self.get_object()
        data = _valid(DecideSerializer, request)
        resolution = services.proposal_decide(user=request.user, proposal=proposal, text=data["text"])
        resolution = selectors.resolution_get_for_user(user=request.user, pk=resolution.pk)
        return Response(ResolutionSerializer(resolution).data, status=status.HTTP_201_CREATED)


# --- resolutions ---------------------------------------------------------------------------

class ResolutionFilter(django_filters.FilterSet):
    alliance = django_filters.NumberFilter(field_name="alliance_id")
    meeting = django_filters.NumberFilter(field_name="meeting_id")
    adopted = django_filters.BooleanFilter()
    published = django_filters.BooleanFilter()

    class Meta:
        model = Resolution
        fields = ["alliance", "meeting", "adopted", "published"]


class ResolutionViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                        viewsets.GenericViewSet):
    """Resolutions (决议): the outcome of each decided proposal, its action items and publication."""

    client_scopes = {"read": "meetings:read"}  # API clients may read (integrations); no client writes
    scoped_selector = staticmethod(selectors.resolution_list)
    serializer_class = ResolutionSerializer
    filterset_class = ResolutionFilter

    @extend_schema(request=AssignActionsSerializer, responses={201: ActionItemSerializer(many=True)})
    @action(detail=True, methods=["post"], url_path="assign-actions")
    def assign_actions(self, request, pk=None):
        """Turn an adopted resolution's actions into items, each assigned to a member unit of the
        meeting's alliances or to a secretary or staff member of the alliance, with a due date. All
        or nothing; an action whose title and assignee the resolution already has is refused."""
        resolution = self.get_object()
        data = _valid(AssignActionsSerializer, request)
        meeting = resolution.meeting
        actions = [services.Action(
            unit=selectors.meeting_member_unit_get_for_user(user=request.user, meeting=meeting, pk=a["unit"])
            if a["unit"] is not None else None,
            assignee_user=selectors.resolution_assignee_user_get(resolution=resolution, pk=a["assignee_user"])
            if a["assignee_user"] is not None else None,
            title=a["title"], due=a["due"], description=a["description"], category=a["category"])
            for a in data["actions"]]
        created = services.resolution_assign_actions(user=request.user, resolution=resolution, actions=actions)
        rows = selectors.action_items_of(resolution=resolution).filter(pk__in=[a.pk for a in created])
        return Response(ActionItemSerializer(rows, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PublishSerializer, responses={200: ResolutionSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """公开: publish an adopted resolution, once, to everyone or to party members only."""
        resolution = self.get_object()
        data = _valid(PublishSerializer, request)
        resolution = services.resolution_publish(user=request.user, resolution=resolution, scope=data["scope"])
        resolution = selectors.resolution_get_for_user(user=request.user, pk=resolution.pk)
        return Response(ResolutionSerializer(resolution).data)


# --- votes ---------------------------------------------------------------------------------

class VoteFilter(django_filters.FilterSet):
    proposal = django_filters.NumberFilter(field_name="proposal_id")
    meeting = django_filters.NumberFilter(field_name="proposal__meeting_id")
    unit = django_filters.NumberFilter(field_name="unit_id")
    choice = django_filters.ChoiceFilter(choices=VoteChoice.choices)

    class Meta:
        model = Vote
        fields = ["proposal", "meeting", "unit", "choice"]


class VoteViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                  mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Votes (表决票): one unit, one vote on a proposal, cast once and never changed; the votes on
    the proposals the user sees."""

    client_scopes = {"read": "meetings:read"}  # API clients may read (integrations); no client writes
    scoped_selector = staticmethod(selectors.vote_list)
    serializer_class = VoteSerializer
    filterset_class = VoteFilter

    @extend_schema(request=VoteCreateSerializer, responses={201: VoteSerializer})
    def create(self, request, *args, **kwargs):
        """Cast a unit's vote (vote_cast): by its liaison, by the liaison of the unit holding its
        proxy, or recorded by the secretary for a unit in the room."""
        data = _valid(VoteCreateSerializer, request)
        proposal = selectors.proposal_get_for_user(user=request.user, pk=data["proposal"])
        unit = selectors.vote_unit_get_for_user(user=request.user, proposal=proposal, pk=data["unit"]) \
            if data["unit"] is not None else None
        vote = services.vote_cast(user=request.user, proposal=proposal, unit=unit, choice=data["choice"])
        vote = selectors.vote_get_for_user(user=request.user, pk=vote.pk)
        return Response(VoteSerializer(vote).data, status=status.HTTP_201_CREATED)
