//! Cross-checks our RFC 9497 OPRF and VOPRF against an independent implementation
//! (facebook's `voprf` crate) on thousands of random inputs, in both
//! directions of the oblivious flow.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use blindmatch::oprf::{self, Blind, BlindedElement, EvaluatedElement, OprfKey};
use rand::rngs::ChaCha20Rng;
use rand::{Rng, RngExt, SeedableRng};
use voprf::{OprfClient, OprfServer, Ristretto255};

/// Our seeded RNG and the `voprf` crate's (rand 0.8), from one seed.
fn rngs(seed: u64) -> (ChaCha20Rng, rand08::rngs::StdRng) {
    (
        ChaCha20Rng::seed_from_u64(seed),
        <rand08::rngs::StdRng as rand08::SeedableRng>::seed_from_u64(seed),
    )
}

fn random_seed(rng: &mut ChaCha20Rng) -> [u8; 32] {
    let mut seed = [0u8; 32];
    rng.fill_bytes(&mut seed);
    seed
}

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
        let seed = random_seed(&mut rng);
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
    let (mut rng, mut rng08) = rngs(0x0bf5);
    for _ in 0..500 {
        let seed = random_seed(&mut rng);
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

/// VOPRF mode (0x01): batches of random inputs, our server to their client
/// and their server to our client, proofs included both ways.
#[test]
fn voprf_batches_interoperate_with_voprf_proofs_included() {
    use blindmatch::oprf::{Mode, verify_proof};
    use voprf::{Group, Proof, VoprfClient, VoprfServer};

    let (mut rng, mut rng08) = rngs(0x0bf6);
    for round in 0..60 {
        let seed = random_seed(&mut rng);
        let ours = OprfKey::derive_in(Mode::Voprf, &seed, b"cross").unwrap();
        let theirs = VoprfServer::<Ristretto255>::new_from_seed(&seed, b"cross").unwrap();
        let pk = ours.public_key();
        assert_eq!(
            Ristretto255::serialize_elem(theirs.get_public_key()).to_vec(),
            pk
        );
        let n = 1 + round % 9;
        let inputs: Vec<Vec<u8>> = (0..n)
            .map(|_| {
                let mut x = random_input(&mut rng);
                x.truncate(300);
                x.push(1); // voprf refuses the empty input
                x
            })
            .collect();
        let expected: Vec<_> = inputs
            .iter()
            .map(|x| ours.evaluate_in(Mode::Voprf, x).unwrap())
            .collect();
        for (x, e) in inputs.iter().zip(&expected) {
            assert_eq!(theirs.evaluate(x).unwrap().to_vec(), e.to_vec());
        }

        // Our client, their server: we verify their proof.
        let blinds: Vec<Blind> = (0..n).map(|_| Blind::random_with_rng(&mut rng)).collect();
        let blinded: Vec<BlindedElement> = blinds
            .iter()
            .zip(&inputs)
            .map(|(b, x)| b.blind_in(Mode::Voprf, x).unwrap())
            .collect();
        let their_blinded: Vec<voprf::BlindedElement<Ristretto255>> = blinded
            .iter()
            .map(|b| voprf::BlindedElement::deserialize(&b.to_bytes()).unwrap())
            .collect();
        let res = theirs
            .batch_blind_evaluate(&mut rng08, &their_blinded)
            .unwrap();
        let evaluated: Vec<EvaluatedElement> = res
            .messages
            .iter()
            .map(|m| EvaluatedElement::from_bytes(&m.serialize()).unwrap())
            .collect();
        let proof = res.proof.serialize().to_vec();
        verify_proof(&pk, &blinded, &evaluated, &proof).unwrap();
        for i in 0..n {
            assert_eq!(
                oprf::finalize(&inputs[i], &blinds[i], &evaluated[i]).unwrap(),
                expected[i]
            );
        }
        // Their proof under another key fails ours.
        let other = OprfKey::derive_in(Mode::Voprf, &[round as u8; 32], b"other").unwrap();
        assert!(verify_proof(&other.public_key(), &blinded, &evaluated, &proof).is_err());

        // Their client, our server: they verify our proof.
        let clients: Vec<_> = inputs
            .iter()
            .map(|x| VoprfClient::<Ristretto255>::blind(x, &mut rng08).unwrap())
            .collect();
        let ours_blinded: Vec<BlindedElement> = clients
            .iter()
            .map(|c| BlindedElement::from_bytes(&c.message.serialize()).unwrap())
            .collect();
        let (evaluated, proof) = ours.blind_evaluate_proven(&ours_blinded).unwrap();
        let their_eval: Vec<voprf::EvaluationElement<Ristretto255>> = evaluated
            .iter()
            .map(|e| voprf::EvaluationElement::deserialize(&e.to_bytes()).unwrap())
            .collect();
        let their_proof = Proof::<Ristretto255>::deserialize(&proof).unwrap();
        let states: Vec<_> = clients.iter().map(|c| c.state.clone()).collect();
        let outputs: Vec<_> = VoprfClient::batch_finalize(
            &inputs,
            &states,
            &their_eval,
            &their_proof,
            theirs.get_public_key(),
        )
        .unwrap()
        .map(|o| o.unwrap().to_vec())
        .collect();
        let expected: Vec<Vec<u8>> = expected.iter().map(|e| e.to_vec()).collect();
        assert_eq!(outputs, expected);
    }
}
