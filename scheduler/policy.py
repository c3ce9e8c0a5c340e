"""Who may do what: the one place that decides (web admin, admin API and CLI all ask here).

Roles, from least to most trusted:

- ``viewer``: public information officer; reads announcements, previews and reports.
- ``editor``: writes announcements and submits them; withdraws or archives only items they wrote or edited.
- ``approver``: also approves/rejects (never their own work: two-person rule) and uses the emergency
  broadcast form (``emergency``). An editor may still draft emergency-layer content: like every
  announcement it reaches a screen only once someone else (an approver) approves it.
- ``admin``: also manages displays, enrolments, keys, users and live data sources (``manage_sources``).
  Approvers decide on held data-source snapshots (``approve``).

The two-person rule: the approver must differ from the creator and from everyone who
changed the content since the last approval (``editors_since_approval``). A draft from a file dropped in
the inbox (``needs_voucher``: whoever dropped it is not known) is approved only after a named person
submitted it, and that person is then barred from approving it. Taking an
approved item off air (edit, withdraw, archive) is allowed to its authors/editors and to
approvers/admins only, and is always audited by the caller.
"""

from __future__ import annotations

import json
from typing import Any

from scheduler.auth import ROLES
from scheduler.errors import Forbidden

ACTIONS = (
    "view",
    "create",
    "edit",
    "submit",
    "approve",
    "reject",
    "withdraw",
    "archive",
    "emergency",
    "manage_displays",
    "manage_users",
    "view_reports",
    "view_audit",
    "manage_sources",
)
_VIEWER = frozenset({"view", "view_reports"})
_EDITOR = _VIEWER | {"create", "edit", "submit", "withdraw", "archive"}
_APPROVER = _EDITOR | {"approve", "reject", "emergency", "view_audit"}
_ADMIN = _APPROVER | {"manage_displays", "manage_users", "manage_sources"}
ROLE_ACTIONS: dict[str, frozenset[str]] = {"viewer": _VIEWER, "editor": _EDITOR, "approver": _APPROVER, "admin": _ADMIN}
assert set(ROLE_ACTIONS) == set(ROLES)
# Acting on an item that is (or is about to be) on air needs authorship or a reviewer's role.
_AUTHOR_OR_REVIEWER = frozenset({"withdraw", "archive", "submit"})

# Reasons a request is refused: (English, Bahasa Indonesia).
REASONS: dict[str, tuple[str, str]] = {
    "no_user": ("log in first", "silakan masuk terlebih dahulu"),
    "disabled": ("this account is disabled", "akun ini dinonaktifkan"),
    "unknown_action": ("unknown action", "tindakan tidak dikenal"),
    "role": (
        "your role ({role}) may not {action}; ask an admin if you need to",
        "peran Anda ({role}) tidak boleh {action}; hubungi admin bila perlu",
    ),
    "two_person": (
        "two-person rule: {who} cannot approve an announcement they created or changed since its last approval; "
        "ask another approver",
        "aturan dua orang: {who} tidak boleh menyetujui pengumuman yang dibuat atau diubahnya sejak persetujuan "
        "terakhir; minta penyetuju lain",
    ),
    "unvouched": (
        "nobody has answered for announcement {id} yet: it came from a file dropped in the inbox folder, whose "
        "author is not known; someone must submit it first, then another person approves it",
        "belum ada yang bertanggung jawab atas pengumuman {id}: asalnya berkas yang ditaruh di folder kotak masuk, "
        "penulisnya tidak diketahui; seseorang harus mengajukannya dulu, lalu orang lain menyetujuinya",
    ),
    "not_author": (
        "only the announcement's authors/editors or an approver may {action} (announcement {id})",
        "hanya penulis/penyunting pengumuman {id} atau penyetuju yang boleh {action}",
    ),
    "approved_not_author": (
        "announcement {id} is approved: only its authors/editors or an approver may change it "
        "(an edit takes it off air until approved again)",
        "pengumuman {id} sudah disetujui: hanya penulis/penyunting atau penyetuju yang boleh mengubahnya "
        "(perubahan menurunkannya dari layar sampai disetujui lagi)",
    ),
}


class PolicyDenied(Forbidden):
    """A refusal by the policy (HTTP 403); ``texts`` holds the message per language."""

    def __init__(self, reason: str, texts: dict[str, str]) -> None:
        super().__init__(texts["en"], field="user")
        self.reason = reason
        self.texts = texts

    def text(self, language: str) -> str:
        return self.texts.get(language) or self.texts["en"]


# What each action and role is called in a refusal: (English, Bahasa Indonesia), never the internal names.
ACTION_WORDS: dict[str, tuple[str, str]] = {
    "view": ("see this", "melihat ini"),
    "create": ("write announcements", "menulis pengumuman"),
    "edit": ("change announcements", "mengubah pengumuman"),
    "submit": ("submit it for approval", "mengajukannya untuk disetujui"),
    "approve": ("approve", "menyetujui"),
    "reject": ("reject", "menolak"),
    "withdraw": ("take it off the screens", "menurunkannya dari layar"),
    "archive": ("archive it", "mengarsipkannya"),
    "emergency": ("send emergency broadcasts", "menyiarkan siaran darurat"),
    "manage_displays": ("manage screens", "mengelola layar"),
    "manage_users": ("manage users", "mengelola pengguna"),
    "view_reports": ("see reports", "melihat laporan"),
    "view_audit": ("see the audit log", "melihat log audit"),
    "manage_sources": ("manage data sources", "mengelola sumber data"),
}
ROLE_WORDS: dict[str, tuple[str, str]] = {
    "viewer": ("viewer", "Pembaca"), "editor": ("editor", "Penulis"), "approver": ("approver", "Penyetuju"),
    "admin": ("admin", "Admin"),
}  # fmt: skip
assert set(ACTION_WORDS) == set(ACTIONS) and set(ROLE_WORDS) == set(ROLES)


def _ids(value: Any) -> set[int]:
    if isinstance(value, str):
        value = json.loads(value) if value else []
    return {int(v) for v in value or []}


def authors(announcement: dict[str, Any]) -> set[int]:
    """Everyone who created or ever edited the announcement."""
    people = _ids(announcement.get("contributors"))
    if announcement.get("created_by") is not None:
        people.add(int(announcement["created_by"]))
    return people


def barred_approvers(announcement: dict[str, Any]) -> set[int]:
    """Who may not approve it now: the creator and everyone who changed it since the last approval."""
    barred = _ids(announcement.get("editors_since_approval"))
    if announcement.get("created_by") is not None:
        barred.add(int(announcement["created_by"]))
    return barred


def denial(user: dict[str, Any] | None, action: str, announcement: dict[str, Any] | None = None) -> str | None:
    """The reason code why ``user`` may not do ``action`` (on ``announcement``), or None when allowed."""
    if action not in ACTIONS:
        return "unknown_action"
    if user is None:
        return "no_user"
    if user.get("disabled"):
        return "disabled"
    allowed = ROLE_ACTIONS.get(str(user.get("role")), frozenset())
    if action not in allowed:
        return "role"
    if announcement is None:
        return None
    is_reviewer = "approve" in allowed
    is_author = int(user["id"]) in authors(announcement)
    if action == "approve" and announcement.get("needs_voucher"):
        return "unvouched"
    if action == "approve" and int(user["id"]) in barred_approvers(announcement):
        return "two_person"
    vouching = action == "submit" and bool(announcement.get("needs_voucher"))  # a dropped file: any editor answers
    if action in _AUTHOR_OR_REVIEWER and not (is_author or is_reviewer or vouching):
        return "not_author"
    if action == "edit" and announcement.get("status") == "approved" and not (is_author or is_reviewer):
        return "approved_not_author"
    return None


def can(user: dict[str, Any] | None, action: str, announcement: dict[str, Any] | None = None) -> bool:
    return denial(user, action, announcement) is None


def require(user: dict[str, Any] | None, action: str, announcement: dict[str, Any] | None = None) -> None:
    """Raise :class:`PolicyDenied` (403, message in English and Indonesian) unless allowed."""
    reason = denial(user, action, announcement)
    if reason is None:
        return
    role = str((user or {}).get("role", "-"))
    common = {"who": (user or {}).get("username", "-"), "id": (announcement or {}).get("id", "-")}
    texts = {}
    for n, language in enumerate(("en", "id")):
        words = {"action": ACTION_WORDS.get(action, (action, action))[n], "role": ROLE_WORDS.get(role, (role, role))[n]}
        texts[language] = REASONS[reason][n].format(**common, **words)
    raise PolicyDenied(reason, texts)


def allowed_actions(user: dict[str, Any] | None, announcement: dict[str, Any] | None = None) -> list[str]:
    """Every action the user may take (on the announcement): for showing only the buttons that work."""
    return [action for action in ACTIONS if can(user, action, announcement)]
