"""The case REST API: one thin class per operation; services do the work."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from cases import selectors, services
from cases.extensions import (
    apply_case_list_filters,
    case_api_extras,
    case_list_schema_parameters,
)
from cases.filters import CaseFilter
from cases.serializers import (
    AssignInputSerializer,
    AttachmentInputSerializer,
    AttachmentOutputSerializer,
    CaseEventSerializer,
    CaseIntakeSerializer,
    CaseOutputSerializer,
    NoteInputSerializer,
    RevealOutputSerializer,
    RiskInputSerializer,
    TransitionInputSerializer,
    TransitionSerializer,
)
from cases.transitions import TRANSITIONS
from core.exceptions import InvalidInput, NotFound


def _may_see_pii(request) -> bool:
    return request.user.has_perm("cases.view_customer_pii")


def _case_response(request, case, code=status.HTTP_200_OK) -> Response:
    case = selectors.case_get(number=case.number, user=request.user)  # re-read after receivers
    context = {
        "extras": case_api_extras([case]),
        "may_see_pii": _may_see_pii(request),
        "is_desk": request.user.has_perm("cases.view_all_cases"),
    }
    serializer = CaseOutputSerializer(case, context=context)
    return Response(serializer.data, status=code)


class CaseListSchema(AutoSchema):
    """Adds the list filters other apps register (cases.extensions) to the OpenAPI schema."""

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self.method == "GET":
            parameters = [*parameters, *case_list_schema_parameters()]
        return parameters


class CaseListCreateApi(ListAPIView):
    schema = CaseListSchema()
    serializer_class = CaseOutputSerializer
    filterset_class = CaseFilter

    def get_queryset(self):
        queryset = selectors.case_list(user=self.request.user)
        return apply_case_list_filters(queryset, self.request.query_params)

    def get_serializer(self, *args, **kwargs):
        if args and isinstance(args[0], list):
            kwargs.setdefault("context", self.get_serializer_context())
            kwargs["context"]["extras"] = case_api_extras(args[0])
            kwargs["context"]["may_see_pii"] = _may_see_pii(self.request)
            kwargs["context"]["is_desk"] = self.request.user.has_perm("cases.view_all_cases")
        return super().get_serializer(*args, **kwargs)

    @extend_schema(
        request=CaseIntakeSerializer,
        responses={201: CaseOutputSerializer, 200: CaseOutputSerializer},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                location=OpenApiParameter.HEADER,
                required=False,
                description=gettext_lazy(
                    "Repeat a POST with the same key to get the same case (200)."
                ),
            )
        ],
    )
    def post(self, request):
        serializer = CaseIntakeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key", "").strip()
        if len(key) > 128:
            raise InvalidInput(fields={"Idempotency-Key": _("At most 128 characters.")})
        case, created = services.case_create(
            intake=services.CaseIntake(**serializer.validated_data),
            actor=request.user,
            idempotency_key=key,
        )
        return _case_response(request, case, status.HTTP_201_CREATED if created else 200)


class CaseDetailApi(APIView):
    @extend_schema(responses=CaseOutputSerializer)
    def get(self, request, number):
        return _case_response(request, selectors.case_get(number=number, user=request.user))


class CaseEventsApi(APIView):
    @extend_schema(responses=CaseEventSerializer(many=True))
    def get(self, request, number):
        case = selectors.case_get(number=number, user=request.user)
        return Response(
            CaseEventSerializer(
                selectors.case_events(case=case, user=request.user),
                many=True,
                context={
                    "may_see_pii": _may_see_pii(request),
                    "is_desk": request.user.has_perm("cases.view_all_cases"),
                },
            ).data
        )


def _transition_fields(spec) -> list[dict]:
    fields = []
    for name, field in spec.form.base_fields.items():
        item = {"name": name, "required": field.required, "label": str(field.label)}
        if getattr(field, "choices", None):
            item["choices"] = [value for value, _label in field.choices]
        fields.append(item)
    return fields


class CaseTransitionsApi(APIView):
    @extend_schema(responses=TransitionSerializer(many=True))
    def get(self, request, number):
        case = selectors.case_get(number=number, user=request.user)
        specs = selectors.case_available_transitions(case=case, user=request.user)
        return Response(
            [
                {"name": s.name, "label": str(s.label), "fields": _transition_fields(s)}
                for s in specs
            ]
        )


class CaseTransitionApi(APIView):
    @extend_schema(request=TransitionInputSerializer, responses=CaseOutputSerializer)
    def post(self, request, number, name):
        case = selectors.case_get(number=number, user=request.user)
        if name not in TRANSITIONS:
            raise NotFound(_("Unknown transition “%(name)s”.") % {"name": name})
        if not hasattr(request.data, "get"):
            raise ValidationError({"detail": _("Send a JSON object.")})
        nested = [k for k, v in request.data.items() if isinstance(v, dict | list)]
        if nested:
            raise ValidationError({k: [_("Send text, not a list or an object.")] for k in nested})
        case = services.case_transition(
            case=case, transition=name, actor=request.user, data=request.data
        )
        return _case_response(request, case)


class CaseNotesApi(APIView):
    @extend_schema(request=NoteInputSerializer, responses={201: CaseEventSerializer})
    def post(self, request, number):
        case = selectors.case_get(number=number, user=request.user)
        serializer = NoteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = services.case_add_note(case=case, actor=request.user, **serializer.validated_data)
        context = {"may_see_pii": _may_see_pii(request)}
        return Response(
            CaseEventSerializer(event, context=context).data, status=status.HTTP_201_CREATED
        )


class CaseAttachmentsApi(APIView):
    @extend_schema(request=AttachmentInputSerializer, responses={201: AttachmentOutputSerializer})
    def post(self, request, number):
        case = selectors.case_get(number=number, user=request.user)
        if len(request.FILES.getlist("file")) > 1 or set(request.FILES) - {"file"}:
            # Storing the last part only would lose the others without a word.
            raise InvalidInput(
                fields={"file": _("Send one file per request, in the field “file”.")}
            )
        serializer = AttachmentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        attachment = services.case_add_attachment(
            case=case, actor=request.user, uploaded=serializer.validated_data["file"]
        )
        return Response(AttachmentOutputSerializer(attachment).data, status=201)


class CaseAssignApi(APIView):
    @extend_schema(request=AssignInputSerializer, responses=CaseOutputSerializer)
    def post(self, request, number):
        case = selectors.case_get(number=number, user=request.user)
        serializer = AssignInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        username = serializer.validated_data["assignee"].strip()
        assignee = None
        if username:
            assignee = get_user_model().objects.filter(username=username, is_active=True).first()
            if assignee is None:
                raise InvalidInput(fields={"assignee": _("No active user with this username.")})
        case = services.case_assign(case=case, assignee=assignee, actor=request.user)
        return _case_response(request, case)


class CaseRiskApi(APIView):
    @extend_schema(request=RiskInputSerializer, responses=CaseOutputSerializer)
    def post(self, request, number):
        case = selectors.case_get(number=number, user=request.user)
        serializer = RiskInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case = services.case_set_risk(
            case=case,
            level=serializer.validated_data["risk_level"],
            reason=serializer.validated_data["reason"],
            actor=request.user,
        )
        return _case_response(request, case)


class CaseRevealApi(APIView):
    @extend_schema(request=None, responses=RevealOutputSerializer)
    def post(self, request, number):
        case = selectors.case_get(number=number, user=request.user)
        return Response(services.case_reveal_customer(case=case, actor=request.user))
