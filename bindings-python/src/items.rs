//! Items from Python: any iterable of `str` (encoded as UTF-8) or `bytes`,
//! or a `RecordSet`.

use std::sync::Arc;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::records::RecordSet;

/// Extracted items, and the record set they came from, if any.
pub(crate) struct Items {
    pub(crate) values: Vec<Vec<u8>>,
    pub(crate) records: Option<Arc<blindmatch::records::RecordSet>>,
}

impl Items {
    /// The canonicalization profile the peer must share: the record set's,
    /// or the one of plain items.
    pub(crate) fn profile(&self) -> blindmatch::wire::Profile {
        self.records
            .as_ref()
            .map_or(blindmatch::wire::Profile::RAW, |rs| rs.profile())
    }
}

pub(crate) fn extract(items: &Bound<'_, PyAny>) -> PyResult<Items> {
    if let Ok(rs) = items.cast::<RecordSet>() {
        let inner = rs.borrow().snapshot();
        return Ok(Items {
            values: inner.keys().to_vec(),
            records: Some(inner),
        });
    }
    if items.is_instance_of::<PyString>() || items.is_instance_of::<PyBytes>() {
        return Err(PyTypeError::new_err(
            "items must be an iterable of str or bytes (or a RecordSet), not a single str or bytes",
        ));
    }
    let mut values = Vec::new();
    for (i, item) in items.try_iter()?.enumerate() {
        let item = item?;
        if let Ok(s) = item.cast::<PyString>() {
            values.push(s.to_cow()?.as_bytes().to_vec());
        } else if let Ok(b) = item.cast::<PyBytes>() {
            values.push(b.as_bytes().to_vec());
        } else {
            return Err(PyTypeError::new_err(format!(
                "item {i} is a {}, expected str or bytes",
                item.get_type().name()?
            )));
        }
    }
    Ok(Items {
        values,
        records: None,
    })
}
