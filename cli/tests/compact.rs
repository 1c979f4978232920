//! End-to-end tests of `plateau compact` on temporary stores: a dataset grown by many small
//! updates, compacted in steps (dry run, `--where`, a row target with `--sort-by`, the
//! rest), then garbage-collected; the rows must stay the same multiset throughout.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn plateau(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plateau"))
        .arg("--store")
        .arg(store)
        .args(args)
        .env_remove("PLATEAU_STORE")
        .env_remove("PLATEAU_RETRIES")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// Asserts success; returns stdout and stderr.
fn ok(store: &Path, args: &[&str]) -> (String, String) {
    let output = plateau(store, args);
    assert!(
        output.status.success(),
        "{args:?} failed: {}",
        text(&output.stderr)
    );
    (text(&output.stdout), text(&output.stderr))
}

/// Asserts exit code `code` and, for our own errors, one line containing every needle.
fn fails(store: &Path, args: &[&str], code: i32, needles: &[&str]) -> String {
    let output = plateau(store, args);
    let err = text(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "{args:?}: {err}");
    if code != 2 {
        assert_eq!(err.lines().count(), 1, "one line expected: {err}");
        assert!(err.starts_with("plateau: error: "), "{err}");
    }
    for needle in needles {
        assert!(err.contains(needle), "`{needle}` not in `{err}`");
    }
    err
}

/// Every file under `root` with its content (what "the store is unchanged" means).
fn snapshot(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut dirs = vec![root.to_owned()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let content = std::fs::read(&path).unwrap();
                files.insert(path.strip_prefix(root).unwrap().to_owned(), content);
            }
        }
    }
    files
}

/// The rows of `read --format csv` as a sorted list (a multiset), header first.
fn rows(store: &Path, uuid: &str) -> Vec<String> {
    let (csv, _) = ok(store, &["read", uuid, "--format", "csv"]);
    let mut lines: Vec<String> = csv.lines().map(str::to_owned).collect();
    assert!(!lines.is_empty(), "no header");
    lines[1..].sort();
    lines
}

/// The number of partitions (= data files) of the dataset, from `info --json`.
fn partition_count(store: &Path, uuid: &str) -> usize {
    let (info, _) = ok(store, &["info", uuid, "--json"]);
    let json: serde_json::Value = serde_json::from_str(&info).unwrap();
    json["partitions"].as_object().unwrap().len()
}

/// The plan lines of `compact` stdout, after checking the header, sorted by key.
fn plan(stdout: &str) -> Vec<Vec<String>> {
    let mut lines = stdout.lines();
    assert_eq!(
        lines.next(),
        Some("key\tfiles_before\tfiles_after\tbytes_merged"),
        "{stdout}"
    );
    let mut plan: Vec<Vec<String>> = lines
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect();
    for line in &plan {
        assert_eq!(line.len(), 4, "{line:?}");
        assert!(line[3].parse::<u64>().unwrap() > 0, "{line:?}");
    }
    plan.sort();
    plan
}

/// Key, files before and files after of each plan line.
fn counts(plan: &[Vec<String>]) -> Vec<(&str, usize, usize)> {
    plan.iter()
        .map(|l| (l[0].as_str(), l[1].parse().unwrap(), l[2].parse().unwrap()))
        .collect()
}

/// Dataset `t` partitioned on `p` (int) and `q` (string), indexed on `id`, written once and
/// updated 12 times with one row each for p=1/q=a and p=2/q=a and, every other time, for
/// p=1/q=b. Files: p=1/q=a 13, p=2/q=a 13, p=1/q=b 7, p=3/q=c 1 (34). Ids fall over time,
/// so a merged file's input order is not its `id` order. Columns with nulls: v, s, d.
fn grown_dataset() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let first = dir.path().join("first.csv");
    std::fs::write(
        &first,
        "p,q,id,v,s,d\n\
         1,a,1000,0.5,first,2020-01-01\n\
         1,b,1001,,second,2020-01-02\n\
         2,a,1002,2.5,,2020-01-03\n\
         3,c,1003,3.5,x,\n",
    )
    .unwrap();
    ok(
        &store,
        &[
            "write",
            "t",
            first.to_str().unwrap(),
            "--partition-on",
            "p,q",
            "--index",
            "id",
        ],
    );
    for i in 0..12 {
        let mut csv = format!(
            "p,q,id,v,s,d\n1,a,{},{i}.25,u{i},2021-01-{:02}\n2,a,{},,v{i},2021-02-{:02}\n",
            900 - i,
            i + 1,
            800 - i,
            i + 1
        );
        if i % 2 == 0 {
            csv.push_str(&format!("1,b,{},{i}.75,w{i},\n", 700 - i));
        }
        let input = dir.path().join(format!("update-{i}.csv"));
        std::fs::write(&input, csv).unwrap();
        ok(&store, &["update", "t", input.to_str().unwrap()]);
    }
    (dir, store)
}

/// The `id` values of a data file, in file order.
fn file_ids(path: &Path) -> Vec<i64> {
    use arrow::array::AsArray as _;
    use arrow::datatypes::Int64Type;
    let file = std::fs::File::open(path).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let mut ids = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        let column = batch.column_by_name("id").unwrap();
        ids.extend(column.as_primitive::<Int64Type>().values().iter());
    }
    ids
}

#[test]
fn compact_merges_small_files_and_keeps_rows() {
    let (_dir, store) = grown_dataset();
    assert_eq!(partition_count(&store, "t"), 34);
    let before = rows(&store, "t");
    assert_eq!(before.len(), 1 + 4 + 12 * 2 + 6);

    // A dry run prints the plan and changes nothing.
    let untouched = snapshot(&store);
    let (out, err) = ok(&store, &["compact", "t", "--dry-run"]);
    assert_eq!(
        counts(&plan(&out)),
        vec![("p=1/q=a", 13, 1), ("p=1/q=b", 7, 1), ("p=2/q=a", 13, 1)],
        "{out}"
    );
    assert!(
        err.starts_with("would merge 33 files (")
            && err.contains(") of 3 partition-key combinations into 3 files: 34 -> 4 files"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(snapshot(&store), untouched, "a dry run changed the store");
    let (quiet, quiet_err) = ok(&store, &["-q", "compact", "t", "--dry-run"]);
    assert_eq!((quiet.as_str(), quiet_err.as_str()), (out.as_str(), ""));

    // --where restricts the compaction to the combinations it selects.
    let (out, err) = ok(&store, &["compact", "t", "--where", "q == 'b'"]);
    assert_eq!(counts(&plan(&out)), vec![("p=1/q=b", 7, 1)], "{out}");
    assert!(
        err.starts_with("merged 7 files (")
            && err.contains(
                "of 1 partition-key combination into 1 file: 7 -> 1 selected files; \
                 old files stay until `plateau gc`"
            ),
        "{err}"
    );
    assert_eq!(partition_count(&store, "t"), 28);
    assert_eq!(rows(&store, "t"), before);

    // A row target packs bins of at least 5 rows (5 + 5 + 3 one-row files); --sort-by
    // sorts each new file.
    let (out, _) = ok(
        &store,
        &[
            "--retries",
            "0",
            "compact",
            "t",
            "--predicates",
            r#"[[["p", "==", 2]]]"#,
            "--target-size",
            "5rows",
            "--sort-by",
            "id",
        ],
    );
    assert_eq!(counts(&plan(&out)), vec![("p=2/q=a", 13, 3)], "{out}");
    assert_eq!(partition_count(&store, "t"), 18);
    assert_eq!(rows(&store, "t"), before);
    let (listing, _) = ok(&store, &["partitions", "t", "--where", "p == 2"]);
    let files: Vec<&str> = listing
        .lines()
        .map(|l| l.split('\t').nth(1).unwrap())
        .collect();
    assert_eq!(files.len(), 3, "{listing}");
    let mut sizes = Vec::new();
    for file in files {
        let ids = file_ids(&store.join(file));
        assert!(ids.is_sorted(), "{file}: {ids:?}");
        sizes.push(ids.len());
    }
    sizes.sort_unstable();
    assert_eq!(sizes, vec![3, 5, 5]);

    // The rest: every combination with two or more small files becomes one file.
    let (out, err) = ok(&store, &["compact", "t"]);
    assert_eq!(
        counts(&plan(&out)),
        vec![("p=1/q=a", 13, 1), ("p=2/q=a", 3, 1)],
        "{out}"
    );
    assert!(err.contains("into 2 files: 18 -> 4 files;"), "{err}");
    assert_eq!(partition_count(&store, "t"), 4);
    assert_eq!(rows(&store, "t"), before);
    // The index follows the rows to their new partitions.
    let (found, _) = ok(
        &store,
        &["read", "t", "--format", "csv", "--where", "id == 895"],
    );
    assert_eq!(found.lines().count(), 2, "{found}");
    assert!(found.lines().nth(1).unwrap().contains("895"), "{found}");
    ok(&store, &["check", "t"]);

    // Nothing left to merge: said so, nothing changed.
    let untouched = snapshot(&store);
    let (out, err) = ok(&store, &["compact", "t"]);
    assert!(plan(&out).is_empty(), "{out}");
    assert!(
        err == "nothing to merge: no partition-key combination has two or more Parquet files \
                below the target of 128.0 MiB (4 files)\n",
        "{err}"
    );
    assert_eq!(snapshot(&store), untouched);

    // gc removes the merged files; the reads still agree.
    let (deleted, _) = ok(&store, &["gc", "t", "--min-age", "0"]);
    let data_files = deleted
        .lines()
        .filter(|l| l.ends_with(".parquet") && l.starts_with("t/table/"))
        .count();
    // All of the first 34 files but p=3/q=c's, and the 3 files of the row-target step.
    assert_eq!(data_files, 33 + 3, "{deleted}");
    assert_eq!(rows(&store, "t"), before);
    ok(&store, &["check", "t"]);
}

#[test]
fn compact_unpartitioned_and_errors() {
    let (dir, store) = grown_dataset();
    let flat = dir.path().join("flat.csv");
    std::fs::write(&flat, "a,b\n1,x\n2,y\n").unwrap();
    ok(&store, &["write", "u", flat.to_str().unwrap()]);
    for _ in 0..3 {
        ok(&store, &["update", "u", flat.to_str().unwrap()]);
    }
    let (out, err) = ok(
        &store,
        &["compact", "u", "--dry-run", "--target-size", "1GiB"],
    );
    assert_eq!(counts(&plan(&out)), vec![("(all)", 4, 1)], "{out}");
    assert!(
        err.starts_with("would merge 4 files (") && err.ends_with("into 1 file: 4 -> 1 files\n"),
        "{err}"
    );
    // Files at or above the target are left alone.
    let (out, err) = ok(&store, &["compact", "u", "--target-size", "1"]);
    assert!(plan(&out).is_empty(), "{out}");
    assert_eq!(
        err,
        "nothing to merge: the dataset has fewer than two Parquet files below the target of \
         1 byte (4 files)\n"
    );
    let before = rows(&store, "u");
    ok(&store, &["compact", "u", "--sort-by", "b,a"]);
    assert_eq!(partition_count(&store, "u"), 1);
    assert_eq!(rows(&store, "u"), before);

    // Usage errors (clap, exit 2) for bad sizes, before the store is opened.
    for bad in ["0", "0rows", "12apples", "1.5rows", "-5", "MiB", "1.5"] {
        fails(
            &store,
            &["compact", "t", &format!("--target-size={bad}")],
            2,
            &["--target-size"],
        );
    }
    fails(
        &store,
        &["compact", "t", "--target-size", "0"],
        2,
        &["above 0"],
    );
    fails(
        &store,
        &["compact", "t", "--where", "q == 'a'", "--predicates", "[]"],
        2,
        &[],
    );
    // Invalid input (exit 5): a predicate on a column that is not a partition key, unknown
    // columns, predicate errors.
    let untouched = snapshot(&store);
    fails(
        &store,
        &["compact", "t", "--where", "id == 900"],
        5,
        &["partition keys", "id"],
    );
    fails(
        &store,
        &["compact", "t", "--where", "p == 1 and s == 'x'"],
        5,
        &["partition keys"],
    );
    fails(&store, &["compact", "t", "--where", "zz == 1"], 5, &["zz"]);
    fails(
        &store,
        &["compact", "t", "--where", "p == 'x'"],
        5,
        &["`p`"],
    );
    fails(&store, &["compact", "t", "--where", "p =="], 5, &["parse"]);
    fails(&store, &["compact", "t", "--sort-by", "zz"], 5, &["zz"]);
    fails(
        &store,
        &["compact", "t", "--sort-by", "id,"],
        5,
        &["--sort-by", "empty column name"],
    );
    // Missing datasets (exit 3), bad uuids (exit 5).
    fails(&store, &["compact", "nope"], 3, &["`nope`"]);
    fails(&store, &["compact", "a/b", "--dry-run"], 5, &["`a/b`"]);
    fails(&dir.path().join("no-store"), &["compact", "t"], 3, &["`t`"]);
    assert_eq!(snapshot(&store), untouched);
}

#[test]
fn compact_keeps_delete_scope_columns_apart() {
    let (_dir, store) = grown_dataset();
    let before = snapshot(&store);
    // Every file holds its own ids: with `id` kept apart, nothing may merge.
    let (stdout, stderr) = ok(&store, &["compact", "t", "--delete-scope-columns", "id"]);
    assert_eq!(plan(&stdout).len(), 0, "{stdout}");
    assert!(stderr.contains("nothing to merge"), "{stderr}");
    assert_eq!(snapshot(&store), before, "the store is unchanged");
    // Partition keys may be named; they never mix anyway.
    let (stdout, _) = ok(
        &store,
        &["compact", "t", "--delete-scope-columns", "p,q", "--dry-run"],
    );
    assert!(!plan(&stdout).is_empty(), "{stdout}");
    fails(
        &store,
        &["compact", "t", "--delete-scope-columns", "s"],
        5,
        &["`s` has no secondary index"],
    );
    fails(
        &store,
        &["compact", "t", "--delete-scope-columns", "id,"],
        5,
        &["--delete-scope-columns", "empty column name"],
    );
    assert_eq!(snapshot(&store), before, "the store is unchanged");
}
