//! `Index::from_parquet_matching`: the partial index answers its literals exactly as the full
//! index does, on Python plateau's files, legacy shapes and multi-row-group files.
#![allow(clippy::unwrap_used)]

mod common;

use arrow::array::Int64Array;
use bytes::Bytes;
use common::{entries, fixture};
use plateau_core::{Error, Op, Scalar, Value};
use plateau_index::Index;
use plateau_serialization::filter::EvalOptions;
use proptest::prelude::*;

fn options() -> EvalOptions {
    EvalOptions::default()
}

/// Decodes `bytes` fully and partially for `literals`; asserts that every literal selects
/// the same labels from both and that the partial index is a subset of the full one.
fn assert_same_answers(column: &str, bytes: &Bytes, literals: &[(Op, Value)]) -> Index {
    let full = Index::from_parquet(column, bytes.clone(), "key").unwrap();
    let refs: Vec<(Op, &Value)> = literals.iter().map(|(op, v)| (*op, v)).collect();
    let partial =
        Index::from_parquet_matching(column, bytes.clone(), "key", &refs, &options()).unwrap();
    assert_eq!(partial.storage_key(), Some("key"));
    assert_eq!(partial.data_type(), full.data_type());
    for (op, value) in literals {
        assert_eq!(
            partial.eval_labels(*op, value, &options()).unwrap(),
            full.eval_labels(*op, value, &options()).unwrap(),
            "{column} {op:?} {value:?}"
        );
    }
    let full_entries = entries(&full);
    for entry in entries(&partial) {
        assert!(
            full_entries.contains(&entry),
            "{entry:?} not in the full index"
        );
    }
    partial
}

/// Point, set and range literals over the first, middle and last value of the full index.
fn literals_of(column: &str, bytes: &Bytes) -> Vec<(Op, Value)> {
    let full = Index::from_parquet(column, bytes.clone(), "key").unwrap();
    let values: Vec<Scalar> = entries(&full).into_iter().map(|(v, _)| v).collect();
    let (first, middle, last) = (
        values[0].clone(),
        values[values.len() / 2].clone(),
        values[values.len() - 1].clone(),
    );
    vec![
        (Op::Eq, Value::Scalar(middle.clone())),
        (Op::In, Value::List(vec![first.clone(), last.clone()])),
        (Op::Lt, Value::Scalar(middle.clone())),
        (Op::Ge, Value::Scalar(last)),
        (Op::Le, Value::Scalar(first)),
        (Op::Gt, Value::Scalar(middle)),
    ]
}

#[test]
fn python_plateau_and_legacy_files() {
    for (column, file) in [
        ("i", "plateau_i.parquet"),
        ("s", "plateau_s.parquet"),
        ("d", "plateau_d.parquet"),
        ("f", "plateau_f.parquet"),
        ("u", "plateau_u.parquet"),
        ("t", "plateau_t.parquet"),
        ("tz", "plateau_tz.parquet"),
        ("by", "plateau_by.parquet"),
        ("b", "plateau_b.parquet"),
        ("k", "plateau_k_many.parquet"),
        ("x", "legacy_item_first.parquet"),
        ("t", "legacy_large.parquet"),
        ("new_name", "legacy_renamed.parquet"),
        ("f", "legacy_nulls.parquet"),
    ] {
        let bytes = fixture(file);
        for literal in literals_of(column, &bytes) {
            assert_same_answers(column, &bytes, std::slice::from_ref(&literal));
        }
        assert_same_answers(column, &bytes, &literals_of(column, &bytes));
    }
}

#[test]
fn point_lookup_decodes_only_the_matching_key() {
    // Python plateau's 1,000-value index over 2,000 partitions, rows in no particular order.
    let bytes = fixture("plateau_k_many.parquet");
    let partial = assert_same_answers("k", &bytes, &[(Op::Eq, Value::from(1))]);
    assert_eq!(partial.len(), 1);
    assert_eq!(
        partial.labels(),
        [
            "part=1679/e6ae9a03ff094353a0925cc00af793d1",
            "part=679/e6ae9a03ff094353a0925cc00af793d1"
        ]
    );
    let absent = assert_same_answers("k", &bytes, &[(Op::Eq, Value::from(5000))]);
    assert!(absent.is_empty());
    assert!(absent.labels().is_empty());
}

#[test]
fn many_row_groups() {
    // 25,000 values: three row groups of the format's 10,000 values.
    let values: Vec<i64> = (0..25_000).rev().collect();
    let built = Index::from_array("x", &Int64Array::from(values), "p").unwrap();
    let labelled = Index::merge_all([
        built,
        Index::from_array("x", &Int64Array::from(vec![9_999, 10_000, 24_999]), "q").unwrap(),
    ])
    .unwrap()
    .unwrap();
    let bytes = labelled.to_parquet().unwrap();
    let partial = assert_same_answers(
        "x",
        &bytes,
        &[
            (Op::Eq, Value::from(5)),
            (
                Op::In,
                Value::List(vec![Scalar::Int(9_999), Scalar::Int(10_000)]),
            ),
            (Op::Eq, Value::from(24_999)),
            (Op::Lt, Value::from(2)),
        ],
    );
    let keys: Vec<Scalar> = entries(&partial).into_iter().map(|(v, _)| v).collect();
    assert_eq!(
        keys,
        [0, 1, 5, 9_999, 10_000, 24_999].map(Scalar::Int).to_vec()
    );
}

#[test]
fn literal_errors_are_those_of_eval_even_without_rows() {
    let bytes = fixture("plateau_i.parquet");
    let string = Value::from("1234");
    let full = Index::from_parquet("i", bytes.clone(), "key").unwrap();
    let eval = full.eval(Op::Eq, &string, &options()).unwrap_err();
    let partial = Index::from_parquet_matching("i", bytes, "key", &[(Op::Eq, &string)], &options())
        .unwrap_err();
    assert!(matches!(eval, Error::PredicateType { .. }), "{eval}");
    assert_eq!(partial.to_string(), eval.to_string());

    let empty = Index::from_array("i", &Int64Array::from(Vec::<i64>::new()), "p").unwrap();
    let err = Index::from_parquet_matching(
        "i",
        empty.to_parquet().unwrap(),
        "key",
        &[(Op::Eq, &string)],
        &options(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::PredicateType { .. }), "{err}");
}

#[test]
fn unreadable_files_are_corrupt() {
    let err = Index::from_parquet_matching(
        "i",
        Bytes::from_static(b"not parquet"),
        "k1",
        &[(Op::Eq, &Value::from(1))],
        &options(),
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::Corrupt { key, .. } if key == "k1"),
        "{err}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn same_answers_as_the_full_index(
        rows in prop::collection::vec((-30i64..30, 0u8..6), 1..80),
        literals in prop::collection::vec(
            (prop::sample::select(vec![Op::Eq, Op::Lt, Op::Le, Op::Gt, Op::Ge, Op::In]),
             -32i64..32,
             prop::collection::vec(-32i64..32, 0..4)),
            1..4),
    ) {
        let parts: Vec<Index> = (0u8..6)
            .filter_map(|part| {
                let values: Vec<i64> =
                    rows.iter().filter(|(_, p)| *p == part).map(|(v, _)| *v).collect();
                (!values.is_empty()).then(|| {
                    Index::from_array("x", &Int64Array::from(values), &format!("p{part}")).unwrap()
                })
            })
            .collect();
        let index = Index::merge_all(parts).unwrap().unwrap();
        let bytes = index.to_parquet().unwrap();
        let literals: Vec<(Op, Value)> = literals
            .into_iter()
            .map(|(op, value, list)| match op {
                Op::In => (op, Value::List(list.into_iter().map(Scalar::Int).collect())),
                _ => (op, Value::from(value)),
            })
            .collect();
        assert_same_answers("x", &bytes, &literals);
    }
}
