//! Record matching: records with several identifiers of different kinds,
//! canonicalized, turned into PSI items, and matches mapped back to records.
//!
//! Real case files are records, not strings, written by different people in
//! different countries. Without canonicalization `John.Doe@Example.COM ` and
//! `john.doe@example.com`, or `020 7946 0958` and `+44 20 7946 0958`, would
//! silently fail to match. Each identifier is canonicalized per [`Kind`]
//! ([`normalize`]) and encoded as `kind-tag || 0x00 || canonical bytes`, so
//! values of different kinds never match.
//!
//! ```
//! use blindmatch::psi::{Config, Initiator, Responder};
//! use blindmatch::records::{Field, Kind, Options, RecordSet};
//!
//! let mut ours = RecordSet::new(Options::default().with_default_region("GB")?);
//! ours.add_composite(&[Kind::Name, Kind::DateOfBirth])?;
//! ours.add("case-17", &[
//!     Field::new(Kind::Email, "John.Doe@Example.COM "),
//!     Field::new(Kind::Phone, "020 7946 0958"),
//!     Field::new(Kind::Name, "DOE, John"),
//!     Field::new(Kind::DateOfBirth, "1980-04-03"),
//! ]);
//! ours.add("case-18", &[Field::new(Kind::Phone, "not a number")]);
//! assert_eq!(ours.errors().len(), 2); // the bad phone, and a record with no usable identifier
//!
//! let mut theirs = RecordSet::new(Options::default().with_date_format("%d/%m/%Y")?);
//! theirs.add_composite(&[Kind::Name, Kind::DateOfBirth])?;
//! theirs.add("X-1", &[
//!     Field::new(Kind::Phone, "+44 20 7946 0958"),
//!     Field::new(Kind::Name, "john doe"),
//!     Field::new(Kind::DateOfBirth, "03/04/1980"),
//! ]);
//!
//! // Each side's profile travels with its keys: a peer that declared other
//! // composites, or other key-changing options, is refused at once.
//! assert_eq!(ours.profile(), theirs.profile());
//! let (initiator, request) = Initiator::new(Config::default().with_profile(ours.profile()), ours.keys())?;
//! let (responder, response) =
//!     Responder::new(Config::default().with_profile(theirs.profile()), theirs.keys())?.respond(&request)?;
//! let (finish, mine) = initiator.finish(&response)?;
//! let matches = ours.record_matches(&mine);
//! assert_eq!(matches[0].record_id, "case-17");
//! // A name alone is no key unless enabled (`Options::with_single_key`).
//! assert_eq!(matches[0].kinds, ["name+date_of_birth", "phone"]);
//! # let _ = responder.finish(finish.as_deref())?;
//! # Ok::<(), blindmatch::Error>(())
//! ```

pub mod normalize;

use core::fmt;
use core::str::FromStr;
use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha512};

use crate::error::{Error, Result};
use crate::protocol::psi::Matches;
use crate::wire::{PROFILE_LEN, Profile};

/// The kind of an identifier; decides how it is canonicalized and keeps
/// values of different kinds from ever matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Kind {
    /// E-mail address ([`normalize::email`]).
    Email,
    /// Phone number ([`normalize::phone`]).
    Phone,
    /// International bank account number ([`normalize::iban`]).
    Iban,
    /// Personal name ([`normalize::name`]).
    Name,
    /// Date of birth ([`normalize::date_of_birth`]). Thousands of people
    /// share one, so it is never a key on its own: it takes part only in
    /// composite keys ([`RecordSet::add_composite`]).
    DateOfBirth,
    /// Passport or national identity document ([`normalize::document`]).
    Document,
    /// IP address ([`normalize::ip`]).
    Ip,
    /// Cryptocurrency address ([`normalize::crypto_address`]).
    CryptoAddress,
    /// Anything else ([`normalize::text`]).
    Text,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 9] = [
        Kind::Email,
        Kind::Phone,
        Kind::Iban,
        Kind::Name,
        Kind::DateOfBirth,
        Kind::Document,
        Kind::Ip,
        Kind::CryptoAddress,
        Kind::Text,
    ];

    /// Tells whether a value of this kind can be a key on its own (every
    /// kind but [`Kind::DateOfBirth`]).
    pub const fn is_standalone(self) -> bool {
        !matches!(self, Kind::DateOfBirth)
    }

    /// Tells whether values of this kind are keys on their own by default:
    /// every standalone kind but [`Kind::Name`], which many people share
    /// (names are keys inside composites, e.g. name + date of birth, unless
    /// [`Options::with_single_key`] opts in).
    pub const fn is_single_key_by_default(self) -> bool {
        self.is_standalone() && !matches!(self, Kind::Name)
    }

    /// Returns the kind's tag: its name in keys, errors and results, and the
    /// keyword the Python binding uses (`rs.add(id, email=...)`).
    pub const fn tag(self) -> &'static str {
        match self {
            Kind::Email => "email",
            Kind::Phone => "phone",
            Kind::Iban => "iban",
            Kind::Name => "name",
            Kind::DateOfBirth => "date_of_birth",
            Kind::Document => "document",
            Kind::Ip => "ip",
            Kind::CryptoAddress => "crypto_address",
            Kind::Text => "text",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

impl FromStr for Kind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Kind::ALL
            .into_iter()
            .find(|k| k.tag() == s)
            .ok_or(Error::InvalidConfig("unknown identifier kind"))
    }
}

/// How a [`RecordSet`] reads its values.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// Region (ISO 3166-1 alpha-2) for phone numbers written without an
    /// international prefix, and the default issuer of documents. None by
    /// default: such numbers are then errors.
    pub default_region: Option<String>,
    /// The `strftime` format dates of birth are written in. `%Y-%m-%d` by
    /// default; the format is never guessed.
    pub date_format: String,
    /// Drop a `+tag` from e-mail local parts. Off by default.
    pub email_drop_plus_tag: bool,
    /// Apply known providers' rules to e-mail addresses
    /// ([`normalize::email_provider_rules`]: Gmail dots and `+tags`,
    /// `googlemail.com`). Off by default.
    pub email_provider_rules: bool,
    /// Kinds whose values are keys on their own. By default every
    /// [standalone](Kind::is_standalone) kind except names
    /// ([`Kind::is_single_key_by_default`]).
    pub single_keys: BTreeSet<Kind>,
    /// Years a date of birth may lie in (inclusive); a date outside is an
    /// error, never a guess. Default 1900 to 2100.
    pub birth_years: core::ops::RangeInclusive<i32>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            default_region: None,
            date_format: "%Y-%m-%d".to_owned(),
            email_drop_plus_tag: false,
            email_provider_rules: false,
            single_keys: Kind::ALL
                .into_iter()
                .filter(|k| k.is_single_key_by_default())
                .collect(),
            birth_years: 1900..=2100,
        }
    }
}

impl Options {
    /// Sets the default region.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidValue`] for an unknown ISO 3166-1 alpha-2 code.
    pub fn with_default_region(mut self, region: &str) -> Result<Self> {
        self.default_region = Some(normalize::region(region)?);
        Ok(self)
    }

    /// Sets the date-of-birth format (`strftime` syntax, e.g. `%d/%m/%Y`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] for a format without a four-digit year
    /// (`%Y` or `%F`), such as one with `%y`, whose century would be a guess.
    pub fn with_date_format(mut self, format: &str) -> Result<Self> {
        if !(format.contains("%Y") || format.contains("%F")) || format.contains("%y") {
            return Err(Error::InvalidConfig(
                "date format must have a four-digit year (%Y)",
            ));
        }
        self.date_format = format.to_owned();
        Ok(self)
    }

    /// Sets the years a date of birth may lie in (inclusive).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] unless `first <= last`, both four-digit years.
    pub fn with_birth_years(mut self, first: i32, last: i32) -> Result<Self> {
        if first > last || first < 1000 || last > 9999 {
            return Err(Error::InvalidConfig(
                "birth years must be a range of four-digit years",
            ));
        }
        self.birth_years = first..=last;
        Ok(self)
    }

    /// Makes values of `kind` keys on their own (e.g. names, which are
    /// only used inside composites by default).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] for [`Kind::DateOfBirth`], which is never a
    /// key on its own.
    pub fn with_single_key(mut self, kind: Kind) -> Result<Self> {
        if !kind.is_standalone() {
            return Err(Error::InvalidConfig(
                "a date of birth is never a key on its own",
            ));
        }
        self.single_keys.insert(kind);
        Ok(self)
    }

    /// Stops values of `kind` from being keys on their own; they still take
    /// part in composite keys.
    #[must_use]
    pub fn without_single_key(mut self, kind: Kind) -> Self {
        self.single_keys.remove(&kind);
        self
    }

    setters! {
        /// Applies known providers' e-mail rules (Gmail dots, `googlemail.com`).
        with_email_provider_rules(on: bool) => email_provider_rules;

        /// Drops `+tag` suffixes of e-mail local parts.
        with_email_drop_plus_tag(on: bool) => email_drop_plus_tag;
    }
}

/// One identifier of a record, as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field<'a> {
    /// What kind of identifier it is.
    pub kind: Kind,
    /// The value as written.
    pub value: &'a str,
    /// A region for this value alone (phone numbers; document issuer),
    /// overriding [`Options::default_region`].
    pub region: Option<&'a str>,
}

/// A field from an owned `(kind, value, region)`, as bindings gather them.
impl<'a> From<&'a (Kind, String, Option<String>)> for Field<'a> {
    fn from((kind, value, region): &'a (Kind, String, Option<String>)) -> Self {
        Field {
            kind: *kind,
            value,
            region: region.as_deref(),
        }
    }
}

/// A party's items as a caller gathered them (the bindings' `items or
/// RecordSet` arguments): the values it matches on, and the record set they
/// were made from, if any.
#[derive(Clone, Default)]
pub struct Items {
    /// The values, as bytes.
    pub values: Vec<Vec<u8>>,
    /// The record set they came from.
    pub records: Option<std::sync::Arc<RecordSet>>,
}

/// Counts only: the values are identifiers.
impl fmt::Debug for Items {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Items")
            .field("values", &self.values.len())
            .field("from_records", &self.records.is_some())
            .finish()
    }
}

impl Items {
    /// The canonicalization profile the peer must share: the record set's,
    /// or [`Profile::RAW`] for plain items.
    pub fn profile(&self) -> Profile {
        self.records
            .as_ref()
            .map_or(Profile::RAW, |rs| rs.profile())
    }
}

impl<'a> Field<'a> {
    /// A field of `kind` with `value`.
    pub fn new(kind: Kind, value: &'a str) -> Self {
        Field {
            kind,
            value,
            region: None,
        }
    }

    /// Sets the region of this value (phone region or document issuer).
    #[must_use]
    pub fn with_region(mut self, region: &'a str) -> Self {
        self.region = Some(region);
        self
    }
}

/// Canonicalizes one value of `kind` under `options` (and an optional
/// per-value region).
///
/// # Errors
///
/// [`Error::InvalidValue`] when the value cannot be canonicalized.
pub fn canonicalize(
    kind: Kind,
    value: &str,
    region: Option<&str>,
    options: &Options,
) -> Result<String> {
    let region = region.or(options.default_region.as_deref());
    match kind {
        Kind::Email => {
            let e = normalize::email(value, options.email_drop_plus_tag)?;
            Ok(if options.email_provider_rules {
                normalize::email_provider_rules(&e)
            } else {
                e
            })
        }
        Kind::Phone => normalize::phone(value, region),
        Kind::Iban => normalize::iban(value),
        Kind::Name => normalize::name(value),
        Kind::DateOfBirth => {
            normalize::date_of_birth(value, &options.date_format, options.birth_years.clone())
        }
        Kind::Document => normalize::document(value, region),
        Kind::Ip => normalize::ip(value),
        Kind::CryptoAddress => normalize::crypto_address(value),
        Kind::Text => normalize::text(value),
    }
}

/// Encodes a canonical value as a PSI item: `tag || 0x00 || canonical`.
fn encode_key(tag: &str, parts: &[&str]) -> Vec<u8> {
    let mut key =
        Vec::with_capacity(tag.len() + 1 + parts.iter().map(|p| p.len() + 2).sum::<usize>());
    key.extend_from_slice(tag.as_bytes());
    key.push(0);
    if let [single] = parts {
        key.extend_from_slice(single.as_bytes());
    } else {
        // Composite: each part length-prefixed, so ("ab", "c") != ("a", "bc").
        for p in parts {
            // Canonical values are short; a part over 65535 bytes is cut off by
            // the length check in `add` before it gets here.
            key.extend_from_slice(&(p.len() as u16).to_be_bytes());
            key.extend_from_slice(p.as_bytes());
        }
    }
    key
}

/// A value that could not be used, reported with its record and field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The id of the record the value belongs to.
    pub record_id: String,
    /// The field: a kind tag, a composite label (`"name+date_of_birth"`)
    /// for a composite key that could not be made, `"id"` for a duplicate
    /// record id, or `"*"` for a record without any usable identifier.
    pub field: String,
    /// Why (never contains the value).
    pub error: Error,
}

/// A record of this party that matched, and through which keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordMatch {
    /// The record's id (it never leaves its owner).
    pub record_id: String,
    /// Tags of the keys that matched, sorted (`"email"`, `"name+date_of_birth"`, ...).
    pub kinds: Vec<String>,
}

/// Longest value accepted, in bytes, before canonicalization.
pub const MAX_VALUE_LEN: usize = 4096;

/// Most combinations one composite key may produce for one record (a
/// record with 5 names and 4 dates of birth would need 20). More is an
/// error for that record and composite, never a silent truncation.
pub const MAX_COMBINATIONS: usize = 16;

/// Domain label of a record set's profile hash.
const PROFILE_LABEL: &[u8] = b"blindmatch-records-profile-v1";

/// A party's records, canonicalized into PSI items.
///
/// Bad values are collected in [`RecordSet::errors`]; they never abort the
/// batch and never vanish silently. Pass [`RecordSet::keys`] to
/// [`crate::protocol::psi::Initiator::new`] or [`crate::protocol::psi::Responder::new`] and
/// map the result back with [`RecordSet::record_matches`].
#[derive(Debug, Clone)]
pub struct RecordSet {
    options: Options,
    composites: Vec<Vec<Kind>>,
    record_ids: Vec<String>,
    ids_seen: HashSet<String>,
    keys: Vec<Vec<u8>>,
    /// For each key: (record index, key label: a kind tag or composite label).
    owners: Vec<(usize, usize)>,
    labels: Vec<String>,
    errors: Vec<FieldError>,
}

impl RecordSet {
    /// An empty set that reads values with `options`.
    pub fn new(options: Options) -> Self {
        RecordSet {
            options,
            composites: Vec::new(),
            record_ids: Vec::new(),
            ids_seen: HashSet::new(),
            keys: Vec::new(),
            owners: Vec::new(),
            labels: Kind::ALL.iter().map(|k| k.tag().to_owned()).collect(),
            errors: Vec::new(),
        }
    }

    /// Declares a composite key: records with a valid value of every kind in
    /// `kinds` also get a key made of all of them (e.g. name + date of
    /// birth). The kinds are sorted, so `[Name, DateOfBirth]` and
    /// `[DateOfBirth, Name]` are one key. Both parties must declare the same
    /// composites; the [profile](RecordSet::profile) makes sure they did.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] with fewer than two or repeated kinds, or
    /// after records were added.
    pub fn add_composite(&mut self, kinds: &[Kind]) -> Result<()> {
        if !self.record_ids.is_empty() {
            return Err(Error::InvalidConfig(
                "composite keys must be declared before records are added",
            ));
        }
        let sorted: Vec<Kind> = kinds
            .iter()
            .copied()
            .collect::<BTreeSet<Kind>>()
            .into_iter()
            .collect();
        if kinds.len() < 2 || sorted.len() != kinds.len() {
            return Err(Error::InvalidConfig(
                "a composite key needs two or more distinct kinds",
            ));
        }
        if self.composites.contains(&sorted) {
            return Err(Error::InvalidConfig("composite key declared twice"));
        }
        self.labels
            .push(sorted.iter().map(|k| k.tag()).collect::<Vec<_>>().join("+"));
        self.composites.push(sorted);
        Ok(())
    }

    /// Returns the canonicalization profile: a hash of the sorted composite
    /// declarations and of every option that changes a key's bytes (the
    /// e-mail options). Not part of it: the default region and the date
    /// format, which only say how values are written and legitimately differ
    /// between agencies, and which kinds are keys on their own, which
    /// decides what a party offers, not how a key is spelt (a kind one side
    /// does not use simply matches nothing).
    ///
    /// Pass it in the protocol's configuration
    /// ([`crate::protocol::psi::Config::with_profile`],
    /// [`crate::protocol::unbalanced::ServerConfig::with_profile`],
    /// [`crate::protocol::unbalanced::ClientConfig::with_profile`]); the peer refuses
    /// a different one with [`Error::ProfileMismatch`].
    pub fn profile(&self) -> Profile {
        let mut h = Sha512::new();
        h.update(PROFILE_LABEL);
        let mut composites: Vec<&Vec<Kind>> = self.composites.iter().collect();
        composites.sort();
        let mut field = |name: &str, value: &[u8]| {
            // Length-prefixed, so no two descriptions hash alike.
            for part in [name.as_bytes(), value] {
                h.update((part.len() as u32).to_be_bytes());
                h.update(part);
            }
        };
        for c in composites {
            let tags: Vec<&str> = c.iter().map(|k| k.tag()).collect();
            field("composite", tags.join("+").as_bytes());
        }
        field(
            "email_drop_plus_tag",
            &[u8::from(self.options.email_drop_plus_tag)],
        );
        field(
            "email_provider_rules",
            &[u8::from(self.options.email_provider_rules)],
        );
        let digest = h.finalize();
        let mut id = [0u8; PROFILE_LEN];
        id.copy_from_slice(&digest[..PROFILE_LEN]);
        Profile::from_bytes(id)
    }

    /// Adds a record. Values that cannot be canonicalized are reported in
    /// [`RecordSet::errors`]; the record keeps its other values. Returns the
    /// number of keys the record contributed.
    pub fn add(&mut self, id: &str, fields: &[Field<'_>]) -> usize {
        if !self.ids_seen.insert(id.to_owned()) {
            self.report(
                id,
                "id",
                Error::InvalidConfig("duplicate record id; record skipped"),
            );
            return 0;
        }
        let record = self.record_ids.len();
        self.record_ids.push(id.to_owned());
        let mut canonical: BTreeMap<Kind, Vec<String>> = BTreeMap::new();
        for f in fields {
            let result = if f.value.len() > MAX_VALUE_LEN {
                Err(Error::InvalidValue {
                    kind: f.kind.tag(),
                    reason: "longer than 4096 bytes",
                })
            } else {
                canonicalize(f.kind, f.value, f.region, &self.options)
            };
            match result {
                Ok(v) => {
                    let values = canonical.entry(f.kind).or_default();
                    if !values.contains(&v) {
                        values.push(v);
                    }
                }
                Err(e) => self.report(id, f.kind.tag(), e),
            }
        }
        let before = self.keys.len();
        for (kind, values) in canonical
            .iter()
            .filter(|(k, _)| self.options.single_keys.contains(k))
        {
            let label = Kind::ALL.iter().position(|k| k == kind).unwrap_or_default();
            for v in values {
                self.keys.push(encode_key(kind.tag(), &[v]));
                self.owners.push((record, label));
            }
        }
        let mut too_many = Vec::new();
        for (c, kinds) in self.composites.iter().enumerate() {
            let label = Kind::ALL.len() + c;
            let tag = &self.labels[label];
            let Some(count) = kinds.iter().try_fold(1usize, |n, kind| {
                canonical.get(kind).map(|v| n.saturating_mul(v.len()))
            }) else {
                continue; // a component is missing: no composite key
            };
            if count > MAX_COMBINATIONS {
                too_many.push(tag.clone());
                continue;
            }
            let mut combos: Vec<Vec<&str>> = vec![Vec::new()];
            for kind in kinds {
                let values = &canonical[kind];
                combos = combos
                    .into_iter()
                    .flat_map(|prefix| {
                        values.iter().map(move |v| {
                            let mut next = prefix.clone();
                            next.push(v.as_str());
                            next
                        })
                    })
                    .collect();
            }
            for combo in combos {
                self.keys.push(encode_key(tag, &combo));
                self.owners.push((record, label));
            }
        }
        for tag in too_many {
            self.report(
                id,
                &tag,
                Error::InvalidValue {
                    kind: "composite",
                    reason: "more than 16 combinations of values; key not made",
                },
            );
        }
        let added = self.keys.len() - before;
        if added == 0 {
            self.report(
                id,
                "*",
                Error::InvalidValue {
                    kind: "record",
                    reason: "no usable identifier",
                },
            );
        }
        added
    }

    fn report(&mut self, record_id: &str, field: &str, error: Error) {
        self.errors.push(FieldError {
            record_id: record_id.to_owned(),
            field: field.to_owned(),
            error,
        });
    }

    /// Returns the PSI items: one per canonical key, in the order the
    /// indices of a [`Matches`] refer to.
    pub fn keys(&self) -> &[Vec<u8>] {
        &self.keys
    }

    /// Returns the values that could not be used, in the order they were met.
    pub fn errors(&self) -> &[FieldError] {
        &self.errors
    }

    /// Returns the number of records added (records with errors included).
    pub fn len(&self) -> usize {
        self.record_ids.len()
    }

    /// Tells whether no record was added.
    pub fn is_empty(&self) -> bool {
        self.record_ids.is_empty()
    }

    /// Returns the ids of the records, in the order they were added.
    pub fn record_ids(&self) -> &[String] {
        &self.record_ids
    }

    /// Returns the options this set reads values with.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Maps a PSI result over [`RecordSet::keys`] back to records: which
    /// records matched, through which keys, in the order records were added.
    /// Empty for a cardinality-only result.
    pub fn record_matches(&self, matches: &Matches) -> Vec<RecordMatch> {
        self.record_matches_at(matches.indices())
    }

    /// Maps matched key indices (from any protocol: balanced PSI's
    /// [`Matches::indices`], unbalanced PSI's
    /// [`crate::protocol::unbalanced::UnbalancedMatches::indices`]) back to records.
    /// Indices beyond [`RecordSet::keys`] are ignored.
    pub fn record_matches_at(&self, indices: &[usize]) -> Vec<RecordMatch> {
        group_matches(indices, &self.record_ids, &self.labels, |i| {
            self.owners.get(i).copied()
        })
    }

    /// Returns what maps results back to records once the keys are gone:
    /// record ids and which record and kind each key came from, without
    /// any identifier. A waiting session saved to a file
    /// ([`crate::registry::saved::SavedSession`]) carries it, so the step that
    /// finishes the session can name the records that matched.
    pub fn index(&self) -> RecordIndex {
        RecordIndex {
            record_ids: self.record_ids.clone(),
            // Both fit in u32: keys are PSI items (at most u32::MAX) and
            // labels are kinds and composites (a few dozen).
            owners: self
                .owners
                .iter()
                .map(|&(r, l)| (r as u32, l as u32))
                .collect(),
            labels: self.labels.clone(),
        }
    }
}

/// Groups matched key indices by record, in record order.
fn group_matches(
    indices: &[usize],
    record_ids: &[String],
    labels: &[String],
    owner: impl Fn(usize) -> Option<(usize, usize)>,
) -> Vec<RecordMatch> {
    let mut by_record: BTreeMap<usize, BTreeSet<&str>> = BTreeMap::new();
    for &i in indices {
        if let Some((record, label)) = owner(i) {
            by_record.entry(record).or_default().insert(&labels[label]);
        }
    }
    by_record
        .into_iter()
        .map(|(record, labels)| RecordMatch {
            record_id: record_ids[record].clone(),
            kinds: labels.into_iter().map(str::to_owned).collect(),
        })
        .collect()
}

/// Which record and key kind each PSI item of a [`RecordSet`] came from
/// ([`RecordSet::index`]): enough to name matched records, and nothing
/// else (no identifier, no canonical key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordIndex {
    record_ids: Vec<String>,
    /// For each key: (record index, label index).
    owners: Vec<(u32, u32)>,
    labels: Vec<String>,
}

impl RecordIndex {
    /// Number of keys (PSI items) it maps.
    pub fn len(&self) -> usize {
        self.owners.len()
    }

    /// Tells whether it maps no key.
    pub fn is_empty(&self) -> bool {
        self.owners.is_empty()
    }

    /// Returns the ids of the records, in the order they were added.
    pub fn record_ids(&self) -> &[String] {
        &self.record_ids
    }

    /// As [`RecordSet::record_matches_at`].
    pub fn record_matches_at(&self, indices: &[usize]) -> Vec<RecordMatch> {
        group_matches(indices, &self.record_ids, &self.labels, |i| {
            self.owners.get(i).map(|&(r, l)| (r as usize, l as usize))
        })
    }

    /// Returns the label (kind tag or composite label) of key `i`.
    pub fn kind_of(&self, i: usize) -> Option<&str> {
        let &(_, l) = self.owners.get(i)?;
        self.labels.get(l as usize).map(String::as_str)
    }

    /// Returns the record id of key `i`.
    pub fn record_of(&self, i: usize) -> Option<&str> {
        let &(r, _) = self.owners.get(i)?;
        self.record_ids.get(r as usize).map(String::as_str)
    }

    /// Checks that every key points at a record and a label.
    pub(crate) fn validate(&self, keys: usize) -> Result<()> {
        if self.owners.len() != keys {
            return Err(Error::BadState(
                "the record index maps another number of keys",
            ));
        }
        let (records, labels) = (self.record_ids.len(), self.labels.len());
        if self
            .owners
            .iter()
            .any(|&(r, l)| r as usize >= records || l as usize >= labels)
        {
            return Err(Error::BadState("the record index points past its records"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_different_kinds_never_collide() {
        assert_ne!(encode_key("email", &["x"]), encode_key("text", &["x"]));
        assert_ne!(
            encode_key("a+b", &["ab", "c"]),
            encode_key("a+b", &["a", "bc"])
        );
        assert_eq!(encode_key("email", &["a@b.c"]), b"email\0a@b.c");
    }

    #[test]
    fn kind_tags_round_trip() {
        for k in Kind::ALL {
            assert_eq!(k.tag().parse::<Kind>().unwrap(), k);
        }
        assert!("passport".parse::<Kind>().is_err());
    }

    #[test]
    fn composites_need_every_component() {
        let mut rs = RecordSet::new(Options::default().with_single_key(Kind::Name).unwrap());
        rs.add_composite(&[Kind::Name, Kind::DateOfBirth]).unwrap();
        assert_eq!(rs.add("1", &[Field::new(Kind::Name, "Ann Lee")]), 1);
        assert_eq!(
            rs.add(
                "2",
                &[
                    Field::new(Kind::Name, "Ann Lee"),
                    Field::new(Kind::DateOfBirth, "1990-01-02")
                ]
            ),
            2
        );
        // A date of birth alone is no identifier.
        assert_eq!(
            rs.add("3", &[Field::new(Kind::DateOfBirth, "1990-01-02")]),
            0
        );
        assert_eq!(rs.errors()[0].field, "*");
        assert!(rs.add_composite(&[Kind::Name, Kind::Email]).is_err());
        assert!(
            RecordSet::new(Options::default())
                .add_composite(&[Kind::Name])
                .is_err()
        );
    }

    #[test]
    fn errors_are_reported_per_record_and_field() {
        let mut rs = RecordSet::new(Options::default());
        rs.add(
            "a",
            &[
                Field::new(Kind::Email, "nope"),
                Field::new(Kind::Ip, "10.0.0.1"),
            ],
        );
        rs.add("a", &[Field::new(Kind::Ip, "10.0.0.2")]);
        rs.add("b", &[Field::new(Kind::Phone, "020 7946 0958")]); // no region
        let errs: Vec<(&str, &str)> = rs
            .errors()
            .iter()
            .map(|e| (e.record_id.as_str(), e.field.as_str()))
            .collect();
        assert_eq!(
            errs,
            [("a", "email"), ("a", "id"), ("b", "phone"), ("b", "*")]
        );
        assert_eq!(rs.len(), 2);
        for e in rs.errors() {
            assert!(!e.error.to_string().contains("0958"));
        }
    }
}
