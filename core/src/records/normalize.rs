//! Canonical forms of identifiers, one function per kind.
//!
//! Each function takes a value as people write it and returns the one form
//! that every spelling of the same identifier maps to, or an
//! [`Error::InvalidValue`] that names the kind and the reason (never the
//! value). Every function is idempotent: canonicalizing a canonical value
//! returns it unchanged.

use core::str::FromStr;
use std::net::IpAddr;

use chrono::NaiveDate;
use iban::IbanLike;
use sha2::{Digest, Sha256};
use sha3::Keccak256;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::Kind;
use crate::error::{Error, Result};

fn invalid(kind: Kind, reason: &'static str) -> Error {
    Error::InvalidValue {
        kind: kind.tag(),
        reason,
    }
}

/// NFKC, then trimmed of surrounding white space.
fn nfkc_trim(value: &str) -> String {
    value.nfkc().collect::<String>().trim().to_owned()
}

/// Returns a validated ISO 3166-1 alpha-2 code, upper-cased.
///
/// # Errors
///
/// [`Error::InvalidValue`] unless the code is a country the phone-number
/// metadata knows.
pub fn region(code: &str) -> Result<String> {
    let upper = code.trim().to_ascii_uppercase();
    phonenumber::country::Id::from_str(&upper)
        .map_err(|_| invalid(Kind::Phone, "unknown region code"))?;
    Ok(upper)
}

/// E-mail address: trimmed, NFKC, lower-cased; the domain converted to
/// ASCII by IDNA (UTS 46, strict STD3 rules and DNS lengths). With
/// `drop_plus_tag`, a `+tag` suffix of the local part is removed
/// (`john+news@example.com` → `john@example.com`; off by default, since
/// not every provider treats `+` this way).
///
/// Provider rules are a separate, explicit choice ([`email_provider_rules`]):
/// this function never assumes that two different addresses reach one inbox.
///
/// ```
/// # use blindmatch::records::normalize::email;
/// assert_eq!(email(" John.Doe@Example.COM ", false)?, "john.doe@example.com");
/// assert_eq!(email("anna@bücher.example", false)?, "anna@xn--bcher-kva.example");
/// # Ok::<(), blindmatch::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidValue`] without exactly one `@`, with an empty, too long
/// or space-containing local part, or a domain IDNA rejects or that has no dot.
pub fn email(value: &str, drop_plus_tag: bool) -> Result<String> {
    const KIND: Kind = Kind::Email;
    // NFKC again after lower-casing: a few lower-case mappings produce
    // sequences that are not in NFKC, and the result must be a fixed point.
    let v = nfkc_trim(&nfkc_trim(value).to_lowercase());
    let (local, domain) = v.split_once('@').ok_or_else(|| invalid(KIND, "no @"))?;
    if domain.contains('@') {
        return Err(invalid(KIND, "more than one @"));
    }
    let local = if drop_plus_tag {
        local.split('+').next().unwrap_or(local)
    } else {
        local
    };
    if local.is_empty() {
        return Err(invalid(KIND, "empty local part"));
    }
    if local.len() > 64 {
        return Err(invalid(KIND, "local part longer than 64 bytes"));
    }
    if local
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\\\"".contains(c))
    {
        return Err(invalid(
            KIND,
            "local part contains a character not allowed in an address",
        ));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(invalid(KIND, "misplaced dot in the local part"));
    }
    let domain =
        idna::domain_to_ascii_strict(domain).map_err(|_| invalid(KIND, "invalid domain"))?;
    if !domain.contains('.') || domain.split('.').any(str::is_empty) {
        return Err(invalid(KIND, "domain is not a fully qualified name"));
    }
    Ok(format!("{local}@{domain}"))
}

/// Applies known providers' addressing rules to a canonical e-mail address
/// (from [`email`]): Gmail ignores dots and `+tags` in the local part, and
/// `googlemail.com` is `gmail.com`. Other domains are returned unchanged.
/// Off unless a record set enables it ([`super::Options::email_provider_rules`]),
/// since it merges addresses that are different strings.
///
/// ```
/// # use blindmatch::records::normalize::email_provider_rules;
/// assert_eq!(email_provider_rules("j.o.h.n+x@googlemail.com"), "john@gmail.com");
/// assert_eq!(email_provider_rules("j.o.h.n+x@example.com"), "j.o.h.n+x@example.com");
/// ```
pub fn email_provider_rules(canonical: &str) -> String {
    match canonical.rsplit_once('@') {
        Some((local, "gmail.com" | "googlemail.com")) => {
            let local = local.split('+').next().unwrap_or(local);
            format!("{}@gmail.com", local.replace('.', ""))
        }
        _ => canonical.to_owned(),
    }
}

/// Phone number in E.164 (`+442079460958`), parsed with libphonenumber's
/// metadata. Numbers written without an international prefix are read in
/// `default_region` (ISO 3166-1 alpha-2, e.g. `"GB"`).
///
/// ```
/// # use blindmatch::records::normalize::phone;
/// assert_eq!(phone("020 7946 0958", Some("GB"))?, "+442079460958");
/// assert_eq!(phone("+44 (0)20 7946-0958", None)?, "+442079460958");
/// assert_eq!(phone("01 42 68 53 00", Some("FR"))?, "+33142685300");
/// # Ok::<(), blindmatch::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidValue`] for an unknown region, an unparsable number, a
/// national number without a region, a number that is not valid in its
/// country's numbering plan, or a number with an extension (`ext. 12`): E.164
/// has no place for it, and dropping it silently would make two extensions
/// of one switchboard match.
pub fn phone(value: &str, default_region: Option<&str>) -> Result<String> {
    const KIND: Kind = Kind::Phone;
    let region = match default_region {
        Some(r) => Some(
            phonenumber::country::Id::from_str(&r.trim().to_ascii_uppercase())
                .map_err(|_| invalid(KIND, "unknown region code"))?,
        ),
        None => None,
    };
    widen_phone_regex_cache();
    let v = nfkc_trim(value);
    let number = phonenumber::parse(region, &v)
        .map_err(|_| invalid(KIND, "not a phone number (or no region)"))?;
    if !number.is_valid() {
        return Err(invalid(KIND, "not a valid number in its country"));
    }
    if number.extension().is_some() {
        return Err(invalid(
            KIND,
            "has an extension, which E.164 cannot hold; remove it or record it in another field",
        ));
    }
    Ok(number.format().mode(phonenumber::Mode::E164).to_string())
}

/// phonenumber 0.3 compiles its metadata's regular expressions lazily into
/// a shared LRU cache of only 100 entries; a list with numbers from a dozen
/// countries thrashes it and recompiles regexes on almost every call
/// (1-5 ms per number instead of tens of microseconds; upstream
/// whisperfish/rust-phonenumber#102). `Database::cache` hands out that
/// shared cache, so we swap in one large enough for every region's
/// patterns, once per process.
fn widen_phone_regex_cache() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if let Ok(mut cache) = phonenumber::metadata::DATABASE.cache().lock() {
            *cache = regex_cache::RegexCache::new(PHONE_REGEX_CACHE);
        }
    });
}

/// Compiled regexes kept for phone numbers; the metadata has a few
/// thousand distinct patterns.
const PHONE_REGEX_CACHE: usize = 8192;

/// IBAN in electronic form: spaces removed, upper-cased, with the
/// per-country length and the ISO 7064 mod-97 checksum verified.
///
/// ```
/// # use blindmatch::records::normalize::iban;
/// assert_eq!(iban("de89 3704 0044 0532 0130 00")?, "DE89370400440532013000");
/// assert!(iban("DE89 3704 0044 0532 0130 01").is_err()); // checksum
/// # Ok::<(), blindmatch::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidValue`] for a wrong length, country or checksum.
pub fn iban(value: &str) -> Result<String> {
    let compact: String = nfkc_trim(value)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    let parsed = iban::Iban::from_str(&compact).map_err(|e| {
        invalid(
            Kind::Iban,
            match e {
                iban::ParseIbanError::InvalidBaseIban { .. } => {
                    "not an IBAN (characters, length or checksum)"
                }
                iban::ParseIbanError::InvalidBban(_) => "invalid account part for the country",
                iban::ParseIbanError::UnknownCountry(_) => "unknown IBAN country",
            },
        )
    })?;
    Ok(parsed.electronic_str().to_owned())
}

/// Personal name: NFKC, case-folded, diacritics stripped (including the
/// dotless ı, strokes as in ł, ø, đ, and ligatures æ, œ spelt out),
/// punctuation turned
/// into spaces, white space collapsed, and the words sorted, so that
/// `"DOE, John"`, `"john  doe"` and `"Jöhn Doe"` all become `"doe john"`.
///
/// ```
/// # use blindmatch::records::normalize::name;
/// assert_eq!(name("DOE, John")?, "doe john");
/// assert_eq!(name("Jürgen Müller-Lüdenscheidt")?, "jurgen ludenscheidt muller");
/// assert_eq!(name("Straße")?, "strasse");
/// assert_eq!(name("Ayşe Yılmaz")?, name("YILMAZ, Ayse")?);
/// # Ok::<(), blindmatch::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidValue`] if nothing but punctuation and spaces remains.
pub fn name(value: &str) -> Result<String> {
    let folded = caseless::default_case_fold_str(&value.nfkc().collect::<String>());
    let stripped: String = folded
        .nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(fold_letter)
        .collect::<String>()
        .nfc()
        .collect();
    let mut words: Vec<&str> = stripped.split_whitespace().collect();
    if words.is_empty() {
        return Err(invalid(Kind::Name, "no letters"));
    }
    words.sort_unstable();
    Ok(words.join(" "))
}

/// Maps a letter whose diacritic is not a combining mark (so NFKD leaves it
/// whole) to its base letters, and anything not alphanumeric to a space.
/// Without this, `YILMAZ` (typed on a non-Turkish keyboard) and `Yılmaz`
/// would differ in the dotless ı, and `Łukasz` and `LUKASZ` in the stroke.
fn fold_letter(c: char) -> impl Iterator<Item = char> {
    let s: &[char] = match c {
        'ı' => &['i'],
        'ł' | 'ŀ' => &['l'],
        'ø' => &['o'],
        'đ' | 'ð' => &['d'],
        'ħ' => &['h'],
        'ŧ' => &['t'],
        'ĸ' => &['k'],
        'þ' => &['t', 'h'],
        'æ' => &['a', 'e'],
        'œ' => &['o', 'e'],
        c if c.is_alphanumeric() => return FoldIter::One(Some(c)),
        _ => &[' '],
    };
    FoldIter::Many(s.iter())
}

enum FoldIter {
    One(Option<char>),
    Many(core::slice::Iter<'static, char>),
}

impl Iterator for FoldIter {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        match self {
            FoldIter::One(c) => c.take(),
            FoldIter::Many(it) => it.next().copied(),
        }
    }
}

/// Date of birth as ISO 8601 `YYYY-MM-DD`, read with the caller's `format`
/// (chrono `strftime` syntax, e.g. `"%d/%m/%Y"`). The format is never
/// guessed: `03/04/1980` is 3 April with `%d/%m/%Y` and 4 March with
/// `%m/%d/%Y`. A value already in ISO form (`1980-04-03`) is accepted
/// whatever the format, since it cannot be read two ways; this makes the
/// canonical form a fixed point.
///
/// The year must be written with four digits and lie in `years` (a
/// plausible range the caller chooses; [`super::Options::birth_years`]):
/// `03/04/80` is refused rather than read as the year 80, or guessed as
/// 1980 or 2080.
///
/// ```
/// # use blindmatch::records::normalize::date_of_birth;
/// assert_eq!(date_of_birth("03/04/1980", "%d/%m/%Y", 1900..=2100)?, "1980-04-03");
/// assert_eq!(date_of_birth("1980-04-03", "%Y-%m-%d", 1900..=2100)?, "1980-04-03");
/// assert!(date_of_birth("03/04/80", "%d/%m/%Y", 1900..=2100).is_err());
/// # Ok::<(), blindmatch::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidValue`] if the value does not match the format, is no
/// calendar date, or its year is not four digits within `years`.
pub fn date_of_birth(
    value: &str,
    format: &str,
    years: core::ops::RangeInclusive<i32>,
) -> Result<String> {
    use chrono::Datelike;
    let v = nfkc_trim(value);
    let date = NaiveDate::parse_from_str(&v, format)
        .or_else(|e| {
            if is_iso_date(&v) {
                NaiveDate::parse_from_str(&v, "%Y-%m-%d")
            } else {
                Err(e)
            }
        })
        .map_err(|_| invalid(Kind::DateOfBirth, "does not match the date format"))?;
    if !(1000..=9999).contains(&date.year()) || !years.contains(&date.year()) {
        return Err(invalid(
            Kind::DateOfBirth,
            "year is not four digits within the plausible range",
        ));
    }
    Ok(date.format("%Y-%m-%d").to_string())
}

/// `YYYY-MM-DD` exactly: four-digit year, two-digit month and day.
fn is_iso_date(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// Identity document (passport, national id card) number: the issuing
/// country (ISO 3166-1 alpha-2) and the number's letters and digits,
/// upper-cased, as `CC:NUMBER`. The country comes from `issuer`, or from a
/// `CC:` prefix of the value.
///
/// Spaces and the separators `-`, `.`, `/` are removed; every letter and
/// digit is kept, in any script (`Ä`, Cyrillic `Ж`), never dropped, so two
/// numbers that differ only in a non-ASCII letter never match. Any other
/// character is an error. A number typed in one script never matches the
/// same number typed in another (Cyrillic `А` is not Latin `A`).
///
/// ```
/// # use blindmatch::records::normalize::document;
/// assert_eq!(document("c01x-00t47", Some("de"))?, "DE:C01X00T47");
/// assert_eq!(document("DE:C01X00T47", None)?, "DE:C01X00T47");
/// assert_eq!(document("ä 12", Some("DE"))?, "DE:Ä12");
/// assert_ne!(document("Ä12", Some("DE"))?, document("12", Some("DE"))?);
/// # Ok::<(), blindmatch::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidValue`] without an issuing country, with an unknown one,
/// without letters or digits, or with a character that is neither a
/// letter, a digit, a space nor one of the separators.
pub fn document(value: &str, issuer: Option<&str>) -> Result<String> {
    const KIND: Kind = Kind::Document;
    let v = nfkc_trim(value);
    let (country, number) = match (issuer, v.split_once(':')) {
        (_, Some((cc, rest))) if cc.len() == 2 && cc.chars().all(|c| c.is_ascii_alphabetic()) => {
            (cc.to_owned(), rest)
        }
        (Some(cc), _) => (cc.to_owned(), v.as_str()),
        (None, _) => return Err(invalid(KIND, "issuing country required")),
    };
    let country = region(&country).map_err(|_| invalid(KIND, "unknown issuing country"))?;
    let mut kept = String::with_capacity(number.len());
    for c in number.chars() {
        if c.is_alphanumeric() {
            kept.extend(c.to_uppercase());
        } else if !(c.is_whitespace() || matches!(c, '-' | '.' | '/')) {
            return Err(invalid(
                KIND,
                "contains a character that is not a letter, a digit or a separator",
            ));
        }
    }
    // Upper-casing can leave a sequence outside NFC (e.g. a title-case
    // letter); the canonical form must be a fixed point.
    let number: String = kept.nfc().collect();
    if number.is_empty() {
        return Err(invalid(KIND, "no letters or digits"));
    }
    if number.chars().count() > 64 {
        return Err(invalid(KIND, "longer than 64 characters"));
    }
    Ok(format!("{country}:{number}"))
}

/// IP address in canonical text: IPv4 dotted quad, IPv6 per RFC 5952
/// (lower case, longest zero run compressed); an IPv4-mapped IPv6 address
/// becomes plain IPv4.
///
/// ```
/// # use blindmatch::records::normalize::ip;
/// assert_eq!(ip("2001:DB8:0:0:0:0:0:1")?, "2001:db8::1");
/// assert_eq!(ip("::ffff:192.0.2.7")?, "192.0.2.7");
/// # Ok::<(), blindmatch::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidValue`] for anything else (including zone ids and
/// octets with leading zeros, which are ambiguous).
pub fn ip(value: &str) -> Result<String> {
    let addr =
        IpAddr::from_str(&nfkc_trim(value)).map_err(|_| invalid(Kind::Ip, "not an IP address"))?;
    Ok(match addr {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => v6.to_string(),
        },
        IpAddr::V4(v4) => v4.to_string(),
    })
}

/// Cryptocurrency address, checksum verified, as `chain:address`:
/// Bitcoin base58check (P2PKH, P2SH; main and test networks) kept as
/// written (base58 is case-sensitive); Bitcoin bech32/bech32m segwit
/// addresses lower-cased; Ethereum addresses lower-cased, with the EIP-55
/// checksum verified when written in mixed case.
///
/// ```
/// # use blindmatch::records::normalize::crypto_address;
/// assert_eq!(
///     crypto_address("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4")?,
///     "btc:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
/// );
/// assert_eq!(
///     crypto_address("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")?,
///     "eth:0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"
/// );
/// # Ok::<(), blindmatch::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidValue`] for an unknown format or a failed checksum.
pub fn crypto_address(value: &str) -> Result<String> {
    const KIND: Kind = Kind::CryptoAddress;
    let v = nfkc_trim(value);
    let (chain, v) = match v.split_once(':') {
        Some((scheme, rest)) => match scheme.to_ascii_lowercase().as_str() {
            "btc" | "bitcoin" => (Some("btc"), rest.to_owned()),
            "eth" | "ethereum" => (Some("eth"), rest.to_owned()),
            _ => return Err(invalid(KIND, "unknown chain prefix")),
        },
        None => (None, v),
    };
    let canonical = crypto_address_bare(&v)?;
    match chain {
        Some(c) if !canonical.starts_with(c) => Err(invalid(KIND, "prefix names another chain")),
        _ => Ok(canonical),
    }
}

fn crypto_address_bare(v: &str) -> Result<String> {
    const KIND: Kind = Kind::CryptoAddress;
    if let Some(hex) = v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        if hex.len() != 40 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(invalid(KIND, "Ethereum address must be 40 hex digits"));
        }
        let lower = hex.to_ascii_lowercase();
        let mixed = hex.chars().any(|c| c.is_ascii_uppercase())
            && hex.chars().any(|c| c.is_ascii_lowercase());
        if mixed && !eip55_ok(hex, &lower) {
            return Err(invalid(KIND, "EIP-55 checksum mismatch"));
        }
        return Ok(format!("eth:0x{lower}"));
    }
    let lower = v.to_ascii_lowercase();
    if ["bc1", "tb1", "bcrt1"].iter().any(|p| lower.starts_with(p)) {
        let (hrp, _, _) =
            bech32::segwit::decode(v).map_err(|_| invalid(KIND, "bech32 checksum or format"))?;
        if !["bc", "tb", "bcrt"].contains(&hrp.to_lowercase().as_str()) {
            return Err(invalid(KIND, "unknown bech32 network"));
        }
        return Ok(format!("btc:{lower}"));
    }
    let raw = bs58::decode(&v)
        .into_vec()
        .map_err(|_| invalid(KIND, "unknown address format"))?;
    if raw.len() != 25 {
        return Err(invalid(KIND, "base58 address must hold 25 bytes"));
    }
    let (payload, check) = raw.split_at(21);
    let digest = Sha256::digest(Sha256::digest(payload));
    if digest[..4] != *check {
        return Err(invalid(KIND, "base58check checksum mismatch"));
    }
    if ![0x00, 0x05, 0x6f, 0xc4].contains(&payload[0]) {
        return Err(invalid(KIND, "unknown base58 address version"));
    }
    Ok(format!("btc:{v}"))
}

/// EIP-55: a hex letter is upper-case exactly when the matching nibble of
/// keccak256(lower-case address) is 8 or more.
fn eip55_ok(hex: &str, lower: &str) -> bool {
    let hash = Keccak256::digest(lower.as_bytes());
    hex.chars().enumerate().all(|(i, c)| {
        let nibble = (hash[i / 2] >> (if i % 2 == 0 { 4 } else { 0 })) & 0x0f;
        !c.is_ascii_alphabetic() || c.is_ascii_uppercase() == (nibble >= 8)
    })
}

/// Free text: NFKC and trimmed, nothing else.
///
/// # Errors
///
/// [`Error::InvalidValue`] if nothing remains.
pub fn text(value: &str) -> Result<String> {
    let v = nfkc_trim(value);
    if v.is_empty() {
        return Err(invalid(Kind::Text, "empty"));
    }
    Ok(v)
}
