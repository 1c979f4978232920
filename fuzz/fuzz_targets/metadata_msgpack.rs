//! The msgpack + zstd metadata file (`<uuid>.by-dataset-metadata.msgpack.zstd`):
//! `plateau_metadata::codec`.
//!
//! An input that starts with the zstd magic number is decoded as it is (the zstd frame
//! header is fuzzed too); any other input is taken as the msgpack payload and wrapped in a
//! zstd frame with the content size (as plateau writes it) first, so the fuzzer works on the
//! msgpack bytes rather than on compressed data.
//!
//! Properties: as `metadata_json` (both encodings round-trip to equal metadata, loading and
//! planning never panic).
#![no_main]

use libfuzzer_sys::fuzz_target;
use plateau_core::naming::MetadataFormat;
use plateau_fuzz::{assert_same, exercise_load};
use plateau_metadata::codec;

const KEY: &str = "fuzz.by-dataset-metadata.msgpack.zstd";
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

fuzz_target!(|data: &[u8]| plateau_fuzz::guard(|| run(data)));

fn run(data: &[u8]) {
    let framed;
    let bytes = if data.starts_with(&ZSTD_MAGIC) {
        data
    } else {
        // zstd::bulk writes the content size into the frame header.
        framed = zstd::bulk::compress(data, 1).expect("zstd compresses any input");
        &framed[..]
    };
    let _ = codec::decode_dict(bytes, MetadataFormat::Msgpack, KEY);
    if let Ok(metadata) = codec::decode(bytes, MetadataFormat::Msgpack, KEY) {
        for format in [MetadataFormat::Msgpack, MetadataFormat::Json] {
            let encoded = codec::encode(&metadata, format).expect("decoded metadata encodes");
            let mut again = codec::decode(&encoded, format, KEY).expect("encoded metadata decodes");
            again.format = metadata.format;
            assert_same(&metadata, &again, "metadata");
        }
    }
    exercise_load(bytes, MetadataFormat::Msgpack);
}
