"""Store staff pages: report a complaint, follow the store's cases, add information.

Thin views: forms parse input, `cases.selectors` decide what the user may see, `cases.services`
write. Customer data is always shown masked here; revealing it (recorded) belongs to the desk.
"""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases.filters import case_search_q
from cases.forms import CaseAddInfoForm, CaseFilterForm, CaseReportForm, add_service_error
from cases.models import Case, EventKind, RiskLevel
from cases.selectors import case_get, case_list, case_timeline
from cases.services import case_add_attachment, case_add_note, case_create
from core.exceptions import ApplicationError, NotFound
from core.reasons import reason_line, reasons_for_store

logger = logging.getLogger(__name__)

PAGE_SIZE = 20
# The triage preview endpoint (risk-triage app); the page degrades silently if it is missing.
TRIAGE_PREVIEW_URL = "/api/v1/triage/"


def _forbidden(request, reason: str = ""):
    return render(request, "cases/forbidden.html", {"reason": reason}, status=403)


def _may_view(user) -> bool:
    return user.has_perm("cases.view_case") or user.has_perm("cases.view_all_cases")


def _get_case_or_404(*, number: str, user) -> Case:
    try:
        return case_get(number=number, user=user)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


@login_required
@require_GET
def case_list_view(request):
    if not _may_view(request.user):
        return _forbidden(request)
    filter_form = CaseFilterForm(request.GET or None)
    cases = case_list(user=request.user).order_by("-received_at", "-id")
    if filter_form.is_valid():
        if filter_form.cleaned_data["state"]:
            cases = cases.filter(state=filter_form.cleaned_data["state"])
        if filter_form.cleaned_data["q"].strip():
            may_see_pii = request.user.has_perm("cases.view_customer_pii")
            cases = cases.filter(
                case_search_q(filter_form.cleaned_data["q"], may_see_pii=may_see_pii)
            )
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cases/case_list.html",
        {
            "page": page,
            "filter_form": filter_form,
            "page_query": query.urlencode(),
            "may_report": request.user.has_perm("cases.add_case"),
        },
    )


# never_cache: "back" after submitting must fetch a fresh idempotency token, or the next,
# different complaint typed into the old page would be taken for a repeat of the first.
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def case_report_view(request):
    if not request.user.has_perm("cases.add_case"):
        if _may_view(request.user):
            return _forbidden(request, _("Your role may follow cases but not report them."))
        return _forbidden(request)
    now = timezone.now()
    bound = (request.POST, request.FILES) if request.method == "POST" else ()
    form = CaseReportForm(*bound, user=request.user, now=now)
    if request.method == "POST" and form.is_valid():
        try:
            case, created = case_create(
                intake=form.intake(),
                actor=request.user,
                idempotency_key=form.cleaned_data["idempotency_key"],
                now=now,
            )
        except ApplicationError as exc:
            add_service_error(form, exc)
        else:
            if not created:
                messages.info(
                    request,
                    _("This report was already submitted as case %(number)s.")
                    % {"number": case.number},
                )
                return redirect("store:case_detail", number=case.number)
            # The files were validated with the form. They are stored after the case commits so
            # that writing them never holds the day's case-number lock; should storage fail
            # anyway, the case stands and the reporter is told which files to add again.
            failed = []
            for uploaded in form.cleaned_data["attachments"]:
                try:
                    case_add_attachment(case=case, actor=request.user, uploaded=uploaded, now=now)
                except (ApplicationError, OSError):
                    failed.append(uploaded.name)
            messages.success(
                request, _("Case %(number)s has been reported.") % {"number": case.number}
            )
            if failed:
                messages.warning(
                    request,
                    _("These files could not be stored; please add them again: %(names)s")
                    % {"names": ", ".join(failed)},
                )
            return redirect("store:case_detail", number=case.number)
    return render(
        request,
        "cases/case_report.html",
        {
            "form": form,
            "has_stores": form.fields["store"].queryset.exists(),
            "triage_url": TRIAGE_PREVIEW_URL,
            "risk_levels": RiskLevel.choices,
        },
    )


def _detail_context(request, case: Case, form: CaseAddInfoForm | None = None) -> dict:
    user = request.user
    may_note = user.has_perm("cases.add_case_note")
    may_attach = user.has_perm("cases.add_case_attachment")
    if form is None and (may_note or may_attach):
        form = CaseAddInfoForm(may_note=may_note, may_attach=may_attach)
    risk_reason = case.risk_reason
    if not user.has_perm("cases.view_all_cases"):  # a store: no facts about other stores' cases
        store_reasons = reasons_for_store(case.risk_reasons)
        if len(store_reasons) != len(case.risk_reasons or []):
            risk_reason = reason_line(store_reasons)
    return {
        "case": case,
        "risk_reason": risk_reason,
        "timeline": case_timeline(case=case, user=request.user),
        "attachments": list(case.attachments.all()),
        "form": form,
    }


@login_required
@require_GET
def case_detail_view(request, number: str):
    if not _may_view(request.user):
        return _forbidden(request)
    case = _get_case_or_404(number=number, user=request.user)
    return render(request, "cases/case_detail.html", _detail_context(request, case))


@login_required
@require_POST
def case_add_info_view(request, number: str):
    user = request.user
    if not _may_view(user):
        return _forbidden(request)
    case = _get_case_or_404(number=number, user=user)
    may_note = user.has_perm("cases.add_case_note")
    may_attach = user.has_perm("cases.add_case_attachment")
    if not (may_note or may_attach):
        return _forbidden(request)
    form = CaseAddInfoForm(request.POST, request.FILES, may_note=may_note, may_attach=may_attach)
    if form.is_valid():
        text = (form.cleaned_data.get("text") or "").strip()
        files = form.cleaned_data.get("attachments") or []
        now = timezone.now()
        try:
            with transaction.atomic():
                if text:
                    case_add_note(case=case, actor=user, kind=EventKind.NOTE, text=text, now=now)
                for uploaded in files:
                    case_add_attachment(case=case, actor=user, uploaded=uploaded, now=now)
        except ApplicationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Your information has been added to the case."))
            return redirect("store:case_detail", number=case.number)
    return render(request, "cases/case_detail.html", _detail_context(request, case, form))


@login_required
@require_GET
def attachment_download_view(request, number: str, attachment_id: int):
    """Files are served through the same visibility check as the case, never from a public URL,
    and always as a download: a file is never rendered as a page of this site (an `<img>` still
    shows a picture, since browsers ignore the disposition there)."""
    if not _may_view(request.user):
        return _forbidden(request)
    case = _get_case_or_404(number=number, user=request.user)
    attachment = case.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404(_("Not found."))
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:  # the row survived its file (storage lost or moved)
        logger.error("attachment %s of %s is missing from storage", attachment.pk, case.number)
        raise Http404(_("Not found.")) from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Even if a browser rendered it, it would run nothing and reach nothing of this origin.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
