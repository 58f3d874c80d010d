from django.urls import path

from . import views

urlpatterns = [
    path("alliances/<int:pk>/meetings/", views.meeting_list, name="meeting-list"),
    path("alliances/<int:pk>/meetings/new/", views.meeting_create, name="meeting-create"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting-detail"),
    path("meetings/<int:pk>/<slug:action>/", views.meeting_action, name="meeting-action"),
    path("alliances/<int:pk>/proposals/new/", views.proposal_create, name="proposal-create"),
    path("proposals/<int:pk>/", views.proposal_detail, name="proposal-detail"),
    path("proposals/<int:pk>/<slug:action>/", views.proposal_action, name="proposal-action"),
]
