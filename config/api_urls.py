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
from dashboard.api.views import StatsViewSet
from meetings.api.views import MeetingViewSet, ProposalViewSet, ResolutionViewSet, VoteViewSet
from members.api.views import MembershipViewSet, MemberUnitViewSet
from tasks.api.views import ItemViewSet

app_name = "api"

router = DefaultRouter()
router.register("alliances", AllianceViewSet, basename="alliance")
router.register("member-units", MemberUnitViewSet, basename="member-unit")
router.register("memberships", MembershipViewSet, basename="membership")
router.register("items", ItemViewSet, basename="item")
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

urlpatterns = router.urls
