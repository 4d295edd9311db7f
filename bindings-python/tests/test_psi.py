import random

import pytest

import blindmatch as bm
from blindmatch import testing

MODES = [(r, o) for r in ("intersection", "cardinality") for o in ("both", "initiator")]


def run(a_items, b_items, reveal, output, **kw):
    a = bm.Initiator(a_items, reveal=reveal, output=output, **kw)
    b = bm.Responder(b_items, reveal=reveal, output=output, **kw)
    finish = a.finish(b.respond(a.request()))
    assert (finish is None) == (output == "initiator")
    b.finish(finish)
    return a, b


@pytest.mark.parametrize("reveal,output", MODES)
def test_all_modes_equal_python_sets(reveal, output):
    rng = random.Random(f"{reveal}/{output}")
    for _ in range(6):
        pool = [f"id-{rng.randrange(10**6)}-é" for _ in range(rng.randrange(1, 120))]
        a_items = [rng.choice(pool) for _ in range(rng.randrange(0, 200))]
        b_items = [rng.choice(pool) for _ in range(rng.randrange(0, 200))]
        a, b = run(a_items, b_items, reveal, output)
        shared = set(a_items) & set(b_items)
        assert a.cardinality == len(shared)
        if reveal == "intersection":
            assert a.matches == [i for i, x in enumerate(a_items) if x in shared]
        else:
            assert a.matches == []
        if output == "both":
            assert b.cardinality == len(shared)
            if reveal == "intersection":
                assert b.matches == [i for i, x in enumerate(b_items) if x in shared]
        else:
            with pytest.raises(bm.StateError):
                b.matches


def test_bytes_and_iterables():
    a, b = run((x for x in [b"\x00\x01", "zoë", "x"]), iter(["zoë".encode(), b"\x00\x01"]), "intersection", "both")
    assert a.matches == [0, 1] and b.matches == [0, 1]


def test_golden_sessions_replay_byte_for_byte(vectors):
    g = vectors("golden_psi.json")
    for s in g["psi"]:
        a = testing.Initiator(g["initiator_items"], reveal=s["reveal"], output=s["output"],
                              rng_seed=bytes.fromhex(s["initiator_rng_seed"]))
        assert a.request().hex() == s["request"]
        b = testing.Responder(g["responder_items"], reveal=s["reveal"], output=s["output"],
                              rng_seed=bytes.fromhex(s["responder_rng_seed"]))
        response = b.respond(a.request())
        assert response.hex() == s["response"]
        finish = a.finish(response)
        assert (finish.hex() if finish is not None else None) == s["finish"]
        b.finish(finish)
        assert a.matches == s["initiator_matches"] and a.cardinality == s["initiator_cardinality"]
        if s["responder_matches"] is not None:
            assert b.matches == s["responder_matches"] and b.cardinality == s["responder_cardinality"]


def test_misuse_raises_state_error():
    a = bm.Initiator(["a"])
    b = bm.Responder(["a"])
    with pytest.raises(bm.StateError):
        a.matches
    with pytest.raises(bm.StateError):
        b.finish(None)
    response = b.respond(a.request())
    with pytest.raises(bm.StateError):
        b.respond(a.request())
    finish = a.finish(response)
    with pytest.raises(bm.StateError, match="already"):
        a.finish(response)
    b.finish(finish)
    with pytest.raises(bm.StateError):
        b.finish(finish)
    assert a.matches == [0] and b.matches == [0]


def test_failed_session_repeats_its_error():
    a = bm.Initiator(["a"])
    with pytest.raises(bm.UnsupportedVersionError) as first:
        a.finish(b"BMCH\x01\x02garbage")
    # Every later call raises the error that ended the session, as itself.
    for call in (lambda: a.finish(b"anything"), lambda: a.cardinality, lambda: a.matches):
        with pytest.raises(bm.UnsupportedVersionError) as again:
            call()
        assert again.value.code == first.value.code and str(again.value) == str(first.value)
    assert repr(a) == "Initiator(failed)"


def test_bad_arguments():
    with pytest.raises(TypeError, match="single str"):
        bm.Initiator("abc")
    with pytest.raises(TypeError, match="item 1"):
        bm.Initiator(["a", 3])
    with pytest.raises(ValueError, match="reveal"):
        bm.Initiator(["a"], reveal="everything")
    with pytest.raises(ValueError, match="output"):
        bm.Responder(["a"], output="nobody")
    with pytest.raises(TypeError, match="rng_seed"):
        bm.Initiator(["a"], rng_seed=bytes(32))  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="32 bytes"):
        testing.Initiator(["a"], rng_seed=b"1")
    with pytest.raises(TypeError):
        bm.Initiator(["a"]).finish("not bytes")  # type: ignore[arg-type]


def test_limits_and_mode_mismatch():
    a = bm.Initiator([str(i) for i in range(10)])
    with pytest.raises(bm.PeerSetTooLargeError) as e:
        bm.Responder(["1"], max_peer_items=5).respond(a.request())
    assert e.value.code == "peer_set_too_large" and isinstance(e.value, bm.ProtocolError)
    with pytest.raises(bm.ConfigMismatchError):
        bm.Responder(["1"], reveal="cardinality").respond(bm.Initiator(["1"]).request())
    with pytest.raises(bm.SessionMismatchError):
        a2 = bm.Initiator(["1"])
        bm.Initiator(["1"]).finish(bm.Responder(["1"]).respond(a2.request()))


def test_deviating_responder_swaps_in_a_value_raised_with_another_key():
    # Two responders answer one request; the first's response carries one
    # value the second raised (another key). Offsets: header 6, session id
    # 16, two counts and the comparison length 3, public key 32, length 1.
    i = bm.Initiator(["a", "b", "c"])
    request = i.request()
    honest = bytearray(bm.Responder(["b", "c", "d"]).respond(request))
    other = bm.Responder(["b", "c", "e"]).respond(request)
    at = 6 + 16 + 3 + 32 + 1
    assert honest[at - 1] == 3 * 32
    honest[at : at + 32] = other[at : at + 32]
    with pytest.raises(bm.BadProofError) as e:
        i.finish(bytes(honest))
    assert e.value.code == "bad_proof"


def test_proofs_can_be_traded_only_by_name_and_by_both():
    i = bm.Initiator(["a", "b", "c"], proofs="trust_peer")
    r = bm.Responder(["b", "c", "d"], proofs="trust_peer")
    r.finish(i.finish(r.respond(i.request())))
    assert i.matches == [1, 2] and r.matches == [0, 1]
    with pytest.raises(bm.ConfigMismatchError, match="proofs differ"):
        bm.Responder(["b"]).respond(bm.Initiator(["a"], proofs="trust_peer").request())
    with pytest.raises(ValueError, match="trust_peer"):
        bm.Initiator(["a"], proofs="off")  # type: ignore[arg-type]
