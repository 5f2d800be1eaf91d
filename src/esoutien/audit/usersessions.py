"""Record "log out everywhere": allauth's user-sessions app sends no signal when it ends
sessions, so its adapter (``USERSESSIONS_ADAPTER``) does it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from allauth.core import context
from allauth.usersessions.adapter import DefaultUserSessionsAdapter

from esoutien.audit.recorder import record


class UserSessionsAdapter(DefaultUserSessionsAdapter):
    def end_sessions(self, sessions: Iterable[Any]) -> None:
        sessions = list(sessions)
        super().end_sessions(sessions)
        if sessions:
            request = context.request
            record(
                "sessions_ended",
                request=request,
                actor=getattr(sessions[0], "user", None),
                data={"count": len(sessions)},
            )
