from django.urls import path

from . import views

urlpatterns = [
    path("alliances/<int:pk>/audit/", views.alliance_audit, name="alliance-audit"),
    path("alliances/<int:pk>/audit/export.xlsx", views.alliance_audit_export, name="alliance-audit-export"),
]
