"""blindmatch.dask and blindmatch.spark (DESIGN §7.2), run for real: Dask on
a distributed LocalCluster (2 worker processes), Spark in local mode. The
results equal the one-process protocol's; parts out of place are typed
errors; the secret stays with the party."""

import os
import pathlib
import random
import sys
import threading

import pytest

import blindmatch as bm

pd = pytest.importorskip("pandas")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
pyspark_sql = pytest.importorskip("pyspark.sql")

import blindmatch.dask as bmd  # noqa: E402
import blindmatch.spark as bms  # noqa: E402

MODES = [(r, o) for r in ("intersection", "cardinality") for o in ("both", "initiator")]


@pytest.fixture(scope="module")
def dask_client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def spark():
    # The executors' Python must be this one (it has blindmatch installed).
    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (
        pyspark_sql.SparkSession.builder.master("local[2]")
        .appName("blindmatch-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


class DaskEngine:
    module = bmd

    def __init__(self, client):
        self.client = client

    def frame(self, pdf, partitions):
        return dd.from_pandas(pdf, npartitions=partitions)

    def rows(self, result):
        return result.compute()


class SparkEngine:
    module = bms

    def __init__(self, session):
        self.session = session

    def frame(self, pdf, partitions):
        return self.session.createDataFrame(pdf).repartition(partitions)

    def rows(self, result):
        return result.toPandas()


@pytest.fixture(params=["dask", "spark"])
def engine(request):
    if request.param == "dask":
        return DaskEngine(request.getfixturevalue("dask_client"))
    return SparkEngine(request.getfixturevalue("spark"))


def run(engine, a, b, exchange, reveal="intersection", output="both", parts=(4, 3), partitions=(3, 2)):
    """Both parties through an engine: (A's rows, A's count), (B's ...)."""
    x = engine.module.Initiator(engine.frame(a, partitions[0]), "key", str(exchange), reveal, output, parts=parts[0])
    x.request()
    y = engine.module.Responder(engine.frame(b, partitions[1]), "key", str(exchange), reveal, output, parts=parts[1])
    y.respond()
    mine = engine.rows(x.finish()), x.cardinality
    if output == "initiator":
        with pytest.raises(bm.StateError, match="initiator only"):
            y.finish()
        return mine, None
    return mine, (engine.rows(y.finish()), y.cardinality)


def positions(rows):
    return sorted(rows["row"].tolist())


def frames(n, overlap, seed):
    rng = random.Random(seed)
    a_keys = [f"+4479{i:08}" for i in range(n)]
    b_keys = [f"+4479{i:08}" for i in range(n - overlap, 2 * n - overlap)]
    rng.shuffle(a_keys)
    rng.shuffle(b_keys)
    a = pd.DataFrame({"key": a_keys, "row": range(n), "case": ["A"] * n})
    b = pd.DataFrame({"key": b_keys, "row": range(n), "amount": [float(i) for i in range(n)]})
    return a, b


def test_engine_2_16_items_per_side_equals_one_process(engine, tmp_path, one_process):
    n = 1 << 16
    a, b = frames(n, overlap=5_000, seed=16)
    (mine, count), theirs = run(engine, a, b, tmp_path / "x", parts=(8, 6), partitions=(4, 4))
    (exp_a, card_a), (exp_b, card_b) = one_process(a["key"].tolist(), b["key"].tolist(), "intersection", "both")
    assert positions(mine) == exp_a and count == card_a == 5_000
    assert positions(theirs[0]) == exp_b and theirs[1] == card_b
    # Matched rows keep their columns (and, on Dask, their index).
    assert list(mine.columns) == ["key", "row", "case"] and list(theirs[0].columns) == ["key", "row", "amount"]
    if isinstance(engine, DaskEngine):
        assert sorted(mine.index.tolist()) == exp_a


@pytest.mark.parametrize("reveal,output", MODES)
def test_engine_every_mode_with_duplicates_and_missing_keys(engine, tmp_path, reveal, output, one_process):
    rng = random.Random(5)
    a_keys = [f"acct-{rng.randrange(400)}" for _ in range(300)] + [None]
    b_keys = [f"acct-{rng.randrange(400)}" for _ in range(250)] + [None, None]
    a = pd.DataFrame({"key": a_keys, "row": range(len(a_keys))})
    b = pd.DataFrame({"key": b_keys, "row": range(len(b_keys))})
    (mine, count), theirs = run(engine, a, b, tmp_path / "x", reveal, output, parts=(5, 1))
    expected = one_process([k for k in a_keys if k], [k for k in b_keys if k], reveal, output)
    # Rows with a missing key take no part; the rest keep their row numbers.
    present_a = [i for i, k in enumerate(a_keys) if k]
    present_b = [i for i, k in enumerate(b_keys) if k]
    assert count == expected[0][1]
    assert positions(mine) == [present_a[i] for i in expected[0][0]]
    if reveal == "cardinality":
        assert len(mine) == 0
    if output == "both":
        assert theirs[1] == expected[1][1]
        assert positions(theirs[0]) == [present_b[i] for i in expected[1][0]]


def test_engines_interoperate_through_one_exchange(dask_client, spark, tmp_path):
    """A Dask initiator and a Spark responder: the exchange is the contract."""
    a, b = frames(3_000, overlap=700, seed=3)
    x = bmd.Initiator(dd.from_pandas(a, npartitions=2), "key", str(tmp_path), parts=3)
    x.request()
    y = bms.Responder(spark.createDataFrame(b), "key", str(tmp_path), parts=2)
    y.respond()
    assert len(x.finish().compute()) == 700 and x.cardinality == 700
    assert y.finish().count() == 700 and y.cardinality == 700


def test_dask_initiator_finishes_while_the_responder_reblinds(dask_client, tmp_path):
    """The responder publishes its elements before reblinding; a finish
    started meanwhile waits for each manifest (timeout=) and overlaps."""
    a, b = frames(2_000, overlap=300, seed=4)
    x = bmd.Initiator(dd.from_pandas(a, npartitions=2), "key", str(tmp_path), parts=3)
    y = bmd.Responder(dd.from_pandas(b, npartitions=2), "key", str(tmp_path), parts=2)
    x.request()
    responding = threading.Thread(target=y.respond)
    responding.start()
    rows = x.finish(timeout=300).compute()
    responding.join()
    assert len(rows) == 300 and len(y.finish(timeout=5).compute()) == 300


def test_dask_exchange_as_a_file_url_or_a_relative_path(dask_client, tmp_path, monkeypatch):
    a, b = frames(300, overlap=40, seed=6)
    monkeypatch.chdir(tmp_path)
    for exchange, where in ((f"file://{tmp_path}/by-url", tmp_path / "by-url"), ("relative/dir", tmp_path / "relative" / "dir")):
        x = bmd.Initiator(dd.from_pandas(a, npartitions=2), "key", exchange, parts=2)
        x.request()
        y = bmd.Responder(dd.from_pandas(b, npartitions=2), "key", exchange, parts=2)
        y.respond()
        assert len(x.finish().compute()) == len(y.finish().compute()) == 40
        assert (where / "finish" / "manifest.bm").is_file()


def test_engine_refuses_parts_out_of_place(engine, tmp_path):
    a, b = frames(500, overlap=100, seed=9)
    ex = tmp_path / "x"
    x = engine.module.Initiator(engine.frame(a, 2), "key", str(ex), parts=3)
    x.request()
    # A part of another session's request, put in place of part 1.
    other = tmp_path / "other"
    engine.module.Initiator(engine.frame(a, 2), "key", str(other), parts=3).request()
    (ex / "request" / "part-00001.bm").write_bytes((other / "request" / "part-00001.bm").read_bytes())
    y = engine.module.Responder(engine.frame(b, 2), "key", str(ex), parts=2)
    with pytest.raises(bm.SessionMismatchError):
        y.respond()
    # Two parts swapped: each is refused at the other's place.
    x = engine.module.Initiator(engine.frame(a, 2), "key", str(ex), parts=3)
    x.request()
    p0, p2 = ex / "request" / "part-00000.bm", ex / "request" / "part-00002.bm"
    first = p0.read_bytes()
    p0.write_bytes(p2.read_bytes())
    p2.write_bytes(first)
    with pytest.raises(bm.PartMismatchError):
        engine.module.Responder(engine.frame(b, 2), "key", str(ex), parts=2).respond()
    # A missing part of the response.
    x = engine.module.Initiator(engine.frame(a, 2), "key", str(ex), parts=3)
    x.request()
    engine.module.Responder(engine.frame(b, 2), "key", str(ex), parts=2).respond()
    (ex / "elements" / "part-00001.bm").unlink()
    with pytest.raises(bm.MissingPartError):
        x.finish()


def test_engine_steps_in_order(engine, tmp_path):
    a, b = frames(100, overlap=10, seed=1)
    y = engine.module.Responder(engine.frame(b, 1), "key", str(tmp_path), parts=2)
    with pytest.raises(bm.StateError, match="request"):
        y.respond()
    x = engine.module.Initiator(engine.frame(a, 1), "key", str(tmp_path), parts=2)
    with pytest.raises(bm.StateError, match="not started"):
        x.finish()
    x.request()
    with pytest.raises(bm.StateError, match="respond"):
        x.finish()
    with pytest.raises(bm.StateError):
        x.request()
    y.respond()
    x.finish()
    with pytest.raises(bm.StateError, match="already"):
        x.finish()
    assert y.finish() is not None and y.cardinality == 10


def test_engine_checks_its_arguments(engine, tmp_path):
    a = pd.DataFrame({"key": [1, 2, 3], "row": [0, 1, 2]})
    with pytest.raises(KeyError, match="nope"):
        engine.module.Initiator(engine.frame(a, 1), "nope", str(tmp_path))
    with pytest.raises(ValueError, match="reveal"):
        engine.module.Initiator(engine.frame(a, 1), "key", str(tmp_path), reveal="everything")
    with pytest.raises(ValueError, match="parts"):
        engine.module.Initiator(engine.frame(a, 1), "key", str(tmp_path), parts=0)
    with pytest.raises(TypeError, match="expected a"):
        engine.module.Initiator(a, "key", str(tmp_path))
    # Integer keys are refused, not silently turned into text.
    with pytest.raises(TypeError, match="str or bytes"):
        engine.module.Initiator(engine.frame(a, 1), "key", str(tmp_path), parts=2).request()


def test_engine_keeps_secrets_and_aligned_values_out_of_the_exchange(engine, tmp_path):
    a, b = frames(400, overlap=50, seed=2)
    ex = tmp_path / "x"
    x = engine.module.Initiator(engine.frame(a, 2), "key", str(ex), "cardinality", parts=3)
    x.request()
    y = engine.module.Responder(engine.frame(b, 2), "key", str(ex), "cardinality", parts=2)
    y.respond()
    x.finish()
    y.finish()
    assert x.cardinality == y.cardinality == 50
    names = sorted(str(p.relative_to(ex)) for p in ex.rglob("*") if p.is_file())
    # Only the four steps' parts and manifests: the aligned values of
    # cardinality mode stayed in each party's scratch (now removed).
    assert {n.split("/")[0] for n in names} == {"request", "elements", "reblinded", "finish"}
    blobs = b"".join((ex / n).read_bytes() for n in names)
    for party in (x, y):
        secret = party._need_secret().to_bytes()
        # The session scalar and the partition key (after the version and role bytes).
        assert secret[2:34] not in blobs and secret[34:66] not in blobs
        assert party._own_scratch is not None and not pathlib.Path(party._own_scratch).exists()
    from blindmatch._engines import WorkerSecret

    ws = WorkerSecret(x._need_secret())
    assert "redacted" in repr(ws) and x._need_secret().to_bytes().hex()[:16] not in repr(ws)


@pytest.mark.parametrize("engine_name", ["dask", "spark"])
def test_two_clusters_example_finds_the_known_answer(engine_name, tmp_path):
    """examples/engines/two_clusters.py: two agencies in two processes,
    each with its own cluster, sharing only the exchange directory."""
    import subprocess

    script = pathlib.Path(__file__).resolve().parents[2] / "examples" / "engines" / "two_clusters.py"
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable)
    done = subprocess.run(
        [sys.executable, str(script), engine_name, "--log2", "10", "--out", str(tmp_path)],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("matches the known answer") == 2
    a = pd.read_csv(tmp_path / "agency-a.csv")
    assert len(a) == 256 and list(a.columns) == ["phone", "case"]
