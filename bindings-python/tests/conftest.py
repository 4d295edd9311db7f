import json
import pathlib

import pytest

VECTORS = pathlib.Path(__file__).resolve().parents[2] / "core" / "tests" / "vectors"


@pytest.fixture(scope="session")
def vectors():
    def load(name):
        return json.loads((VECTORS / name).read_text(encoding="utf-8"))

    return load
