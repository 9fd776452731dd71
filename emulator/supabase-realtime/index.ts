export { startRealtimeStandIn, type RealtimeStandIn, type RealtimeStandInOptions } from "./server";
export { readPolicies, type ReadPolicies } from "./authorize";
