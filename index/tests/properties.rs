//! Property tests against a naive model `BTreeMap<value, BTreeSet<label>>`: merge and removal,
//! Parquet round trips, and operator evaluation.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use arrow::datatypes::{DataType, TimeUnit};
use common::entries;
use plateau_core::{Op, Scalar, Value};
use plateau_index::{Index, IndexKind};
use plateau_serialization::filter::EvalOptions;
use proptest::prelude::*;

type Model = BTreeMap<i64, BTreeSet<String>>;
type Entries = Vec<(i64, Vec<String>)>;

fn label() -> impl Strategy<Value = String> {
    "p[0-7]"
}

fn raw_entries() -> impl Strategy<Value = Entries> {
    prop::collection::vec((-20i64..20, prop::collection::vec(label(), 0..4)), 0..12)
}

fn build(entries: &Entries) -> Index {
    Index::from_entries(
        "c",
        IndexKind::Secondary,
        &DataType::Int64,
        entries.iter().map(|(v, l)| (Scalar::Int(*v), l.clone())),
    )
    .unwrap()
}

fn model_of(entries: &Entries) -> Model {
    let mut model = Model::new();
    for (v, labels) in entries {
        model.entry(*v).or_default().extend(labels.iter().cloned());
    }
    model.retain(|_, labels| !labels.is_empty());
    model
}

fn as_model(index: &Index) -> Model {
    entries(index)
        .into_iter()
        .map(|(v, labels)| match v {
            Scalar::Int(v) => (v, labels.into_iter().collect()),
            other => panic!("not an int: {other}"),
        })
        .collect()
}

/// The canonical form every index must keep (module docs of `index.rs`).
fn assert_canonical(index: &Index) {
    let labels = index.labels();
    assert!(labels.windows(2).all(|w| w[0] < w[1]), "labels not sorted");
    let mut used = vec![false; labels.len()];
    for i in 0..index.len() {
        let ids = index.label_ids(i);
        assert!(!ids.is_empty(), "value without labels");
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids not sorted");
        ids.iter().for_each(|id| used[*id as usize] = true);
    }
    assert!(used.into_iter().all(|u| u), "unused label");
    let values: Vec<Scalar> = entries(index).into_iter().map(|(v, _)| v).collect();
    assert!(
        values
            .windows(2)
            .all(|w| w[0].partial_cmp_value(&w[1]) == Some(std::cmp::Ordering::Less)),
        "keys not strictly ascending"
    );
}

#[derive(Clone, Debug)]
enum Step {
    Merge(Entries),
    MergeAll(Vec<Entries>),
    RemovePartitions(Vec<String>),
    RemoveValues(Vec<i64>),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        raw_entries().prop_map(Step::Merge),
        prop::collection::vec(raw_entries(), 0..5).prop_map(Step::MergeAll),
        prop::collection::vec(label(), 0..4).prop_map(Step::RemovePartitions),
        prop::collection::vec(-20i64..20, 0..4).prop_map(Step::RemoveValues),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn mutations_match_the_model(start in raw_entries(), steps in prop::collection::vec(step(), 1..6)) {
        let mut index = build(&start).with_storage_key("k");
        let mut model = model_of(&start);
        prop_assert_eq!(as_model(&index), model.clone());
        for step in steps {
            let before = index.clone();
            let changed;
            match step {
                Step::Merge(entries) => {
                    let other = build(&entries);
                    index = index.merge(&other).unwrap();
                    let other_model = model_of(&entries);
                    changed = !other_model.is_empty();
                    for (v, labels) in other_model {
                        model.entry(v).or_default().extend(labels);
                    }
                }
                Step::MergeAll(parts) => {
                    let others: Vec<Index> = parts.iter().map(build).collect();
                    index = Index::merge_all(std::iter::once(index.clone()).chain(others))
                        .unwrap()
                        .unwrap();
                    changed = parts.iter().any(|p| !model_of(p).is_empty());
                    for part in &parts {
                        for (v, labels) in model_of(part) {
                            model.entry(v).or_default().extend(labels);
                        }
                    }
                }
                Step::RemovePartitions(labels) => {
                    index = index.remove_partitions(&labels);
                    changed = model.values().any(|l| labels.iter().any(|x| l.contains(x)));
                    for set in model.values_mut() {
                        labels.iter().for_each(|l| { set.remove(l); });
                    }
                    model.retain(|_, l| !l.is_empty());
                }
                Step::RemoveValues(values) => {
                    let scalars: Vec<Scalar> = values.iter().map(|v| Scalar::Int(*v)).collect();
                    index = index.remove_values(&scalars).unwrap();
                    changed = values.iter().any(|v| model.contains_key(v));
                    values.iter().for_each(|v| { model.remove(v); });
                }
            }
            assert_canonical(&index);
            prop_assert_eq!(as_model(&index), model.clone());
            // The storage key survives exactly the operations that change nothing.
            if changed {
                prop_assert_eq!(index.storage_key(), None);
            } else {
                prop_assert_eq!(index.storage_key(), before.storage_key());
                prop_assert_eq!(&index, &before);
            }
        }
    }

    #[test]
    fn merge_all_equals_pairwise_merge(parts in prop::collection::vec(raw_entries(), 1..8)) {
        let indices: Vec<Index> = parts.iter().map(build).collect();
        let all = Index::merge_all(indices.clone()).unwrap().unwrap();
        let pairwise = indices[1..]
            .iter()
            .fold(indices[0].clone(), |acc, next| acc.merge(next).unwrap());
        assert_canonical(&all);
        prop_assert_eq!(&all, &pairwise);
    }

    #[test]
    fn int_round_trip(entries in prop::collection::vec(
        (any::<i64>(), prop::collection::vec("[a-z=/%ü ]{0,12}", 1..4)), 0..40)
    ) {
        let index = Index::from_entries(
            "c",
            IndexKind::Secondary,
            &DataType::Int64,
            entries.iter().map(|(v, l)| (Scalar::Int(*v), l.clone())),
        )
        .unwrap();
        let loaded = Index::from_parquet("c", index.to_parquet().unwrap(), "k").unwrap();
        prop_assert_eq!(&loaded, &index);
    }

    #[test]
    fn string_round_trip(entries in prop::collection::vec(
        (any::<String>(), prop::collection::vec(label(), 1..3)), 0..40)
    ) {
        let index = Index::from_entries(
            "s",
            IndexKind::Secondary,
            &DataType::Utf8,
            entries.iter().map(|(v, l)| (Scalar::String(v.clone()), l.clone())),
        )
        .unwrap();
        let loaded = Index::from_parquet("s", index.to_parquet().unwrap(), "k").unwrap();
        prop_assert_eq!(&loaded, &index);
    }

    #[test]
    fn float_and_timestamp_round_trip(
        floats in prop::collection::vec((any::<f64>(), label()), 0..30),
        stamps in prop::collection::vec((any::<i64>(), label()), 0..30),
    ) {
        let float_index = Index::from_entries(
            "f",
            IndexKind::Secondary,
            &DataType::Float64,
            floats.iter().filter(|(v, _)| !v.is_nan()).map(|(v, l)| (Scalar::Float(*v), [l])),
        )
        .unwrap();
        let loaded = Index::from_parquet("f", float_index.to_parquet().unwrap(), "k").unwrap();
        prop_assert_eq!(&loaded, &float_index);

        let tz: Option<Arc<str>> = Some("Europe/Berlin".into());
        let stamp_index = Index::from_entries(
            "t",
            IndexKind::Secondary,
            &DataType::Timestamp(TimeUnit::Nanosecond, tz.clone()),
            stamps.iter().map(|(v, l)| {
                (Scalar::Timestamp { value: *v, unit: TimeUnit::Nanosecond, tz: tz.clone() }, [l])
            }),
        )
        .unwrap();
        let loaded = Index::from_parquet("t", stamp_index.to_parquet().unwrap(), "k").unwrap();
        prop_assert_eq!(&loaded, &stamp_index);
    }

    #[test]
    fn eval_matches_naive_filter(
        entries in raw_entries(),
        op in prop::sample::select(Op::ALL.to_vec()),
        value in prop::option::weighted(0.9, -22i64..22),
        list in prop::collection::vec(prop::option::weighted(0.9, -22i64..22), 0..4),
    ) {
        let index = build(&entries);
        let model = model_of(&entries);
        let scalar = |v: Option<i64>| v.map_or(Scalar::Null, Scalar::Int);
        let (rhs, valid) = if op.takes_list() {
            (Value::List(list.iter().copied().map(scalar).collect()), true)
        } else {
            // Only `==`, `!=` and `is distinct from` take a null.
            (Value::Scalar(scalar(value)), value.is_some() || op.accepts_null())
        };
        prop_assume!(valid);
        let options = EvalOptions::default().strict_date_types(true);
        let got: BTreeSet<String> = index
            .eval_labels(op, &rhs, &options)
            .unwrap()
            .into_iter()
            .map(str::to_owned)
            .collect();
        let members: Vec<i64> = list.iter().flatten().copied().collect();
        let matches = |k: i64| match (op, value) {
            (Op::Eq, v) => v == Some(k),
            (Op::Ne | Op::IsDistinctFrom, v) => v != Some(k),
            (Op::Lt, Some(v)) => k < v,
            (Op::Le, Some(v)) => k <= v,
            (Op::Gt, Some(v)) => k > v,
            (Op::Ge, Some(v)) => k >= v,
            (Op::In, _) => members.contains(&k),
            // The evaluator's `not in ()` selects everything (Python plateau: nothing).
            (Op::NotIn, _) => !members.contains(&k),
            _ => false,
        };
        let expected: BTreeSet<String> = model
            .iter()
            .filter(|(k, _)| matches(**k))
            .flat_map(|(_, labels)| labels.iter().cloned())
            .collect();
        prop_assert_eq!(got, expected);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// String keys: byte-wise order, `in`/`not in` lists with nulls, on both evaluator paths
    /// (planning and strict).
    #[test]
    fn string_eval_matches_naive_filter(
        entries in prop::collection::vec(("[a-c]{0,2}", prop::collection::vec(label(), 1..3)), 0..10),
        op in prop::sample::select(Op::ALL.to_vec()),
        value in "[a-c]{0,2}",
        list in prop::collection::vec(prop::option::weighted(0.8, "[a-c]{0,2}"), 0..4),
        strict in any::<bool>(),
    ) {
        let index = Index::from_entries(
            "s",
            IndexKind::Secondary,
            &DataType::LargeUtf8,
            entries.iter().map(|(v, l)| (Scalar::String(v.clone()), l.clone())),
        )
        .unwrap();
        let mut model: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (v, labels) in &entries {
            model.entry(v.clone()).or_default().extend(labels.iter().cloned());
        }
        let rhs = if op.takes_list() {
            Value::List(list.iter().map(|v| v.clone().map_or(Scalar::Null, Scalar::String)).collect())
        } else {
            Value::Scalar(Scalar::String(value.clone()))
        };
        let options = EvalOptions::default().strict_date_types(strict);
        let got: BTreeSet<String> = index
            .eval_labels(op, &rhs, &options)
            .unwrap()
            .into_iter()
            .map(str::to_owned)
            .collect();
        let members: Vec<&String> = list.iter().flatten().collect();
        let matches = |k: &String| match op {
            Op::Eq => *k == value,
            Op::Ne | Op::IsDistinctFrom => *k != value,
            Op::Lt => *k < value,
            Op::Le => *k <= value,
            Op::Gt => *k > value,
            Op::Ge => *k >= value,
            Op::In => members.contains(&k),
            Op::NotIn => !members.contains(&k),
        };
        let expected: BTreeSet<String> = model
            .iter()
            .filter(|(k, _)| matches(k))
            .flat_map(|(_, labels)| labels.iter().cloned())
            .collect();
        prop_assert_eq!(got, expected);
    }
}
