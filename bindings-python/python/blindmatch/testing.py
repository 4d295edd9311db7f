"""Deterministic protocol objects, for tests only. **Insecure.**

The classes of :mod:`blindmatch` draw every secret (session keys, blinds,
query ids, label salts) from the operating system and take no seed. This
module builds the same objects from a 32-byte ``rng_seed`` instead, so that
a test can reproduce exact messages (the golden vectors shared with the Rust
and JavaScript tests). Whoever knows the seed knows the session key: never
use it with real data.

>>> from blindmatch import testing
>>> a = testing.initiator(["x"], rng_seed=bytes(32))
>>> a.request() == testing.initiator(["x"], rng_seed=bytes(32)).request()
True
"""

from __future__ import annotations

from typing import Any, Iterable, Optional, Union, cast

from . import _blindmatch
from ._blindmatch import (
    Initiator,
    OprfKey,
    RecordSet,
    Responder,
    UnbalancedClient,
    UnbalancedServer,
)

# The native submodule is left out of the type stubs on purpose: nothing
# but this module should reach it.
_testing: Any = getattr(_blindmatch, "_testing")

_Items = Union[Iterable[Union[str, bytes]], RecordSet]


def initiator(
    items: _Items,
    rng_seed: bytes,
    reveal: str = "intersection",
    output: str = "both",
    max_peer_items: Optional[int] = None,
    min_peer_items: int = 0,
) -> Initiator:
    """An :class:`~blindmatch.Initiator` whose session key, id and order come from ``rng_seed``."""
    return cast(Initiator, _testing.initiator(items, rng_seed, reveal, output, max_peer_items, min_peer_items))


def responder(
    items: _Items,
    rng_seed: bytes,
    reveal: str = "intersection",
    output: str = "both",
    max_peer_items: Optional[int] = None,
    min_peer_items: int = 0,
) -> Responder:
    """A :class:`~blindmatch.Responder` whose session key and order come from ``rng_seed``."""
    return cast(Responder, _testing.responder(items, rng_seed, reveal, output, max_peer_items, min_peer_items))


def unbalanced_client(items: _Items, rng_seed: bytes, epoch: Optional[bytes] = None) -> UnbalancedClient:
    """An :class:`~blindmatch.UnbalancedClient` whose blinds and query id come from ``rng_seed``."""
    return cast(UnbalancedClient, _testing.unbalanced_client(items, rng_seed, epoch))


def unbalanced_server(
    items: _Items,
    rng_seed: bytes,
    labels: Optional[Iterable[Union[str, bytes]]] = None,
    key: Optional[OprfKey] = None,
    fpr_bits: int = 40,
    query_budget: Optional[int] = None,
    max_query_items: int = 1048576,
) -> UnbalancedServer:
    """An :class:`~blindmatch.UnbalancedServer` whose label salt comes from ``rng_seed``."""
    return cast(
        UnbalancedServer,
        _testing.unbalanced_server(items, rng_seed, labels, key, fpr_bits, query_budget, max_query_items),
    )


__all__ = ["initiator", "responder", "unbalanced_client", "unbalanced_server"]
