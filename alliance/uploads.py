"""Uploaded files (meetings' proposal attachments, agreements' evidence): one limit, one list of
file types, and the early refusal of a request too large to be an acceptable upload.

A view refuses an oversized request before anything touches request.FILES (or request.POST, which
CSRF checking reads): Django would otherwise first read, and spool to disk, the whole body. The
check trusts only the declared CONTENT_LENGTH; the service checks the file's real size again.
"""

import os
import re
import unicodedata
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

UPLOAD_MAX_BYTES = 10 * 1024 * 1024
UPLOAD_EXTENSIONS = ("pdf", "doc", "docx", "xls", "xlsx", "jpg", "jpeg", "png")
# The multipart envelope around the file (boundaries, headers, the CSRF token, a few text fields)
# is small; a request larger than the file limit plus this is refused before Django reads its body.
UPLOAD_OVERHEAD_BYTES = 64 * 1024


def upload_too_large(meta) -> bool:
    """Whether a request's declared body (CONTENT_LENGTH) exceeds what an upload may be, so a view
    can refuse it before touching request.FILES (which would first store the whole body)."""
    try:
        length = int(meta.get("CONTENT_LENGTH") or 0)
    except (TypeError, ValueError):
        return False
    return length > UPLOAD_MAX_BYTES + UPLOAD_OVERHEAD_BYTES


def upload_too_large_message() -> str:
    return _("文件不能超过%(mb)dMB。") % {"mb": UPLOAD_MAX_BYTES // (1024 * 1024)}


def upload_types_text() -> str:
    """The accepted types, for a form's help text: ".pdf, .doc, …"."""
    return ", ".join(f".{e}" for e in UPLOAD_EXTENSIONS)


# Characters no file system takes in a name (Windows' list, a superset of the others).
_UNSAFE_NAME_CHARACTERS = re.compile(r'[<>:"/\\|?*]')


def upload_display_name(name: str) -> str:
    """A file name safe to show and to offer as a download name: no folders, no control or
    formatting characters (a right-to-left override can disguise "exe.pdf"), none of <>:"/\\|?*.
    The file itself is stored under a random name, never under this one."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = "".join(c for c in name if unicodedata.category(c) not in {"Cc", "Cf", "Zl", "Zp"})
    return _UNSAFE_NAME_CHARACTERS.sub("_", name).strip()


def upload_clean_name(uploaded_file, *, field: str = "file", default_stem: str = "") -> tuple[str, str]:
    """Check an uploaded file's type and size; answer (display name, lower-case extension) or raise
    ValidationError on `field`. The display name keeps the user's stem (at most 190 characters)."""
    name = upload_display_name(getattr(uploaded_file, "name", "") or "")
    stem, dot, extension = name.rpartition(".")
    extension = extension.lower() if dot else ""
    if extension not in UPLOAD_EXTENSIONS:
        raise ValidationError({field: [_("只能上传PDF、Word、Excel或图片(jpg、png)文件。")]})
    if not uploaded_file.size:
        raise ValidationError({field: [_("文件是空的。")]})
    if uploaded_file.size > UPLOAD_MAX_BYTES:
        raise ValidationError({field: [upload_too_large_message()]})
    stem = stem.strip().lstrip(".").strip()[:190]  # no hidden-file names
    return f"{stem or default_stem or _('附件')}.{extension}", extension


def upload_store(instance, uploaded_file, *, extension: str, field: str = "file"):
    """Save `instance` with `uploaded_file` in its FileField `field`, under a random name; call it
    inside the service's transaction. The row is written first and the file after it: a file that
    cannot be stored raises (rolling the row back with the transaction), and a file stored for a
    row that then fails to save is deleted, so neither is left without the other."""
    instance.save()
    stored = getattr(instance, field)
    try:
        stored.save(f"{uuid.uuid4().hex}.{extension}", uploaded_file, save=False)
    except OSError:
        raise ValidationError({field: [_("附件保存失败,请稍后重试。")]}) from None
    try:
        with transaction.atomic():
            instance.save(update_fields=[field])
    except BaseException:
        stored.delete(save=False)
        raise
    return instance
