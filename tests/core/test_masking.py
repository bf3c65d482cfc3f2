import pytest
from django.core.exceptions import ValidationError

from core.masking import mask_name, mask_phone
from core.validators import validate_phone


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+8613812345678", "+86****5678"),
        ("021-12345678", "021****5678"),
        ("12345", "***45"),
        ("", ""),
    ],
)
def test_phone_masking(phone, masked):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("name", "masked"), [("张三丰", "张**"), ("王", "王*"), ("Alice", "A****"), ("", "")]
)
def test_name_masking(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    "phone", ["13812345678", "+86 13812345678", "8613812345678", "021-12345678", "07551234567"]
)
def test_valid_phone_numbers(phone):
    validate_phone(phone)


@pytest.mark.parametrize("phone", ["12345678901", "1381234567", "phone", "138-1234-5678x"])
def test_invalid_phone_numbers(phone):
    with pytest.raises(ValidationError):
        validate_phone(phone)
