"""The store staff pages, mounted at the site root under the namespace `store`."""

from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import RedirectView

import cases.converters  # noqa: F401  (registers the <case_number:...> converter)
from cases import views

app_name = "store"
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="store:case_list"), name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="cases/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("cases/", views.case_list_view, name="case_list"),
    path("cases/new/", views.case_report_view, name="case_report"),
    path("cases/<case_number:number>/", views.case_detail_view, name="case_detail"),
    path("cases/<case_number:number>/add/", views.case_add_info_view, name="case_add_info"),
    path(
        "cases/<case_number:number>/attachments/<int:attachment_id>/",
        views.attachment_download_view,
        name="attachment_download",
    ),
]
