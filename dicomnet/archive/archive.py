"""The archive application for :class:`~dicomnet.services.qr_scp.QRSCP` (PS3.4 C.4, C.6).

:class:`Archive` indexes a folder (:class:`~dicomnet.archive.index.Index`) and answers C-FIND
with PS3.4 C.2.2.2 matching (:mod:`dicomnet.archive.matching`) at the Query/Retrieve Level of the
patient root, study root and patient/study only models (C.6.1, C.6.2, C.6.3), and C-MOVE/C-GET
with the files of the matching entities. Queries are hierarchical (C.4.1.3.1, C.4.2.2.1): the
unique key of each level above must be given with single value matching; keys below the level are
refused. ``relational=True`` lifts the unique-key requirement (C.4.1.3.2, C.4.2.2.2; the SCU
negotiates it with extended negotiation). A refused query raises :class:`ArchiveQueryError`
(the SCP answers it with 0xC000 and the message as Error Comment).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Final

import attrs

from dicomnet._attrs_repr import attrs_repr
from dicomnet.archive.index import ATTRIBUTES, Index, Record
from dicomnet.archive.matching import is_universal, match_value
from dicomnet.dataset import Dataset, keyword_for
from dicomnet.errors import DicomNetError
from dicomnet.services.qr_scp import QRRequest
from dicomnet.services.qr_scp_store import IndexedFile
from dicomnet.services.store import DirectorySink, StoreRequest, StoreResult, StoreWriter
from dicomnet.uid import (
    PATIENT_ROOT_QR_FIND,
    PATIENT_ROOT_QR_GET,
    PATIENT_ROOT_QR_MOVE,
    PATIENT_STUDY_ONLY_QR_FIND,
    PATIENT_STUDY_ONLY_QR_GET,
    PATIENT_STUDY_ONLY_QR_MOVE,
    STUDY_ROOT_QR_FIND,
    STUDY_ROOT_QR_GET,
    STUDY_ROOT_QR_MOVE,
)

__all__ = ["MODELS", "UNIQUE_KEYS", "Archive", "ArchiveQueryError", "ArchiveSink"]


class ArchiveQueryError(DicomNetError, ValueError):
    """A query the archive refuses (unknown model or level, hierarchy broken)."""


#: The levels of each information model, top first (PS3.4 C.6.1, C.6.2, C.6.3).
_PATIENT_ROOT: Final = ("PATIENT", "STUDY", "SERIES", "IMAGE")
_STUDY_ROOT: Final = ("STUDY", "SERIES", "IMAGE")
_PATIENT_STUDY: Final = ("PATIENT", "STUDY")
MODELS: Final[dict[str, tuple[str, ...]]] = {
    PATIENT_ROOT_QR_FIND: _PATIENT_ROOT,
    PATIENT_ROOT_QR_MOVE: _PATIENT_ROOT,
    PATIENT_ROOT_QR_GET: _PATIENT_ROOT,
    STUDY_ROOT_QR_FIND: _STUDY_ROOT,
    STUDY_ROOT_QR_MOVE: _STUDY_ROOT,
    STUDY_ROOT_QR_GET: _STUDY_ROOT,
    PATIENT_STUDY_ONLY_QR_FIND: _PATIENT_STUDY,
    PATIENT_STUDY_ONLY_QR_MOVE: _PATIENT_STUDY,
    PATIENT_STUDY_ONLY_QR_GET: _PATIENT_STUDY,
}
#: The unique key of each level (PS3.4 C.6.1.1.2-C.6.1.1.5).
UNIQUE_KEYS: Final = {
    "PATIENT": "PatientID",
    "STUDY": "StudyInstanceUID",
    "SERIES": "SeriesInstanceUID",
    "IMAGE": "SOPInstanceUID",
}
# Attributes derived from the index rows: keyword -> (patient-root level, VR) (C.6.1.1.2-4).
_DERIVED: Final[dict[str, tuple[str, str]]] = {
    "NumberOfPatientRelatedStudies": ("PATIENT", "IS"),
    "NumberOfPatientRelatedSeries": ("PATIENT", "IS"),
    "NumberOfPatientRelatedInstances": ("PATIENT", "IS"),
    "ModalitiesInStudy": ("STUDY", "CS"),
    "SOPClassesInStudy": ("STUDY", "UI"),
    "NumberOfStudyRelatedSeries": ("STUDY", "IS"),
    "NumberOfStudyRelatedInstances": ("STUDY", "IS"),
    "NumberOfSeriesRelatedInstances": ("SERIES", "IS"),
}
_QUERY_RETRIEVE_LEVEL: Final = 0x00080052
_SPECIFIC_CHARACTER_SET: Final = 0x00080005
_RETRIEVE_AE_TITLE: Final = 0x00080054
_INSTANCE_AVAILABILITY: Final = 0x00080056
_NOT_KEYS: Final = frozenset({_QUERY_RETRIEVE_LEVEL, _SPECIFIC_CHARACTER_SET, _RETRIEVE_AE_TITLE})
# Most values put in one SQL IN (...) (SQLite's bound-parameter limit may be as low as 999).
_MAX_SQL_VALUES: Final = 500
_BINARY_INT_VRS: Final = frozenset({"US", "SS", "UL", "SL"})


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "\\".join(_text(v) for v in value)
    return str(value).strip(" \x00")


@attrs.frozen(repr=False)
class _Key:
    __repr__ = attrs_repr

    keyword: str
    tag: int
    vr: str
    value: str
    level: int | None  # index in the model's levels; None: not supported (returned empty)


@attrs.frozen(repr=False)
class _Query:
    __repr__ = attrs_repr

    levels: tuple[str, ...]
    level: int
    keys: tuple[_Key, ...]


def _model_level(keyword: str, levels: tuple[str, ...]) -> int | None:
    entry = ATTRIBUTES.get(keyword) or _DERIVED.get(keyword)
    if entry is None:
        return None
    name = entry[0]
    if name == "PATIENT" and levels[0] == "STUDY":
        name = "STUDY"  # the study root keeps the patient's attributes at the study level
    return levels.index(name) if name in levels else None


class Archive:
    """A folder of DICOM files served as a Q/R application (``QRApplication``).

    - ``folder``: indexed recursively at construction (:meth:`rescan` re-reads it);
    - ``database``: the SQLite file of the index, or ``":memory:"``;
    - ``destinations``: C-MOVE AE title -> ``(host, port)``;
    - ``ae_title``: the Retrieve AE Title put in C-FIND responses;
    - ``relational``: accept relational queries and retrievals (PS3.4 C.4.1.3.2);
    - ``empty_value_matching``: a key of ``""`` matches only empty values (PS3.4 C.2.2.2.7).
    """

    def __init__(
        self,
        folder: str | os.PathLike[str],
        *,
        database: str | os.PathLike[str] = ":memory:",
        destinations: dict[str, tuple[str, int]] | None = None,
        ae_title: str = "QRSCP",
        relational: bool = False,
        empty_value_matching: bool = True,
    ) -> None:
        self.folder = Path(folder)
        self.index = Index(database)
        self.index.scan(self.folder)
        self.destinations = dict(destinations or {})
        self.ae_title = ae_title
        self.relational = relational
        self.empty_value_matching = empty_value_matching

    def add(self, path: str | os.PathLike[str]) -> Record | None:
        """Index one more file (see :meth:`Index.add`)."""
        return self.index.add(path)

    def rescan(self) -> int:
        """Pick up new and changed files, drop vanished ones; the number (re)indexed."""
        return self.index.rescan()

    def storage_sink(self, **options: object) -> ArchiveSink:
        """A Storage SCP sink writing into the archive folder and indexing each stored file."""
        return ArchiveSink(self, DirectorySink(self.folder, **options))  # type: ignore[arg-type]

    def resolve_move_destination(self, ae_title: str) -> tuple[str, int] | None:
        """The address of a C-MOVE destination, ``None`` when unknown (0xA801)."""
        return self.destinations.get(ae_title.strip())

    # -- queries -----------------------------------------------------------------------------

    def parse(self, request: QRRequest) -> _Query:
        """The model, level and keys of ``request``; :class:`ArchiveQueryError` when refused."""
        sop_class = request.sop_class_uid.strip("\x00 ")
        levels = MODELS.get(sop_class)
        if levels is None:
            raise ArchiveQueryError(f"unsupported information model {sop_class}")
        identifier = request.identifier
        try:
            name = _text(identifier.get_value(_QUERY_RETRIEVE_LEVEL)).upper()
        except (DicomNetError, ValueError) as exc:
            raise ArchiveQueryError(f"undecodable Query/Retrieve Level: {exc}") from exc
        if name not in levels:
            raise ArchiveQueryError(f"Query/Retrieve Level {name!r} not in this model")
        level = levels.index(name)
        keys = []
        for tag in identifier:
            if tag in _NOT_KEYS or tag >> 16 == 0x0002 or tag & 0xFFFF == 0:
                continue
            keyword = keyword_for(tag) or ""
            vr = identifier.vr_of(tag)
            at = _model_level(keyword, levels) if vr != "SQ" else None
            try:
                value = "" if vr == "SQ" else _text(identifier.get_value(tag))
            except (DicomNetError, ValueError) as exc:
                raise ArchiveQueryError(f"undecodable key {keyword or hex(tag)}: {exc}") from exc
            if at is not None and at > level:
                raise ArchiveQueryError(f"{keyword} is below the {name} level")
            keys.append(_Key(keyword, tag, vr, value, at))
        query = _Query(levels, level, tuple(keys))
        self._check_hierarchy(query, request.operation)
        return query

    def _check_hierarchy(self, query: _Query, operation: str) -> None:
        given = {k.keyword: k.value for k in query.keys}
        if not self.relational:
            for above in query.levels[: query.level]:
                unique = UNIQUE_KEYS[above]
                value = given.get(unique, "")
                if is_universal(value) or "\\" in value or "*" in value or "?" in value:
                    raise ArchiveQueryError(
                        f"hierarchical query: {unique} must be a single value above the level"
                    )
        if operation != "find":
            unique = UNIQUE_KEYS[query.levels[query.level]]
            if is_universal(given.get(unique)):
                raise ArchiveQueryError(f"retrieve needs {unique} at its level")
            for key in query.keys:
                if key.level == query.level and key.keyword != unique:
                    raise ArchiveQueryError(
                        f"retrieve keys are unique keys only, not {key.keyword}"
                    )

    def _candidates(
        self, query: _Query, *, first_only: bool = False, columns: Iterable[str] | None = None
    ) -> list[Record]:
        where: dict[str, list[str]] = {}
        for key in query.keys:
            if key.level is None or key.keyword not in UNIQUE_KEYS.values():
                continue
            if is_universal(key.value) or "*" in key.value or "?" in key.value:
                continue
            if key.vr == "UI":
                uids = [v.strip() for v in key.value.split("\\") if v.strip()]
                if len(uids) <= _MAX_SQL_VALUES:  # longer lists are matched in Python only
                    where[key.keyword] = uids
            elif "\\" not in key.value and key.value != '""':
                where[key.keyword] = [key.value]
        group_by = [UNIQUE_KEYS[name] for name in query.levels[: query.level + 1]]
        return self.index.records(where, first_of=group_by if first_only else None, columns=columns)

    def _derived(self, keyword: str, row: Record) -> str:
        db = self.index.db
        if keyword.startswith("NumberOfPatientRelated"):
            column, value = "PatientID", row["PatientID"]
        elif keyword.startswith("NumberOfSeriesRelated"):
            column, value = "SeriesInstanceUID", row["SeriesInstanceUID"]
        else:
            column, value = "StudyInstanceUID", row["StudyInstanceUID"]
        if keyword in ("ModalitiesInStudy", "SOPClassesInStudy"):
            source = "Modality" if keyword == "ModalitiesInStudy" else "SOPClassUID"
            found = db.execute(
                f'SELECT DISTINCT "{source}" FROM instance WHERE "{column}" = ? ORDER BY 1',
                (value,),
            ).fetchall()
            return "\\".join(v for (v,) in found if v)
        what = {"Studies": "StudyInstanceUID", "Series": "SeriesInstanceUID"}.get(
            keyword.rsplit("Related", 1)[1], "SOPInstanceUID"
        )
        (count,) = db.execute(
            f'SELECT COUNT(DISTINCT "{what}") FROM instance WHERE "{column}" = ?', (value,)
        ).fetchone()
        return str(count)

    def _entities(
        self, query: _Query, *, first_only: bool = False, columns: Iterable[str] | None = None
    ) -> Iterator[tuple[Record, list[Record]]]:
        """Each entity at the query level that matches: its first row and all its rows.

        With ``first_only`` (C-FIND), SQLite gives one row per entity and "all" is that row.
        ``columns``: those wanted in the rows besides the ones matching needs (default: all).
        """
        groups: dict[tuple[str, ...], list[Record]] = {}
        unique = [UNIQUE_KEYS[name] for name in query.levels[: query.level + 1]]
        if columns is not None:
            keys = [k.keyword for k in query.keys if k.keyword in ATTRIBUTES]
            columns = [*UNIQUE_KEYS.values(), *keys, *columns]
        for row in self._candidates(query, first_only=first_only, columns=columns):
            groups.setdefault(tuple(row[k] for k in unique), []).append(row)
        for rows in groups.values():
            record = dict(rows[0])
            if all(self._key_matches(key, record) for key in query.keys):
                yield record, rows

    def _key_matches(self, key: _Key, record: Record) -> bool:
        if key.level is None:
            return True  # not supported: returned empty, not matched
        if key.keyword in _DERIVED and key.keyword not in record:
            if is_universal(key.value):
                return True
            record[key.keyword] = self._derived(key.keyword, record)
        return match_value(
            key.vr,
            key.value,
            record.get(key.keyword),
            empty_value_matching=self.empty_value_matching,
        )

    def find(self, request: QRRequest) -> Iterator[Dataset]:
        """The C-FIND identifiers of the matching entities, with only the requested keys."""
        query = self.parse(request)
        level_name = query.levels[query.level]
        for record, _ in self._entities(query, first_only=True):
            out = Dataset()
            charset = record.get("specific_character_set", "")
            if charset:
                out.set(_SPECIFIC_CHARACTER_SET, _value(charset, "CS"), "CS")
            out.set(_QUERY_RETRIEVE_LEVEL, level_name, "CS")
            out.set(_RETRIEVE_AE_TITLE, self.ae_title, "AE")
            for key in query.keys:
                if key.tag == _INSTANCE_AVAILABILITY:
                    out.set(key.tag, "ONLINE", "CS")
                    continue
                if key.level is None:
                    out.set(key.tag, None, key.vr)
                    continue
                if key.keyword in _DERIVED and key.keyword not in record:
                    record[key.keyword] = self._derived(key.keyword, record)
                out.set(key.tag, _value(record.get(key.keyword, ""), key.vr), key.vr)
            yield out

    def retrieve(self, request: QRRequest) -> list[IndexedFile | str]:
        """The files of the entities a C-MOVE/C-GET identifies, as the index describes them.

        Each is an :class:`~dicomnet.services.qr_scp_store.IndexedFile` (path-like), sent without
        reading its head again while unchanged on disk, or the path of one the index cannot
        describe (read when sent).
        """
        query = self.parse(request)
        describe = self.index.store_file
        entities = self._entities(query, columns=Index.STORE_FILE_COLUMNS)
        return [describe(row) or row["path"] for _, rows in entities for row in rows]


def _value(text: str, vr: str) -> object:
    if text == "":
        return None
    values: list[str] = text.split("\\")
    if vr in _BINARY_INT_VRS:
        ints = [int(v) for v in values if v.strip().lstrip("-").isdigit()]
        return ints[0] if len(ints) == 1 else ints
    return values[0] if len(values) == 1 else values


@attrs.define(repr=False)
class _IndexingWriter:
    __repr__ = attrs_repr

    archive: Archive
    writer: StoreWriter

    def write(self, data: memoryview) -> None:
        self.writer.write(data)

    def commit(self) -> StoreResult:
        result = self.writer.commit()
        if result.path is not None and result.status & 0xF000 in (0x0000, 0xB000):
            self.archive.add(result.path)
        return result

    def abort(self) -> None:
        self.writer.abort()


@attrs.define(repr=False)
class ArchiveSink:
    """A storage sink (C-STORE into the archive): files written by ``sink``, then indexed."""

    __repr__ = attrs_repr

    archive: Archive
    sink: DirectorySink

    def open(self, request: StoreRequest) -> StoreWriter:
        """Start receiving one data set."""
        return _IndexingWriter(self.archive, self.sink.open(request))
