"""Deterministic protocol objects, for tests only. **Insecure.**

The classes of :mod:`blindmatch` draw every secret (session keys, blinds,
query ids, label salts) from the operating system and take no seed. This
module builds the same objects, with the same arguments, from a 32-byte
``rng_seed`` instead, so that a test can reproduce exact messages (the golden
vectors shared with the Rust and JavaScript tests). Whoever knows the seed
knows the session key: never use it with real data.

>>> from blindmatch import testing
>>> a = testing.Initiator(["x"], rng_seed=bytes(32))
>>> a.request() == testing.Initiator(["x"], rng_seed=bytes(32)).request()
True
>>> type(a).__module__, type(a).__name__
('blindmatch._blindmatch', 'Initiator')
"""

from typing import Any, Dict, Iterable, Literal, Optional, Union, cast

from . import _blindmatch
from ._blindmatch import Ledger, OprfKey, RecordSet
from ._blindmatch import Initiator as _Initiator
from ._blindmatch import Responder as _Responder
from ._blindmatch import UnbalancedClient as _UnbalancedClient
from ._blindmatch import SumInitiator as _SumInitiator
from ._blindmatch import SumResponder as _SumResponder
from ._blindmatch import MultiPartyMember as _MultiPartyMember
from ._blindmatch import MultiPartySession as _MultiPartySession
from ._blindmatch import UnbalancedServer as _UnbalancedServer

# The native submodule is left out of the type stubs on purpose: nothing
# but this module should reach it.
_native: Any = getattr(_blindmatch, "_testing")

_Items = Union[Iterable[Union[str, bytes]], RecordSet]
_Reveal = Literal["intersection", "cardinality"]
_Output = Literal["both", "initiator"]
_Proofs = Literal["verify", "trust_peer"]


def Initiator(  # noqa: N802  (named after the class it builds)
    items: _Items,
    reveal: _Reveal = "intersection",
    output: _Output = "both",
    max_peer_items: Optional[int] = None,
    min_peer_items: int = 0,
    *,
    rng_seed: bytes,
    case_ref: Optional[str] = None,
    legal_basis: Optional[str] = None,
    ledger: Optional[Ledger] = None,
    proofs: _Proofs = "verify",
) -> _Initiator:
    """A :class:`blindmatch.Initiator` whose session key, id and order come from ``rng_seed``."""
    return cast(
        _Initiator,
        _native.initiator(
            items, rng_seed, reveal, output, max_peer_items, min_peer_items, case_ref, legal_basis, ledger, proofs
        ),
    )


def Responder(  # noqa: N802
    items: _Items,
    reveal: _Reveal = "intersection",
    output: _Output = "both",
    max_peer_items: Optional[int] = None,
    min_peer_items: int = 0,
    *,
    rng_seed: bytes,
    case_ref: Optional[str] = None,
    legal_basis: Optional[str] = None,
    ledger: Optional[Ledger] = None,
    proofs: _Proofs = "verify",
) -> _Responder:
    """A :class:`blindmatch.Responder` whose session key and order come from ``rng_seed``."""
    return cast(
        _Responder,
        _native.responder(
            items, rng_seed, reveal, output, max_peer_items, min_peer_items, case_ref, legal_basis, ledger, proofs
        ),
    )


def UnbalancedClient(  # noqa: N802
    items: _Items,
    epoch: Optional[bytes] = None,
    *,
    rng_seed: bytes,
    case_ref: Optional[str] = None,
    legal_basis: Optional[str] = None,
    ledger: Optional[Ledger] = None,
) -> _UnbalancedClient:
    """A :class:`blindmatch.UnbalancedClient` whose blinds and query id come from ``rng_seed``."""
    return cast(
        _UnbalancedClient, _native.unbalanced_client(items, rng_seed, epoch, case_ref, legal_basis, ledger)
    )


def UnbalancedServer(  # noqa: N802
    items: _Items,
    labels: Optional[Iterable[Union[str, bytes]]] = None,
    key: Optional[OprfKey] = None,
    *,
    query_budget: Union[int, Literal["unlimited"]],
    fpr_bits: int = 40,
    max_query_items: int = 1048576,
    ledger: Optional[Ledger] = None,
    rng_seed: bytes,
) -> _UnbalancedServer:
    """A :class:`blindmatch.UnbalancedServer` whose label salt comes from ``rng_seed``."""
    return cast(
        _UnbalancedServer,
        _native.unbalanced_server(items, rng_seed, query_budget, labels, key, fpr_bits, max_query_items, ledger),
    )




def SumInitiator(  # noqa: N802
    items: Iterable[Union[str, bytes]],
    reveal_sum_to: Literal["both", "responder"] = "both",
    min_intersection: int = 5,
    max_peer_items: Optional[int] = None,
    min_peer_items: int = 0,
    *,
    accept_noisy: bool = False,
    rng_seed: bytes,
) -> _SumInitiator:
    """A :class:`blindmatch.SumInitiator` whose session key, id and order come from ``rng_seed``."""
    return cast(
        _SumInitiator,
        _native.sum_initiator(items, rng_seed, reveal_sum_to, min_intersection, max_peer_items, min_peer_items, accept_noisy),
    )


def SumResponder(  # noqa: N802
    items: Iterable[Union[str, bytes]],
    values: Dict[str, Iterable[int]],
    reveal_sum_to: Literal["both", "responder"] = "both",
    min_intersection: int = 5,
    max_peer_items: Optional[int] = None,
    min_peer_items: int = 0,
    value_bits: int = 32,
    noise_epsilon: Optional[float] = None,
    noise_sensitivity: Optional[int] = None,
    *,
    rng_seed: bytes,
) -> _SumResponder:
    """A :class:`blindmatch.SumResponder` whose keys, blinds, order and noise come from ``rng_seed``."""
    return cast(
        _SumResponder,
        _native.sum_responder(
            items,
            values,
            rng_seed,
            reveal_sum_to,
            min_intersection,
            max_peer_items,
            min_peer_items,
            value_bits,
            noise_epsilon,
            noise_sensitivity,
        ),
    )


def multiparty_session(
    agencies: Iterable[str],
    threshold: Optional[int] = None,
    *,
    reveal_counts: bool = False,
    max_items: Optional[int] = None,
    rng_seed: bytes,
) -> _MultiPartySession:
    """A :meth:`blindmatch.MultiPartySession.new` whose session id comes from ``rng_seed``."""
    return cast(
        _MultiPartySession,
        _native.multiparty_session(list(agencies), rng_seed, threshold, reveal_counts, max_items),
    )


def MultiPartyMember(  # noqa: N802
    items: _Items,
    session: Union[bytes, _MultiPartySession],
    me: str,
    *,
    case_ref: Optional[str] = None,
    legal_basis: Optional[str] = None,
    ledger: Optional[Ledger] = None,
    rng_seed: bytes,
) -> _MultiPartyMember:
    """A :class:`blindmatch.MultiPartyMember` whose secrets, blind and order come from ``rng_seed``."""
    return cast(
        _MultiPartyMember,
        _native.multiparty_member(items, session, me, rng_seed, case_ref, legal_basis, ledger),
    )


__all__ = [
    "Initiator",
    "Responder",
    "UnbalancedClient",
    "UnbalancedServer",
    "SumInitiator",
    "SumResponder",
    "multiparty_session",
    "MultiPartyMember",
]
