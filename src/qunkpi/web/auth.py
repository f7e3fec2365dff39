"""Dashboard users, password hashing and signed session cookies (SPEC §9).

Users live in ``web_users.json`` inside the workspace folder (mode 0600), not in the DuckDB file: the web server
opens the database read-only (DuckDB allows one writer process or many readers), so keeping users in a small file
lets ``qunkpi user add`` run while the server is up. The server re-reads the file when it changes.

A user has a role — ``admin`` sees every community, ``manager`` the communities of their team, ``operator`` only the
communities assigned to them — a team, an optional staff id (stored pseudonymised like every person id) and the
list of assigned communities. Passwords are hashed with Argon2id (argon2-cffi).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from qunkpi.errors import QunkpiError
from qunkpi.i18n import tr

USERS_FILE = "web_users.json"
SECRET_FILE = "web_secret"
ROLES = ("admin", "manager", "operator")
SESSION_MAX_AGE = 12 * 3600
_USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")

_hasher = PasswordHasher()


@dataclass
class User:
    username: str
    role: str
    password_hash: str = ""
    team: str | None = None
    staff_id: str | None = None  # pseudonymised
    communities: list[str] = field(default_factory=list)
    display_name: str | None = None

    def public(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("password_hash")
        return d

    @property
    def session_version(self) -> str:
        """Changes when the password changes, so old cookies stop working."""
        return self.password_hash[-12:]


class UserError(QunkpiError):
    exit_code = 2


class UserStore:
    """The users file of one workspace; safe to share between request threads."""

    def __init__(self, workspace_path: Path) -> None:
        self.path = Path(workspace_path) / USERS_FILE
        self._lock = threading.Lock()
        self._mtime: float | None = None
        self._users: dict[str, User] = {}

    # -- reading -----------------------------------------------------------------------------------
    def _load(self) -> dict[str, User]:
        with self._lock:
            try:
                mtime = self.path.stat().st_mtime
            except FileNotFoundError:
                self._users, self._mtime = {}, None
                return self._users
            if mtime != self._mtime:
                try:
                    raw = json.loads(self.path.read_text(encoding="utf-8"))
                except (OSError, json.JSONDecodeError) as e:
                    raise UserError(
                        tr(
                            f"{self.path}：用户文件无法读取（{e}）",
                            f"{self.path}: cannot read the users file ({e})",
                        )
                    ) from e
                self._users = {u["username"]: User(**u) for u in raw.get("users", [])}
                self._mtime = mtime
            return self._users

    def get(self, username: str) -> User | None:
        return self._load().get(username)

    def all(self) -> list[User]:
        return sorted(self._load().values(), key=lambda u: u.username)

    def authenticate(self, username: str, password: str) -> User | None:
        user = self.get(username)
        if user is None:
            # spend the same time as a real check so that user names cannot be probed by timing
            with contextlib.suppress(VerificationError, InvalidHashError):
                _hasher.verify(_DUMMY_HASH, password)
            return None
        try:
            _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            return None
        return user

    # -- writing -----------------------------------------------------------------------------------
    def _save(self, users: dict[str, User]) -> None:
        data = {"users": [asdict(u) for u in sorted(users.values(), key=lambda u: u.username)]}
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=2)
        os.replace(tmp, self.path)
        self._mtime = None

    def add(
        self,
        username: str,
        password: str,
        role: str,
        team: str | None = None,
        staff_id: str | None = None,
        communities: list[str] | None = None,
        display_name: str | None = None,
        replace: bool = False,
    ) -> User:
        if not _USERNAME.match(username):
            raise UserError(
                tr(
                    "用户名只能含字母、数字和 _ . @ -，长度 2–64",
                    "user names are 2–64 letters, digits or _ . @ -",
                )
            )
        if role not in ROLES:
            raise UserError(
                tr(
                    f"未知角色 {role}：可用 admin、manager、operator",
                    f"unknown role {role}: use admin, manager or operator",
                )
            )
        if len(password) < 8:
            raise UserError(tr("密码至少 8 个字符", "passwords need at least 8 characters"))
        if role == "manager" and not team:
            raise UserError(
                tr(
                    "经理需要 --team（看到本团队的社群）",
                    "a manager needs --team (they see their team's communities)",
                )
            )
        users = dict(self._load())
        if username in users and not replace:
            raise UserError(
                tr(
                    f"用户 {username} 已存在（加 --replace 覆盖）",
                    f"user {username} exists (add --replace to overwrite)",
                )
            )
        u = User(
            username=username,
            role=role,
            password_hash=_hasher.hash(password),
            team=team,
            staff_id=staff_id,
            communities=sorted(set(communities or [])),
            display_name=display_name,
        )
        users[username] = u
        self._save(users)
        return u

    def assign(self, username: str, communities: list[str], remove: bool = False) -> User:
        users = dict(self._load())
        u = users.get(username)
        if u is None:
            raise UserError(
                tr(
                    f"没有用户 {username}（先 `qunkpi user add`）",
                    f"no user {username} (create it with `qunkpi user add`)",
                )
            )
        cur = set(u.communities)
        cur = cur - set(communities) if remove else cur | set(communities)
        u.communities = sorted(cur)
        self._save(users)
        return u


_DUMMY_HASH = _hasher.hash("not-a-real-password")


def session_secret(workspace_path: Path) -> str:
    """The key that signs session cookies: ``web_secret`` in the workspace (created once, mode 0600)."""
    p = Path(workspace_path) / SECRET_FILE
    if not p.exists():
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    return p.read_text().strip()


class Sessions:
    """Signed, timestamped session tokens (itsdangerous) carrying the user name and password version."""

    def __init__(self, secret: str) -> None:
        self._s = URLSafeTimedSerializer(secret, salt="qunkpi-session")

    def issue(self, user: User) -> str:
        return self._s.dumps({"u": user.username, "v": user.session_version, "n": secrets.token_hex(8)})

    def read(self, token: str, store: UserStore) -> User | None:
        try:
            data = self._s.loads(token, max_age=SESSION_MAX_AGE)
        except (BadSignature, SignatureExpired):
            return None
        if not isinstance(data, dict):
            return None
        user = store.get(str(data.get("u")))
        if user is None or user.session_version != data.get("v"):
            return None
        return user
