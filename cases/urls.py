from django.urls import path

import cases.converters  # noqa: F401  (registers the <case_number:...> converter)
from cases import apis

urlpatterns = [
    path("cases/", apis.CaseListCreateApi.as_view(), name="case-list"),
    path("cases/<case_number:number>/", apis.CaseDetailApi.as_view(), name="case-detail"),
    path("cases/<case_number:number>/events/", apis.CaseEventsApi.as_view(), name="case-events"),
    path(
        "cases/<case_number:number>/transitions/",
        apis.CaseTransitionsApi.as_view(),
        name="case-transitions",
    ),
    path(
        "cases/<case_number:number>/transitions/<str:name>/",
        apis.CaseTransitionApi.as_view(),
        name="case-transition",
    ),
    path("cases/<case_number:number>/notes/", apis.CaseNotesApi.as_view(), name="case-notes"),
    path(
        "cases/<case_number:number>/attachments/",
        apis.CaseAttachmentsApi.as_view(),
        name="case-attachments",
    ),
    path("cases/<case_number:number>/assign/", apis.CaseAssignApi.as_view(), name="case-assign"),
    path("cases/<case_number:number>/risk/", apis.CaseRiskApi.as_view(), name="case-risk"),
    path("cases/<case_number:number>/reveal/", apis.CaseRevealApi.as_view(), name="case-reveal"),
]
