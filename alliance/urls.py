from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("alliances/<int:pk>/edit/", views.alliance_edit, name="alliance-edit"),
    path("alliances/<int:pk>/children/new/", views.alliance_child_create, name="alliance-child-create"),
]
