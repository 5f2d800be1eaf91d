"""The names of what the audit log records, and how a person reads them.

Labels carry the "audit" translation context: "Login" here is an event, not the login field.

``record()`` accepts any action code (a new one needs no migration); the codes listed here
get a translated label in the supervisors' search page and the CSV export.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

ACTIONS: dict[str, Promise] = {
    # Sign-in and sessions
    "login": pgettext_lazy("audit", "Login"),
    "login_failed": pgettext_lazy("audit", "Failed login"),
    "lockout": pgettext_lazy("audit", "Login refused: account locked"),
    "logout": pgettext_lazy("audit", "Logout"),
    "sessions_ended": pgettext_lazy("audit", "Sessions ended"),
    "password_changed": pgettext_lazy("audit", "Password changed"),
    "password_set": pgettext_lazy("audit", "Password set"),
    "password_reset": pgettext_lazy("audit", "Password reset"),
    "email_changed": pgettext_lazy("audit", "E-mail address changed"),
    # Two-factor authentication
    "mfa_added": pgettext_lazy("audit", "Two-factor method added"),
    "mfa_removed": pgettext_lazy("audit", "Two-factor method removed"),
    "mfa_reset": pgettext_lazy("audit", "Recovery codes regenerated"),
    "mfa_failed": pgettext_lazy("audit", "Wrong two-factor code"),
    # Single sign-on
    "sso_provisioned": pgettext_lazy("audit", "Account created by single sign-on"),
    "sso_refused": pgettext_lazy("audit", "Single sign-on refused"),
    "sso_failed": pgettext_lazy("audit", "Single sign-on failed"),
    "sso_linked": pgettext_lazy("audit", "Local account linked to single sign-on"),
    # Accounts managed by operator managers
    "user_invited": pgettext_lazy("audit", "User invited"),
    "invitation_accepted": pgettext_lazy("audit", "Invitation accepted"),
    "invitation_invalid": pgettext_lazy("audit", "Invalid invitation link"),
    "user_enabled": pgettext_lazy("audit", "Account re-enabled"),
    "user_disabled": pgettext_lazy("audit", "Account disabled"),
    # Access and administration
    "permission_denied": pgettext_lazy("audit", "Access denied"),
    "admin_change": pgettext_lazy("audit", "Administrative change"),
    "api_token_created": pgettext_lazy("audit", "API token created"),
    "api_token_revoked": pgettext_lazy("audit", "API token revoked"),
    "webhook_created": pgettext_lazy("audit", "Webhook created"),
    "webhook_updated": pgettext_lazy("audit", "Webhook changed"),
    "webhook_enabled": pgettext_lazy("audit", "Webhook enabled"),
    "webhook_disabled": pgettext_lazy("audit", "Webhook disabled"),
    "webhook_deleted": pgettext_lazy("audit", "Webhook deleted"),
    # Received mail in quarantine (desk)
    "quarantine_attached": pgettext_lazy("audit", "Quarantined mail attached to a ticket"),
    "quarantine_released": pgettext_lazy("audit", "Quarantined mail processed again"),
    "quarantine_discarded": pgettext_lazy("audit", "Quarantined mail discarded"),
    # Operations: maintenance windows, service state, the fallback hotline
    "maintenance_published": pgettext_lazy("audit", "Maintenance announced"),
    "maintenance_rescheduled": pgettext_lazy("audit", "Maintenance rescheduled"),
    "maintenance_updated": pgettext_lazy("audit", "Maintenance updated"),
    "maintenance_cancelled": pgettext_lazy("audit", "Maintenance cancelled"),
    "maintenance_finished": pgettext_lazy("audit", "Maintenance finished"),
    "maintenance_bypass": pgettext_lazy("audit", "Staff access during maintenance"),
    "maintenance_feed_regenerated": pgettext_lazy("audit", "Maintenance calendar link renewed"),
    "service_state_set": pgettext_lazy("audit", "Service state declared"),
    "hotline_attributed": pgettext_lazy("audit", "Hotline mail filed for an operator"),
    # The audit log itself
    "audit_exported": pgettext_lazy("audit", "Audit log exported"),
    "audit_purged": pgettext_lazy("audit", "Audit log purged"),
}

OUTCOMES: dict[str, Promise] = {
    "success": pgettext_lazy("audit", "success"),
    "failure": pgettext_lazy("audit", "failure"),
    "refused": pgettext_lazy("audit", "refused"),
}


def action_label(code: str) -> str:
    return str(ACTIONS.get(code, code))


def outcome_label(code: str) -> str:
    return str(OUTCOMES.get(code, code))
