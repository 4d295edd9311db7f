//! Guarantees that must hold against a peer that cheats or a caller that
//! errs (issue 14): answers bound to their query, labels sealed afresh on
//! every build, one encoding per message, canonicalization profiles checked
//! before any group operation, and records that never match falsely.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use blindmatch::budget::Budget;
use blindmatch::oprf::OprfKey;
use blindmatch::psi::{Config, Initiator, Responder};
use blindmatch::records::{Field, Kind, Options, RecordSet};
use blindmatch::unbalanced::{Client, ClientConfig, Server, ServerConfig, SetDigest};
use blindmatch::wire::Profile;
use blindmatch::{Error, ErrorCode};

fn key() -> OprfKey {
    OprfKey::derive(&[9; 32], b"trust").unwrap()
}

/// A server over `list` (with `labels`), under the test key.
fn server(list: &[String], labels: Option<&[String]>, budget: Budget) -> Server {
    Server::new(key(), list, labels, ServerConfig::new(budget)).unwrap()
}

fn list() -> Vec<String> {
    (0..40).map(|i| format!("+4420794609{i:02}")).collect()
}

#[test]
fn an_answer_finishes_only_its_own_query() {
    let list = list();
    let server = server(&list, None, Budget::Unlimited);
    let (first, q1) = Client::new(&list[..3]).unwrap();
    let (second, q2) = Client::new(&list[..3]).unwrap();
    assert_ne!(first.query_id(), second.query_id());
    let a1 = server.answer(&q1, "c").unwrap();
    let a2 = server.answer(&q2, "c").unwrap();
    // Same items, same sizes, same epoch: only the query id tells them apart.
    assert_eq!(
        first.finish(&a2, server.digest()).unwrap_err(),
        Error::QueryMismatch
    );
    assert_eq!(
        second.finish(&a1, server.digest()).unwrap_err().code(),
        ErrorCode::QueryMismatch
    );
}

#[test]
fn two_builds_of_one_list_seal_unrelated_labels() {
    let list = list();
    let labels: Vec<String> = (0..list.len()).map(|i| format!("case {i}")).collect();
    let build = || {
        server(&list, Some(&labels), Budget::Unlimited)
            .digest()
            .to_vec()
    };
    let (d1, d2) = (build(), build());
    // Same key, same epoch, same tags; every sealed label differs.
    let (s1, s2) = (
        SetDigest::from_bytes(&d1).unwrap(),
        SetDigest::from_bytes(&d2).unwrap(),
    );
    assert_eq!(s1.epoch(), s2.epoch());
    // The sealed labels are the digests' last bytes: length prefix, padded
    // label and AEAD tag per item.
    let label_bytes = list.len() * (2 + "case 39".len() + 16);
    let (t1, t2) = (&d1[d1.len() - label_bytes..], &d2[d2.len() - label_bytes..]);
    assert_ne!(t1, t2);
    let size = label_bytes / list.len();
    for (a, b) in t1.chunks(size).zip(t2.chunks(size)) {
        assert_ne!(a, b, "a label ciphertext repeated across builds");
    }
    // Both builds still open for a client that holds the item.
    for digest in [&d1, &d2] {
        let server = server(&list, Some(&labels), Budget::Unlimited);
        let (client, query) = Client::new(&[list[7].as_str()]).unwrap();
        let answer = server.answer(&query, "c").unwrap();
        let found = client.finish(&answer, digest).unwrap();
        assert_eq!(found.label(0), Some(&b"case 7"[..]));
    }
}

#[test]
fn a_non_minimal_count_is_malformed() {
    let (_, request) = Initiator::new(Config::default(), &["a", "b", "c"]).unwrap();
    // Header 6, suite/reveal/output 3, session id 16, profile 32, proofs
    // flag 1, public key 32: the count.
    let at = 6 + 3 + 16 + 32 + 1 + 32;
    assert_eq!(request[at], 3);
    let mut bad = request[..at].to_vec();
    bad.extend_from_slice(&[0x83, 0x00]);
    bad.extend_from_slice(&request[at + 1..]);
    let r = Responder::new(Config::default(), &["a"]).unwrap();
    assert_eq!(r.respond(&bad).unwrap_err(), Error::Malformed);
}

fn records(options: Options, composites: &[&[Kind]]) -> RecordSet {
    let mut rs = RecordSet::new(options);
    for c in composites {
        rs.add_composite(c).unwrap();
    }
    rs.add(
        "r1",
        &[
            Field::new(Kind::Email, "anna@example.org"),
            Field::new(Kind::Name, "Anna Berg"),
            Field::new(Kind::DateOfBirth, "1980-04-03"),
        ],
    );
    rs
}

#[test]
fn composite_kinds_are_sorted() {
    let a = records(Options::default(), &[&[Kind::Name, Kind::DateOfBirth]]);
    let b = records(Options::default(), &[&[Kind::DateOfBirth, Kind::Name]]);
    assert_eq!(a.keys(), b.keys());
    assert_eq!(a.profile(), b.profile());
    let mut rs = RecordSet::new(Options::default());
    rs.add_composite(&[Kind::Name, Kind::DateOfBirth]).unwrap();
    assert!(rs.add_composite(&[Kind::DateOfBirth, Kind::Name]).is_err());
}

#[test]
fn profiles_differ_exactly_where_key_bytes_can() {
    let base = records(Options::default(), &[&[Kind::Name, Kind::DateOfBirth]]);
    // Not part of the profile: how values are written.
    let written = records(
        Options::default()
            .with_default_region("FR")
            .unwrap()
            .with_date_format("%d/%m/%Y")
            .unwrap(),
        &[&[Kind::Name, Kind::DateOfBirth]],
    );
    assert_eq!(base.profile(), written.profile());
    // Nor which kinds are keys on their own: that decides what a party
    // offers, not how a key is spelt.
    let named = records(
        Options::default().with_single_key(Kind::Name).unwrap(),
        &[&[Kind::Name, Kind::DateOfBirth]],
    );
    assert_eq!(base.profile(), named.profile());
    for other in [
        records(Options::default(), &[]),
        records(Options::default(), &[&[Kind::Name, Kind::Email]]),
        records(
            Options::default().with_email_drop_plus_tag(true),
            &[&[Kind::Name, Kind::DateOfBirth]],
        ),
        records(
            Options::default().with_email_provider_rules(true),
            &[&[Kind::Name, Kind::DateOfBirth]],
        ),
    ] {
        assert_ne!(base.profile(), other.profile());
        assert_ne!(other.profile(), Profile::RAW);
    }
}

#[test]
fn a_profile_mismatch_stops_balanced_psi_before_group_work() {
    let ours = records(Options::default(), &[&[Kind::Name, Kind::DateOfBirth]]);
    let theirs = records(Options::default(), &[]);
    let (_, request) =
        Initiator::new(Config::default().with_profile(ours.profile()), ours.keys()).unwrap();
    let r = Responder::new(
        Config::default().with_profile(theirs.profile()),
        theirs.keys(),
    )
    .unwrap();
    assert_eq!(r.respond(&request).unwrap_err(), Error::ProfileMismatch);
    // Plain items against records: also refused.
    let r = Responder::new(Config::default(), &["x"]).unwrap();
    assert_eq!(
        r.respond(&request).unwrap_err().code(),
        ErrorCode::ProfileMismatch
    );
}

#[test]
fn a_profile_mismatch_stops_unbalanced_psi() {
    let ours = records(Options::default(), &[&[Kind::Name, Kind::DateOfBirth]]);
    let theirs = records(Options::default(), &[]);
    let server = Server::new(
        key(),
        theirs.keys(),
        None::<&[&str]>,
        ServerConfig::new(Budget::Limited(100)).with_profile(theirs.profile()),
    )
    .unwrap();
    let (_, query) = Client::with_config(
        ClientConfig::default().with_profile(ours.profile()),
        ours.keys(),
    )
    .unwrap();
    assert_eq!(
        server.answer(&query, "c").unwrap_err(),
        Error::ProfileMismatch
    );
    // Refused before anything was charged.
    assert_eq!(server.remaining_budget("c").unwrap(), Some(100));

    // The client checks the digest too: an answer from a server of its
    // profile, finished against a digest (same key, same epoch) built for
    // another profile, is refused rather than read as "no match".
    let same = Server::new(
        key(),
        ours.keys(),
        None::<&[&str]>,
        ServerConfig::new(Budget::Unlimited).with_profile(ours.profile()),
    )
    .unwrap();
    let (client, query) = Client::with_config(
        ClientConfig::default().with_profile(ours.profile()),
        ours.keys(),
    )
    .unwrap();
    let answer = same.answer(&query, "c").unwrap();
    assert_eq!(
        client.finish(&answer, server.digest()).unwrap_err(),
        Error::ProfileMismatch
    );
}

#[test]
fn a_bad_element_anywhere_costs_no_budget() {
    let list = list();
    let server = server(&list, None, Budget::Limited(1000));
    let items: Vec<String> = (0..300).map(|i| format!("q{i}")).collect();
    let (_, mut query) = Client::new(&items).unwrap();
    let n = query.len();
    query[n - 32..].fill(0xff); // the last element is no group element
    assert_eq!(
        server.answer(&query, "c").unwrap_err(),
        Error::InvalidElement
    );
    assert_eq!(server.remaining_budget("c").unwrap(), Some(1000));
}

#[test]
fn names_alone_are_no_key_by_default() {
    let mut rs = RecordSet::new(Options::default());
    assert_eq!(rs.add("1", &[Field::new(Kind::Name, "Anna Berg")]), 0);
    assert_eq!(rs.errors()[0].field, "*");
    let mut rs = RecordSet::new(Options::default().with_single_key(Kind::Name).unwrap());
    assert_eq!(rs.add("1", &[Field::new(Kind::Name, "Anna Berg")]), 1);
    assert!(
        Options::default()
            .with_single_key(Kind::DateOfBirth)
            .is_err()
    );
}

#[test]
fn dates_need_four_digit_years_in_range() {
    assert!(Options::default().with_date_format("%d/%m/%y").is_err());
    assert!(Options::default().with_date_format("%d/%m").is_err());
    let options = Options::default().with_date_format("%d/%m/%Y").unwrap();
    let read =
        |v: &str, o: &Options| blindmatch::records::canonicalize(Kind::DateOfBirth, v, None, o);
    assert_eq!(read("03/04/1980", &options).unwrap(), "1980-04-03");
    for bad in [
        "03/04/80",
        "03/04/0080",
        "03/04/1850",
        "03/04/2150",
        "03/04/19800",
    ] {
        let e = read(bad, &options).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidValue, "{bad}");
    }
    let wide = options.with_birth_years(1800, 2100).unwrap();
    assert_eq!(read("03/04/1850", &wide).unwrap(), "1850-04-03");
    assert!(Options::default().with_birth_years(2000, 1900).is_err());
    assert!(Options::default().with_birth_years(99, 1900).is_err());
}

#[test]
fn phone_extensions_are_reported_not_dropped() {
    let options = Options::default().with_default_region("GB").unwrap();
    let read = |v: &str| blindmatch::records::canonicalize(Kind::Phone, v, None, &options);
    assert_eq!(read("020 7946 0958").unwrap(), "+442079460958");
    for with_ext in ["020 7946 0958 ext. 123", "+44 20 7946 0958 x123"] {
        let e = read(with_ext).unwrap_err();
        assert!(e.to_string().contains("extension"), "{e}");
        assert!(!e.to_string().contains("123"));
    }
}

#[test]
fn document_numbers_keep_every_letter() {
    let read = |v: &str| {
        blindmatch::records::canonicalize(Kind::Document, v, Some("DE"), &Options::default())
    };
    assert_eq!(read("ä-12").unwrap(), "DE:Ä12");
    assert_ne!(read("Ä12").unwrap(), read("12").unwrap());
    assert_ne!(read("ЖA12").unwrap(), read("A12").unwrap());
    assert_eq!(read(" c01x / 00t.47 ").unwrap(), "DE:C01X00T47");
    assert!(read("C01X#47").is_err());
    // Canonical forms are fixed points.
    for v in ["ä-12", "ǅ12", "ß12"] {
        let c = read(v).unwrap();
        assert_eq!(read(&c).unwrap(), c, "{v}");
    }
}

#[test]
fn too_many_combinations_are_an_error_not_a_truncation() {
    let mut rs = RecordSet::new(Options::default());
    rs.add_composite(&[Kind::Name, Kind::DateOfBirth]).unwrap();
    let names: Vec<String> = (0..5).map(|i| format!("Name{i} Berg")).collect();
    let dates: Vec<String> = (1..=4).map(|d| format!("1980-04-0{d}")).collect();
    let mut fields: Vec<Field<'_>> = names.iter().map(|n| Field::new(Kind::Name, n)).collect();
    fields.extend(dates.iter().map(|d| Field::new(Kind::DateOfBirth, d)));
    fields.push(Field::new(Kind::Email, "anna@example.org"));
    assert_eq!(rs.add("many", &fields), 1); // the e-mail only
    let e = &rs.errors()[0];
    assert_eq!(
        (e.record_id.as_str(), e.field.as_str()),
        ("many", "name+date_of_birth")
    );
    // 4 x 4 = 16 is within the cap: all of them.
    assert_eq!(rs.add("ok", &fields[1..]), 1 + 16);
}

#[test]
fn email_provider_rules_are_opt_in() {
    let read =
        |o: &Options, v: &str| blindmatch::records::canonicalize(Kind::Email, v, None, o).unwrap();
    let off = Options::default();
    let on = Options::default().with_email_provider_rules(true);
    assert_eq!(read(&off, "J.Doe@googlemail.com"), "j.doe@googlemail.com");
    assert_eq!(read(&on, "J.Doe+x@googlemail.com"), "jdoe@gmail.com");
    assert_eq!(read(&on, "j.doe+x@example.com"), "j.doe+x@example.com");
}
