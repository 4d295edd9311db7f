//! Whole sessions (balanced in each mode, and unbalanced) on arbitrary sets,
//! with one message in any position mutated. Unmutated sessions must give
//! exactly the naive intersection; mutated ones may fail, never panic.
#![no_main]

use std::collections::HashSet;

use arbitrary::Arbitrary;
use blindmatch::budget::Budget;
use blindmatch::psi::{Initiator, Responder, Reveal};
use blindmatch::unbalanced::{Client, ClientConfig, Server, ServerConfig};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Mutation {
    Flip { at: u16, xor: u8 },
    Truncate { to: u16 },
    Extend(Vec<u8>),
    Replace(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
struct Input {
    mode: u8,
    a: Vec<String>,
    b: Vec<String>,
    /// 0-2: request, response, finish; 3-5: query, answer, digest.
    position: u8,
    mutation: Option<Mutation>,
}

fn mutate(msg: &mut Vec<u8>, m: &Mutation) {
    match m {
        Mutation::Flip { at, xor } => {
            if !msg.is_empty() {
                let i = usize::from(*at) % msg.len();
                msg[i] ^= xor;
            }
        }
        Mutation::Truncate { to } => msg.truncate(usize::from(*to)),
        Mutation::Extend(extra) => msg.extend_from_slice(extra),
        Mutation::Replace(bytes) => msg.clone_from(bytes),
    }
}

fn expected(mine: &[String], theirs: &[String]) -> Vec<usize> {
    let set: HashSet<&String> = theirs.iter().collect();
    (0..mine.len())
        .filter(|&i| set.contains(&mine[i]))
        .collect()
}

fuzz_target!(|input: Input| {
    let (mut a, mut b) = (input.a, input.b);
    a.truncate(12);
    b.truncate(12);
    let at = |p: u8, msg: &mut Vec<u8>| -> bool {
        match &input.mutation {
            Some(m) if input.position % 6 == p => {
                let before = msg.clone();
                mutate(msg, m);
                *msg != before
            }
            _ => false,
        }
    };
    let mut rng = blindmatch_fuzz::rng(input.mode);
    if input.position % 6 < 3 {
        let config = blindmatch_fuzz::config(input.mode);
        let Ok((initiator, mut request)) = Initiator::new_with_rng(config.clone(), &a, &mut rng)
        else {
            return;
        };
        let Ok(responder) = Responder::new_with_rng(config, &b, &mut rng) else {
            return;
        };
        let mut mutated = at(0, &mut request);
        let Ok((waiting, mut response)) = responder.respond(&request) else {
            assert!(mutated, "an unmutated request was refused");
            return;
        };
        mutated |= at(1, &mut response);
        let Ok((finish, mine)) = initiator.finish(&response) else {
            assert!(mutated, "an unmutated response was refused");
            return;
        };
        let mut finish = finish;
        if let Some(f) = finish.as_mut() {
            mutated |= at(2, f);
        }
        let theirs = waiting.finish(finish.as_deref());
        if !mutated {
            let want = expected(&a, &b);
            let distinct: HashSet<&String> = a.iter().filter(|x| b.contains(x)).collect();
            assert_eq!(mine.cardinality(), distinct.len());
            match mine.reveal() {
                Reveal::Intersection => assert_eq!(mine.indices(), &want[..]),
                Reveal::Cardinality => assert!(mine.indices().is_empty()),
            }
            assert!(theirs.is_ok(), "an unmutated finish was refused");
        }
    } else {
        let key = blindmatch::oprf::OprfKey::generate_with_rng(&mut rng);
        let Ok(server) = Server::new_with_rng(
            key,
            &b,
            None::<&[&[u8]]>,
            ServerConfig::new(Budget::Unlimited).with_fpr_bits(30),
            &mut rng,
        ) else {
            return;
        };
        let Ok((client, mut query)) = Client::new_with_rng(ClientConfig::default(), &a, &mut rng)
        else {
            return;
        };
        let mut mutated = at(3, &mut query);
        let Ok(mut answer) = server.answer(&query, "fuzz") else {
            assert!(mutated, "an unmutated query was refused");
            return;
        };
        mutated |= at(4, &mut answer);
        let mut digest = server.digest().to_vec();
        mutated |= at(5, &mut digest);
        let result = client.finish(&answer, &digest);
        if !mutated {
            // 2^-30 per item false-positive rate: a false match is not expected here.
            assert_eq!(
                result.map(|m| m.indices().to_vec()).ok(),
                Some(expected(&a, &b))
            );
        }
    }
});
