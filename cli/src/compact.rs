//! `plateau compact`: merges the small data files of each partition-key combination into
//! larger ones (plateau-io's `compact` module plans, plateau-io-parallel's executes with
//! `--threads`; this prints the plan and the summary).
//!
//! stdout is the plan as tab-separated text with a header line, one line per partition-key
//! combination that changes: `key`, `files_before`, `files_after`, `bytes_merged`. The key
//! is the combination's directory (`P=1/Q=a`, values quoted as in labels); a dataset without
//! partition keys has one combination, printed as [`ALL`] (no real key can look like that:
//! every real key has a `=`). The summary goes to stderr.

use std::io::Write as _;

use plateau_core::Store;
use plateau_io::compact::{plan_compaction, CompactOptions, CompactionPlan, TargetSize};
use plateau_io_eager::RetryPolicy;

use crate::context::{existing, parse_predicates, Log};
use crate::{CliError, CliResult, CompactArgs, PredicateArgs};

/// The key printed for the one combination of a dataset without partition keys.
pub const ALL: &str = "(all)";

/// The header line of the plan.
const HEADER: &str = "key\tfiles_before\tfiles_after\tbytes_merged";

/// `--target-size`: bytes as a number with an optional unit (none or `B`: bytes; `K`, `M`,
/// `G`, `T` with or without `B`: powers of 1000; `KiB`, `MiB`, `GiB`, `TiB`: powers of
/// 1024; any case, a fraction allowed with a unit), or rows as `<N>rows`. Zero is refused:
/// every file would count as large and nothing could ever merge.
pub fn parse_target_size(text: &str) -> Result<TargetSize, String> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let unit = unit.trim().to_ascii_lowercase();
    let expected = "expected bytes with an optional unit (1000000, 512K, 64MB, 128MiB, 1GiB) \
                    or rows (500000rows)";
    if number.is_empty() {
        return Err(format!("`{text}` does not start with a number: {expected}"));
    }
    if unit == "rows" || unit == "row" {
        let rows: u64 = number
            .parse()
            .map_err(|_| format!("`{text}`: a row count must be a whole number"))?;
        if rows == 0 {
            return Err(format!("`{text}`: the target must be above 0"));
        }
        return Ok(TargetSize::Rows(rows));
    }
    let factor: u64 = match unit.as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "m" | "mb" => 1000u64.pow(2),
        "g" | "gb" => 1000u64.pow(3),
        "t" | "tb" => 1000u64.pow(4),
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        "tib" => 1 << 40,
        other => return Err(format!("unknown unit `{other}` in `{text}`: {expected}")),
    };
    let bytes = if number.contains('.') {
        if factor == 1 {
            return Err(format!("`{text}`: a byte count must be a whole number"));
        }
        let value: f64 = number
            .parse()
            .map_err(|_| format!("`{text}` does not start with a number: {expected}"))?;
        let bytes = (value * factor as f64).round();
        // 2^64 is exactly representable, so this bounds the cast below.
        if bytes >= u64::MAX as f64 {
            return Err(format!("`{text}` is too large"));
        }
        bytes as u64
    } else {
        number
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(factor))
            .ok_or_else(|| format!("`{text}` is too large"))?
    };
    if bytes == 0 {
        return Err(format!("`{text}`: the target must be above 0"));
    }
    Ok(TargetSize::Bytes(bytes))
}

/// `bytes` for people: `512 bytes`, `3.1 MiB`.
fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return match bytes {
            1 => "1 byte".to_owned(),
            _ => format!("{bytes} bytes"),
        };
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// The target as in `--target-size`'s own words.
fn describe_target(target: TargetSize) -> String {
    match target {
        TargetSize::Bytes(bytes) => human_bytes(bytes),
        TargetSize::Rows(1) => "1 row".to_owned(),
        TargetSize::Rows(rows) => format!("{rows} rows"),
    }
}

/// `file` or `files`, as `n` asks.
fn noun(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_owned()
    } else {
        format!("{word}s")
    }
}

/// `1 file`, `2 files`.
fn plural(n: usize, word: &str) -> String {
    format!("{n} {}", noun(n, word))
}

/// Runs `plateau compact`.
pub fn run(
    store: &Store,
    uuid: &str,
    predicate: &PredicateArgs,
    args: &CompactArgs,
    log: &Log,
) -> CliResult {
    for (option, columns) in [
        ("--sort-by", &args.sort_by),
        ("--delete-scope-columns", &args.delete_scope_columns),
    ] {
        if columns.iter().any(String::is_empty) {
            return Err(CliError::input(format!(
                "{option} `{}`: empty column name",
                columns.join(",")
            )));
        }
    }
    let dry_run = args.dry_run;
    let factory = existing(store, uuid)?;
    let metadata = factory.metadata()?;
    let mut options = CompactOptions::default()
        .sort_by(args.sort_by.iter().cloned())
        .delete_scope_columns(args.delete_scope_columns.iter().cloned());
    if let Some(target) = args.target_size {
        options = options.target(target);
    }
    if let Some(predicates) = parse_predicates(predicate, &metadata)? {
        options = options.predicates(predicates);
    }
    if let Some(retries) = log.retries {
        options = options.retry(RetryPolicy::default().max_retries(retries));
    }
    let partitioned = !metadata.partition_keys.is_empty();
    // With a predicate the counts cover only what it selects; say so.
    let selected = if predicate.where_.is_some() || predicate.predicates.is_some() {
        " selected"
    } else {
        ""
    };
    let plan = plan_compaction(&factory, &options)?;
    let before = plan.files_before();
    if plan.is_empty() {
        print_plan(&plan)?;
        let whom = if partitioned {
            format!("no{selected} partition-key combination has two or more")
        } else {
            "the dataset has fewer than two".to_owned()
        };
        log.say(format!(
            "nothing to merge: {whom} Parquet files below the target of {} \
             ({before}{selected} {})",
            describe_target(plan.target),
            noun(before, "file")
        ));
        return Ok(());
    }
    let merged = plan.files_merged();
    let combinations = if partitioned {
        let changed = plan.groups.iter().filter(|g| !g.bins.is_empty()).count();
        format!(" of {}", plural(changed, "partition-key combination"))
    } else {
        String::new()
    };
    let what = format!(
        "{} ({}){combinations}",
        plural(merged, "file"),
        human_bytes(plan.bytes_merged())
    );
    if dry_run {
        print_plan(&plan)?;
        let bins = plan.bins().count();
        log.say(format!(
            "would merge {what} into {}: {before} -> {}{selected} files",
            plural(bins, "file"),
            plan.files_after()
        ));
        return Ok(());
    }
    let report = plateau_io_parallel::compact::execute_compaction(
        &factory,
        plan,
        &options,
        &log.parallel()?,
    )?;
    print_plan(&report.plan)?;
    log.say(format!(
        "merged {what} into {}: {before} -> {}{selected} files; old files stay until \
         `plateau gc`",
        plural(report.written, "file"),
        // Not the plan's count: a bin whose files hold no rows writes no file.
        before - merged + report.written
    ));
    Ok(())
}

/// Prints the header and one line per combination the plan changes.
fn print_plan(plan: &CompactionPlan) -> CliResult {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{HEADER}")?;
    for group in plan.groups.iter().filter(|g| !g.bins.is_empty()) {
        let merged: u64 = group.bins.iter().map(|b| b.bytes()).sum();
        let key = if group.key.is_empty() {
            ALL
        } else {
            &group.key
        };
        writeln!(
            out,
            "{key}\t{}\t{}\t{merged}",
            group.files,
            group.files_after()
        )?;
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_sizes_parse() {
        let bytes = |text: &str| {
            parse_target_size(text).map(|t| match t {
                TargetSize::Bytes(b) => b,
                TargetSize::Rows(_) => panic!("{text} parsed as rows"),
            })
        };
        assert_eq!(bytes("1"), Ok(1));
        assert_eq!(bytes("1000000"), Ok(1_000_000));
        assert_eq!(bytes("512B"), Ok(512));
        assert_eq!(bytes("2K"), Ok(2000));
        assert_eq!(bytes("2kb"), Ok(2000));
        assert_eq!(bytes("64MB"), Ok(64_000_000));
        assert_eq!(bytes("64m"), Ok(64_000_000));
        assert_eq!(bytes("1G"), Ok(1_000_000_000));
        assert_eq!(bytes("1gB"), Ok(1_000_000_000));
        assert_eq!(bytes("2T"), Ok(2_000_000_000_000));
        assert_eq!(bytes("4KiB"), Ok(4096));
        assert_eq!(bytes("128mib"), Ok(128 << 20));
        assert_eq!(bytes("128 MiB"), Ok(128 << 20));
        assert_eq!(bytes(" 1GIB "), Ok(1 << 30));
        assert_eq!(bytes("1TiB"), Ok(1 << 40));
        assert_eq!(bytes("1.5G"), Ok(1_500_000_000));
        assert_eq!(bytes("0.5KiB"), Ok(512));
        assert_eq!(bytes("18446744073709551615"), Ok(u64::MAX));
        assert_eq!(
            parse_target_size("500000rows"),
            Ok(TargetSize::Rows(500_000))
        );
        assert_eq!(parse_target_size("10 ROWS"), Ok(TargetSize::Rows(10)));
        assert_eq!(parse_target_size("1row"), Ok(TargetSize::Rows(1)));
        for bad in [
            "",
            "0",
            "0MiB",
            "0rows",
            "0.0001K",
            "MiB",
            "rows",
            "-1",
            "1.5",
            "1.5rows",
            "1..5M",
            "12 apples",
            "1e6",
            "10 MiBs",
            "18446744073709551616",
            "20000000T",
            "99999999999999999999.5G",
        ] {
            let error = parse_target_size(bad).expect_err(bad);
            assert!(error.contains('`'), "{bad}: {error}");
        }
        assert!(parse_target_size("0").unwrap_err().contains("above 0"));
        assert!(parse_target_size("5 parsecs")
            .unwrap_err()
            .contains("unknown unit `parsecs`"));
    }

    #[test]
    fn sizes_print_for_people() {
        assert_eq!(human_bytes(0), "0 bytes");
        assert_eq!(human_bytes(1), "1 byte");
        assert_eq!(human_bytes(1023), "1023 bytes");
        assert_eq!(human_bytes(1024), "1.0 KiB");
        assert_eq!(human_bytes(3_250_586), "3.1 MiB");
        assert_eq!(human_bytes(128 << 20), "128.0 MiB");
        assert_eq!(describe_target(TargetSize::Rows(5)), "5 rows");
    }
}
