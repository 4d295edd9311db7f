from concurrent.futures import ThreadPoolExecutor

import blindmatch as bm


def session(n):
    a_items = [f"{n}-{i}" for i in range(300)]
    b_items = [f"{n}-{i}" for i in range(150, 450)]
    a = bm.Initiator(a_items)
    b = bm.Responder(b_items)
    b.finish(a.finish(b.respond(a.request())))
    return a.cardinality, b.cardinality


def test_sessions_in_parallel_threads():
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(session, range(8))) == [(150, 150)] * 8


def test_one_object_used_from_many_threads_finishes_once():
    a = bm.Initiator([str(i) for i in range(2000)])
    response = bm.Responder([str(i) for i in range(1000, 3000)]).respond(a.request())
    outcomes = []

    def attempt(_):
        try:
            a.finish(response)
            return "ok"
        except bm.StateError:
            return "state"

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(attempt, range(8)))
    assert outcomes.count("ok") == 1 and outcomes.count("state") == 7
    assert a.cardinality == 1000
