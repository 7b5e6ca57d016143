"""Which percent bucket a subject (a user's pk, an IP address) falls into.

A bucket is a number in ``[0, 100)`` with two decimals. It comes from a stable hash of
the switch key and the subject, so the same subject lands in the same bucket on every
process and machine, and each switch draws its own, independent cohort.
"""

from __future__ import annotations

import ipaddress
from hashlib import blake2b
from typing import Any

BUCKETS = 10_000  # hundredths of a percent


def stable_bucket(switch_key: str, subject: Any) -> int:
    """Return the subject's bucket for this switch, in hundredths of a percent (0..9999)."""
    digest = blake2b(f"{switch_key}\x00{subject}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % BUCKETS


def legacy_number(subject: Any) -> int | None:
    """The number gargoyle-yplan took ``% 100`` of: a pk, or the sum of an IPv4's octets."""
    if isinstance(subject, int):
        return subject
    if not isinstance(subject, str):
        return None
    try:
        address = ipaddress.ip_address(subject)
    except ValueError:
        return None
    if address.version == 4:
        return sum(address.packed)
    return int(address)
