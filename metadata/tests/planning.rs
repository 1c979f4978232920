//! Query planning against plateau's own plans (`fixtures/plans.json`, recorded from Python
//! plateau 4.6.2 by `tools/fixtures/plan_queries.py`), plus the null rule we fix.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use plateau_core::{Conjunction, Predicates, Store};
use plateau_metadata::load::{load, LoadOptions};
use plateau_metadata::planning::{indices_as_batch, plan, plan_with_store};
use serde_json::Value;

fn store() -> Store {
    Store::local(Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/datasets")).unwrap()
}

/// Pruning by partition keys whose index is not loaded (values read from the labels, as a
/// scan plans) gives the plans of the loaded partition indices, errors included.
#[test]
fn partition_keys_prune_alike_without_their_index() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/plans.json");
    let cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let store = store();
    let mut compared = 0;
    for case in cases.iter().filter(|c| c["dispatch_by"].is_null()) {
        let uuid = case["uuid"].as_str().unwrap();
        let Some(Ok(predicates)) = case["predicates"].as_str().map(Predicates::from_json) else {
            continue;
        };
        let mut loaded = load(&store, uuid, &LoadOptions::default()).unwrap();
        let with_index = plan_with_store(&store, &mut loaded, Some(&predicates), None);
        let mut lazy = load(&store, uuid, &LoadOptions::default()).unwrap();
        let secondary: Vec<String> = lazy.indices.keys().cloned().collect();
        for column in secondary {
            plateau_metadata::load::load_index(&store, &mut lazy, &column).unwrap();
        }
        assert!(lazy.partition_indices.is_empty());
        let without = plan(&lazy, Some(&predicates), None);
        match (with_index, without) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{uuid} {predicates:?}"),
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{uuid}"),
            (a, b) => panic!("{uuid} {predicates:?}: {a:?} vs {b:?}"),
        }
        compared += 1;
    }
    assert!(compared >= 30, "{compared}");
}

#[test]
fn plans_match_python_plateau() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/plans.json");
    let cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(cases.len() >= 50);
    let store = store();
    let mut failures = Vec::new();
    for case in &cases {
        let uuid = case["uuid"].as_str().unwrap();
        let predicates = case["predicates"].as_str();
        let dispatch_by: Option<Vec<String>> = case["dispatch_by"].as_array().map(|cols| {
            cols.iter()
                .map(|c| c.as_str().unwrap().to_owned())
                .collect()
        });
        let what = format!("{uuid} {predicates:?} dispatch_by={dispatch_by:?}");
        let ours = (|| {
            let predicates = predicates.map(Predicates::from_json).transpose()?;
            let mut metadata = load(&store, uuid, &LoadOptions::default())?;
            plan_with_store(
                &store,
                &mut metadata,
                predicates.as_ref(),
                dispatch_by.as_deref(),
            )
        })();
        match (case.get("error"), ours) {
            (Some(_), Err(_)) => {}
            (Some(error), Ok(plan)) => {
                failures.push(format!("{what}: python fails ({error}), we plan {plan:?}"))
            }
            (None, Err(e)) => failures.push(format!("{what}: we fail: {e}")),
            (None, Ok(plan)) => {
                let mut ours: Vec<Vec<String>> = plan
                    .iter()
                    .map(|g| {
                        let mut labels = g.labels.clone();
                        labels.sort();
                        labels
                    })
                    .collect();
                let mut python: Vec<Vec<String>> =
                    serde_json::from_value(case["plan"].clone()).unwrap();
                if dispatch_by.is_none() {
                    // Partition order is not part of plateau's contract; compare as sets.
                    ours.sort();
                    python.sort();
                } else {
                    let conjunctions = case["conjunctions"].as_array().unwrap();
                    for (group, python_conj) in plan.iter().zip(conjunctions) {
                        let expected =
                            Predicates::from_json_value(&Value::Array(vec![python_conj.clone()]))
                                .unwrap();
                        let got = Predicates::all(Conjunction::from(group.conjunction.clone()));
                        if !group.conjunction.is_empty() && expected != got {
                            failures.push(format!("{what}: conjunction {got} != {expected}"));
                        }
                    }
                }
                if ours != python {
                    failures.push(format!("{what}:\n  python {python:?}\n  rust   {ours:?}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} plans differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn null_capable_literals_never_prune_through_a_secondary_index() {
    let store = store();
    let mut metadata = load(&store, "ref_partitioned_indexed", &LoadOptions::default()).unwrap();
    let all = metadata.partitions.len();
    for text in [
        "k != 1",
        "k == null",
        "k is distinct from 1",
        "k in (1, null)",
        "k not in (1)",
    ] {
        let p = Predicates::parse(text).unwrap();
        let plan = plan_with_store(&store, &mut metadata, Some(&p), None).unwrap();
        assert_eq!(
            plan.len(),
            all,
            "{text} must not prune: an index holds no nulls"
        );
    }
    // Partition keys are never null, so they always prune.
    let p = Predicates::parse("p != 'x'").unwrap();
    assert_eq!(
        plan_with_store(&store, &mut metadata, Some(&p), None)
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn indices_as_a_batch() {
    let store = store();
    let mut metadata = load(
        &store,
        "ref_partitioned_indexed",
        &LoadOptions::default()
            .load_schema(true)
            .load_all_indices(true),
    )
    .unwrap();
    plateau_metadata::load::load_all_indices(&store, &mut metadata).unwrap();
    let batch = indices_as_batch(&metadata, None, None).unwrap();
    let schema = batch.schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, vec!["partition", "k", "p"]);
    // 6 partitions, each with two values of k.
    assert_eq!(batch.num_rows(), 12);
    let p = Predicates::parse("k == 1").unwrap();
    let filtered = indices_as_batch(&metadata, Some(&["k".to_owned()]), Some(&p)).unwrap();
    assert_eq!(filtered.num_rows(), 3);
    assert!(indices_as_batch(&metadata, Some(&["nope".to_owned()]), None).is_err());
}
