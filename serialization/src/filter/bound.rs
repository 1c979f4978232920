//! [`Bound`]: where a literal lies relative to the values a column type can represent, for
//! comparisons that must never round (an `int8` column against 1000, a microsecond column
//! against a value with extra nanoseconds, a decimal with more digits than the column's
//! scale). Shared by coercion and the kernels.

use arrow::datatypes::{i256, TimeUnit};
use plateau_core::Scalar;

/// Where a value lies relative to the values a column type can represent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bound<N> {
    /// The value is representable: this.
    Exact(N),
    /// The value lies strictly between this representable value and the next one.
    Between(N),
    /// The value is below every representable value.
    Below,
    /// The value is above every representable value.
    Above,
}

/// An integer against a column of native type `N`.
pub(crate) fn int_bound<N: TryFrom<i128>>(value: i128) -> Bound<N> {
    match N::try_from(value) {
        Ok(n) => Bound::Exact(n),
        // Every integer type's range contains 0, so a value that does not fit lies beyond
        // the end its sign points to.
        Err(_) if value < 0 => Bound::Below,
        Err(_) => Bound::Above,
    }
}

/// An instant in nanoseconds against a timestamp column of `unit`.
pub(crate) fn timestamp_bound(nanos: i128, unit: TimeUnit) -> Bound<i64> {
    let factor = Scalar::timestamp_nanos(1, unit);
    let floor = nanos.div_euclid(factor);
    match i64::try_from(floor) {
        Ok(f) if nanos.rem_euclid(factor) == 0 => Bound::Exact(f),
        Ok(f) => Bound::Between(f),
        Err(_) if floor < 0 => Bound::Below,
        Err(_) => Bound::Above,
    }
}

/// An unscaled decimal `value` at scale `from`, brought to scale `to` (128-bit columns).
pub(crate) fn rescale_i128(value: i128, from: i8, to: i8) -> Bound<i128> {
    let diff = i32::from(to) - i32::from(from);
    if diff >= 0 {
        match 10i128
            .checked_pow(diff.unsigned_abs())
            .and_then(|f| value.checked_mul(f))
        {
            Some(v) => Bound::Exact(v),
            None if value == 0 => Bound::Exact(0),
            None if value < 0 => Bound::Below,
            None => Bound::Above,
        }
    } else {
        match 10i128.checked_pow(diff.unsigned_abs()) {
            Some(divisor) => {
                let floor = value.div_euclid(divisor);
                if value.rem_euclid(divisor) == 0 {
                    Bound::Exact(floor)
                } else {
                    Bound::Between(floor)
                }
            }
            // The divisor exceeds every i128, so |value| < divisor: the value lies in
            // (-1, 1) at the column's scale.
            None if value == 0 => Bound::Exact(0),
            None if value < 0 => Bound::Between(-1),
            None => Bound::Between(0),
        }
    }
}

/// [`rescale_i128`] for 256-bit decimal columns.
pub(crate) fn rescale_i256(value: i128, from: i8, to: i8) -> Bound<i256> {
    let diff = i32::from(to) - i32::from(from);
    if diff <= 0 {
        return match rescale_i128(value, from, to) {
            Bound::Exact(v) => Bound::Exact(i256::from_i128(v)),
            Bound::Between(v) => Bound::Between(i256::from_i128(v)),
            Bound::Below => Bound::Below,
            Bound::Above => Bound::Above,
        };
    }
    match i256::from_i128(10)
        .checked_pow(diff.unsigned_abs())
        .and_then(|f| i256::from_i128(value).checked_mul(f))
    {
        Some(v) => Bound::Exact(v),
        None if value == 0 => Bound::Exact(i256::ZERO),
        None if value < 0 => Bound::Below,
        None => Bound::Above,
    }
}
