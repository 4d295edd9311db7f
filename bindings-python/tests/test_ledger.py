"""The ledger through the Python package: budgets that survive restarts and
processes, tampering found, sessions and receipts recorded."""

import os
import subprocess
import sys

import pytest

import blindmatch as bm

KEY = bm.OprfKey.derive(b"\x42" * 32, b"python ledger tests")
WATCH = [f"+4420794600{i:02}" for i in range(32)]


def server(ledger, budget=20):
    return bm.UnbalancedServer(WATCH, key=KEY, query_budget=budget, ledger=ledger)


def ask(srv, n, client_id="agency-nl"):
    c = bm.UnbalancedClient([f"+3314268{os.urandom(4).hex()}" for _ in range(n)])
    return srv.answer(c.query(), client_id=client_id)


def tamper(path, sql):
    """Edits the ledger file with SQL, its append-only triggers dropped, as an
    operator would. In another process: two SQLite libraries (Python's and
    the one compiled into blindmatch) in one process would break each
    other's POSIX locks."""
    script = ("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.executescript("
              "'DROP TRIGGER IF EXISTS entries_no_update; DROP TRIGGER IF EXISTS entries_no_delete;' + sys.argv[2]); c.close()")
    subprocess.run([sys.executable, "-c", script, str(path), sql], check=True)


def test_the_budget_has_no_default():
    with pytest.raises(TypeError):
        bm.UnbalancedServer(["a"])
    with pytest.raises(ValueError):
        bm.UnbalancedServer(["a"], query_budget="lots")
    with pytest.raises(TypeError):
        bm.UnbalancedServer(["a"], query_budget=None)
    assert bm.UnbalancedServer(["a"], query_budget="unlimited").remaining_budget("x") is None


def test_a_restart_keeps_every_clients_spent_budget(tmp_path):
    path = tmp_path / "wl.sqlite"
    s = server(bm.Ledger(path))
    ask(s, 8)
    ask(s, 8)
    ask(s, 3, "agency-de")
    del s
    # A new server object and a new ledger connection: same key, same file.
    s = server(bm.Ledger(path))
    assert s.remaining_budget("agency-nl") == 4
    assert s.remaining_budget("agency-de") == 17
    with pytest.raises(bm.BudgetExceededError):
        ask(s, 8)
    # A server without a ledger starts afresh: its docs say so.
    assert server(None).remaining_budget("agency-nl") == 20
    assert bm.Ledger(path).verify()["entries"] == 3


def test_two_processes_on_one_ledger_never_exceed_a_budget_together(tmp_path):
    path = tmp_path / "shared.sqlite"
    bm.Ledger(path)
    child = f"""
import blindmatch as bm, os, sys
key = bm.OprfKey.derive(b"\\x42" * 32, b"python ledger tests")
s = bm.UnbalancedServer({WATCH!r}, key=key, query_budget=165, ledger=bm.Ledger(sys.argv[1]))
n = 0
while True:
    c = bm.UnbalancedClient([os.urandom(8).hex() for _ in range(8)])
    try:
        s.answer(c.query(), client_id="agency-nl")
    except bm.BudgetExceededError:
        break
    n += 1
print(n)
"""
    procs = [subprocess.Popen([sys.executable, "-c", child, str(path)], stdout=subprocess.PIPE, text=True)
             for _ in range(2)]
    answered = sum(int(p.communicate()[0]) for p in procs)
    assert all(p.returncode == 0 for p in procs)
    assert answered == 20  # 165 // 8, and not one more between them
    ledger = bm.Ledger(path)
    assert ledger.verify()["entries"] == 20
    assert server(ledger, 165).remaining_budget("agency-nl") == 5


def test_tampering_with_sql_is_found_and_checkpoints_pin_the_chain(tmp_path):
    path = tmp_path / "t.sqlite"
    ledger = bm.Ledger(path)
    s = server(ledger, 1000)
    for _ in range(4):
        ask(s, 2)
    signer = bm.SigningKey.generate()
    cp = ledger.checkpoint(signer)
    assert bm.message_type(cp) == "checkpoint"
    assert ledger.verify([cp], [signer.public_key()])["checkpoints"] == 1
    tamper(path, "UPDATE spent SET used = 0;")
    with pytest.raises(bm.LedgerTamperedError, match="budget total"):
        ledger.verify()
    # Cut the tail and fix the total: the chain is consistent, only the
    # checkpoint shows the cut.
    tamper(path, "UPDATE spent SET used = 6; DELETE FROM entries WHERE seq >= 4;")
    assert ledger.verify()["entries"] == 3
    with pytest.raises(bm.LedgerTamperedError):
        ledger.verify([cp], [signer.public_key()])
    with pytest.raises(bm.BadSignatureError):
        ledger.verify([cp], [bm.SigningKey.generate().public_key()])


def test_sessions_and_receipts_are_recorded(tmp_path):
    la, lb = bm.Ledger(tmp_path / "a.sqlite"), bm.Ledger(tmp_path / "b.sqlite")
    a = bm.Initiator(["a", "b"], case_ref="NL-2026-0142", legal_basis="MLAT art. 18", ledger=la)
    b = bm.Responder(["b"], case_ref="NL-2026-0142", legal_basis="MLAT art. 18", ledger=lb)
    b.finish(a.finish(b.respond(a.request())))
    ka, kb = bm.SigningKey.generate(), bm.SigningKey.generate()
    r2 = bm.Receipt.countersign(a.receipt(ka), kb, expect=b)
    assert [e["kind"] for e in la.entries()] == ["session", "receipt"]
    assert [e["kind"] for e in lb.entries()] == ["session", "receipt"]
    session = la.entries()[0]["data"]
    assert session["transcript_hash"] == a.transcript_hash.hex()
    assert session["case_ref"] == "NL-2026-0142" and session["cardinality"] == 1
    assert lb.entries()[1]["data"]["receipt"] == r2.hex()
    assert len(la) == 2 and la.verify()["entries"] == 2


def test_a_ledger_others_can_read_is_refused(tmp_path):
    path = tmp_path / "open.sqlite"
    bm.Ledger(path)
    assert os.stat(path).st_mode & 0o777 == 0o600
    os.chmod(path, 0o644)
    with pytest.raises(bm.StorageError, match="chmod 600"):
        bm.Ledger(path)
