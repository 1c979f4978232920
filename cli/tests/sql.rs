//! End-to-end tests of `plateau sql` and `plateau worker` (feature `sql`).
#![cfg(feature = "sql")]
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

fn plateau(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plateau"))
        .arg("--store")
        .arg(store)
        .args(args)
        .env_remove("PLATEAU_STORE")
        .output()
        .unwrap()
}

fn ok(store: &Path, args: &[&str]) -> String {
    let output = plateau(store, args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{args:?} failed: {stderr}");
    String::from_utf8(output.stdout).unwrap()
}

fn fails(store: &Path, args: &[&str], code: i32, needle: &str) {
    let output = plateau(store, args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "{args:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains(needle), "`{needle}` not in `{stderr}`");
}

#[test]
fn sql_queries_explains_and_inserts() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    ok(&store, &["demo", "--rows", "20000"]);

    // The same count through SQL and through `read`.
    let csv = ok(
        &store,
        &[
            "sql",
            "SELECT country, count(*) AS n FROM demo GROUP BY country ORDER BY country",
            "--format",
            "csv",
        ],
    );
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "country,n");
    assert_eq!(lines.len(), 5, "{csv}");
    let de: usize = lines[1].strip_prefix("DE,").unwrap().parse().unwrap();
    let read = ok(
        &store,
        &[
            "read",
            "demo",
            "--where",
            "country == 'DE'",
            "--format",
            "csv",
        ],
    );
    assert_eq!(read.lines().count() - 1, de);

    // EXPLAIN: the plan, then what the scan pruned.
    let explain = ok(
        &store,
        &["sql", "EXPLAIN SELECT id FROM demo WHERE country = 'DE'"],
    );
    assert!(explain.contains("DataSourceExec"), "{explain}");
    assert!(explain.contains("plateau scan of `demo`"), "{explain}");
    assert!(
        explain.contains("partition-key filter (exact)"),
        "{explain}"
    );

    // jsonl and parquet to a file.
    let jsonl = ok(
        &store,
        &[
            "sql",
            "SELECT id FROM demo ORDER BY id LIMIT 3",
            "--format",
            "jsonl",
        ],
    );
    assert_eq!(jsonl.lines().count(), 3);
    let out = dir.path().join("answer.parquet");
    ok(
        &store,
        &[
            "sql",
            "SELECT id, amount FROM demo WHERE id < 10",
            "--format",
            "parquet",
            "--output",
            out.to_str().unwrap(),
        ],
    );
    assert!(std::fs::metadata(&out).unwrap().len() > 0);

    // INSERT INTO appends through plateau's commit; `read` sees the rows.
    let before = ok(
        &store,
        &["sql", "SELECT count(*) AS n FROM demo", "--format", "csv"],
    );
    let inserted = ok(
        &store,
        &[
            "sql",
            "INSERT INTO demo SELECT * FROM demo WHERE country = 'NL' AND year = 2020",
            "--format",
            "csv",
        ],
    );
    let inserted: usize = inserted.lines().nth(1).unwrap().parse().unwrap();
    assert!(inserted > 0);
    let after = ok(
        &store,
        &["sql", "SELECT count(*) AS n FROM demo", "--format", "csv"],
    );
    let count = |text: &str| -> usize { text.lines().nth(1).unwrap().parse().unwrap() };
    assert_eq!(count(&after), count(&before) + inserted);
    ok(&store, &["check", "demo"]);

    // Errors: one line, documented exit codes, nothing written.
    fails(&store, &["sql", "SELEC 1"], 5, "SQL error");
    fails(&store, &["sql", "SELECT * FROM nope"], 5, "nope");
    fails(&store, &["sql", "SELECT nope FROM demo"], 5, "nope");
    let inside = store.join("answer.csv");
    let output = plateau(
        &store,
        &["sql", "SELECT 1", "--output", inside.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(5));
}

/// A `plateau worker` process, killed when dropped.
struct WorkerProcess(std::process::Child);

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn sql_on_two_worker_processes_answers_as_one_process() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    ok(&store, &["demo", "--rows", "20000"]);
    let mut workers = Vec::new();
    let mut urls = Vec::new();
    for _ in 0..2 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_plateau"))
            .arg("--store")
            .arg(&store)
            .args(["-q", "worker", "--port", &port.to_string()])
            .env_remove("PLATEAU_STORE")
            .spawn()
            .unwrap();
        workers.push(WorkerProcess(child));
        let addr = format!("127.0.0.1:{port}");
        let started = std::time::Instant::now();
        while std::net::TcpStream::connect(&addr).is_err() {
            assert!(
                started.elapsed().as_secs() < 30,
                "worker {addr} did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        urls.push(format!("http://{addr}"));
    }
    let workers_arg = urls.join(",");
    for query in [
        "SELECT country, year, count(*) AS n, sum(CAST(round(amount * 100) AS BIGINT)) AS cents FROM demo GROUP BY country, year ORDER BY country, year",
        "SELECT id, amount FROM demo WHERE country = 'FR' AND amount > 900 ORDER BY id",
        "SELECT count(*) AS n FROM demo WHERE product = 'p7'",
    ] {
        let single = ok(&store, &["sql", query, "--format", "csv"]);
        let distributed = ok(
            &store,
            &["sql", query, "--format", "csv", "--workers", &workers_arg],
        );
        assert_eq!(distributed, single, "{query}");
        assert!(single.lines().count() > 1, "{query}: {single}");
    }
    // EXPLAIN with workers shows the distributed plan: its stages run on the workers.
    let explain = ok(
        &store,
        &[
            "sql",
            "EXPLAIN SELECT country, count(*) FROM demo GROUP BY country",
            "--workers",
            &workers_arg,
        ],
    );
    assert!(explain.contains("distributed plan:"), "{explain}");
    assert!(explain.contains("Stage"), "{explain}");
    fails(
        &store,
        &["sql", "SELECT 1", "--workers", "nope"],
        2,
        "--workers",
    );
    drop(workers);
}
