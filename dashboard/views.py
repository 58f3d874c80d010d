"""数据看板 pages: thin; the figures come from `dashboard.selectors`."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from alliance.selectors import alliance_breadcrumb, alliance_get_for_user

from . import selectors


@login_required
def alliance_dashboard(request, pk):
    """The figures of one alliance's subtree as cards, charts with their tables, and its children."""
    alliance = alliance_get_for_user(user=request.user, pk=pk)
    figures = selectors.dashboard_figures(user=request.user, alliance=alliance)
    charts = {
        "trend": figures["trend"],
        "stages": figures["agreements"]["by_stage"],
        "levels": figures["alliances"]["by_level"],
    }
    return render(request, "dashboard/dashboard.html", {
        "alliance": alliance, "breadcrumb": alliance_breadcrumb(user=request.user, alliance=alliance),
        "f": figures, "charts": charts,
    })
