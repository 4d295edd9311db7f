"""What :mod:`blindmatch.dask` and :mod:`blindmatch.spark` share (DESIGN §7.2).

The two modules are thin layers over the part-level steps of
:mod:`blindmatch.partition`: they split a party's rows into parts with its
keyed hash, run one part-level step per part on the engine's workers, let
the engine join the comparison values, and move part files and manifests
through an *exchange* directory at an fsspec URL. This module holds the
order of the steps (the coordinator, :class:`Party`) and the functions the
workers run; each engine supplies four operations (:class:`Engine`). No
protocol logic lives here: every check is the core's.

Where things go:

* ``exchange``: what the peer receives (part files and manifests). A
  step's manifest is written after all its parts, so a manifest present
  means the step is complete.
* ``scratch``: what this party's own workers share and the peer must never
  see (cardinality mode's aligned values before mixing, and the finish
  parts when only the initiator learns the output).
"""

from __future__ import annotations

import os
import posixpath
import secrets
import shutil
import tempfile
import time
from typing import Any, Callable, Dict, Iterable, List, Literal, Optional, Sequence, Tuple, Union

from ._blindmatch import (
    PartySecret,
    count_part,
    elements_part,
    finish_part,
    matches_part,
    mix_part,
    part_info,
    part_values,
    reblind_part,
    request_part,
)
from ._errors import StateError, error_class

PART_COLUMN = "_bm_part"
"""The column holding each row's part while the engine groups rows."""

INDEX_COLUMN = "_bm_index"
"""The column holding a pandas-backed row's original index (Dask)."""

VALUE_COLUMNS = ("part", "pos", "count", "v0", "v1")
"""The comparison values of a part as rows: the part, the position in the
part's canonical order, the part's item count and the 128-bit value as two
signed 64-bit halves (Spark has no unsigned type)."""

Info = Tuple[str, int, int, bytes, bytes]
Kind = Literal["request", "elements", "reblinded", "finish"]
Reveal = Literal["intersection", "cardinality"]
Output = Literal["both", "initiator"]


class WorkerSecret:
    """A party's secret on its way to its own workers: ``repr`` shows no
    key material, and Dask's task names do not hash it (a random token
    stands in). The bytes live in Python memory, which cannot be zeroized;
    the Rust secret each task opens from them is."""

    __slots__ = ("_bytes", "_token")

    def __init__(self, secret: PartySecret) -> None:
        self._bytes = secret.to_bytes()
        self._token = secrets.token_hex(16)

    def open(self) -> PartySecret:
        return PartySecret.from_bytes(self._bytes)

    def __repr__(self) -> str:
        return "WorkerSecret(<redacted>)"

    def __dask_tokenize__(self) -> str:
        return self._token

    def __getstate__(self) -> Tuple[bytes, str]:
        return (self._bytes, self._token)

    def __setstate__(self, state: Tuple[bytes, str]) -> None:
        self._bytes, self._token = state


class Exchange:
    """A directory of part files and manifests at an fsspec URL (a local
    path, ``file://``, ``s3://``, ``gs://`` ...) that every worker reaches
    (so not ``memory://``, which is one process's). Picklable: workers open
    their own file system from the URL and ``storage_options``."""

    def __init__(self, url: str, storage_options: Optional[Dict[str, Any]] = None) -> None:
        if not isinstance(url, str) or not url:
            raise TypeError("exchange must be a URL or path (str)")
        if "://" not in url:
            # A relative path means the same directory to every worker.
            url = os.path.abspath(os.fspath(url))
        self.url = url.rstrip("/") or url
        self.storage_options = dict(storage_options or {})
        self._fs: Any = None
        self._root = ""

    def __getstate__(self) -> Tuple[str, Dict[str, Any]]:
        return (self.url, self.storage_options)

    def __setstate__(self, state: Tuple[str, Dict[str, Any]]) -> None:
        self.url, self.storage_options = state
        self._fs, self._root = None, ""

    def __repr__(self) -> str:
        return f"Exchange({self.url!r})"

    def _open(self) -> Tuple[Any, str]:
        if self._fs is None:
            try:
                from fsspec.core import url_to_fs  # type: ignore[import-untyped,unused-ignore]
            except ImportError as e:  # pragma: no cover - fsspec comes with both extras
                raise ImportError("the exchange needs fsspec: pip install 'blindmatch[dask]' or 'blindmatch[spark]'") from e
            self._fs, self._root = url_to_fs(self.url, **self.storage_options)
        return self._fs, self._root

    def _path(self, name: str) -> str:
        fs, root = self._open()
        return posixpath.join(root, name) if root else name

    @staticmethod
    def part_name(kind: str, index: int) -> str:
        return f"{kind}/part-{index:05d}.bm"

    @staticmethod
    def manifest_name(kind: str) -> str:
        return f"{kind}/manifest.bm"

    def write(self, name: str, data: bytes, atomic: bool = False) -> None:
        """Writes a file; ``atomic``: under a temporary name first, then
        renamed, so that a peer polling for it never reads half of it."""
        fs, _ = self._open()
        path = self._path(name)
        fs.makedirs(posixpath.dirname(path), exist_ok=True)
        if not atomic:
            fs.pipe_file(path, bytes(data))
            return
        staging = f"{path}.{secrets.token_hex(8)}.partial"
        fs.pipe_file(staging, bytes(data))
        fs.mv(staging, path)

    def read(self, name: str) -> bytes:
        fs, _ = self._open()
        try:
            return bytes(fs.cat_file(self._path(name)))
        except FileNotFoundError:
            raise error_class("missing_part")(f"{name} is missing from {self.url}") from None

    def exists(self, name: str) -> bool:
        fs, _ = self._open()
        return bool(fs.exists(self._path(name)))

    def clear(self, kind: str) -> None:
        """Removes a step's directory (parts of an earlier session)."""
        fs, _ = self._open()
        path = self._path(kind)
        if fs.exists(path):
            fs.rm(path, recursive=True)

    def write_part(self, kind: str, index: int, part: bytes) -> Info:
        self.write(self.part_name(kind, index), part)
        return info(part)

    def read_part(self, kind: str, index: int) -> bytes:
        return self.read(self.part_name(kind, index))


def info(part: bytes) -> Info:
    kind, index, count, digest, session = part_info(part)
    return (kind, index, count, bytes(digest), bytes(session))


# ---------------------------------------------------------------------------
# What the workers run: each a pure function of (secret, index, bytes).


def keys_of(values: Sequence[Any], column: str) -> List[Union[str, bytes]]:
    """The column's values as items: str or bytes only, so that 1, 1.0 and
    "1" never match by accident."""
    out = list(values)
    for v in out:
        if not isinstance(v, (str, bytes)):
            raise TypeError(
                f"column {column!r} holds a {type(v).__name__}; blindmatch matches str or bytes keys "
                f"(convert the column first, e.g. with .astype(str))"
            )
    return out


def assign_parts(pdf: Any, secret: WorkerSecret, column: str, keep_index: bool) -> Any:
    """A pandas frame's rows with a key, each with its part (rows whose key
    is missing take no part: they cannot match)."""
    pdf = pdf[pdf[column].notna()]
    parts = secret.open().parts_of(keys_of(pdf[column].tolist(), column))
    extra: Dict[str, Any] = {PART_COLUMN: parts}
    if keep_index:
        extra[INDEX_COLUMN] = pdf.index.to_numpy()
    return pdf.assign(**extra).astype({PART_COLUMN: "int64"})


def blind_part(secret: WorkerSecret, kind: Kind, index: int, keys: Sequence[Any], column: str, exchange: Exchange) -> Info:
    """The request or elements part of a part's keys, written to the exchange."""
    step = request_part if kind == "request" else elements_part
    return exchange.write_part(kind, index, step(secret.open(), index, keys_of(keys, column)))


def map_part(
    secret: WorkerSecret, step: str, index: int, source: Exchange, kind_in: str, target: Exchange, kind_out: str
) -> Info:
    """Reblinds a request part or finishes an elements part."""
    fn = reblind_part if step == "reblind" else finish_part
    return target.write_part(kind_out, index, fn(secret.open(), index, source.read_part(kind_in, index)))


def mix_buckets(
    secret: WorkerSecret, kind: Kind, buckets: Sequence[int], aligned: int, scratch: Exchange, target: Exchange
) -> List[Info]:
    """Cardinality mode: mixes all aligned parts (in the party's scratch)
    into the given buckets, written to ``target``."""
    s = secret.open()
    parts = [scratch.read_part("aligned-" + kind, i) for i in range(aligned)]
    return [target.write_part(kind, k, mix_part(s, kind, k, parts)) for k in buckets]


def count_bucket(secret: WorkerSecret, bucket: int, reblinded: Exchange, finish: Exchange) -> int:
    """Cardinality mode: the matches in one bucket."""
    return count_part(secret.open(), bucket, reblinded.read_part("reblinded", bucket), finish.read_part("finish", bucket))


def values_frame(secret: WorkerSecret, kind: Kind, index: int, source: Exchange) -> Any:
    """A part's comparison values as a pandas frame (:data:`VALUE_COLUMNS`)."""
    import numpy as np
    import pandas as pd  # type: ignore[import-untyped,unused-ignore]

    values = part_values(secret.open(), kind, index, source.read_part(kind, index))
    n = len(values)
    halves = np.frombuffer(b"".join(values), dtype="<i8").reshape(n, 2) if n else np.zeros((0, 2), dtype="<i8")
    return pd.DataFrame(
        {
            "part": np.full(n, index, dtype="int64"),
            "pos": np.arange(n, dtype="int64"),
            "count": np.full(n, n, dtype="int64"),
            "v0": halves[:, 0].astype("int64"),
            "v1": halves[:, 1].astype("int64"),
        }
    )


def matched_rows(secret: WorkerSecret, index: int, rows: Any, matched: Any, column: str) -> Any:
    """A part's rows whose key is shared, given the joined positions of the
    part (``matched``: rows of ``pos`` and ``count``) and the part's rows."""
    if len(matched) == 0 or len(rows) == 0:
        return rows.iloc[0:0]
    flags = [False] * int(matched["count"].iloc[0])
    for p in matched["pos"].tolist():
        flags[p] = True
    at = matches_part(secret.open(), index, keys_of(rows[column].tolist(), column), flags)
    return rows.iloc[at]


# ---------------------------------------------------------------------------
# The coordinator.


Side = Tuple[Kind, int, Exchange]
"""One side of the join: a step's kind, its part count and where its parts are."""


def settle(fn: Callable[..., Any], *args: Any) -> Tuple[bool, Any]:
    """Runs one task on a worker and returns (True, result) or (False, the
    exception), so that a failing task does not end the step early."""
    try:
        return True, fn(*args)
    except Exception as exc:  # noqa: BLE001 - re-raised by run_all and the Dask blind step
        return False, exc


def run_all(engine: "Engine", tasks: List[Tuple[Callable[..., Any], Tuple[Any, ...]]]) -> List[Any]:
    """Runs ``tasks`` on ``engine`` and returns their results in order. When
    a task fails, this waits for every other task to end before raising
    the first failure: the engines return at the first failed task while
    the others go on writing parts, and a caller that retries the step
    (clearing the directory first) would race with them."""
    settled = engine.run([(settle, (fn, *args)) for fn, args in tasks])
    for ok, value in settled:
        if not ok:
            raise value
    return [value for _, value in settled]


class Engine:
    """What an engine supplies to :class:`Party`."""

    def parts_hint(self) -> int:
        """A default part count (the engine's partition count)."""
        raise NotImplementedError

    def blind(self, secret: WorkerSecret, parts: int, kind: Kind, exchange: Exchange) -> List[Info]:
        """Groups the rows into ``parts`` parts and runs :func:`blind_part`
        on each non-empty one; returns the infos of the parts written."""
        raise NotImplementedError

    def run(self, tasks: List[Tuple[Callable[..., Any], Tuple[Any, ...]]]) -> List[Any]:
        """Runs independent tasks on the workers; returns their results in order."""
        raise NotImplementedError

    def matched(self, secret: WorkerSecret, probe: Side, build: Side, parts: int) -> Tuple[Any, int]:
        """Joins the comparison values of this party's probe parts with the
        build parts; returns (the engine's frame of matched rows, the
        number of distinct matched items)."""
        raise NotImplementedError

    def empty(self) -> Any:
        """The engine's frame of this party's columns with no rows."""
        raise NotImplementedError


class Party:
    """One party of a partitioned session on an engine. The engine modules
    subclass :class:`InitiatorSteps` and :class:`ResponderSteps` as
    ``Initiator`` and ``Responder``, naming their :class:`Engine`.

    ``frame``: the party's DataFrame; ``column``: the key column (str or
    bytes values); ``exchange``: the exchange directory's fsspec URL;
    ``reveal``, ``output``: the session's mode, as in one-process PSI;
    ``parts``: how many parts this party's rows are split into (default:
    the DataFrame's partition count); ``max_peer_items``,
    ``min_peer_items``: limits on the peer's set size, checked before any
    group operation; ``storage_options``: for fsspec (credentials ...);
    ``scratch``: a directory this party's workers share and the peer cannot
    read (default: a local temporary directory, made when first needed)."""

    _role = ""
    _engine_class: Callable[[Any, str], Engine]

    def __init__(
        self,
        frame: Any,
        column: str,
        exchange: str,
        reveal: Reveal = "intersection",
        output: Output = "both",
        *,
        parts: Optional[int] = None,
        max_peer_items: Optional[int] = None,
        min_peer_items: int = 0,
        storage_options: Optional[Dict[str, Any]] = None,
        scratch: Optional[str] = None,
    ) -> None:
        if reveal not in ("intersection", "cardinality"):
            raise ValueError(f"reveal must be 'intersection' or 'cardinality', not {reveal!r}")
        if output not in ("both", "initiator"):
            raise ValueError(f"output must be 'both' or 'initiator', not {output!r}")
        if parts is not None and (not isinstance(parts, int) or isinstance(parts, bool) or parts < 1):
            raise ValueError("parts must be a positive int")
        self._engine = type(self)._engine_class(frame, column)
        self._exchange = Exchange(exchange, storage_options)
        self._scratch_at = Exchange(scratch) if scratch is not None else None
        self._own_scratch: Optional[str] = None
        self._reveal = reveal
        self._output = output
        self._parts = parts
        self._limits = (max_peer_items, min_peer_items)
        self._secret: Optional[PartySecret] = None
        self._cardinality: Optional[int] = None
        self._done = False
        self._manifests: Dict[str, bytes] = {}

    @property
    def exchange(self) -> str:
        """The exchange directory's URL."""
        return self._exchange.url

    @property
    def session_id(self) -> bytes:
        """The session id (once the session has started)."""
        return self._need_secret().session_id

    @property
    def cardinality(self) -> int:
        """The number of distinct shared keys (after ``finish``)."""
        if self._cardinality is None:
            raise StateError("the session has not finished")
        return self._cardinality

    @property
    def _scratch(self) -> Exchange:
        """The party-private directory (a local temporary one, made on first
        use, unless ``scratch=`` named one)."""
        if self._scratch_at is None:
            self._own_scratch = tempfile.mkdtemp(prefix="blindmatch-scratch-")
            self._scratch_at = Exchange(self._own_scratch)
        return self._scratch_at

    def _need_secret(self) -> PartySecret:
        if self._secret is None:
            raise StateError("the session has not started")
        return self._secret

    def _part_count(self) -> int:
        return self._parts if self._parts is not None else max(1, self._engine.parts_hint())

    def _worker_secret(self) -> WorkerSecret:
        return WorkerSecret(self._need_secret())

    def _blind(self, kind: Kind) -> None:
        """Writes this party's request or elements parts, then keeps their
        manifest (written to the exchange by the caller, after all parts)."""
        secret = self._need_secret()
        self._exchange.clear(kind)
        ws = self._worker_secret()
        infos = self._engine.blind(ws, secret.parts, kind, self._exchange)
        written = {i[1] for i in infos}
        # A part no row hashed to is still a part: empty, written here.
        for index in range(secret.parts):
            if index not in written:
                infos.append(blind_part(ws, kind, index, [], "", self._exchange))
        self._manifests[kind] = secret.manifest(kind, infos)

    def _step(self, step: str, kind_in: Kind, kind_out: Kind, target: Exchange) -> None:
        """Reblinds or finishes every part of the peer's ``kind_in`` step;
        in cardinality mode, mixes them into buckets before they go to
        ``target``. Keeps the step's manifest."""
        secret = self._need_secret()
        ws = self._worker_secret()
        count = secret.part_count(kind_in)
        target.clear(kind_out)
        if self._reveal == "intersection":
            infos = run_all(self._engine, [(map_part, (ws, step, i, self._exchange, kind_in, target, kind_out)) for i in range(count)])
        else:
            aligned = "aligned-" + kind_out
            self._scratch.clear(aligned)
            run_all(self._engine, [(map_part, (ws, step, i, self._exchange, kind_in, self._scratch, aligned)) for i in range(count)])
            buckets = secret.part_count(kind_out)
            groups = _groups(buckets, self._engine_tasks(buckets))
            infos = [i for g in run_all(self._engine, [(mix_buckets, (ws, kind_out, g, count, self._scratch, target)) for g in groups]) for i in g]
            self._scratch.clear(aligned)
        self._manifests[kind_out] = secret.manifest(kind_out, infos)

    def _engine_tasks(self, buckets: int) -> int:
        # Each mixing task reads every aligned part once: few tasks, each
        # making several buckets, keep that reading to a few passes.
        return max(1, min(buckets, 8))

    def _accept(self, kind: Kind, waiting_for: str, timeout: float) -> None:
        """Accepts the peer's manifest of ``kind``, waiting up to ``timeout``
        seconds for it to appear in the exchange."""
        name = Exchange.manifest_name(kind)
        _wait_for(self._exchange, name, timeout, f"the {kind} manifest is not in the exchange yet: {waiting_for}")
        self._need_secret().accept(self._exchange.read(name))

    def _publish(self, kind: Kind) -> None:
        self._exchange.write(Exchange.manifest_name(kind), self._manifests[kind], atomic=True)

    def _conclude(self, finish_at: Exchange) -> Any:
        """The join (intersection) or the per-bucket counts (cardinality),
        over the reblinded parts (in the exchange) and the finish parts (at
        ``finish_at``). Each party probes the values of its own items: the
        initiator's are the reblinded parts, the responder's the finish
        parts."""
        secret = self._need_secret()
        ws = self._worker_secret()
        reblinded: Side = ("reblinded", secret.part_count("reblinded"), self._exchange)
        finish: Side = ("finish", secret.part_count("finish"), finish_at)
        if self._reveal == "cardinality":
            counts = run_all(self._engine, [(count_bucket, (ws, k, self._exchange, finish_at)) for k in range(finish[1])])
            self._cardinality = int(sum(counts))
            result = self._engine.empty()
        else:
            probe, build = (reblinded, finish) if self._role == "initiator" else (finish, reblinded)
            result, self._cardinality = self._engine.matched(ws, probe, build, secret.parts)
        self._done = True
        self._cleanup()
        return result

    def _cleanup(self) -> None:
        if self._own_scratch is not None:
            shutil.rmtree(self._own_scratch, ignore_errors=True)


def _wait_for(exchange: Exchange, name: str, timeout: float, missing: str) -> None:
    """Waits up to ``timeout`` seconds for ``name`` to appear in the exchange."""
    deadline = time.monotonic() + max(0.0, timeout)
    while not exchange.exists(name):
        left = deadline - time.monotonic()
        if left <= 0:
            raise StateError(missing)
        time.sleep(min(0.5, left))


def _groups(n: int, tasks: int) -> List[List[int]]:
    """0..n in ``tasks`` contiguous groups."""
    size = -(-n // tasks)
    return [list(range(s, min(n, s + size))) for s in range(0, n, size)]


class InitiatorSteps(Party):
    """The initiator's steps (DESIGN §7.2): ``request()``, then ``finish()``."""

    _role = "initiator"

    def request(self) -> None:
        """Splits the rows into parts, blinds them on the workers and writes
        the request parts and manifest to the exchange."""
        if self._secret is not None:
            raise StateError("request() was already called")
        most, least = self._limits
        self._secret = PartySecret.initiator(self._part_count(), self._reveal, self._output, most, least)
        # One exchange directory per session: an earlier session's files go.
        for kind in ("elements", "reblinded", "finish"):
            self._exchange.clear(kind)
        self._blind("request")
        self._publish("request")

    def finish(self, timeout: float = 0) -> Any:
        """Reads the responder's parts, finishes them (writing the finish
        parts to the exchange when the responder learns the output too) and
        returns this party's matched rows as the engine's DataFrame (no rows
        in cardinality mode: read ``cardinality``).

        The responder publishes its elements before it reblinds, so a
        ``finish`` started while ``respond`` runs finishes the elements
        meanwhile; ``timeout`` is how many seconds to wait for each of the
        responder's manifests to appear (0: they must be there)."""
        self._need_secret()
        if self._done:
            raise StateError("finish() was already called")
        self._accept("elements", "run the responder's respond() first", timeout)
        finish_at = self._exchange if self._output == "both" else self._scratch
        self._step("finish", "elements", "finish", finish_at)
        if self._output == "both":
            self._publish("finish")
        self._accept("reblinded", "the responder's respond() has not finished", timeout)
        return self._conclude(finish_at)


class ResponderSteps(Party):
    """The responder's steps (DESIGN §7.2): ``respond()``, then ``finish()``
    when the output is both parties'."""

    _role = "responder"

    def respond(self, timeout: float = 0) -> None:
        """Reads the request, blinds this party's rows and reblinds the
        request's parts on the workers, and writes the elements and
        reblinded parts and manifests to the exchange. ``timeout``: seconds
        to wait for the request manifest to appear (0: it must be there)."""
        if self._secret is not None:
            raise StateError("respond() was already called")
        name = Exchange.manifest_name("request")
        _wait_for(self._exchange, name, timeout, "the request manifest is not in the exchange yet: run the initiator's request() first")
        most, least = self._limits
        self._secret = PartySecret.responder(self._exchange.read(name), self._part_count(), self._reveal, self._output, most, least)
        self._blind("elements")
        # The initiator can finish these while the request is reblinded.
        self._publish("elements")
        self._step("reblind", "request", "reblinded", self._exchange)
        self._publish("reblinded")
        if self._output == "initiator":
            self._done = True
            self._cleanup()

    def finish(self, timeout: float = 0) -> Any:
        """Reads the initiator's finish parts and returns this party's
        matched rows as the engine's DataFrame (no rows in cardinality
        mode: read ``cardinality``). ``timeout``: seconds to wait for the
        finish manifest to appear in the exchange (0: it must be there)."""
        self._need_secret()
        if self._output == "initiator":
            raise StateError("the session's output is for the initiator only: the responder learns nothing")
        if self._done:
            raise StateError("finish() was already called")
        self._accept("finish", "run the initiator's finish() first", timeout)
        return self._conclude(self._exchange)


def check_column(columns: Iterable[str], column: str) -> None:
    if column not in list(columns):
        raise KeyError(f"no column {column!r} in the DataFrame")
    if column in (PART_COLUMN, INDEX_COLUMN):
        raise ValueError(f"{column!r} is a name blindmatch uses for its own column")

