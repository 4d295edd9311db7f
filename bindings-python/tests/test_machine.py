"""The one class shell: every protocol class takes any message it expects
through ``consume()`` and says what it expects through ``expects()``, so
one loop drives every protocol; a message it does not expect now is refused
and leaves the object as it was."""

import pytest

import blindmatch as bm


def drive(a, request, b):
    """Runs two parties with consume() only: each message goes to the other
    party, whatever its kind."""
    queue = [(b, request)]
    while queue:
        party, message = queue.pop(0)
        peer = a if party is b else b
        queue += [(peer, out) for out in party.consume(message)]


@pytest.mark.parametrize("output", ["both", "initiator"])
def test_balanced_psi_on_one_loop(output):
    a = bm.Initiator([f"x{i}" for i in range(30)], output=output)
    b = bm.Responder([f"x{i}" for i in range(20, 50)], output=output)
    assert (a.expects(), b.expects()) == (["psi-response"], ["psi-request"])
    drive(a, a.request(), b)
    assert (a.expects(), b.expects()) == ([], [])
    assert a.cardinality == 10 and a.matches == list(range(20, 30))
    assert a.transcript_hash == b.transcript_hash
    if output == "both":
        assert b.matches == list(range(10))
    else:
        # Nothing can follow the response: it ended the responder's session
        # (the named steps wait for finish(None), which can save it first).
        with pytest.raises(bm.StateError, match="no output"):
            b.matches
    key = bm.SigningKey.generate()
    fields = bm.Receipt.verify(a.receipt(key), [key.public_key()])
    assert bytes.fromhex(fields["transcript_hash"]) == a.transcript_hash


@pytest.mark.parametrize("reveal", ["both", "responder"])
def test_intersection_sum_on_one_loop(reveal):
    ids = [f"acct{i}" for i in range(12)]
    a = bm.SumInitiator(ids[:8], reveal_sum_to=reveal, min_intersection=0)
    b = bm.SumResponder(ids[4:], values={"v": list(range(8))}, reveal_sum_to=reveal, min_intersection=0)
    assert a.expects() == ["sum-response"] and b.expects() == ["sum-request"]
    drive(a, a.request(), b)
    assert a.expects() == b.expects() == []
    assert b.sums == {"v": 0 + 1 + 2 + 3}
    assert a.sums == (b.sums if reveal == "both" else None)
    if reveal == "responder":
        a.result(None)  # the finish ended it: nothing more to read


def test_a_message_not_expected_now_leaves_the_object_as_it_was():
    a = bm.Initiator(["a", "b"])
    b = bm.Responder(["b", "c"])
    (response,) = b.consume(a.request())
    # The request again, garbage, and the initiator's own message: refused
    # before any step reads them.
    with pytest.raises(bm.StateError):
        b.consume(a.request())
    with pytest.raises(bm.Error):
        b.consume(b"not a message")
    with pytest.raises(bm.StateError):
        a.consume(a.request())
    assert repr(b) == "Responder(live)" and b.expects() == ["psi-finish"]
    (finish,) = a.consume(response)
    assert b.consume(finish) == []
    assert a.matches == [1] and b.matches == [0]
    with pytest.raises(bm.StateError, match="already finished"):
        b.consume(finish)


def test_a_bad_message_of_the_expected_kind_fails_the_session():
    a = bm.Initiator(["a"])
    b = bm.Responder(["a"])
    response = b.respond(a.request())
    # Cut short: the envelope says psi-response, the body does not decode.
    with pytest.raises(bm.ProtocolError):
        a.consume(response[:-1])
    assert repr(a) == "Initiator(failed)" and a.expects() == []



def multi_party_on_one_loop(session, lists):
    """Members and hub driven by consume() only: a hop goes where the
    session routes it, a commitment or tags to the hub under the sender's
    name, the roster and the result to every member; a message its party
    does not expect yet (a hop before the roster) waits its turn."""
    members = {me: bm.MultiPartyMember(items, session, me) for me, items in zip(session.agencies, lists)}
    hub = bm.MultiPartyHub(session)
    queue = []  # (party, message, sender)
    for me, m in members.items():
        hop = m.start()
        queue += [(members[session.route(hop)], hop, None), (hub, m.commitment(), me)]
    while queue:
        party, message, sender = queue.pop(0)
        if bm.message_type(message) not in party.expects():
            queue.append((party, message, sender))
            continue
        for out in party.consume(message, sender=sender):
            kind = bm.message_type(out)
            if kind == "multi-hop":
                queue.append((members[session.route(out)], out, None))
            elif kind == "multi-tags":
                queue.append((hub, out, party.name))
            else:
                assert party is hub and kind in ("multi-roster", "multi-result")
                queue += [(m, out, None) for m in members.values()]
    return members, hub


def test_multi_party_on_one_loop():
    names = ["NL", "DE", "FR", "BE"]
    lists = [[f"s{i}" for i in range(j, j + 20)] for j in (0, 5, 10, 12)]
    session = bm.MultiPartySession.new(names, threshold=3)
    assert bm.MultiPartyHub(session).expects() == ["multi-commit"]
    members, hub = multi_party_on_one_loop(session, lists)
    assert hub.expects() == [] and hub.missing == []
    held = {x: sum(x in items for items in lists) for items in lists for x in items}
    for items, m in zip(lists, members.values()):
        assert m.expects() == [] and repr(m) == f"MultiPartyMember('{m.name}', finished)"
        assert m.matches == [i for i, x in enumerate(items) if held[x] >= 3]
    # The hub countersigns what the members sign, as after the named steps.
    nl, hub_key = bm.SigningKey.generate(), bm.SigningKey.generate()
    signed = hub.countersign(members["NL"].receipt(nl), hub_key)
    assert bm.Receipt.verify(signed, [nl.public_key(), hub_key.public_key()])


def test_the_hub_takes_a_message_only_with_its_sender():
    session = bm.MultiPartySession.new(["NL", "DE", "FR"])
    hub = bm.MultiPartyHub(session)
    nl = bm.MultiPartyMember(["a"], session, "NL")
    nl.start()
    with pytest.raises(bm.StateError, match="name"):
        hub.consume(nl.commitment())
    # Under another agency's name: refused, and the hub still waits for all.
    with pytest.raises(bm.Error):
        hub.consume(nl.commitment(), sender="DE")
    assert hub.expects() == ["multi-commit"] and hub.missing == ["NL", "DE", "FR"]
    assert hub.consume(nl.commitment(), sender="NL") == [] and hub.missing == ["DE", "FR"]


def test_watch_list_on_one_loop():
    server = bm.UnbalancedServer([f"w{i}" for i in range(50)], query_budget=10)
    client = bm.UnbalancedClient(["w3", "w7", "x"], epoch=server.epoch)
    assert server.expects() == ["unbalanced-query"] and client.expects() == ["unbalanced-answer"]
    query = client.query()
    (answer,) = server.consume(query, sender="c1")
    # The budget is the sender's: c1 spent 3 of 10, nobody else anything.
    assert server.remaining_budget("c1") == 7 and server.remaining_budget("c2") == 10
    # The client needs the server's digest before an answer means anything.
    with pytest.raises(bm.StateError, match="digest"):
        client.consume(answer)
    assert client.expects() == ["unbalanced-answer"]
    client.finish(answer, server.digest())
    assert client.matches == [0, 1] and client.expects() == []
