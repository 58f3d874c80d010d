"""Password rules of our own, next to Django's (length, common passwords, similarity)."""

import string

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CLASSES = (
    ("lower", str.islower),
    ("upper", str.isupper),
    ("digit", str.isdigit),
    ("symbol", lambda c: not c.isalnum() and not c.isspace() or c in string.punctuation),
)


class CharacterClassesValidator:
    """At least `min_classes` of: lower-case letters, upper-case letters, digits, symbols."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        found = sum(1 for _name, test in CLASSES if any(test(c) for c in password))
        if found < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self):
        return _("密码须包含小写字母、大写字母、数字和符号中的至少%(n)d类。") % {"n": self.min_classes}


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's, with a message of our own: Django 5.2 changed its message, and its Chinese
    catalog still has the old one, so the page showed the English sentence."""

    def get_error_message(self):
        return _("密码太短,至少需要%(n)d个字符。") % {"n": self.min_length}

    def get_help_text(self):
        return _("密码至少需要%(n)d个字符。") % {"n": self.min_length}
