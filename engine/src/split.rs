//! Errors as data: splitting a collection of results into an ok and an error collection
//! in one pass (no copy of the records for a second consumer).

use differential_dataflow::{AsCollection, VecCollection};
use timely::dataflow::operators::OkErr;

use crate::Epoch;

/// Splits `results` into the collection of `Ok` values and the collection of `Err` values.
pub fn split_results<'s, A, B>(
    results: VecCollection<'s, Epoch, Result<A, B>>,
) -> (VecCollection<'s, Epoch, A>, VecCollection<'s, Epoch, B>)
where
    A: Clone + 'static,
    B: Clone + 'static,
{
    let (ok, err) =
        results.inner.ok_err::<Vec<(A, Epoch, isize)>, _, Vec<(B, Epoch, isize)>, _, _>(|(r, t, d)| match r {
            Ok(a) => Ok((a, t, d)),
            Err(b) => Err((b, t, d)),
        });
    (ok.as_collection(), err.as_collection())
}
