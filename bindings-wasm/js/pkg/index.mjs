// The package folder's ES module entry for Node.js.
export * from "./node/index.mjs";
export { default } from "./node/index.mjs";
