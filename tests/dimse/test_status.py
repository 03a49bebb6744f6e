"""Status codes: the classes of PS3.7 Annex C and the service meanings of PS3.4."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pynetdicom.status import code_to_category

from dicomnet.dimse import Service, Status, StatusCategory, category_of, status_name
from dicomnet.dimse.status import GENERAL_STATUSES, is_defined_class

S, P, C, W, F = (
    StatusCategory.SUCCESS,
    StatusCategory.PENDING,
    StatusCategory.CANCEL,
    StatusCategory.WARNING,
    StatusCategory.FAILURE,
)


@pytest.mark.parametrize(
    ("code", "category"),
    [
        (0x0000, S),
        (0xFF00, P),
        (0xFF01, P),
        (0xFE00, C),
        (0x0001, W),
        (0x0107, W),
        (0x0116, W),
        (0xB000, W),
        (0xB006, W),
        (0xBFFF, W),
        (0x0105, F),
        (0x0122, F),
        (0x0124, F),
        (0x0210, F),
        (0x0213, F),
        (0xA700, F),
        (0xA7FF, F),
        (0xA801, F),
        (0xA900, F),
        (0xC000, F),
        (0xCFFF, F),
        (0xAA00, F),
    ],
)
def test_annex_c_classes(code: int, category: StatusCategory) -> None:
    assert category_of(code) is category
    assert Status(code).category is category
    assert is_defined_class(code)


@pytest.mark.parametrize("code", [0x0002, 0x0300, 0x5000, 0xD000, 0xE000, 0xFE01, 0xFF02, 0xFFFF])
def test_codes_outside_every_class_are_failures(code: int) -> None:
    assert not is_defined_class(code)
    assert category_of(code) is F
    assert status_name(code).startswith("Unknown status")


@given(st.integers(0, 0xFFFF))
def test_category_agrees_with_pynetdicom_where_it_knows(code: int) -> None:
    """pynetdicom's code_to_category is an independent reading of Annex C."""
    theirs = code_to_category(code)
    if theirs == "Unknown":
        assert not is_defined_class(code) or (code >> 8) in (0x01, 0x02)
        return
    assert category_of(code).value == theirs.lower()


def test_service_meanings() -> None:
    assert status_name(0xA801, Service.MOVE) == "Refused: Move Destination unknown"
    assert status_name(0xA801) == "Failure (A801)"
    assert status_name(0xA7AB, Service.STORAGE) == "Refused: Out of Resources"
    assert status_name(0xA9FF, Service.STORAGE) == "Error: Data Set does not match SOP Class"
    assert status_name(0xC123, Service.STORAGE) == "Error: Cannot understand"
    assert status_name(0xC123, Service.FIND) == "Failed: Unable to process"
    assert status_name(0xB007, Service.STORAGE) == "Warning: Data Set does not match SOP Class"
    assert status_name(0xFF01, Service.FIND).startswith("Pending: Matches are continuing, one")
    assert status_name(0xB000, Service.GET).startswith("Warning: Sub-operations Complete")
    assert status_name(0x0122, Service.STORAGE) == "Refused: SOP Class not supported"
    assert status_name(0xB123) == "Warning (B123)"
    assert all(category_of(code) is not S or code == 0 for code in GENERAL_STATUSES)


def test_status_value() -> None:
    status = Status(0xFF00, Service.FIND)
    assert status.is_pending
    assert not status.is_final
    assert not status.is_success
    assert Status(0).is_success
    assert Status(0).is_final
    assert str(Status(0xA801, Service.MOVE)) == "0xA801 failure: Refused: Move Destination unknown"
    assert Status(0xFE00) == Status(0xFE00)
    with pytest.raises(ValueError):
        Status(0x10000)
