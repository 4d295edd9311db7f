export * from "./node/testing";
