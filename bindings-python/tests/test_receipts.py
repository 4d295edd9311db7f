"""Transcripts and signed receipts (DESIGN §7.3) through the Python package."""

import json

import pytest

import blindmatch as bm
from blindmatch import testing


def session(reveal="intersection", output="both", **kw):
    a = bm.Initiator(["a", "b", "c"], reveal=reveal, output=output, case_ref="NL-2026-0142",
                     legal_basis="MLAT art. 18", **kw)
    b = bm.Responder(["c", "d", "a"], reveal=reveal, output=output, case_ref="NL-2026-0142",
                     legal_basis="MLAT art. 18")
    b.finish(a.finish(b.respond(a.request())))
    return a, b


def test_both_parties_hold_one_transcript_and_a_countersigned_receipt_verifies():
    a, b = session()
    assert a.transcript_hash == b.transcript_hash and len(a.transcript_hash) == 64
    ka, kb = bm.SigningKey.generate(), bm.SigningKey.generate()
    r = a.receipt(ka)
    r2 = bm.Receipt.countersign(r, kb, expect=b)
    fields = bm.Receipt.verify(r2, [ka.public_key(), kb.public_key()])
    assert fields["case_ref"] == "NL-2026-0142"
    assert fields["legal_basis"] == "MLAT art. 18"
    assert fields["cardinality"] == 2
    assert fields["own_count"] == 3 and fields["peer_count"] == 3
    assert fields["role"] == "initiator" and fields["protocol"] == "psi"
    assert bytes.fromhex(fields["transcript_hash"]) == b.transcript_hash
    assert fields["signer"] == ka.public_key().hex()
    assert fields["countersigner"] == kb.public_key().hex()
    assert json.loads(bm.Receipt.to_json(r2, [ka.public_key(), kb.public_key()])) == fields
    assert bm.message_type(r2) == "receipt"
    # The responder's own receipt carries the same transcript hash.
    rb = bm.Receipt.verify(b.receipt(kb), [kb.public_key()])
    assert rb["transcript_hash"] == fields["transcript_hash"] and rb["role"] == "responder"


def test_tampered_receipts_wrong_keys_and_other_sessions_are_refused():
    a, b = session()
    ka, kb, other = bm.SigningKey.generate(), bm.SigningKey.generate(), bm.SigningKey.generate()
    r2 = bm.Receipt.countersign(a.receipt(ka), kb, expect=b)
    keys = [ka.public_key(), kb.public_key()]
    for i in range(len(r2)):
        bad = bytearray(r2)
        bad[i] ^= 0x01
        with pytest.raises(bm.Error):
            bm.Receipt.verify(bytes(bad), keys)
    with pytest.raises(bm.BadSignatureError):
        bm.Receipt.verify(r2, [ka.public_key(), other.public_key()])
    with pytest.raises(bm.BadSignatureError):
        bm.Receipt.verify(r2, [ka.public_key()])
    # A receipt of another session: the countersigner's check refuses it.
    a2, _ = session()
    with pytest.raises(bm.ReceiptMismatchError):
        bm.Receipt.countersign(a2.receipt(ka), kb, expect=b)
    with pytest.raises(bm.InvalidKeyError):
        bm.Receipt.verify(r2, [b"short"])
    with pytest.raises(TypeError):
        bm.Receipt.countersign(a.receipt(ka), kb, expect="not a party")


def test_a_receipt_needs_a_finished_session_and_keys_stay_secret():
    a = bm.Initiator(["a"])
    key = bm.SigningKey.generate()
    with pytest.raises(bm.StateError):
        a.receipt(key)
    with pytest.raises(bm.StateError):
        a.transcript_hash
    assert key.to_secret_bytes().hex() not in repr(key)
    assert key.public_key().hex() in repr(key)
    assert bm.SigningKey.from_secret_bytes(key.to_secret_bytes()).public_key() == key.public_key()
    with pytest.raises(bm.InvalidKeyError):
        bm.SigningKey.from_secret_bytes(b"x" * 31)
    with pytest.raises(bm.InvalidConfigError):
        bm.Initiator(["a"], case_ref="line\nbreak")


def test_golden_receipts_replay_byte_for_byte(vectors):
    g = vectors("golden_psi.json")
    rc = g["receipts"]
    ka = bm.SigningKey.from_secret_bytes(bytes.fromhex(rc["signing_key_a"]))
    kb = bm.SigningKey.from_secret_bytes(bytes.fromhex(rc["signing_key_b"]))
    assert ka.public_key().hex() == rc["public_key_a"]
    case = dict(case_ref=rc["case_ref"], legal_basis=rc["legal_basis"])
    for s in g["psi"]:
        a = testing.Initiator(g["initiator_items"], reveal=s["reveal"], output=s["output"],
                              rng_seed=bytes.fromhex(s["initiator_rng_seed"]), **case)
        b = testing.Responder(g["responder_items"], reveal=s["reveal"], output=s["output"],
                              rng_seed=bytes.fromhex(s["responder_rng_seed"]), **case)
        b.finish(a.finish(b.respond(a.request())))
        assert a.transcript_hash.hex() == s["transcript_hash"]
        signed = a.receipt(ka, timestamp=rc["signed_at"])
        assert signed.hex() == s["initiator_receipt"], s["name"]
        both = bm.Receipt.countersign(signed, kb, expect=b, timestamp=rc["countersigned_at"])
        assert both.hex() == s["countersigned_receipt"], s["name"]
    u = g["unbalanced"]
    key = bm.OprfKey.derive(bytes.fromhex(u["key_seed"]), bytes.fromhex(u["key_info"]))
    server = testing.UnbalancedServer(u["server_items"], labels=u["labels"], key=key, query_budget=100,
                                      rng_seed=bytes.fromhex(u["server_rng_seed"]))
    client = testing.UnbalancedClient(u["client_items"], rng_seed=bytes.fromhex(u["client_rng_seed"]), **case)
    client.finish(server.answer(client.query(), client_id="golden"), server.digest())
    assert client.transcript_hash.hex() == u["transcript_hash"]
    assert client.receipt(ka, timestamp=rc["signed_at"]).hex() == u["client_receipt"]


def test_deviating_signer_names_another_case_or_the_exchange_is_countersigned_twice(tmp_path):
    """A countersigner told of its case refuses a receipt of another case;
    its ledger refuses a second countersignature of the same exchange."""
    ledger = bm.Ledger(tmp_path / "b.sqlite")
    a = bm.Initiator(["a", "b", "c"], case_ref="NL-2026-0142", legal_basis="MLAT art. 18")
    b = bm.Responder(["c", "d", "a"], case_ref="NL-2026-0142", legal_basis="MLAT art. 18", ledger=ledger)
    b.finish(a.finish(b.respond(a.request())))
    ka, kb = bm.SigningKey.generate(), bm.SigningKey.generate()
    r = a.receipt(ka)
    with pytest.raises(bm.ReceiptMismatchError):
        bm.Receipt.countersign(r, kb, expect=b, expect_case_ref="NL-2026-0999")
    with pytest.raises(bm.ReceiptMismatchError):
        bm.Receipt.countersign(r, kb, expect=b, expect_legal_basis="another treaty")
    with pytest.raises(bm.ReceiptMismatchError):
        bm.Receipt.countersign(r, kb, expect=b, timestamp=1)  # before the signature
    both = bm.Receipt.countersign(r, kb, expect=b, expect_case_ref="NL-2026-0142", expect_legal_basis="MLAT art. 18")
    assert bm.Receipt.verify(both, [ka.public_key(), kb.public_key()])["case_ref"] == "NL-2026-0142"
    # The same exchange countersigned again (a later timestamp: other bytes).
    with pytest.raises(bm.ReplayError):
        bm.Receipt.countersign(r, kb, expect=b, timestamp=int(bm.Receipt.verify(both, [ka.public_key(), kb.public_key()])["countersigned_at"]) + 1)
