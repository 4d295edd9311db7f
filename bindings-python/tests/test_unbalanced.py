import random

import pytest

import blindmatch as bm
from blindmatch import testing


def test_matches_and_labels_against_python():
    rng = random.Random(4)
    server_items = [f"+4479{rng.randrange(10**8):08d}" for _ in range(3000)]
    labels = [f"case {i}".encode() for i in range(len(server_items))]
    server = bm.UnbalancedServer(server_items, labels=labels, query_budget=10_000)
    digest = server.digest()
    for n in range(3):
        mine = rng.sample(server_items, 40) + [f"+4470{rng.randrange(10**8):08d}" for _ in range(60)]
        rng.shuffle(mine)
        client = bm.UnbalancedClient(mine)
        client.finish(server.answer(client.query(), client_id=f"agency-{n}"), digest)
        label_of = dict(zip(server_items, labels))
        expected = [i for i, x in enumerate(mine) if x in label_of]
        assert client.matches == expected
        assert client.labels == {i: label_of[mine[i]] for i in expected}
        assert server.remaining_budget(f"agency-{n}") == 10_000 - 100


def test_epochs_budgets_and_files(tmp_path):
    s1 = bm.UnbalancedServer(["a", "b"], query_budget="unlimited")
    s2 = bm.UnbalancedServer(["a", "b"], query_budget="unlimited")
    assert s1.epoch != s2.epoch and len(s1.epoch) == 16
    bm.save_message(tmp_path / "digest.bmch", s1.digest())
    c = bm.UnbalancedClient(["a"])
    with pytest.raises(bm.EpochMismatchError):
        c.finish(s2.answer(c.query()), bm.load_message(tmp_path / "digest.bmch", expected="set-digest"))
    with pytest.raises(bm.EpochMismatchError):
        s2.answer(bm.UnbalancedClient(["a"], epoch=s1.epoch).query())

    limited = bm.UnbalancedServer(["a"], query_budget=2)
    limited.answer(bm.UnbalancedClient(["x", "y"]).query(), client_id="one")
    with pytest.raises(bm.BudgetExceededError) as e:
        limited.answer(bm.UnbalancedClient(["z"]).query(), client_id="one")
    assert isinstance(e.value, bm.ProtocolError) and e.value.code == "budget_exceeded"


def test_key_export_keeps_the_epoch():
    s1 = bm.UnbalancedServer(["a", "b"], labels=[b"1", b"2"], query_budget="unlimited")
    secret = s1.key.to_secret_bytes()
    s2 = bm.UnbalancedServer(["a", "b"], labels=[b"1", b"2"], key=bm.OprfKey.from_secret_bytes(secret), query_budget="unlimited")
    assert s2.epoch == s1.epoch
    # The rebuild seals its labels under a fresh salt; the digest published
    # before the restart still works with the new process's answers.
    assert s2.digest() != s1.digest()
    c = bm.UnbalancedClient(["b"])
    c.finish(s2.answer(c.query()), s1.digest())
    assert c.matches == [0] and c.labels == {0: b"2"}


def test_misuse_and_bad_input():
    s = bm.UnbalancedServer(["a"], query_budget="unlimited")
    c = bm.UnbalancedClient(["a", "b"])
    with pytest.raises(bm.StateError):
        c.matches
    answer = s.answer(c.query())
    with pytest.raises(bm.MalformedError):
        c.finish(answer, s.digest()[:-1])
    with pytest.raises(bm.MalformedError):  # the failure, repeated
        c.finish(answer, s.digest())
    c2 = bm.UnbalancedClient(["a", "b"])
    c2.finish(s.answer(c2.query()), s.digest())
    assert c2.matches == [0] and c2.labels == {}
    with pytest.raises(bm.StateError, match="already"):
        c2.finish(answer, s.digest())
    with pytest.raises(bm.InvalidConfigError):
        bm.UnbalancedServer(["a", "b"], labels=[b"1"], query_budget="unlimited")
    with pytest.raises(ValueError, match="16 bytes"):
        bm.UnbalancedClient(["a"], epoch=b"short")
    with pytest.raises(bm.ProtocolError):
        s.answer(b"BMCH\x01\x05\x00")


def test_a_decoded_digest_serves_many_clients():
    rng = random.Random(9)
    server_items = [f"wallet-{rng.randrange(10**9):09d}" for _ in range(2000)]
    labels = [f"ref {i}".encode() for i in range(len(server_items))]
    server = bm.UnbalancedServer(server_items, labels=labels, fpr_bits=32, query_budget="unlimited")
    digest = bm.SetDigest(server.digest())
    assert len(digest) == len(set(server_items))
    assert digest.epoch == server.epoch and digest.fpr_bits == 32 and digest.has_labels
    assert "2^-32" in repr(digest) and "labeled" in repr(digest)
    label_of = dict(zip(server_items, labels))
    for n in range(4):
        mine = rng.sample(server_items, 25) + [f"wallet-x{n}-{i}" for i in range(25)]
        rng.shuffle(mine)
        by_object = testing.UnbalancedClient(mine, rng_seed=bytes([n]) * 32)
        by_bytes = testing.UnbalancedClient(mine, rng_seed=bytes([n]) * 32)
        by_object.finish(server.answer(by_object.query()), digest)
        by_bytes.finish(server.answer(by_bytes.query()), server.digest())
        expected = [i for i, x in enumerate(mine) if x in label_of]
        assert by_object.matches == by_bytes.matches == expected
        assert by_object.labels == by_bytes.labels == {i: label_of[mine[i]] for i in expected}
    plain = bm.SetDigest(bm.UnbalancedServer(["a"], query_budget="unlimited").digest())
    assert not plain.has_labels and plain.fpr_bits == 40 and len(plain) == 1


def test_a_decoded_digest_keeps_its_checks():
    s1, s2 = bm.UnbalancedServer(["a", "b"], query_budget="unlimited"), bm.UnbalancedServer(["a", "b"], query_budget="unlimited")
    c = bm.UnbalancedClient(["a"])
    answer = s2.answer(c.query())
    with pytest.raises(TypeError, match="bytes or a SetDigest"):
        c.finish(answer, "not a digest")
    # A wrong argument type leaves the client usable; a wrong epoch fails it.
    with pytest.raises(bm.EpochMismatchError):
        c.finish(answer, bm.SetDigest(s1.digest()))
    with pytest.raises(bm.MalformedError):
        bm.SetDigest(s1.digest()[:-1])
    with pytest.raises(bm.WrongMessageTypeError):
        bm.SetDigest(c.query())
    with pytest.raises(TypeError):
        bm.SetDigest("text")


def test_names_mirror_javascript():
    key = bm.OprfKey.generate()
    server = bm.UnbalancedServer.with_key(key, ["a", "b"], labels=[b"1", b"2"], query_budget=5)
    assert server.epoch == bm.UnbalancedServer(["a"], key=key, query_budget="unlimited").epoch
    c = bm.UnbalancedClient(["b", "z"])
    c.finish_with(server.answer(c.query()), bm.SetDigest(server.digest()))
    assert c.matches == [0] and c.labels == {0: b"2"}
    with pytest.raises(TypeError):
        bm.UnbalancedClient(["b"]).finish_with(b"", server.digest())  # type: ignore[arg-type]


def test_deviating_server_answers_under_another_key():
    honest = bm.UnbalancedServer(["a", "b", "c"], query_budget="unlimited")
    other = bm.UnbalancedServer(["a", "b", "c"], query_budget="unlimited")
    digest = bm.SetDigest(honest.digest())
    assert digest.public_key == honest.key.public_key() and len(digest.public_key) == 32
    c = bm.UnbalancedClient(["a", "z"])
    query = c.query()
    answer = bytearray(other.answer(query))
    answer[22:38] = honest.epoch  # dressed up as the digest's epoch
    with pytest.raises(bm.BadProofError) as e:
        c.finish(bytes(answer), digest)
    assert isinstance(e.value, bm.ProtocolError) and e.value.code == "bad_proof"
    # One evaluated element (the first of two, before the proof's 65 bytes) swapped.
    c = bm.UnbalancedClient(["a", "z"])
    query = c.query()
    good, theirs = bytearray(honest.answer(query)), other.answer(query)
    end = len(good) - 65
    good[end - 64 : end - 32] = theirs[end - 64 : end - 32]
    with pytest.raises(bm.BadProofError):
        c.finish(bytes(good), digest)
