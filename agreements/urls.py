"""Agreement pages; the list is filled in by the views of each part."""

urlpatterns: list = []
