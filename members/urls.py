from django.urls import path

from . import views

urlpatterns = [
    path("alliances/<int:pk>/", views.alliance_detail, name="alliance-detail"),
    path("alliances/<int:pk>/units/", views.alliance_unit_list, name="alliance-unit-list"),
    path("alliances/<int:pk>/units/new/", views.unit_create, name="unit-create"),
    path("alliances/<int:pk>/units/import/", views.unit_import, name="unit-import"),
    path("alliances/<int:pk>/units/import/template.xlsx", views.unit_import_template,
         name="unit-import-template"),
    path("alliances/<int:pk>/memberships/new/", views.membership_create, name="membership-create"),
    path("units/<int:pk>/", views.unit_detail, name="unit-detail"),
    path("units/<int:pk>/edit/", views.unit_edit, name="unit-edit"),
    path("memberships/<int:pk>/edit/", views.membership_edit, name="membership-edit"),
]
