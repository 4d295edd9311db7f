// Type-checked (tsc --strict, never run) against the package's declarations:
// the names of DESIGN §6 with their TypeScript types.
import init, {
  ArgumentError,
  BadProofError,
  BadStateError,
  MultiPartyHub,
  MultiPartyMember,
  MultiPartySession,
  ReplayError,
  SumInitiator,
  SumResponder,
  PartySecret,
  RecordIndex,
  WrongPassphraseError,
  restorePartySession,
  savePartySession,
  seal,
  unseal,
  BlindmatchError,
  Initiator,
  OprfKey,
  ProtocolError,
  Receipt,
  RecordSet,
  Responder,
  SessionRecord,
  SetDigest,
  SigningKey,
  StateError,
  UnbalancedClient,
  UnbalancedServer,
  errorCodes,
  messageType,
  type RecordMatch,
} from "../../pkg/index.mjs";
import * as testing from "../../pkg/node/testing.mjs";

export async function twoParties(mine: string[], theirs: Uint8Array[]): Promise<number[]> {
  await init();
  const a = new Initiator(mine, { reveal: "intersection", output: "both" });
  const b = new Responder(theirs, { reveal: "intersection", output: "both" });
  const finish: Uint8Array | undefined = a.finish(b.respond(a.request()));
  b.finish(finish);
  const kinds: string = messageType(a.request());
  const n: number = a.cardinality + b.matches.length + kinds.length;
  return [...a.matches, n];
}

export function records(): RecordMatch[] {
  const rs = new RecordSet({ defaultRegion: "GB", composites: [["name", "date_of_birth"]] });
  rs.add("case-17", { email: "John.Doe@Example.com", phone: ["020 7946 0958", { value: "06 12 34 56 78", region: "FR" }] });
  const a = new Initiator(rs, { reveal: "cardinality" });
  a.finish(new Responder(["x"]).respond(a.request()));
  for (const e of rs.errors) console.log(e.recordId, e.field, e.message);
  return a.recordMatches;
}

export function unbalanced(): Map<number, Uint8Array> {
  const server = UnbalancedServer.withKey(OprfKey.generate(), ["a"], { labels: ["x"], queryBudget: 3 });
  const c = new UnbalancedClient(["a"], { epoch: server.epoch });
  c.finish(server.answer(c.query(), "agency-b"), server.digest());
  const decoded = new SetDigest(server.digest());
  const again = new UnbalancedClient(["a"]);
  again.finishWith(server.answer(again.query(), "agency-c"), decoded);
  const size: number = decoded.length + decoded.fprBits + (decoded.hasLabels ? 1 : 0) + decoded.epoch.length;
  console.log(size, again.matches.length);
  const left: number | undefined = server.remainingBudget("agency-b");
  console.log(left, errorCodes().length);
  return c.labels;
}

export function receipts(): unknown {
  const a = new Initiator(["a"], { caseRef: "NL-2026-0142", legalBasis: "MLAT art. 18" });
  const b = new Responder(["a"], { caseRef: "NL-2026-0142" });
  b.finish(a.finish(b.respond(a.request())));
  const ka = SigningKey.generate();
  const kb = SigningKey.fromSecretBytes(SigningKey.generate().toSecretBytes());
  const mine: SessionRecord = b.sessionRecord;
  const both: Uint8Array = Receipt.countersign(a.receipt(ka), kb, mine, 1780000000);
  const json: string = Receipt.toJson(both, [ka.publicKey(), kb.publicKey()]);
  console.log(json, a.transcriptHash.length);
  return Receipt.verify(both, [ka.publicKey(), kb.publicKey()]);
}

export function describe(e: unknown): string {
  if (e instanceof ProtocolError || e instanceof StateError || e instanceof ArgumentError) return e.code;
  return e instanceof BlindmatchError ? e.code : "other";
}

export function seeded(seed: Uint8Array): Uint8Array {
  const a: Initiator = new testing.Initiator(["a"], { rngSeed: seed, reveal: "cardinality" });
  const c: UnbalancedClient = new testing.UnbalancedClient(["a"], { rngSeed: seed });
  const s: UnbalancedServer = new testing.UnbalancedServer(["a"], { rngSeed: seed, queryBudget: 10, key: OprfKey.generate() });
  return s.answer(c.query(), "x").length > 0 ? a.request() : c.query();
}

export function saved(passphrase: string): RecordIndex | undefined {
  const secret: PartySecret = PartySecret.initiator(1, { reveal: "intersection" });
  const sealed: Uint8Array = seal(savePartySession(secret, ["a"], [], undefined), passphrase);
  try {
    const back = restorePartySession(unseal(sealed, passphrase));
    const again: PartySecret = back.secret;
    const items: Uint8Array[] = back.items;
    console.log(again.parts, items.length, back.kept.length);
    return back.records;
  } catch (e) {
    if (e instanceof WrongPassphraseError || e instanceof BadStateError) return undefined;
    throw e;
  }
}

export function totals(accounts: string[], amounts: bigint[], seed: Uint8Array): bigint | undefined {
  const a: SumInitiator = new SumInitiator(accounts, { revealSumTo: "both", minIntersection: 2 });
  const b: SumResponder = new testing.SumResponder(accounts, { amount: amounts }, { rngSeed: seed, minIntersection: 2, valueBits: 64 });
  const finish: Uint8Array = a.finish(b.respond(a.request()));
  const result: Uint8Array | undefined = b.finish(finish);
  try {
    a.result(result);
  } catch (e) {
    if (e instanceof BadProofError) return undefined;
    throw e;
  }
  const n: number = a.cardinality;
  const sums: Record<string, bigint> | undefined = a.sums;
  return n > 0 && a.proven ? sums?.amount : undefined;
}

export function fourAgencies(lists: string[][], seed: Uint8Array): number[][] {
  const session: MultiPartySession = new MultiPartySession(["NL", "DE", "FR", "BE"], { threshold: 3, revealCounts: true });
  const bytes: Uint8Array = session.toBytes();
  const members: MultiPartyMember[] = session.agencies.map((me: string, i: number) =>
    i === 0 ? new testing.MultiPartyMember(lists[i], bytes, me, { rngSeed: seed }) : new MultiPartyMember(lists[i], bytes, me, { caseRef: "c" }),
  );
  const byName = new Map(members.map((m) => [m.name, m]));
  let flight: Uint8Array[] = members.map((m) => m.start());
  for (let hop = 1; hop < 4; hop++) flight = flight.map((msg) => byName.get(session.route(msg))!.forward(msg));
  flight.forEach((msg, i) => members[i].complete(msg));
  const hub = new MultiPartyHub(bytes);
  for (const m of members) {
    try {
      hub.add(m.name, m.tags());
    } catch (e) {
      if (!(e instanceof ReplayError)) throw e;
    }
  }
  const missing: string[] = hub.missing;
  const result: Uint8Array = hub.result();
  members.forEach((m) => m.finish(result));
  const counts: number[] | undefined = members[0].counts;
  console.log(missing.length, counts?.length, session.threshold, session.revealCounts, session.maxItems);
  return members.map((m) => m.matches);
}
