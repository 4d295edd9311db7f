import pytest

pd = pytest.importorskip("pandas")

import blindmatch as bm  # noqa: E402
from blindmatch.dataframe import (  # noqa: E402
    errors_to_dataframe,
    record_matches_to_dataframe,
    record_set_from_dataframe,
)


def test_dataframes_in_and_out():
    ours = pd.DataFrame(
        {
            "case": ["c1", "c2", "c3"],
            "mail": ["John.Doe@Example.com", None, "bad address"],
            "tel": ["020 7946 0958", "01 42 68 53 00", float("nan")],
            "country": ["GB", "FR", None],
        }
    )
    theirs = pd.DataFrame({"id": ["x1", "x2"], "mail": ["john.doe@example.com", ""], "tel": ["", "+33142685300"]})
    a_rs = record_set_from_dataframe(ours, "case", {"mail": "email", "tel": "phone"}, region_column="country")
    b_rs = record_set_from_dataframe(theirs, "id", {"mail": "email", "tel": "phone"})
    assert errors_to_dataframe(a_rs).to_dict("records") == [
        {"record_id": "c3", "field": "email", "message": "invalid email: no @"},
        {"record_id": "c3", "field": "*", "message": "invalid record: no usable identifier"},
    ]
    a, b = bm.Initiator(a_rs), bm.Responder(b_rs)
    b.finish(a.finish(b.respond(a.request())))
    df = record_matches_to_dataframe(a)
    assert df.to_dict("records") == [{"record_id": "c1", "kinds": "email"}, {"record_id": "c2", "kinds": "phone"}]
    assert list(record_matches_to_dataframe(b)["record_id"]) == ["x1", "x2"]


def test_series_as_items():
    a = bm.Initiator(pd.Series(["a", "b", "c"], index=[10, 20, 30]))
    b = bm.Responder(pd.Series(["c", "a"]))
    b.finish(a.finish(b.respond(a.request())))
    assert a.matches == [0, 2]


def test_bad_mapping():
    df = pd.DataFrame({"id": ["1"], "x": ["a"]})
    with pytest.raises(KeyError):
        record_set_from_dataframe(df, "id", {"missing": "email"})
    with pytest.raises(ValueError, match="unknown kind"):
        record_set_from_dataframe(df, "id", {"x": "passport"})
