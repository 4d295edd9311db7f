import pytest

import blindmatch as bm


def test_exchange_through_files(tmp_path):
    a = bm.Initiator(["a", "b"])
    bm.save_message(tmp_path / "request.bmch", a.request())
    b = bm.Responder(["b", "c"])
    response = b.respond(bm.load_message(tmp_path / "request.bmch", expected="psi-request"))
    bm.save_message(tmp_path / "response.bmch", response)
    finish = a.finish(bm.load_message(tmp_path / "response.bmch", expected="psi-response"))
    bm.save_message(str(tmp_path / "finish.bmch"), finish)
    b.finish(bm.load_message(tmp_path / "finish.bmch"))
    assert a.matches == [1] and b.matches == [0]
    assert bm.message_type((tmp_path / "finish.bmch").read_bytes()) == "psi-finish"


def test_wrong_files_are_caught(tmp_path):
    a = bm.Initiator(["a"])
    bm.save_message(tmp_path / "request.bmch", a.request())
    with pytest.raises(bm.WrongMessageTypeError, match="psi-request message, expected psi-response"):
        bm.load_message(tmp_path / "request.bmch", expected="psi-response")
    (tmp_path / "notes.txt").write_bytes(b"hello world")
    with pytest.raises(bm.BadMagicError):
        bm.load_message(tmp_path / "notes.txt")
    with pytest.raises(bm.Error):
        bm.save_message(tmp_path / "x.bmch", b"not a message")
    with pytest.raises(TypeError):
        bm.save_message(tmp_path / "x.bmch", "text")  # type: ignore[arg-type]
