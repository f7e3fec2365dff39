"""Who is staff: WeCom id shapes and the ids a user lists in the workspace config."""

from __future__ import annotations

import re

# WeCom external_userid (customers: wm…/wo…) and robot ids (wb…) are long opaque strings; an employee's
# userid is whatever the company chose (often a name in pinyin or an employee number).
_EXTERNAL = re.compile(r"^(wm|wo|wb)[A-Za-z0-9_-]{16,}$")


def is_external_id(uid: str) -> bool:
    """A WeCom external contact (customer) or robot id rather than an employee userid."""
    return bool(_EXTERNAL.match(uid))


def is_wecom_staff(uid: str, staff_ids: frozenset[str]) -> bool:
    """An employee of the company: listed as staff, or a plain userid (not a wm/wo/wb external id)."""
    if uid in staff_ids:
        return True
    return bool(uid) and not is_external_id(uid)
