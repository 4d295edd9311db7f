//! Record matching: one table per identifier kind (variants that must match
//! each other, near-misses that must not, invalid values with the reason),
//! canonicalization idempotence, and two RecordSets through the protocol.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use blindmatch::psi::{Config, Initiator, Output, Responder, Reveal};
use blindmatch::records::{Field, Kind, Options, RecordSet, canonicalize};
use blindmatch::{Error, ErrorCode};
use proptest::prelude::*;

/// One kind's table. A value is `(text, per-value region)`.
struct Table {
    kind: Kind,
    options: Options,
    /// Groups of spellings: all in a group canonicalize alike; groups differ.
    same: &'static [&'static [(&'static str, Option<&'static str>)]],
    /// Invalid values and a fragment of the expected reason.
    invalid: &'static [((&'static str, Option<&'static str>), &'static str)],
}

fn run_table(t: &Table) {
    let mut canon_of_group = Vec::new();
    for group in t.same {
        let forms: Vec<String> = group
            .iter()
            .map(|(v, r)| {
                canonicalize(t.kind, v, *r, &t.options)
                    .unwrap_or_else(|e| panic!("{}: {v:?} rejected: {e}", t.kind))
            })
            .collect();
        for (f, (v, _)) in forms.iter().zip(group.iter()) {
            assert_eq!(
                f, &forms[0],
                "{}: {v:?} should match {:?}",
                t.kind, group[0].0
            );
        }
        // The canonical form is a fixed point, with no per-value region.
        assert_eq!(
            canonicalize(t.kind, &forms[0], None, &t.options).as_ref(),
            Ok(&forms[0]),
            "{}",
            t.kind
        );
        assert!(
            !canon_of_group.contains(&forms[0]),
            "{}: near-miss {:?} matched another group",
            t.kind,
            group[0].0
        );
        canon_of_group.push(forms[0].clone());
    }
    for ((v, r), reason) in t.invalid {
        match canonicalize(t.kind, v, *r, &t.options) {
            Ok(c) => panic!("{}: {v:?} accepted as {c:?}", t.kind),
            Err(e) => {
                assert_eq!(e.code(), ErrorCode::InvalidValue);
                let msg = e.to_string();
                assert!(
                    msg.contains(reason),
                    "{}: {v:?}: {msg:?} lacks {reason:?}",
                    t.kind
                );
                assert!(msg.contains(t.kind.tag()), "{msg}");
                if v.len() > 3 {
                    assert!(
                        !msg.contains(v.trim()),
                        "error message leaks the value: {msg}"
                    );
                }
            }
        }
    }
}

const N: Option<&str> = None;

#[test]
fn email_table() {
    run_table(&Table {
        kind: Kind::Email,
        options: Options::default(),
        same: &[
            &[
                ("John.Doe@Example.COM ", N),
                ("john.doe@example.com", N),
                ("\tJOHN.DOE@EXAMPLE.COM", N),
                ("ｊｏｈｎ.ｄｏｅ@example.com", N),
            ],
            &[
                ("anna@Bücher.example", N),
                ("anna@xn--bcher-kva.example", N),
                ("ANNA@BÜCHER.EXAMPLE", N),
            ],
            &[("john.doe@example.co", N)],
            &[("john_doe@example.com", N)],
            &[("john.doe+news@example.com", N)],
            &[("müller@example.de", N), ("MÜLLER@example.de", N)],
        ],
        invalid: &[
            (("john.doe", N), "no @"),
            (("@example.com", N), "empty local part"),
            (("john@", N), "domain"),
            (("a@b@example.com", N), "more than one @"),
            (("john doe@example.com", N), "local part"),
            (("john..doe@example.com", N), "dot"),
            (("john@localhost", N), "fully qualified"),
            (("john@exa mple.com", N), "invalid domain"),
            (("john@-example.com", N), "invalid domain"),
        ],
    });
    let tags = Options::default().with_email_drop_plus_tag(true);
    assert_eq!(
        canonicalize(Kind::Email, "John+News@Example.com", None, &tags).unwrap(),
        canonicalize(Kind::Email, "john@example.com", None, &tags).unwrap()
    );
}

#[test]
fn phone_table() {
    run_table(&Table {
        kind: Kind::Phone,
        options: Options::default().with_default_region("GB").unwrap(),
        same: &[
            &[
                ("020 7946 0958", N),
                ("+44 20 7946 0958", N),
                ("+44 (0)20 7946 0958", N),
                ("0044 20 7946 0958", N),
                ("(020) 7946-0958", N),
                ("tel:+44-20-7946-0958", N),
                ("+442079460958", N),
            ],
            &[
                ("01 42 68 53 00", Some("FR")),
                ("+33 1 42 68 53 00", N),
                ("00 33 1 42 68 53 00", Some("fr")),
            ],
            &[
                ("(212) 736-5000", Some("US")),
                ("+1 212 736 5000", N),
                ("212.736.5000", Some("US")),
            ],
            &[("030 901820", Some("DE")), ("+49 30 901820", N)],
            &[
                ("07400 123456", N),
                ("+44 7400 123456", N),
                ("+44 (0) 7400 123 456", N),
            ],
            &[("+44 20 7946 0959", N)],
        ],
        invalid: &[
            (("12", N), "phone"),
            (("call me", N), "not a phone number"),
            (("+44 20 7946", N), "not a valid number"),
            (("020 7946 0958", Some("ZZ")), "unknown region"),
        ],
    });
    // Without a region, a national number cannot be read.
    let err = canonicalize(Kind::Phone, "020 7946 0958", None, &Options::default()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidValue);
}

#[test]
fn iban_table() {
    run_table(&Table {
        kind: Kind::Iban,
        options: Options::default(),
        same: &[
            &[
                ("DE89 3704 0044 0532 0130 00", N),
                ("de89370400440532013000", N),
                (" DE89370400440532013000 ", N),
            ],
            &[
                ("GB82 WEST 1234 5698 7654 32", N),
                ("gb82west12345698765432", N),
            ],
            &[("GB33BUKB20201555555555", N)],
            &[("FR14 2004 1010 0505 0001 3M02 606", N)],
        ],
        invalid: &[
            (("DE89 3704 0044 0532 0130 01", N), "iban"),
            (("DE89 3704 0044 0532 0130", N), "iban"),
            (("XX89370400440532013000", N), "iban"),
            (("not an iban", N), "iban"),
        ],
    });
}

#[test]
fn name_table() {
    run_table(&Table {
        kind: Kind::Name,
        options: Options::default(),
        same: &[
            &[
                ("John Doe", N),
                ("DOE, John", N),
                ("  john   doe ", N),
                ("Jöhn Doe", N),
                ("Doe John", N),
            ],
            &[
                ("José Álvarez", N),
                ("JOSE ALVAREZ", N),
                ("Álvarez, José", N),
            ],
            &[("Straße", N), ("STRASSE", N), ("strasse", N)],
            &[
                ("Anne-Marie O'Neil", N),
                ("anne marie o neil", N),
                ("O’NEIL, Anne Marie", N),
            ],
            &[("Ｊｏｈｎ Ｄｏｅｒ", N), ("John Doer", N)],
            &[("Jon Doe", N)],
            &[
                ("Ayşe Yılmaz", N),
                ("YILMAZ, AYŞE", N),
                ("Ayse Yilmaz", N),
                ("AYŞE YILMAZ", N),
            ],
            &[
                ("Łukasz Wójcik", N),
                ("WÓJCIK, ŁUKASZ", N),
                ("Lukasz Wojcik", N),
            ],
            &[("Søren Ærø", N), ("SOREN AERO", N)],
            &[("Müller", N)],
            &[("Mueller", N)],
            &[("李雷", N)],
        ],
        invalid: &[
            (("", N), "no letters"),
            (("   ", N), "no letters"),
            (("-- , .", N), "no letters"),
        ],
    });
}

#[test]
fn date_of_birth_table() {
    run_table(&Table {
        kind: Kind::DateOfBirth,
        options: Options::default().with_date_format("%d/%m/%Y").unwrap(),
        same: &[
            &[
                ("03/04/1980", N),
                ("3/4/1980", N),
                ("1980-04-03", N),
                (" 03/04/1980", N),
            ],
            &[("04/03/1980", N)],
            &[("29/02/2000", N)],
        ],
        invalid: &[
            (("31/02/1980", N), "date format"),
            (("29/02/1900", N), "date format"),
            (("yesterday", N), "date format"),
            (("1980/04/03", N), "date format"),
        ],
    });
    // Month-first only when the caller says so.
    let us = Options::default().with_date_format("%m/%d/%Y").unwrap();
    assert_eq!(
        canonicalize(Kind::DateOfBirth, "03/04/1980", None, &us).unwrap(),
        "1980-03-04"
    );
}

#[test]
fn document_table() {
    run_table(&Table {
        kind: Kind::Document,
        options: Options::default(),
        same: &[
            &[
                ("C01X00T47", Some("DE")),
                ("c01x-00t47", Some("de")),
                ("DE:C01X00T47", N),
                ("de: C01X 00T47", N),
            ],
            &[("C01X00T47", Some("AT"))],
            &[("123456789", Some("GB"))],
        ],
        invalid: &[
            (("C01X00T47", N), "issuing country required"),
            (("---", Some("DE")), "no letters or digits"),
            (("C01X00T47", Some("ZZ")), "unknown issuing country"),
        ],
    });
}

#[test]
fn ip_table() {
    run_table(&Table {
        kind: Kind::Ip,
        options: Options::default(),
        same: &[
            &[
                ("192.0.2.7", N),
                (" 192.0.2.7 ", N),
                ("::ffff:192.0.2.7", N),
                ("::FFFF:c000:0207", N),
            ],
            &[
                ("2001:db8::1", N),
                ("2001:DB8:0:0:0:0:0:1", N),
                ("2001:0db8:0000:0000:0000::0001", N),
            ],
            &[("2001:db8:0:1:1:1:1:1", N), ("2001:db8::1:1:1:1:1", N)],
            &[("192.0.2.8", N)],
            &[("::192.0.2.7", N)],
        ],
        invalid: &[
            (("256.1.1.1", N), "not an IP address"),
            (("192.0.2", N), "not an IP address"),
            (("fe80::1%eth0", N), "not an IP address"),
            (("010.0.0.1", N), "not an IP address"),
        ],
    });
}

#[test]
fn crypto_address_table() {
    run_table(&Table {
        kind: Kind::CryptoAddress,
        options: Options::default(),
        same: &[
            &[
                ("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", N),
                ("bitcoin:1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", N),
            ],
            &[("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", N)],
            &[
                ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", N),
                ("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", N),
                ("btc:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", N),
            ],
            &[(
                "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297",
                N,
            )],
            &[
                ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", N),
                ("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", N),
                ("0X5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED", N),
                ("ethereum:0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", N),
            ],
            &[("0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", N)],
        ],
        invalid: &[
            (("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3", N), "checksum"),
            (("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", N), "bech32"),
            (("Bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", N), "bech32"),
            (("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", N), "EIP-55"),
            (("0x123", N), "40 hex digits"),
            (
                ("eth:1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", N),
                "another chain",
            ),
            (
                ("doge:1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", N),
                "unknown chain",
            ),
            (("hello", N), "crypto_address"),
        ],
    });
}

#[test]
fn text_table() {
    run_table(&Table {
        kind: Kind::Text,
        options: Options::default(),
        same: &[&[(" ﬁle 7 ", N), ("file 7", N)], &[("File 7", N)]],
        invalid: &[(("   ", N), "empty")],
    });
}

/// Plausible and arbitrary values per kind, for the idempotence property.
fn value_for(kind: Kind) -> BoxedStrategy<String> {
    let arbitrary = "\\PC{0,24}".boxed();
    let specific = match kind {
        Kind::Email => {
            "[A-Za-zÀ-ÿ0-9._+-]{1,12}@[A-Za-zÀ-ÿ0-9-]{1,10}\\.(com|ORG|de|xn--p1ai)".boxed()
        }
        Kind::Phone => "(\\+44|0|\\+33|\\+1)[ ]?[0-9 ()-]{6,14}".boxed(),
        Kind::Iban => {
            "(DE89 3704 0044 0532 0130 00|gb82west12345698765432|FR14[0-9A-Z ]{10,25})".boxed()
        }
        Kind::Name => "[A-Za-zÀ-ÿßİıŒæ'’ ,.-]{1,30}".boxed(),
        Kind::DateOfBirth => "[0-3]?[0-9]/[01]?[0-9]/(19|20)[0-9]{2}".boxed(),
        Kind::Document => "[A-Za-z]{2}:[A-Za-z0-9 -]{1,12}".boxed(),
        Kind::Ip => "([0-9]{1,3}\\.){3}[0-9]{1,3}|[0-9a-fA-F:]{2,30}".boxed(),
        Kind::CryptoAddress => {
            "(0x[0-9a-fA-F]{40}|bc1[02-9ac-hj-np-z]{39}|1[1-9A-HJ-NP-Za-km-z]{33})".boxed()
        }
        _ => "\\PC{0,24}".boxed(),
    };
    prop_oneof![arbitrary, specific].boxed()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn canonicalization_is_idempotent(
        (kind, value) in prop::sample::select(Kind::ALL.to_vec()).prop_flat_map(|k| (Just(k), value_for(k)))
    ) {
        let options = Options::default().with_default_region("GB").unwrap().with_date_format("%d/%m/%Y").unwrap();
        if let Ok(c) = canonicalize(kind, &value, None, &options) {
            let again = canonicalize(kind, &c, None, &options);
            prop_assert_eq!(again.as_ref(), Ok(&c), "{} {:?} -> {:?}", kind, value, c);
        }
    }
}

fn set(options: Options, records: &[(&str, &[Field<'_>])]) -> RecordSet {
    let mut rs = RecordSet::new(options);
    rs.add_composite(&[Kind::Name, Kind::DateOfBirth]).unwrap();
    for (id, fields) in records {
        rs.add(id, fields);
    }
    rs
}

#[test]
fn two_record_sets_through_the_protocol() {
    use Kind::*;
    let ours = set(
        Options::default().with_default_region("GB").unwrap(),
        &[
            (
                "case-17",
                &[
                    Field::new(Email, "John.Doe@Example.COM "),
                    Field::new(Phone, "020 7946 0958"),
                    Field::new(Name, "John Doe"),
                    Field::new(DateOfBirth, "1980-04-03"),
                ],
            ),
            (
                "case-18",
                &[
                    Field::new(Iban, "GB82 WEST 1234 5698 7654 32"),
                    Field::new(Phone, "not a phone"),
                ],
            ),
            (
                "case-19",
                &[Field::new(
                    CryptoAddress,
                    "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
                )],
            ),
            (
                "case-20",
                &[
                    Field::new(Name, "Jane Roe"),
                    Field::new(DateOfBirth, "1975-12-01"),
                ],
            ),
            ("case-21", &[Field::new(DateOfBirth, "1975-12-01")]),
        ],
    );
    let theirs = set(
        Options::default().with_date_format("%d/%m/%Y").unwrap(),
        &[
            (
                "X-1",
                &[
                    Field::new(Phone, "+44 20 7946 0958"),
                    Field::new(Email, "j.doe@example.com"),
                ],
            ),
            (
                "X-2",
                &[
                    Field::new(Name, "DOE, John"),
                    Field::new(DateOfBirth, "03/04/1980"),
                ],
            ),
            ("X-3", &[Field::new(Iban, "gb82west12345698765432")]),
            (
                "X-4",
                &[Field::new(
                    CryptoAddress,
                    "bitcoin:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
                )],
            ),
            // Same name, other birthday: no match (a name alone is no key by
            // default, and the composite differs).
            (
                "X-5",
                &[
                    Field::new(Name, "Roe, Jane"),
                    Field::new(DateOfBirth, "02/12/1975"),
                ],
            ),
            // A phone number on our side is an e-mail address on theirs: no match across kinds.
            ("X-6", &[Field::new(Text, "+442079460958")]),
        ],
    );
    let errors: Vec<(&str, &str)> = ours
        .errors()
        .iter()
        .map(|e| (e.record_id.as_str(), e.field.as_str()))
        .collect();
    assert_eq!(errors, [("case-18", "phone"), ("case-21", "*")]);
    assert!(theirs.errors().is_empty());

    assert_eq!(ours.profile(), theirs.profile());
    let config = Config::default().with_profile(ours.profile());
    let (initiator, request) = Initiator::new(config.clone(), ours.keys()).unwrap();
    let (responder, response) = Responder::new(config, theirs.keys())
        .unwrap()
        .respond(&request)
        .unwrap();
    let (finish, mine) = initiator.finish(&response).unwrap();
    let their_matches = responder.finish(finish.as_deref()).unwrap().unwrap();

    let got: Vec<(String, Vec<String>)> = ours
        .record_matches(&mine)
        .into_iter()
        .map(|m| (m.record_id, m.kinds))
        .collect();
    let want = |v: &[(&str, &[&str])]| -> Vec<(String, Vec<String>)> {
        v.iter()
            .map(|(id, k)| (id.to_string(), k.iter().map(|s| s.to_string()).collect()))
            .collect()
    };
    assert_eq!(
        got,
        want(&[
            ("case-17", &["name+date_of_birth", "phone"]),
            ("case-18", &["iban"]),
            ("case-19", &["crypto_address"]),
        ])
    );
    let got: Vec<(String, Vec<String>)> = theirs
        .record_matches(&their_matches)
        .into_iter()
        .map(|m| (m.record_id, m.kinds))
        .collect();
    assert_eq!(
        got,
        want(&[
            ("X-1", &["phone"]),
            ("X-2", &["name+date_of_birth"]),
            ("X-3", &["iban"]),
            ("X-4", &["crypto_address"]),
        ])
    );

    // Cardinality mode maps to no records.
    let config = Config::new(Reveal::Cardinality, Output::Initiator).with_profile(ours.profile());
    let (initiator, request) = Initiator::new(config.clone(), ours.keys()).unwrap();
    let (_, response) = Responder::new(config, theirs.keys())
        .unwrap()
        .respond(&request)
        .unwrap();
    let (_, mine) = initiator.finish(&response).unwrap();
    assert_eq!(mine.cardinality(), 4);
    assert!(ours.record_matches(&mine).is_empty());
}

#[test]
fn unknown_region_is_a_clear_error() {
    let err: Error = Options::default().with_default_region("XX").unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidValue);
}
