//! Items from Python: any iterable of `str` (encoded as UTF-8) or `bytes`,
//! or a `RecordSet`.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::records::RecordSet;

pub(crate) use blindmatch::records::Items;

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
        values.push(value(&item).map_err(|_| {
            PyTypeError::new_err(format!(
                "item {i} is a {}, expected str or bytes",
                item.get_type()
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_default()
            ))
        })?);
    }
    Ok(Items {
        values,
        records: None,
    })
}

/// One item: a `str` (as UTF-8) or `bytes`.
fn value(item: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(s) = item.cast::<PyString>() {
        Ok(s.to_cow()?.as_bytes().to_vec())
    } else if let Ok(b) = item.cast::<PyBytes>() {
        Ok(b.as_bytes().to_vec())
    } else {
        Err(PyTypeError::new_err(format!(
            "an item is a {}, expected str or bytes",
            item.get_type().name()?
        )))
    }
}

/// One item argument (`str` or `bytes`).
pub(crate) fn one(item: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    value(item)
}
