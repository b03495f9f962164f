"""`jikimi user add | list | disable | reset`: the accounts of the web console."""

from __future__ import annotations

import getpass
import sys
from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from jikimi.cli.app_state import CliError, actor, emit_json, state
from storage.audit import record as audit
from storage.users import NewCredentials, UserView, add_user, disable_user, list_users, reset_user

user_app = typer.Typer(
    help="Accounts of the web console (every role signs in with a TOTP code).", no_args_is_help=True
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin.")
]


class Role(StrEnum):
    admin = "admin"
    advocate = "advocate"
    viewer = "viewer"


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise CliError("no terminal to ask for the password: use --password-stdin")
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        raise CliError("the two passwords differ")
    return first


def _show_credentials(creds: NewCredentials, json_output: bool) -> None:
    if json_output:
        emit_json(
            {
                "id": creds.user_id,
                "username": creds.username,
                "role": creds.role,
                "totp_secret": creds.totp_secret,
                "otpauth_uri": creds.otpauth_uri,
            }
        )
        return
    print(creds.user_id)
    print(f"TOTP secret (shown once; add it to the authenticator app): {creds.totp_secret}")
    print(f"otpauth URI: {creds.otpauth_uri}")


def user_dict(user: UserView) -> dict[str, object]:
    return {
        "id": user.id,
        "username": user.username,
        "role": user.role,
        "disabled": user.disabled,
        "locked_until": user.locked_until.isoformat() if user.locked() and user.locked_until else None,
        "created_at": user.created_at.isoformat(),
        "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
    }


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Login name (lower case letters, digits, '.', '_', '-').")],
    role: Annotated[Role, typer.Option("--role", help="admin, advocate or viewer.")],
    password_stdin: PasswordStdin = False,
    json_output: JsonOpt = False,
) -> None:
    """Create a console account; prints its TOTP secret once."""
    store = state.store()
    creds = add_user(store, username, role.value, _password(password_stdin))
    audit(store, actor(), "user.add", obj=("user", creds.user_id), details={"role": creds.role})
    _show_credentials(creds, json_output)


@user_app.command("list")
def user_list(json_output: JsonOpt = False) -> None:
    """List console accounts (no secrets)."""
    users = list_users(state.store())
    if json_output:
        emit_json([user_dict(u) for u in users])
        return
    table = Table("id", "username", "role", "state", "last sign-in (UTC)")
    for u in users:
        status = "disabled" if u.disabled else ("locked" if u.locked() else "active")
        last = f"{u.last_login_at:%Y-%m-%d %H:%M}" if u.last_login_at else "-"
        table.add_row(str(u.id), u.username, u.role, status, last)
    state.console.print(table)


@user_app.command("disable")
def user_disable(username: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Refuse further sign-ins and end the account's open sessions."""
    store = state.store()
    user = disable_user(store, username)
    audit(store, actor(), "user.disable", obj=("user", user.id))
    print(f"user {user.username} disabled")


@user_app.command("reset")
def user_reset(
    username: Annotated[str, typer.Argument(help="Login name.")],
    password_stdin: PasswordStdin = False,
    json_output: JsonOpt = False,
) -> None:
    """New password and TOTP secret; unlocks and re-enables the account, ends its sessions."""
    store = state.store()
    creds = reset_user(store, username, _password(password_stdin))
    audit(store, actor(), "user.reset", obj=("user", creds.user_id))
    _show_credentials(creds, json_output)
