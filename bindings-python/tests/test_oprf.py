import pytest

import blindmatch as bm


def test_rfc9497_a11_vectors(vectors):
    v = vectors("oprf_ristretto255_sha512.json")
    key = bm.OprfKey.derive(bytes.fromhex(v["Seed"]), bytes.fromhex(v["KeyInfo"]))
    assert key.to_secret_bytes().hex() == v["skSm"]
    assert len(v["vectors"]) == 2
    for t in v["vectors"]:
        assert key.evaluate(bytes.fromhex(t["Input"])).hex() == t["Output"]


def test_golden_oprf_outputs_match_rust(vectors):
    g = vectors("golden_psi.json")["oprf"]
    key = bm.OprfKey.derive(bytes.fromhex(g["seed"]), bytes.fromhex(g["info"]))
    assert [key.evaluate(x.encode()).hex() for x in g["inputs"]] == g["outputs"]


def test_secret_round_trip_and_redacted_repr():
    key = bm.OprfKey.generate()
    secret = key.to_secret_bytes()
    assert len(secret) == 32 and len(key.public_key()) == 32
    again = bm.OprfKey.from_secret_bytes(secret)
    assert again.evaluate(b"x") == key.evaluate(b"x")
    assert secret.hex() not in repr(key) and "redacted" in repr(key)


def test_bad_arguments():
    with pytest.raises(ValueError, match="32 bytes"):
        bm.OprfKey.derive(b"short", b"")
    with pytest.raises(TypeError):
        bm.OprfKey.derive("not bytes", b"")  # type: ignore[arg-type]
    with pytest.raises(bm.Error) as e:
        bm.OprfKey.derive(bytes(32), b"").evaluate(bytes(65536))
    assert e.value.code == "input_too_long"
    with pytest.raises(bm.Error) as e:
        bm.OprfKey.from_secret_bytes(bytes(32))
    assert e.value.code == "invalid_scalar"
