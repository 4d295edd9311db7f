//! Data-parallel helpers: rayon with the `parallel` feature, plain iterators
//! without it (e.g. in WebAssembly). Results keep the input order.

use crate::error::Result;

/// Smallest number of items a parallel task gets; below it, splitting costs
/// more than it saves (one item is tens of microseconds of group work).
#[cfg(feature = "parallel")]
const MIN_PER_TASK: usize = 64;

/// Maps `f` over `items`, in parallel when enabled.
pub(crate) fn map<T, U, F>(items: &[T], f: F) -> Vec<U>
where
    T: Sync,
    U: Send,
    F: Fn(&T) -> U + Sync + Send,
{
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        items.par_iter().with_min_len(MIN_PER_TASK).map(f).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        items.iter().map(f).collect()
    }
}

/// Maps a fallible `f` over consecutive `size`-byte chunks of `bytes`
/// (`bytes.len()` must be a multiple of `size`), stopping at an error.
pub(crate) fn try_map_chunks<U, F>(bytes: &[u8], size: usize, f: F) -> Result<Vec<U>>
where
    U: Send,
    F: Fn(&[u8]) -> Result<U> + Sync + Send,
{
    debug_assert_eq!(bytes.len() % size, 0);
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        bytes
            .par_chunks_exact(size)
            .with_min_len(MIN_PER_TASK)
            .map(f)
            .collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        bytes.chunks_exact(size).map(f).collect()
    }
}

/// Maps `f` over the consecutive ranges of `chunk` positions that cover
/// `0..n` (the last may be shorter), in parallel when enabled. Results keep
/// the range order.
pub(crate) fn map_ranges<U, F>(n: usize, chunk: usize, f: F) -> Vec<U>
where
    U: Send,
    F: Fn(core::ops::Range<usize>) -> U + Sync + Send,
{
    debug_assert!(chunk > 0);
    let range = move |c: usize| c * chunk..((c + 1) * chunk).min(n);
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        (0..n.div_ceil(chunk))
            .into_par_iter()
            .map(|c| f(range(c)))
            .collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        (0..n.div_ceil(chunk)).map(|c| f(range(c))).collect()
    }
}
