from django.urls import path

from . import views

urlpatterns = [
    path("alliances/<int:pk>/api-clients/", views.api_client_list, name="api-client-list"),
    path("alliances/<int:pk>/api-clients/new/", views.api_client_create, name="api-client-create"),
    path("api-clients/<int:pk>/rotate/", views.api_client_rotate, name="api-client-rotate"),
    path("api-clients/<int:pk>/revoke/", views.api_client_revoke, name="api-client-revoke"),
]
