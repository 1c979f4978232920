//! The text form of predicates (`--where`, `Predicates::parse`).
//!
//! Properties: parsing and validating never panic; parsed predicates print (`Display`) to
//! text that parses back to equal predicates, and go through the JSON form
//! (`to_json_value` / `from_json_value`) unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plateau_core::Predicates;
use plateau_fuzz::assert_same;

fuzz_target!(|data: &[u8]| plateau_fuzz::guard(|| run(data)));

fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(predicates) = Predicates::parse(&text) else {
        return;
    };
    let _ = predicates.validate();
    let _ = predicates.columns();

    let printed = predicates.to_string();
    let reparsed = Predicates::parse(&printed)
        .unwrap_or_else(|e| panic!("printed predicates `{printed}` do not parse: {e}"));
    assert_same(&predicates, &reparsed, "predicates via Display/parse");

    let json = predicates.to_json_value();
    let back = Predicates::from_json_value(&json)
        .unwrap_or_else(|e| panic!("JSON form {json} does not parse: {e}"));
    assert_same(
        &predicates,
        &back,
        "predicates via to_json_value/from_json_value",
    );
}
