from django.urls import path

from . import views

urlpatterns = [
    path("alliances/<int:pk>/items/", views.item_inbox, name="item-inbox"),
    path("alliances/<int:pk>/items/new/", views.item_create, name="item-create"),
    path("items/<int:pk>/", views.item_detail, name="item-detail"),
    path("items/<int:pk>/<slug:action>/", views.item_action, name="item-action"),
    path("notifications/", views.notification_list, name="notification-list"),
    path("public/alliances/<int:pk>/demand/", views.public_demand, name="public-demand"),
    path("public/follow/<str:token>/", views.public_follow, name="public-follow"),
]
