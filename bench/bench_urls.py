"""The real URLconf, plus /bench/items-floor/: the floor the items API is compared with.

The floor returns the same 50 rows of a district as the API's first page (and its cursor pages,
by primary key), built with `.values()` and `JsonResponse`: no DRF, no serializer, no
authentication or scope resolution. Only bench/items_throughput_bench.py serves it.
"""

from django.http import JsonResponse
from django.urls import include, path

from tasks.models import Item

FIELDS = (
    "id", "reference", "title", "description", "category", "source", "status", "origin_id", "origin__name",
    "alliance_id", "alliance__name", "alliance__level", "assignee_unit_id", "assignee_user_id", "due_at",
    "overdue_at_root", "escalations", "resolution_note", "rejected_reason", "created_at", "updated_at",
    "resolved_at", "confirmed_at", "closed_at",
)


def items_floor(request):
    prefix = request.GET.get("path", "")
    after = int(request.GET.get("after", "0") or 0)
    size = min(int(request.GET.get("page_size", "50") or 50), 200)
    rows = list(
        Item.objects.filter(alliance_path__startswith=prefix, id__gt=after).order_by("id").values(*FIELDS)[:size]
    )
    following = f"/bench/items-floor/?path={prefix}&after={rows[-1]['id']}&page_size={size}" if rows else None
    return JsonResponse({"next": following, "results": rows})


urlpatterns = [
    path("bench/items-floor/", items_floor),
    path("", include("config.urls")),
]
