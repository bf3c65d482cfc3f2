from django.urls import path

from cases import apis

urlpatterns = [
    path("cases/", apis.CaseListCreateApi.as_view(), name="case-list"),
    path("cases/<str:number>/", apis.CaseDetailApi.as_view(), name="case-detail"),
    path("cases/<str:number>/events/", apis.CaseEventsApi.as_view(), name="case-events"),
    path(
        "cases/<str:number>/transitions/",
        apis.CaseTransitionsApi.as_view(),
        name="case-transitions",
    ),
    path(
        "cases/<str:number>/transitions/<str:name>/",
        apis.CaseTransitionApi.as_view(),
        name="case-transition",
    ),
    path("cases/<str:number>/notes/", apis.CaseNotesApi.as_view(), name="case-notes"),
    path(
        "cases/<str:number>/attachments/",
        apis.CaseAttachmentsApi.as_view(),
        name="case-attachments",
    ),
    path("cases/<str:number>/assign/", apis.CaseAssignApi.as_view(), name="case-assign"),
    path("cases/<str:number>/risk/", apis.CaseRiskApi.as_view(), name="case-risk"),
    path("cases/<str:number>/reveal/", apis.CaseRevealApi.as_view(), name="case-reveal"),
]
