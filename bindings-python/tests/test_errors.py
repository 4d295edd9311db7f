import random

import pytest

import blindmatch as bm
from blindmatch import _errors


def test_every_core_code_has_its_own_class():
    assert len(bm.ERROR_CODES) == len(set(bm.ERROR_CODES)) >= 24
    for code in bm.ERROR_CODES:
        cls = bm.error_class(code)
        assert cls is not bm.Error, code
        assert cls.code == code
        assert issubclass(cls, bm.Error) and issubclass(cls, ValueError)
        assert issubclass(cls, bm.ProtocolError) == (code in bm.PROTOCOL_CODES), code
        assert cls.__name__ in _errors.__all__
        err = _errors.error_for(code, "msg")
        assert type(err) is cls and err.code == code and str(err) == "msg"
    assert bm.error_class("no_such_code") is bm.Error


def test_malformed_messages_all_raise_blindmatch_errors():
    rng = random.Random(7)
    a = bm.Initiator(["a", "b", "c"])
    request = a.request()
    response = bm.Responder(["b"]).respond(request)
    for base, step in ((request, "respond"), (response, "finish")):
        for _ in range(150):
            m = bytearray(base)
            op = rng.randrange(4)
            if op == 0:
                m = m[: rng.randrange(len(m))]
            elif op == 1:
                m += bytes(rng.randrange(256) for _ in range(rng.randrange(1, 9)))
            elif op == 2:
                i = rng.randrange(6)  # header bytes must always be caught
                m[i] ^= rng.randrange(1, 256)
            else:
                m = bytearray(rng.randbytes(rng.randrange(0, 80)))
            with pytest.raises(bm.Error):
                if step == "respond":
                    bm.Responder(["b"]).respond(bytes(m))
                else:
                    bm.Initiator(["a", "b", "c"]).finish(bytes(m))


def test_messages_name_no_identifiers():
    secret = "alice.secret@example.org"
    a = bm.Initiator([secret, secret + "2"])
    with pytest.raises(bm.Error) as e:
        bm.Responder(["x"], max_peer_items=1).respond(a.request())
    assert "alice" not in str(e.value) and "alice" not in repr(e.value)
