//! De-duplication of a party's own items, shared by the protocols.
//!
//! Duplicates are removed before anything is blinded (they would leak
//! multiplicities); results map back to every index the caller gave.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A party's items, de-duplicated.
pub(crate) struct Distinct {
    /// For each given item, the index of its distinct value.
    unique_of: Vec<u32>,
    /// The distinct values, concatenated.
    bytes: Vec<u8>,
    /// `offsets[j]..offsets[j + 1]` is distinct value `j` in `bytes`.
    offsets: Vec<usize>,
    /// Number of distinct values (kept when the values are dropped).
    count: usize,
}

impl Drop for Distinct {
    fn drop(&mut self) {
        // The values are a party's identifiers: wipe them, not just free them.
        zeroize::Zeroize::zeroize(&mut self.bytes);
    }
}

impl Distinct {
    /// De-duplicates `items`, keeping the order of first occurrence.
    ///
    /// # Errors
    ///
    /// [`Error::TooManyItems`] for more than `max` (at most `u32::MAX`) items.
    pub(crate) fn new<T: AsRef<[u8]>>(items: &[T], max: usize) -> Result<Self> {
        let max = max.min(u32::MAX as usize);
        if items.len() > max {
            return Err(Error::TooManyItems {
                count: items.len(),
                max,
            });
        }
        let mut index: HashMap<&[u8], u32> = HashMap::with_capacity(items.len());
        let mut unique_of = Vec::with_capacity(items.len());
        let mut bytes = Vec::new();
        let mut offsets = vec![0];
        for item in items {
            let item = item.as_ref();
            let next = index.len() as u32; // bounded by items.len() <= u32::MAX
            let j = *index.entry(item).or_insert_with(|| {
                bytes.extend_from_slice(item);
                offsets.push(bytes.len());
                next
            });
            unique_of.push(j);
        }
        let count = offsets.len() - 1;
        Ok(Distinct {
            unique_of,
            bytes,
            offsets,
            count,
        })
    }

    /// Number of distinct values.
    pub(crate) fn len(&self) -> usize {
        self.count
    }

    /// Distinct value `j`.
    pub(crate) fn get(&self, j: usize) -> &[u8] {
        &self.bytes[self.offsets[j]..self.offsets[j + 1]]
    }

    /// The distinct value of given item `i`.
    pub(crate) fn unique_of(&self, i: usize) -> usize {
        self.unique_of[i] as usize
    }

    /// For each distinct value, the index of the given item where it first
    /// occurs (increasing: values are numbered in order of first occurrence).
    pub(crate) fn first_indices(&self) -> Vec<usize> {
        let mut first = Vec::with_capacity(self.count);
        for (i, &j) in self.unique_of.iter().enumerate() {
            if j as usize == first.len() {
                first.push(i);
            }
        }
        first
    }

    /// Sorted indices of the given items whose distinct value is flagged.
    pub(crate) fn indices_where(&self, flagged: &[bool]) -> Vec<usize> {
        (0..self.unique_of.len())
            .filter(|&i| flagged[self.unique_of(i)])
            .collect()
    }

    /// Forgets (and wipes) the values, keeping their number and the mapping
    /// back to indices; [`Distinct::get`] must not be called afterwards.
    pub(crate) fn drop_values(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.bytes);
        self.bytes = Vec::new();
        self.offsets.truncate(1);
    }
}

/// A [`Distinct`] in a saved waiting state ([`crate::registry::saved`]): the mapping
/// back to indices, and the values only when a later step needs them.
#[derive(Serialize, Deserialize)]
pub(crate) struct SavedItems {
    unique_of: Vec<u32>,
    count: u32,
    #[serde(with = "serde_bytes")]
    bytes: Vec<u8>,
    offsets: Vec<u64>,
}

impl Drop for SavedItems {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.bytes);
    }
}

impl Distinct {
    /// The saved form; with `values`, the distinct values too (which must
    /// not have been dropped).
    pub(crate) fn saved(&self, values: bool) -> SavedItems {
        SavedItems {
            unique_of: self.unique_of.clone(),
            count: self.count as u32, // <= u32::MAX (Distinct::new)
            bytes: if values {
                self.bytes.clone()
            } else {
                Vec::new()
            },
            offsets: if values {
                self.offsets.iter().map(|&o| o as u64).collect()
            } else {
                vec![0]
            },
        }
    }

    /// Rebuilds from the saved form, checking that it is one `saved` can
    /// write: indices below the count, values numbered in order of first
    /// occurrence, and (with `values`) one value per distinct index.
    pub(crate) fn from_saved(mut saved: SavedItems, values: bool) -> Result<Self> {
        let count = saved.count as usize;
        let mut next = 0usize;
        for &j in &saved.unique_of {
            let j = j as usize;
            if j > next || j >= count {
                return Err(Error::BadState("item mapping out of order or range"));
            }
            if j == next {
                next += 1;
            }
        }
        if next != count {
            return Err(Error::BadState("item mapping misses a distinct value"));
        }
        let offsets: Vec<usize> = if values {
            let ok = saved.offsets.len() == count + 1
                && saved.offsets.first() == Some(&0)
                && saved.offsets.windows(2).all(|w| w[0] <= w[1])
                && saved.offsets.last() == Some(&(saved.bytes.len() as u64));
            if !ok {
                return Err(Error::BadState("item values do not match their offsets"));
            }
            saved.offsets.iter().map(|&o| o as usize).collect()
        } else {
            if saved.offsets != [0] || !saved.bytes.is_empty() {
                return Err(Error::BadState("unexpected item values"));
            }
            vec![0]
        };
        Ok(Distinct {
            unique_of: core::mem::take(&mut saved.unique_of),
            bytes: core::mem::take(&mut saved.bytes),
            offsets,
            count,
        })
    }

    /// Number of items given (duplicates included).
    pub(crate) fn given(&self) -> usize {
        self.unique_of.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedup_maps_every_index() {
        let d = Distinct::new(&["b", "a", "b", "", "a"], usize::MAX).unwrap();
        assert_eq!(d.len(), 3);
        assert_eq!(
            (d.get(0), d.get(1), d.get(2)),
            (&b"b"[..], &b"a"[..], &b""[..])
        );
        assert_eq!(d.indices_where(&[true, false, false]), vec![0, 2]);
        assert_eq!(d.indices_where(&[false, true, true]), vec![1, 3, 4]);
        assert_eq!(d.first_indices(), vec![0, 1, 3]);
        let mut d = d;
        d.drop_values();
        assert_eq!(d.len(), 3);
        assert_eq!(d.indices_where(&[false, true, true]), vec![1, 3, 4]);
        assert!(matches!(
            Distinct::new(&["a", "b"], 1),
            Err(Error::TooManyItems { count: 2, max: 1 })
        ));
    }
}
