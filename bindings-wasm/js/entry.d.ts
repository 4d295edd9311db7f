// Types of the entry point: the WebAssembly module's declarations and the error classes.
export * from "__MODULE__";
export * from "__ERRORS__";
/** Loads the WebAssembly module; a no-op in Node.js, where require/import already did. */
declare function init(moduleOrPath?: unknown): Promise<unknown>;
export { init };
export default init;
/** Instantiates the module synchronously from its bytes or a WebAssembly.Module (browsers). */
export function initSync(module?: unknown): unknown;
