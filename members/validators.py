"""The unified social credit code (统一社会信用代码), GB 32100-2015."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
VALUES = {c: i for i, c in enumerate(CHARSET)}


def credit_code_check_char(first17: str) -> str:
    total = sum(VALUES[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def normalize_credit_code(value: str) -> str:
    return (value or "").strip().upper()


def validate_credit_code(value: str) -> None:
    code = normalize_credit_code(value)
    if len(code) != 18:
        raise ValidationError(
            _("统一社会信用代码应为18位,当前为%(n)d位。") % {"n": len(code)}, code="length"
        )
    bad = sorted({c for c in code if c not in VALUES})
    if bad:
        raise ValidationError(
            _("统一社会信用代码含有不允许的字符:%(chars)s。") % {"chars": "".join(bad)}, code="charset"
        )
    if not code[2:8].isdigit():
        raise ValidationError(_("统一社会信用代码第3至8位应为行政区划码(数字)。"), code="region")
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        raise ValidationError(
            _("统一社会信用代码校验位错误:应为“%(expected)s”,而不是“%(got)s”。")
            % {"expected": expected, "got": code[17]},
            code="check",
        )
