"""Hypothesis strategies for DIMSE-C messages (shared by the dimse tests and fuzz replay)."""

from __future__ import annotations

from typing import Any

import attrs
from hypothesis import strategies as st

from dicomnet.dimse import (
    CCancelRQ,
    CEchoRQ,
    CEchoRSP,
    CFindRQ,
    CFindRSP,
    CGetRQ,
    CGetRSP,
    CMoveRQ,
    CMoveRSP,
    CStoreRQ,
    CStoreRSP,
    DimseMessage,
    Priority,
)

MESSAGE_TYPES: tuple[type[DimseMessage], ...] = (
    CEchoRQ,
    CEchoRSP,
    CStoreRQ,
    CStoreRSP,
    CFindRQ,
    CFindRSP,
    CGetRQ,
    CGetRSP,
    CMoveRQ,
    CMoveRSP,
    CCancelRQ,
)

us = st.integers(0, 0xFFFF)
# Conformant UIDs: numeric components without leading zeros, at most 64 characters.
uids = (
    st.lists(st.integers(0, 10**8), min_size=2, max_size=10)
    .map(lambda parts: ".".join(str(p) for p in parts))
    .filter(lambda uid: len(uid) <= 64)
)
_ae_chars = st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="\\")
ae_titles = st.builds(
    lambda head, middle, tail: (head + middle + tail)[:16] if middle else head,
    _ae_chars,
    st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_ -"), max_size=14),
    _ae_chars,
)
comments = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters="\\"), max_size=64
).map(lambda s: s.rstrip(" "))
tags = st.lists(st.integers(0, 0xFFFFFFFF), max_size=5).map(tuple)

FIELD_STRATEGIES: dict[str, st.SearchStrategy[Any]] = {
    "message_id": us,
    "message_id_being_responded_to": us,
    "move_originator_message_id": us,
    "status": us,
    "number_of_remaining_sub_operations": us,
    "number_of_completed_sub_operations": us,
    "number_of_failed_sub_operations": us,
    "number_of_warning_sub_operations": us,
    "affected_sop_class_uid": uids,
    "affected_sop_instance_uid": uids,
    "move_destination": ae_titles,
    "move_originator_application_entity_title": ae_titles,
    "error_comment": comments,
    "offending_element": tags,
    "priority": st.sampled_from(Priority),
    "has_dataset": st.booleans(),
}


def message_strategy(cls: type[DimseMessage]) -> st.SearchStrategy[DimseMessage]:
    """Any valid instance of ``cls``; optional fields are sometimes ``None``."""
    kwargs: dict[str, st.SearchStrategy[Any]] = {}
    for field in attrs.fields(cls):
        strategy = FIELD_STRATEGIES[field.name]
        if field.default is None:
            strategy = st.none() | strategy
        kwargs[field.name] = strategy
    return st.builds(cls, **kwargs)


messages = st.one_of(*(message_strategy(cls) for cls in MESSAGE_TYPES))
