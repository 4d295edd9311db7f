import random

import pytest

import blindmatch as bm


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
    s1 = bm.UnbalancedServer(["a", "b"])
    s2 = bm.UnbalancedServer(["a", "b"])
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
    s1 = bm.UnbalancedServer(["a", "b"], labels=[b"1", b"2"])
    secret = s1.key.to_secret_bytes()
    s2 = bm.UnbalancedServer(["a", "b"], labels=[b"1", b"2"], key=bm.OprfKey.from_secret_bytes(secret))
    assert s2.epoch == s1.epoch and s2.digest() == s1.digest()


def test_misuse_and_bad_input():
    s = bm.UnbalancedServer(["a"])
    c = bm.UnbalancedClient(["a", "b"])
    with pytest.raises(bm.StateError):
        c.matches
    answer = s.answer(c.query())
    with pytest.raises(bm.MalformedError):
        c.finish(answer, s.digest()[:-1])
    with pytest.raises(bm.StateError, match="failed"):
        c.finish(answer, s.digest())
    c2 = bm.UnbalancedClient(["a", "b"])
    c2.finish(s.answer(c2.query()), s.digest())
    assert c2.matches == [0] and c2.labels == {}
    with pytest.raises(bm.StateError, match="already"):
        c2.finish(answer, s.digest())
    with pytest.raises(bm.InvalidConfigError):
        bm.UnbalancedServer(["a", "b"], labels=[b"1"])
    with pytest.raises(ValueError, match="16 bytes"):
        bm.UnbalancedClient(["a"], epoch=b"short")
    with pytest.raises(bm.ProtocolError):
        s.answer(b"BMCH\x01\x05\x00")
