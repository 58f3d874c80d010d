from django.urls import path

from . import views

urlpatterns = [
    path("alliances/<int:pk>/dashboard/", views.alliance_dashboard, name="alliance-dashboard"),
]
