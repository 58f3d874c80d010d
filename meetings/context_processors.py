"""What every page's navigation needs to know about meetings."""

from members.selectors import liaison_unit_ids


def liaison_nav(request) -> dict:
    """`nav_my_meetings`: whether to link the liaison's page of meetings in the top bar.

    Lazy (a callable the template calls only where it renders the link), and it reads the user's
    liaison units that the page's own selectors have usually cached on the user already, so most
    pages pay no query for it; the others pay one small indexed query.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_my_meetings": lambda: bool(liaison_unit_ids(user))}
