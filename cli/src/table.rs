//! Records from CSV, results and record errors to CSV.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use blindmatch::records::{Field, FieldError, Kind, Options, RecordIndex, RecordMatch, RecordSet};
use clap::Args;
use serde_json::{Map, Value, json};

use crate::fail::{Class, Failure, Outcome, io};
use crate::ui::Ui;

/// Which records to read and how (shared by every step that reads a CSV).
#[derive(Debug, Args, Clone)]
pub(crate) struct RecordArgs {
    /// The CSV file of records (UTF-8, with a header row).
    #[arg(long, value_name = "FILE")]
    pub(crate) records: PathBuf,
    /// The column with each record's id (what the matches name).
    #[arg(long, value_name = "COLUMN")]
    pub(crate) id: String,
    /// An identifier column and its kind, e.g. `email=email`,
    /// `mobile=phone`, `full_name=name` (`email` alone: a column named
    /// after its kind). Kinds: email, phone, iban, name,
    /// date_of_birth, document, ip, crypto_address, text. Repeat for each
    /// column.
    #[arg(long = "field", value_name = "COLUMN=KIND", required = true, value_parser = parse_field)]
    pub(crate) fields: Vec<(String, Kind)>,
    /// A composite key of two or more kinds, e.g. `name,date_of_birth`
    /// (both agencies must declare the same composites). Repeatable.
    #[arg(long, value_name = "KIND,KIND", value_parser = parse_composite)]
    pub(crate) composite: Vec<Vec<Kind>>,
    /// Region for phone numbers written without a country code (ISO 3166
    /// code, e.g. GB).
    #[arg(long, value_name = "CODE")]
    pub(crate) region: Option<String>,
    /// A column with each record's region for its phone numbers (overrides
    /// --region where set).
    #[arg(long, value_name = "COLUMN")]
    pub(crate) region_column: Option<String>,
    /// How dates of birth are written (strftime, e.g. `%d/%m/%Y`); default
    /// ISO 8601.
    #[arg(long, value_name = "FORMAT")]
    pub(crate) date_format: Option<String>,
    /// Make a kind a key on its own that is not by default (`name`).
    #[arg(long, value_name = "KIND")]
    pub(crate) single_key: Vec<Kind>,
    /// Field separator of the CSV file.
    #[arg(long, default_value = ",", value_name = "CHAR", value_parser = parse_delimiter)]
    pub(crate) delimiter: u8,
    /// Where to write the values that could not be used (CSV: record_id,
    /// field, error; never the value). Default: beside the state file (or
    /// the watch-list key), named after it: `a.state` gives `a.errors.csv`.
    #[arg(long, value_name = "FILE")]
    pub(crate) errors: Option<PathBuf>,
}

pub(crate) fn parse_kind(s: &str) -> Result<Kind, String> {
    s.trim()
        .parse::<Kind>()
        .map_err(|_| format!("unknown kind `{s}` (email, phone, iban, name, date_of_birth, document, ip, crypto_address, text)"))
}

pub(crate) fn parse_field(s: &str) -> Result<(String, Kind), String> {
    // `--field email` is short for `--field email=email`.
    let (column, kind) = s.rsplit_once('=').unwrap_or((s, s));
    if column.is_empty() {
        return Err(format!("`{s}`: empty column name"));
    }
    Ok((column.to_owned(), parse_kind(kind)?))
}

pub(crate) fn parse_composite(s: &str) -> Result<Vec<Kind>, String> {
    s.split(',').map(parse_kind).collect()
}

pub(crate) fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s.as_bytes() {
        [b] if b.is_ascii() => Ok(*b),
        _ if s == "\\t" || s == "tab" => Ok(b'\t'),
        _ => Err("a single ASCII character, or `tab`".to_owned()),
    }
}

impl RecordArgs {
    fn options(&self) -> Outcome<Options> {
        let mut options = Options::default();
        if let Some(region) = &self.region {
            options = options
                .with_default_region(region)
                .map_err(|e| Failure::usage(format!("--region {region}: {e}")))?;
        }
        if let Some(format) = &self.date_format {
            options = options
                .with_date_format(format)
                .map_err(|e| Failure::usage(format!("--date-format: {e}")))?;
        }
        for &kind in &self.single_key {
            options = options
                .with_single_key(kind)
                .map_err(|e| Failure::usage(format!("--single-key: {e}")))?;
        }
        Ok(options)
    }

    /// Reads and canonicalizes the records; with `label`, also returns
    /// each record's value in that column (by record id).
    pub(crate) fn read(
        &self,
        ui: &Ui,
        label: Option<&str>,
    ) -> Outcome<(RecordSet, HashMap<String, String>)> {
        let mut set = RecordSet::new(self.options()?);
        for kinds in &self.composite {
            set.add_composite(kinds)
                .map_err(|e| Failure::usage(format!("--composite: {e}")))?;
        }
        let path = &self.records;
        let size = std::fs::metadata(path)
            .map_err(|e| io(path, &e, Class::Input))?
            .len();
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(self.delimiter)
            .flexible(false)
            .from_path(path)
            .map_err(|e| csv_failure(path, &e))?;
        let headers = reader.headers().map_err(|e| csv_failure(path, &e))?.clone();
        let column = |name: &str, flag: &str| -> Outcome<usize> {
            headers
                .iter()
                // A byte order mark (spreadsheet exports) is not part of the first name.
                .position(|h| h.trim_start_matches('\u{feff}').trim() == name)
                .ok_or_else(|| {
                    let known: Vec<&str> = headers.iter().collect();
                    Failure::input(format!(
                        "{}: no column `{name}` (named by {flag}); the columns are: {}",
                        path.display(),
                        known.join(", ")
                    ))
                })
        };
        let id = column(&self.id, "--id")?;
        let fields: Vec<(usize, Kind)> = self
            .fields
            .iter()
            .map(|(name, kind)| Ok((column(name, "--field")?, *kind)))
            .collect::<Outcome<_>>()?;
        let region = self
            .region_column
            .as_deref()
            .map(|c| column(c, "--region-column"))
            .transpose()?;
        let label = label.map(|c| column(c, "--label")).transpose()?;
        let mut labels = HashMap::new();
        let progress = ui.bytes("reading records", size);
        let mut record = csv::StringRecord::new();
        let mut line = 1u64;
        loop {
            match reader.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => return Err(csv_failure(path, &e)),
            }
            line += 1;
            let record_id = record.get(id).unwrap_or_default().trim();
            if record_id.is_empty() {
                return Err(Failure::input(format!(
                    "{}: line {line}: empty record id",
                    path.display()
                )));
            }
            let region = region
                .and_then(|r| record.get(r))
                .map(str::trim)
                .filter(|r| !r.is_empty());
            let values: Vec<Field<'_>> = fields
                .iter()
                .filter_map(|&(at, kind)| {
                    let value = record.get(at)?.trim();
                    if value.is_empty() {
                        return None;
                    }
                    let field = Field::new(kind, value);
                    Some(match region {
                        Some(r) if kind == Kind::Phone => field.with_region(r),
                        _ => field,
                    })
                })
                .collect();
            if let Some(at) = label {
                let value = record.get(at).unwrap_or_default();
                labels
                    .entry(record_id.to_owned())
                    .or_insert_with(|| value.to_owned());
            }
            set.add(record_id, &values);
            progress.set_position(reader.position().byte());
        }
        progress.finish_and_clear();
        Ok((set, labels))
    }

    /// Where the record errors go for a step that writes `state`.
    pub(crate) fn errors_path(&self, state: &Path) -> PathBuf {
        self.errors
            .clone()
            .unwrap_or_else(|| state.with_extension("errors.csv"))
    }
}

fn csv_failure(path: &Path, e: &csv::Error) -> Failure {
    Failure::input(format!("{}: {e}", path.display()))
}

fn write_csv(path: &Path, header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Outcome {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| Failure::internal(format!("{}: {e}", path.display()));
    w.write_record(header).map_err(fail)?;
    for row in rows {
        w.write_record(&row).map_err(fail)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Failure::internal(format!("{}: {e}", path.display())))?;
    crate::files::write_public(path, &bytes)
}

/// Writes the record errors: record_id, field, error (never the value).
pub(crate) fn write_errors(path: &Path, errors: &[FieldError]) -> Outcome {
    write_csv(
        path,
        &["record_id", "field", "error"],
        errors
            .iter()
            .map(|e| vec![e.record_id.clone(), e.field.clone(), e.error.to_string()]),
    )
}

/// Writes balanced matches: record_id, kinds (space-separated tags).
pub(crate) fn write_matches(path: &Path, matches: &[RecordMatch]) -> Outcome {
    write_csv(
        path,
        &["record_id", "kinds"],
        matches
            .iter()
            .map(|m| vec![m.record_id.clone(), m.kinds.join(" ")]),
    )
}

/// Writes watch-list matches, one row per matched key: record_id, kind,
/// label (UTF-8 as is; other bytes as `hex:...`; empty without labels).
pub(crate) fn write_watchlist_matches(
    path: &Path,
    index: &RecordIndex,
    indices: &[usize],
    label: impl Fn(usize) -> Option<Vec<u8>>,
) -> Outcome {
    write_csv(
        path,
        &["record_id", "kind", "label"],
        indices.iter().map(|&i| {
            let label = label(i).map(|l| match String::from_utf8(l) {
                Ok(s) => s,
                Err(e) => format!("hex:{}", hex::encode(e.as_bytes())),
            });
            vec![
                index.record_of(i).unwrap_or_default().to_owned(),
                index.kind_of(i).unwrap_or_default().to_owned(),
                label.unwrap_or_default(),
            ]
        }),
    )
}

/// Reads the records, reports their errors, and returns the set.
pub(crate) fn read_records(
    ui: &Ui,
    records: &RecordArgs,
    state: &Path,
    label: Option<&str>,
    out: &mut Map<String, Value>,
) -> Outcome<(RecordSet, std::collections::HashMap<String, String>)> {
    let started = std::time::Instant::now();
    let (set, labels) = records.read(ui, label)?;
    out.insert(
        "seconds_records".into(),
        json!(crate::ui::seconds(started.elapsed())),
    );
    let errors = records.errors_path(state);
    write_errors(&errors, set.errors())?;
    out.insert("records".into(), json!(set.len()));
    out.insert("keys".into(), json!(set.keys().len()));
    out.insert("record_errors".into(), json!(set.errors().len()));
    out.insert("errors_file".into(), json!(errors.display().to_string()));
    if set.keys().is_empty() {
        return Err(Failure::input(format!(
            "{}: no usable identifier in any record (see {})",
            records.records.display(),
            errors.display()
        )));
    }
    Ok((set, labels))
}
