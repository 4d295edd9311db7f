//! Cross-checks our RFC 9497 OPRF against an independent implementation
//! (facebook's `voprf` crate) on thousands of random inputs, in both
//! directions of the oblivious flow.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use blindmatch::oprf::{self, Blind, BlindedElement, EvaluatedElement, OprfKey};
use rand::rngs::ChaCha20Rng;
use rand::{Rng, RngExt, SeedableRng};
use voprf::{OprfClient, OprfServer, Ristretto255};

fn random_input(rng: &mut ChaCha20Rng) -> Vec<u8> {
    // Mostly short identifiers, sometimes long values up to the limit.
    let len = match rng.random_range(0..100u32) {
        0 => rng.random_range(1000..=65_535usize),
        _ => rng.random_range(0..200usize),
    };
    let mut v = vec![0u8; len];
    rng.fill_bytes(&mut v);
    v
}

#[test]
fn evaluate_matches_voprf_on_random_keys_and_inputs() {
    let mut rng = ChaCha20Rng::seed_from_u64(0x9497);
    for _ in 0..2000 {
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        let info_len = rng.random_range(0..40usize);
        let mut info = vec![0u8; info_len];
        rng.fill_bytes(&mut info);
        let input = random_input(&mut rng);

        let ours = OprfKey::derive(&seed, &info).unwrap();
        let theirs = OprfServer::<Ristretto255>::new_from_seed(&seed, &info).unwrap();
        assert_eq!(
            ours.evaluate(&input).unwrap().to_vec(),
            theirs.evaluate(&input).unwrap().to_vec()
        );
    }
}

#[test]
fn oblivious_flow_interoperates_with_voprf() {
    let mut rng = ChaCha20Rng::seed_from_u64(0x0bf5);
    let mut rng08 = <rand08::rngs::StdRng as rand08::SeedableRng>::seed_from_u64(0x0bf5);
    for _ in 0..500 {
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        let input = random_input(&mut rng);
        let ours = OprfKey::derive(&seed, b"cross").unwrap();
        let theirs = OprfServer::<Ristretto255>::new_from_seed(&seed, b"cross").unwrap();
        let expected = ours.evaluate(&input).unwrap();

        // Our client, their server.
        let blind = Blind::random_with_rng(&mut rng);
        let blinded = blind.blind(&input).unwrap();
        let their_blinded =
            voprf::BlindedElement::<Ristretto255>::deserialize(&blinded.to_bytes()).unwrap();
        let their_eval = theirs.blind_evaluate(&their_blinded);
        let eval = EvaluatedElement::from_bytes(&their_eval.serialize()).unwrap();
        assert_eq!(oprf::finalize(&input, &blind, &eval).unwrap(), expected);

        // Their client, our server.
        let res = OprfClient::<Ristretto255>::blind(&input, &mut rng08).unwrap();
        let blinded = BlindedElement::from_bytes(&res.message.serialize()).unwrap();
        let eval = ours.blind_evaluate(&blinded);
        let their_eval =
            voprf::EvaluationElement::<Ristretto255>::deserialize(&eval.to_bytes()).unwrap();
        let out = res.state.finalize(&input, &their_eval).unwrap();
        assert_eq!(out.to_vec(), expected.to_vec());
    }
}
