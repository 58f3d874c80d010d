"""Agreement pages; the list is filled in by the views of each part."""

from django.urls import path

from . import views

urlpatterns: list = [
    # printing and the public page (亮约)
    path("agreements/<int:pk>/agreement.pdf", views.agreement_pdf, name="agreement-pdf"),
    path("units/<int:pk>/obligations.pdf", views.unit_obligations_pdf, name="unit-obligations-pdf"),
    path("p/agreements/<str:token>/", views.public_agreement, name="public-agreement"),
    # the agreement pages: list, new draft, the agreement and its moves (A3a)
    path("alliances/<int:pk>/agreements/", views.agreement_list, name="agreement-list"),
    path("alliances/<int:pk>/agreements/new/", views.agreement_create, name="agreement-create"),
    path("agreements/<int:pk>/", views.agreement_detail, name="agreement-detail"),
    path("agreements/<int:pk>/evidence/<int:evidence_pk>/", views.agreement_evidence, name="agreement-evidence"),
    path("agreements/<int:pk>/<slug:action>/", views.agreement_action, name="agreement-action"),
    # the three lists (三张清单), claims, a unit's obligations and the points ranking (A3b)
    path("alliances/<int:pk>/resources/", views.resource_list, name="resource-list"),
    path("alliances/<int:pk>/resources/new/", views.resource_create, name="resource-create"),
    path("resources/<int:pk>/edit/", views.resource_edit, name="resource-edit"),
    path("alliances/<int:pk>/needs/", views.need_list, name="need-list"),
    path("alliances/<int:pk>/needs/new/", views.need_create, name="need-create"),
    path("needs/<int:pk>/", views.need_detail, name="need-detail"),
    path("needs/<int:pk>/edit/", views.need_edit, name="need-edit"),
    path("needs/<int:pk>/<slug:action>/", views.need_action, name="need-action"),
    path("claims/<int:pk>/<slug:action>/", views.claim_action, name="claim-action"),
    path("alliances/<int:pk>/projects/", views.project_list, name="project-list"),
    path("alliances/<int:pk>/projects/new/", views.project_create, name="project-create"),
    path("projects/<int:pk>/", views.project_detail, name="project-detail"),
    path("projects/<int:pk>/edit/", views.project_edit, name="project-edit"),
    path("projects/<int:pk>/milestones/new/", views.milestone_add, name="milestone-add"),
    path("projects/<int:pk>/milestones/<int:milestone_pk>/done/", views.milestone_done, name="milestone-done"),
    path("units/<int:pk>/obligations/", views.unit_obligations, name="unit-obligations"),
    path("alliances/<int:pk>/ranking/", views.points_ranking, name="points-ranking"),
]
