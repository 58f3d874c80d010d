from django.urls import path

from . import views

urlpatterns = [
    path("alliances/<int:pk>/dashboard/", views.alliance_dashboard, name="alliance-dashboard"),
    path("alliances/<int:pk>/dashboard/export.xlsx", views.dashboard_xlsx, name="alliance-dashboard-xlsx"),
    path("alliances/<int:pk>/dashboard/report.pdf", views.dashboard_pdf, name="alliance-dashboard-pdf"),
    path("alliances/<int:pk>/dashboard/exports/", views.export_job_create, name="dashboard-export-create"),
    path("dashboard/exports/<int:pk>/", views.export_job_detail, name="dashboard-export-detail"),
    path("dashboard/exports/<int:pk>/status/", views.export_job_status, name="dashboard-export-status"),
    path("dashboard/exports/<int:pk>/download/", views.export_job_download, name="dashboard-export-download"),
]
