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

from typing import Any, Callable, TypeVar, cast

from . import _blindmatch
from ._blindmatch import Initiator as _Initiator
from ._blindmatch import MultiPartyMember as _MultiPartyMember
from ._blindmatch import MultiPartySession as _MultiPartySession
from ._blindmatch import Responder as _Responder
from ._blindmatch import SumInitiator as _SumInitiator
from ._blindmatch import SumResponder as _SumResponder
from ._blindmatch import UnbalancedClient as _UnbalancedClient
from ._blindmatch import UnbalancedServer as _UnbalancedServer

# The native submodule is left out of the type stubs on purpose: nothing
# but this module should reach it.
_native: Any = getattr(_blindmatch, "_testing")

_T = TypeVar("_T")


def _seeded(constructor: Callable[..., _T], name: str, what: str, of: str = "") -> Callable[..., _T]:
    """The test-only twin of ``constructor``: the same arguments, and ``rng_seed``."""

    def build(*args: Any, rng_seed: bytes, **kwargs: Any) -> _T:
        return cast(_T, _native.seeded(rng_seed, constructor, *args, **kwargs))

    build.__name__ = build.__qualname__ = name
    build.__doc__ = (
        f"{of or f':class:`blindmatch.{name}`'} whose {what} come from ``rng_seed`` "
        f"(a keyword argument, 32 bytes); every other argument is the class's."
    )
    return build


Initiator = _seeded(_Initiator, "Initiator", "session key, id and order")
Responder = _seeded(_Responder, "Responder", "session key and order")
UnbalancedClient = _seeded(_UnbalancedClient, "UnbalancedClient", "blinds and query id")
UnbalancedServer = _seeded(_UnbalancedServer, "UnbalancedServer", "label salt")
SumInitiator = _seeded(_SumInitiator, "SumInitiator", "session key, id and order")
SumResponder = _seeded(_SumResponder, "SumResponder", "keys, blinds, order and noise")
multiparty_session = _seeded(
    _MultiPartySession.new, "multiparty_session", "session id", ":meth:`blindmatch.MultiPartySession.new`"
)
MultiPartyMember = _seeded(_MultiPartyMember, "MultiPartyMember", "secrets, blind and order")

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
