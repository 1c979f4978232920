//! `<uuid>/<table>/_common_metadata`: `plateau_metadata::common_metadata::read_common_metadata`.
//!
//! Properties: reading never panics; a schema that reads is a fixed point of
//! `write_common_metadata` + `read_common_metadata` (the update path writes back what it
//! read, so a change here would make the next update fail its schema check), and is
//! compatible with itself.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use plateau_fuzz::assert_same;
use plateau_metadata::common_metadata::{read_common_metadata, write_common_metadata};
use plateau_metadata::schema::validate_compatible;

const KEY: &str = "fuzz/table/_common_metadata";

fuzz_target!(|data: &[u8]| plateau_fuzz::guard(|| run(data)));

fn run(data: &[u8]) {
    let Ok(schema) = read_common_metadata(Bytes::copy_from_slice(data), KEY) else {
        return;
    };
    let _ = schema.to_string();
    let _ = schema.pandas_metadata();
    for name in schema.names() {
        let _ = schema.pandas_column(name);
    }
    // Types Parquet cannot hold are an error of the writer; anything written reads back.
    let Ok(written) = write_common_metadata(&schema) else {
        return;
    };
    let again = read_common_metadata(written, KEY).expect("a written _common_metadata reads");
    assert_same(&schema, &again, "schema via write/read_common_metadata");
    assert_eq!(
        schema.pandas_metadata(),
        again.pandas_metadata(),
        "pandas metadata via write/read_common_metadata"
    );
    validate_compatible(&[schema.clone(), again], "fuzz")
        .expect("a schema is compatible with itself");
}
