"""Saved sessions: save() while a party waits for the peer's message,
restore() in another process (here: after the object is gone), sealed under
a passphrase or not; damaged or foreign states raise typed errors."""

import gc
import subprocess
import sys

import pytest

import blindmatch as bm


def records(rows):
    rs = bm.RecordSet()
    for rid, email in rows:
        rs.add(rid, email=email)
    return rs


A = [("a1", "x@example.com"), ("a2", "y@example.com"), ("a3", "z@example.com"), ("a4", "Y@Example.com")]
B = [("b1", "Y@example.com"), ("b2", "w@example.com"), ("b3", "z@example.com")]


@pytest.mark.parametrize("reveal", ["intersection", "cardinality"])
@pytest.mark.parametrize("output", ["both", "initiator"])
@pytest.mark.parametrize("passphrase", [None, "correct horse", b"raw bytes pass"])
def test_a_saved_balanced_session_finishes_like_one_in_memory(reveal, output, passphrase):
    a = bm.Initiator(records(A), reveal=reveal, output=output)
    request = a.request()
    saved_a = a.save(passphrase)
    del a
    gc.collect()
    b = bm.Responder(records(B), reveal=reveal, output=output)
    response = b.respond(request)
    saved_b = b.save(passphrase)
    del b
    a = bm.Initiator.restore(saved_a, passphrase)
    finish = a.finish(response)
    b = bm.Responder.restore(saved_b, passphrase)
    b.finish(finish)
    assert a.cardinality == 2
    if reveal == "intersection":
        assert a.record_matches == [("a2", ["email"]), ("a3", ["email"]), ("a4", ["email"])]
        if output == "both":
            assert b.record_matches == [("b1", ["email"]), ("b3", ["email"])]
    if output == "initiator":
        with pytest.raises(bm.StateError):
            b.matches


def test_a_saved_client_finishes_with_labels_and_records():
    server = bm.UnbalancedServer(records(B), labels=[b"L1", b"L2", b"L3"], query_budget=100)
    c = bm.UnbalancedClient(records(A), epoch=server.epoch)
    saved = c.save("pw")
    answer = server.answer(c.query(), "nl")
    c2 = bm.UnbalancedClient.restore(saved, "pw")
    c2.finish(answer, server.digest())
    assert c2.record_matches == [("a2", ["email"]), ("a3", ["email"]), ("a4", ["email"])]
    assert c2.labels == {1: b"L1", 2: b"L3", 3: b"L1"}
    with pytest.raises(bm.StateError, match="restored client has no query"):
        c2.query()


def test_a_state_restores_in_another_process():
    a = bm.Initiator(["a", "b", "c"])
    request = a.request()
    saved = a.save("pw")
    b = bm.Responder(["c", "d"])
    response = b.respond(request)
    code = (
        "import sys, blindmatch as bm\n"
        "a = bm.Initiator.restore(sys.stdin.buffer.read(), 'pw')\n"
        f"a.finish({response!r})\n"
        "print(a.matches)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], input=saved, capture_output=True, check=True)
    assert out.stdout.strip() == b"[2]"


def test_save_only_while_waiting():
    b = bm.Responder(["a"])
    with pytest.raises(bm.StateError, match="before respond"):
        b.save()
    a2 = bm.Initiator(["a"])
    b2 = bm.Responder(["a"])
    a2.finish(b2.respond(a2.request()))
    with pytest.raises(bm.StateError, match="waits"):
        a2.save()
    with pytest.raises(bm.StateError, match="restored initiator has no request"):
        bm.Initiator.restore(bm.Initiator(["x"]).save()).request()


def test_wrong_passphrase_damaged_and_foreign_states():
    a = bm.Initiator(["a", "b"])
    plain = a.save()
    sealed = a.save("pw")
    with pytest.raises(bm.WrongPassphraseError):
        bm.Initiator.restore(sealed, "not pw")
    with pytest.raises(bm.BadStateError, match="sealed"):
        bm.Initiator.restore(sealed)
    changed = bytearray(sealed)
    changed[-1] ^= 1
    with pytest.raises(bm.WrongPassphraseError):
        bm.Initiator.restore(bytes(changed), "pw")
    for bad in (plain[:-3], b"", b"BMST\x01", b"not a state", a.request()):
        with pytest.raises(bm.BadStateError):
            bm.Initiator.restore(bad)
    # Another kind of state.
    with pytest.raises(bm.BadStateError, match="psi-initiator"):
        bm.Responder.restore(plain)
    with pytest.raises(bm.BadStateError, match="psi-initiator"):
        bm.UnbalancedClient.restore(plain)
    with pytest.raises(TypeError):
        a.save(42)  # type: ignore[arg-type]
    with pytest.raises(bm.InvalidConfigError):
        a.save("")
    # The state names no item in clear, sealed or not (the initiator keeps
    # only the mapping back to its items).
    secret = bm.Initiator(["secret-identifier@example.com"])
    assert b"secret-identifier" not in secret.save()
    assert b"secret-identifier" not in bm.UnbalancedClient(["secret-identifier"]).save("pw")
