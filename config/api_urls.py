"""Version 1 of the REST API: one router, each app registers its viewsets."""

from rest_framework.routers import DefaultRouter

from agreements.api.views import (
    AgreementViewSet,
    ClaimViewSet,
    CommitmentViewSet,
    NeedViewSet,
    PointRankingViewSet,
    ProjectViewSet,
    ResourceViewSet,
)
from alliance.api.views import AllianceViewSet
from audit.api.views import AuditEventViewSet
from dashboard.api.views import StatsViewSet
from integrations.idempotency import with_idempotency
from meetings.api.views import MeetingViewSet, ProposalViewSet, ResolutionViewSet, VoteViewSet
from members.api.views import MembershipViewSet, MemberUnitViewSet
from party.api.views import (
    OrderViewSet,
    PartyMemberViewSet,
    PointEntryViewSet,
    PostViewSet,
    ReportViewSet,
    TimeBankViewSet,
)
from tasks.api.views import ItemViewSet
from webhooks.api.views import WebhookDeliveryViewSet, WebhookSubscriptionViewSet

app_name = "api"


class ApiRouter(DefaultRouter):
    """Every viewset registered here answers a retried POST with its first answer (Idempotency-Key)."""

    def register(self, prefix, viewset, basename=None):
        super().register(prefix, with_idempotency(viewset), basename)


router = ApiRouter()
router.register("alliances", AllianceViewSet, basename="alliance")
router.register("member-units", MemberUnitViewSet, basename="member-unit")
router.register("memberships", MembershipViewSet, basename="membership")
router.register("items", ItemViewSet, basename="item")
router.register("party-members", PartyMemberViewSet, basename="party-member")
router.register("party-reports", ReportViewSet, basename="party-report")
router.register("party-posts", PostViewSet, basename="party-post")
router.register("party-orders", OrderViewSet, basename="party-order")
router.register("party-point-entries", PointEntryViewSet, basename="party-point-entry")
router.register("party-time-bank", TimeBankViewSet, basename="party-time-bank")
router.register("meetings", MeetingViewSet, basename="meeting")
router.register("proposals", ProposalViewSet, basename="proposal")
router.register("resolutions", ResolutionViewSet, basename="resolution")
router.register("votes", VoteViewSet, basename="vote")
router.register("resources", ResourceViewSet, basename="resource")
router.register("needs", NeedViewSet, basename="need")
router.register("claims", ClaimViewSet, basename="claim")
router.register("projects", ProjectViewSet, basename="project")
router.register("agreements", AgreementViewSet, basename="agreement")
router.register("commitments", CommitmentViewSet, basename="commitment")
router.register(r"alliances/(?P<alliance_pk>[0-9]+)/points", PointRankingViewSet, basename="alliance-points")
router.register("stats", StatsViewSet, basename="stats")
router.register("audit-events", AuditEventViewSet, basename="audit-event")
router.register("webhook-subscriptions", WebhookSubscriptionViewSet, basename="webhook-subscription")
router.register("webhook-deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")

urlpatterns = router.urls
