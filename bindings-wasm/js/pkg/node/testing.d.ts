// blindmatch/testing: the protocol classes built from a 32-byte seed, for
// reproducible tests. INSECURE: whoever knows the seed knows the session key.
import type {
  ClientOptions,
  Initiator as InitiatorClass,
  Items,
  MultiPartyMember as MultiPartyMemberClass,
  MultiPartyOptions,
  MultiPartySession as MultiPartySessionClass,
  PartyCaseOptions,
  OprfKey,
  PsiOptions,
  Responder as ResponderClass,
  ServerOptions,
  SumInitiator as SumInitiatorClass,
  SumOptions,
  SumResponder as SumResponderClass,
  SumValues,
  UnbalancedClient as UnbalancedClientClass,
  UnbalancedServer as UnbalancedServerClass,
} from "./blindmatch.js";

/** The seed option every testing constructor requires. */
export interface Seeded {
  /** 32 bytes that fix every random choice of the object. */
  rngSeed: Uint8Array;
}

/** `new Initiator(items, { rngSeed, ...PsiOptions })`: a seeded Initiator. */
export declare const Initiator: new (items: Items, options: PsiOptions & Seeded) => InitiatorClass;
/** `new Responder(items, { rngSeed, ...PsiOptions })`: a seeded Responder. */
export declare const Responder: new (items: Items, options: PsiOptions & Seeded) => ResponderClass;
/** `new UnbalancedClient(items, { rngSeed, epoch? })`: seeded blinds and query id. */
export declare const UnbalancedClient: new (items: Items, options: ClientOptions & Seeded) => UnbalancedClientClass;
/** `new UnbalancedServer(items, { rngSeed, key?, ...ServerOptions })`: a seeded label salt (a fresh key unless `key`). */
export declare const UnbalancedServer: new (
  items: Items,
  options: ServerOptions & Seeded & { key?: OprfKey },
) => UnbalancedServerClass;
/** `new SumInitiator(items, { rngSeed, ...SumOptions })`: a seeded SumInitiator. */
export declare const SumInitiator: new (items: Items, options: SumOptions & Seeded) => SumInitiatorClass;
/** `new SumResponder(items, values, { rngSeed, ...SumOptions })`: seeded keys, blinds, order and noise. */
export declare const SumResponder: new (items: Items, values: SumValues, options: SumOptions & Seeded) => SumResponderClass;
/** `new MultiPartySession(agencies, { rngSeed, ...MultiPartyOptions })`: a seeded session id. */
export declare const MultiPartySession: new (
  agencies: string[],
  options: MultiPartyOptions & Seeded,
) => MultiPartySessionClass;
/** `new MultiPartyMember(items, session, me, { rngSeed, ...PartyCaseOptions })`: seeded secrets, blind and order. */
export declare const MultiPartyMember: new (
  items: Items,
  session: Uint8Array,
  me: string,
  options: PartyCaseOptions & Seeded,
) => MultiPartyMemberClass;
