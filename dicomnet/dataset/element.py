"""Data elements (PS3.5 §7.1): the raw wire view and the decoded view.

:class:`RawElement` is what the reader produces: where an element's header and value lie in the
source buffer, with its VR, length field and encoding; nothing is decoded or copied.
:class:`DataElement` is the decoded view ``(tag, vr, value)``; when it was decoded from the wire
it keeps the :class:`RawElement` in ``raw`` so the writer can reproduce the original bytes.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import attrs

from dicomnet.dataset.tag import format_tag

__all__ = ["UNDEFINED_LENGTH", "DataElement", "RawElement"]

UNDEFINED_LENGTH = 0xFFFFFFFF
"""The Undefined Length value of a length field (PS3.5 §7.1.1)."""


class RawElement(NamedTuple):
    """One element as found on the wire (PS3.5 §7.1.2/§7.1.3); nothing decoded, nothing copied.

    - ``vr``: the explicit VR, or in implicit VR the dictionary's VR (possibly ambiguous, such as
      ``"US or SS"``; resolved when the value is decoded).
    - ``length``: the value length field as written, ``UNDEFINED_LENGTH`` for undefined length.
    - ``offset``: offset of the element's first header byte in ``source``.
    - ``value_offset``/``value_length``: where the value bytes lie in ``source``. For an undefined
      length element this excludes the closing delimitation item.
    - ``source``: the whole buffer the element was read from.
    - ``vr_bytes``: the two VR bytes as written in explicit VR (``b""`` for implicit VR), so an
      unknown or damaged VR stays reachable.
    """

    tag: int
    vr: str
    length: int
    offset: int
    value_offset: int
    value_length: int
    source: memoryview
    little_endian: bool
    implicit_vr: bool
    vr_bytes: bytes = b""

    @property
    def value_bytes(self) -> memoryview:
        """The value bytes as on the wire (a slice of ``source``, no copy)."""
        return self.source[self.value_offset : self.value_offset + self.value_length]

    @property
    def end(self) -> int:
        """Offset just past the element, including a closing delimitation item."""
        end = self.value_offset + self.value_length
        return end + 8 if self.length == UNDEFINED_LENGTH else end

    @property
    def encoded(self) -> memoryview:
        """The whole element as on the wire: header, value and any closing delimiter."""
        return self.source[self.offset : self.end]

    @property
    def is_undefined_length(self) -> bool:
        """True if the length field was Undefined Length (0xFFFFFFFF)."""
        return self.length == UNDEFINED_LENGTH

    def __repr__(self) -> str:
        return (
            f"RawElement({format_tag(self.tag)} {self.vr} length={self.length:#x} "
            f"offset={self.offset})"
        )


@attrs.frozen(unsafe_hash=False, repr=False)
class DataElement:
    """A decoded data element ``(tag, vr, value)`` (PS3.5 §7.1).

    Value types by VR (see :mod:`dicomnet.dataset.values`):

    - text VRs: ``str``, or ``list[str]`` when VM > 1; DA/DT/TM/DS/IS stay ``str``;
      PN: :class:`~dicomnet.dataset.values.PersonName` (a ``str`` with component accessors);
    - US SS UL SL UV SV FL FD: ``int``/``float``, ``list`` when VM > 1, ``None`` when empty;
    - AT: ``int`` tag, ``list[int]`` when VM > 1, ``None`` when empty;
    - OB OD OF OL OV OW UN: ``bytes`` in little-endian byte order (big-endian input is swapped);
    - SQ: ``list`` of item :class:`~dicomnet.dataset.dataset.Dataset`;
    - encapsulated Pixel Data (undefined length): ``bytes`` of the item sequence (items with their
      headers, up to but excluding the Sequence Delimitation Item), see
      :mod:`dicomnet.dataset.encaps`.

    ``undefined_length`` asks the writer for undefined length (SQ, encapsulated Pixel Data).
    ``raw`` is the wire view this element was decoded from (``None`` when built in code);
    ``private_creator`` is the creator string of a private data element when decoded in a data set.
    Both are ignored by ``==``.
    """

    tag: int
    vr: str
    value: Any
    undefined_length: bool = attrs.field(default=False, kw_only=True)
    raw: RawElement | None = attrs.field(default=None, kw_only=True, eq=False, repr=False)
    private_creator: str | None = attrs.field(default=None, kw_only=True, eq=False)

    def __repr__(self) -> str:
        flag = ", undefined_length=True" if self.undefined_length else ""
        return f"DataElement({format_tag(self.tag)}, {self.vr!r}, {self.value!r}{flag})"

    @property
    def keyword(self) -> str | None:
        """The dictionary keyword of ``tag`` (None for unknown and private tags)."""
        from dicomnet.dataset.dataset import keyword_for

        return keyword_for(self.tag)

    @property
    def is_sequence(self) -> bool:
        """True for a sequence (VR SQ)."""
        return self.vr == "SQ"

    @property
    def vm(self) -> int:
        """Value multiplicity of the decoded value (0 when empty)."""
        value = self.value
        if value is None or value == "" or value == b"":
            return 0
        if isinstance(value, list):
            return 1 if self.vr == "SQ" else len(value)
        return 1
