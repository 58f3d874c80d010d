"""Webhook pages for the district admin, under an API client."""

from django.urls import path

from . import views

urlpatterns = [
    path("api-clients/<int:pk>/webhooks/", views.subscription_list, name="webhook-subscription-list"),
    path("api-clients/<int:pk>/webhooks/new/", views.subscription_create,
         name="webhook-subscription-create"),
    path("webhooks/<int:pk>/deliveries/", views.delivery_list, name="webhook-delivery-list"),
    path("webhooks/<int:pk>/<slug:action>/", views.subscription_action, name="webhook-subscription-action"),
    path("webhook-deliveries/<int:pk>/replay/", views.delivery_replay, name="webhook-delivery-replay"),
]
