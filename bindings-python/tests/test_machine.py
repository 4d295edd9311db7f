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
