//! A corpus of bad command lines, bad input files and corrupt stores for the `plateau`
//! binary.
//!
//! Every case runs on a fresh copy of a small store and must fail with its documented exit
//! code and exactly one stderr line `plateau: error: ...` naming the offending thing (uuid,
//! column, file, option), must not panic, and must leave the store byte for byte as it was
//! (every path, file content and symlink under the store root). Usage errors that clap
//! reports itself (exit code 2) may take several lines; for those only the exit code and
//! the absence of a panic are checked.
//!
//! All cases run; the test prints every failing case with what differed and fails once at
//! the end with the list of their names.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

/// How a case's store is made.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Fixture {
    /// A copy of the template store: dataset `t` (JSON metadata, partitioned on `b`, index
    /// on `a`, columns a: int, b: string, c: float, d: date) and dataset `m` (msgpack
    /// metadata, partitioned on `b`, no index).
    Datasets,
    /// A store path that does not exist (and must not exist afterwards).
    Missing,
    /// A store path that is a regular file.
    RegularFile,
}

/// A change to the fresh store before the command runs; returns the name of what it broke
/// (the store key), which the expected message may refer to as `{target}`.
type Corrupt = fn(&Path) -> String;

/// A case on a corrupt store: what is broken, how, the command, exit code and needles.
type CorruptCase = (
    &'static str,
    Corrupt,
    &'static [&'static str],
    i32,
    &'static [&'static str],
);

/// One bad invocation.
struct Case {
    /// A unique name, printed when the case fails.
    name: &'static str,
    fixture: Fixture,
    corrupt: Option<Corrupt>,
    /// The `--store` argument; `{store}` is the store's path. Default: the path.
    store_arg: Option<&'static str>,
    /// The command line after `--store`; `{in}` is the directory of the input files and
    /// `{store}` the store's path.
    args: Vec<String>,
    /// The expected exit code.
    code: i32,
    /// Strings the one error line must contain (`{target}`, `{in}` and `{store}` expanded).
    needles: Vec<&'static str>,
    /// A usage error clap reports itself (possibly several lines).
    clap: bool,
}

fn case(name: &'static str, args: &[&str], code: i32, needles: &[&'static str]) -> Case {
    Case {
        name,
        fixture: Fixture::Datasets,
        corrupt: None,
        store_arg: None,
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        code,
        needles: needles.to_vec(),
        clap: false,
    }
}

impl Case {
    fn corrupt(mut self, corrupt: Corrupt) -> Self {
        self.corrupt = Some(corrupt);
        self
    }

    fn fixture(mut self, fixture: Fixture) -> Self {
        self.fixture = fixture;
        self
    }

    fn store_arg(mut self, store: &'static str) -> Self {
        self.store_arg = Some(store);
        self
    }

    fn clap(mut self) -> Self {
        self.clap = true;
        self
    }
}

// ---------------------------------------------------------------------------------------
// The store: template, copies, hashes.

const DATASET_CSV: &str = "a,b,c,d\n1,x,1.5,2020-01-01\n2,y,2.5,2021-01-01\n3,x,3.5,2022-01-01\n";

fn plateau(store: &str, args: &[String], cwd: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_plateau"))
        .current_dir(cwd)
        .arg("--store")
        .arg(store)
        .args(args)
        .env_remove("PLATEAU_STORE")
        .env_remove("PLATEAU_THREADS")
        .output()
        .unwrap()
}

/// The template store and the input files, made once with the CLI itself.
fn template(root: &Path) -> (PathBuf, PathBuf) {
    let inputs = root.join("inputs");
    std::fs::create_dir_all(&inputs).unwrap();
    write_inputs(&inputs);
    let store = root.join("template");
    let store_arg = store.to_str().unwrap().to_owned();
    let input = inputs.join("good.csv").to_str().unwrap().to_owned();
    for args in [
        vec!["write", "t", &input, "--partition-on", "b", "--index", "a"],
        vec![
            "write",
            "m",
            &input,
            "--partition-on",
            "b",
            "--metadata-format",
            "msgpack",
        ],
    ] {
        let args: Vec<String> = args.into_iter().map(str::to_owned).collect();
        let output = plateau(&store_arg, &args, root);
        assert!(
            output.status.success(),
            "template {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    (store, inputs)
}

fn parquet_bytes(batch: &arrow::array::RecordBatch) -> Vec<u8> {
    let mut buffer = Vec::new();
    let mut writer =
        parquet::arrow::ArrowWriter::try_new(&mut buffer, batch.schema(), None).unwrap();
    writer.write(batch).unwrap();
    writer.close().unwrap();
    buffer
}

/// A Parquet file of a schema unrelated to the dataset's.
fn other_schema_parquet() -> Vec<u8> {
    use arrow::array::{ArrayRef, RecordBatch, StringArray};
    let batch = RecordBatch::try_from_iter([(
        "zzz",
        Arc::new(StringArray::from(vec!["p", "q"])) as ArrayRef,
    )])
    .unwrap();
    parquet_bytes(&batch)
}

fn write_inputs(dir: &Path) {
    let files: &[(&str, &[u8])] = &[
        ("good.csv", DATASET_CSV.as_bytes()),
        (
            "nulls.csv",
            b"a,b,c,d\n1,,1.5,2020-01-01\n2,y,2.5,2021-01-01\n",
        ),
        ("ragged.csv", b"a,b,c,d\n1,x,1.5,2020-01-01\n2,y\n"),
        ("empty.csv", b""),
        ("empty.jsonl", b""),
        ("empty.parquet", b""),
        (
            "mixed.jsonl",
            b"{\"a\": 1, \"b\": \"x\"}\n{\"a\": \"one\", \"b\": \"y\"}\n",
        ),
        (
            "boolnum.jsonl",
            b"{\"a\": true, \"b\": \"x\"}\n{\"a\": 2, \"b\": \"y\"}\n",
        ),
        ("notobject.jsonl", b"[1, 2]\n"),
        ("broken.jsonl", b"{\"a\": 1, \"b\": \"x\"}\n{\"a\": \n"),
        ("data.txt", b"a,b\n1,x\n"),
        ("garbage.parquet", b"this is not a parquet file"),
        ("truncated.parquet", b"PAR1\x15\x00"),
        ("strings.csv", b"a,b,c,d\nnot-a-number,x,1.5,2020-01-01\n"),
        ("nob.csv", b"a,c,d\n1,1.5,2020-01-01\n"),
        ("extra.csv", b"a,b,c,d,e\n1,x,1.5,2020-01-01,9\n"),
        ("other_b.csv", b"zzz,b\nq,x\n"),
        ("dotdot.csv", b"a,..\n1,x\n2,y\n"),
        ("badutf8.csv", b"a,b\n1,\xff\xfe\n"),
    ];
    for (name, content) in files {
        std::fs::write(dir.join(name), content).unwrap();
    }
    std::fs::write(dir.join("other.parquet"), other_schema_parquet()).unwrap();
    std::fs::write(dir.join("corrupt-pages.parquet"), corrupt_pages_parquet()).unwrap();
    std::fs::create_dir_all(dir.join("adir.csv")).unwrap();
}

/// A Parquet file with a valid footer whose pages make the parquet crate's decoder panic
/// (found by the `data_file_read` fuzz target).
fn corrupt_pages_parquet() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fuzz/regressions/data_file_read/rle_vlq_too_long"
    );
    std::fs::read(path).unwrap()
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let kind = entry.file_type().unwrap();
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Makes every file under `root` two hours old: older than gc's default minimum age, so
/// that a gc which wrongly goes ahead really deletes files.
fn age(root: &Path) {
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 3600);
    for entry in std::fs::read_dir(root).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            age(&path);
        } else {
            let file = std::fs::File::options().write(true).open(&path).unwrap();
            file.set_modified(old).unwrap();
        }
    }
}

/// Every path under `root` (not following symlinks) with its content: file bytes, a
/// symlink's target, or a marker for directories.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let entry = entry.unwrap();
            let path = entry.path();
            let relative = path.strip_prefix(root).unwrap().to_owned();
            let kind = std::fs::symlink_metadata(&path).unwrap().file_type();
            if kind.is_symlink() {
                let target = std::fs::read_link(&path).unwrap();
                let mut content = b"symlink:".to_vec();
                content.extend(target.to_string_lossy().as_bytes());
                out.insert(relative, content);
            } else if kind.is_dir() {
                out.insert(relative, b"dir".to_vec());
                walk(root, &path, out);
            } else {
                out.insert(relative, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    match std::fs::symlink_metadata(root) {
        Ok(meta) if meta.is_dir() => walk(root, root, &mut out),
        Ok(_) => {
            out.insert(PathBuf::new(), std::fs::read(root).unwrap_or_default());
        }
        Err(_) => {}
    }
    out
}

/// What differs between two snapshots, briefly.
fn diff(before: &BTreeMap<PathBuf, Vec<u8>>, after: &BTreeMap<PathBuf, Vec<u8>>) -> String {
    let mut lines = Vec::new();
    for (path, content) in before {
        match after.get(path) {
            None => lines.push(format!("removed {}", path.display())),
            Some(now) if now != content => lines.push(format!("changed {}", path.display())),
            Some(_) => {}
        }
    }
    for path in after.keys() {
        if !before.contains_key(path) {
            lines.push(format!("added {}", path.display()));
        }
    }
    lines.join(", ")
}

// ---------------------------------------------------------------------------------------
// Corruptions. Each returns the store key of what it broke.

/// The only file under `dir` (relative to the store), by walking.
fn first_file(store: &Path, dir: &str, suffix: &str) -> String {
    let mut stack = vec![store.join(dir)];
    let mut found = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.to_string_lossy().ends_with(suffix) {
                found.push(path);
            }
        }
    }
    found.sort();
    let path = found
        .first()
        .unwrap_or_else(|| panic!("no {suffix} under {dir:?}"));
    path.strip_prefix(store)
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

const META: &str = "t.by-dataset-metadata.json";
const MSGPACK: &str = "m.by-dataset-metadata.msgpack.zstd";
const COMMON: &str = "t/table/_common_metadata";

fn index_key(store: &Path) -> String {
    first_file(store, "t/indices/a", ".by-dataset-index.parquet")
}

/// The data file of partition `b=x` of `t`.
fn data_key(store: &Path) -> String {
    first_file(store, "t/table/b=x", ".parquet")
}

fn truncate(store: &Path, key: &str) -> String {
    let path = store.join(key);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    key.to_owned()
}

fn replace(store: &Path, key: &str, content: &[u8]) -> String {
    std::fs::write(store.join(key), content).unwrap();
    key.to_owned()
}

/// Edits the JSON metadata of `t`.
fn edit_metadata(store: &Path, edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let path = store.join(META);
    let mut value: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    edit(&mut value);
    std::fs::write(&path, serde_json::to_vec(&value).unwrap()).unwrap();
    META.to_owned()
}

fn metadata_truncated(store: &Path) -> String {
    truncate(store, META)
}

fn metadata_garbage(store: &Path) -> String {
    replace(store, META, b"\x00\x01 this is not JSON")
}

fn metadata_empty(store: &Path) -> String {
    replace(store, META, b"")
}

fn metadata_array(store: &Path) -> String {
    replace(store, META, b"[1, 2, 3]")
}

fn metadata_partitions_wrong_type(store: &Path) -> String {
    edit_metadata(store, |m| m["partitions"] = serde_json::json!(5))
}

fn metadata_version_wrong_type(store: &Path) -> String {
    edit_metadata(store, |m| {
        m["dataset_metadata_version"] = serde_json::json!("four")
    })
}

fn metadata_files_wrong_type(store: &Path) -> String {
    edit_metadata(store, |m| {
        for partition in m["partitions"].as_object_mut().unwrap().values_mut() {
            partition["files"] = serde_json::json!(["not", "a", "map"]);
        }
    })
}

fn metadata_partition_keys_wrong_type(store: &Path) -> String {
    edit_metadata(store, |m| m["partition_keys"] = serde_json::json!("b"))
}

/// A partition whose file key climbs out of the dataset (and the store).
fn metadata_dotdot_key(store: &Path) -> String {
    edit_metadata(store, |m| {
        let partitions = m["partitions"].as_object_mut().unwrap();
        let first = partitions.values_mut().next().unwrap();
        let files = first["files"].as_object_mut().unwrap();
        for file in files.values_mut() {
            *file = serde_json::json!("../../outside.parquet");
        }
    });
    "../../outside.parquet".to_owned()
}

fn msgpack_garbage(store: &Path) -> String {
    replace(
        store,
        MSGPACK,
        b"\x28\xb5\x2f\xfd garbage after a zstd magic",
    )
}

fn msgpack_truncated(store: &Path) -> String {
    truncate(store, MSGPACK)
}

fn msgpack_not_zstd(store: &Path) -> String {
    replace(store, MSGPACK, b"plain bytes, no zstd frame")
}

fn index_garbage(store: &Path) -> String {
    let key = index_key(store);
    replace(store, &key, b"not an index file")
}

fn index_truncated(store: &Path) -> String {
    let key = index_key(store);
    truncate(store, &key)
}

fn index_other_schema(store: &Path) -> String {
    let key = index_key(store);
    replace(store, &key, &other_schema_parquet())
}

fn common_garbage(store: &Path) -> String {
    replace(store, COMMON, b"not a parquet footer")
}

fn common_truncated(store: &Path) -> String {
    truncate(store, COMMON)
}

fn data_garbage(store: &Path) -> String {
    let key = data_key(store);
    replace(store, &key, b"not parquet data")
}

fn data_truncated(store: &Path) -> String {
    let key = data_key(store);
    truncate(store, &key)
}

fn data_other_schema(store: &Path) -> String {
    let key = data_key(store);
    replace(store, &key, &other_schema_parquet())
}

fn data_corrupt_pages(store: &Path) -> String {
    let key = data_key(store);
    replace(store, &key, &corrupt_pages_parquet())
}

fn data_missing(store: &Path) -> String {
    let key = data_key(store);
    std::fs::remove_file(store.join(&key)).unwrap();
    key
}

// ---------------------------------------------------------------------------------------
// The cases.

#[rustfmt::skip]
fn cases() -> Vec<Case> {
    let long_uuid: &'static str = Box::leak("u".repeat(300).into_boxed_str());
    let mut cases = vec![
        // Bad uuids: refused before anything is read or written.
        case("uuid dot-dot read", &["read", "../x"], 5, &["`../x`"]),
        case("uuid slash read", &["read", "a/b"], 5, &["`a/b`"]),
        case("uuid empty read", &["read", ""], 5, &["uuid ``"]),
        case("uuid dot info", &["info", "."], 5, &["`.`"]),
        case("uuid dot-dot write", &["write", "../evil", "{in}/good.csv"], 5, &["`../evil`"]),
        case("uuid slash write", &["write", "a/b", "{in}/good.csv"], 5, &["`a/b`"]),
        case("uuid control char write", &["write", "x\u{1}y", "{in}/good.csv"], 5, &["`x\\u{1}y`"]),
        case("uuid newline read", &["read", "a\nb"], 5, &["invalid dataset uuid"]),
        case("uuid carriage return delete", &["delete", "t\r"], 5, &["`t\\r`"]),
        case("uuid unicode info", &["info", "dätä"], 5, &["`dätä`"]),
        case("uuid space schema", &["schema", "t "], 5, &["`t `"]),
        case("uuid dot-dot delete", &["delete", ".."], 5, &["`..`"]),
        case("uuid slash gc", &["gc", "t/table"], 5, &["`t/table`"]),
        case("uuid dot-dot update", &["update", "../t", "{in}/good.csv"], 5, &["`../t`"]),
        case("uuid slash build-index", &["build-index", "t/x", "a"], 5, &["`t/x`"]),
        case("uuid slash compact", &["compact", "t/x", "--dry-run"], 5, &["`t/x`"]),
        case("uuid long write", &["write", long_uuid, "{in}/good.csv"], 5, &[long_uuid]),
        case("uuid long read", &["read", long_uuid], 5, &[long_uuid]),
        // Missing datasets, for every command that needs one.
        case("missing info", &["info", "nope"], 3, &["`nope`"]),
        case("missing schema", &["schema", "nope"], 3, &["`nope`"]),
        case("missing index", &["index", "nope", "a"], 3, &["`nope`"]),
        case("missing partitions", &["partitions", "nope"], 3, &["`nope`"]),
        case("missing read", &["read", "nope"], 3, &["`nope`"]),
        case("missing update append", &["update", "nope", "{in}/good.csv"], 3, &["`nope`"]),
        case("missing update delete", &["update", "nope", "--delete-scope", "b=x"], 3, &["`nope`"]),
        case("missing build-index", &["build-index", "nope", "a"], 3, &["`nope`"]),
        case("missing gc", &["gc", "nope"], 3, &["`nope`"]),
        case("missing stats", &["stats", "nope"], 3, &["`nope`"]),
        case("missing check", &["check", "nope"], 3, &["`nope`"]),
        case("missing delete", &["delete", "nope"], 3, &["`nope`"]),
        case("missing compact", &["compact", "nope"], 3, &["`nope`"]),
        // Bad predicates.
        case("predicate syntax", &["read", "t", "--where", "a =="], 5, &["cannot parse predicate"]),
        case("predicate dangling and", &["read", "t", "--where", "a == 1 and"], 5, &["cannot parse predicate"]),
        case("predicate unknown column", &["read", "t", "--where", "zz == 1"], 5, &["zz"]),
        case("predicate unknown column partitions", &["partitions", "t", "--where", "zz == 1"], 5, &["zz"]),
        case("predicate type mismatch int", &["read", "t", "--where", "a == 'x'"], 5, &["`a`"]),
        case("predicate type mismatch float", &["read", "t", "--where", "c == 'abc'"], 5, &["`c`", "abc"]),
        case("predicate bad date", &["partitions", "t", "--where", "d >= 'soon'"], 5, &["`d`", "soon"]),
        case("predicate null with <", &["read", "t", "--where", "a < null"], 5, &["null"]),
        case("predicate list with ==", &["read", "t", "--where", "a == (1, 2)"], 5, &["`(`"]),
        case("predicate mixed list", &["read", "t", "--where", "a in (1, 'x')"], 5, &["`a`", "'x'"]),
        case("predicate null with >= names the column", &["partitions", "t", "--where", "c >= null"], 5, &["`c`"]),
        case("predicate json not json", &["read", "t", "--predicates", "not json"], 5, &["not valid JSON"]),
        case("predicate json short literal", &["read", "t", "--predicates", r#"[[["a"]]]"#], 5, &[r#"["a"]"#]),
        case("predicate json unknown op", &["read", "t", "--predicates", r#"[[["a", "~~", 1]]]"#], 5, &["~~"]),
        case("predicate json empty", &["read", "t", "--predicates", "[]"], 5, &["empty predicates"]),
        case("predicate json empty conjunction", &["read", "t", "--predicates", "[[]]"], 5, &["conjunction 0 is empty"]),
        case("predicate json unknown column stats", &["stats", "t", "--predicates", r#"[[["zz", "==", 1]]]"#], 5, &["zz"]),
        case("predicate json type mismatch", &["partitions", "t", "--predicates", r#"[[["b", "==", 1]]]"#], 5, &["`b`"]),
        // Bad --columns.
        case("columns unknown", &["read", "t", "--columns", "zz"], 5, &["zz"]),
        case("columns one unknown", &["read", "t", "--columns", "a,zz"], 5, &["zz"]),
        case("columns empty name", &["read", "t", "--columns", ""], 5, &["--columns"]),
        // Bad --partition-on / --index / --sort-by / --bucket-by.
        case("partition-on unknown", &["write", "u", "{in}/good.csv", "--partition-on", "zz"], 5, &["zz"]),
        case("partition-on with nulls", &["write", "u", "{in}/nulls.csv", "--partition-on", "b"], 5, &["`b`", "nulls.csv"]),
        case("index unknown", &["write", "u", "{in}/good.csv", "--index", "zz"], 5, &["zz"]),
        case("index on partition column", &[ "write", "u", "{in}/good.csv", "--partition-on", "b", "--index", "b", ], 5, &["'b'"]),
        case("index on dot-dot column", &["write", "u", "{in}/dotdot.csv", "--index", ".."], 5, &[".."]),
        case("sort-by unknown", &["write", "u", "{in}/good.csv", "--sort-by", "zz"], 5, &["zz"]),
        case("bucket-by unknown", &[ "write", "u", "{in}/good.csv", "--num-buckets", "2", "--bucket-by", "zz", ], 5, &["zz"]),
        case("build-index partition column", &["build-index", "t", "b"], 5, &["'b'"]),
        case("build-index unknown column", &["build-index", "t", "zz"], 5, &["zz"]),
        case("update index unknown", &["update", "t", "{in}/good.csv", "--index", "zz"], 5, &["zz"]),
        case("compact where non-partition column", &["compact", "t", "--where", "a == 1"], 5, &["partition keys", "a"]),
        case("compact where unknown column", &["compact", "t", "--where", "zz == 1"], 5, &["zz"]),
        case("compact where type mismatch", &["compact", "t", "--where", "b == 1"], 5, &["`b`"]),
        case("compact sort-by unknown", &["compact", "t", "--sort-by", "zz"], 5, &["zz"]),
        case("compact sort-by empty name", &["compact", "t", "--sort-by", ","], 5, &["--sort-by"]),
        case("index command unindexed column", &["index", "t", "c"], 5, &["`c`"]),
        // Bad input files.
        case("input missing", &["write", "u", "{in}/missing.csv"], 5, &["missing.csv"]),
        case("input empty csv", &["write", "u", "{in}/empty.csv"], 5, &["empty.csv"]),
        case("input empty jsonl", &["write", "u", "{in}/empty.jsonl"], 5, &["empty.jsonl"]),
        case("input empty parquet", &["write", "u", "{in}/empty.parquet"], 5, &["empty.parquet"]),
        case("input ragged csv", &["write", "u", "{in}/ragged.csv"], 5, &["ragged.csv"]),
        case("input jsonl int and string", &["write", "u", "{in}/mixed.jsonl"], 5, &["mixed.jsonl", "`a`", "line 2"]),
        case("input jsonl bool and int", &["write", "u", "{in}/boolnum.jsonl"], 5, &["boolnum.jsonl", "`a`", "line 2"]),
        case("input jsonl not an object", &["write", "u", "{in}/notobject.jsonl"], 5, &["notobject.jsonl", "line 1"]),
        case("input jsonl broken line", &["write", "u", "{in}/broken.jsonl"], 5, &["broken.jsonl", "line 2"]),
        case("input unknown extension", &["write", "u", "{in}/data.txt"], 5, &["data.txt"]),
        case("input parquet garbage", &["write", "u", "{in}/garbage.parquet"], 5, &["garbage.parquet"]),
        case("input parquet corrupt pages", &["write", "u", "{in}/corrupt-pages.parquet"], 5, &["corrupt-pages.parquet"]),
        case("input parquet truncated", &["write", "u", "{in}/truncated.parquet"], 5, &["truncated.parquet"]),
        case("input is a directory", &["write", "u", "{in}/adir.csv"], 5, &["adir.csv"]),
        case("input invalid utf-8 csv", &["write", "u", "{in}/badutf8.csv"], 5, &["badutf8.csv"]),
        case("input forced format mismatch", &["write", "u", "{in}/good.csv", "--input-format", "parquet"], 5, &["good.csv"]),
        case("update incompatible type", &["update", "t", "{in}/strings.csv"], 5, &["`a`"]),
        case("update other schema", &["update", "t", "{in}/other.parquet"], 5, &["missing: b"]),
        case("update other schema with partition column", &["update", "t", "{in}/other_b.csv"], 5, &["`a`"]),
        case("update extra column", &["update", "t", "{in}/extra.csv"], 5, &["e"]),
        case("update missing partition column", &["update", "t", "{in}/nob.csv"], 5, &["missing: b"]),
        case("update partition nulls", &["update", "t", "{in}/nulls.csv"], 5, &["`b`", "nulls.csv"]),
        case("update second input bad", &["update", "t", "{in}/good.csv", "{in}/garbage.parquet"], 5, &["garbage.parquet"]),
        case("update metadata without =", &["update", "t", "--metadata", "novalue"], 5, &["--metadata", "novalue"]),
        // Bad store paths.
        case("store missing read", &["read", "t"], 3, &["`t`", "missing-store"]).fixture(Fixture::Missing),
        case("store missing list", &["list"], 3, &["missing-store"]).fixture(Fixture::Missing),
        case("store missing gc", &["gc", "t"], 3, &["`t`"]).fixture(Fixture::Missing),
        case("store missing delete", &["delete", "t"], 3, &["`t`"]).fixture(Fixture::Missing),
        case("store missing compact", &["compact", "t"], 3, &["`t`"]).fixture(Fixture::Missing),
        case("store regular file read", &["read", "t"], 1, &["file-store", "not a directory"]).fixture(Fixture::RegularFile),
        case("store regular file list", &["list"], 1, &["file-store"])
            .fixture(Fixture::RegularFile),
        case("store regular file write", &["write", "u", "{in}/good.csv"], 1, &["file-store"]).fixture(Fixture::RegularFile),
        case("store unknown scheme", &["list"], 5, &["ftp"]).store_arg("ftp://example.com/x"),
        case("store file url missing", &["read", "t"], 3, &["`t`"])
            .fixture(Fixture::Missing)
            .store_arg("file://{store}"),
        // Bad options.
        case("threads zero", &["--threads", "0", "read", "t"], 2, &["--threads"]),
        case("threads huge", &["--threads", "100000", "read", "t"], 2, &["--threads", "256"]),
        case("threads negative", &["--threads", "-1", "read", "t"], 2, &[]).clap(),
        case("limit negative", &["read", "t", "--limit", "-1"], 2, &[]).clap(),
        case("row-group-size zero", &["write", "u", "{in}/good.csv", "--row-group-size", "0"], 2, &["--row-group-size"]),
        case("num-buckets zero", &["write", "u", "{in}/good.csv", "--num-buckets", "0"], 2, &["--num-buckets"]),
        case("update num-buckets zero", &["update", "t", "{in}/good.csv", "--num-buckets", "0"], 2, &["--num-buckets"]),
        case("compact target-size zero", &["compact", "t", "--target-size", "0"], 2, &[]).clap(),
        case("compact target-size unknown unit", &["compact", "t", "--target-size", "5 parsecs"], 2, &[]).clap(),
        case("compact target-size fractional rows", &["compact", "t", "--target-size", "1.5rows"], 2, &[]).clap(),
        case("compression unknown", &["write", "u", "{in}/good.csv", "--compression", "lz9"], 2, &[]).clap(),
        case("format unknown", &["read", "t", "--format", "xml"], 2, &[]).clap(),
        case("option unknown", &["read", "t", "--bogus"], 2, &[]).clap(),
        case("write without inputs", &["write", "u"], 2, &[]).clap(),
        case("where and predicates", &["read", "t", "--where", "a == 1", "--predicates", "[]"], 2, &[]).clap(),
        case("bucket-by without num-buckets", &["write", "u", "{in}/good.csv", "--bucket-by", "a"], 2, &[]).clap(),
        // Bad delete scopes.
        case("scope unknown column", &["update", "t", "--delete-scope", "zz=1"], 5, &["zz"]),
        case("scope non-partition column", &["update", "t", "--delete-scope", "c=1.5"], 5, &["`c`"]),
        case("scope bad value type", &["update", "t", "--delete-scope", "a=notanumber"], 5, &["`a`", "notanumber"]),
        case("scope without =", &["update", "t", "--delete-scope", "b"], 5, &["column=value"]),
        case("scope empty", &["update", "t", "--delete-scope", ""], 5, &["delete scope"]),
        case("scope bad value with input", &["update", "t", "{in}/good.csv", "--delete-scope", "a=1.5"], 5, &["`a`", "1.5"]),
        // Existing datasets.
        case("write existing", &["write", "t", "{in}/good.csv"], 4, &["`t`"]),
        case("write existing msgpack", &["write", "m", "{in}/good.csv", "--partition-on", "b"], 4, &["`m`"]),
        // read --output into the store.
        case("read output metadata", &["read", "t", "-o", "{store}/t.by-dataset-metadata.json"], 5, &["--output", "t.by-dataset-metadata.json"]),
        case("read output new file in store", &["read", "t", "--format", "csv", "-o", "{store}/t/out.csv"], 5, &["--output"]),
        case("read output via file url", &["read", "t", "-o", "{store}/t/table/_common_metadata"], 5, &["--output"]).store_arg("file://{store}"),
    ];
    // Corrupt stores.
    let corrupt: Vec<CorruptCase> = vec![
        ("metadata truncated", metadata_truncated, &["read", "t"], 1, &["{target}"]),
        ("metadata truncated", metadata_truncated, &["info", "t"], 1, &["{target}"]),
        ("metadata truncated", metadata_truncated, &["update", "t", "{in}/good.csv"], 1, &["{target}"]),
        ("metadata truncated", metadata_truncated, &["gc", "t"], 1, &["{target}"]),
        ("metadata truncated", metadata_truncated, &["delete", "t"], 1, &["{target}"]),
        ("metadata truncated", metadata_truncated, &["check", "t"], 1, &["{target}"]),
        ("metadata truncated", metadata_truncated, &["build-index", "t", "c"], 1, &["{target}"]),
        ("metadata truncated", metadata_truncated, &["compact", "t"], 1, &["{target}"]),
        ("metadata truncated", metadata_truncated, &["write", "t", "{in}/good.csv"], 4, &["`t`"]),
        ("metadata garbage", metadata_garbage, &["read", "t"], 1, &["{target}"]),
        ("metadata garbage", metadata_garbage, &["schema", "t"], 1, &["{target}"]),
        ("metadata garbage", metadata_garbage, &["delete", "t"], 1, &["{target}"]),
        ("metadata empty", metadata_empty, &["info", "t"], 1, &["{target}"]),
        ("metadata array", metadata_array, &["partitions", "t"], 1, &["{target}"]),
        ("metadata partitions wrong type", metadata_partitions_wrong_type, &["read", "t"], 1, &["{target}"]),
        ("metadata partitions wrong type", metadata_partitions_wrong_type, &["update", "t", "{in}/good.csv"], 1, &["{target}"]),
        ("metadata version wrong type", metadata_version_wrong_type, &["info", "t"], 1, &["{target}"]),
        ("metadata files wrong type", metadata_files_wrong_type, &["gc", "t"], 1, &["{target}"]),
        ("metadata partition keys wrong type", metadata_partition_keys_wrong_type, &["stats", "t"], 1, &["{target}"]),
        ("metadata dot-dot file key", metadata_dotdot_key, &["read", "t"], 1, &["{target}"]),
        ("metadata dot-dot file key", metadata_dotdot_key, &["gc", "t"], 1, &["{target}"]),
        ("metadata dot-dot file key", metadata_dotdot_key, &["delete", "t"], 1, &["{target}"]),
        ("msgpack garbage", msgpack_garbage, &["read", "m"], 1, &["{target}"]),
        ("msgpack garbage", msgpack_garbage, &["gc", "m"], 1, &["{target}"]),
        ("msgpack garbage", msgpack_garbage, &["delete", "m"], 1, &["{target}"]),
        ("msgpack truncated", msgpack_truncated, &["info", "m"], 1, &["{target}"]),
        ("msgpack truncated", msgpack_truncated, &["update", "m", "{in}/good.csv"], 1, &["{target}"]),
        ("msgpack not zstd", msgpack_not_zstd, &["check", "m"], 1, &["{target}"]),
        ("index garbage", index_garbage, &["read", "t", "--where", "a == 1"], 1, &["{target}"]),
        ("index garbage", index_garbage, &["partitions", "t", "--where", "a == 1"], 1, &["{target}"]),
        ("index garbage", index_garbage, &["index", "t", "a"], 1, &["{target}"]),
        ("index garbage", index_garbage, &["info", "t", "--indices"], 1, &["{target}"]),
        ("index garbage", index_garbage, &["update", "t", "{in}/good.csv"], 1, &["{target}"]),
        ("index garbage", index_garbage, &["check", "t"], 7, &["`t`"]),
        ("index truncated", index_truncated, &["read", "t", "--where", "a == 2"], 1, &["{target}"]),
        ("index truncated", index_truncated, &["update", "t", "--delete-scope", "a=2"], 1, &["{target}"]),
        ("index other schema", index_other_schema, &["index", "t", "a", "--json"], 1, &["{target}"]),
        ("common metadata garbage", common_garbage, &["read", "t"], 1, &["{target}"]),
        ("common metadata garbage", common_garbage, &["schema", "t"], 1, &["{target}"]),
        ("common metadata garbage", common_garbage, &["update", "t", "{in}/good.csv"], 1, &["{target}"]),
        ("common metadata garbage", common_garbage, &["info", "t"], 1, &["{target}"]),
        ("common metadata garbage", common_garbage, &["compact", "t"], 1, &["{target}"]),
        ("common metadata garbage", common_garbage, &["check", "t"], 7, &["`t`"]),
        ("common metadata truncated", common_truncated, &["read", "t", "--columns", "a"], 1, &["{target}"]),
        ("common metadata truncated", common_truncated, &["build-index", "t", "c"], 1, &["{target}"]),
        ("data garbage", data_garbage, &["read", "t"], 1, &["{target}"]),
        ("data garbage", data_garbage, &["read", "t", "--where", "c > 0", "--format", "csv"], 1, &["{target}"]),
        ("data garbage", data_garbage, &["stats", "t"], 1, &["{target}"]),
        ("data garbage", data_garbage, &["build-index", "t", "c"], 1, &["{target}"]),
        ("data garbage", data_garbage, &["check", "t"], 7, &["`t`"]),
        ("data truncated", data_truncated, &["read", "t", "--format", "jsonl"], 1, &["{target}"]),
        ("data truncated", data_truncated, &["check", "t"], 7, &["`t`"]),
        ("data other schema", data_other_schema, &["read", "t"], 1, &["{target}"]),
        ("data other schema", data_other_schema, &["build-index", "t", "c"], 1, &["{target}"]),
        ("data other schema", data_other_schema, &["check", "t"], 7, &["`t`"]),
        ("data corrupt pages", data_corrupt_pages, &["read", "t"], 1, &["{target}"]),
        ("data corrupt pages", data_corrupt_pages, &["build-index", "t", "c"], 1, &["{target}"]),
        ("data corrupt pages", data_corrupt_pages, &["check", "t"], 7, &["`t`"]),
        ("data missing", data_missing, &["read", "t"], 1, &["{target}"]),
        ("data missing", data_missing, &["stats", "t"], 1, &["{target}"]),
        ("data missing", data_missing, &["compact", "t", "--dry-run"], 1, &["{target}"]),
        ("data missing", data_missing, &["build-index", "t", "c"], 1, &["{target}"]),
        ("data missing", data_missing, &["check", "t"], 7, &["`t`"]),
    ];
    for (what, corruption, args, code, needles) in corrupt {
        let name: &'static str = Box::leak(format!("{what}: {}", args.join(" ")).into_boxed_str());
        cases.push(case(name, args, code, needles).corrupt(corruption));
    }
    cases
}

// ---------------------------------------------------------------------------------------
// The runner.

/// Runs one case in `dir`; returns what differed from the expectation (empty if nothing).
fn run(case: &Case, template: &Path, inputs: &Path, dir: &Path) -> Vec<String> {
    let store = match case.fixture {
        Fixture::Datasets => {
            let store = dir.join("store");
            copy_tree(template, &store);
            store
        }
        Fixture::Missing => dir.join("missing-store"),
        Fixture::RegularFile => {
            let store = dir.join("file-store");
            std::fs::write(&store, b"a file, not a store").unwrap();
            store
        }
    };
    let target = case.corrupt.map(|c| c(&store)).unwrap_or_default();
    if case.fixture == Fixture::Datasets {
        age(&store);
    }
    let store_path = store.to_str().unwrap();
    let expand = |text: &str| {
        text.replace("{in}", inputs.to_str().unwrap())
            .replace("{store}", store_path)
            .replace("{target}", &target)
    };
    let before = snapshot(&store);
    let store_arg = case.store_arg.map_or_else(|| store_path.to_owned(), expand);
    let args: Vec<String> = case.args.iter().map(|a| expand(a)).collect();
    let output = plateau(&store_arg, &args, dir);
    let err = String::from_utf8_lossy(&output.stderr).into_owned();
    let mut problems = Vec::new();
    if output.status.code() != Some(case.code) {
        problems.push(format!(
            "exit code {:?}, expected {}",
            output.status.code(),
            case.code
        ));
    }
    if err.contains("panicked") {
        problems.push("panicked".to_owned());
    }
    let own_message = !case.clap || err.starts_with("plateau: error:");
    if own_message {
        if err.lines().count() != 1 || !err.starts_with("plateau: error: ") {
            problems.push("stderr is not one `plateau: error:` line".to_owned());
        }
        for needle in &case.needles {
            let needle = expand(needle);
            if !err.contains(&needle) {
                problems.push(format!("stderr lacks `{needle}`"));
            }
        }
    }
    let after = snapshot(&store);
    if before != after {
        problems.push(format!("store changed: {}", diff(&before, &after)));
    }
    if case.fixture == Fixture::Missing && std::fs::symlink_metadata(&store).is_ok() {
        problems.push("the missing store path was created".to_owned());
    }
    if !problems.is_empty() || std::env::var_os("PLATEAU_CORPUS_VERBOSE").is_some() {
        problems.push(format!("stderr: {}", err.trim_end().replace('\n', "\\n")));
    }
    problems
}

#[test]
fn bad_input_corpus() {
    let root = tempfile::tempdir().unwrap();
    let (template, inputs) = template(root.path());
    let cases = cases();
    assert!(cases.len() >= 80, "{} cases", cases.len());
    let mut names = std::collections::BTreeSet::new();
    for case in &cases {
        assert!(names.insert(case.name), "duplicate case name {}", case.name);
    }
    let mut failed = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let dir = root.path().join(format!("case-{i}"));
        std::fs::create_dir_all(&dir).unwrap();
        let problems = run(case, &template, &inputs, &dir);
        if problems.len() == 1 && problems[0].starts_with("stderr: ") {
            // PLATEAU_CORPUS_VERBOSE: the message of a passing case.
            println!("ok {}: {}", case.name, &problems[0][8..]);
        } else if !problems.is_empty() {
            println!("FAILED {}: {:?}", case.name, case.args);
            for problem in &problems {
                println!("    {problem}");
            }
            failed.push(case.name);
        }
        // The store copies add up; keep the temporary directory small.
        let _ = std::fs::remove_dir_all(&dir);
    }
    println!(
        "{} of {} cases passed",
        cases.len() - failed.len(),
        cases.len()
    );
    assert!(
        failed.is_empty(),
        "{} of {} cases failed:\n  {}",
        failed.len(),
        cases.len(),
        failed.join("\n  ")
    );
}
