from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from alliance import views as alliance_views

# The API docs pages bring their own inline styles (Swagger UI's page, Redoc's styled components);
# scripts stay 'self' only: the split Swagger view serves its start-up script as a file.
docs_csp = csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["'self'", "blob:"]})

urlpatterns = [
    path("healthz", alliance_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", docs_csp(SpectacularSwaggerSplitView.as_view(url_name="schema")), name="swagger-ui"),
    path("api/redoc/", docs_csp(SpectacularRedocView.as_view(url_name="schema", template_name="api_docs/redoc.html")), name="redoc"),
    path("api/v1/", include("config.api_urls", namespace="api")),
    path("", include("alliance.urls")),
    path("", include("members.urls")),
    path("", include("tasks.urls")),
    path("", include("party.urls")),
    path("", include("meetings.urls")),
    path("", include("agreements.urls")),
    path("", include("dashboard.urls")),
    path("", include("integrations.urls")),
    path("", include("audit.urls")),
    path("", include("webhooks.urls")),
    path("", include("privacy.urls")),
]
