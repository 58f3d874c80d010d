from django.urls import path

from . import views

urlpatterns = [
    path("alliances/<int:pk>/privacy/export/", views.person_export, name="privacy-export"),
    path("alliances/<int:pk>/privacy/erase/", views.person_erase, name="privacy-erase"),
]
