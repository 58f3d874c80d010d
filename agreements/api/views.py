"""/api/v1/resources/, /needs/, /claims/, /projects/, /agreements/, /commitments/ and
/alliances/{id}/points/: scoped by the selectors, changed only by the services.

Every object a body names (an alliance, a unit, a need, an agreement) is fetched through its
`*_get_for_user` selector, and every row under an agreement (a party, a clause, a commitment)
through the agreement the URL names, so an id outside the user's scope answers 404 like the one
in the URL. Drafting an agreement happens under it: POST /agreements/{id}/parties/, /clauses/,
/commitments/, and PATCH or DELETE /agreements/{id}/clauses/{clause_id}/ and so on.
"""

import django_filters
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from agreements import selectors, services
from agreements.models import (
    Agreement,
    Claim,
    ClaimStatus,
    Commitment,
    CommitmentItem,
    Need,
    NeedSource,
    NeedStatus,
    Priority,
    Project,
    ProjectStatus,
    Recurrence,
    Resource,
    ResourceCategory,
    Stage,
)
from alliance.api.base import ScopedViewSetMixin
from alliance.api.uploads import RefuseOversizedUploadsMixin
from alliance.selectors import alliance_get_for_user
from members.selectors import liaison_unit_ids, member_unit_get_for_user

from .serializers import (
    AgreementCreateSerializer,
    AgreementDetailSerializer,
    AgreementRateSerializer,
    AgreementSerializer,
    AgreementUpdateSerializer,
    CancelSerializer,
    ClaimConfirmSerializer,
    ClaimSerializer,
    ClauseInputSerializer,
    ClauseSerializer,
    ClauseUpdateSerializer,
    CommitmentDetailSerializer,
    CommitmentInputSerializer,
    CommitmentSerializer,
    CommitmentUpdateSerializer,
    EvaluationSerializer,
    EvidenceInputSerializer,
    EvidenceSerializer,
    MilestoneDoneSerializer,
    MilestoneInputSerializer,
    MilestoneSerializer,
    NeedClaimSerializer,
    NeedCreateSerializer,
    NeedSerializer,
    NeedUpdateSerializer,
    PartyInputSerializer,
    PartySerializer,
    ProjectCreateSerializer,
    ProjectDetailSerializer,
    ProjectSerializer,
    ProjectUpdateSerializer,
    RankingSerializer,
    ReasonSerializer,
    ResourceCreateSerializer,
    ResourceSerializer,
    ResourceUpdateSerializer,
    SignSerializer,
    TerminateSerializer,
)


def _valid(serializer_class, request) -> dict:
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


def _unit(request, pk):
    return member_unit_get_for_user(user=request.user, pk=pk)


def _alliance(request, pk):
    return alliance_get_for_user(user=request.user, pk=pk)


class PatchOnlyMixin:
    """PATCH changes the fields sent; PUT is not offered (a whole-object replace means nothing to
    the services)."""

    http_method_names = ["get", "post", "patch", "head", "options"]

    def update(self, request, *args, **kwargs):  # pragma: no cover - PUT is not routed
        return self.partial_update(request, *args, **kwargs)


# --- resources (资源清单) --------------------------------------------------------------------

class ResourceFilter(django_filters.FilterSet):
    alliance = django_filters.NumberFilter(field_name="alliance_id")
    unit = django_filters.NumberFilter(field_name="unit_id")
    category = django_filters.ChoiceFilter(choices=ResourceCategory.choices)
    available = django_filters.BooleanFilter()

    class Meta:
        model = Resource
        fields = ["alliance", "unit", "category", "available"]


class ResourceViewSet(ScopedViewSetMixin, PatchOnlyMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Resources (资源清单) member units offer: listed by the alliance's handlers or the unit's liaison."""

    client_scopes = {"read": "agreements:read"}  # API clients may read (integrations); no client writes
    scoped_selector = staticmethod(selectors.resource_list)
    serializer_class = ResourceSerializer
    filterset_class = ResourceFilter

    def _answer(self, resource, code=status.HTTP_200_OK):
        resource = selectors.resource_get_for_user(user=self.request.user, pk=resource.pk)
        return Response(ResourceSerializer(resource).data, status=code)

    @extend_schema(request=ResourceCreateSerializer, responses={201: ResourceSerializer})
    def create(self, request, *args, **kwargs):
        values = _valid(ResourceCreateSerializer, request)
        alliance, unit = _alliance(request, values.pop("alliance")), _unit(request, values.pop("unit"))
        resource = services.resource_create(user=request.user, alliance=alliance, unit=unit, **values)
        return self._answer(resource, status.HTTP_201_CREATED)

    @extend_schema(request=ResourceUpdateSerializer, responses={200: ResourceSerializer})
    def partial_update(self, request, *args, **kwargs):
        resource = self.get_object()
        values = _valid(ResourceUpdateSerializer, request)
        return self._answer(services.resource_update(user=request.user, resource=resource, **values))


# --- needs (需求清单) and claims (认领) --------------------------------------------------------

class NeedFilter(django_filters.FilterSet):
    alliance = django_filters.NumberFilter(field_name="alliance_id")
    status = django_filters.MultipleChoiceFilter(choices=NeedStatus.choices)
    category = django_filters.ChoiceFilter(choices=ResourceCategory.choices)
    priority = django_filters.ChoiceFilter(choices=Priority.choices)
    source = django_filters.ChoiceFilter(choices=NeedSource.choices)

    class Meta:
        model = Need
        fields = ["alliance", "status", "category", "priority", "source"]


class NeedViewSet(ScopedViewSetMixin, PatchOnlyMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                  mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Needs (需求清单): draft → published → claimed (认领) → closed. Units in scope claim a published
    need; of two claims at once one wins and the other is told which unit has it."""

    client_scopes = {"read": "agreements:read"}  # API clients may read (integrations); no client writes
    scoped_selector = staticmethod(selectors.need_list)
    serializer_class = NeedSerializer
    filterset_class = NeedFilter

    def _answer(self, need, code=status.HTTP_200_OK):
        need = selectors.need_get_for_user(user=self.request.user, pk=need.pk)
        return Response(NeedSerializer(need).data, status=code)

    @extend_schema(request=NeedCreateSerializer, responses={201: NeedSerializer})
    def create(self, request, *args, **kwargs):
        """Record a need (a draft, to publish)."""
        values = _valid(NeedCreateSerializer, request)
        alliance = _alliance(request, values.pop("alliance"))
        return self._answer(services.need_create(user=request.user, alliance=alliance, **values),
                            status.HTTP_201_CREATED)

    @extend_schema(request=NeedUpdateSerializer, responses={200: NeedSerializer})
    def partial_update(self, request, *args, **kwargs):
        """Edit a need while it is a draft, or published and unclaimed."""
        need = self.get_object()
        values = _valid(NeedUpdateSerializer, request)
        return self._answer(services.need_update(user=request.user, need=need, **values))

    @extend_schema(request=None, responses={200: NeedSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """发布: draft → published; the units of the alliance (and those above) may claim it."""
        return self._answer(services.need_publish(user=request.user, need=self.get_object()))

    @extend_schema(request=ReasonSerializer, responses={200: NeedSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """关闭, with an optional reason; a pending claim is declined with it."""
        need = self.get_object()
        data = _valid(ReasonSerializer, request)
        return self._answer(services.need_close(user=request.user, need=need, reason=data["reason"]))

    @extend_schema(request=NeedClaimSerializer, responses={201: ClaimSerializer})
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        """认领/抢单: a liaison claims the published need for its unit."""
        need = self.get_object()
        data = _valid(NeedClaimSerializer, request)
        unit = _unit(request, data["unit"]) if data["unit"] is not None else _single_own_unit(request)
        claim = services.need_claim(user=request.user, need=need, unit=unit, note=data["note"])
        claim = selectors.claim_get_for_user(user=request.user, pk=claim.pk)
        return Response(ClaimSerializer(claim).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: ResourceSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def matches(self, request, pk=None):
        """匹配: available resources of the same category in the need's alliance, then its parent's."""
        resources = selectors.need_matches(user=request.user, need=self.get_object())
        return Response(ResourceSerializer(resources, many=True).data)


def _single_own_unit(request):
    """The liaison's unit when the caller speaks for exactly one; else the body must name it."""
    own = sorted(liaison_unit_ids(request.user))
    if len(own) != 1:
        raise ValidationError({"unit": [_("请选择以哪个单位的名义办理。")]})
    return _unit(request, own[0])


class ClaimFilter(django_filters.FilterSet):
    need = django_filters.NumberFilter(field_name="need_id")
    unit = django_filters.NumberFilter(field_name="unit_id")
    alliance = django_filters.NumberFilter(field_name="need__alliance_id")
    status = django_filters.MultipleChoiceFilter(choices=ClaimStatus.choices)

    class Meta:
        model = Claim
        fields = ["need", "unit", "alliance", "status"]


class ClaimViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Claims (认领) of needs: pending → confirmed (a commitment of a draft agreement), declined or withdrawn."""

    client_scopes = {"read": "agreements:read"}  # API clients may read (integrations); no client writes
    scoped_selector = staticmethod(selectors.claim_list)
    serializer_class = ClaimSerializer
    filterset_class = ClaimFilter

    def _answer(self, claim):
        return Response(ClaimSerializer(selectors.claim_get_for_user(user=self.request.user, pk=claim.pk)).data)

    @extend_schema(request=ClaimConfirmSerializer, responses={200: ClaimSerializer})
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """确认: the claim becomes a one-off commitment of the unit in the given draft agreement of the
        need's alliance, or in a new draft; the unit earns points."""
        claim = self.get_object()
        data = _valid(ClaimConfirmSerializer, request)
        agreement = (selectors.agreement_get_for_user(user=request.user, pk=data["agreement"])
                     if data["agreement"] is not None else None)
        services.claim_confirm(user=request.user, claim=claim, due_on=data["due_on"], agreement=agreement)
        return self._answer(claim)

    @extend_schema(request=ReasonSerializer, responses={200: ClaimSerializer})
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        """不予采纳, with the reason the unit reads; the need is open again."""
        claim = self.get_object()
        data = _valid(ReasonSerializer, request)
        return self._answer(services.claim_decline(user=request.user, claim=claim, reason=data["reason"]))

    @extend_schema(request=None, responses={200: ClaimSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """撤回: the claiming unit's liaison, while the claim is pending."""
        return self._answer(services.claim_withdraw(user=request.user, claim=self.get_object()))


# --- projects (项目清单) ---------------------------------------------------------------------

class ProjectFilter(django_filters.FilterSet):
    alliance = django_filters.NumberFilter(field_name="alliance_id")
    lead_unit = django_filters.NumberFilter(field_name="lead_unit_id")
    status = django_filters.MultipleChoiceFilter(choices=ProjectStatus.choices)

    class Meta:
        model = Project
        fields = ["alliance", "lead_unit", "status"]


class ProjectViewSet(ScopedViewSetMixin, PatchOnlyMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                     mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Projects (项目清单) that tie needs to resources, led by a unit, with milestones (节点).

    The list shows the projects; one project (and every answer to a write) shows its needs,
    resources and milestones. POST /projects/{id}/milestones/ adds a milestone,
    POST /projects/{id}/milestones/{milestone_id}/done/ marks one done.
    """

    client_scopes = {"read": "agreements:read"}  # API clients may read (integrations); no client writes
    scoped_selector = staticmethod(selectors.project_list)
    serializer_class = ProjectSerializer
    filterset_class = ProjectFilter

    def _answer(self, project, code=status.HTTP_200_OK):
        project = selectors.project_get_for_user(user=self.request.user, pk=project.pk)
        return Response(ProjectDetailSerializer(project).data, status=code)

    def _values(self, request, values: dict) -> dict:
        user = request.user
        if "lead_unit" in values:
            values["lead_unit"] = _unit(request, values["lead_unit"])
        if "needs" in values:
            values["needs"] = [selectors.need_get_for_user(user=user, pk=pk) for pk in values["needs"]]
        if "resources" in values:
            values["resources"] = [selectors.resource_get_for_user(user=user, pk=pk) for pk in values["resources"]]
        return values

    @extend_schema(responses={200: ProjectDetailSerializer})
    def retrieve(self, request, *args, **kwargs):
        return self._answer(self.get_object())

    @extend_schema(request=ProjectCreateSerializer, responses={201: ProjectDetailSerializer})
    def create(self, request, *args, **kwargs):
        values = _valid(ProjectCreateSerializer, request)
        alliance = _alliance(request, values.pop("alliance"))
        project = services.project_create(user=request.user, alliance=alliance, **self._values(request, values))
        return self._answer(project, status.HTTP_201_CREATED)

    @extend_schema(request=ProjectUpdateSerializer, responses={200: ProjectDetailSerializer})
    def partial_update(self, request, *args, **kwargs):
        """Edit; `status` moves planned → ongoing → done, or cancelled before done."""
        project = self.get_object()
        values = self._values(request, _valid(ProjectUpdateSerializer, request))
        return self._answer(services.project_update(user=request.user, project=project, **values))

    @extend_schema(request=MilestoneInputSerializer, responses={201: MilestoneSerializer})
    @action(detail=True, methods=["post"])
    def milestones(self, request, pk=None):
        """Add a milestone (节点) to a project that is not done or cancelled."""
        project = self.get_object()
        data = _valid(MilestoneInputSerializer, request)
        milestone = services.milestone_add(user=request.user, project=project, **data)
        return Response(MilestoneSerializer(milestone).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MilestoneDoneSerializer, responses={200: MilestoneSerializer},
                   parameters=[OpenApiParameter("milestone_id", int, OpenApiParameter.PATH)])
    @action(detail=True, methods=["post"], url_path=r"milestones/(?P<milestone_id>[0-9]+)/done",
            url_name="milestone-done")
    def milestone_done(self, request, pk=None, milestone_id=None):
        """Mark a milestone done (today, or `done_on`): a handler or the lead unit's liaison."""
        project = self.get_object()
        milestone = project.milestones.filter(pk=milestone_id).first()
        if milestone is None:
            raise Http404(_("没有找到该项目节点。"))
        data = _valid(MilestoneDoneSerializer, request)
        milestone = services.milestone_done(user=request.user, milestone=milestone, done_on=data["done_on"])
        return Response(MilestoneSerializer(milestone).data)


# --- agreements (共建协议) -------------------------------------------------------------------

class AgreementFilter(django_filters.FilterSet):
    alliance = django_filters.NumberFilter(field_name="alliance_id")
    stage = django_filters.MultipleChoiceFilter(choices=Stage.choices)
    unit = django_filters.NumberFilter(field_name="parties__unit_id", label="A member unit that is a party")
    previous = django_filters.NumberFilter(field_name="previous_id", label="Amendments of this agreement")

    class Meta:
        model = Agreement
        fields = ["alliance", "stage", "unit", "previous"]


def _party_for(request, agreement, pk, *, unsigned_only: bool):
    """The party named by id (of this agreement), or the single one the caller speaks for."""
    parties = list(agreement.parties.order_by("pk"))
    if pk is not None:
        for party in parties:
            if party.pk == pk:
                return party
        raise Http404(_("没有找到该签约方。"))
    mine = [p for p in parties if services.may_sign_for(request.user, agreement, p)
            and not (unsigned_only and p.signed_at is not None)]
    if len(mine) != 1:
        raise ValidationError({"party": [_("请选择以哪个签约方的名义办理。")]})
    return mine[0]


class AgreementViewSet(ScopedViewSetMixin, PatchOnlyMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                       mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Co-construction agreements (共建协议) and their five stages (五约): 谈约 draft → 签约 signed →
    亮约 published → 履约 performing → 评约 evaluated; terminated with a reason from any signed stage;
    superseded once an amendment (修订) is signed; a draft can be cancelled (已撤销). Each move is an
    action that calls one service.

    While a draft nobody has signed: PATCH the agreement, and add or change its parties
    (/parties/), clauses (/clauses/) and commitments (/commitments/). The first signature freezes
    the content (its SHA-256 is `content_hash`); later changes go through /amend/.
    """

    client_scopes = {"read": "agreements:read"}  # API clients may read (integrations); no client writes
    scoped_selector = staticmethod(selectors.agreement_list)
    serializer_class = AgreementSerializer
    filterset_class = AgreementFilter
    # DELETE only on the drafting rows under an agreement; an agreement itself is never deleted.
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def _detail(self, pk, code=status.HTTP_200_OK):
        agreement = selectors.agreement_get_for_user(user=self.request.user, pk=pk)
        agreement.progress = selectors.agreement_progress(agreement)
        # "supersede" happens to an agreement (its amendment is signed); nobody asks for it.
        agreement.moves = sorted(services.agreement_moves(agreement) - {"supersede"})
        agreement.evaluation_rows = list(agreement.evaluations.select_related("party").order_by("period", "pk"))
        agreement.amendment_pk = Agreement.objects.filter(previous_id=agreement.pk).exclude(
            stage=Stage.CANCELLED).values_list("pk", flat=True).first()
        return Response(AgreementDetailSerializer(agreement, context=self.get_serializer_context()).data,
                        status=code)

    def _answer(self, agreement, code=status.HTTP_200_OK):
        return self._detail(agreement.pk, code)

    @extend_schema(responses={200: AgreementDetailSerializer})
    def retrieve(self, request, *args, **kwargs):
        return self._answer(self.get_object())

    @extend_schema(request=AgreementCreateSerializer, responses={201: AgreementDetailSerializer})
    def create(self, request, *args, **kwargs):
        """谈约: a draft between the alliance's initiating organisation and the given member units."""
        values = _valid(AgreementCreateSerializer, request)
        alliance = _alliance(request, values.pop("alliance"))
        units = [_unit(request, pk) for pk in values.pop("units")]
        agreement = services.agreement_create(user=request.user, alliance=alliance, units=units, **values)
        return self._answer(agreement, status.HTTP_201_CREATED)

    @extend_schema(request=AgreementUpdateSerializer, responses={200: AgreementDetailSerializer})
    def partial_update(self, request, *args, **kwargs):
        """Edit the title, preamble or term of a draft nobody has signed."""
        agreement = self.get_object()
        values = _valid(AgreementUpdateSerializer, request)
        return self._answer(services.agreement_update(user=request.user, agreement=agreement, **values))

    # drafting: parties, clauses, commitments

    @extend_schema(request=PartyInputSerializer, responses={201: PartySerializer})
    @action(detail=True, methods=["post"])
    def parties(self, request, pk=None):
        """Add a member unit as a party of the draft (the initiating organisation's handlers)."""
        agreement = self.get_object()
        data = _valid(PartyInputSerializer, request)
        party = services.party_add(user=request.user, agreement=agreement, unit=_unit(request, data["unit"]))
        return Response(PartySerializer(party).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None},
                   parameters=[OpenApiParameter("party_id", int, OpenApiParameter.PATH)])
    @action(detail=True, methods=["delete"], url_path=r"parties/(?P<party_id>[0-9]+)", url_name="party")
    def party(self, request, pk=None, party_id=None):
        """Remove a unit (without commitments) from the draft."""
        agreement = self.get_object()
        party = agreement.parties.filter(pk=party_id).first()
        if party is None:
            raise Http404(_("没有找到该签约方。"))
        services.party_remove(user=request.user, party=party)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=ClauseInputSerializer, responses={201: ClauseSerializer})
    @action(detail=True, methods=["post"])
    def clauses(self, request, pk=None):
        """Add a clause (条款) at the end or at `position`."""
        agreement = self.get_object()
        data = _valid(ClauseInputSerializer, request)
        clause = services.clause_add(user=request.user, agreement=agreement, **data)
        return Response(ClauseSerializer(clause).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["PATCH"], request=ClauseUpdateSerializer, responses={200: ClauseSerializer},
                   parameters=[OpenApiParameter("clause_id", int, OpenApiParameter.PATH)])
    @extend_schema(methods=["DELETE"], request=None, responses={204: None},
                   parameters=[OpenApiParameter("clause_id", int, OpenApiParameter.PATH)])
    @action(detail=True, methods=["patch", "delete"], url_path=r"clauses/(?P<clause_id>[0-9]+)",
            url_name="clause")
    def clause(self, request, pk=None, clause_id=None):
        """Change a clause's text, or delete it (the later ones move up)."""
        agreement = self.get_object()
        clause = agreement.clauses.filter(pk=clause_id).first()
        if clause is None:
            raise Http404(_("没有找到该条款。"))
        if request.method == "DELETE":
            services.clause_delete(user=request.user, clause=clause)
            return Response(status=status.HTTP_204_NO_CONTENT)
        data = _valid(ClauseUpdateSerializer, request)
        clause = services.clause_update(user=request.user, clause=clause, text=data["text"])
        return Response(ClauseSerializer(clause).data)

    def _commitment_values(self, agreement, values: dict) -> dict:
        if "party" in values:
            # An id that is not a party of this agreement: the service says so (400).
            values["party"] = agreement.parties.filter(pk=values["party"]).first()
        return values

    @extend_schema(request=CommitmentInputSerializer, responses={201: CommitmentSerializer})
    @action(detail=True, methods=["post"])
    def commitments(self, request, pk=None):
        """Add a commitment (承诺事项) of a party: once on `due_on`, or monthly / quarterly / yearly on
        `day_of_month`. A liaison writes its own unit's commitments only."""
        agreement = self.get_object()
        values = self._commitment_values(agreement, _valid(CommitmentInputSerializer, request))
        commitment = services.commitment_add(user=request.user, agreement=agreement, **values)
        commitment = selectors.commitment_get_for_user(user=request.user, pk=commitment.pk)
        return Response(CommitmentSerializer(commitment).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["PATCH"], request=CommitmentUpdateSerializer, responses={200: CommitmentSerializer},
                   parameters=[OpenApiParameter("commitment_id", int, OpenApiParameter.PATH)])
    @extend_schema(methods=["DELETE"], request=None, responses={204: None},
                   parameters=[OpenApiParameter("commitment_id", int, OpenApiParameter.PATH)])
    @action(detail=True, methods=["patch", "delete"], url_path=r"commitments/(?P<commitment_id>[0-9]+)",
            url_name="commitment")
    def commitment(self, request, pk=None, commitment_id=None):
        """Change or delete a commitment of the draft."""
        agreement = self.get_object()
        commitment = agreement.commitments.filter(pk=commitment_id).first()
        if commitment is None:
            raise Http404(_("没有找到该承诺事项。"))
        if request.method == "DELETE":
            services.commitment_delete(user=request.user, commitment=commitment)
            return Response(status=status.HTTP_204_NO_CONTENT)
        values = self._commitment_values(agreement, _valid(CommitmentUpdateSerializer, request))
        services.commitment_update(user=request.user, commitment=commitment, **values)
        commitment = selectors.commitment_get_for_user(user=request.user, pk=commitment.pk)
        return Response(CommitmentSerializer(commitment).data)

    # the stages

    @extend_schema(request=SignSerializer, responses={200: AgreementDetailSerializer})
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        """签约: sign for a party (the initiating organisation: a secretary; a unit: its liaison). The first
        signature freezes the content; the last one moves the agreement to signed."""
        agreement = self.get_object()
        data = _valid(SignSerializer, request)
        party = _party_for(request, agreement, data["party"], unsigned_only=True)
        services.agreement_sign(user=request.user, agreement=agreement, party=party)
        return self._answer(agreement)

    @extend_schema(request=None, responses={200: AgreementDetailSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """亮约: signed → published; `public_url` is the page residents read."""
        return self._answer(services.agreement_publish(user=request.user, agreement=self.get_object()))

    @extend_schema(request=None, responses={200: AgreementDetailSerializer})
    @action(detail=True, methods=["post"])
    def perform(self, request, pk=None):
        """履约: published → performing; the due dates of the commitments become items in /items/."""
        return self._answer(services.agreement_perform(user=request.user, agreement=self.get_object()))

    @extend_schema(request=AgreementRateSerializer, responses={201: EvaluationSerializer})
    @action(detail=True, methods=["post"])
    def rate(self, request, pk=None):
        """评价: a party rates the agreement 1–5 for a year, through an account entitled to sign for it."""
        agreement = self.get_object()
        data = _valid(AgreementRateSerializer, request)
        party = _party_for(request, agreement, data.pop("party"), unsigned_only=False)
        evaluation = services.evaluation_add(user=request.user, agreement=agreement, party=party, **data)
        return Response(EvaluationSerializer(evaluation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: AgreementDetailSerializer})
    @action(detail=True, methods=["post"])
    def evaluate(self, request, pk=None):
        """评约: performing → evaluated, once the term has ended or every occurrence is closed."""
        return self._answer(services.agreement_evaluate(user=request.user, agreement=self.get_object()))

    @extend_schema(request=TerminateSerializer, responses={200: AgreementDetailSerializer})
    @action(detail=True, methods=["post"])
    def terminate(self, request, pk=None):
        """终止, with a reason, from any signed stage; open occurrences not yet taken up are rejected."""
        agreement = self.get_object()
        data = _valid(TerminateSerializer, request)
        return self._answer(services.agreement_terminate(user=request.user, agreement=agreement,
                                                         reason=data["reason"]))

    @extend_schema(request=CancelSerializer, responses={200: AgreementDetailSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """撤销 a draft (even one some parties signed), with a reason: it never takes effect, the claims
        confirmed into it are released, and a cancelled amendment does not stop another one."""
        agreement = self.get_object()
        data = _valid(CancelSerializer, request)
        return self._answer(services.agreement_cancel(user=request.user, agreement=agreement,
                                                      reason=data["reason"]))

    @extend_schema(request=None, responses={201: AgreementDetailSerializer})
    @action(detail=True, methods=["post"])
    def amend(self, request, pk=None):
        """修订: a new draft version; once all its parties sign it, this version is superseded."""
        amendment = services.agreement_amend(user=request.user, agreement=self.get_object())
        return self._answer(amendment, status.HTTP_201_CREATED)


# --- commitments (承诺事项) and evidence (履约凭证) --------------------------------------------

class CommitmentFilter(django_filters.FilterSet):
    agreement = django_filters.NumberFilter(field_name="agreement_id")
    unit = django_filters.NumberFilter(field_name="party__unit_id", label="The promising member unit")
    alliance = django_filters.NumberFilter(field_name="agreement__alliance_id")
    stage = django_filters.MultipleChoiceFilter(field_name="agreement__stage", choices=Stage.choices)
    category = django_filters.ChoiceFilter(choices=ResourceCategory.choices)
    recurrence = django_filters.ChoiceFilter(choices=Recurrence.choices)

    class Meta:
        model = Commitment
        fields = ["agreement", "unit", "alliance", "stage", "category", "recurrence"]


class CommitmentViewSet(RefuseOversizedUploadsMixin, ScopedViewSetMixin, mixins.ListModelMixin,
                        mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Commitments (承诺事项) of the agreements the user may read (a liaison: its unit's agreements),
    each with its occurrences (the items that carry it out) and the evidence reported."""

    client_scopes = {"read": "agreements:read"}  # API clients may read (integrations); no client writes
    scoped_selector = staticmethod(selectors.commitment_list)
    serializer_class = CommitmentSerializer
    filterset_class = CommitmentFilter
    upload_actions = ("report",)  # an oversized evidence file is refused (413) before it is read

    @extend_schema(responses={200: CommitmentDetailSerializer})
    def retrieve(self, request, *args, **kwargs):
        commitment = selectors.commitment_get_for_user(user=request.user, pk=self.get_object().pk)
        return Response(CommitmentDetailSerializer(commitment).data)

    @extend_schema(request={"multipart/form-data": EvidenceInputSerializer,
                            "application/json": EvidenceInputSerializer},
                   responses={201: EvidenceSerializer,
                              413: OpenApiResponse(description="The request is larger than a file may be.")})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser, JSONParser])
    def report(self, request, pk=None):
        """履约凭证: the promising unit's liaison (or a handler) reports what was done, with an optional
        file (multipart/form-data; PDF, Word, Excel, JPEG, PNG; at most 10 MB), for the commitment or
        one of its due dates (`occurrence`)."""
        commitment = self.get_object()
        data = _valid(EvidenceInputSerializer, request)
        occurrence = None
        if data["occurrence"] is not None:
            occurrence = CommitmentItem.objects.filter(
                pk=data["occurrence"], commitment__in=selectors.commitment_list(user=request.user)).first()
            if occurrence is None:
                raise Http404(_("没有找到该履约事项。"))
        evidence = services.evidence_report(user=request.user, commitment=commitment, text=data["text"],
                                            file=data["file"], occurrence=occurrence)
        return Response(EvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[OpenApiParameter("evidence_id", int, OpenApiParameter.PATH)],
                   responses={(200, "application/octet-stream"): OpenApiResponse(
                       response=OpenApiTypes.BINARY, description="The attached file.")})
    @action(detail=True, methods=["get"], url_path=r"evidence/(?P<evidence_id>[0-9]+)/file",
            url_name="evidence-file")
    def evidence_file(self, request, pk=None, evidence_id=None):
        """Download the file attached to a piece of evidence."""
        evidence = self.get_object().evidence.filter(pk=evidence_id).first()
        if evidence is None or not evidence.file:
            raise Http404(_("没有找到该附件。"))
        try:
            handle = evidence.file.open("rb")
        except FileNotFoundError:
            raise Http404(_("没有找到该附件。")) from None
        return FileResponse(handle, as_attachment=True, filename=evidence.file_name or None)


# --- points (积分) ---------------------------------------------------------------------------

class RankingPagination(LimitOffsetPagination):
    """A ranking is read from the top; offsets keep the rank numbers simple."""

    default_limit = 50
    max_limit = 200


# Not a ScopedViewSetMixin: the ranking is not a list of rows the user may see but an aggregate
# over one alliance. The alliance in the URL is fetched through `alliance_get_for_user` (404
# outside the scope) and the figures come from the `points_ranking` selector.
class PointRankingViewSet(viewsets.GenericViewSet):
    """积分排名: the units with points earned in the alliance and the alliances below it (fulfilled
    commitments, ratings, confirmed claims), highest first. GET /api/v1/alliances/{id}/points/."""

    client_scopes = {"read": "agreements:read"}  # API clients may read (integrations); no client writes
    serializer_class = RankingSerializer
    pagination_class = RankingPagination
    filter_backends: list = []

    @extend_schema(parameters=[OpenApiParameter("alliance_pk", int, OpenApiParameter.PATH,
                                                description="The alliance ranked.")],
                   responses={200: RankingSerializer(many=True)})
    def list(self, request, alliance_pk=None):
        alliance = _alliance(request, alliance_pk)
        ranking = selectors.points_ranking(user=request.user, alliance=alliance)
        page = self.paginate_queryset(ranking)
        offset = self.paginator.offset
        for index, unit in enumerate(page, start=offset + 1):
            unit.rank = index
        return self.get_paginated_response(RankingSerializer(page, many=True).data)
