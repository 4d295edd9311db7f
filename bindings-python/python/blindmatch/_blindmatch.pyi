"""Type stubs of the native module blindmatch._blindmatch."""

import os
from typing import Any, Callable, Dict, Iterable, List, Literal, Optional, Sequence, Tuple, Union, final

from typing_extensions import Self, TypedDict, Unpack

_Item = Union[str, bytes]
_Reveal = Literal["intersection", "cardinality"]
_Output = Literal["both", "initiator"]
_Proofs = Literal["verify", "trust_peer"]
_MessageType = Literal[
    "psi-request",
    "psi-response",
    "psi-finish",
    "set-digest",
    "unbalanced-query",
    "unbalanced-answer",
    "receipt",
    "checkpoint",
    "part",
    "manifest",
    "bundle",
    "sum-request",
    "sum-response",
    "sum-finish",
    "sum-result",
    "multi-session",
    "multi-hop",
    "multi-tags",
    "multi-result",
]
_RevealSumTo = Literal["both", "responder"]
_Passphrase = Union[str, bytes, None]
_Budget = Union[int, Literal["unlimited"]]
_FieldValue = Union[str, Tuple[str, Optional[str]], List[Union[str, Tuple[str, Optional[str]]]], None]

__all__ = [
    "OprfKey", "Initiator", "Responder", "RecordSet", "UnbalancedServer", "UnbalancedClient",
    "SetDigest", "SigningKey", "Receipt", "Ledger", "SumInitiator", "SumResponder",
    "MultiPartySession", "MultiPartyMember", "MultiPartyHub", "PartySecret", "part_info",
    "request_part", "elements_part", "reblind_part", "finish_part", "mix_part", "part_values",
    "matches_part", "count_part", "join", "bundle", "unbundle", "part_kind", "message_type",
    "ERROR_CODES", "PROTOCOL_CODES", "KINDS"
]

ERROR_CODES: List[str]
PROTOCOL_CODES: List[str]
KINDS: List[str]

@final
class OprfKey:
    """A server's RFC 9497 OPRF key (mode 0x00, ristretto255-SHA512)."""

    @staticmethod
    def derive(seed: bytes, info: bytes) -> OprfKey: ...
    @staticmethod
    def generate() -> OprfKey: ...
    @staticmethod
    def from_secret_bytes(secret: bytes) -> OprfKey: ...
    def to_secret_bytes(self) -> bytes: ...
    def public_key(self) -> bytes: ...
    def evaluate(self, input: bytes) -> bytes: ...

@final
class RecordSet:
    """A party's records, canonicalized into PSI keys."""

    def __new__(
        cls,
        default_region: Optional[str] = None,
        date_format: str = "%Y-%m-%d",
        email_drop_plus_tag: bool = False,
        composites: Optional[Sequence[Sequence[str]]] = None,
        single_keys: Optional[Sequence[str]] = None,
        email_provider_rules: bool = False,
        birth_years: Optional[Tuple[int, int]] = None,
    ) -> RecordSet: ...
    def add_composite(self, kinds: Sequence[str]) -> None: ...
    def add(self, record_id: str, /, **fields: _FieldValue) -> int: ...
    @property
    def errors(self) -> List[Tuple[str, str, str]]: ...
    @property
    def record_ids(self) -> List[str]: ...
    @property
    def profile(self) -> bytes: ...
    @property
    def key_count(self) -> int: ...
    def __len__(self) -> int: ...

_Items = Union[Iterable[_Item], RecordSet]

class _Case(TypedDict, total=False):
    """The case a party's receipts and ledger entries name (keyword arguments)."""

    case_ref: Optional[str]
    legal_basis: Optional[str]
    ledger: Optional[Ledger]

# What several classes share (the stubs' own bases; the runtime classes
# each define these methods).

class _Machine:
    def expects(self) -> List[str]: ...
    def consume(self, message: bytes, sender: Optional[str] = None) -> List[bytes]: ...

class _Evidence:
    def receipt(self, signer: SigningKey, timestamp: Optional[int] = None) -> bytes: ...
    @property
    def transcript_hash(self) -> bytes: ...

class _Balanced(_Machine, _Evidence):
    def __new__(
        cls,
        items: _Items,
        reveal: _Reveal = "intersection",
        output: _Output = "both",
        max_peer_items: Optional[int] = None,
        min_peer_items: int = 0,
        *,
        proofs: _Proofs = "verify",
        **case: Unpack[_Case],
    ) -> Self: ...
    def save(self, passphrase: _Passphrase = None) -> bytes: ...
    @property
    def matches(self) -> List[int]: ...
    @property
    def cardinality(self) -> int: ...
    @property
    def record_matches(self) -> List[Tuple[str, List[str]]]: ...

class _Sum(_Machine, _Evidence):
    @property
    def cardinality(self) -> int: ...
    @property
    def sums(self) -> Optional[Dict[str, int]]: ...

@final
class Initiator(_Balanced):
    """The initiator of a balanced PSI session.

    reveal="cardinality" is secure against semi-honest peers only: a peer that
    blinds each item with its own exponent learns which of its items matched.

    proofs="verify" (the default, intersection mode) checks a proof that the
    responder raised every one of our values with the key it stated, and
    proves our finish the same way; proofs="trust_peer" drops the proofs and
    trusts the peer not to key some values apart (which would make us miss
    exactly those items). Both parties must choose the same.
    """

    def request(self) -> bytes: ...
    def finish(self, response: bytes) -> Optional[bytes]: ...
    @staticmethod
    def restore(state: bytes, passphrase: _Passphrase = None, **case: Unpack[_Case]) -> Initiator: ...

@final
class Responder(_Balanced):
    """The responder of a balanced PSI session (see Initiator on reveal="cardinality")."""

    def respond(self, request: bytes) -> bytes: ...
    def finish(self, finish: Optional[bytes]) -> None: ...
    @staticmethod
    def restore(state: bytes, passphrase: _Passphrase = None, **case: Unpack[_Case]) -> Responder: ...

@final
class UnbalancedServer(_Machine):
    """The server of unbalanced PSI for one key epoch.

    query_budget has no default: elements per client and epoch, or "unlimited".
    With a ledger, budgets survive restarts and hold across processes;
    without one, they last as long as this object.
    """

    def __new__(
        cls,
        items: _Items,
        labels: Optional[Iterable[_Item]] = None,
        key: Optional[OprfKey] = None,
        *,
        query_budget: _Budget,
        fpr_bits: int = 40,
        max_query_items: int = 1048576,
        ledger: Optional[Ledger] = None,
    ) -> UnbalancedServer: ...
    @staticmethod
    def with_key(
        key: OprfKey,
        items: _Items,
        labels: Optional[Iterable[_Item]] = None,
        *,
        query_budget: _Budget,
        fpr_bits: int = 40,
        max_query_items: int = 1048576,
        ledger: Optional[Ledger] = None,
    ) -> UnbalancedServer: ...
    def digest(self) -> bytes: ...
    @property
    def epoch(self) -> bytes: ...
    @property
    def key(self) -> OprfKey: ...
    def answer(self, query: bytes, client_id: str = "default") -> bytes: ...
    def remaining_budget(self, client_id: str) -> Optional[int]: ...

@final
class UnbalancedClient(_Machine, _Evidence):
    """A client of unbalanced PSI."""

    def __new__(
        cls,
        items: _Items,
        epoch: Optional[bytes] = None,
        **case: Unpack[_Case],
    ) -> UnbalancedClient: ...
    def query(self) -> bytes: ...
    def finish(self, answer: bytes, digest: Union[bytes, SetDigest]) -> None: ...
    def save(self, passphrase: _Passphrase = None) -> bytes: ...
    @staticmethod
    def restore(state: bytes, passphrase: _Passphrase = None, **case: Unpack[_Case]) -> UnbalancedClient: ...
    def finish_with(self, answer: bytes, digest: SetDigest) -> None: ...
    @property
    def matches(self) -> List[int]: ...
    @property
    def labels(self) -> Dict[int, bytes]: ...
    @property
    def record_matches(self) -> List[Tuple[str, List[str]]]: ...

@final
class SumInitiator(_Sum):
    """The party with identifiers only, in an intersection-sum session."""

    def __new__(
        cls,
        items: Iterable[_Item],
        reveal_sum_to: _RevealSumTo = "both",
        min_intersection: int = 5,
        max_peer_items: Optional[int] = None,
        min_peer_items: int = 0,
        *,
        accept_noisy: bool = False,
        **case: Unpack[_Case],
    ) -> SumInitiator: ...
    def request(self) -> bytes: ...
    def finish(self, response: bytes) -> bytes: ...
    def result(self, result: Optional[bytes]) -> None: ...
    @property
    def proven(self) -> bool: ...
    @property
    def noisy(self) -> bool: ...

@final
class SumResponder(_Sum):
    """The value holder in an intersection-sum session."""

    def __new__(
        cls,
        items: Iterable[_Item],
        values: Dict[str, Iterable[int]],
        reveal_sum_to: _RevealSumTo = "both",
        min_intersection: int = 5,
        max_peer_items: Optional[int] = None,
        min_peer_items: int = 0,
        value_bits: int = 32,
        noise_epsilon: Optional[float] = None,
        noise_sensitivity: Optional[int] = None,
        **case: Unpack[_Case],
    ) -> SumResponder: ...
    def respond(self, request: bytes) -> bytes: ...
    def finish(self, finish: bytes) -> Optional[bytes]: ...

@final
class MultiPartySession:
    """A multi-party session: its id, the agencies in ring order, the threshold."""

    @staticmethod
    def new(
        agencies: List[str],
        threshold: Optional[int] = None,
        *,
        reveal_counts: bool = False,
        max_items: Optional[int] = None,
    ) -> MultiPartySession: ...
    @staticmethod
    def from_bytes(data: bytes) -> MultiPartySession: ...
    def to_bytes(self) -> bytes: ...
    @property
    def id(self) -> bytes: ...
    @property
    def agencies(self) -> List[str]: ...
    @property
    def threshold(self) -> int: ...
    @property
    def reveal_counts(self) -> bool: ...
    @property
    def max_items(self) -> int: ...
    def route(self, message: bytes) -> str: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class MultiPartyMember(_Machine, _Evidence):
    """One agency of a multi-party session."""

    def __new__(
        cls,
        items: _Items,
        session: Union[bytes, MultiPartySession],
        me: str,
        **case: Unpack[_Case],
    ) -> MultiPartyMember: ...
    @property
    def name(self) -> str: ...
    @property
    def next_agency(self) -> str: ...
    @property
    def forwarded_all(self) -> bool: ...
    def start(self) -> bytes: ...
    def commitment(self) -> bytes: ...
    def accept_roster(self, roster: bytes) -> None: ...
    def forward(self, message: bytes) -> bytes: ...
    def complete(self, message: bytes) -> None: ...
    def tags(self) -> bytes: ...
    def finish(self, result: bytes) -> None: ...
    @property
    def matches(self) -> List[int]: ...
    @property
    def counts(self) -> Optional[List[int]]: ...
    @property
    def cardinality(self) -> int: ...
    def record_matches(self) -> List[Tuple[str, List[str]]]: ...

@final
class MultiPartyHub(_Machine):
    """The counting hub of a multi-party session; it holds no secret."""

    def __new__(cls, session: Union[bytes, MultiPartySession], **case: Unpack[_Case]) -> MultiPartyHub: ...
    @property
    def session(self) -> MultiPartySession: ...
    @property
    def missing(self) -> List[str]: ...
    def commit(self, agency: str, commitment: bytes) -> None: ...
    def roster(self) -> bytes: ...
    def add(self, agency: str, tags: bytes) -> None: ...
    def result(self) -> bytes: ...
    def countersign(self, receipt: bytes, signer: SigningKey, timestamp: Optional[int] = None) -> bytes: ...

@final
class SetDigest:
    """A set digest decoded and validated once, reusable by many clients' finish()."""

    def __new__(cls, digest: bytes) -> SetDigest: ...
    @property
    def epoch(self) -> bytes: ...
    @property
    def public_key(self) -> bytes:
        """The server's VOPRF public key (32 bytes); answers are proven against it."""
        ...
    @property
    def fpr_bits(self) -> int: ...
    @property
    def has_labels(self) -> bool: ...
    def __len__(self) -> int: ...

@final
class SigningKey:
    """An Ed25519 key that signs receipts and ledger checkpoints."""

    @staticmethod
    def generate() -> SigningKey: ...
    @staticmethod
    def from_secret_bytes(secret: bytes) -> SigningKey: ...
    def to_secret_bytes(self) -> bytes: ...
    def public_key(self) -> bytes: ...

@final
class Receipt:
    """Signed receipts of an exchange (static methods over receipt bytes)."""

    @staticmethod
    def countersign(
        receipt: bytes,
        signer: SigningKey,
        expect: Optional[Union[Initiator, Responder, UnbalancedClient, SumInitiator, SumResponder]] = None,
        timestamp: Optional[int] = None,
        *,
        expect_case_ref: Optional[str] = None,
        expect_legal_basis: Optional[str] = None,
    ) -> bytes: ...
    @staticmethod
    def verify(receipt: bytes, keys: Sequence[bytes]) -> Dict[str, Any]: ...
    @staticmethod
    def to_json(receipt: bytes, keys: Sequence[bytes]) -> str: ...

@final
class Ledger:
    """An append-only, hash-chained audit ledger and budget store in an SQLite file."""

    def __new__(cls, path: Union[str, "os.PathLike[str]"]) -> Ledger: ...
    def verify(
        self, checkpoints: Optional[Sequence[bytes]] = None, keys: Optional[Sequence[bytes]] = None
    ) -> Dict[str, Any]: ...
    def checkpoint(self, signer: SigningKey) -> bytes: ...
    def entries(self, from_seq: int = 1, limit: int = 1000) -> List[Dict[str, Any]]: ...
    @property
    def id(self) -> bytes: ...
    @property
    def path(self) -> str: ...
    def __len__(self) -> int: ...

_PartKind = Literal["request", "elements", "reblinded", "finish"]

@final
class PartySecret:
    """A party's secret for a partitioned session (to its own workers only)."""

    @staticmethod
    def initiator(
        parts: int,
        reveal: _Reveal = "intersection",
        output: _Output = "both",
        max_peer_items: Optional[int] = None,
        min_peer_items: int = 0,
    ) -> PartySecret: ...
    @staticmethod
    def responder(
        request_manifest: bytes,
        parts: int,
        reveal: _Reveal = "intersection",
        output: _Output = "both",
        max_peer_items: Optional[int] = None,
        min_peer_items: int = 0,
    ) -> PartySecret: ...
    @staticmethod
    def from_bytes(secret: bytes) -> PartySecret: ...
    def to_bytes(self) -> bytes: ...
    def part_of(self, item: _Item) -> int: ...
    def parts_of(self, items: Iterable[_Item]) -> List[int]: ...
    def manifest(self, kind: _PartKind, parts: Iterable[Union[bytes, Tuple[str, int, int, bytes, bytes]]]) -> bytes: ...
    def accept(self, manifest: bytes) -> None: ...
    def part_count(self, kind: _PartKind) -> int: ...
    @property
    def session_id(self) -> bytes: ...
    @property
    def role(self) -> Literal["initiator", "responder"]: ...
    @property
    def parts(self) -> int: ...

def part_info(part: bytes) -> Tuple[_PartKind, int, int, bytes, bytes]: ...
def request_part(secret: PartySecret, index: int, items: Iterable[_Item]) -> bytes: ...
def elements_part(secret: PartySecret, index: int, items: Iterable[_Item]) -> bytes: ...
def reblind_part(secret: PartySecret, index: int, request_part: bytes) -> bytes: ...
def finish_part(secret: PartySecret, index: int, elements_part: bytes) -> bytes: ...
def mix_part(secret: PartySecret, kind: _PartKind, bucket: int, aligned: Sequence[bytes]) -> bytes: ...
def part_values(secret: PartySecret, kind: _PartKind, index: int, part: bytes) -> List[bytes]: ...
def matches_part(secret: PartySecret, index: int, items: Iterable[_Item], flags: Sequence[bool]) -> List[int]: ...
def count_part(secret: PartySecret, bucket: int, reblinded: bytes, finish: bytes) -> int: ...
def join(secret: PartySecret, load: Callable[[str, int], bytes], groups: int = 1) -> List[List[bool]]: ...
def bundle(messages: Sequence[bytes]) -> bytes: ...
def unbundle(bundle: bytes) -> List[bytes]: ...
def part_kind(message: bytes) -> _PartKind: ...
def message_type(message: bytes) -> _MessageType: ...

