from core.models import Store


def test_a_users_stores_are_set_on_the_user_page(admin_client, store, other_store, store_staff):
    url = f"/admin/auth/user/{store_staff.pk}/change/"
    page = admin_client.get(url)
    inline = next(
        f for f in page.context["inline_admin_formsets"] if f.opts.model is Store.staff.through
    )
    prefix = inline.formset.prefix
    existing = inline.formset.queryset.get()
    data = {
        "username": store_staff.username, "password": store_staff.password,
        "is_active": "on", "groups": [g.pk for g in store_staff.groups.all()],
        "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00",
        f"{prefix}-TOTAL_FORMS": "2", f"{prefix}-INITIAL_FORMS": "1",
        f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000",
        f"{prefix}-0-id": existing.pk, f"{prefix}-0-user": store_staff.pk,
        f"{prefix}-0-store": store.pk,
        f"{prefix}-1-user": store_staff.pk, f"{prefix}-1-store": other_store.pk,
    }  # fmt: skip
    answer = admin_client.post(url, data)

    assert answer.status_code == 302, answer.context and answer.context["adminform"].form.errors
    assert sorted(store_staff.stores.values_list("code", flat=True)) == ["BJ001", "SH001"]


def test_user_list_shows_roles(admin_client, store_staff, handler):
    page = admin_client.get("/admin/auth/user/").content.decode()
    assert "store_staff" in page and "handler" in page


def test_the_admin_has_a_language_switcher_and_our_name(client, handler):
    client.force_login(handler)
    page = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert 'action="/i18n/setlang/"' in page
    assert "Escalated-complaint desk" in page
