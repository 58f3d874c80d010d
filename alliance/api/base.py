"""The one base viewset: every queryset comes from a scoped selector, never from a model manager."""

from rest_framework import viewsets


class ScopedViewSetMixin:
    """Subclasses name a selector; `get_queryset` is final and always goes through it.

    `scoped_selector(user=...)` must return a queryset already limited to the user's subtree,
    so an object outside it is simply not found (404), on every method.
    """

    scoped_selector = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__:
            raise TypeError(f"{cls.__name__} may not override get_queryset: name a scoped_selector.")

    def get_queryset(self):
        if self.scoped_selector is None:  # pragma: no cover - programming error
            raise NotImplementedError("scoped_selector is not set")
        return type(self).scoped_selector(user=self.request.user)


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class ScopedModelViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    pass
