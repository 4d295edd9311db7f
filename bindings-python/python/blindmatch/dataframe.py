"""pandas helpers: build a RecordSet from a DataFrame, return matches as one.

pandas is an optional dependency (``pip install blindmatch[pandas]``); this
module imports it only when its functions are called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from ._blindmatch import KINDS, Initiator, RecordSet, Responder

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd  # type: ignore[import-untyped,unused-ignore]


def _pandas() -> Any:
    try:
        import pandas
    except ImportError as e:  # pragma: no cover - exercised without pandas
        raise ImportError("blindmatch.dataframe needs pandas: pip install 'blindmatch[pandas]'") from e
    return pandas


def record_set_from_dataframe(
    df: "pd.DataFrame",
    id_column: str,
    columns: Mapping[str, str],
    *,
    default_region: Optional[str] = None,
    date_format: str = "%Y-%m-%d",
    composites: Sequence[Sequence[str]] = (),
    single_keys: Optional[Sequence[str]] = None,
    region_column: Optional[str] = None,
) -> RecordSet:
    """Builds a RecordSet from a DataFrame.

    ``columns`` maps column names to identifier kinds, e.g.
    ``{"mail": "email", "tel": "phone", "full_name": "name"}``. Empty and
    missing cells (None, NaN) are skipped; values that cannot be read end up
    in ``RecordSet.errors`` with their record id and kind. With
    ``region_column``, each row's phone numbers and documents are read in
    that row's region (ISO 3166 alpha-2).
    """
    pd = _pandas()
    for col, kind in columns.items():
        if col not in df.columns:
            raise KeyError(f"no column {col!r} in the DataFrame")
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r} for column {col!r}; known: {', '.join(KINDS)}")
    if id_column not in df.columns:
        raise KeyError(f"no id column {id_column!r} in the DataFrame")
    rs = RecordSet(
        default_region=default_region,
        date_format=date_format,
        composites=[list(c) for c in composites],
        single_keys=list(single_keys) if single_keys is not None else None,
    )
    wanted = [id_column, *columns.keys()] + ([region_column] if region_column else [])
    for row in df[wanted].itertuples(index=False, name=None):
        record_id, values = row[0], row[1 : 1 + len(columns)]
        region = row[-1] if region_column else None
        if region is not None and (pd.isna(region) or str(region).strip() == ""):
            region = None
        fields: Dict[str, List[Union[str, Tuple[str, Optional[str]]]]] = {}
        for (col, kind), value in zip(columns.items(), values):
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                continue
            text = str(value)
            if not text.strip():
                continue
            entry: Union[str, Tuple[str, Optional[str]]] = (text, str(region)) if region and kind in ("phone", "document") else text
            fields.setdefault(kind, []).append(entry)
        rs.add(str(record_id), **fields)
    return rs


def record_matches_to_dataframe(party: Union[Initiator, Responder]) -> "pd.DataFrame":
    """Returns a finished party's record matches as a DataFrame with columns
    ``record_id`` and ``kinds`` (a comma-separated string), one row per
    matched record."""
    pd = _pandas()
    rows = [(record_id, ",".join(kinds)) for record_id, kinds in party.record_matches]
    return pd.DataFrame(rows, columns=["record_id", "kinds"])


def errors_to_dataframe(rs: RecordSet) -> "pd.DataFrame":
    """Returns a RecordSet's unusable values as a DataFrame
    (``record_id``, ``field``, ``message``)."""
    pd = _pandas()
    return pd.DataFrame(rs.errors, columns=["record_id", "field", "message"])


__all__ = ["record_set_from_dataframe", "record_matches_to_dataframe", "errors_to_dataframe"]
