// blindmatch/testing for Node.js (ES module). INSECURE: tests only.
import m from "./testing.cjs";
export const { Initiator, Responder, UnbalancedClient, UnbalancedServer, SumInitiator, SumResponder, MultiPartySession, MultiPartyMember } = m;
