from django.urls import path

from . import views  # noqa: F401 - pages are added here

urlpatterns: list = []
