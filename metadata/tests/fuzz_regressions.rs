//! Metadata files the `metadata_msgpack` fuzz target found (fuzz/regressions/metadata_msgpack/):
//! decoding them is an error naming the key, never a panic or an allocation failure.
#![allow(clippy::unwrap_used)]

use plateau_core::naming::MetadataFormat;
use plateau_core::Error;
use plateau_metadata::codec::{decode, decode_dict, encode};
use plateau_metadata::DatasetMetadataBuilder;

#[test]
fn corrupt_msgpack_metadata_is_an_error() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fuzz/regressions/metadata_msgpack"
    );
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let key = "u.by-dataset-metadata.msgpack.zstd";
        for err in [
            decode(&bytes, MetadataFormat::Msgpack, key).unwrap_err(),
            decode_dict(&bytes, MetadataFormat::Msgpack, key).unwrap_err(),
        ] {
            assert!(
                matches!(&err, Error::Corrupt { key: k, .. } if k == key),
                "{}: {err:?}",
                path.display()
            );
        }
        seen += 1;
    }
    assert!(seen >= 1, "regression inputs missing in {dir}");
}

#[test]
fn a_zstd_frame_must_hold_its_declared_size() {
    let metadata = DatasetMetadataBuilder::new("u").build().unwrap();
    let mut bytes = encode(&metadata, MetadataFormat::Msgpack).unwrap();
    let decoded = decode(&bytes, MetadataFormat::Msgpack, "k").unwrap();
    assert_eq!(decoded.uuid, metadata.uuid);
    assert_eq!(decoded.metadata, metadata.metadata);
    // Frame header: magic (4), descriptor (1), then for a small frame a 1-byte content size
    // (single-segment flag) — raise the declared size by one.
    let descriptor = bytes[4];
    assert_eq!(descriptor & 0xC0, 0, "expected a 1-byte content size field");
    let size_at = 5 + usize::from(descriptor & 0x20 == 0);
    bytes[size_at] += 1;
    let err = decode(&bytes, MetadataFormat::Msgpack, "k").unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err:?}");
}
