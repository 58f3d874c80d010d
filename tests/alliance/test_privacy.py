from alliance.privacy import mask_id_number, mask_phone


def test_mobile_keeps_first_three_and_last_four():
    assert mask_phone("13812345678") == "138****5678"


def test_other_numbers_and_empty():
    assert mask_phone("023-6888123") == "023******23"
    assert mask_phone("") == ""
    assert mask_phone(None) == ""
    assert mask_phone("110") == "***"


def test_resident_id_keeps_region_and_last_four():
    assert mask_id_number("50010419900101123X") == "500104********123X"
    assert mask_id_number("") == ""
