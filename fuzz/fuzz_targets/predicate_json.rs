//! plateau's JSON form of predicates (`--predicates`, `Predicates::from_json`):
//! `[[["a", "==", 1]]]` with typed values such as `{"date": "2020-01-01"}`.
//!
//! Properties: parsing and validating never panic; `to_json_value` is the inverse of
//! `from_json_value`; valid predicates also survive the text form (`Display`, `parse`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use plateau_core::Predicates;
use plateau_fuzz::assert_same;

fuzz_target!(|data: &[u8]| plateau_fuzz::guard(|| run(data)));

fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(predicates) = Predicates::from_json(&text) else {
        return;
    };
    let json = predicates.to_json_value();
    let back = Predicates::from_json_value(&json)
        .unwrap_or_else(|e| panic!("JSON form {json} does not parse: {e}"));
    assert_same(
        &predicates,
        &back,
        "predicates via to_json_value/from_json_value",
    );

    if predicates.validate().is_ok() {
        let printed = predicates.to_string();
        let reparsed = Predicates::parse(&printed)
            .unwrap_or_else(|e| panic!("printed predicates `{printed}` do not parse: {e}"));
        assert_same(&predicates, &reparsed, "predicates via Display/parse");
    }
}
