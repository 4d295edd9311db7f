"""Partitioned sessions: balanced PSI split into parts (DESIGN §7.2).

Each party splits its items into parts by a keyed hash under its own
:class:`PartySecret`; every step is a pure function of (secret, part
index, part bytes) returning bytes, so a cluster's workers, or a loop with
a progress bar, can run the parts independently. The peer sees the same
as in one-process PSI (see SECURITY.md). The part-level steps
(:func:`request_part`, :func:`reblind_part`, ...) are what the engine
integrations build on; :class:`Initiator` and :class:`Responder` below
run a whole party on one machine, part by part, with a progress bar (tqdm,
when installed):

>>> from blindmatch import partition
>>> a = partition.Initiator(["x", "y", "z"], parts=2)
>>> request, request_manifest = a.request()
>>> b = partition.Responder(["y", "z", "w"], request_manifest, parts=3)
>>> response = b.respond(request)
>>> finish = a.finish(*response)
>>> b.finish(*finish)
>>> a.matches, b.matches, a.cardinality
([1, 2], [0, 1], 2)
"""

from __future__ import annotations

from typing import Any, Callable, List, Literal, Optional, Sequence, Tuple, Union

from ._blindmatch import (
    PartySecret,
    bundle,
    count_part,
    elements_part,
    finish_part,
    join,
    matches_part,
    mix_part,
    part_info,
    part_kind,
    part_values,
    reblind_part,
    request_part,
    unbundle,
)

_Item = Union[str, bytes]
_Reveal = Literal["intersection", "cardinality"]
_Output = Literal["both", "initiator"]
_Kind = Literal["request", "elements", "reblinded", "finish"]
Parts = List[bytes]


def _progress(total: int, desc: str, show: Optional[bool]) -> Any:
    """A tqdm bar when tqdm is installed and ``show`` is not False; else a no-op."""
    if show is False:
        return _NoBar()
    try:
        from tqdm.auto import tqdm  # type: ignore[import-untyped]
    except ImportError:
        return _NoBar()
    return tqdm(total=total, desc=desc, unit="item", disable=None if show is None else not show)


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def split(secret: PartySecret, items: Sequence[_Item]) -> List[List[int]]:
    """The positions of ``items`` in each of the secret's parts."""
    where: List[List[int]] = [[] for _ in range(secret.parts)]
    for i, p in enumerate(secret.parts_of(items)):
        where[p].append(i)
    return where


class _Party:
    _reveal: str

    def __init__(self, items: Sequence[_Item], secret: PartySecret, progress: Optional[bool]) -> None:
        self._items = list(items)
        self._secret = secret
        self._progress = progress
        self._where = split(secret, self._items)
        self._matches: Optional[List[int]] = None
        self._cardinality: Optional[int] = None
        self._request: Tuple[Parts, bytes] = ([], b"")
        self._reblinded: Parts = []

    def _part_items(self, i: int) -> List[_Item]:
        return [self._items[j] for j in self._where[i]]

    def _blind(self, step: Callable[[PartySecret, int, List[_Item]], bytes], kind: _Kind, desc: str) -> Tuple[Parts, bytes]:
        bar = _progress(len(self._items), desc, self._progress)
        parts = []
        for i in range(self._secret.parts):
            items = self._part_items(i)
            parts.append(step(self._secret, i, items))
            bar.update(len(items))
        bar.close()
        return parts, self._secret.manifest(kind, parts)

    def _over_parts(
        self, step: Callable[[PartySecret, int, bytes], bytes], kind: _Kind, parts: Parts, buckets: int, desc: str
    ) -> Parts:
        """Runs ``step`` on each of the peer's parts with a progress bar; in
        cardinality mode, mixes the results into ``buckets`` before they are sent."""
        bar = _progress(sum(part_info(p)[2] for p in parts), desc, self._progress)
        aligned = []
        for i, part in enumerate(parts):
            aligned.append(step(self._secret, i, part))
            bar.update(part_info(part)[2])
        bar.close()
        if self._reveal != "cardinality":
            return aligned
        return [mix_part(self._secret, kind, k, aligned) for k in range(buckets)]

    def _result(self, reblinded: Parts, finish: Parts) -> None:
        """Joins (intersection) or counts per bucket (cardinality)."""
        if self._reveal == "cardinality":
            self._cardinality = sum(count_part(self._secret, k, r, f) for k, (r, f) in enumerate(zip(reblinded, finish)))
            self._matches = []
            return
        by_kind = {"reblinded": reblinded, "finish": finish}
        flags = join(self._secret, lambda kind, i: by_kind[kind][i])
        matched: List[int] = []
        values = set()
        for i in range(self._secret.parts):
            items = self._part_items(i)
            for at in matches_part(self._secret, i, items, flags[i]):
                matched.append(self._where[i][at])
                values.add(items[at])
        self._matches = sorted(matched)
        self._cardinality = len(values)

    @property
    def matches(self) -> List[int]:
        """Sorted indices into the items that are shared ([] in cardinality mode)."""
        if self._matches is None:
            raise RuntimeError("the session has not finished")
        return self._matches

    @property
    def cardinality(self) -> int:
        """The number of distinct shared items."""
        if self._cardinality is None:
            raise RuntimeError("the session has not finished")
        return self._cardinality


class Initiator(_Party):
    """The initiator of a partitioned session on one machine (see the module doc)."""

    def __init__(
        self,
        items: Sequence[_Item],
        parts: int,
        reveal: _Reveal = "intersection",
        output: _Output = "both",
        max_peer_items: Optional[int] = None,
        min_peer_items: int = 0,
        *,
        progress: Optional[bool] = None,
    ) -> None:
        self._reveal = reveal
        super().__init__(items, PartySecret.initiator(parts, reveal, output, max_peer_items, min_peer_items), progress)

    def request(self) -> Tuple[Parts, bytes]:
        """Blinds every part: (request parts, request manifest) for the responder."""
        self._request = self._blind(request_part, "request", "blinding")
        return self._request

    def finish(self, elements: Parts, elements_manifest: bytes, reblinded: Parts, reblinded_manifest: bytes) -> Tuple[Parts, bytes]:
        """Processes the response; returns (finish parts, finish manifest), for
        the responder when it learns the output too (output="both")."""
        self._secret.accept(elements_manifest)
        self._secret.accept(reblinded_manifest)
        finish = self._over_parts(finish_part, "finish", elements, len(self._request[0]), "comparing")
        manifest = self._secret.manifest("finish", finish)
        self._result(reblinded, finish)
        return finish, manifest


class Responder(_Party):
    """The responder of a partitioned session on one machine (see the module doc)."""

    def __init__(
        self,
        items: Sequence[_Item],
        request_manifest: bytes,
        parts: int,
        reveal: _Reveal = "intersection",
        output: _Output = "both",
        max_peer_items: Optional[int] = None,
        min_peer_items: int = 0,
        *,
        progress: Optional[bool] = None,
    ) -> None:
        self._reveal = reveal
        secret = PartySecret.responder(request_manifest, parts, reveal, output, max_peer_items, min_peer_items)
        super().__init__(items, secret, progress)

    def respond(self, request: Parts) -> Tuple[Parts, bytes, Parts, bytes]:
        """Blinds this party's parts and reblinds the request's:
        (elements parts, elements manifest, reblinded parts, reblinded manifest)."""
        elements, elements_manifest = self._blind(elements_part, "elements", "blinding")
        reblinded = self._over_parts(reblind_part, "reblinded", request, len(request), "reblinding")
        self._reblinded = reblinded
        return elements, elements_manifest, reblinded, self._secret.manifest("reblinded", reblinded)

    def finish(self, finish: Parts, finish_manifest: bytes) -> None:
        """Processes the initiator's finish parts."""
        self._secret.accept(finish_manifest)
        self._result(self._reblinded, finish)


__all__ = [
    "PartySecret",
    "Initiator",
    "Responder",
    "split",
    "part_info",
    "request_part",
    "elements_part",
    "reblind_part",
    "finish_part",
    "mix_part",
    "part_values",
    "matches_part",
    "count_part",
    "join",
    "bundle",
    "unbundle",
    "part_kind",
]
