"""Partitioned sessions on Spark (DESIGN §7.2): ``pip install 'blindmatch[spark]'``.

The same contract as :mod:`blindmatch.dask`, with Spark DataFrames: each
party runs on its own Spark application; the parties exchange part files
and manifests through a directory at an fsspec URL, which the driver and
the executors both reach. The party's secret goes to its own executors
only, inside the closures its own driver ships.

    import blindmatch.spark as bms
    a = bms.Initiator(df_a, column="key", exchange="s3://bucket/case-17")
    a.request()
    b = bms.Responder(df_b, column="key", exchange="s3://bucket/case-17")
    b.respond()
    matched_a = a.finish()   # Spark DataFrame: A's rows whose key is shared
    matched_b = b.finish()

Keys are str or bytes (rows with a missing key take no part). Steps use
pandas UDFs (``mapInPandas``, ``applyInPandas``, ``cogroup``), so the
executors need pandas and pyarrow, and blindmatch installed in the Python
they run (``PYSPARK_PYTHON``). ``parts`` defaults to the DataFrame's
partition count; ``scratch`` is a directory this party's executors share
and the peer cannot read (default: a fresh local temporary directory,
which suits local mode; give a URL on a real cluster).
"""

from __future__ import annotations

import contextlib
import re
from typing import Any, Callable, Iterator, List, Tuple

from . import _engines as e
from . import _errors

try:
    import pandas as pd  # type: ignore[import-untyped,unused-ignore]
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import LongType, StructField, StructType
except ImportError as _e:  # pragma: no cover - exercised without the extra
    raise ImportError("blindmatch.spark needs PySpark: pip install 'blindmatch[spark]'") from _e

_INFO_SCHEMA = "kind string, index long, count long, hash binary, session binary"
_VALUES_SCHEMA = ", ".join(f"{c} long" for c in e.VALUE_COLUMNS)


def _call(task: Tuple[Callable[..., Any], Tuple[Any, ...]]) -> Any:
    fn, args = task
    return fn(*args)


# The last line of an executor's Python traceback, as Spark relays it.
_RAISED = re.compile(r"(?m)^(?:blindmatch\._errors\.(\w+Error)|(TypeError|KeyError)): (.*)$")


@contextlib.contextmanager
def _typed_errors() -> Iterator[None]:
    """Spark relays an executor's exception as text (a PythonException or a
    Py4JJavaError); this raises the blindmatch error (or the TypeError) the
    executor raised, with its message, so callers catch the same classes
    as with one process or Dask."""
    try:
        yield
    except Exception as exc:
        found = _RAISED.findall(str(exc))
        if not found:
            raise
        ours, builtin, message = found[-1]
        cls = getattr(_errors, ours, None) if ours else {"TypeError": TypeError, "KeyError": KeyError}[builtin]
        if not (isinstance(cls, type) and issubclass(cls, Exception)):
            raise
        raise cls(message) from exc


class _Spark(e.Engine):
    def __init__(self, df: "DataFrame", column: str) -> None:
        if not isinstance(df, DataFrame):
            raise TypeError(f"expected a Spark DataFrame, not {type(df).__name__}")
        e.check_column(df.columns, column)
        self.df = df
        self.column = column
        self.spark: SparkSession = df.sparkSession

    def parts_hint(self) -> int:
        return int(self.df.rdd.getNumPartitions())

    def _keyed(self, secret: e.WorkerSecret) -> "DataFrame":
        column = self.column

        def assign(frames: Iterator["pd.DataFrame"]) -> Iterator["pd.DataFrame"]:
            for pdf in frames:
                yield e.assign_parts(pdf, secret, column, keep_index=False)

        schema = StructType(list(self.df.schema.fields) + [StructField(e.PART_COLUMN, LongType(), False)])
        return self.df.mapInPandas(assign, schema=schema)

    def blind(self, secret: e.WorkerSecret, parts: int, kind: e.Kind, exchange: e.Exchange) -> List[e.Info]:
        column = self.column

        def blind(key: Tuple[Any, ...], pdf: "pd.DataFrame") -> "pd.DataFrame":
            info = e.blind_part(secret, kind, int(key[0]), pdf[column].tolist(), column, exchange)
            return pd.DataFrame([info], columns=["kind", "index", "count", "hash", "session"])

        with _typed_errors():
            rows = self._keyed(secret).groupBy(e.PART_COLUMN).applyInPandas(blind, schema=_INFO_SCHEMA).collect()
        return [(str(r["kind"]), int(r["index"]), int(r["count"]), bytes(r["hash"]), bytes(r["session"])) for r in rows]

    def run(self, tasks: List[Tuple[Callable[..., Any], Tuple[Any, ...]]]) -> List[Any]:
        if not tasks:
            return []
        with _typed_errors():
            return self.spark.sparkContext.parallelize(tasks, len(tasks)).map(_call).collect()

    def _values(self, secret: e.WorkerSecret, side: e.Side) -> "DataFrame":
        kind, n, at = side

        def values(frames: Iterator["pd.DataFrame"]) -> Iterator["pd.DataFrame"]:
            for pdf in frames:
                for index in pdf["id"].tolist():
                    yield e.values_frame(secret, kind, int(index), at)

        slices = max(1, min(n, self.spark.sparkContext.defaultParallelism * 4))
        return self.spark.range(0, n, 1, slices).mapInPandas(values, schema=_VALUES_SCHEMA)

    def matched(self, secret: e.WorkerSecret, probe: e.Side, build: e.Side, parts: int) -> Tuple["DataFrame", int]:
        column = self.column
        joined = self._values(secret, probe).join(self._values(secret, build).select("v0", "v1"), ["v0", "v1"], "inner")
        # Computed now and cut from the files it read: they may go (scratch)
        # once finish returns.
        with _typed_errors():
            joined = joined.select("part", "pos", "count").localCheckpoint(eager=True)
            cardinality = int(joined.count())

        def select(key: Tuple[Any, ...], rows: "pd.DataFrame", matched: "pd.DataFrame") -> "pd.DataFrame":
            out = e.matched_rows(secret, int(key[0]), rows, matched, column)
            return out.drop(columns=[e.PART_COLUMN], errors="ignore")

        keyed = self._keyed(secret)
        out = keyed.groupBy(e.PART_COLUMN).cogroup(joined.groupBy("part")).applyInPandas(select, schema=self.df.schema)
        return out, cardinality

    def empty(self) -> "DataFrame":
        return self.spark.createDataFrame([], self.df.schema)


class Initiator(e.InitiatorSteps):
    """The initiator of a partitioned session on Spark: ``request()``, then
    ``finish()``, which returns a Spark DataFrame of this party's matched rows.
    Arguments: :class:`blindmatch._engines.Party`; see the module doc."""

    _engine_class = _Spark


class Responder(e.ResponderSteps):
    """The responder of a partitioned session on Spark: ``respond()``, then
    ``finish()`` (when the output is both parties'), which returns a Spark DataFrame
    of this party's matched rows. Arguments:
    :class:`blindmatch._engines.Party`; see the module doc."""

    _engine_class = _Spark


__all__ = ["Initiator", "Responder"]
