"""Partitioned sessions on Dask (DESIGN §7.2): ``pip install 'blindmatch[dask]'``.

Each party runs on its own Dask cluster (the active ``distributed.Client``,
or Dask's local scheduler without one); the parties exchange part files and
manifests through a directory at an fsspec URL. The party's secret goes to
its own workers only, inside the task graph its own scheduler runs.

    import blindmatch.dask as bmd
    a = bmd.Initiator(ddf_a, column="key", exchange="file:///x/exchange")
    a.request()            # writes request parts + manifest
    b = bmd.Responder(ddf_b, column="key", exchange="file:///x/exchange")
    b.respond()            # reads them, writes response parts + manifest
    matched_a = a.finish() # Dask DataFrame: A's rows whose key is shared; writes finish parts
    matched_b = b.finish() # B's rows whose key is shared

Keys are str or bytes (rows with a missing key take no part). The results
equal the one-process protocol's on the same keys, for every part count.
The matched rows keep their columns and index; ``cardinality`` is the
number of distinct shared keys. In cardinality mode ``finish()`` returns no
rows.

``parts`` (default: the DataFrame's partition count) sets how many parts the
party's rows are split into; about 2^18 to 2^20 rows per part suits a
worker with a few GiB. ``scratch`` is a directory this party's workers share
and the peer cannot read (default: a fresh local temporary directory, which
suits a LocalCluster; give a URL on a multi-machine cluster).
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import _engines as e

try:
    import dask as _dask
    import dask.dataframe as _dd
    import pandas as _pd  # type: ignore[import-untyped,unused-ignore]
except ImportError as _e:  # pragma: no cover - exercised without the extra
    raise ImportError("blindmatch.dask needs Dask: pip install 'blindmatch[dask]'") from _e

# Dask's API is untyped: these names are Any to mypy.
dask: Any = _dask
dd: Any = _dd
pd: Any = _pd


def _assign(pdf: Any, secret: e.WorkerSecret, column: str) -> Any:
    return e.assign_parts(pdf, secret, column, keep_index=True)


def _blind(pdf: Any, secret: e.WorkerSecret, kind: e.Kind, column: str, exchange: e.Exchange, partition_info: Optional[Dict[str, Any]] = None) -> Any:
    index = _number(partition_info)
    # A failure is returned, not raised: a raised one would end the step
    # while other partitions still write parts (see _engines.run_all).
    ok, out = e.settle(e.blind_part, secret, kind, index, pdf[column].tolist(), column, exchange)
    if not ok:
        return pd.DataFrame({"kind": [""], "index": [index], "count": [0], "hash": [b""], "session": [b""], "error": [out]})
    kind_, index, count, digest, session = out
    return pd.DataFrame({"kind": [kind_], "index": [index], "count": [count], "hash": [digest], "session": [session], "error": [None]})


def _values(index: int, secret: e.WorkerSecret, kind: e.Kind, source: e.Exchange) -> Any:
    return e.values_frame(secret, kind, index, source)


def _rows(
    rows: Any, matched: Any, secret: e.WorkerSecret, column: str, index_name: Any,
    partition_info: Optional[Dict[str, Any]] = None,
) -> Any:
    out = e.matched_rows(secret, _number(partition_info), rows, matched, column)
    out = out.set_index(e.INDEX_COLUMN)
    out.index.name = index_name
    return out


def _number(partition_info: Optional[Dict[str, Any]]) -> int:
    if partition_info is None:  # pragma: no cover - Dask always passes it to these
        raise RuntimeError("Dask did not pass partition_info")
    return int(partition_info["number"])


def _call(task: Tuple[Callable[..., Any], Tuple[Any, ...]]) -> Any:
    fn, args = task
    return fn(*args)


class _Dask(e.Engine):
    def __init__(self, ddf: Any, column: str) -> None:
        if not isinstance(ddf, dd.DataFrame):
            raise TypeError(f"expected a Dask DataFrame, not {type(ddf).__name__}")
        e.check_column(ddf.columns, column)
        self.ddf = ddf
        self.column = column
        self._by_part: Optional[Tuple[int, Any]] = None

    def parts_hint(self) -> int:
        return int(self.ddf.npartitions)

    def _rows_by_part(self, secret: e.WorkerSecret, parts: int) -> Any:
        """Partition i holds the rows of part i (one shuffle per session)."""
        if self._by_part is None or self._by_part[0] != parts:
            meta = self.ddf._meta.assign(**{e.PART_COLUMN: pd.Series([], dtype="int64"), e.INDEX_COLUMN: self.ddf._meta.index.to_numpy()})
            keyed = self.ddf.map_partitions(_assign, secret, self.column, meta=meta)
            self._by_part = (parts, keyed.set_index(e.PART_COLUMN, divisions=list(range(parts + 1))))
        return self._by_part[1]

    def blind(self, secret: e.WorkerSecret, parts: int, kind: e.Kind, exchange: e.Exchange) -> List[e.Info]:
        rows = self._rows_by_part(secret, parts)
        meta = {"kind": "object", "index": "int64", "count": "int64", "hash": "object", "session": "object", "error": "object"}
        infos = rows.map_partitions(_blind, secret, kind, self.column, exchange, meta=meta).compute()
        for error in infos["error"]:
            if error is not None:
                raise error
        return [(str(k), int(i), int(c), bytes(h), bytes(s)) for k, i, c, h, s, _ in infos.itertuples(index=False, name=None)]

    def run(self, tasks: List[Tuple[Callable[..., Any], Tuple[Any, ...]]]) -> List[Any]:
        return list(dask.compute(*[dask.delayed(_call, pure=False)(t) for t in tasks]))

    def matched(self, secret: e.WorkerSecret, probe: e.Side, build: e.Side, parts: int) -> Tuple[Any, int]:
        meta = pd.DataFrame({c: pd.Series([], dtype="int64") for c in e.VALUE_COLUMNS})
        kind, n, at = probe
        ours = dd.from_map(functools.partial(_values, secret=secret, kind=kind, source=at), range(n), meta=meta)
        kind, n, at = build
        theirs = dd.from_map(functools.partial(_values, secret=secret, kind=kind, source=at), range(n), meta=meta)
        joined = ours.merge(theirs[["v0", "v1"]], on=["v0", "v1"], how="inner")[["part", "pos", "count"]]
        joined = joined.set_index("part", divisions=list(range(parts + 1)))
        # Computed now: the files it reads may go (scratch) once finish returns.
        (joined,) = dask.persist(joined)
        _wait(joined)
        cardinality = int(len(joined))
        rows = self._rows_by_part(secret, parts)
        meta_rows = self.ddf._meta
        out = dd.map_partitions(_rows, rows, joined, secret, self.column, self.ddf._meta.index.name, meta=meta_rows, align_dataframes=False)
        return out, cardinality

    def empty(self) -> Any:
        return dd.from_pandas(self.ddf._meta, npartitions=1)


def _wait(collection: Any) -> None:
    try:
        import distributed as _distributed
    except ImportError:  # pragma: no cover - dask without distributed computes persist() at once
        return
    dist: Any = _distributed
    try:
        dist.default_client()
    except ValueError:
        return
    dist.wait(collection)


class Initiator(e.InitiatorSteps):
    """The initiator of a partitioned session on Dask: ``request()``, then
    ``finish()``, which returns a Dask DataFrame of this party's matched rows.
    Arguments: :class:`blindmatch._engines.Party`; see the module doc."""

    _engine_class = _Dask


class Responder(e.ResponderSteps):
    """The responder of a partitioned session on Dask: ``respond()``, then
    ``finish()`` (when the output is both parties'), which returns a Dask DataFrame
    of this party's matched rows. Arguments:
    :class:`blindmatch._engines.Party`; see the module doc."""

    _engine_class = _Dask


__all__ = ["Initiator", "Responder"]
