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
