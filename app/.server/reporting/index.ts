export * from "./dates";
export * from "./metrics";
export * from "./workspace";
export * from "./reach";
export * from "./overview";
export * from "./csv";
export { cached, clearReportCache, cacheStats } from "./cache";
