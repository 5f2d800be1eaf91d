"""`esoutien apitoken create|list|revoke`: personal API tokens from the command line."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from esoutien.api.models import ApiToken
from esoutien.api.tokens import create_token, revoke_token
from esoutien.core.errors import DomainError


class Command(BaseCommand):
    help = "Create, list or revoke a user's personal API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token and print it once.")
        create.add_argument("email")
        create.add_argument("--name", default="command line")
        listing = sub.add_parser("list", help="List a user's tokens.")
        listing.add_argument("email")
        revoke = sub.add_parser("revoke", help="Revoke a token by its id.")
        revoke.add_argument("email")
        revoke.add_argument("token_id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(email__iexact=options["email"]).first()
        if user is None:
            raise CommandError(f"No user with the e-mail address {options['email']}.")
        try:
            if options["action"] == "create":
                token, secret = create_token(user, options["name"])
                self.stderr.write(
                    f"Token {token.pk} ({token.name}) for {user.email}; it is shown once:"
                )
                self.stdout.write(secret)
            elif options["action"] == "list":
                for token in ApiToken.objects.filter(user=user):
                    state = "revoked" if token.revoked_at else "active"
                    used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
                    self.stdout.write(
                        f"{token.pk}\t{token.prefix}…\t{token.name}\t{state}\tlast used {used}"
                    )
            else:
                revoke_token(user, options["token_id"])
                self.stdout.write(f"Token {options['token_id']} revoked.")
        except DomainError as exc:
            raise CommandError(str(exc) or "Not found.") from exc
