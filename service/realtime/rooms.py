"""Socket.io room names (DESIGN.md decision 6).

A container's events go to the room of its project *and* its owning account, so a
socket only ever joins rooms of its own account: another account's container in the
same project never reaches it.
"""

from __future__ import annotations


def room_for(project_id: str, account_id: str) -> str:
    return f"project:{project_id}:account:{account_id}"
