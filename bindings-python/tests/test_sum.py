"""Intersection-sum from Python: golden vectors shared with Rust and
JavaScript, sums against a naive computation, the minimum, noise, misuse
and refusals."""

import random

import pytest

import blindmatch as bm
from blindmatch import testing


def run(a_items, b_items, values, **kw):
    a = bm.SumInitiator(
        a_items,
        **{k: v for k, v in kw.items() if k in ("reveal_sum_to", "min_intersection")},
        accept_noisy="noise_epsilon" in kw,
    )
    b = bm.SumResponder(b_items, values=values, **kw)
    finish = a.finish(b.respond(a.request()))
    a.result(b.finish(finish))
    return a, b


def naive(a_items, b_items, values):
    shared = set(a_items) & set(b_items)
    sums = {name: sum(v for x, v in zip(b_items, col) if x in shared) for name, col in values.items()}
    return len(shared), sums


def test_golden_sessions_replay_byte_for_byte(vectors):
    g = vectors("golden_sum.json")
    values = g["columns"]
    rc = g["receipts"]
    ka = bm.SigningKey.from_secret_bytes(bytes.fromhex(rc["signing_key_a"]))
    kb = bm.SigningKey.from_secret_bytes(bytes.fromhex(rc["signing_key_b"]))
    case = dict(case_ref=rc["case_ref"], legal_basis=rc["legal_basis"])
    for s in g["sessions"]:
        noise = s["noise"] or {}
        a = testing.SumInitiator(
            g["initiator_items"],
            reveal_sum_to=s["reveal_sum_to"],
            min_intersection=s["min_intersection"],
            accept_noisy=bool(noise),
            rng_seed=bytes.fromhex(s["initiator_rng_seed"]),
            **case,
        )
        assert a.request().hex() == s["request"]
        b = testing.SumResponder(
            g["responder_items"],
            values=values,
            reveal_sum_to=s["reveal_sum_to"],
            min_intersection=s["min_intersection"],
            noise_epsilon=noise.get("epsilon"),
            noise_sensitivity=noise.get("sensitivity"),
            rng_seed=bytes.fromhex(s["responder_rng_seed"]),
            **case,
        )
        response = b.respond(a.request())
        assert response.hex() == s["response"]
        finish = a.finish(response)
        assert finish.hex() == s["finish"]
        result = b.finish(finish)
        assert (result.hex() if result is not None else None) == s["result"]
        a.result(result)
        for party, expected in ((a, s["initiator"]), (b, s["responder"])):
            assert party.cardinality == expected["cardinality"]
            sums = {k: str(v) for k, v in party.sums.items()} if party.sums is not None else None
            assert sums == expected["sums"]
        assert a.proven == s["initiator"]["proven"] and a.noisy == s["initiator"]["noisy"]
        assert a.transcript_hash == b.transcript_hash
        assert a.transcript_hash.hex() == s["transcript_hash"]
        signed = a.receipt(ka, timestamp=rc["signed_at"])
        assert signed.hex() == s["initiator_receipt"], s["name"]
        both = bm.Receipt.countersign(signed, kb, expect=b, timestamp=rc["countersigned_at"])
        assert both.hex() == s["countersigned_receipt"], s["name"]


@pytest.mark.parametrize("seed", range(6))
def test_sums_equal_the_naive_ones(seed):
    rng = random.Random(seed)
    a_items = [f"acct{rng.randrange(80)}" for _ in range(rng.randrange(0, 60))]
    b_items = [f"acct{rng.randrange(80)}" for _ in range(rng.randrange(1, 60))]
    values = {
        "amount_cents": [rng.randrange(2**32 // 64) for _ in b_items],
        "transfers": [rng.randrange(20) for _ in b_items],
    }
    cardinality, sums = naive(a_items, b_items, values)
    a, b = run(a_items, b_items, values)
    assert a.cardinality == b.cardinality == cardinality
    revealed = cardinality >= 5  # the default min_intersection
    expected = sums if revealed else None
    assert a.sums == expected and b.sums == expected
    assert a.proven == revealed


def test_the_default_minimum_hides_a_total_over_fewer_than_five():
    items = [f"acct{i}" for i in range(10)]
    a, b = run(items[:4], items, {"v": [1000] * 10})
    assert (a.cardinality, a.sums, b.sums) == (4, None, None)
    a, b = run(items[:5], items, {"v": [1000] * 10})
    assert a.sums == b.sums == {"v": 5000}


def test_below_the_minimum_only_the_cardinality_is_revealed():
    a, b = run(["x", "y", "z"], ["y", "z", "w"], {"v": [1, 2, 3]}, min_intersection=3)
    assert (a.cardinality, a.sums, b.sums) == (2, None, None)
    a, b = run(["x", "y", "z"], ["y", "z", "w"], {"v": [1, 2, 3]}, min_intersection=2)
    assert a.sums == b.sums == {"v": 3}


def test_sums_revealed_to_the_value_holder_only():
    a = bm.SumInitiator(["x", "y"], reveal_sum_to="responder", min_intersection=0)
    b = bm.SumResponder(["y"], values={"v": [9]}, reveal_sum_to="responder", min_intersection=0)
    result = b.finish(a.finish(b.respond(a.request())))
    assert result is None
    a.result(None)
    assert (a.cardinality, a.sums, b.sums) == (1, None, {"v": 9})


def test_noise_on_the_initiators_sums():
    items = [f"a{i}" for i in range(40)]
    a, b = run(items, items, {"v": [5] * 40}, noise_epsilon=1.0, noise_sensitivity=5)
    assert b.sums == {"v": 200}
    assert a.noisy and not a.proven
    assert abs(a.sums["v"] - 200) < 500


def test_deviating_value_holder_sends_unproven_sums():
    """A value holder that answers with noisy (unproven) sums an initiator
    did not ask for: refused, like any failed proof."""
    items = [f"a{i}" for i in range(10)]
    a = bm.SumInitiator(items)
    b = bm.SumResponder(items, values={"v": [5] * 10}, noise_epsilon=1.0, noise_sensitivity=5)
    result = b.finish(a.finish(b.respond(a.request())))
    with pytest.raises(bm.BadProofError):
        a.result(result)


def test_values_from_pandas_and_large_values():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"iban": ["NL91ABNA0417164300", "BE68539007547034"], "amount": [2**40, 7]})
    a = bm.SumInitiator(["BE68539007547034", "NL91ABNA0417164300"], min_intersection=0)
    b = bm.SumResponder(df["iban"].tolist(), values={"amount": df["amount"]}, value_bits=64, min_intersection=0)
    a.result(b.finish(a.finish(b.respond(a.request()))))
    assert a.sums == {"amount": 2**40 + 7}


def test_misuse_and_refusals():
    a = bm.SumInitiator(["x"], min_intersection=0)
    assert repr(a) == "SumInitiator(live)"
    with pytest.raises(bm.StateError):
        a.cardinality
    with pytest.raises(bm.StateError):
        a.result(None)
    b = bm.SumResponder(["x"], values={"v": [1]}, min_intersection=0)
    response = b.respond(a.request())
    with pytest.raises(bm.StateError):
        b.respond(a.request())
    finish = a.finish(response)
    assert a.cardinality == 1
    with pytest.raises(bm.StateError):
        a.sums
    result = b.finish(finish)
    with pytest.raises(bm.UnexpectedFinishError):
        a.result(None)
    # The object failed: it raises the same error again.
    with pytest.raises(bm.UnexpectedFinishError):
        a.result(result)
    # Mismatched settings, values out of range, a RecordSet, bad arguments.
    with pytest.raises(bm.ConfigMismatchError):
        bm.SumResponder(["x"], values={"v": [1]}, min_intersection=7).respond(bm.SumInitiator(["x"]).request())
    with pytest.raises(bm.InvalidConfigError):
        bm.SumResponder(["x"], values={"v": [2**32]})
    with pytest.raises(bm.InvalidConfigError):
        bm.SumResponder(["x", "y"], values={"v": [1]})
    with pytest.raises(TypeError):
        bm.SumResponder(bm.RecordSet(), values={"v": []})
    with pytest.raises(ValueError):
        bm.SumInitiator(["x"], reveal_sum_to="initiator")
    with pytest.raises(ValueError):
        bm.SumResponder(["x"], values={"v": [1]}, noise_epsilon=1.0)


def test_a_forged_result_fails_its_proof():
    a = testing.SumInitiator(["x", "y"], min_intersection=0, rng_seed=bytes(32))
    b = testing.SumResponder(["x", "y"], values={"v": [3, 4]}, min_intersection=0, rng_seed=bytes([1]) * 32)
    finish = a.finish(b.respond(a.request()))
    result = bytearray(b.finish(finish))
    # The first limb sum (7) is the byte after session id, cardinality and kind.
    at = 6 + 16 + 1 + 1 + 1
    assert result[at] == 7
    result[at] = 8
    with pytest.raises(bm.BadProofError):
        a.result(bytes(result))


@pytest.mark.parametrize("reveal", ["both", "responder"])
def test_a_sum_session_leaves_receipts_and_ledger_entries(tmp_path, reveal):
    """Both parties of a sum hold one record: the initiator signs a receipt
    of it, the value holder countersigns after checking it against its own,
    and each ledger holds the session."""
    case = {"case_ref": "FIU-2026-7", "legal_basis": "AMLD art. 50"}
    la, lb = bm.Ledger(tmp_path / "a.sqlite"), bm.Ledger(tmp_path / "b.sqlite")
    ids = [f"acct{i}" for i in range(10)]
    a = bm.SumInitiator(ids[:6], reveal_sum_to=reveal, min_intersection=0, ledger=la, **case)
    b = bm.SumResponder(ids[3:], values={"eur": list(range(7))}, reveal_sum_to=reveal, min_intersection=0, ledger=lb, **case)
    a.result(b.finish(a.finish(b.respond(a.request()))))
    assert a.transcript_hash == b.transcript_hash and len(a.transcript_hash) == 64
    ka, kb = bm.SigningKey.generate(), bm.SigningKey.generate()
    both = bm.Receipt.countersign(a.receipt(ka), kb, expect=b, expect_case_ref="FIU-2026-7")
    fields = bm.Receipt.verify(both, [ka.public_key(), kb.public_key()])
    assert (fields["protocol"], fields["output"], fields["role"]) == ("sum", reveal, "initiator")
    assert (fields["own_count"], fields["peer_count"], fields["cardinality"]) == (6, 7, 3)
    for ledger, role in ((la, "initiator"), (lb, "responder")):
        session = ledger.entries()[0]["data"]
        assert (session["protocol"], session["role"], session["cardinality"]) == ("sum", role, 3)
        assert session["transcript_hash"] == a.transcript_hash.hex()
    # Another sum's record does not vouch for this receipt.
    c = bm.SumInitiator(ids[:6], reveal_sum_to=reveal, min_intersection=0)
    d = bm.SumResponder(ids[3:], values={"eur": list(range(7))}, reveal_sum_to=reveal, min_intersection=0)
    c.result(d.finish(c.finish(d.respond(c.request()))))
    with pytest.raises(bm.ReceiptMismatchError):
        bm.Receipt.countersign(a.receipt(ka), kb, expect=d)
