//! `RecordSet`: records with several identifiers (mirrors `blindmatch::records`).

use std::sync::{Arc, Mutex, MutexGuard};

use blindmatch::records::{self as core, Field, Kind, Options};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

use crate::errors::{self, IntoPy};

/// `[(record_id, [kinds])]` of the records whose keys are at `indices`,
/// for the `record_matches` of every party class; a state error when the
/// items were not a RecordSet.
pub(crate) fn record_matches(
    py: Python<'_>,
    records: Option<&Arc<core::RecordIndex>>,
    indices: &[usize],
) -> PyResult<Vec<(String, Vec<String>)>> {
    let rs =
        records.ok_or_else(|| errors::state(py, "record_matches needs a RecordSet as items"))?;
    Ok(rs
        .record_matches_at(indices)
        .into_iter()
        .map(|r| (r.record_id, r.kinds))
        .collect())
}

pub(crate) fn kind_tags() -> Vec<&'static str> {
    Kind::ALL.iter().map(|k| k.tag()).collect()
}

fn parse_kind(tag: &str) -> PyResult<Kind> {
    tag.parse::<Kind>().map_err(|_| {
        PyValueError::new_err(format!(
            "unknown identifier kind {tag:?}; known: {}",
            kind_tags().join(", ")
        ))
    })
}

/// A party's records, canonicalized into PSI keys. Pass it wherever items go.
#[pyclass(module = "blindmatch._blindmatch", frozen)]
pub(crate) struct RecordSet {
    inner: Mutex<Arc<core::RecordSet>>,
}

impl RecordSet {
    fn lock(&self, py: Python<'_>) -> PyResult<MutexGuard<'_, Arc<core::RecordSet>>> {
        self.inner
            .lock()
            .map_err(|_| errors::state(py, "the record set was poisoned by a panic"))
    }

    /// A snapshot for a protocol run; later `add` calls do not change it.
    pub(crate) fn snapshot(&self) -> Arc<core::RecordSet> {
        match self.inner.lock() {
            Ok(g) => Arc::clone(&g),
            Err(p) => Arc::clone(&p.into_inner()),
        }
    }
}

/// One keyword value: a str, a (value, region) tuple, or a list of those.
fn values_of(
    kind: Kind,
    value: &Bound<'_, PyAny>,
    out: &mut Vec<(Kind, String, Option<String>)>,
) -> PyResult<()> {
    if value.is_none() {
        return Ok(());
    }
    if let Ok(s) = value.cast::<PyString>() {
        out.push((kind, s.to_cow()?.into_owned(), None));
        return Ok(());
    }
    if let Ok(t) = value.cast::<PyTuple>() {
        let (v, region): (String, Option<String>) = t.extract().map_err(|_| {
            PyTypeError::new_err(format!("{kind}: a tuple must be (value, region), both str"))
        })?;
        out.push((kind, v, region));
        return Ok(());
    }
    if let Ok(list) = value.cast::<PyList>() {
        for v in list.iter() {
            if v.cast::<PyList>().is_ok() {
                return Err(PyTypeError::new_err(format!(
                    "{kind}: nested lists are not allowed"
                )));
            }
            values_of(kind, &v, out)?;
        }
        return Ok(());
    }
    Err(PyTypeError::new_err(format!(
        "{kind}: expected str, (value, region) or a list of them, got {}",
        value.get_type().name()?
    )))
}

#[pymethods]
impl RecordSet {
    #[new]
    #[pyo3(signature = (default_region=None, date_format="%Y-%m-%d", email_drop_plus_tag=false, composites=None, single_keys=None, email_provider_rules=false, birth_years=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        default_region: Option<&str>,
        date_format: &str,
        email_drop_plus_tag: bool,
        composites: Option<Vec<Vec<String>>>,
        single_keys: Option<Vec<String>>,
        email_provider_rules: bool,
        birth_years: Option<(i32, i32)>,
    ) -> PyResult<Self> {
        let defaults = Options::default();
        let (first, last) =
            birth_years.unwrap_or((*defaults.birth_years.start(), *defaults.birth_years.end()));
        let mut options = Options::default()
            .with_date_format(date_format)
            .py_err(py)?
            .with_birth_years(first, last)
            .py_err(py)?
            .with_email_drop_plus_tag(email_drop_plus_tag)
            .with_email_provider_rules(email_provider_rules);
        if let Some(r) = default_region {
            options = options.with_default_region(r).py_err(py)?;
        }
        if let Some(keys) = single_keys {
            let wanted = keys
                .iter()
                .map(|k| parse_kind(k))
                .collect::<PyResult<Vec<Kind>>>()?;
            if let Some(k) = wanted.iter().find(|k| !k.is_standalone()) {
                return Err(PyValueError::new_err(format!(
                    "{k} cannot be a key on its own"
                )));
            }
            for k in Kind::ALL {
                options = if wanted.contains(&k) {
                    options.with_single_key(k).py_err(py)?
                } else {
                    options.without_single_key(k)
                };
            }
        }
        let mut rs = core::RecordSet::new(options);
        for c in composites.unwrap_or_default() {
            let kinds = c
                .iter()
                .map(|k| parse_kind(k))
                .collect::<PyResult<Vec<Kind>>>()?;
            rs.add_composite(&kinds).py_err(py)?;
        }
        Ok(RecordSet {
            inner: Mutex::new(Arc::new(rs)),
        })
    }

    /// Declares a composite key (e.g. ["name", "date_of_birth"]) before any record is added.
    fn add_composite(&self, py: Python<'_>, kinds: Vec<String>) -> PyResult<()> {
        let kinds = kinds
            .iter()
            .map(|k| parse_kind(k))
            .collect::<PyResult<Vec<Kind>>>()?;
        let mut g = self.lock(py)?;
        Arc::make_mut(&mut g).add_composite(&kinds).py_err(py)
    }

    /// Adds a record: rs.add("case-17", email="...", phone=("020 7946 0958", "GB"), name=[...]).
    /// Bad values are collected in `errors`. Returns the number of keys the record gave.
    #[pyo3(signature = (record_id, /, **fields))]
    fn add(
        &self,
        py: Python<'_>,
        record_id: &str,
        fields: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<usize> {
        let mut values = Vec::new();
        if let Some(fields) = fields {
            for (k, v) in fields.iter() {
                let kind = parse_kind(&k.cast::<PyString>()?.to_cow()?)?;
                values_of(kind, &v, &mut values)?;
            }
        }
        let fields: Vec<Field<'_>> = values.iter().map(Field::from).collect();
        let mut g = self.lock(py)?;
        Ok(Arc::make_mut(&mut g).add(record_id, &fields))
    }

    /// Values that could not be used: a list of (record_id, field, message).
    #[getter]
    fn errors(&self, py: Python<'_>) -> PyResult<Vec<(String, String, String)>> {
        let g = self.lock(py)?;
        Ok(g.errors()
            .iter()
            .map(|e| (e.record_id.clone(), e.field.clone(), e.error.to_string()))
            .collect())
    }

    /// The ids of the records, in the order they were added.
    #[getter]
    fn record_ids(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        Ok(self.lock(py)?.record_ids().to_vec())
    }

    /// The canonicalization profile (32 bytes): a hash of the composites and
    /// of every option that changes a key's bytes. It travels in the first
    /// message; a peer whose profile differs is refused (ProfileMismatchError).
    #[getter]
    fn profile<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyBytes>> {
        let id = self.lock(py)?.profile().to_bytes();
        Ok(pyo3::types::PyBytes::new(py, &id))
    }

    /// The number of PSI keys the records produced.
    #[getter]
    fn key_count(&self, py: Python<'_>) -> PyResult<usize> {
        Ok(self.lock(py)?.keys().len())
    }

    fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        Ok(self.lock(py)?.len())
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let g = self.lock(py)?;
        Ok(format!(
            "RecordSet({} records, {} keys, {} errors)",
            g.len(),
            g.keys().len(),
            g.errors().len()
        ))
    }
}
