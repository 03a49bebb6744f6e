"""PS3.8 §9.2.3 Table 9-10, "DICOM Upper Layer Protocol State Transition Table", as test data.

Transcribed from the standard's grid independently of ``dicomnet.ul.table``: one line per event,
one column per state Sta1..Sta13, ``.`` for a blank cell. The tests compare the module's table with
this one cell by cell, and both with pynetdicom's transcription.
"""

from __future__ import annotations

GRID = """
#       Sta1  Sta2  Sta3  Sta4  Sta5  Sta6  Sta7  Sta8  Sta9  Sta10 Sta11 Sta12 Sta13
Evt1    AE-1  .     .     .     .     .     .     .     .     .     .     .     .
Evt2    .     .     .     AE-2  .     .     .     .     .     .     .     .     .
Evt3    .     AA-1  AA-8  .     AE-3  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-6
Evt4    .     AA-1  AA-8  .     AE-4  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-6
Evt5    AE-5  .     .     .     .     .     .     .     .     .     .     .     .
Evt6    .     AE-6  AA-8  .     AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-7
Evt7    .     .     AE-7  .     .     .     .     .     .     .     .     .     .
Evt8    .     .     AE-8  .     .     .     .     .     .     .     .     .     .
Evt9    .     .     .     .     .     DT-1  .     AR-7  .     .     .     .     .
Evt10   .     AA-1  AA-8  .     AA-8  DT-2  AR-6  AA-8  AA-8  AA-8  AA-8  AA-8  AA-6
Evt11   .     .     .     .     .     AR-1  .     .     .     .     .     .     .
Evt12   .     AA-1  AA-8  .     AA-8  AR-2  AR-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-6
Evt13   .     AA-1  AA-8  .     AA-8  AA-8  AR-3  AA-8  AA-8  AR-10 AR-3  AA-8  AA-6
Evt14   .     .     .     .     .     .     .     AR-4  AR-9  .     .     AR-4  .
Evt15   .     .     AA-1  AA-2  AA-1  AA-1  AA-1  AA-1  AA-1  AA-1  AA-1  AA-1  .
Evt16   .     AA-2  AA-3  .     AA-3  AA-3  AA-3  AA-3  AA-3  AA-3  AA-3  AA-3  AA-2
Evt17   .     AA-5  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AR-5
Evt18   .     AA-2  .     .     .     .     .     .     .     .     .     .     AA-2
Evt19   .     AA-1  AA-8  .     AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-7
"""

# Next state of each action (PS3.8 §9.2.2, Tables 9-6 to 9-9); AE-6 and AR-8 choose.
NEXT_STATES: dict[str, set[int]] = {
    "AE-1": {4},
    "AE-2": {5},
    "AE-3": {6},
    "AE-4": {1},
    "AE-5": {2},
    "AE-6": {3, 13},
    "AE-7": {6},
    "AE-8": {13},
    "DT-1": {6},
    "DT-2": {6},
    "AR-1": {7},
    "AR-2": {8},
    "AR-3": {1},
    "AR-4": {13},
    "AR-5": {1},
    "AR-6": {7},
    "AR-7": {8},
    "AR-8": {9, 10},
    "AR-9": {11},
    "AR-10": {12},
    "AA-1": {13},
    "AA-2": {1},
    "AA-3": {1},
    "AA-4": {1},
    "AA-5": {1},
    "AA-6": {13},
    "AA-7": {13},
    "AA-8": {13},
}


def cells() -> dict[tuple[int, int], str]:
    """``{(state number, event number): action}`` for every non-blank cell of the grid."""
    table: dict[tuple[int, int], str] = {}
    for line in GRID.strip().splitlines():
        if line.startswith("#"):
            continue
        name, *columns = line.split()
        assert len(columns) == 13, line
        evt = int(name.removeprefix("Evt"))
        for sta, action in enumerate(columns, start=1):
            if action != ".":
                table[(sta, evt)] = action
    return table
