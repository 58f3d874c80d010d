import pytest
from django.core.exceptions import ValidationError

from members.validators import credit_code_check_char, validate_credit_code

# Published codes of real organisations (their check characters are part of the code).
REAL_CODES = ["91350100M000100Y43", "11100000000013127D"]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_pass(code):
    validate_credit_code(code)
    assert credit_code_check_char(code[:17]) == code[17]


def test_lower_case_is_accepted():
    validate_credit_code(REAL_CODES[0].lower())


@pytest.mark.parametrize(
    "code, words",
    [
        ("91350100M000100Y44", "校验位错误"),
        ("91350100M000100Y4", "18位"),
        ("91350100M00010OY43", "不允许的字符"),
        ("913A0100M000100Y43", "行政区划码"),
    ],
)
def test_bad_codes_say_what_is_wrong(code, words):
    with pytest.raises(ValidationError) as exc:
        validate_credit_code(code)
    assert words in exc.value.messages[0]
