"""Pages of the party-member work (在职党员)."""

from django.urls import path

from . import views

urlpatterns = [
    # the member's own pages
    path("party/", views.party_home, name="party-home"),
    path("party/me/", views.my_community, name="party-me"),
    path("party/me/report/", views.my_report, name="party-me-report"),
    path("party/me/posts/", views.my_posts, name="party-my-posts"),
    path("party/me/orders/", views.my_orders, name="party-my-orders"),
    path("party/me/points/", views.my_points, name="party-my-points"),
    path("party/items/<int:pk>/take/", views.item_take, name="party-item-take"),
    # moves on one row
    path("party/posts/<int:pk>/<slug:action>/", views.post_action, name="party-post-action"),
    path("party/claims/<int:pk>/<slug:action>/", views.claim_action, name="party-claim-action"),
    path("party/orders/<int:pk>/<slug:action>/", views.order_action, name="party-order-action"),
    path("party/points/<int:pk>/reverse/", views.point_reverse, name="party-point-reverse"),
    path("party/members/<int:pk>/", views.member_detail, name="party-member-detail"),
    path("party/members/<int:pk>/<slug:action>/", views.member_action, name="party-member-action"),
    # the community's pages
    path("alliances/<int:pk>/party/members/", views.alliance_members, name="party-members"),
    path("alliances/<int:pk>/party/register/", views.register, name="party-register"),
    path("alliances/<int:pk>/party/posts/", views.posts, name="party-posts"),
    path("alliances/<int:pk>/party/orders/", views.orders, name="party-orders"),
    path("alliances/<int:pk>/party/ranking/", views.ranking, name="party-ranking"),
    path("alliances/<int:pk>/party/rules/", views.rules, name="party-rules"),
    path("units/<int:pk>/party-members/", views.unit_members, name="party-unit-members"),
]
