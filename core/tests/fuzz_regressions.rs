//! Predicates the `predicate_json` and `predicate_text` fuzz targets found
//! (fuzz/regressions/): parsing never panics, and what parses survives the JSON and text
//! forms unchanged.
#![allow(clippy::unwrap_used)]

use plateau_core::Predicates;

fn round_trips(predicates: &Predicates, input: &str) {
    let json = predicates.to_json_value();
    let back = Predicates::from_json_value(&json).unwrap();
    assert_eq!(
        format!("{predicates:?}"),
        format!("{back:?}"),
        "JSON form of {input}"
    );
    if predicates.validate().is_ok() {
        let reparsed = Predicates::parse(&predicates.to_string()).unwrap();
        assert_eq!(
            format!("{predicates:?}"),
            format!("{reparsed:?}"),
            "text form of {input}"
        );
    }
}

#[test]
fn fuzz_inputs_parse_or_fail_and_round_trip() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/regressions");
    let mut seen = 0;
    for (target, parse) in [
        ("predicate_json", Predicates::from_json as fn(&str) -> _),
        ("predicate_text", Predicates::parse as fn(&str) -> _),
    ] {
        for entry in std::fs::read_dir(format!("{root}/{target}")).unwrap() {
            let path = entry.unwrap().path();
            let input = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            if let Ok(predicates) = parse(&input) {
                round_trips(&predicates, &input);
            }
            seen += 1;
        }
    }
    assert!(seen >= 3, "regression inputs missing in {root}");
}
