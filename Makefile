# Entry points for contributors; each recipe is one documented command, so
# CI (.ci/run) and a newcomer run the same things. See CONTRIBUTING.md.
.PHONY: main test test-rust test-python test-js lint bless fuzz bench-smoke release

main:          ## the main job: two agencies match on the shipped data
	cargo run --release -p blindmatch-examples --bin two_agencies

test:          ## every test (the README's test command)
	bash .ci/test

test-rust:     ## the Rust workspace only
	bash .ci/test rust

test-python:   ## the Python package only
	bash .ci/test python

test-js:       ## the npm package and the browser tool only
	bash .ci/test js

lint:          ## formatting, clippy (host and wasm32), rustdoc
	cargo fmt --all --check
	cargo fmt --manifest-path core/fuzz/Cargo.toml --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	cargo clippy -p blindmatch-wasm --target wasm32-unknown-unknown --locked -- -D warnings
	RUSTDOCFLAGS="-D warnings" cargo doc -p blindmatch --no-deps --locked

bless:         ## rewrite the golden vectors after an intended wire change
	BLINDMATCH_BLESS=1 cargo test -p blindmatch --test golden --test sum --test multiparty
	cargo run --manifest-path core/fuzz/Cargo.toml --example make_corpus

fuzz:          ## every fuzz target for 60 s (FUZZ_SECONDS=300 make fuzz for longer)
	bash core/fuzz/run.sh $${FUZZ_SECONDS:-60}

bench-smoke:   ## every documented benchmark command once, at a tiny size
	bash .ci/bench-smoke

release:       ## the wheel and the npm tarball into target/release-artifacts
	bash .ci/release
