#![allow(clippy::unwrap_used)]
//! The SQL suite on two in-process datafusion-distributed workers: every answer equals the
//! single-node one.

mod common;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use common::{rows, store, QUERIES};
use datafusion::prelude::{SessionConfig, SessionContext};
use plateau_datafusion::distributed::{distributed_session, serve_worker};
use plateau_datafusion::{session_of, PlateauSchema};
use url::Url;

/// A free port on 127.0.0.1 (taken again by the worker right after).
fn free_address() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

async fn answer(ctx: &SessionContext, query: &str) -> Vec<String> {
    let batches = ctx.sql(query).await.unwrap().collect().await.unwrap();
    rows(&batches)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_answer_the_same_on_two_workers() {
    let store = store();
    let mut urls = Vec::new();
    for _ in 0..2 {
        let addr = free_address();
        tokio::spawn(serve_worker(store.clone(), addr));
        urls.push(Url::parse(&format!("http://{addr}")).unwrap());
    }
    // Wait until both servers accept connections.
    for url in &urls {
        let addr = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
        for attempt in 0..100 {
            if tokio::net::TcpStream::connect(&addr).await.is_ok() {
                break;
            }
            assert!(attempt < 99, "worker {addr} did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let schema = Arc::new(PlateauSchema::try_new(store.clone()).await.unwrap());
    let single = session_of(Arc::clone(&schema), SessionConfig::new()).unwrap();
    let config = SessionConfig::new().with_target_partitions(4);
    let distributed = distributed_session(Arc::clone(&schema), urls, config).unwrap();
    let plan = distributed
        .sql("SELECT region, count(*) FROM sales GROUP BY region")
        .await
        .unwrap()
        .create_physical_plan()
        .await
        .unwrap();
    let text = datafusion_distributed::display_plan_ascii(plan.as_ref(), false);
    assert!(text.contains("Stage"), "the plan is distributed: {text}");
    for query in QUERIES.iter().filter(|q| !q.starts_with("INSERT")) {
        assert_eq!(
            answer(&distributed, query).await,
            answer(&single, query).await,
            "{query}"
        );
    }
}
