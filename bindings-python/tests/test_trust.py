"""Guarantees against a cheating peer or a careless caller, through the Python package."""

import inspect

import pytest

import blindmatch as bm
from blindmatch import testing


def test_production_constructors_take_no_seed():
    for cls in (bm.Initiator, bm.Responder, bm.UnbalancedClient, bm.UnbalancedServer):
        with pytest.raises(TypeError):
            cls(["a"], rng_seed=bytes(32))
        assert "seed" not in (cls.__text_signature__ or "")
    # The seeded path lives in blindmatch.testing and is reproducible.
    a1 = testing.Initiator(["a", "b"], rng_seed=bytes(32))
    a2 = testing.Initiator(["a", "b"], rng_seed=bytes(32))
    assert a1.request() == a2.request()
    assert isinstance(a1, bm.Initiator)
    assert bm.Initiator(["a", "b"]).request() != bm.Initiator(["a", "b"]).request()
    assert "testing" not in bm.__all__
    assert not any("seed" in p for p in inspect.signature(bm.OprfKey.generate).parameters)


def test_golden_unbalanced_messages_replay_byte_for_byte(vectors):
    g = vectors("golden_psi.json")["unbalanced"]
    key = bm.OprfKey.derive(bytes.fromhex(g["key_seed"]), bytes.fromhex(g["key_info"]))
    server = testing.UnbalancedServer(g["server_items"], rng_seed=bytes.fromhex(g["server_rng_seed"]),
                                       labels=g["labels"], key=key, query_budget=100)
    assert server.digest().hex() == g["digest"]
    client = testing.UnbalancedClient(g["client_items"], rng_seed=bytes.fromhex(g["client_rng_seed"]))
    assert client.query().hex() == g["query"]
    answer = server.answer(client.query(), client_id="golden")
    assert answer.hex() == g["answer"]
    client.finish(answer, server.digest())
    assert client.matches == g["matches"]
    assert [client.labels[i].decode() for i in client.matches] == g["matched_labels"]


def test_an_answer_finishes_only_its_own_query():
    server = bm.UnbalancedServer(["a", "b", "c"], query_budget="unlimited")
    c1, c2 = bm.UnbalancedClient(["a", "x"]), bm.UnbalancedClient(["a", "x"])
    a1 = server.answer(c1.query())
    server.answer(c2.query())
    with pytest.raises(bm.QueryMismatchError) as e:
        c2.finish(a1, server.digest())
    assert e.value.code == "query_mismatch" and isinstance(e.value, bm.ProtocolError)


def test_two_builds_never_repeat_a_label_ciphertext():
    key = bm.OprfKey.generate()
    items = [f"+44790000{i:04d}" for i in range(50)]
    labels = [b"case %d" % i for i in range(50)]
    d1 = bm.UnbalancedServer(items, labels=labels, key=key, query_budget="unlimited").digest()
    d2 = bm.UnbalancedServer(items, labels=labels, key=key, query_budget="unlimited").digest()
    assert bm.SetDigest(d1).epoch == bm.SetDigest(d2).epoch
    size = 2 + len(b"case 49") + 16
    tail1, tail2 = d1[-50 * size:], d2[-50 * size:]
    assert all(tail1[i:i + size] != tail2[i:i + size] for i in range(0, 50 * size, size))


def test_non_minimal_encodings_are_malformed():
    request = bm.Initiator(["a", "b", "c"]).request()
    # Header, suite/reveal/output, session id, profile, proofs flag, public key: the count.
    at = 6 + 3 + 16 + 32 + 1 + 32
    assert request[at] == 3
    bad = request[:at] + bytes([0x83, 0x00]) + request[at + 1:]
    with pytest.raises(bm.MalformedError):
        bm.Responder(["a"]).respond(bad)


def records(**options):
    rs = bm.RecordSet(**options)
    rs.add("r1", email="anna@example.org", name="Anna Berg", date_of_birth="1980-04-03")
    return rs


def test_profiles_are_checked_in_both_protocols():
    ours = records(composites=[["name", "date_of_birth"]])
    theirs = records()
    assert ours.profile != theirs.profile and len(ours.profile) == 32
    # Composite kinds are sorted: one key, one profile.
    assert records(composites=[["date_of_birth", "name"]]).profile == ours.profile
    # How values are written is not part of the profile.
    assert records(composites=[["name", "date_of_birth"]], default_region="FR", date_format="%d/%m/%Y").profile == ours.profile
    with pytest.raises(bm.ProfileMismatchError):
        bm.Responder(theirs).respond(bm.Initiator(ours).request())
    with pytest.raises(bm.ProfileMismatchError):
        bm.Responder(["x"]).respond(bm.Initiator(ours).request())
    server = bm.UnbalancedServer(theirs, query_budget=10)
    with pytest.raises(bm.ProfileMismatchError):
        server.answer(bm.UnbalancedClient(ours).query(), client_id="c")
    assert server.remaining_budget("c") == 10


def test_unbalanced_record_matches():
    watch = bm.RecordSet(default_region="GB")
    watch.add("W-1", phone="020 7946 0958")
    watch.add("W-2", email="anna@example.org")
    mine = bm.RecordSet(default_region="GB")
    mine.add("case-1", phone="+44 20 7946 0958", email="x@example.org")
    mine.add("case-2", email="nobody@example.org")
    server = bm.UnbalancedServer(watch, labels=[b"w1", b"w2"], query_budget="unlimited")
    c = bm.UnbalancedClient(mine)
    c.finish(server.answer(c.query()), server.digest())
    assert c.record_matches == [("case-1", ["phone"])]


def test_records_never_match_falsely_or_drop_silently():
    rs = bm.RecordSet(default_region="GB", date_format="%d/%m/%Y", composites=[["name", "date_of_birth"]])
    assert rs.add("name-only", name="Anna Berg") == 0  # names are keys only in composites
    assert rs.add("short-year", name="Anna Berg", date_of_birth="03/04/80") == 0
    assert rs.add("ext", phone="020 7946 0958 ext. 12") == 0
    assert rs.add("doc", document=("Ä-12", "DE")) == 1
    fields = {(r, f) for r, f, _ in rs.errors}
    assert ("short-year", "date_of_birth") in fields and ("ext", "phone") in fields
    assert all("12" not in message for _, _, message in rs.errors)
    with pytest.raises(bm.InvalidConfigError):
        bm.RecordSet(date_format="%d/%m/%y")
    named = bm.RecordSet(single_keys=["name", "email"])
    assert named.add("n", name="Anna Berg") == 1
    many = bm.RecordSet(composites=[["name", "date_of_birth"]])
    names = [f"Name{i} Berg" for i in range(5)]
    dates = [f"1980-04-0{d}" for d in range(1, 5)]
    assert many.add("many", name=names, date_of_birth=dates, email="a@example.org") == 1
    assert ("many", "name+date_of_birth") in {(r, f) for r, f, _ in many.errors}
    gmail = bm.RecordSet(email_provider_rules=True)
    gmail.add("g", email="J.Doe+x@googlemail.com")
    plain = bm.RecordSet()
    plain.add("p", email="jdoe@gmail.com")
    a, b = bm.Initiator(gmail), bm.Responder(plain)
    with pytest.raises(bm.ProfileMismatchError):
        b.respond(a.request())


def test_a_bad_element_costs_no_budget():
    server = bm.UnbalancedServer(["a"], query_budget=100)
    query = bytearray(bm.UnbalancedClient([str(i) for i in range(20)]).query())
    query[-32:] = b"\xff" * 32
    with pytest.raises(bm.InvalidElementError):
        server.answer(bytes(query), client_id="c")
    assert server.remaining_budget("c") == 100
    with pytest.raises(bm.BudgetExceededError):
        server.answer(bm.UnbalancedClient([str(i) for i in range(101)]).query(), client_id="c")
    assert server.remaining_budget("c") == 100
