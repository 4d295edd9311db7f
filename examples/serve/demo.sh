#!/usr/bin/env bash
# The watch-list service end to end, on the shipped data: agency B serves
# its suspects as a watch-list; agency A (client id "agency-nl") queries it
# with its own records, rotates nothing, then B rotates its key while
# serving and A queries again.
#
#   bash examples/serve/demo.sh [WORKDIR]
#
# Uses the `blindmatch` on PATH, else target/release/blindmatch (build it
# with `cargo build --release -p blindmatch-cli`). Needs openssl.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bm=$(command -v blindmatch || echo "$root/target/release/blindmatch")
[ -x "$bm" ] || { echo "build first: cargo build --release -p blindmatch-cli" >&2; exit 1; }
work=${1:-$(mktemp -d)}
mkdir -p "$work"
cd "$work"

echo "== certificates (a CA, the server, two clients)"
"$here/issue-certs.sh" certs ca
"$here/issue-certs.sh" certs server localhost 127.0.0.1
"$here/issue-certs.sh" certs client agency-nl
"$here/issue-certs.sh" certs client monitor

echo "== the list holder: a key, the configuration, the service"
"$bm" keygen --out watchlist.key > /dev/null
cp "$root/examples/data/agency_b.csv" .
# The sample configuration, on a free loopback port.
sed 's/^listen = .*/listen = "127.0.0.1:0"/' "$here/server.toml" > server.toml
"$bm" --json serve --config server.toml > serve.out 2> serve.log &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 600); do grep -q listening serve.out 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/.*"listening":"\([^"]*\)".*/\1/p' serve.out)
url=${url/127.0.0.1/localhost}
echo "serving at $url"

query() {
  "$bm" watchlist query --server "$url" \
    --cert certs/agency-nl.crt --key certs/agency-nl.key --ca certs/ca.crt \
    --records "$root/examples/data/agency_a.csv" --id suspect_id \
    --field email=email --field phone=phone \
    --matches "$1" --digest-cache digest-cache.bm
}

echo "== agency-nl queries (digest downloaded, query and answer in one go)"
query matches-1.csv
echo "== again: the digest is cached by its ETag"
query matches-2.csv

echo "== the list holder rotates its key without stopping the service"
"$bm" keygen --out watchlist-2.key > /dev/null
sed -i 's/^key = "watchlist.key"/key = "watchlist-2.key"/' server.toml
kill -HUP $server
for _ in $(seq 600); do grep -q '"reloaded"\|reloaded' serve.log && break; sleep 0.1; done
echo "== agency-nl queries again: a new epoch, a new digest, the same matches"
query matches-3.csv
cmp matches-1.csv matches-3.csv && echo "same matches under the new key"

kill -TERM $server
wait $server || true
trap - EXIT
echo "== the ledger: one entry per answer, hash-chained"
"$bm" ledger verify watchlist.sqlite
echo "files in $work"
