"""The API's early refusal of an oversized upload (413), shared by every viewset that takes files."""

from rest_framework import status
from rest_framework.exceptions import APIException

from alliance.uploads import upload_too_large, upload_too_large_message


class UploadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "upload_too_large"


class RefuseOversizedUploadsMixin:
    """For a viewset whose `upload_actions` take a file: a request declaring a body larger than an
    upload may be is answered 413 before anything reads it (session authentication's CSRF check
    reads request.POST, which would store the whole upload first). Nothing is written."""

    upload_actions: tuple[str, ...] = ()

    def initial(self, request, *args, **kwargs):
        if self.action in self.upload_actions and upload_too_large(request.META):
            raise UploadTooLarge(upload_too_large_message())
        super().initial(request, *args, **kwargs)
