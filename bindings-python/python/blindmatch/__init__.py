"""blindmatch: private set intersection and record matching for Python.

Two parties find the identifiers (or records) they share without revealing
the rest, using per-session ristretto255 Diffie-Hellman PSI; the RFC 9497
OPRF is available on its own. Messages are ``bytes``: save them to files and
exchange them over whatever channel your process requires.

>>> import blindmatch as bm
>>> a = bm.Initiator(["+442079460958", "anna@example.org"])
>>> b = bm.Responder(["bob@example.net", "+442079460958"])
>>> finish = a.finish(b.respond(a.request()))
>>> b.finish(finish)
>>> a.matches, b.matches, a.cardinality
([0], [1], 1)
"""

import os as _os
from typing import Union as _Union

from ._blindmatch import (
    ERROR_CODES,
    KINDS,
    PROTOCOL_CODES,
    Initiator,
    Ledger,
    MultiPartyHub,
    MultiPartyMember,
    MultiPartySession,
    OprfKey,
    Receipt,
    RecordSet,
    Responder,
    SetDigest,
    SigningKey,
    SumInitiator,
    SumResponder,
    UnbalancedClient,
    UnbalancedServer,
    message_type,
)
from ._errors import *  # noqa: F401,F403  (one class per error code)
from ._errors import Error, ProtocolError, StateError, error_class

PathLike = _Union[str, "_os.PathLike[str]"]


def save_message(path: PathLike, message: bytes) -> None:
    """Writes a protocol message to a file, for exchange by any channel.

    The message is checked to be a blindmatch message first, so a wrong
    object is caught before it is sent.
    """
    if not isinstance(message, (bytes, bytearray, memoryview)):
        raise TypeError(f"message must be bytes, not {type(message).__name__}")
    message_type(bytes(message))
    with open(path, "wb") as f:
        f.write(bytes(message))


def load_message(path: PathLike, expected: _Union[str, None] = None) -> bytes:
    """Reads a protocol message from a file.

    With ``expected`` (``"psi-request"``, ``"psi-response"``, ``"psi-finish"``,
    ``"set-digest"``, ``"unbalanced-query"``, ``"unbalanced-answer"``, ``"receipt"``, ``"checkpoint"``
    or ``"sum-request"``, ``"sum-response"``, ``"sum-finish"``, ``"sum-result"``), a file of another type raises ``WrongMessageTypeError``
    right away, naming both types.
    """
    with open(path, "rb") as f:
        data = f.read()
    found = message_type(data)
    if expected is not None and found != expected:
        raise error_class("wrong_message_type")(
            f"{_os.fspath(path)!s} holds a {found} message, expected {expected}", "wrong_message_type"
        )
    return data


__all__ = [
    "OprfKey",
    "Initiator",
    "Responder",
    "RecordSet",
    "UnbalancedServer",
    "UnbalancedClient",
    "SetDigest",
    "SigningKey",
    "Receipt",
    "Ledger",
    "SumInitiator",
    "SumResponder",
    "MultiPartySession",
    "MultiPartyMember",
    "MultiPartyHub",
    "message_type",
    "save_message",
    "load_message",
    "Error",
    "ProtocolError",
    "StateError",
    "error_class",
    "ERROR_CODES",
    "PROTOCOL_CODES",
    "KINDS",
    "PathLike",
    # one exception class per error code
    "InvalidElementError",
    "IdentityElementError",
    "InputTooLongError",
    "DstTooLongError",
    "EmptyDstError",
    "ExpandTooLongError",
    "DeriveKeyPairError",
    "InvalidScalarError",
    "BadMagicError",
    "UnsupportedVersionError",
    "WrongMessageTypeError",
    "UnsupportedSuiteError",
    "MalformedError",
    "TrailingBytesError",
    "CountMismatchError",
    "SessionMismatchError",
    "QueryMismatchError",
    "ProfileMismatchError",
    "ConfigMismatchError",
    "PeerSetTooLargeError",
    "PeerSetTooSmallError",
    "TooManyItemsError",
    "UnexpectedFinishError",
    "InvalidConfigError",
    "RngError",
    "InvalidValueError",
    "EpochMismatchError",
    "BudgetExceededError",
    "InvalidKeyError",
    "BadSignatureError",
    "ReceiptMismatchError",
    "LedgerTamperedError",
    "StorageError",
    "MissingPartError",
    "DuplicatePartError",
    "PartMismatchError",
    "BadStateError",
    "WrongPassphraseError",
    "BadProofError",
    "SumOutOfRangeError",
    "WrongHopError",
    "ReplayError",
    "UnknownAgencyError",
]
