from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from cases import signals
from cases.models import Attachment, Case, CaseEvent, EventKind, State
from cases.services import (
    CaseIntake,
    case_add_attachment,
    case_add_note,
    case_assign,
    case_create,
    case_reveal_customer,
    case_set_risk,
    case_transition,
)
from core.exceptions import Conflict, InvalidInput, NotPermitted
from tests.factories import (
    PNG,  # noqa: E402
    CaseFactory,
    UserFactory,
)


def _intake(store, **overrides):
    values = {
        "title": "鲜奶发酸", "description": "顾客称牛奶发酸。", "channel": "app",
        "category": "spoiled_expired", "store": store,
    }  # fmt: skip
    values.update(overrides)
    return CaseIntake(**values)


def test_case_numbers_are_sequential_per_local_day(store, store_staff):
    # 2026-03-01 23:30 Shanghai is still 15:30 UTC on the same day; 00:30 local is the next day
    day1 = datetime(2026, 3, 1, 15, 30, tzinfo=UTC)
    day2 = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)
    first, _ = case_create(intake=_intake(store), actor=store_staff, now=day1)
    second, _ = case_create(intake=_intake(store), actor=store_staff, now=day1)
    third, _ = case_create(intake=_intake(store), actor=store_staff, now=day2)

    assert [first.number, second.number, third.number] == [
        "KS-20260301-0001", "KS-20260301-0002", "KS-20260302-0001",
    ]  # fmt: skip


def test_received_at_defaults_to_now_and_may_be_earlier(store, store_staff):
    now = timezone.now()
    default, _ = case_create(intake=_intake(store), actor=store_staff, now=now)
    backdated, _ = case_create(
        intake=_intake(store, received_at=now - timedelta(minutes=50)), actor=store_staff, now=now
    )

    assert default.received_at == now
    assert backdated.received_at == now - timedelta(minutes=50)


def test_received_at_in_the_future_is_refused(store, store_staff):
    now = timezone.now()
    with pytest.raises(InvalidInput) as refused:
        case_create(intake=_intake(store, received_at=now + timedelta(hours=2)), actor=store_staff)
    assert "received_at" in refused.value.fields
    assert not Case.objects.exists()


def test_store_staff_cannot_report_for_another_store(other_store, store_staff):
    with pytest.raises(InvalidInput) as refused:
        case_create(intake=_intake(other_store), actor=store_staff)
    assert "store" in refused.value.fields


def test_creation_is_announced_after_commit(store, store_staff, django_capture_on_commit_callbacks):
    received = []

    def listener(sender, **kwargs):
        received.append(kwargs)

    signals.case_created.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            case, _ = case_create(intake=_intake(store), actor=store_staff)
        assert received == []
        for callback in callbacks:
            callback()
    finally:
        signals.case_created.disconnect(listener)
    assert received[0]["case_id"] == case.pk


def test_respond_makes_the_responder_the_assignee(handler):
    case = CaseFactory()
    case_transition(case=case, transition="respond", actor=handler, data={"note": "已致电"})
    case = Case.objects.get(pk=case.pk)

    assert case.assignee == handler
    assert case.first_responded_at is not None
    assert list(case.events.values_list("kind", flat=True)) == ["transition", "assigned"]


def test_respond_keeps_an_existing_assignee(handler, supervisor):
    case = CaseFactory(assignee=supervisor)
    case_transition(case=case, transition="respond", actor=handler, data={"note": "已致电"})

    assert Case.objects.get(pk=case.pk).assignee == supervisor


def test_missing_transition_input_is_a_field_error_and_changes_nothing(handler):
    case = CaseFactory()
    with pytest.raises(InvalidInput) as refused:
        case_transition(case=case, transition="respond", actor=handler, data={})

    assert "note" in refused.value.fields
    assert Case.objects.get(pk=case.pk).state == State.NEW
    assert not case.events.exists()


def test_handler_may_not_reopen(handler):
    case = CaseFactory(state=State.CLOSED)
    with pytest.raises(NotPermitted):
        case_transition(case=case, transition="reopen", actor=handler, data={"reason": "x"})


def test_close_as_unreachable_needs_two_logged_unreachable_attempts(handler):
    case = CaseFactory(state=State.RESOLVED)
    case_add_note(
        case=case, actor=handler, kind="contact_attempt", text="未接", outcome="unreachable"
    )
    with pytest.raises(InvalidInput) as refused:
        case_transition(case=case, transition="close", actor=handler,
                        data={"close_reason": "customer_unreachable"})  # fmt: skip
    assert "close_reason" in refused.value.fields

    case_add_note(
        case=case, actor=handler, kind="contact_attempt", text="关机", outcome="unreachable"
    )
    case_transition(case=case, transition="close", actor=handler,
                    data={"close_reason": "customer_unreachable"})  # fmt: skip
    case = Case.objects.get(pk=case.pk)
    assert (case.state, case.close_reason) == (State.CLOSED, "customer_unreachable")
    assert case.closed_at is not None


def test_reopen_clears_resolution_timestamps(supervisor):
    case = CaseFactory(state=State.CLOSED, closed_at=timezone.now(), resolved_at=timezone.now(),
                       close_reason="customer_confirmed")  # fmt: skip
    case_transition(case=case, transition="reopen", actor=supervisor, data={"reason": "未解决"})
    case = Case.objects.get(pk=case.pk)

    assert (case.state, case.closed_at, case.resolved_at, case.close_reason) == (
        State.RESPONDED, None, None, "",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("into", "error"),
    [
        ("KS-19990101-0001", "No case with this number."),
        ("self", "A case cannot be merged into itself."),
    ],
)
def test_merge_needs_another_existing_case(supervisor, into, error):
    case = CaseFactory()
    number = case.number if into == "self" else into
    with translation.override("en"), pytest.raises(InvalidInput) as refused:
        case_transition(case=case, transition="merge", actor=supervisor, data={"into": number})
    assert str(refused.value.fields["into"]) == error


def test_merge_records_the_target(supervisor, store):
    case, target = CaseFactory(store=store), CaseFactory(store=store)
    case_transition(case=case, transition="merge", actor=supervisor, data={"into": target.number})

    assert Case.objects.get(pk=case.pk).merged_into == target


def test_a_stale_copy_cannot_transition_twice(handler):
    case = CaseFactory()
    stale = Case.objects.get(pk=case.pk)
    case_transition(case=case, transition="respond", actor=handler, data={"note": "a"})

    with pytest.raises(Conflict):
        case_transition(case=stale, transition="respond", actor=handler, data={"note": "b"})
    assert CaseEvent.objects.filter(case=case, kind=EventKind.TRANSITION).count() == 1


def test_assign_needs_a_user_who_can_work_cases(supervisor, store_staff, handler):
    case = CaseFactory()
    with pytest.raises(InvalidInput):
        case_assign(case=case, assignee=store_staff, actor=supervisor)
    case_assign(case=case, assignee=handler, actor=supervisor)

    assert Case.objects.get(pk=case.pk).assignee == handler
    assert case.events.get().kind == EventKind.ASSIGNED


def test_handler_may_not_reassign(handler, supervisor):
    with pytest.raises(NotPermitted):
        case_assign(case=CaseFactory(), assignee=handler, actor=handler)


def test_a_manual_risk_change_needs_a_reason_and_is_recorded(handler):
    case = CaseFactory()
    with pytest.raises(InvalidInput):
        case_set_risk(case=case, level="red", reason=" ", actor=handler)
    case_set_risk(case=case, level="red", reason="顾客称已联系记者", actor=handler)
    case = Case.objects.get(pk=case.pk)

    assert (case.risk_level, case.risk_overridden) == ("red", True)
    event = case.events.get()
    assert (event.kind, event.data["from"], event.data["to"], event.note) == (
        "risk_changed", "blue", "red", "顾客称已联系记者",
    )  # fmt: skip


def test_triage_cannot_lower_or_change_an_override_but_may_suggest_higher(handler):
    case = CaseFactory()
    case_set_risk(case=case, level="yellow", reason="人工判断", actor=handler)
    case_set_risk(case=case, level="blue", reason="rules", actor=None)
    case_set_risk(case=case, level="red", reason="rules: 媒体曝光", actor=None, score=0.9)
    case = Case.objects.get(pk=case.pk)

    assert case.risk_level == "yellow"
    assert case.risk_suggestion["level"] == "red"


def test_store_staff_cannot_change_risk(store_staff):
    with pytest.raises(NotPermitted):
        case_set_risk(case=CaseFactory(), level="red", reason="x", actor=store_staff)


def test_note_kinds_and_outcomes_are_validated(handler):
    case = CaseFactory()
    with pytest.raises(InvalidInput):
        case_add_note(case=case, actor=handler, kind="contact_attempt", text="x", outcome="")
    with pytest.raises(InvalidInput):
        case_add_note(case=case, actor=handler, kind="gossip", text="x")
    case_add_note(case=case, actor=handler, kind="note", text="  门店已下架同批次  ")

    assert case.events.get().note == "门店已下架同批次"


def test_store_staff_cannot_add_notes_to_another_stores_case(store_staff, other_store):
    with pytest.raises(NotPermitted):
        case_add_note(case=CaseFactory(store=other_store), actor=store_staff, kind="note", text="x")


def test_attachment_is_stored_and_recorded(store_staff, store, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = CaseFactory(store=store)
    attachment = case_add_attachment(
        case=case, actor=store_staff, uploaded=SimpleUploadedFile("photo.png", PNG)
    )

    assert (attachment.content_type, attachment.size) == ("image/png", len(PNG))
    assert case.events.get().data["name"] == "photo.png"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("script.png", b"#!/bin/sh\nrm -rf /\n"),  # not really a PNG
        ("photo.exe", PNG),  # a PNG under a name that is not
        ("empty.pdf", b""),
    ],
)
def test_wrong_attachments_are_refused_and_nothing_is_stored(store_staff, store, name, content):
    case = CaseFactory(store=store)
    with pytest.raises(InvalidInput) as refused:
        case_add_attachment(
            case=case, actor=store_staff, uploaded=SimpleUploadedFile(name, content)
        )

    assert "file" in refused.value.fields
    assert not Attachment.objects.exists()
    assert not case.events.exists()


def test_oversized_attachment_is_refused(store_staff, store, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    with pytest.raises(InvalidInput) as refused:
        case_add_attachment(case=CaseFactory(store=store), actor=store_staff,
                            uploaded=SimpleUploadedFile("big.png", PNG + b"\x00" * 2048))  # fmt: skip
    assert "1.0" in str(refused.value.fields["file"])


def test_revealing_customer_data_is_recorded(handler, manager):
    case = CaseFactory(customer_phone="13812345678")
    with pytest.raises(NotPermitted):
        case_reveal_customer(case=case, actor=manager)

    assert case_reveal_customer(case=case, actor=handler)["customer_phone"] == "13812345678"
    assert case.events.get().kind == EventKind.PII_REVEALED


def test_case_events_cannot_be_changed_or_deleted(handler):
    case = CaseFactory()
    event = case_add_note(case=case, actor=handler, kind="note", text="x")
    event.note = "tampered"
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()


def test_a_user_without_roles_cannot_create(store):
    nobody = UserFactory(username="nobody")
    with pytest.raises(NotPermitted):
        case_create(intake=_intake(store), actor=nobody)


def test_merging_a_merge_target_moves_its_merged_cases_along(supervisor, store):
    a, b, c = (CaseFactory(store=store) for _ in range(3))
    case_transition(case=a, transition="merge", actor=supervisor, data={"into": b.number})
    case_transition(case=b, transition="merge", actor=supervisor, data={"into": c.number})

    assert Case.objects.get(pk=a.pk).merged_into_id == c.pk
    assert Case.objects.get(pk=b.pk).merged_into_id == c.pk
    moved = a.events.get(kind="updated")
    assert moved.data == {"merged_into": {"from": b.number, "to": c.number}}
