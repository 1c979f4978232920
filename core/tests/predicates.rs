//! The predicate model: text and JSON forms round-trip, and plateau's shape rules hold.

use std::sync::Arc;

use arrow::datatypes::TimeUnit;
use plateau_core::{Conjunction, Error, Literal, Op, Predicates, Scalar, Value};
use proptest::prelude::*;

fn scalar() -> impl Strategy<Value = Scalar> {
    prop_oneof![
        Just(Scalar::Null),
        any::<bool>().prop_map(Scalar::Bool),
        any::<i64>().prop_map(Scalar::Int),
        (i64::MAX as u64 + 1..=u64::MAX).prop_map(Scalar::UInt),
        any::<f64>().prop_map(Scalar::Float),
        ".*".prop_map(Scalar::String),
        proptest::collection::vec(any::<u8>(), 0..8).prop_map(Scalar::Binary),
        (-700_000i32..2_900_000).prop_map(Scalar::Date),
        (
            any::<i64>(),
            prop_oneof![
                Just(None),
                Just(Some("UTC")),
                Just(Some("Europe/Berlin")),
                Just(Some("+05:30")),
                Just(Some("America/New_York"))
            ]
        )
            .prop_map(|(value, tz)| Scalar::Timestamp {
                value,
                unit: TimeUnit::Nanosecond,
                tz: tz.map(Arc::from),
            }),
        (-10i128.pow(20)..10i128.pow(20), 0i8..10).prop_map(|(value, scale)| Scalar::Decimal {
            value,
            precision: 38,
            scale
        }),
    ]
}

fn column() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z_][a-z0-9_.]{0,6}",
        ".{0,6}",
        Just("and".to_owned()),
        Just("date".to_owned()),
    ]
    .prop_filter("column names are not empty", |c| !c.is_empty())
}

fn literal() -> impl Strategy<Value = Literal> {
    (
        column(),
        proptest::sample::select(Op::ALL.to_vec()),
        scalar(),
        proptest::collection::vec(scalar(), 0..4),
    )
        .prop_map(|(column, op, single, list)| Literal {
            column,
            op,
            value: if op.takes_list() {
                Value::List(list)
            } else {
                Value::Scalar(single)
            },
        })
}

fn predicates() -> impl Strategy<Value = Predicates> {
    proptest::collection::vec(
        proptest::collection::vec(literal(), 1..4).prop_map(Conjunction::from),
        1..4,
    )
    .prop_map(Predicates::new)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn display_parses_back_to_the_same_predicates(p in predicates()) {
        let text = p.to_string();
        let parsed = Predicates::parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(parsed, p, "{}", text);
    }

    #[test]
    fn json_form_round_trips(p in predicates()) {
        let json = p.to_json_value().to_string();
        let parsed = Predicates::from_json(&json).map_err(|e| TestCaseError::fail(format!("{json}: {e}")))?;
        prop_assert_eq!(parsed, p, "{}", json);
    }

    #[test]
    fn parsing_arbitrary_text_never_panics(text in ".{0,40}") {
        let _ = Predicates::parse(&text);
    }
}

#[test]
fn json_form_matches_plateau() {
    let p = Predicates::from_json(
        r#"[[["a", "==", 1], ["b", "in", [1, 2.5, "x", null]]], [["c", ">=", {"date": "2020-01-01"}], ["d", "!=", {"bytes": "00ff"}]]]"#,
    )
    .unwrap();
    assert_eq!(
        p,
        Predicates::new(vec![
            Conjunction::new().with("a", Op::Eq, 1).with(
                "b",
                Op::In,
                Value::List(vec![
                    Scalar::Int(1),
                    Scalar::Float(2.5),
                    Scalar::String("x".into()),
                    Scalar::Null
                ])
            ),
            Conjunction::new()
                .with("c", Op::Ge, Scalar::Date(18262))
                .with("d", Op::Ne, vec![0u8, 255]),
        ])
    );
    for bad in [
        "{}",
        "[1]",
        r#"[[["a", "=="]]]"#,
        r#"[[["a", "~", 1]]]"#,
        r#"[[[1, "==", 1]]]"#,
        r#"[[["a", "==", {"date": "x"}]]]"#,
        r#"[[["a", "==", {"what": "x"}]]]"#,
        "not json",
    ] {
        assert!(
            Predicates::from_json(bad).is_err(),
            "{bad} should be rejected"
        );
    }
}

fn invalid(p: Predicates) -> String {
    match p.validate() {
        Err(Error::InvalidPredicate(msg)) => msg,
        other => panic!("expected InvalidPredicate, got {other:?}"),
    }
}

#[test]
fn validation_applies_plateaus_rules() {
    assert_eq!(invalid(Predicates::new(vec![])), "empty predicates");
    assert_eq!(
        invalid(Predicates::new(vec![Conjunction::new()])),
        "conjunction 0 is empty"
    );
    for op in [Op::Lt, Op::Le, Op::Gt, Op::Ge] {
        let msg = invalid(Predicates::all(Conjunction::new().with(
            "a",
            op,
            Scalar::Null,
        )));
        assert!(msg.contains("null value"), "{msg}");
        let msg = invalid(Predicates::all(Conjunction::new().with("a", op, f64::NAN)));
        assert!(msg.contains("null value"), "{msg}");
    }
    for op in [Op::Eq, Op::Ne, Op::IsDistinctFrom] {
        Predicates::all(Conjunction::new().with("a", op, Scalar::Null))
            .validate()
            .unwrap();
    }
    let msg = invalid(Predicates::all(Conjunction::new().with("a", Op::In, 1)));
    assert!(msg.contains("must be used with a tuple or list"), "{msg}");
    let msg = invalid(Predicates::all(Conjunction::new().with(
        "a",
        Op::Eq,
        vec![1, 2],
    )));
    assert!(msg.contains("must be used with a scalar type"), "{msg}");
    Predicates::all(Conjunction::new().with("a", Op::In, vec![Scalar::Null]))
        .validate()
        .unwrap();
    Predicates::all(Conjunction::new().with("a", Op::NotIn, Vec::<i64>::new()))
        .validate()
        .unwrap();
    // Null bytes in binary values are fine here (plateau rejects them because of numpy).
    Predicates::all(Conjunction::new().with("a", Op::Eq, vec![0u8]))
        .validate()
        .unwrap();
}

#[test]
fn restricting_to_columns_drops_empty_conjunctions() {
    let p = Predicates::parse("a == 1 and b == 2 or c == 3").unwrap();
    assert_eq!(
        p.restrict_to_columns(&["a"]).unwrap(),
        Predicates::parse("a == 1").unwrap()
    );
    assert!(p.restrict_to_columns(&["z"]).is_none());
    assert_eq!(
        p.and_all(&[Literal::new("d", Op::Eq, 4)]),
        Predicates::parse("a == 1 and b == 2 and d == 4 or c == 3 and d == 4").unwrap()
    );
    assert_eq!(
        p.columns().into_iter().collect::<Vec<_>>(),
        vec!["a", "b", "c"]
    );
}

#[test]
fn a_null_with_a_list_operator_is_reported_as_a_null_error() {
    for op in [Op::In, Op::NotIn] {
        let msg = invalid(Predicates::all(Conjunction::new().with(
            "a",
            op,
            Scalar::Null,
        )));
        assert!(msg.contains("with null value and operator"), "{msg}");
    }
}
