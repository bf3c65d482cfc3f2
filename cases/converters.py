from django.urls import register_converter


class CaseNumberConverter:
    """`KS-YYYYMMDD-NNNN`: anything else in a case URL is a 404 before any query runs."""

    regex = r"KS-[0-9]{8}-[0-9]{4,6}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(CaseNumberConverter, "case_number")
