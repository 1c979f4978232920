//! Prints the canonical metadata dump of a dataset (see `plateau_metadata::dump`).
//!
//! ```text
//! cargo run -p plateau-metadata --example dump -- <store-url> <uuid>
//! ```

use std::process::ExitCode;

use plateau_core::Store;
use plateau_metadata::load::{load, LoadOptions};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, uuid] = args.as_slice() else {
        eprintln!("usage: dump <store-url> <uuid>");
        return ExitCode::FAILURE;
    };
    let result = Store::from_url(url).and_then(|store| {
        let options = LoadOptions::default()
            .load_schema(true)
            .load_all_indices(true);
        let metadata = load(&store, uuid, &options)?;
        plateau_metadata::dump::dump(&metadata)
    });
    match result {
        Ok(dump) => {
            print!("{}", plateau_metadata::dump::to_canonical_string(&dump));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("dump: {e}");
            ExitCode::FAILURE
        }
    }
}
