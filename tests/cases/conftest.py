import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api():
    """An API client; `api.as_user(user)` authenticates with a real token."""

    class Client(APIClient):
        def as_user(self, user):
            from rest_framework.authtoken.models import Token

            token, _ = Token.objects.get_or_create(user=user)
            self.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
            return self

    return Client()


def admin_post_data(client, url: str, data: dict) -> dict:
    """`data` plus the management forms of whatever inlines the admin page shows."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    posted = dict(data)
    for inline in page.context.get("inline_admin_formsets") or []:
        management = inline.formset.management_form
        for name, field in management.fields.items():
            posted[management.add_prefix(name)] = management.initial.get(name, field.initial) or 0
    return posted
