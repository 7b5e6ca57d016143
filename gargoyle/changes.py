"""Attributing switch changes to a request: :func:`made_by`, documented with the signals.

This is the public path; the write pipeline that announces changes lives in
``gargoyle/_writes/``.
"""

from __future__ import annotations

from gargoyle._writes.attribution import made_by

__all__ = ["made_by"]
