import json
import pathlib

import pytest

VECTORS = pathlib.Path(__file__).resolve().parents[2] / "core" / "tests" / "vectors"


@pytest.fixture(scope="session")
def vectors():
    def load(name):
        return json.loads((VECTORS / name).read_text(encoding="utf-8"))

    return load


def _one_process(a, b, reveal, output):
    """The one-process protocol's results, to compare partitioned runs with:
    (initiator's matches and count), (responder's, or None)."""
    import blindmatch as bm

    x = bm.Initiator(a, reveal=reveal, output=output)
    y = bm.Responder(b, reveal=reveal, output=output)
    y.finish(x.finish(y.respond(x.request())))
    theirs = (y.matches, y.cardinality) if output == "both" else None
    return (x.matches, x.cardinality), theirs


@pytest.fixture(scope="session")
def one_process():
    return _one_process
