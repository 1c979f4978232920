//! Table schemas the way plateau sees them: type normalisation, column order, compatibility
//! between the schemas of many partitions, and empty typed batches.
//!
//! This mirrors `plateau.core.common_metadata` (reference §3). A [`SchemaWrapper`] is an Arrow
//! schema whose metadata holds pandas metadata under the key [`PANDAS_METADATA_KEY`], plus the
//! set of places it came from (its *origins*, used in error messages).
//!
//! # Rules for Rust batches
//!
//! Plateau normalises a schema from a pandas frame, where each column carries a pandas dtype. A
//! Rust [`RecordBatch`] has no dtypes, so [`make_meta`] asks what pyarrow would write for *the
//! pandas frame a Python user would build for the same data* (pandas 3, its default `str` dtype
//! for text) and then applies plateau's [`normalize_type`]:
//!
//! | Arrow type of the batch | stored type | `pandas_type` / `numpy_type` |
//! |---|---|---|
//! | `Int8`..`Int64` | `Int64` | `int64` / `int64` |
//! | `UInt8`..`UInt64` | `UInt64` | `uint64` / `uint64` |
//! | `Float16`..`Float64` | `Float64` | `float64` / `float64` |
//! | `Utf8`, `LargeUtf8`, `Utf8View`, `Dictionary<_, string>` | `LargeUtf8` | `object` / `str` |
//! | `Binary`, `LargeBinary`, `BinaryView`, `FixedSizeBinary`, `Dictionary<_, binary>` | `Binary` | `bytes` / `object` |
//! | `Dictionary<_, V>` (other `V`) | the rule of `V` | the rule of `V` |
//! | `Boolean` | `Boolean` | `bool` / `bool` |
//! | `Date32`, `Date64` | `Date32` | `date` / `object` |
//! | `Timestamp(unit, tz)` | `Timestamp(ns, tz)` in memory, µs on disk | `datetime` or `datetimetz` / `datetime64[unit]` |
//! | `Decimal*(p, s)` | unchanged | `decimal` / `object`, metadata `{precision, scale}` |
//! | `List`, `LargeList`, `FixedSizeList`, `ListView`s of `T` | `List<element: T'>` | `list[...]` / `object` |
//! | `Time32`/`Time64`, `Duration`, `Struct`, `Map`, `Null` | unchanged | `time`, `object`, `empty`, ... |
//!
//! Inside lists and structs, strings become `Utf8` and binaries `Binary`, because a pandas
//! column of Python lists of `str` converts to `list<string>` (plateau does not widen nested
//! strings). Every field becomes nullable, as all pyarrow fields from pandas are.
//!
//! A batch whose schema carries pandas metadata of its own (for example one read from a file
//! plateau wrote) is normalised with *those* dtypes, exactly as plateau would. That is the way to
//! ask for the pandas `string` dtype (pd.NA strings, stored as `Utf8` with `unicode`/`string`):
//! give the column an entry with `numpy_type: "string"`.
//!
//! # Divergences from plateau (all deliberate)
//!
//! * **Timestamps are nanoseconds in memory, for every zone.** Plateau coerces naive
//!   timestamps to ns before validating and reads naive `us` back as `ns`, but leaves tz-aware
//!   columns in their unit, so `timestamp[us, UTC]` (stored) and `timestamp[ns, UTC]` (new data)
//!   do not validate (reference §8 item 3, pyref §8 item 12). Every [`SchemaWrapper`] here holds
//!   `Timestamp(Nanosecond, tz)` whatever the unit of the data, so timestamp units never
//!   conflict; the time zone must still match exactly. On disk the unit is µs, as plateau
//!   writes it (see [`crate::common_metadata`]).
//! * **Deterministic reference.** Plateau picks the reference schema from a hash set; here the
//!   first schema (in input order) with the fewest null columns wins, and the result carries the
//!   origins of every input, duplicates included.
//! * **An extra all-null column is an error.** Plateau means to reject it but strips it from
//!   the new schema only, so it passes and the column disappears from `_common_metadata`
//!   (verified with 4.6.2: `[x]` vs `[x, n: null]` validates to `[x]`). We report it as a
//!   column missing in the reference.
//! * **Filling null columns also fills their pandas entry.** When a reference's null field is
//!   replaced by a concrete one, plateau keeps the `empty` pandas entry; we take the entry that
//!   belongs to the concrete field.
//! * **Pandas and non-pandas schemas are comparable** on their fields. Plateau raises "Pandas and
//!   non-Pandas schemas are not comparable"; we compare fields, and when the reference lacks
//!   pandas metadata but another input has it, the result gets pandas metadata built from the
//!   others' column entries, so Python can still update the dataset afterwards.
//! * **`Dictionary<_, binary>`** is stored with pandas type `bytes`/`object`; plateau writes the
//!   leftover `categorical`/`int8` entry for a binary categorical. Field types are identical.
//! * **Date64 becomes Date32** and large/view/fixed-size variants become their plain Arrow
//!   type, because that is what the equivalent pandas column converts to; plateau leaves such
//!   types alone, but a pandas frame never produces them.
//!
//! [`RecordBatch`]: arrow::array::RecordBatch

mod batch;
mod compat;
mod make;
mod pandas;
mod types;
mod wrapper;

pub use batch::empty_batch;
pub use compat::{format_origin, normalize_column_order, validate_compatible};
pub use make::make_meta;
pub use pandas::{
    is_index_level_name, pandas_type_of, PandasType, PANDAS_METADATA_KEY, PANDAS_VERSION,
};
pub use types::{
    fields_equal, normalize_type, pyarrow_type_name, schemas_equal, types_equal, LIST_ELEMENT_NAME,
};
pub use wrapper::SchemaWrapper;

pub(crate) use pandas::parse_pandas_metadata;
pub(crate) use types::map_timestamps;
