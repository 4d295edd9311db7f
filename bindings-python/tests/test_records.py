import pytest

import blindmatch as bm


def make_sets():
    ours = bm.RecordSet(default_region="GB", composites=[["name", "date_of_birth"]])
    ours.add("case-17", email="John.Doe@Example.COM ", phone="020 7946 0958", name="John Doe",
             date_of_birth="1980-04-03")
    ours.add("case-18", phone="not a phone", iban="GB82 WEST 1234 5698 7654 32")
    ours.add("case-19", document=("C01X00T47", "DE"), crypto_address=["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"])
    theirs = bm.RecordSet(date_format="%d/%m/%Y", composites=[["name", "date_of_birth"]])
    theirs.add("X-1", phone="+44 20 7946 0958", name="DOE, John", date_of_birth="03/04/1980")
    theirs.add("X-2", iban="gb82west12345698765432", document="DE:C01X-00T47")
    theirs.add("X-3", email=None, text="+442079460958")
    return ours, theirs


def test_record_sets_through_the_protocol():
    ours, theirs = make_sets()
    assert ours.errors == [("case-18", "phone", "invalid phone: not a phone number (or no region)")]
    assert len(ours) == 3 and ours.record_ids == ["case-17", "case-18", "case-19"]
    a = bm.Initiator(ours)
    b = bm.Responder(theirs)
    b.finish(a.finish(b.respond(a.request())))
    # A name alone is no key unless single_keys names it.
    assert a.record_matches == [
        ("case-17", ["name+date_of_birth", "phone"]),
        ("case-18", ["iban"]),
        ("case-19", ["document"]),
    ]
    assert b.record_matches == [("X-1", ["name+date_of_birth", "phone"]), ("X-2", ["document", "iban"])]


def test_record_matches_need_a_record_set():
    a = bm.Initiator(["x"])
    b = bm.Responder(["x"])
    b.finish(a.finish(b.respond(a.request())))
    with pytest.raises(bm.StateError, match="RecordSet"):
        a.record_matches


def test_bad_record_arguments():
    rs = bm.RecordSet()
    with pytest.raises(ValueError, match="unknown identifier kind"):
        rs.add("r", passport="X")
    with pytest.raises(TypeError):
        rs.add("r", email=3)
    with pytest.raises(bm.InvalidValueError):
        bm.RecordSet(default_region="XX")
    with pytest.raises(bm.InvalidConfigError):
        bm.RecordSet(composites=[["name"]])
    with pytest.raises(ValueError, match="on its own"):
        bm.RecordSet(single_keys=["date_of_birth"])
    rs.add("r", email="a@example.org")
    with pytest.raises(bm.InvalidConfigError):
        rs.add_composite(["name", "date_of_birth"])
    rs.add("r", email="b@example.org")
    assert rs.errors[-1][:2] == ("r", "id")


def test_later_adds_do_not_change_a_running_session():
    rs = bm.RecordSet()
    rs.add("1", email="a@example.org")
    a = bm.Initiator(rs)
    rs.add("2", email="b@example.org")
    theirs = bm.RecordSet()
    theirs.add("x", email="b@example.org")
    theirs.add("y", email="a@example.org")
    b = bm.Responder(theirs)
    b.finish(a.finish(b.respond(a.request())))
    assert a.record_matches == [("1", ["email"])]
