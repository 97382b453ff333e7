"""Review desk, part one: accounts, the session version that ends sessions, and login events.

Why a session version in the user row rather than a list of revoked cookies in memory: a
password reset, a deactivation or a logout must end sessions for good, including after the app
restarts (with the same signing key, an in-memory list would be forgotten and the old cookie
accepted again). Every cookie carries the version it was issued under; bumping the version
refuses them all. The cost -- logging out on one device logs the account out everywhere -- is
the safe direction for a tool that shows health data.
"""

from __future__ import annotations

from sqlalchemy import select

from mhsafe.store._review_common import DeskBase, event, user_view
from mhsafe.store._review_views import LoginUser, UserView
from mhsafe.store._tables import UserRow


class AccountsDesk(DeskBase):
    """Users of the review app; every change writes an audit event in the same transaction."""

    def user_for_login(self, username: str) -> LoginUser | None:
        """The account called ``username`` with its hash (None: no such account)."""
        with self._store.session() as s:
            row = s.scalars(select(UserRow).where(UserRow.username == username)).first()
            if row is None:
                return None
            return LoginUser(**user_view(row).model_dump(), password_hash=row.password_hash)

    def user_by_id(self, user_id: int) -> UserView | None:
        """The account with id ``user_id``, or None."""
        with self._store.session() as s:
            row = s.get(UserRow, user_id)
            return None if row is None else user_view(row)

    def list_users(self, role: str | None = None, active_only: bool = False) -> list[UserView]:
        """Accounts by username, optionally only one role / only active ones."""
        query = select(UserRow).order_by(UserRow.username)
        if role is not None:
            query = query.where(UserRow.role == role)
        if active_only:
            query = query.where(UserRow.active.is_(True))
        with self._store.session() as s:
            return [user_view(r) for r in s.scalars(query)]

    def create_user(self, username: str, password_hash: str, role: str, *, actor: str) -> UserView:
        """Add an account (the caller hashes the password). ValueError if the name is taken."""
        with self._store.session() as s:
            if s.scalars(select(UserRow.id).where(UserRow.username == username)).first():
                raise ValueError(f"username {username!r} is taken")
            row = UserRow(username=username, password_hash=password_hash, role=role, active=True,
                          session_version=0)
            s.add(row)
            s.flush()
            view = user_view(row)
            event(s, actor, "user.create", "user", row.id, None,
                  {"username": username, "role": role, "active": True})
            return view

    def set_user_active(self, user_id: int, active: bool, *, actor: str) -> bool:
        """(De)activate an account; False when there is no such account. Deactivation ends
        every session of the account (its session version moves on)."""
        with self._store.session() as s:
            row = s.get(UserRow, user_id)
            if row is None:
                return False
            if row.active != active:
                event(s, actor, "user.set_active", "user", row.id,
                      {"active": row.active}, {"active": active})
                row.active = active
                if not active:
                    row.session_version = (row.session_version or 0) + 1
            return True

    def set_password(self, username: str, password_hash: str, *, actor: str) -> bool:
        """Replace an account's password hash and end its sessions (the trail says it changed,
        never to what)."""
        with self._store.session() as s:
            row = s.scalars(select(UserRow).where(UserRow.username == username)).first()
            if row is None:
                return False
            row.password_hash = password_hash
            row.session_version = (row.session_version or 0) + 1
            event(s, actor, "user.set_password", "user", row.id, None,
                  {"password": "changed", "sessions": "ended"})
            return True

    def end_sessions(self, user_id: int, *, actor: str, action: str = "user.logout") -> int:
        """Refuse every cookie the account holds now (logout); returns the new version."""
        with self._store.session() as s:
            row = s.get(UserRow, user_id)
            if row is None:
                raise ValueError(f"no user {user_id}")
            row.session_version = (row.session_version or 0) + 1
            event(s, actor, action, "user", row.id, None, None)
            return row.session_version

    def record_login(self, username: str, client: str | None = None) -> None:
        """A successful login, for the trail."""
        with self._store.session() as s:
            event(s, username, "user.login", "user", None, None,
                  None if client is None else {"client": client})

    def record_login_failure(self, username: str | None, client: str, reason: str) -> None:
        """A refused login. ``username`` is given only when it names an existing account: what
        someone typed into the username box may be a password typed in the wrong field, and
        has no place in a trail every admin reads."""
        with self._store.session() as s:
            event(s, username or "(unknown user)", "user.login_failed", "user", None, None,
                  {"client": client, "reason": reason, "known_user": username is not None})
