export function buildPage({ pkg }) { return pkg; }
