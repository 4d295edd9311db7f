//! Every RFC test vector in `tests/vectors/` (copied from `../shared/vectors`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use blindmatch::Error;
use blindmatch::group::{self, decode_element, expand_message_xmd, hash_to_group};
use blindmatch::oprf::{self, Blind, BlindedElement, EvaluatedElement, OprfKey};
use curve25519_dalek::ristretto::RistrettoPoint;
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn hex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).expect("valid hex")
}

fn str_list(v: &Value) -> Vec<Vec<u8>> {
    v.as_array().unwrap().iter().map(hex).collect()
}

#[test]
fn expand_message_xmd_rfc9380_k3() {
    let v = load("expand_message_xmd_sha512.json");
    let dst = v["DST"].as_str().unwrap().as_bytes();
    let tests = v["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 10);
    for t in tests {
        let msg = t["msg"].as_str().unwrap().as_bytes();
        let len = t["len_in_bytes"].as_u64().unwrap() as usize;
        let mut out = vec![0u8; len];
        expand_message_xmd(msg, dst, &mut out).unwrap();
        assert_eq!(
            out,
            hex(&t["uniform_bytes"]),
            "msg {:?} len {len}",
            t["msg"]
        );
    }
}

#[test]
fn ristretto255_small_multiples_rfc9496_a1() {
    let v = load("ristretto255.json");
    let encodings = str_list(&v["small_multiples"]["vectors"]);
    assert_eq!(encodings.len(), 16);
    let g = curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
    let mut p = RistrettoPoint::default();
    for (i, enc) in encodings.iter().enumerate() {
        assert_eq!(p.compress().as_bytes(), &enc[..], "{i}·B");
        if i == 0 {
            // The identity is a valid encoding, but never a valid peer element.
            assert_eq!(decode_element(enc), Err(Error::IdentityElement));
        } else {
            assert_eq!(decode_element(enc).unwrap(), p, "{i}·B");
        }
        p += g;
    }
}

#[test]
fn ristretto255_invalid_encodings_rfc9496_a2() {
    let v = load("ristretto255.json");
    let all = str_list(&v["invalid_encodings"]["all"]);
    assert_eq!(all.len(), 29);
    let mut by_category = 0;
    for (_, list) in v["invalid_encodings"]["by_category"].as_object().unwrap() {
        by_category += list.as_array().unwrap().len();
    }
    assert_eq!(by_category, 29);
    for enc in &all {
        assert_eq!(
            decode_element(enc),
            Err(Error::InvalidElement),
            "{}",
            hex::encode(enc)
        );
        assert!(BlindedElement::from_bytes(enc).is_err());
        assert!(EvaluatedElement::from_bytes(enc).is_err());
    }
}

#[test]
fn ristretto255_from_uniform_bytes_rfc9496_a3() {
    let v = load("ristretto255.json");
    let vectors = v["from_uniform_bytes"]["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 7);
    for t in vectors {
        let input: [u8; 64] = hex(&t["input"]).try_into().unwrap();
        let p = RistrettoPoint::from_uniform_bytes(&input);
        assert_eq!(p.compress().as_bytes(), &hex(&t["output"])[..]);
    }
    let eq = &v["from_uniform_bytes"]["equivalent_inputs"];
    for input in str_list(&eq["inputs"]) {
        let input: [u8; 64] = input.try_into().unwrap();
        let p = RistrettoPoint::from_uniform_bytes(&input);
        assert_eq!(p.compress().as_bytes(), &hex(&eq["output"])[..]);
    }
}

#[test]
fn hash_to_ristretto255_sets() {
    let v = load("hash_to_ristretto255.json");
    let sets = v["vector_sets"].as_array().unwrap();
    assert_eq!(sets.len(), 4);
    let mut checked = 0;
    for set in sets {
        let dst = hex(&set["DST_hex"]);
        for t in set["vectors"].as_array().unwrap() {
            let msg = hex(&t["msg_hex"]);
            let mut uniform = [0u8; 64];
            expand_message_xmd(&msg, &dst, &mut uniform).unwrap();
            assert_eq!(
                uniform.to_vec(),
                hex(&t["uniform_bytes"]),
                "{}",
                set["name"]
            );
            let p = hash_to_group(&msg, &dst).unwrap();
            assert_eq!(
                p.compress().as_bytes(),
                &hex(&t["P"])[..],
                "{}",
                set["name"]
            );
            // Where the RFC 9497 blind is given, Blind · P is the RFC's BlindedElement.
            if let Some(blind) = t.get("rfc9497_Blind") {
                let b = group::decode_nonzero_scalar(&hex(blind)).unwrap();
                assert_eq!(
                    (p * b).compress().as_bytes(),
                    &hex(&t["rfc9497_BlindedElement"])[..]
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 10);
}

#[test]
fn oprf_rfc9497_a11() {
    let v = load("oprf_ristretto255_sha512.json");
    assert_eq!(v["identifier"], "ristretto255-SHA512");
    assert_eq!(v["mode"], 0);
    assert_eq!(
        hex(&v["conventions"]["contextString_hex"]),
        oprf::CONTEXT_STRING
    );
    let seed: [u8; 32] = hex(&v["Seed"]).try_into().unwrap();
    let info = hex(&v["KeyInfo"]);
    let key = OprfKey::derive(&seed, &info).unwrap();
    assert_eq!(key.to_secret_bytes().to_vec(), hex(&v["skSm"]));

    let vectors = v["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 2);
    for t in vectors {
        assert_eq!(t["Batch"], 1);
        let input = hex(&t["Input"]);
        let blind = Blind::from_bytes(&hex(&t["Blind"])).unwrap();
        let blinded = blind.blind(&input).unwrap();
        assert_eq!(blinded.to_bytes().to_vec(), hex(&t["BlindedElement"]));
        // The server decodes the client's bytes, as it would off the wire.
        let blinded = BlindedElement::from_bytes(&hex(&t["BlindedElement"])).unwrap();
        let evaluated = key.blind_evaluate(&blinded);
        assert_eq!(evaluated.to_bytes().to_vec(), hex(&t["EvaluationElement"]));
        let batch = key.blind_evaluate_batch(&[blinded, blinded]);
        assert_eq!(batch, vec![evaluated, evaluated]);
        let evaluated = EvaluatedElement::from_bytes(&hex(&t["EvaluationElement"])).unwrap();
        let output = oprf::finalize(&input, &blind, &evaluated).unwrap();
        assert_eq!(output.to_vec(), hex(&t["Output"]));
        assert_eq!(key.evaluate(&input).unwrap().to_vec(), hex(&t["Output"]));
        let outputs = key.evaluate_batch(&[&input[..], &input[..]]).unwrap();
        assert_eq!(outputs[0].to_vec(), hex(&t["Output"]));
        assert_eq!(outputs[1].to_vec(), hex(&t["Output"]));
    }
}
