"""Partitioned sessions through the Python package: the part-level steps
and the one-machine parties give the one-process results."""

import random

import pytest

import blindmatch as bm
from blindmatch import partition

MODES = [(r, o) for r in ("intersection", "cardinality") for o in ("both", "initiator")]


def partitioned(a, b, reveal, output, p_i, p_r):
    x = partition.Initiator(a, parts=p_i, reveal=reveal, output=output, progress=False)
    request, manifest = x.request()
    y = partition.Responder(b, manifest, parts=p_r, reveal=reveal, output=output, progress=False)
    finish = x.finish(*y.respond(request))
    if output == "both":
        y.finish(*finish)
        return (x.matches, x.cardinality), (y.matches, y.cardinality)
    return (x.matches, x.cardinality), None


@pytest.mark.parametrize("reveal,output", MODES)
def test_partition_equals_one_process(reveal, output, one_process):
    rng = random.Random(7)
    a = [f"+3161{rng.randrange(300):06}" for _ in range(200)]
    b = [f"+3161{rng.randrange(300):06}".encode() for _ in range(150)]
    expected = one_process(a, b, reveal, output)
    for p_i, p_r in [(1, 1), (2, 3), (7, 64)]:
        got = partitioned(a, [x.decode() for x in b], reveal, output, p_i, p_r)
        assert got == expected, (p_i, p_r)


def test_part_level_steps_check_every_part():
    a = partition.PartySecret.initiator(2)
    where = partition.split(a, ["x", "y", "z"])
    parts = [partition.request_part(a, i, [["x", "y", "z"][j] for j in where[i]]) for i in range(2)]
    assert bm.message_type(parts[0]) == "part"
    manifest = a.manifest("request", [partition.part_info(p) for p in parts])
    assert bm.message_type(manifest) == "manifest"
    b = partition.PartySecret.responder(manifest, 1)
    worker = partition.PartySecret.from_bytes(b.to_bytes())
    assert worker.role == "responder" and worker.session_id == a.session_id
    assert "to_bytes" not in repr(worker) and b.to_bytes().hex() not in repr(worker)
    b.manifest("elements", [partition.elements_part(b, 0, ["y"])])
    with pytest.raises(bm.PartMismatchError):
        partition.reblind_part(b, 1, parts[0])  # out of its place
    other = partition.PartySecret.initiator(2)
    with pytest.raises(bm.SessionMismatchError):
        partition.reblind_part(b, 0, partition.request_part(other, 0, []))
    with pytest.raises(bm.MissingPartError):
        a.manifest("request", parts[:1])
    with pytest.raises(bm.DuplicatePartError):
        a.manifest("request", [parts[0], parts[0]])
    with pytest.raises(bm.ConfigMismatchError):
        partition.PartySecret.responder(manifest, 1, reveal="cardinality")
    with pytest.raises(ValueError):
        a.manifest("nonsense", parts)
    with pytest.raises(bm.PartMismatchError):
        partition.request_part(a, 1 - a.part_of("x"), ["x"])


def test_a_loader_error_reaches_the_caller():
    x = partition.Initiator(["a", "b"], parts=2, progress=False)
    request, manifest = x.request()
    y = partition.Responder(["b"], manifest, parts=1, progress=False)
    elements, em, reblinded, rm = y.respond(request)
    secret = x._secret
    secret.accept(em)
    secret.accept(rm)
    finish = [partition.finish_part(secret, 0, elements[0])]
    secret.manifest("finish", finish)

    def broken(kind, index):
        raise KeyError(f"{kind} {index}")

    with pytest.raises(KeyError):
        partition.join(secret, broken)


def test_bundles_for_one_file_per_step():
    a = partition.PartySecret.initiator(2)
    parts = [partition.request_part(a, i, [x for x in ["x", "y", "z"] if a.part_of(x) == i]) for i in range(2)]
    manifest = a.manifest("request", parts)
    packed = partition.bundle([manifest, *parts])
    assert bm.message_type(packed) == "bundle"
    assert partition.unbundle(packed) == [manifest, *parts]
    assert [partition.part_kind(m) for m in partition.unbundle(packed)] == ["request"] * 3
    with pytest.raises(bm.WrongMessageTypeError):
        partition.bundle([bm.Initiator(["a"]).request()])
