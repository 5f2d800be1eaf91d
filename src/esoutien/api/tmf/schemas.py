"""TMF621 v4 shapes: the TroubleTicket resource, its create and patch bodies, the hub.

Attribute names are TMF's own (camelCase, ``@type``...). Requests with attributes this facade
does not support are refused with 422 naming them, never silently ignored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import HttpError
from pydantic import ConfigDict, Field, ValidationInfo, model_validator

from esoutien.api.errors import Problem
from esoutien.core.errors import InvalidInput

# Polymorphism hints TMF clients send on every object; accepted and ignored.
TMF_META = ("@type", "@baseType", "@schemaLocation", "@referredType")


class TmfIn(Schema):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    type_: str | None = Field(None, alias="@type")
    baseType: str | None = Field(None, alias="@baseType")
    schemaLocation: str | None = Field(None, alias="@schemaLocation")


def refuse_unknown(data: Any, allowed: tuple[str, ...], hint: str) -> None:
    """422 naming the attributes this facade does not take (a clearer answer than pydantic's).

    Called from "before" model validators: pydantic wraps only ValueError/AssertionError, so
    the InvalidInput (like the HttpError of check_patch_content_type) reaches the API's
    exception handlers as it is.
    """
    if not isinstance(data, dict):
        return
    unknown = sorted(k for k in data if k not in allowed and k not in TMF_META)
    if unknown:
        message = _("Attribute(s) not supported here: %(names)s. %(hint)s") % {
            "names": ", ".join(unknown),
            "hint": hint,
        }
        raise InvalidInput(message, errors={name: [message] for name in unknown})


# --- Input --------------------------------------------------------------------------------


class MediumCharacteristicIn(Schema):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    emailAddress: str | None = Field(None, max_length=254)
    phoneNumber: str | None = Field(None, max_length=30)
    type_: str | None = Field(None, alias="@type")


class ContactMediumIn(Schema):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    mediumType: str | None = Field(None, max_length=50)
    preferred: bool | None = None
    characteristic: MediumCharacteristicIn
    type_: str | None = Field(None, alias="@type")


class RelatedPartyIn(TmfIn):
    role: str = Field(max_length=50, description="'contact' or 'customer'.")
    id: str | None = Field(None, max_length=100, description="customer: the operator code.")
    href: str | None = Field(None, max_length=500)
    name: str | None = Field(None, max_length=200)
    referredType: str | None = Field(None, alias="@referredType")
    contactMedium: list[ContactMediumIn] = Field(
        default_factory=list, max_length=10, description="contact: e-mail and phone."
    )


class CharacteristicIn(TmfIn):
    name: str = Field(max_length=50, description="eservice, lineReference or siteAddress.")
    value: str = Field(max_length=300)
    valueType: str | None = Field(None, max_length=50)


class NoteIn(TmfIn):
    text: str = Field(min_length=1, max_length=20000)
    id: str | None = Field(
        None, max_length=50, description="A note already on the ticket (left as it is)."
    )
    author: str | None = Field(None, max_length=200, description="Ignored: the caller is.")
    date: datetime | None = Field(None, description="Ignored: the server's time is.")


CREATE_ATTRIBUTES = (
    "name",
    "description",
    "severity",
    "ticketType",
    "externalId",
    "relatedParty",
    "troubleTicketCharacteristic",
    "characteristic",
    "note",
)


class TroubleTicketCreate(TmfIn):
    """TroubleTicket_Create: what files a ticket (see docs/tmf621.md for the mapping)."""

    name: str = Field(min_length=1, max_length=200, description="→ subject.")
    description: str = Field(min_length=1, max_length=20000)
    severity: str = Field(max_length=30, description="Critical, Major or Minor (any case).")
    ticketType: str = Field(max_length=30, description="incident or request (any case).")
    externalId: str = Field("", max_length=64, description="The operator's own reference.")
    relatedParty: list[RelatedPartyIn] = Field(default_factory=list, max_length=10)
    troubleTicketCharacteristic: list[CharacteristicIn] = Field(
        default_factory=list, max_length=10, description="eservice (required), lineReference…"
    )
    characteristic: list[CharacteristicIn] = Field(
        default_factory=list, max_length=10, description="Alias of troubleTicketCharacteristic."
    )
    note: list[NoteIn] = Field(default_factory=list, max_length=20)

    @model_validator(mode="before")
    @classmethod
    def _known_attributes(cls, data: Any) -> Any:
        refuse_unknown(
            data,
            CREATE_ATTRIBUTES,
            _(
                "A trouble ticket is filed with: %(names)s. Status, dates and attachments are "
                "set by the service (files go through /api/v1)."
            )
            % {"names": ", ".join(CREATE_ATTRIBUTES)},
        )
        return data


PATCH_TYPES = ("application/merge-patch+json", "application/json")


def check_patch_content_type(request: Any) -> None:
    """PATCH takes a JSON merge patch (RFC 7396), not a JSON Patch (RFC 6902): 415."""
    content_type = (request.content_type or "").lower()
    if content_type not in PATCH_TYPES:
        raise HttpError(
            415, _("Send the changes as application/merge-patch+json (or application/json).")
        )


class TroubleTicketPatch(TmfIn):
    """TroubleTicket_Update: only notes can be added (merge patch; existing notes are kept)."""

    note: list[NoteIn] = Field(max_length=20)

    @model_validator(mode="before")
    @classmethod
    def _known_attributes(cls, data: Any, info: ValidationInfo) -> Any:
        request = (info.context or {}).get("request")
        if request is not None:
            check_patch_content_type(request)
        refuse_unknown(
            data,
            ("note",),
            _(
                "Only notes can be added with PATCH (attribute 'note'). Status changes go "
                "through /api/v1/tickets/{reference}/transitions; files through "
                "/api/v1/tickets/{reference}/attachments."
            ),
        )
        return data


class EventSubscriptionIn(TmfIn):
    callback: str = Field(max_length=500, description="The listener's HTTPS URL.")
    query: str | None = Field(
        None,
        max_length=500,
        description="Optional: eventType=TroubleTicketStatusChangeEvent,... to filter events.",
    )


# --- Output -------------------------------------------------------------------------------


class TmfOut(Schema):
    model_config = ConfigDict(populate_by_name=True)


class QuantityOut(TmfOut):
    amount: float
    units: str


class MediumCharacteristicOut(TmfOut):
    emailAddress: str | None = None
    phoneNumber: str | None = None


class ContactMediumOut(TmfOut):
    mediumType: str
    characteristic: MediumCharacteristicOut


class RelatedPartyOut(TmfOut):
    id: str | None = None
    name: str
    role: str
    referredType: str = Field(alias="@referredType")
    contactMedium: list[ContactMediumOut] | None = None


class CharacteristicOut(TmfOut):
    name: str
    value: str
    valueType: str


class NoteOut(TmfOut):
    id: str
    date: datetime
    author: str
    text: str
    type_: str = Field("Note", alias="@type")


class AttachmentOut(TmfOut):
    id: str
    name: str
    mimeType: str
    size: QuantityOut
    url: str = Field(description="Download with the same token (GET /api/v1/...).")
    attachmentType: str = Field(description="file or resolutionReport.")
    type_: str = Field("Attachment", alias="@type")


class StatusChangeOut(TmfOut):
    status: str
    changeDate: datetime
    changeReason: str
    type_: str = Field("StatusChange", alias="@type")


class TroubleTicketOut(TmfOut):
    """The TMF621 TroubleTicket. With ``fields``, only the asked attributes (plus id, href)."""

    id: str = Field(description="Our reference, e.g. ES-2026-000042.")
    href: str
    name: str | None = Field(None, description="← subject.")
    description: str | None = None
    severity: str | None = Field(None, description="Critical, Major or Minor.")
    ticketType: str | None = Field(None, description="incident or request.")
    status: str | None = Field(
        None,
        description="acknowledged, inProgress, pending, held, resolved, closed, rejected, "
        "cancelled.",
    )
    statusChangeDate: datetime | None = None
    statusChangeReason: str | None = None
    creationDate: datetime | None = None
    lastUpdate: datetime | None = None
    resolutionDate: datetime | None = None
    expectedResolutionDate: datetime | None = Field(
        None, description="The SLA's resolution deadline; null when no SLA policy applies."
    )
    externalId: str | None = Field(None, description="The operator's own reference.")
    relatedParty: list[RelatedPartyOut] | None = None
    troubleTicketCharacteristic: list[CharacteristicOut] | None = Field(
        None, description="eservice, lineReference, siteAddress."
    )
    note: list[NoteOut] | None = Field(None, description="Public messages, oldest first.")
    attachment: list[AttachmentOut] | None = Field(None, description="Public files.")
    statusChange: list[StatusChangeOut] | None = Field(
        None, description="Status history, oldest first (TMF621 v4 name)."
    )
    statusChangeHistory: list[StatusChangeOut] | None = Field(
        None, description="The same history under its TMF621 v5 name."
    )
    type_: str | None = Field(None, alias="@type")
    baseType: str | None = Field(None, alias="@baseType")
    schemaLocation: str | None = Field(None, alias="@schemaLocation")


class EventSubscriptionOut(TmfOut):
    id: str
    callback: str
    query: str | None = None
    secret: str | None = Field(
        None, description="Signs every notification (X-ESoutien-Signature); shown once."
    )


class TmfProblem(Problem):
    """problem+json (RFC 9457) that is also a TMF Error: ``code``, ``reason``, ``message``."""

    reason: str = Field(description="TMF Error.reason: the title.")
    message: str = Field(description="TMF Error.message: the detail.")


TMF_ERROR_RESPONSES: dict[int, Any] = {
    status: TmfProblem for status in (400, 401, 403, 404, 409, 413, 422, 429)
}
