"""What `pk sync` says it did, as text or JSON: shared by the Typer command and the fast path
(face.fast), which answers a plain `pk sync` without loading Typer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from promisekeeper.services.sync import Synced


def plural(n: int, one: str, many: str = "") -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def synced_json(done: Synced) -> dict[str, Any]:
    return {
        "remote": done.remote,
        "repository": str(done.repo),
        "replica": done.replica,
        "sent": done.sent,
        "sent_kinds": done.sent_kinds,
        "received": done.received,
        "received_from": done.received_from,
        "pushed": done.pushed,
        "push_retries": done.retries,
        "merged": _merged_json(done.merged),
    }


def _merged_json(merged: Any) -> dict[str, Any] | None:
    """What the merge changed in this ledger (services.replica.Merged): its counts and the
    names of the people whose details it took over; None when nothing came."""
    if merged is None:
        return None
    from dataclasses import fields

    found: dict[str, Any] = {}
    for item in fields(merged):
        value = getattr(merged, item.name)
        if isinstance(value, bool) or not isinstance(value, int | list):
            continue  # bookkeeping (the uuids of waiting events), not a summary
        found[item.name] = value
    return found


def _merged_words(merged: Any) -> str:
    if merged is None:
        return ""
    words = []
    for attribute, one, many in (
        ("promises", "new promise", "new promises"),
        ("changed", "promise changed", "promises changed"),
        ("removed", "promise taken back", "promises taken back"),
    ):
        n = getattr(merged, attribute, 0)
        if n:
            words.append(plural(n, one, many))
    people = getattr(merged, "people", [])
    if people:
        words.append(plural(len(people), "person's details", "people's details"))
    return f" ({', '.join(words)})" if words else ""


def synced_lines(done: Synced) -> list[str]:
    from promisekeeper.telling.text import one_line

    sent = f"sent {plural(done.sent, 'record')}" if done.sent else "nothing new to send"
    if done.received:
        copies = len(done.received_from)
        source = plural(copies, "other copy", "other copies")
        got = f"applied {plural(done.received, 'record')} from {source}"
        got += _merged_words(done.merged)
    else:
        got = "nothing new from the other copies"
    lines = [f"Synced with {one_line(done.remote)}: {sent}, {got}."]
    if done.retries:
        lines.append(
            f"  The push was retried {plural(done.retries, 'time')}: another copy pushed in "
            "between."
        )
    return lines
