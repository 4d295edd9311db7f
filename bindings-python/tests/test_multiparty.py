"""More than two agencies from Python: golden vectors shared with Rust and
JavaScript, results against naive counting, the refusals of members and
hub, records, receipts and the ledger."""

import random

import pytest

import blindmatch as bm
from blindmatch import testing


def opened(session, members, hub=None):
    """Every member starts and commits at the hub, and takes its roster:
    each owner's first hop, and the hub."""
    hub = hub or bm.MultiPartyHub(session.to_bytes())
    first = {m.name: m.start() for m in members}
    for m in members:
        hub.commit(m.name, m.commitment())
    roster = hub.roster()
    for m in members:
        m.accept_roster(roster)
    return first, hub


def run(session, lists, members=None):
    """Every agency's values round the ring, tags to the hub, the result back."""
    names = session.agencies
    k = len(names)
    if members is None:
        members = [bm.MultiPartyMember(items, session.to_bytes(), me) for me, items in zip(names, lists)]
    by_name = {m.name: m for m in members}
    in_flight, hub = opened(session, members)
    for _ in range(k - 1):
        for owner, msg in list(in_flight.items()):
            in_flight[owner] = by_name[session.route(msg)].forward(msg)
    for owner, msg in in_flight.items():
        assert session.route(msg) == owner
        by_name[owner].complete(msg)
    for m in members:
        hub.add(m.name, m.tags())
    result = hub.result()
    for m in members:
        m.finish(result)
    return members, hub, result


def naive(lists, threshold):
    sets = [set(items) for items in lists]
    out = []
    for items in lists:
        held = [sum(x in s for s in sets) for x in items]
        idx = [i for i, h in enumerate(held) if h >= threshold]
        out.append((idx, [held[i] for i in idx]))
    return out


def test_golden_sessions_replay_byte_for_byte(vectors):
    g = vectors("golden_multiparty.json")
    for s in g["sessions"]:
        names = s["agencies"]
        session = testing.multiparty_session(
            names, s["threshold"], reveal_counts=s["reveal_counts"], rng_seed=bytes.fromhex(s["hub_rng_seed"])
        )
        assert session.to_bytes().hex() == s["session"]
        members = [
            testing.MultiPartyMember(items, bytes.fromhex(s["session"]), me, rng_seed=bytes.fromhex(seed))
            for me, items, seed in zip(names, g["lists"], s["member_rng_seeds"])
        ]
        k = len(names)
        hub = bm.MultiPartyHub(session)
        starts = [m.start() for m in members]
        for m, c in zip(members, s["commitments"]):
            assert m.commitment().hex() == c
            hub.commit(m.name, m.commitment())
        assert hub.roster().hex() == s["roster"]
        for m in members:
            m.accept_roster(hub.roster())
        for owner, hops in enumerate(s["hops"]):
            msg = starts[owner]
            assert msg.hex() == hops[0]
            for hop in range(1, k):
                msg = members[(owner + hop) % k].forward(msg)
                assert msg.hex() == hops[hop]
            members[owner].complete(msg)
        for m, tags in zip(members, s["tags"]):
            assert m.tags().hex() == tags
            hub.add(m.name, m.tags())
        assert hub.result().hex() == s["result"]
        for m, o in zip(members, s["outcomes"]):
            m.finish(bytes.fromhex(s["result"]))
            assert m.matches == o["indices"]
            assert m.counts == o["counts"]
            assert m.transcript_hash.hex() == o["transcript"]


def test_results_equal_naive_counting():
    rng = random.Random(22)
    for case in range(12):
        k = rng.randint(3, 8)
        threshold = rng.randint(2, k)
        counts = rng.random() < 0.5
        lists = [[f"id-{rng.randrange(20)}" for _ in range(rng.randrange(0, 16))] for _ in range(k)]
        session = bm.MultiPartySession.new([f"agency-{i}" for i in range(k)], threshold, reveal_counts=counts)
        members, _, _ = run(session, lists)
        for m, (idx, held) in zip(members, naive(lists, threshold)):
            assert m.matches == idx, case
            assert m.counts == (held if counts else None)
            assert m.cardinality == len({lists[int(m.name.split("-")[1])][i] for i in idx})


def test_four_members_threshold_three():
    session = bm.MultiPartySession.new(["NL", "DE", "FR", "BE"], threshold=3)
    assert session.threshold == 3 and session.agencies == ["NL", "DE", "FR", "BE"]
    assert bm.MultiPartySession.from_bytes(session.to_bytes()) == session
    lists = [
        ["+31612345678", "anna@example.org", "NL91ABNA0417164300", "anna@example.org"],
        ["anna@example.org", "+31612345678", "DE89370400440532013000"],
        ["NL91ABNA0417164300", "+31612345678", "anna@example.org", "bob@example.net"],
        ["bob@example.net", "+33142685300"],
    ]
    members, hub, result = run(session, lists)
    assert [m.matches for m in members] == [idx for idx, _ in naive(lists, 3)]
    assert members[0].matches == [0, 1, 3]  # every copy of a duplicate
    assert members[0].cardinality == 2 and members[3].matches == []
    assert members[0].counts is None
    assert bm.message_type(result) == "multi-result"
    assert bm.message_type(session.to_bytes()) == "multi-session"
    assert bm.message_type(members[0].tags()) == "multi-tags"
    assert hub.missing == [] and hub.result() == result
    assert repr(members[0]) == "MultiPartyMember('NL', finished)"
    assert repr(session) == "MultiPartySession(agencies=['NL', 'DE', 'FR', 'BE'], threshold=3, reveal_counts=False)"
    assert repr(hub) == "MultiPartyHub(missing=0)"


def test_members_refuse_foreign_misrouted_and_replayed_messages():
    session = bm.MultiPartySession.new(["NL", "DE", "FR", "BE"], 3)
    other = bm.MultiPartySession.new(["NL", "DE", "FR", "BE"], 3)
    nl, de, fr, be = members = [bm.MultiPartyMember(["a", "b"], session, me) for me in session.agencies]
    strangers = [bm.MultiPartyMember(["a"], other.to_bytes(), me) for me in other.agencies]
    stray = opened(other, strangers)[0]["NL"]
    first, _ = opened(session, members)
    with pytest.raises(bm.SessionMismatchError):
        de.forward(stray)
    m1 = first["NL"]
    assert bm.message_type(m1) == "multi-hop" and nl.next_agency == "DE"
    with pytest.raises(bm.WrongHopError):
        fr.forward(m1)  # hop 1 of NL is DE's
    with pytest.raises(bm.WrongHopError):
        nl.complete(m1)
    with pytest.raises(bm.StateError):
        nl.start()
    m2 = de.forward(m1)
    with pytest.raises(bm.ReplayError):
        de.forward(m1)  # DE raises NL's values once
    with pytest.raises(bm.ReplayError):
        de.forward(m1[:-2] + bytes([m1[-2] ^ 1]) + m1[-1:])  # any values as NL's, once
    m3 = fr.forward(m2)
    back = be.forward(m3)
    with pytest.raises(bm.StateError):
        nl.tags()
    nl.complete(back)
    with pytest.raises(bm.ReplayError):
        nl.complete(back)
    with pytest.raises(bm.StateError):
        nl.matches
    # A message cut short: refused, and the member goes on.
    with pytest.raises(bm.Error):
        de.forward(m1[:40])
    with pytest.raises(bm.ProtocolError):
        de.forward(b"BMCH\x03\x11")
    with pytest.raises(bm.UnknownAgencyError):
        bm.MultiPartyMember(["a"], session, "SE")
    with pytest.raises(bm.InvalidConfigError):
        bm.MultiPartySession.new(["NL", "DE"], 2)
    with pytest.raises(bm.InvalidConfigError):
        bm.MultiPartySession.new(["NL", "DE", "FR"], 4)
    with pytest.raises(TypeError):
        bm.MultiPartyMember(["a"], "not bytes", "NL")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        bm.MultiPartyMember("abc", session, "NL")  # type: ignore[arg-type]


def test_the_hub_refuses_unknown_agencies_double_sends_and_foreign_tags():
    session = bm.MultiPartySession.new(["NL", "DE", "FR"], 2)
    members, _, _ = run(session, [["a", "b"], ["b", "c"], ["c", "a"]])
    hub = bm.MultiPartyHub(session)
    with pytest.raises(bm.StateError):
        hub.result()
    with pytest.raises(bm.StateError):
        hub.add("NL", members[0].tags())  # before the roster
    with pytest.raises(bm.StateError):
        hub.roster()  # before every commitment
    for m in members:
        hub.commit(m.name, m.commitment())
    hub.roster()
    with pytest.raises(bm.UnknownAgencyError):
        hub.add("SE", members[0].tags())
    with pytest.raises(bm.UnknownAgencyError):
        hub.add("DE", members[0].tags())  # NL's tags sent as DE's
    hub.add("NL", members[0].tags())
    with pytest.raises(bm.ReplayError):
        hub.add("NL", members[0].tags())
    other = bm.MultiPartySession.new(["NL", "DE", "FR"], 2)
    theirs, _, _ = run(other, [["a"], ["a"], ["a"]])
    with pytest.raises(bm.SessionMismatchError):
        hub.add("DE", theirs[1].tags())
    assert hub.missing == ["DE", "FR"]


def test_records_match_by_record_and_receipts_are_countersigned_by_the_hub(tmp_path):
    session = bm.MultiPartySession.new(["NL", "DE", "FR"], 2, reveal_counts=True)
    rs = bm.RecordSet()
    rs.add("case-1", email="Anna@Example.org")
    rs.add("case-2", phone="+31 6 12345678")
    rs.add("case-3", email="nobody@example.org")
    ledger = bm.Ledger(tmp_path / "nl.sqlite")
    hub_ledger = bm.Ledger(tmp_path / "hub.sqlite")
    case = dict(case_ref="EMPACT-2026-17", legal_basis="Council Decision 2009/371/JHA")
    nl = bm.MultiPartyMember(rs, session, "NL", ledger=ledger, **case)
    other = [bm.RecordSet(), bm.RecordSet()]
    other[0].add("x", email="anna@example.org")
    other[1].add("y", phone="+31612345678")
    de = bm.MultiPartyMember(other[0], session, "DE")
    fr = bm.MultiPartyMember(other[1], session, "FR")
    members = [nl, de, fr]
    by_name = {m.name: m for m in members}
    hub = bm.MultiPartyHub(session, ledger=hub_ledger, **case)
    flight, _ = opened(session, members, hub)
    for _ in range(2):
        flight = {o: by_name[session.route(msg)].forward(msg) for o, msg in flight.items()}
    for o, msg in flight.items():
        by_name[o].complete(msg)
    for m in members:
        hub.add(m.name, m.tags())
    result = hub.result()
    hub.result()  # recorded once
    for m in members:
        m.finish(result)
    assert sorted(nl.record_matches()) == [("case-1", ["email"]), ("case-2", ["phone"])]
    assert nl.counts == [2, 2]
    key_nl, key_hub = bm.SigningKey.generate(), bm.SigningKey.generate()
    signed = nl.receipt(key_nl)
    both = hub.countersign(signed, key_hub)
    fields = bm.Receipt.verify(both, [key_nl.public_key(), key_hub.public_key()])
    assert fields["protocol"] == "multiparty" and fields["role"] == "member"
    assert fields["cardinality"] == 2 and fields["own_count"] == 3 and fields["peer_count"] == 2
    assert fields["agencies"] == 3 and fields["threshold"] == 2
    assert bytes.fromhex(fields["transcript_hash"]) == nl.transcript_hash
    with pytest.raises(bm.StateError):
        bm.MultiPartyHub(session).countersign(signed, key_hub)  # a hub without the result
    stranger = bm.MultiPartySession.new(["NL", "DE", "FR"], 2)
    theirs, other_hub, _ = run(stranger, [["a"], ["a"], ["b"]])
    with pytest.raises(bm.ReceiptMismatchError):
        other_hub.countersign(signed, key_hub)  # a hub of another session
    assert len(ledger) == 2  # NL's session and its receipt
    assert len(hub_ledger) == 4  # one session entry per agency, and the countersigned receipt
    ledger.verify()
    hub_ledger.verify()


def _varint(b, at):
    value, shift = 0, 0
    while True:
        byte = b[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at
        shift += 7


def _encode_varint(n):
    out = bytearray()
    while True:
        if n < 0x80:
            out.append(n)
            return bytes(out)
        out.append((n & 0x7F) | 0x80)
        n >>= 7


def read_hop(msg):
    """A multi-hop message's fields, as a relay would read them."""
    at = 6 + 16 + 32
    owner, hop = msg[at], msg[at + 1]
    count, at = _varint(msg, at + 2)
    fields = []
    for _ in range(3):
        n, at = _varint(msg, at)
        fields.append(bytearray(msg[at : at + n]))
        at += n
    assert at == len(msg)
    return {"head": msg[: 6 + 16 + 32], "owner": owner, "hop": hop, "count": count,
            "inputs": fields[0], "elements": fields[1], "proof": fields[2]}


def write_hop(h):
    out = bytearray(h["head"]) + bytes([h["owner"], h["hop"]]) + _encode_varint(h["count"])
    for f in ("inputs", "elements", "proof"):
        out += _encode_varint(len(h[f])) + bytes(h[f])
    return bytes(out)


def test_deviating_relay_grows_shrinks_or_swaps_a_batch():
    """A relay (here: whoever carries the hop messages) adds a guessed
    identifier's value to a batch, drops one, or swaps one: the next member
    refuses before it raises anything, and still takes the honest hop."""
    session = bm.MultiPartySession.new(["NL", "DE", "FR", "BE"], 3)
    lists = [["a", "b", "c"], ["b", "c"], ["c", "d"], ["a", "c"]]
    members = [bm.MultiPartyMember(items, session, me) for me, items in zip(session.agencies, lists)]
    first, _ = opened(session, members)
    nl, de, fr, _ = members
    guess = bm.MultiPartyMember(["+442079460958"], bm.MultiPartySession.new(["X", "Y", "Z"], 2), "X").start()
    guess_value = read_hop(guess)["elements"][:32]
    hop1 = read_hop(first["NL"])
    assert (hop1["owner"], hop1["hop"], hop1["count"]) == (0, 1, 3)
    grown = dict(hop1, count=4, elements=hop1["elements"] + guess_value)
    with pytest.raises(bm.CountMismatchError):
        de.forward(write_hop(grown))
    shrunk = dict(hop1, count=2, elements=hop1["elements"][:64])
    with pytest.raises(bm.CountMismatchError):
        de.forward(write_hop(shrunk))
    swapped = dict(hop1, elements=guess_value + hop1["elements"][32:])
    with pytest.raises(bm.BadProofError):
        de.forward(write_hop(swapped))
    hop2 = de.forward(first["NL"])
    h2 = read_hop(hop2)
    assert len(h2["inputs"]) == len(h2["elements"]) == 3 * 32 and len(h2["proof"]) == 64
    grown = dict(h2, count=4, inputs=h2["inputs"] + guess_value, elements=h2["elements"] + guess_value)
    with pytest.raises(bm.CountMismatchError):
        fr.forward(write_hop(grown))
    shrunk = dict(h2, count=2, inputs=h2["inputs"][32:], elements=h2["elements"][32:])
    with pytest.raises(bm.CountMismatchError):
        fr.forward(write_hop(shrunk))
    swapped = dict(h2, elements=h2["elements"][:64] + guess_value)
    with pytest.raises(bm.BadProofError):
        fr.forward(write_hop(swapped))
    fr.forward(hop2)
