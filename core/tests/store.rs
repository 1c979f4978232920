//! The blocking store facade on the memory and local-disk backends.

use bytes::Bytes;
use plateau_core::store::ObjectVersion;
use plateau_core::{Error, Store};

fn backends() -> Vec<(Store, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().expect("tempdir");
    let local = Store::local(dir.path()).expect("local store");
    vec![(Store::memory(), None), (local, Some(dir))]
}

fn b(s: &str) -> Bytes {
    Bytes::from(s.to_owned())
}

#[test]
fn put_get_head_delete_round_trip() {
    for (store, _dir) in backends() {
        let v = store.put("a/b.txt", b("hello")).unwrap();
        assert!(v.e_tag.is_some(), "{store}: puts report an e-tag");
        assert_eq!(store.get("a/b.txt").unwrap(), b("hello"));
        assert_eq!(store.get_range("a/b.txt", 1..4).unwrap(), b("ell"));
        assert_eq!(
            store.get_ranges("a/b.txt", vec![0..1, 4..5]).unwrap(),
            vec![b("h"), b("o")]
        );
        let head = store.head("a/b.txt").unwrap();
        assert_eq!((head.key.as_str(), head.size), ("a/b.txt", 5));
        assert!(store.exists("a/b.txt").unwrap());
        store.delete("a/b.txt").unwrap();
        assert!(!store.exists("a/b.txt").unwrap());
        // Deleting a missing key is not an error.
        store.delete("a/b.txt").unwrap();
        store.delete("never/there").unwrap();
        match store.get("a/b.txt") {
            Err(Error::NotFound { key }) => assert_eq!(key, "a/b.txt"),
            other => panic!("{store}: expected NotFound, got {other:?}"),
        }
        assert!(store.get_opt("a/b.txt").unwrap().is_none());
    }
}

#[test]
fn percent_escapes_reach_the_backend_literally() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::local(dir.path()).unwrap();
    let key = "u/table/P=a%20b/x.parquet";
    store.put(key, b("data")).unwrap();
    let on_disk = dir.path().join("u/table/P=a%20b/x.parquet");
    assert!(on_disk.is_file(), "expected {} on disk", on_disk.display());
    assert!(!dir.path().join("u/table/P=a b").exists());
    assert_eq!(store.list_keys("u/").unwrap(), vec![key.to_owned()]);
    assert_eq!(store.get(key).unwrap(), b("data"));

    // Other escapes plateau produces survive too, in the memory backend as well.
    for (store, _d) in backends() {
        for key in [
            "u/table/s=%C3%B6%2Fx/1.parquet",
            "u/table/k=%25/2.parquet",
            "u/indices/c/2000-01-01T01%3A01%3A01.000001%2B00%3A00.by-dataset-index.parquet",
            "u/table/k=./3.parquet",
            "u/table/k=/4.parquet",
        ] {
            store.put(key, b("x")).unwrap();
            assert_eq!(store.get(key).unwrap(), b("x"), "{store}: {key}");
            assert!(
                store.list_keys("u/").unwrap().contains(&key.to_owned()),
                "{store}: {key}"
            );
        }
    }
}

#[test]
fn list_uses_string_prefixes_and_sorts() {
    for (store, _dir) in backends() {
        for key in [
            "u.by-dataset-metadata.json",
            "u/table/b.parquet",
            "u/table/a.parquet",
            "u_ext/table/a.parquet",
            "v/table/a.parquet",
        ] {
            store.put(key, b("x")).unwrap();
        }
        assert_eq!(
            store.list_keys("u/").unwrap(),
            vec!["u/table/a.parquet", "u/table/b.parquet"]
        );
        assert_eq!(
            store.list_keys("u").unwrap(),
            vec![
                "u.by-dataset-metadata.json",
                "u/table/a.parquet",
                "u/table/b.parquet",
                "u_ext/table/a.parquet"
            ]
        );
        assert_eq!(
            store.list_keys("u/table/b").unwrap(),
            vec!["u/table/b.parquet"]
        );
        assert_eq!(store.list_keys("").unwrap().len(), 5);
        assert!(store.list_keys("nothing/").unwrap().is_empty());
    }
}

#[test]
fn conditional_puts_report_typed_conflicts() {
    for (store, _dir) in backends() {
        let first = store.put_if_absent("m.json", b("v1")).unwrap();
        match store.put_if_absent("m.json", b("other")) {
            Err(Error::CommitConflict { key, .. }) => assert_eq!(key, "m.json"),
            other => panic!("{store}: expected a conflict, got {other:?}"),
        }
        assert_eq!(
            store.get("m.json").unwrap(),
            b("v1"),
            "{store}: nothing written"
        );

        let (_, read_version) = store.get_versioned("m.json").unwrap();
        assert_eq!(read_version.e_tag, first.e_tag);
        let second = store
            .put_if_match("m.json", b("v2"), &read_version)
            .unwrap();
        assert_eq!(store.get("m.json").unwrap(), b("v2"));

        // A writer still holding the first version loses and changes nothing.
        match store.put_if_match("m.json", b("stale"), &read_version) {
            Err(Error::CommitConflict { key, .. }) => assert_eq!(key, "m.json"),
            other => panic!("{store}: expected a conflict, got {other:?}"),
        }
        assert_eq!(store.get("m.json").unwrap(), b("v2"));
        store.put_if_match("m.json", b("v3"), &second).unwrap();
        assert_eq!(store.get("m.json").unwrap(), b("v3"));

        // Updating a missing object is a conflict as well.
        let missing = store.put_if_match("gone.json", b("x"), &ObjectVersion::default());
        assert!(
            matches!(missing, Err(Error::CommitConflict { .. })),
            "{store}: {missing:?}"
        );
        assert!(!store.exists("gone.json").unwrap());
        // The local lock directory never shows up in listings.
        assert_eq!(store.list_keys("").unwrap(), vec!["m.json"]);
    }
}

#[test]
fn concurrent_conditional_updates_have_exactly_one_winner() {
    for (store, _dir) in backends() {
        store.put("m.json", b("v0")).unwrap();
        let (_, version) = store.get_versioned("m.json").unwrap();
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let store = store.clone();
                let version = version.clone();
                std::thread::spawn(move || {
                    store.put_if_match("m.json", Bytes::from(format!("w{i}")), &version)
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let winners = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(winners, 1, "{store}: {results:?}");
        assert!(results
            .iter()
            .filter(|r| r.is_err())
            .all(|r| matches!(r, Err(Error::CommitConflict { .. }))));
    }
}

#[test]
fn blocking_calls_work_inside_a_tokio_runtime() {
    let store = Store::memory();
    for flavor in ["current_thread", "multi_thread"] {
        let rt = match flavor {
            "current_thread" => tokio::runtime::Builder::new_current_thread().build(),
            _ => tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .build(),
        }
        .unwrap();
        let store = store.clone();
        let got = rt.block_on(async move {
            store.put("k", b("v")).unwrap();
            store.get("k").unwrap()
        });
        assert_eq!(got, b("v"), "{flavor}");
    }
}

#[test]
fn urls() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("sub");
    for url in [
        root.display().to_string(),
        format!("file://{}", root.display()),
        format!("hfs://{}", root.display()),
    ] {
        let store = Store::from_url(&url).unwrap();
        store.put("k", b("v")).unwrap();
        assert!(root.join("k").is_file(), "{url}");
        std::fs::remove_file(root.join("k")).unwrap();
    }
    for url in ["memory://", "hmemory://"] {
        let store = Store::from_url(url).unwrap();
        store.put("k", b("v")).unwrap();
        assert_eq!(store.get("k").unwrap(), b("v"));
    }
    assert!(matches!(
        Store::from_url("ftp://x/y"),
        Err(Error::InvalidInput(_))
    ));
    #[cfg(not(feature = "aws"))]
    assert!(matches!(
        Store::from_url("s3://bucket/prefix"),
        Err(Error::Unsupported(_))
    ));
    assert!(matches!(
        Store::memory().get("bad//key"),
        Err(Error::InvalidInput(_))
    ));
}

#[test]
fn list_directory_lists_one_level_and_delete_many_batches() {
    let dir = tempfile::tempdir().unwrap();
    for store in [Store::memory(), Store::local(dir.path()).unwrap()] {
        for key in [
            "a.json",
            "b.json",
            "u/table/x.parquet",
            "u/indices/i.parquet",
            "v/y",
        ] {
            store.put(key, b("v")).unwrap();
        }
        let root: Vec<String> = store
            .list_directory("")
            .unwrap()
            .into_iter()
            .map(|o| o.key)
            .collect();
        assert_eq!(root, ["a.json", "b.json"]);
        let table: Vec<String> = store
            .list_directory("u/table/")
            .unwrap()
            .into_iter()
            .map(|o| o.key)
            .collect();
        assert_eq!(table, ["u/table/x.parquet"]);
        store
            .delete_many(&[
                "a.json".into(),
                "u/table/x.parquet".into(),
                "missing".into(),
            ])
            .unwrap();
        assert_eq!(
            store.list_keys("").unwrap(),
            ["b.json", "u/indices/i.parquet", "v/y"]
        );
    }
}

/// Cloud URLs open without a network round trip; option keys are checked per backend, and
/// the store's URL shows no secret. (GCS has no installable emulator that speaks the XML API
/// object_store uses, so this is its test; S3 and Azure also run the suites on servers.)
#[cfg(all(feature = "aws", feature = "azure", feature = "gcp"))]
#[test]
fn cloud_urls_and_options_open_without_a_server() {
    let opened = [
        (
            "gs://bucket/prefix",
            vec![("google_skip_signature", "true")],
        ),
        ("gs://bucket", vec![("GOOGLE_SKIP_SIGNATURE", "true")]),
        (
            "s3://bucket/p",
            vec![
                ("aws_region", "eu-west-1"),
                ("aws_endpoint", "http://127.0.0.1:1"),
            ],
        ),
        (
            "hs3://KEY:SECRET@127.0.0.1:1/bucket?is_secure=false",
            vec![],
        ),
        (
            "az://container/p",
            vec![
                ("azure_storage_account_name", "acc"),
                ("azure_skip_signature", "true"),
            ],
        ),
    ];
    for (url, options) in opened {
        let store = Store::from_url_opts(url, options.clone())
            .unwrap_or_else(|e| panic!("{url} {options:?}: {e}"));
        assert!(!store.url().contains("SECRET"), "{}", store.url());
        assert!(store.has_atomic_commits(), "{url}");
    }
    for (url, key) in [
        ("gs://bucket", "google_no_such_option"),
        ("s3://bucket", "aws_no_such_option"),
        ("az://container", "azure_no_such_option"),
    ] {
        let err = Store::from_url_opts(url, [(key, "1")]).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidInput(m) if m.contains(key)),
            "{url}: {err:?}"
        );
    }
    let store = Store::from_url_opts("s3://bucket", [("aws_conditional_put", "disabled")]).unwrap();
    assert!(!store.has_atomic_commits());
    let err = store.put("k", b("v")).unwrap_err();
    assert!(matches!(err, Error::Unsupported(_)), "{err:?}");
}

/// A backend that ignores preconditions: every put overwrites (some S3-compatible stores).
#[derive(Debug, Default)]
struct IgnoresPreconditions(object_store::memory::InMemory);

impl std::fmt::Display for IgnoresPreconditions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IgnoresPreconditions")
    }
}

#[async_trait::async_trait]
impl object_store::ObjectStore for IgnoresPreconditions {
    async fn put_opts(
        &self,
        location: &object_store::path::Path,
        payload: object_store::PutPayload,
        _opts: object_store::PutOptions,
    ) -> object_store::Result<object_store::PutResult> {
        self.0
            .put_opts(location, payload, object_store::PutOptions::default())
            .await
    }

    async fn put_multipart_opts(
        &self,
        location: &object_store::path::Path,
        opts: object_store::PutMultipartOptions,
    ) -> object_store::Result<Box<dyn object_store::MultipartUpload>> {
        self.0.put_multipart_opts(location, opts).await
    }

    async fn get_opts(
        &self,
        location: &object_store::path::Path,
        options: object_store::GetOptions,
    ) -> object_store::Result<object_store::GetResult> {
        self.0.get_opts(location, options).await
    }

    fn delete_stream(
        &self,
        locations: futures::stream::BoxStream<
            'static,
            object_store::Result<object_store::path::Path>,
        >,
    ) -> futures::stream::BoxStream<'static, object_store::Result<object_store::path::Path>> {
        self.0.delete_stream(locations)
    }

    fn list(
        &self,
        prefix: Option<&object_store::path::Path>,
    ) -> futures::stream::BoxStream<'static, object_store::Result<object_store::ObjectMeta>> {
        self.0.list(prefix)
    }

    async fn list_with_delimiter(
        &self,
        prefix: Option<&object_store::path::Path>,
    ) -> object_store::Result<object_store::ListResult> {
        self.0.list_with_delimiter(prefix).await
    }

    async fn copy_opts(
        &self,
        from: &object_store::path::Path,
        to: &object_store::path::Path,
        options: object_store::CopyOptions,
    ) -> object_store::Result<()> {
        self.0.copy_opts(from, to, options).await
    }
}

#[test]
fn the_probe_tells_stores_that_ignore_preconditions() {
    let dir = tempfile::tempdir().unwrap();
    for store in [Store::memory(), Store::local(dir.path()).unwrap()] {
        store.probe_conditional_writes().unwrap();
        assert!(
            store.list_keys("").unwrap().is_empty(),
            "the probe cleans up"
        );
    }
    let lax = Store::new(std::sync::Arc::new(IgnoresPreconditions::default()), "p");
    let err = lax.probe_conditional_writes().unwrap_err();
    assert!(
        matches!(&err, Error::Unsupported(m) if m.contains("If-None-Match")),
        "{err:?}"
    );
    assert!(lax.list_keys("").unwrap().is_empty(), "the probe cleans up");
}

#[test]
fn async_methods_run_on_the_callers_runtime_of_either_flavour() {
    for flavor in ["current_thread", "multi_thread"] {
        let rt = match flavor {
            "current_thread" => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build(),
            _ => tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build(),
        }
        .unwrap();
        for (store, _dir) in backends() {
            rt.block_on(async {
                let written = store.put_async("a/k", b("0123456789")).await.unwrap();
                let (bytes, version) = store.get_versioned_async("a/k").await.unwrap();
                assert_eq!(bytes, b("0123456789"));
                assert_eq!(version.e_tag, written.e_tag, "{store}");
                let (tail, size) = store.get_tail_async("a/k", 3).await.unwrap();
                assert_eq!((tail, size), (b("789"), 10));
                let ranges = store.get_ranges_async("a/k", &[0..2, 8..10]).await.unwrap();
                assert_eq!(ranges, vec![b("01"), b("89")]);
                assert_eq!(store.head_async("a/k").await.unwrap().size, 10);
                assert!(store.get_opt_async("a/none").await.unwrap().is_none());
            });
        }
    }
}

#[test]
fn many_objects_at_once() {
    for (store, _dir) in backends() {
        let mut uploader = plateau_core::upload::Uploader::new(&store, 4);
        for i in 0..50 {
            uploader
                .push(format!("m/f{i:02}"), Bytes::from(format!("v{i}")))
                .unwrap();
        }
        uploader.finish().unwrap();
        assert_eq!(store.list_keys("m/").unwrap().len(), 50, "{store}");
        let keys = vec!["m/f03".to_owned(), "m/nope".to_owned(), "m/f49".to_owned()];
        let found = store.get_many_opt(&keys).unwrap();
        assert_eq!(found, vec![Some(b("v3")), None, Some(b("v49"))]);
    }
}

/// The objects of `store` with the contents, sorted by key.
fn contents(store: &Store) -> Vec<(String, Bytes)> {
    store
        .list_keys("")
        .expect("test setup")
        .into_iter()
        .map(|key| {
            let bytes = store.get(&key).expect("test setup");
            (key, bytes)
        })
        .collect()
}

#[test]
fn a_prefixed_store_sees_relative_keys_and_hands_out_the_unprefixed_backend() {
    let backend: std::sync::Arc<dyn object_store::ObjectStore> =
        std::sync::Arc::new(object_store::memory::InMemory::new());
    // The whole backend, to see where the prefixed store's objects land.
    let whole = Store::new(std::sync::Arc::clone(&backend), "");
    let store = Store::new(std::sync::Arc::clone(&backend), "/base/a%20b/");
    assert_eq!(store.prefix(), "base/a%20b");

    store.put("u/k.json", b("k")).unwrap();
    store.put("u/table/x.parquet", b("x")).unwrap();
    // Neighbours that share the prefix as a string but not as whole segments, and an object
    // above it.
    whole.put("base/a%20bc/u/k.json", b("no")).unwrap();
    whole.put("base/top.json", b("no")).unwrap();

    assert_eq!(
        store.path("u/k.json").unwrap().as_ref(),
        "base/a%20b/u/k.json",
        "the prefix is joined by segments, `%` kept"
    );
    assert!(whole.exists("base/a%20b/u/k.json").unwrap());
    assert_eq!(
        store.list_keys("").unwrap(),
        ["u/k.json", "u/table/x.parquet"]
    );
    assert_eq!(store.list_keys("u/t").unwrap(), ["u/table/x.parquet"]);
    let root: Vec<String> = store
        .list_directory("u")
        .unwrap()
        .into_iter()
        .map(|o| o.key)
        .collect();
    assert_eq!(root, ["u/k.json"]);
    assert!(store.list_directory("").unwrap().is_empty());
    assert_eq!(store.head("u/k.json").unwrap().key, "u/k.json");

    // The documented contract: the unprefixed backend (or a wrapper around it) with the
    // store's prefix is the same store.
    let again = Store::new(store.object_store(), store.prefix());
    assert_eq!(contents(&again), contents(&store));
    again
        .delete_many(&["u/k.json".into(), "missing".into()])
        .unwrap();
    assert_eq!(store.list_keys("").unwrap(), ["u/table/x.parquet"]);
    assert_eq!(
        whole.list_keys("").unwrap(),
        [
            "base/a%20b/u/table/x.parquet",
            "base/a%20bc/u/k.json",
            "base/top.json"
        ]
    );
}

#[test]
fn an_invalid_prefix_fails_every_operation() {
    let store = Store::new(
        std::sync::Arc::new(object_store::memory::InMemory::new()),
        "a//b",
    );
    assert_eq!(store.prefix(), "a//b");
    assert!(matches!(store.path("k"), Err(Error::InvalidInput(_))));
    assert!(matches!(
        store.put("k", b("v")),
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(store.get("k"), Err(Error::InvalidInput(_))));
    assert!(matches!(store.list_keys(""), Err(Error::InvalidInput(_))));
    assert!(matches!(
        store.list_directory(""),
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        store.delete_many(&["k".into()]),
        Err(Error::InvalidInput(_))
    ));
}

/// Every flavour of prefix: none (memory, a local directory that exists), a key prefix on
/// memory, and a local directory that does not exist yet (a backend rooted at `/` with the
/// directory as prefix). The directory guard comes along.
fn prefixed_backends() -> Vec<(Store, tempfile::TempDir)> {
    let existing = tempfile::tempdir().expect("test setup");
    let existing_store = Store::local(existing.path()).expect("test setup");
    let missing = tempfile::tempdir().expect("test setup");
    let missing_store = Store::local(missing.path().join("not/yet")).expect("test setup");
    assert!(
        !missing.path().join("not").exists(),
        "opening creates nothing"
    );
    assert!(!missing_store.prefix().is_empty());
    let memory = Store::new(
        std::sync::Arc::new(object_store::memory::InMemory::new()),
        "p/q",
    );
    vec![
        (Store::memory(), tempfile::tempdir().expect("test setup")),
        (memory, tempfile::tempdir().expect("test setup")),
        (existing_store, existing),
        (missing_store, missing),
    ]
}

#[test]
fn escapes_spaces_and_unicode_survive_every_prefix() {
    let keys = [
        "u/table/P=a%20b/x.parquet",
        "u/table/P=a b/ü ñ 日本.parquet",
        "u/table/k=%25/2.parquet",
        "u/table/s=%C3%B6%2Fx/1.parquet",
    ];
    let mut sorted = keys.map(str::to_owned).to_vec();
    sorted.sort();
    for (store, _dir) in prefixed_backends() {
        for key in keys {
            store.put(key, Bytes::from(key.to_owned())).unwrap();
        }
        for key in keys {
            assert_eq!(store.get(key).unwrap(), key.as_bytes(), "{store}: {key}");
            assert_eq!(store.head(key).unwrap().key, key, "{store}");
        }
        assert_eq!(store.list_keys("u/").unwrap(), sorted, "{store}");
        let escaped: Vec<String> = store
            .list_directory("u/table/P=a%20b/")
            .unwrap()
            .into_iter()
            .map(|o| o.key)
            .collect();
        assert_eq!(escaped, ["u/table/P=a%20b/x.parquet"], "{store}");
        let spaced: Vec<String> = store
            .list_directory("u/table/P=a b")
            .unwrap()
            .into_iter()
            .map(|o| o.key)
            .collect();
        assert_eq!(spaced, ["u/table/P=a b/ü ñ 日本.parquet"], "{store}");
        // Through the unprefixed backend, the same objects.
        let again = Store::new(store.object_store(), store.prefix());
        assert_eq!(again.list_keys("u/").unwrap(), sorted, "{store}");
        store.delete_many(&sorted).unwrap();
        assert!(store.list_keys("").unwrap().is_empty(), "{store}");
    }

    // On disk the escape is literal and the space a space, below an unprefixed and a
    // prefixed backend alike.
    for (store, dir) in prefixed_backends().into_iter().skip(2) {
        store.put(keys[0], b("x")).unwrap();
        store.put(keys[1], b("x")).unwrap();
        let root = if store.prefix().is_empty() {
            dir.path().canonicalize().unwrap()
        } else {
            std::path::PathBuf::from(format!("/{}", store.prefix()))
        };
        assert!(root.join(keys[0]).is_file(), "{}", root.display());
        assert!(root.join(keys[1]).is_file(), "{}", root.display());
    }
}

#[test]
fn a_local_store_on_a_missing_directory_works_like_one_on_an_existing_directory() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap().join("a/b");
    let store = Store::local(&root).unwrap();
    assert!(store.list_keys("").unwrap().is_empty());
    assert!(store.list_directory("").unwrap().is_empty());
    assert!(!root.exists(), "reading creates nothing");
    assert_eq!(store.url(), format!("file://{}", root.display()));

    let first = store.put_if_absent("m.json", b("v1")).unwrap();
    assert!(root.join("m.json").is_file());
    store.put_if_match("m.json", b("v2"), &first).unwrap();
    assert!(matches!(
        store.put_if_match("m.json", b("stale"), &first),
        Err(Error::CommitConflict { .. })
    ));
    // Lock files are named after the key, not the whole backend path.
    assert!(root.join(".plateau-locks/m.json.lock").is_file());
    assert_eq!(store.list_keys("").unwrap(), ["m.json"]);
    let listed: Vec<String> = store
        .list_directory("")
        .unwrap()
        .into_iter()
        .map(|o| o.key)
        .collect();
    assert_eq!(listed, ["m.json"]);

    // The unprefixed backend is rooted at `/`; with the prefix it is the same store, and the
    // locking layer below the prefix still compares and swaps.
    let again = Store::new(store.object_store(), store.prefix());
    let (bytes, version) = again.get_versioned("m.json").unwrap();
    assert_eq!(bytes, b("v2"));
    again.put_if_match("m.json", b("v3"), &version).unwrap();
    assert!(matches!(
        again.put_if_match("m.json", b("v4"), &version),
        Err(Error::CommitConflict { .. })
    ));
    assert_eq!(store.get("m.json").unwrap(), b("v3"));

    // A store reopened on the now existing directory has no prefix and sees the same.
    let reopened = Store::local(&root).unwrap();
    assert_eq!(reopened.prefix(), "");
    assert_eq!(contents(&reopened), contents(&store));
}

#[cfg(unix)]
#[test]
fn local_stores_never_follow_symbolic_links_whatever_their_prefix() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("f.parquet"), b"outside").unwrap();
    let existing = tempfile::tempdir().unwrap();
    let missing = tempfile::tempdir().unwrap();
    for store in [
        Store::local(existing.path()).unwrap(),
        Store::local(missing.path().join("not/yet")).unwrap(),
    ] {
        store.put("u/table/own.parquet", b("own")).unwrap();
        let root = if store.prefix().is_empty() {
            existing.path().canonicalize().unwrap()
        } else {
            std::path::PathBuf::from(format!("/{}", store.prefix()))
        };
        std::os::unix::fs::symlink(outside.path(), root.join("u/link")).unwrap();
        assert_eq!(
            store.list_keys("u/").unwrap(),
            ["u/table/own.parquet"],
            "{store}"
        );
        assert!(
            store.list_directory("u/link").unwrap().is_empty(),
            "{store}"
        );
        store.delete("u/link/f.parquet").unwrap();
        store.delete_many(&["u/link/f.parquet".into()]).unwrap();
        assert!(outside.path().join("f.parquet").is_file(), "{store}");
    }
}
