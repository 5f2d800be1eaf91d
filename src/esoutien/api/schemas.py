"""Request and response shapes of /api/v1. Unknown fields in a request are refused (422)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.utils import timezone
from ninja import Schema
from pydantic import AfterValidator, ConfigDict, EmailStr, Field, field_validator


def _no_nul(value: Any) -> Any:
    # PostgreSQL cannot store NUL characters in text: refuse them as bad input (422).
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("NUL characters are not allowed.")
    return value


class NoNulIn(Schema):
    """Input whose text fields may not contain NUL characters."""

    @field_validator("*", mode="after")
    @classmethod
    def _refuse_nul(cls, value: Any) -> Any:
        return _no_nul(value)


class StrictIn(NoNulIn):
    model_config = ConfigDict(extra="forbid")


def _aware_in_range(value: datetime) -> datetime:
    """A date-time without offset is French time; far-off years are refused."""
    if not 1970 <= value.year <= 2999:
        raise ValueError("The date must fall between 1970 and 2999.")
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


ApiDateTime = Annotated[datetime, AfterValidator(_aware_in_range)]
"""A date-time in a request (ISO 8601; without an offset: Europe/Paris)."""


class EServiceOut(Schema):
    code: str
    name: str
    description: str


class ContactOut(Schema):
    name: str
    email: str
    phone: str


class SlaOut(Schema):
    """The ticket's SLA clocks (docs/sla.md); date-times in Paris time with their offset."""

    take_charge_due: datetime | None = Field(
        description="Take-charge deadline (prise en compte), in the e-service's support hours."
    )
    resolution_due: datetime | None = Field(
        description="Resolution deadline (rétablissement); moves later while the clock is "
        "paused, then is fixed again when it resumes."
    )
    taken_in_charge_at: datetime | None
    resolved_at: datetime | None
    paused: bool = Field(description="The clock is paused (waiting for the operator's answer).")
    breached: bool = Field(description="A deadline was missed (take charge or resolution).")


class TicketOut(Schema):
    reference: str
    href: str
    status: str
    status_label: str
    operator: str = Field(description="The operator's 4-letter code.")
    eservice: str = Field(description="The e-service code.")
    kind: Literal["incident", "request"]
    severity: Literal["critical", "major", "minor"]
    subject: str
    description: str
    operator_reference: str
    line_reference: str
    site_address: str
    contact: ContactOut
    assignee: str | None = Field(None, description="Provider staff only.")
    created_at: datetime
    updated_at: datetime
    taken_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    report_url: str | None = Field(None, description="The resolution report (PDF), once resolved.")
    sla: SlaOut | None = Field(
        None, description="SLA clocks; null when no SLA policy covers the ticket."
    )


class TicketPage(Schema):
    items: list[TicketOut]
    next: str | None = Field(None, description="URL of the next page; null on the last one.")


class TicketIn(StrictIn):
    eservice: str = Field(description="E-service code, e.g. e-sav.")
    kind: Literal["incident", "request"]
    severity: Literal["critical", "major", "minor"]
    subject: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=20000)
    contact_email: EmailStr
    contact_name: str = Field("", max_length=200)
    contact_phone: str = Field("", max_length=30)
    operator_reference: str = Field("", max_length=64)
    line_reference: str = Field("", max_length=12, description="PTO reference OO-XXXX-XXXX.")
    site_address: str = Field("", max_length=300)
    operator: str | None = Field(
        None, description="Operator code; required for provider staff filing on behalf."
    )


class EventOut(Schema):
    id: int
    created_at: datetime
    kind: str
    transition: str
    from_status: str
    to_status: str
    public: bool
    body: str
    author: str
    attachments: list[int]


class CommentIn(StrictIn):
    body: str = Field(min_length=1, max_length=20000)
    internal: bool = Field(False, description="Provider staff only: an internal note.")


class InquiryIn(StrictIn):
    body: str = Field("", max_length=5000)


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    created_at: datetime
    url: str


class TransitionIn(StrictIn):
    action: Literal[
        "take",
        "assign",
        "request_info",
        "hold",
        "resume",
        "resolve",
        "reject",
        "reopen",
        "close",
        "cancel",
        "accept",
        "contest",
    ]
    question: str | None = Field(None, description="request_info: the question.")
    reason: str | None = Field(None, description="hold, reject, reopen, cancel, contest.")
    cause: str | None = Field(None, description="resolve.")
    actions: str | None = Field(None, description="resolve: actions taken.")
    summary: str | None = Field(None, description="resolve.")
    restored_at: ApiDateTime | None = Field(None, description="resolve: service restored at.")
    assignee: EmailStr | None = Field(None, description="assign: a staff e-mail; null unassigns.")
