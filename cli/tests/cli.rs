//! End-to-end tests of the `plateau` binary on temporary stores.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

/// Runs `plateau --store <store> args...` without a terminal.
fn plateau(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plateau"))
        .arg("--store")
        .arg(store)
        .args(args)
        .env_remove("PLATEAU_STORE")
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// Asserts success and returns stdout.
fn ok(store: &Path, args: &[&str]) -> String {
    let output = plateau(store, args);
    assert!(
        output.status.success(),
        "{args:?} failed: {}",
        stderr(&output)
    );
    stdout(&output)
}

/// Asserts exit code `code` with one error line containing every `needles`.
fn fails(store: &Path, args: &[&str], code: i32, needles: &[&str]) {
    let output = plateau(store, args);
    assert_eq!(
        output.status.code(),
        Some(code),
        "{args:?}: {}",
        stderr(&output)
    );
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 1, "one line expected: {err}");
    assert!(err.starts_with("plateau: error: "), "{err}");
    for needle in needles {
        assert!(err.contains(needle), "`{needle}` not in `{err}`");
    }
}

/// Makes every file of `store` two hours old, older than gc's default minimum age (files of
/// a writer that may not have committed yet are kept for an hour).
fn age(store: &Path) {
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 3600);
    let mut dirs = vec![store.to_owned()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let file = std::fs::File::options().write(true).open(&path).unwrap();
                file.set_modified(old).unwrap();
            }
        }
    }
}

/// A store with dataset `t` (partitioned on b, indexed on a) from a CSV file.
fn with_dataset() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let csv = dir.path().join("in.csv");
    std::fs::write(
        &csv,
        "a,b,c,d\n1,x,1.5,2020-01-01\n2,y,2.5,2021-01-01\n3,x,3.5,2022-01-01\n",
    )
    .unwrap();
    ok(
        &store,
        &[
            "write",
            "t",
            csv.to_str().unwrap(),
            "--partition-on",
            "b",
            "--index",
            "a",
        ],
    );
    (dir, store)
}

#[test]
fn demo_writes_and_prunes() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("demo-store");
    let out = ok(&store, &["demo", "--rows", "20000"]);
    assert!(out.contains("20000 rows, 64 partitions"), "{out}");
    assert!(out.contains("read 2 of 64 partitions"), "{out}");
    assert!(out.contains("try next:"), "{out}");
    // Deterministic: a second run gives the same query result.
    let again = ok(&store, &["demo", "--rows", "20000"]);
    let rows = |s: &str| {
        s.lines()
            .find(|l| l.contains("matching rows"))
            .unwrap()
            .split(", ")
            .nth(1)
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        rows(&out).split(" in ").next(),
        rows(&again).split(" in ").next()
    );
    let parts = ok(
        &store,
        &[
            "partitions",
            "demo",
            "--where",
            "country == 'DE' and year >= 2022 and product == 'p07'",
        ],
    );
    assert_eq!(parts.lines().count(), 2, "{parts}");
}

#[test]
fn list_info_schema_index() {
    let (_dir, store) = with_dataset();
    let list = ok(&store, &["list"]);
    assert_eq!(list.lines().nth(1).unwrap(), "t\tjson\t2\tb\ta");
    let info = ok(&store, &["info", "t"]);
    assert!(info.contains("partition keys: b"), "{info}");
    assert!(info.contains("partitions: 2"), "{info}");
    assert!(info.contains("secondary indices: a"), "{info}");
    let json: serde_json::Value =
        serde_json::from_str(&ok(&store, &["info", "t", "--json", "--indices"])).unwrap();
    assert_eq!(json["uuid"], "t");
    assert_eq!(json["partition_keys"], serde_json::json!(["b"]));
    assert_eq!(json["indices"]["a"].as_array().unwrap().len(), 3);
    let schema = ok(&store, &["schema", "t"]);
    assert!(schema.contains("a: Int64"), "{schema}");
    assert!(schema.contains("d: Date32"), "{schema}");
    let listed: serde_json::Value = serde_json::from_str(&ok(&store, &["list", "--json"])).unwrap();
    assert_eq!(
        listed,
        serde_json::json!([{"uuid": "t", "format": "json", "partitions": 2,
            "partition_keys": ["b"], "indices": ["a"]}])
    );
    let index_json: serde_json::Value =
        serde_json::from_str(&ok(&store, &["index", "t", "a", "--json"])).unwrap();
    assert_eq!(index_json, json["indices"]["a"]);
    let index = ok(&store, &["index", "t", "a"]);
    assert_eq!(index.lines().count(), 3, "{index}");
    assert!(index.lines().next().unwrap().contains("b=x/"), "{index}");
    fails(&store, &["index", "t", "c"], 5, &["`c`", "no index"]);
}

#[test]
fn partitions_plan_without_reading() {
    let (_dir, store) = with_dataset();
    let all = ok(&store, &["partitions", "t"]);
    assert_eq!(all.lines().count(), 2);
    let x = ok(&store, &["partitions", "t", "--where", "b == 'x'"]);
    assert_eq!(x.lines().count(), 1);
    assert!(x.starts_with("b=x/") && x.contains("t/table/b=x/"), "{x}");
    let planned: serde_json::Value = serde_json::from_str(&ok(
        &store,
        &["partitions", "t", "--json", "--where", "b == 'x'"],
    ))
    .unwrap();
    assert_eq!(planned["total"], 2);
    assert_eq!(planned["partitions"].as_array().unwrap().len(), 1);
    assert_eq!(
        planned["partitions"][0]["file"].as_str().unwrap(),
        x.trim_end().split('\t').nth(1).unwrap()
    );
    let by_index = ok(
        &store,
        &["partitions", "t", "--predicates", r#"[[["a", "==", 2]]]"#],
    );
    assert!(by_index.starts_with("b=y/"), "{by_index}");
}

#[test]
fn read_formats_columns_limit_and_coercion() {
    let (dir, store) = with_dataset();
    let csv = ok(
        &store,
        &[
            "read",
            "t",
            "--format",
            "csv",
            "--columns",
            "a,c",
            "--where",
            "c > 2",
        ],
    );
    // partitions in metadata order: b=x, then b=y
    assert_eq!(csv, "a,c\n3,3.5\n2,2.5\n");
    // integer -> float and string -> date coercion
    let csv = ok(
        &store,
        &[
            "read",
            "t",
            "--format",
            "csv",
            "--columns",
            "a",
            "--where",
            "c >= 2 and d >= '2021-06-01'",
        ],
    );
    assert_eq!(csv, "a\n3\n");
    let jsonl = ok(
        &store,
        &[
            "read",
            "t",
            "--format",
            "jsonl",
            "--columns",
            "a,b,d",
            "--limit",
            "1",
            "--where",
            "a == 1",
        ],
    );
    assert_eq!(jsonl, "{\"a\":1,\"b\":\"x\",\"d\":\"2020-01-01\"}\n");
    let table = ok(&store, &["read", "t", "--columns", "a"]);
    assert!(table.contains("| a |"), "{table}");
    let out = dir.path().join("out.parquet");
    ok(
        &store,
        &[
            "read",
            "t",
            "--format",
            "parquet",
            "--output",
            out.to_str().unwrap(),
        ],
    );
    // The Parquet output is a valid input again, types intact.
    ok(&store, &["write", "copy", out.to_str().unwrap()]);
    let schema = ok(&store, &["schema", "copy"]);
    assert!(
        schema.contains("d: Date32") && schema.contains("a: Int64"),
        "{schema}"
    );
    // A terminal-free run prints no progress bars: stderr is at most the summary line.
    let output = plateau(&store, &["read", "t", "--format", "csv"]);
    assert_eq!(stderr(&output), "3 rows\n");
    let quiet = plateau(&store, &["--quiet", "read", "t", "--format", "csv"]);
    assert_eq!(stderr(&quiet), "");
}

#[test]
fn predicate_errors() {
    let (_dir, store) = with_dataset();
    fails(&store, &["read", "t", "--where", "nope == 1"], 5, &["nope"]);
    fails(
        &store,
        &["read", "t", "--where", "a == "],
        5,
        &["cannot parse predicate"],
    );
    fails(
        &store,
        &["read", "t", "--predicates", "[[[\"a\"]]]"],
        5,
        &[],
    );
    fails(
        &store,
        &["read", "t", "--where", "c == 'abc'"],
        5,
        &["`c`", "Float64", "abc"],
    );
    fails(
        &store,
        &["partitions", "t", "--where", "d >= 'soon'"],
        5,
        &["`d`", "Date32", "soon"],
    );
}

#[test]
fn missing_dataset() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["info", "nope"][..],
        &["schema", "nope"],
        &["read", "nope"],
        &["partitions", "nope"],
        &["gc", "nope"],
        &["delete", "nope"],
        &["build-index", "nope", "a"],
        &["update", "nope", "--delete-scope", "a=1"],
    ] {
        fails(dir.path(), args, 3, &["`nope`"]);
    }
}

#[test]
fn write_errors() {
    let (dir, store) = with_dataset();
    let csv = dir.path().join("in.csv");
    let csv = csv.to_str().unwrap();
    fails(&store, &["write", "t", csv], 4, &["`t`", "already exists"]);
    fails(&store, &["write", "u", "missing.csv"], 5, &["missing.csv"]);
    let bad = dir.path().join("bad.parquet");
    std::fs::write(&bad, "garbage").unwrap();
    fails(
        &store,
        &["write", "u", bad.to_str().unwrap()],
        5,
        &["bad.parquet"],
    );
    let nulls = dir.path().join("nulls.csv");
    std::fs::write(&nulls, "a,b\n1,\n2,y\n").unwrap();
    fails(
        &store,
        &["write", "u", nulls.to_str().unwrap(), "--partition-on", "b"],
        5,
        &["`b`", "null"],
    );
    fails(
        &store,
        &["write", "u", csv, "--partition-on", "b", "--index", "b"],
        5,
        &["partition column"],
    );
    fails(
        &store,
        &["write", "u", csv, "--partition-on", "zz"],
        5,
        &["zz"],
    );
    // nothing of the failed writes exists
    assert_eq!(ok(&store, &["list"]).lines().count(), 2);
    // usage errors are exit code 2
    let output = plateau(&store, &["write", "u"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn write_options_and_overwrite() {
    let (dir, store) = with_dataset();
    let jsonl = dir.path().join("in.jsonl");
    std::fs::write(
        &jsonl,
        "{\"a\":3,\"b\":\"x\"}\n{\"a\":1,\"b\":\"x\"}\n{\"a\":2,\"b\":\"y\"}\n",
    )
    .unwrap();
    ok(
        &store,
        &[
            "write",
            "t",
            jsonl.to_str().unwrap(),
            "--overwrite",
            "--metadata-format",
            "msgpack",
            "--compression",
            "zstd",
            "--row-group-size",
            "1",
            "--sort-by",
            "a",
            "--partition-on",
            "b",
        ],
    );
    assert!(store.join("t.by-dataset-metadata.msgpack.zstd").exists());
    assert_eq!(
        ok(&store, &["list"]).lines().nth(1).unwrap(),
        "t\tmsgpack\t2\tb\t"
    );
    let csv = ok(
        &store,
        &["read", "t", "--format", "csv", "--where", "b == 'x'"],
    );
    assert_eq!(csv, "b,a\nx,1\nx,3\n");
}

#[test]
fn update_build_index_gc_delete() {
    let (dir, store) = with_dataset();
    let more = dir.path().join("more.csv");
    std::fs::write(&more, "a,b,c,d\n4,z,4.5,2023-01-01\n").unwrap();
    ok(
        &store,
        &[
            "update",
            "t",
            more.to_str().unwrap(),
            "--metadata",
            "source=cli",
        ],
    );
    let info = ok(&store, &["info", "t"]);
    assert!(info.contains("partitions: 3"), "{info}");
    assert!(info.contains("\"source\":\"cli\""), "{info}");
    ok(&store, &["update", "t", "--delete-scope", "b=x"]);
    let csv = ok(&store, &["read", "t", "--format", "csv", "--columns", "a"]);
    assert_eq!(csv, "a\n2\n4\n");
    fails(
        &store,
        &["update", "t", "--delete-scope", "b"],
        5,
        &["column=value"],
    );
    fails(
        &store,
        &["update", "t", "--delete-scope", "a=notanumber"],
        5,
        &["`a`", "notanumber"],
    );
    ok(&store, &["build-index", "t", "c"]);
    assert!(ok(&store, &["info", "t"]).contains("secondary indices: a, c"));
    fails(&store, &["build-index", "t", "b"], 5, &["partition column"]);
    age(&store);
    let dry = ok(&store, &["gc", "t", "--dry-run"]);
    assert!(!dry.is_empty());
    assert!(dry.lines().any(|l| l.starts_with("t/table/b=x/")), "{dry}");
    let deleted = ok(&store, &["gc", "t"]);
    assert_eq!(dry, deleted);
    assert_eq!(ok(&store, &["gc", "t", "--dry-run"]), "");
    ok(&store, &["delete", "t"]);
    assert_eq!(ok(&store, &["list"]).lines().count(), 1);
    fails(&store, &["info", "t"], 3, &["`t`"]);
}

#[test]
fn help_has_examples_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let help = ok(dir.path(), &["--help"]);
    assert!(
        help.contains("Exit codes:") && help.contains("6  commit conflict"),
        "{help}"
    );
    for command in [
        "demo",
        "list",
        "info",
        "schema",
        "index",
        "partitions",
        "read",
        "write",
        "update",
        "build-index",
        "gc",
        "compact",
        "delete",
    ] {
        let help = ok(dir.path(), &[command, "--help"]);
        assert!(
            help.contains("Example:\n  plateau") || help.contains("Examples:\n  plateau"),
            "{command}: {help}"
        );
    }
}

#[test]
fn store_from_environment() {
    let (_dir, store) = with_dataset();
    let output = Command::new(env!("CARGO_BIN_EXE_plateau"))
        .args(["list"])
        .env("PLATEAU_STORE", &store)
        .output()
        .unwrap();
    assert!(stdout(&output).contains("t\tjson"));
}

#[test]
fn stats_per_row_group() {
    let (dir, store) = with_dataset();
    let csv = dir.path().join("rg.csv");
    std::fs::write(&csv, "a,b\n1,x\n2,x\n3,x\n4,y\n").unwrap();
    ok(
        &store,
        &[
            "write",
            "rg",
            csv.to_str().unwrap(),
            "--partition-on",
            "b",
            "--row-group-size",
            "2",
        ],
    );
    let stats = ok(&store, &["stats", "rg"]);
    let lines: Vec<Vec<&str>> = stats.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(
        lines[0],
        [
            "partition_label",
            "row_group_id",
            "row_group_compressed_size",
            "row_group_uncompressed_size",
            "number_rows_total",
            "number_row_groups",
            "serialized_size",
            "number_rows_per_row_group"
        ]
    );
    // b=x: 3 rows in row groups of 2 and 1; b=y: one row group of 1
    assert_eq!(lines.len(), 4, "{stats}");
    assert!(lines[1][0].starts_with("b=x/"));
    assert_eq!(
        (lines[1][1], lines[1][4], lines[1][5], lines[1][7]),
        ("0", "3", "2", "2")
    );
    assert_eq!((lines[2][1], lines[2][7]), ("1", "1"));
    assert!(lines[1][6].parse::<u32>().unwrap() > 0);
    let pruned = ok(&store, &["stats", "rg", "--where", "b == 'y'"]);
    assert_eq!(pruned.lines().count(), 2);
    fails(
        &store,
        &["stats", "rg", "--where", "b =="],
        5,
        &["cannot parse"],
    );
}

#[test]
fn check_reports_every_problem() {
    let (_dir, store) = with_dataset();
    let output = plateau(&store, &["check", "t"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "");
    assert!(stderr(&output).contains("consistent"));
    // remove one data file and corrupt the other
    let parts = ok(&store, &["partitions", "t"]);
    let files: Vec<&str> = parts
        .lines()
        .map(|l| l.split('\t').nth(1).unwrap())
        .collect();
    std::fs::remove_file(store.join(files[0])).unwrap();
    std::fs::write(store.join(files[1]), "not parquet").unwrap();
    let output = plateau(&store, &["check", "t"]);
    assert_eq!(output.status.code(), Some(7));
    let report = stdout(&output);
    assert_eq!(report.lines().count(), 2, "{report}");
    assert!(report.contains("not found"), "{report}");
    assert!(report.contains("cannot open"), "{report}");
    assert!(stderr(&output).contains("2 problems"));
}

#[test]
fn input_formats_and_usage_errors() {
    let (dir, store) = with_dataset();
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"a\": 1}\nnot json\n").unwrap();
    fails(
        &store,
        &["write", "j", bad.to_str().unwrap()],
        5,
        &["bad.jsonl", "line 2"],
    );
    let unknown = dir.path().join("data.txt");
    std::fs::write(&unknown, "a\n1\n").unwrap();
    fails(
        &store,
        &["write", "j", unknown.to_str().unwrap()],
        5,
        &["--input-format"],
    );
    ok(
        &store,
        &[
            "write",
            "j",
            unknown.to_str().unwrap(),
            "--input-format",
            "csv",
        ],
    );
    assert_eq!(ok(&store, &["read", "j", "--format", "csv"]), "a\n1\n");
    // --where and --predicates exclude each other: a usage error
    let output = plateau(
        &store,
        &["read", "t", "--where", "a == 1", "--predicates", "[]"],
    );
    assert_eq!(output.status.code(), Some(2));
    // piping into a reader that stops early is not an error
    let output = plateau(&store, &["read", "t", "--format", "csv", "--limit", "0"]);
    assert_eq!(stdout(&output), "b,a,c,d\n");
}

#[test]
fn literal_coercion_timestamp_and_binary() {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, BinaryArray, Int64Array, RecordBatch};

    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let ts = dir.path().join("ts.csv");
    std::fs::write(&ts, "ts,v\n2020-01-01T10:00:00,1\n2021-01-01T00:00:00,2\n").unwrap();
    ok(&store, &["write", "ts", ts.to_str().unwrap()]);
    assert!(ok(&store, &["schema", "ts"]).contains("ts: Timestamp"));
    let csv = ok(
        &store,
        &[
            "read",
            "ts",
            "--format",
            "csv",
            "--columns",
            "v",
            "--where",
            "ts >= '2020-06-01'",
        ],
    );
    assert_eq!(csv, "v\n2\n");
    fails(
        &store,
        &["read", "ts", "--where", "ts >= 'later'"],
        5,
        &["`ts`", "Timestamp", "later"],
    );
    // a float literal on an integer column would lose information: an error naming all three
    fails(
        &store,
        &["read", "ts", "--where", "v >= 1.5"],
        5,
        &["`v`", "Int64", "1.5"],
    );

    let batch = RecordBatch::try_from_iter([
        (
            "k",
            Arc::new(BinaryArray::from(vec![&b"ab"[..], &b"cd"[..]])) as ArrayRef,
        ),
        ("n", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef),
    ])
    .unwrap();
    let file = dir.path().join("bin.parquet");
    let mut writer = parquet::arrow::ArrowWriter::try_new(
        std::fs::File::create(&file).unwrap(),
        batch.schema(),
        None,
    )
    .unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    ok(
        &store,
        &["write", "bin", file.to_str().unwrap(), "--index", "k"],
    );
    let csv = ok(
        &store,
        &[
            "read",
            "bin",
            "--format",
            "csv",
            "--columns",
            "n",
            "--where",
            "k == 'cd'",
        ],
    );
    assert_eq!(csv, "n\n2\n");
    let planned = ok(&store, &["partitions", "bin", "--where", "k == 'zz'"]);
    assert_eq!(planned, "");
}

#[test]
fn terminal_free_runs_print_no_progress_bars() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let mut inputs = Vec::new();
    for i in 0..6 {
        let path = dir.path().join(format!("in{i}.csv"));
        let rows: String = (0..50)
            .map(|r| format!("{},{},{}\n", i * 50 + r, r % 3, r % 5))
            .collect();
        std::fs::write(&path, format!("a,b,c\n{rows}")).unwrap();
        inputs.push(path.to_str().unwrap().to_owned());
    }
    // Only the summary line of each long command reaches stderr: no bar, no carriage return
    // or escape sequence.
    let run = |args: &[&str]| {
        let output = plateau(&store, args);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        let err = stderr(&output);
        assert!(
            !err.contains('\r') && !err.contains('\u{1b}'),
            "{args:?} drew on stderr: {err:?}"
        );
        assert!(err.lines().count() <= 1, "{args:?}: {err:?}");
        err
    };
    let mut write = vec!["write", "t", "--partition-on", "b", "--index", "c"];
    write.extend(inputs.iter().map(String::as_str));
    assert_eq!(
        run(&write),
        "wrote dataset `t`: 300 rows in 18 partitions\n"
    );
    let mut update = vec!["update", "t", "--delete-scope", "b=0"];
    update.extend(inputs[..2].iter().map(String::as_str));
    assert_eq!(
        run(&update),
        "updated dataset `t`: 100 rows appended, 18 -> 18 partitions\n"
    );
    // 6 × 17 rows of b == 0 replaced by 100 new rows.
    assert_eq!(run(&["read", "t", "--format", "csv"]), "298 rows\n");
    assert_eq!(
        run(&["build-index", "t", "a"]),
        "built indices a of dataset `t`\n"
    );
    // The 6 data files of b == 0 and the index file of `c` the update replaced.
    age(&store);
    assert_eq!(run(&["gc", "t"]), "deleted 7 files\n");
    assert_eq!(run(&["stats", "t"]), "");
    assert_eq!(run(&["delete", "t"]), "deleted dataset `t`\n");
}

#[test]
fn threads_option() {
    let (_dir, store) = with_dataset();
    let one = ok(&store, &["--threads", "1", "read", "t", "--format", "csv"]);
    let four = ok(&store, &["--threads", "4", "read", "t", "--format", "csv"]);
    assert_eq!(one, four);
    assert_eq!(one.lines().count(), 4, "{one}");
    let output = Command::new(env!("CARGO_BIN_EXE_plateau"))
        .args(["--store", store.to_str().unwrap(), "read", "t"])
        .env("PLATEAU_THREADS", "2")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    fails(&store, &["--threads", "0", "read", "t"], 2, &["--threads"]);
}

#[test]
fn write_with_buckets() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let mut args = vec!["write", "t", "--partition-on", "b"];
    let inputs: Vec<String> = (0..6)
        .map(|i| {
            let path = dir.path().join(format!("in{i}.csv"));
            let rows: String = (0..30)
                .map(|r| format!("{},{},{}\n", i * 30 + r, r % 3, r % 7))
                .collect();
            std::fs::write(&path, format!("a,b,c\n{rows}")).unwrap();
            path.to_str().unwrap().to_owned()
        })
        .collect();
    args.extend(inputs.iter().map(String::as_str));
    let mut bad = args.clone();
    bad.extend(["--num-buckets", "2", "--bucket-by", "nope"]);
    fails(&store, &bad, 5, &["bucket_by column `nope`"]);
    assert!(!store.exists() || ok(&store, &["list"]).lines().count() == 1);
    let usage = plateau(&store, &["write", "t", &inputs[0], "--bucket-by", "c"]);
    assert_eq!(usage.status.code(), Some(2));
    assert!(stderr(&usage).contains("--num-buckets"));

    args.extend(["--num-buckets", "2", "--bucket-by", "c"]);
    ok(&store, &args);
    // 3 partition values, at most 2 files each (6 without the shuffle: one per input).
    let partitions = ok(&store, &["partitions", "t"]);
    assert!(
        (3..=6).contains(&partitions.lines().count()),
        "{partitions}"
    );
    for b in 0..3 {
        let prefix = format!("b={b}/");
        let files = partitions
            .lines()
            .filter(|l| l.starts_with(&prefix))
            .count();
        assert!((1..=2).contains(&files), "{partitions}");
    }
    let csv = ok(&store, &["read", "t", "--format", "csv", "--columns", "a"]);
    let mut ids: Vec<i64> = csv.lines().skip(1).map(|l| l.parse().unwrap()).collect();
    ids.sort_unstable();
    assert_eq!(ids, (0..180).collect::<Vec<_>>());
}

/// Runs `plateau` with stdout a pipe whose reader reads `read` bytes and then goes away.
fn with_closed_stdout(store: &Path, args: &[&str], read: usize) -> Output {
    use std::io::Read as _;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_plateau"))
        .arg("--store")
        .arg(store)
        .args(args)
        .env_remove("PLATEAU_STORE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut buffer = vec![0; read];
    stdout.read_exact(&mut buffer).unwrap();
    drop(stdout);
    child.wait_with_output().unwrap()
}

#[test]
fn a_closed_stdout_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    // `plateau demo | true`: the reader is gone before the first write.
    let output = with_closed_stdout(&store, &["-q", "demo", "--rows", "2000"], 0);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stderr(&output), "");
    let more = dir.path().join("more.csv");
    std::fs::write(
        &more,
        "id,country,year,product,amount,day\n1,DE,2020,p01,1.5,2020-01-01\n",
    )
    .unwrap();
    ok(
        &store,
        &[
            "update",
            "demo",
            more.to_str().unwrap(),
            "--delete-scope",
            "country=FR,year=2020",
        ],
    );
    for args in [
        &["list"][..],
        &["list", "--json"],
        &["info", "demo"],
        &["info", "demo", "--json", "--indices"],
        &["schema", "demo"],
        &["index", "demo", "product"],
        &["index", "demo", "product", "--json"],
        &["partitions", "demo"],
        &["read", "demo"],
        &["read", "demo", "--format", "csv"],
        &["read", "demo", "--format", "jsonl"],
        &["read", "demo", "--format", "parquet"],
        &["stats", "demo"],
        &["gc", "demo", "--dry-run"],
    ] {
        let output = with_closed_stdout(&store, args, 0);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("error"),
            "{args:?}: {err}"
        );
    }
    // `plateau read ... | head -c 100`: the reader goes away after a few bytes of an output
    // larger than the pipe's buffer.
    for format in ["csv", "jsonl", "table"] {
        let output = with_closed_stdout(&store, &["-q", "read", "demo", "--format", format], 100);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(0), "{format}: {err}");
        assert_eq!(err, "", "{format}");
    }
    // gc deleting files still deletes them all when nobody reads the list.
    age(&store);
    assert!(!ok(&store, &["gc", "demo", "--dry-run"]).is_empty());
    let output = with_closed_stdout(&store, &["gc", "demo"], 0);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(ok(&store, &["gc", "demo", "--dry-run"]), "");
}

#[test]
fn jsonl_columns_hold_one_type() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        plateau(&store, &["write", "j", path.to_str().unwrap()])
    };
    for (text, needles) in [
        (
            "{\"a\": 1}\n{\"a\": \"x\"}\n",
            &[
                "mixed.jsonl",
                "`a`",
                "line 2",
                "line 1",
                "string",
                "integer",
            ][..],
        ),
        (
            "{\"a\": \"x\"}\n\n{\"a\": 1.5}\n",
            &["`a`", "line 3", "line 1", "float"],
        ),
        ("{\"a\": true}\n{\"a\": 0}\n", &["`a`", "line 2", "boolean"]),
        (
            "{\"a\": null}\n{\"a\": 1}\n{\"a\": false}\n",
            &["`a`", "line 3", "line 2"],
        ),
        (
            "{\"a\": [1]}\n{\"a\": \"[1]\"}\n",
            &["`a`", "line 2", "array"],
        ),
        (
            "{\"a\": 18446744073709551615}\n",
            &["`a`", "line 1", "64-bit"],
        ),
    ] {
        let output = write("mixed.jsonl", text);
        assert_eq!(output.status.code(), Some(5), "{text}: {}", stderr(&output));
        let err = stderr(&output);
        assert_eq!(err.lines().count(), 1, "{err}");
        for needle in needles {
            assert!(err.contains(needle), "`{needle}` not in `{err}`");
        }
        assert!(!store.join("j.by-dataset-metadata.json").exists());
    }
    // Integers widen to float, nulls and missing keys fit every column.
    let output = write(
        "ok.jsonl",
        "{\"a\": 1, \"b\": null}\n{\"a\": 2.5, \"b\": \"x\", \"c\": true}\n{\"c\": null}\n",
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let schema = ok(&store, &["schema", "j"]);
    assert!(
        schema.starts_with("a: Float64\nb: ") && schema.ends_with("Utf8\nc: Boolean\n"),
        "{schema}"
    );
    assert_eq!(
        ok(&store, &["read", "j", "--format", "jsonl"]),
        "{\"a\":1.0,\"b\":null,\"c\":null}\n{\"a\":2.5,\"b\":\"x\",\"c\":true}\n{\"a\":null,\"b\":null,\"c\":null}\n"
    );
}

#[test]
fn read_output_may_not_point_into_the_store() {
    let (dir, store) = with_dataset();
    let hash = |path: &Path| std::fs::read(path).unwrap();
    let metadata = store.join("t.by-dataset-metadata.json");
    let before = hash(&metadata);
    let canonical = std::fs::canonicalize(&store).unwrap();
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&metadata, &link).unwrap();
    let link_dir = dir.path().join("store-link");
    std::os::unix::fs::symlink(&store, &link_dir).unwrap();
    let store_url = format!("file://{}", canonical.display());
    let store_hfs = format!("hfs://{}", canonical.display());
    for (store_arg, output) in [
        (store.to_str().unwrap(), metadata.clone()),
        (
            store.to_str().unwrap(),
            store.join("t/table/_common_metadata"),
        ),
        (store.to_str().unwrap(), store.join("new-file.csv")),
        (store.to_str().unwrap(), store.join("t/new-dir/x.csv")),
        (
            store.to_str().unwrap(),
            store.join("sub/../t.by-dataset-metadata.json"),
        ),
        (store.to_str().unwrap(), store.clone()),
        (store.to_str().unwrap(), link.clone()),
        (
            store.to_str().unwrap(),
            link_dir.join("t.by-dataset-metadata.json"),
        ),
        (&store_url, metadata.clone()),
        (&store_hfs, metadata.clone()),
    ] {
        let output_arg = output.to_str().unwrap();
        let result = Command::new(env!("CARGO_BIN_EXE_plateau"))
            .args([
                "--store", store_arg, "read", "t", "--format", "csv", "-o", output_arg,
            ])
            .output()
            .unwrap();
        let err = stderr(&result);
        assert_eq!(
            result.status.code(),
            Some(5),
            "{store_arg} {output_arg}: {err}"
        );
        assert!(
            err.starts_with("plateau: error: --output") && err.contains("inside the store"),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        assert_eq!(hash(&metadata), before);
    }
    assert!(!store.join("new-file.csv").exists());
    // Relative paths are resolved too.
    let result = Command::new(env!("CARGO_BIN_EXE_plateau"))
        .current_dir(dir.path())
        .args([
            "--store",
            "store",
            "read",
            "t",
            "-o",
            "./store/../store/t.by-dataset-metadata.json",
        ])
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(5), "{}", stderr(&result));
    assert_eq!(hash(&metadata), before);
    // Next to the store is fine.
    let out = dir.path().join("store.csv");
    ok(
        &store,
        &["read", "t", "--format", "csv", "-o", out.to_str().unwrap()],
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 4);
}

#[test]
fn threads_are_bounded() {
    let (_dir, store) = with_dataset();
    for threads in ["0", "257", "100000"] {
        fails(
            &store,
            &["--threads", threads, "read", "t"],
            2,
            &["--threads", threads, "256"],
        );
        let output = Command::new(env!("CARGO_BIN_EXE_plateau"))
            .args(["--store", store.to_str().unwrap(), "list"])
            .env("PLATEAU_THREADS", threads)
            .output()
            .unwrap();
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{err}");
        assert!(
            err.starts_with("plateau: error: PLATEAU_THREADS=") && err.contains("256"),
            "{err}"
        );
    }
    // The bound is documented.
    assert!(ok(&store, &["--help"]).contains("1 to 256"));
    // The largest value is accepted (and costs nothing for commands without a pool).
    assert!(ok(&store, &["--threads", "256", "schema", "t"]).contains("a: Int64"));
    assert!(ok(&store, &["--threads", "1", "read", "t", "--format", "csv"]).starts_with("b,a"));
}

/// Writes `batch` as a Parquet file.
fn parquet_file(path: &Path, batch: &arrow::array::RecordBatch) {
    let mut writer = parquet::arrow::ArrowWriter::try_new(
        std::fs::File::create(path).unwrap(),
        batch.schema(),
        None,
    )
    .unwrap();
    writer.write(batch).unwrap();
    writer.close().unwrap();
}

#[test]
fn every_type_prints_in_every_format() {
    use std::sync::Arc;

    use arrow::array::*;
    use arrow::datatypes::{DataType, Field, Int32Type, Int64Type};

    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let mut list = ListBuilder::new(Int64Builder::new());
    list.values().append_value(1);
    list.values().append_null();
    list.append(true);
    list.append(false);
    let mut zoned_list =
        ListBuilder::new(TimestampNanosecondBuilder::new().with_timezone("Europe/Berlin"));
    zoned_list.values().append_value(0);
    zoned_list.append(true);
    zoned_list.append(true);
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("id", Arc::new(Int64Array::from(vec![1, 2]))),
        (
            "berlin",
            Arc::new(
                TimestampNanosecondArray::from(vec![Some(1_600_000_000_123_456_789), None])
                    .with_timezone("Europe/Berlin"),
            ),
        ),
        (
            "utc_ms",
            Arc::new(
                TimestampMillisecondArray::from(vec![1_577_880_000_500, 0]).with_timezone("UTC"),
            ),
        ),
        (
            "ny_us",
            Arc::new(
                TimestampMicrosecondArray::from(vec![1_577_880_000_000_001, 0])
                    .with_timezone("America/New_York"),
            ),
        ),
        (
            "offset_s",
            Arc::new(TimestampSecondArray::from(vec![1_577_880_000, 0]).with_timezone("+05:30")),
        ),
        (
            "naive_s",
            Arc::new(TimestampSecondArray::from(vec![1_577_880_000, 0])),
        ),
        ("day", Arc::new(Date32Array::from(vec![18_262, 0]))),
        (
            "price",
            Arc::new(
                Decimal128Array::from(vec![12_345, -1])
                    .with_precision_and_scale(10, 2)
                    .unwrap(),
            ),
        ),
        (
            "raw",
            Arc::new(BinaryArray::from(vec![&b"ab"[..], &b"\x00\xff"[..]])),
        ),
        (
            "cat",
            Arc::new(DictionaryArray::<Int32Type>::from_iter(["x", "y"])),
        ),
        ("big", Arc::new(LargeStringArray::from(vec!["a,b", "c\"d"]))),
        ("nums", Arc::new(list.finish())),
        ("stamps", Arc::new(zoned_list.finish())),
        (
            "point",
            Arc::new(StructArray::from(vec![(
                Arc::new(Field::new("x", DataType::Int64, true)),
                Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef,
            )])),
        ),
        (
            "ints",
            Arc::new(ListArray::from_iter_primitive::<Int64Type, _, _>(vec![
                Some(vec![Some(7)]),
                Some(vec![]),
            ])),
        ),
    ];
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let input = dir.path().join("types.parquet");
    parquet_file(&input, &batch);
    ok(&store, &["write", "types", input.to_str().unwrap()]);
    let order =
        "id,berlin,utc_ms,ny_us,offset_s,naive_s,day,price,raw,cat,big,nums,stamps,point,ints";
    let csv = ok(
        &store,
        &["read", "types", "--format", "csv", "--columns", order],
    );
    assert_eq!(
        csv,
        "id,berlin,utc_ms,ny_us,offset_s,naive_s,day,price,raw,cat,big,nums,stamps,point,ints\n\
         1,2020-09-13T14:26:40.123456789+02:00,2020-01-01T12:00:00.500+00:00,\
         2020-01-01T07:00:00.000001-05:00,2020-01-01T17:30:00+05:30,2020-01-01T12:00:00,\
         2020-01-01,123.45,6162,x,\"a,b\",\"[1,null]\",\"[\"\"1970-01-01T01:00:00+01:00\"\"]\",\
         \"{\"\"x\"\":1}\",[7]\n\
         2,,1970-01-01T00:00:00+00:00,1969-12-31T19:00:00-05:00,1970-01-01T05:30:00+05:30,\
         1970-01-01T00:00:00,1970-01-01,-0.01,00ff,y,\"c\"\"d\",,[],\
         \"{\"\"x\"\":2}\",[]\n"
    );
    let jsonl = ok(
        &store,
        &["read", "types", "--format", "jsonl", "--limit", "1"],
    );
    let row: serde_json::Value = serde_json::from_str(&jsonl).unwrap();
    assert_eq!(
        row,
        serde_json::json!({
            "id": 1,
            "berlin": "2020-09-13T14:26:40.123456789+02:00",
            "utc_ms": "2020-01-01T12:00:00.500+00:00",
            "ny_us": "2020-01-01T07:00:00.000001-05:00",
            "offset_s": "2020-01-01T17:30:00+05:30",
            "naive_s": "2020-01-01T12:00:00",
            "day": "2020-01-01",
            "price": "123.45",
            "raw": "6162",
            "cat": "x",
            "big": "a,b",
            "nums": [1, null],
            "stamps": ["1970-01-01T01:00:00+01:00"],
            "point": {"x": 1},
            "ints": [7],
        })
    );
    let table = ok(&store, &["read", "types"]);
    assert!(
        table.contains("| 2020-09-13T14:26:40.123456789+02:00 |"),
        "{table}"
    );
    assert!(
        table.contains("| 2020-01-01T07:00:00.000001-05:00 |"),
        "{table}"
    );
    // Parquet keeps the types.
    let out = dir.path().join("out.parquet");
    ok(
        &store,
        &[
            "read",
            "types",
            "--format",
            "parquet",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    ok(&store, &["write", "again", out.to_str().unwrap()]);
    assert_eq!(
        ok(&store, &["schema", "again"]),
        ok(&store, &["schema", "types"])
    );
    assert_eq!(
        ok(
            &store,
            &["read", "again", "--format", "csv", "--columns", order]
        ),
        csv
    );
    // A zoned partition column and index work and print alike.
    ok(
        &store,
        &[
            "write",
            "parts",
            input.to_str().unwrap(),
            "--partition-on",
            "utc_ms",
            "--index",
            "ny_us",
        ],
    );
    let csv = ok(
        &store,
        &[
            "read",
            "parts",
            "--format",
            "csv",
            "--columns",
            "id,utc_ms,ny_us",
        ],
    );
    assert_eq!(
        csv,
        "id,utc_ms,ny_us\n1,2020-01-01T12:00:00.500+00:00,2020-01-01T07:00:00.000001-05:00\n\
         2,1970-01-01T00:00:00+00:00,1969-12-31T19:00:00-05:00\n"
    );
}

#[test]
fn unsupported_types_are_invalid_input() {
    use std::sync::Arc;

    use arrow::array::*;
    use arrow::datatypes::{DataType, Field};

    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let interval = dir.path().join("interval.parquet");
    parquet_file(
        &interval,
        &RecordBatch::try_from_iter([
            ("id", Arc::new(Int64Array::from(vec![1])) as ArrayRef),
            (
                "span",
                Arc::new(IntervalYearMonthArray::from(vec![3])) as ArrayRef,
            ),
        ])
        .unwrap(),
    );
    fails(
        &store,
        &["write", "iv", interval.to_str().unwrap()],
        5,
        &["interval.parquet", "`span`", "Interval(YearMonth)"],
    );
    let nested = dir.path().join("nested.parquet");
    parquet_file(
        &nested,
        &RecordBatch::try_from_iter([
            ("id", Arc::new(Int64Array::from(vec![1])) as ArrayRef),
            (
                "point",
                Arc::new(StructArray::from(vec![(
                    Arc::new(Field::new("x", DataType::Int64, true)),
                    Arc::new(Int64Array::from(vec![1])) as ArrayRef,
                )])) as ArrayRef,
            ),
            ("t", Arc::new(Time32SecondArray::from(vec![5])) as ArrayRef),
        ])
        .unwrap(),
    );
    let nested = nested.to_str().unwrap();
    fails(
        &store,
        &["write", "n", nested, "--partition-on", "point"],
        5,
        &["`point`", "Struct"],
    );
    fails(
        &store,
        &["write", "n", nested, "--index", "point"],
        5,
        &["`point`", "Struct"],
    );
    fails(
        &store,
        &["write", "n", nested, "--index", "t"],
        5,
        &["`t`", "Time32"],
    );
    fails(
        &store,
        &["write", "n", nested, "--partition-on", "t"],
        5,
        &["`t`", "Time32"],
    );
    assert!(!store.exists() || ok(&store, &["list"]).lines().count() == 1);
    // Stored without partitioning or indexing, they read back in every format.
    ok(&store, &["write", "n", nested]);
    assert_eq!(
        ok(&store, &["read", "n", "--format", "csv"]),
        "id,point,t\n1,\"{\"\"x\"\":1}\",00:00:05\n"
    );
    fails(
        &store,
        &["read", "n", "--where", "point == 1"],
        5,
        &["point"],
    );
    fails(
        &store,
        &["build-index", "n", "point"],
        5,
        &["`point`", "Struct"],
    );
}

#[test]
fn gc_delete_and_check_without_a_readable_schema() {
    let (dir, store) = with_dataset();
    let more = dir.path().join("more.csv");
    std::fs::write(&more, "a,b,c,d\n4,x,4.5,2023-01-01\n").unwrap();
    ok(
        &store,
        &[
            "update",
            "t",
            more.to_str().unwrap(),
            "--delete-scope",
            "b=x",
        ],
    );
    std::fs::write(store.join("t/table/_common_metadata"), "garbage").unwrap();
    // check reports the unreadable schema with the other problems instead of stopping.
    let output = plateau(&store, &["check", "t"]);
    assert_eq!(output.status.code(), Some(7), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("t/table/_common_metadata"),
        "{}",
        stdout(&output)
    );
    assert_eq!(
        stderr(&output),
        "plateau: error: dataset `t` has 1 problem\n"
    );
    // gc and delete need no schema.
    age(&store);
    let gc = ok(&store, &["gc", "t"]);
    assert_eq!(gc.lines().count(), 2, "{gc}");
    ok(&store, &["delete", "t"]);
    fails(&store, &["info", "t"], 3, &["`t`"]);
}

#[test]
fn gc_and_delete_min_age_and_orphans() {
    let (_dir, store) = with_dataset();
    ok(&store, &["update", "t", "--delete-scope", "b=x"]);
    // The dropped partition's file and the superseded index file are young: kept by the
    // default minimum age.
    let out = plateau(&store, &["gc", "t"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    assert!(
        stderr(&out).contains("kept 2 files younger than"),
        "{}",
        stderr(&out)
    );
    let deleted = ok(&store, &["gc", "t", "--min-age", "0"]);
    assert_eq!(deleted.lines().count(), 2, "{deleted}");
    assert!(deleted.contains("t/table/b=x/"), "{deleted}");
    assert!(deleted.contains("t/indices/a/"), "{deleted}");
    let out = plateau(&store, &["gc", "t", "--min-age", "5"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("has no unit"), "{}", stderr(&out));

    // A leftover temporary upload is reported by check and removed by gc.
    let partition = std::fs::read_dir(store.join("t/table/b=y"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let temporary = format!("{}#4", partition.display());
    std::fs::write(&temporary, b"half").unwrap();
    let out = plateau(&store, &["check", "t"]);
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("interrupted upload"),
        "{}",
        stdout(&out)
    );
    let deleted = ok(&store, &["gc", "t", "--min-age", "0s"]);
    assert!(deleted.contains("#4"), "{deleted}");
    assert!(!Path::new(&temporary).exists());
    ok(&store, &["check", "t"]);

    // Metadata gone (a killed first write or delete): check reports the orphans, delete
    // removes them once old enough, then the uuid is not found.
    std::fs::remove_file(store.join("t.by-dataset-metadata.json")).unwrap();
    let out = plateau(&store, &["check", "t"]);
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    assert!(stdout(&out).contains("no metadata"), "{}", stdout(&out));
    let out = plateau(&store, &["delete", "t"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("deleted 0 orphan files"),
        "{}",
        stderr(&out)
    );
    assert!(store.join("t/table").exists());
    let out = plateau(&store, &["delete", "t", "--min-age", "0"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("orphan files"), "{}", stderr(&out));
    let leftover: Vec<_> = walk(&store.join("t"));
    assert!(leftover.is_empty(), "{leftover:?}");
    fails(&store, &["delete", "t"], 3, &["`t`"]);
    fails(&store, &["gc", "t"], 3, &["`t`"]);
}

/// Every file below `dir`.
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_owned()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

#[test]
fn retries_option() {
    let (_dir, store) = with_dataset();
    let csv = store.parent().unwrap().join("more.csv");
    std::fs::write(&csv, "a,b,c,d\n4,z,4.5,2023-01-01\n").unwrap();
    ok(
        &store,
        &["--retries", "0", "update", "t", csv.to_str().unwrap()],
    );
    let out = plateau(&store, &["--retries", "1001", "update", "t"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = Command::new(env!("CARGO_BIN_EXE_plateau"))
        .args([
            "--store",
            store.to_str().unwrap(),
            "read",
            "t",
            "--format",
            "csv",
        ])
        .env("PLATEAU_RETRIES", "x")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let rows = ok(&store, &["read", "t", "--format", "csv"]);
    assert_eq!(rows.lines().count(), 5, "{rows}");
}

#[test]
fn store_urls_options_and_redaction() {
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path();
    // An option the backend does not know is named, with the URL's secret redacted.
    fails(
        Path::new("hs3://KEY:SECRET@127.0.0.1:1/bucket?is_secure=false"),
        &["--store-option", "bogus_option=1", "list"],
        5,
        &["`bogus_option`", "hs3://KEY:***@127.0.0.1:1/bucket"],
    );
    let output = plateau(
        Path::new("hs3://KEY:SECRET@127.0.0.1:1/bucket"),
        &["--store-option", "bogus_option=1", "list"],
    );
    assert!(!stderr(&output).contains("SECRET"), "{}", stderr(&output));
    // Malformed URLs say why, not "needs a feature".
    fails(
        Path::new("hgcs://not-base64!@bucket"),
        &["list"],
        5,
        &["not base64", "hgcs://***@bucket"],
    );
    fails(
        Path::new("hs3://K:S@host/b?is_sts_credentials=true"),
        &["list"],
        5,
        &["STS"],
    );
    // Options are for cloud stores.
    std::fs::create_dir_all(local.join("s")).unwrap();
    fails(
        &local.join("s"),
        &["--store-option", "aws_region=x", "list"],
        5,
        &["cloud stores only"],
    );
    // A malformed option is a usage error.
    let output = plateau(local, &["--store-option", "novalue", "list"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("KEY=VALUE"));
}

/// On S3 with conditional puts disabled, commits cannot be atomic: every write is refused
/// before the first byte unless `--last-writer-wins` is given.
#[test]
#[ignore = "needs the S3 server: tools/servers/start.sh, then --ignored"]
fn s3_without_conditional_puts_refuses_writes_unless_last_writer_wins() {
    let base = std::env::var("PLATEAU_TEST_S3_URL").expect("PLATEAU_TEST_S3_URL");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let url = format!("{base}/lww-{}-{nanos}", std::process::id());
    let store = Path::new(&url);
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("in.csv");
    std::fs::write(&csv, "a,b\n1,x\n2,y\n").unwrap();
    let csv = csv.to_str().unwrap();
    let disabled = ["--store-option", "aws_conditional_put=disabled"];
    let args = |rest: &[&'static str]| -> Vec<&str> {
        disabled
            .iter()
            .copied()
            .chain(rest.iter().copied())
            .collect()
    };
    let mut write = args(&["write", "t"]);
    write.push(csv);
    fails(
        store,
        &write,
        5,
        &["cannot make commits atomic", "nothing was written"],
    );
    // Nothing of the dataset exists, in any store view.
    let list = ok(store, &["list"]);
    assert_eq!(list.lines().count(), 1, "{list}");
    let mut write = args(&["--last-writer-wins", "write", "t"]);
    write.push(csv);
    ok(store, &write);
    let mut update = args(&["--last-writer-wins", "update", "t"]);
    update.push(csv);
    ok(store, &update);
    let rows = ok(store, &["read", "t", "--format", "csv"]);
    assert_eq!(rows.lines().count(), 5, "{rows}");
    // Reading needs no conditional writes.
    let read = args(&["read", "t", "--format", "csv"]);
    assert_eq!(ok(store, &read), rows);
}
