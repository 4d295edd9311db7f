//! Golomb-Rice coding of sorted values (the tags of a set digest, DESIGN
//! §3.2): each difference to the previous value as a unary quotient and a
//! `k`-bit remainder. The decoder accepts exactly what the encoder writes:
//! `n` values below `range`, and only zero padding in the last byte.

use crate::error::{Error, Result};

pub(crate) fn encode(sorted: &[u64], k: u8) -> Vec<u8> {
    let mut w = Writer::default();
    let mut prev = 0u64;
    for &v in sorted {
        let d = v - prev;
        prev = v;
        for _ in 0..(d >> k) {
            w.bit(true);
        }
        w.bit(false);
        for i in (0..k).rev() {
            w.bit((d >> i) & 1 == 1);
        }
    }
    w.bytes
}

/// Decodes exactly `n` values, each below `range`; any other shape of
/// input is an error.
pub(crate) fn decode(bytes: &[u8], n: usize, k: u8, range: u64) -> Result<Vec<u64>> {
    let mut r = Reader { bytes, pos: 0 };
    // Every value takes at least k + 1 bits: refuse before allocating.
    if (n as u128) * (k as u128 + 1) > (bytes.len() as u128) * 8 {
        return Err(Error::Malformed);
    }
    let mut out = Vec::with_capacity(n);
    let mut prev = 0u64;
    for _ in 0..n {
        let mut q = 0u64;
        while r.bit()? {
            q += 1;
            if q > (range >> k) {
                return Err(Error::Malformed);
            }
        }
        let mut rem = 0u64;
        for _ in 0..k {
            rem = (rem << 1) | u64::from(r.bit()?);
        }
        prev = prev.checked_add((q << k) | rem).ok_or(Error::Malformed)?;
        if prev >= range {
            return Err(Error::Malformed);
        }
        out.push(prev);
    }
    // Only zero padding may follow, within the last byte.
    if bytes.len() != r.pos.div_ceil(8) || (r.pos..bytes.len() * 8).any(|p| r.at(p)) {
        return Err(Error::Malformed);
    }
    Ok(out)
}

#[derive(Default)]
struct Writer {
    bytes: Vec<u8>,
    bits: usize,
}

impl Writer {
    fn bit(&mut self, b: bool) {
        if self.bits % 8 == 0 {
            self.bytes.push(0);
        }
        if b {
            let last = self.bytes.len() - 1;
            self.bytes[last] |= 0x80 >> (self.bits % 8);
        }
        self.bits += 1;
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn at(&self, p: usize) -> bool {
        self.bytes[p / 8] & (0x80 >> (p % 8)) != 0
    }

    fn bit(&mut self) -> Result<bool> {
        if self.pos >= self.bytes.len() * 8 {
            return Err(Error::Malformed);
        }
        let b = self.at(self.pos);
        self.pos += 1;
        Ok(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let k = 8;
        let values = vec![0u64, 0, 5, 300, 1000, 1023];
        let enc = encode(&values, k);
        assert_eq!(decode(&enc, values.len(), k, 1024).unwrap(), values);
        assert!(decode(&enc, values.len() + 1, k, 1024).is_err());
        assert!(decode(&enc, values.len(), k, 1000).is_err());
        let mut extra = enc.clone();
        extra.push(0);
        assert!(decode(&extra, values.len(), k, 1024).is_err());
        assert!(decode(&[0xff; 64], 3, k, 1 << 20).is_err());
        assert_eq!(decode(&[], 0, k, 1).unwrap(), Vec::<u64>::new());
    }
}
