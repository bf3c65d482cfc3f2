from django.urls import path

from triage.apis import TriagePreviewApi

urlpatterns = [
    path("triage/", TriagePreviewApi.as_view(), name="triage-preview"),
]
