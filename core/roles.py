"""Roles are Django groups (created by a migration); what each may do is its permissions.

Code checks permissions (`user.has_perm`), never group names, so that an administrator can
adjust a role in the admin without a deploy. The group names are used only to seed and to show.
"""

from django.utils.translation import gettext_lazy as _

STORE_STAFF = "store_staff"
HANDLER = "handler"
SUPERVISOR = "supervisor"
LEGAL_PR = "legal_pr"
MANAGER = "manager"

ROLE_LABELS = {
    STORE_STAFF: _("Store staff"),
    HANDLER: _("Complaint handler"),
    SUPERVISOR: _("Supervisor"),
    LEGAL_PR: _("Legal / PR"),
    MANAGER: _("Manager"),
}
ALL_ROLES = tuple(ROLE_LABELS)


def user_roles(user) -> list[str]:
    if not user.is_authenticated:
        return []
    return sorted(
        name for name in user.groups.values_list("name", flat=True) if name in ROLE_LABELS
    )
