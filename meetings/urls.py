from django.urls import path

from . import views

urlpatterns = [
    path("alliances/<int:pk>/meetings/", views.meeting_list, name="meeting-list"),
    path("alliances/<int:pk>/meetings/new/", views.meeting_create, name="meeting-create"),
    path("alliances/<int:pk>/meetings/rules/", views.meeting_rules, name="meeting-rules"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting-detail"),
    path("meetings/<int:pk>/meeting.ics", views.meeting_ics, name="meeting-ics"),
    path("meetings/<int:pk>/minutes.pdf", views.meeting_minutes, name="meeting-minutes"),
    path("meetings/<int:pk>/<slug:action>/", views.meeting_action, name="meeting-action"),
    path("alliances/<int:pk>/proposals/new/", views.proposal_create, name="proposal-create"),
    path("proposals/<int:pk>/", views.proposal_detail, name="proposal-detail"),
    path("proposals/<int:pk>/<slug:action>/", views.proposal_action, name="proposal-action"),
    path("proposals/<int:pk>/attachments/<int:attachment_pk>/", views.proposal_attachment,
         name="proposal-attachment"),
    path("resolutions/<int:pk>/publish/", views.resolution_publish, name="resolution-publish"),
    path("resolutions/<int:pk>/actions/", views.resolution_actions, name="resolution-actions"),
    path("my/meetings/", views.my_meetings, name="my-meetings"),
    path("public/alliances/<int:pk>/resolutions/", views.public_resolutions, name="public-resolutions"),
    path("public/resolutions/<int:pk>/", views.public_resolution, name="public-resolution"),
]
