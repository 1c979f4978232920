//! The JSON metadata file (`<uuid>.by-dataset-metadata.json`): `plateau_metadata::codec`.
//!
//! Properties: decoding never panics; metadata that decodes encodes in both formats and
//! decodes back to equal metadata; the JSON encoding is a fixed point (encode, decode,
//! encode gives the same bytes); loading it through a store (implicit partitions, inferred
//! partition keys, embedded indices, partition labels typed through a schema) and planning
//! on its indices never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plateau_core::naming::MetadataFormat;
use plateau_fuzz::{assert_same, exercise_load};
use plateau_metadata::codec;

const KEY: &str = "fuzz.by-dataset-metadata.json";

fuzz_target!(|data: &[u8]| plateau_fuzz::guard(|| run(data)));

fn run(data: &[u8]) {
    let _ = codec::decode_dict(data, MetadataFormat::Json, KEY);
    if let Ok(metadata) = codec::decode(data, MetadataFormat::Json, KEY) {
        for format in [MetadataFormat::Json, MetadataFormat::Msgpack] {
            let bytes = codec::encode(&metadata, format).expect("decoded metadata encodes");
            let mut again = codec::decode(&bytes, format, KEY).expect("encoded metadata decodes");
            again.format = metadata.format;
            assert_same(&metadata, &again, "metadata");
            if format == MetadataFormat::Json {
                let twice = codec::encode(&again, format).expect("decoded metadata encodes");
                assert_eq!(
                    String::from_utf8_lossy(&bytes),
                    String::from_utf8_lossy(&twice),
                    "JSON encoding is not a fixed point"
                );
            }
        }
        // The dict form agrees with the bytes.
        let dict = codec::to_dict(&metadata).expect("decoded metadata has a dict form");
        let from_dict =
            codec::from_dict(&dict, MetadataFormat::Json).expect("the dict form decodes");
        assert_same(&metadata, &from_dict, "metadata via to_dict/from_dict");
    }
    exercise_load(data, MetadataFormat::Json);
}
