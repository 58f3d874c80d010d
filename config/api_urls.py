"""Version 1 of the REST API: one router, each app registers its viewsets."""

from rest_framework.routers import DefaultRouter

from alliance.api.views import AllianceViewSet
from meetings.api.views import MeetingViewSet, ProposalViewSet, ResolutionViewSet
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

urlpatterns = router.urls
