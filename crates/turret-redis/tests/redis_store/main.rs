//! `RedisStore` against a real redis-server: sessions, stream events and the relay, each
//! test with a server of its own and usually two stores standing for two replicas.

mod server;

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use serde_json::json;
use turret_core::types::{
    ErrorCode, ErrorObject, Implementation, JsonRpcMessage, JsonRpcNotification, LoggingLevel,
    ProtocolVersion, RequestId,
};
use turret_redis::RedisStore;
use turret_transport::streamable_http::replicas::{Answer, Relay, SessionRecord, SessionStore};
use turret_transport::streamable_http::EventStore;

use server::RedisServer;

/// Fails the test rather than hanging on something that never comes.
async fn soon<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(3), future)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

async fn two_stores(server: &RedisServer) -> (Arc<RedisStore>, Arc<RedisStore>) {
    let a = RedisStore::connect(server.url()).await.unwrap();
    let b = RedisStore::connect(server.url()).await.unwrap();
    (a, b)
}

fn record() -> SessionRecord {
    SessionRecord {
        owner: Some("alice".into()),
        protocol_version: ProtocolVersion::LATEST_HANDSHAKE,
        capabilities: serde_json::from_value(
            json!({"sampling": {}, "roots": {"listChanged": true}}),
        )
        .unwrap(),
        client_info: Some(Implementation::new("client", "1.0")),
        log_level: None,
        subscriptions: BTreeSet::new(),
    }
}

fn msg(n: usize) -> JsonRpcMessage {
    JsonRpcMessage::Notification(JsonRpcNotification {
        method: format!("m{n}"),
        params: Some(serde_json::from_value(json!({"n": n, "x": 0.1})).unwrap()),
    })
}

const IDLE: Duration = Duration::from_secs(60);

#[tokio::test]
async fn redis_session_record_round_trips_and_is_removed_once() {
    let server = RedisServer::start();
    let (a, b) = two_stores(&server).await;
    let mut full = record();
    full.log_level = Some(LoggingLevel::Warning);
    full.subscriptions = ["file:///a".to_owned(), "x://b:c".to_owned()].into();
    a.create("s1", &full, IDLE).await.unwrap();
    assert_eq!(b.load("s1", IDLE).await.unwrap(), Some(full));
    assert_eq!(b.load("nope", IDLE).await.unwrap(), None);

    b.create("s2", &record(), IDLE).await.unwrap();
    b.set_log_level("s2", LoggingLevel::Debug).await.unwrap();
    a.set_subscribed("s2", "file:///z", true).await.unwrap();
    let loaded = a.load("s2", IDLE).await.unwrap().unwrap();
    assert_eq!(loaded.log_level, Some(LoggingLevel::Debug));
    assert_eq!(loaded.subscriptions, ["file:///z".to_owned()].into());

    assert!(SessionStore::remove(&*a, "s2").await.unwrap());
    assert!(!SessionStore::remove(&*b, "s2").await.unwrap());
    assert_eq!(a.load("s2", IDLE).await.unwrap(), None);
    // Changes to a session that is gone do not bring it back.
    b.set_log_level("s2", LoggingLevel::Error).await.unwrap();
    b.set_subscribed("s2", "file:///z", true).await.unwrap();
    assert_eq!(a.load("s2", IDLE).await.unwrap(), None);
}

#[tokio::test]
async fn redis_concurrent_changes_from_two_stores_are_all_kept() {
    let server = RedisServer::start();
    let (a, b) = two_stores(&server).await;
    let mut initial = record();
    initial.subscriptions = (0..10).map(|i| format!("old://{i}")).collect();
    a.create("s", &initial, IDLE).await.unwrap();

    let mut tasks = Vec::new();
    for (name, store) in [("a", &a), ("b", &b)] {
        for i in 0..25 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store
                    .set_subscribed("s", &format!("{name}://{i}"), true)
                    .await
                    .unwrap();
                if i < 5 {
                    // Both replicas unsubscribe the same old ones at once.
                    store
                        .set_subscribed("s", &format!("old://{i}"), false)
                        .await
                        .unwrap();
                }
                if i % 10 == 0 {
                    store
                        .set_log_level("s", LoggingLevel::Notice)
                        .await
                        .unwrap();
                }
            }));
        }
    }
    for task in tasks {
        task.await.unwrap();
    }
    let loaded = b.load("s", IDLE).await.unwrap().unwrap();
    let expected: BTreeSet<String> = (0..25)
        .flat_map(|i| [format!("a://{i}"), format!("b://{i}")])
        .chain((5..10).map(|i| format!("old://{i}")))
        .collect();
    assert_eq!(loaded.subscriptions, expected);
    assert_eq!(loaded.log_level, Some(LoggingLevel::Notice));
    // The handshake part is untouched by the changes.
    assert_eq!(loaded.client_info, initial.client_info);
    assert_eq!(loaded.owner.as_deref(), Some("alice"));
}

#[tokio::test]
async fn redis_sessions_expire_unless_loaded() {
    let server = RedisServer::start();
    let (a, b) = two_stores(&server).await;
    let idle = Duration::from_millis(400);
    a.create("s", &record(), idle).await.unwrap();
    a.set_subscribed("s", "file:///x", true).await.unwrap();
    // Each load, from either replica, renews the session.
    for store in [&a, &b, &a] {
        tokio::time::sleep(idle / 2).await;
        assert!(store.load("s", idle).await.unwrap().is_some());
    }
    tokio::time::sleep(idle + idle / 2).await;
    assert_eq!(b.load("s", idle).await.unwrap(), None);
    assert!(!SessionStore::remove(&*a, "s").await.unwrap());
}

#[tokio::test]
async fn redis_events_replay_after_an_id_of_their_stream() {
    let server = RedisServer::start();
    let (a, b) = two_stores(&server).await;
    // Before any event, the priming id resumes with nothing to replay.
    let empty = b.replay_after("s1_0").await.unwrap();
    assert_eq!(empty.stream, "s1");
    assert!(empty.events.is_empty());

    let mut ids = Vec::new();
    for n in 0..3 {
        let id = a.append("s1", &msg(n)).await;
        assert!(id.starts_with("s1_"), "{id}");
        ids.push(id);
    }
    a.append("s2", &msg(9)).await;

    let all = b.replay_after("s1_0").await.unwrap();
    assert_eq!(all.stream, "s1");
    assert_eq!(
        all.events,
        ids.iter().cloned().zip((0..3).map(msg)).collect::<Vec<_>>()
    );
    let later = b.replay_after(&ids[0]).await.unwrap();
    assert_eq!(later.events.len(), 2);
    assert_eq!(later.events[0], (ids[1].clone(), msg(1)));
    assert!(b.replay_after(&ids[2]).await.unwrap().events.is_empty());

    // Malformed ids, ids newer than the newest, and ids of a stream with no events.
    let entry = ids[2].rsplit_once('_').unwrap().1;
    let (ms, seq) = entry.split_once('-').unwrap();
    let newer = format!("s1_{ms}-{}", seq.parse::<u64>().unwrap() + 1);
    for unknown in [
        "garbage",
        "s1_",
        "s1_x-1",
        "s1_unstored",
        "_0",
        newer.as_str(),
        &format!("s3_{entry}"),
    ] {
        assert!(b.replay_after(unknown).await.is_none(), "{unknown}");
    }

    a.remove_stream("s1").await;
    assert!(b.replay_after(&ids[0]).await.is_none());
    assert!(b.replay_after("s1_0").await.unwrap().events.is_empty());
    assert_eq!(b.replay_after("s2_0").await.unwrap().events.len(), 1);
}

#[tokio::test]
async fn redis_events_trimmed_away_refuse_resumption() {
    let server = RedisServer::start();
    let a = RedisStore::builder(server.url())
        .max_events(10)
        .connect()
        .await
        .unwrap();
    let mut ids = Vec::new();
    for n in 0..250 {
        ids.push(a.append("s", &msg(n)).await);
    }
    // Redis trims in whole blocks (of 100 by default): the oldest are gone, the newest kept.
    assert!(a.replay_after("s_0").await.is_none());
    assert!(a.replay_after(&ids[0]).await.is_none());
    let recent = a.replay_after(&ids[240]).await.unwrap();
    assert_eq!(
        recent.events,
        ids[241..]
            .iter()
            .cloned()
            .zip((241..250).map(msg))
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn redis_events_expire_after_their_ttl() {
    let server = RedisServer::start();
    let a = RedisStore::builder(server.url())
        .event_ttl(Duration::from_millis(300))
        .connect()
        .await
        .unwrap();
    let id = a.append("s", &msg(0)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let id2 = a.append("s", &msg(1)).await; // renews the stream's life
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(a.replay_after(&id).await.unwrap().events, [(id2, msg(1))]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(a.replay_after(&id).await.is_none());
}

#[tokio::test]
async fn redis_follow_sees_events_another_store_appends() {
    let server = RedisServer::start();
    let (a, b) = two_stores(&server).await;

    // From the priming id: every event, including those appended before following began.
    let first = b.append("s", &msg(0)).await;
    let mut all = a.follow("s", Some("s_0"));
    assert_eq!(soon("event 0", all.next()).await, Some((first, msg(0))));
    // From nothing on: only the events appended after the stream was first polled.
    let mut new = a.follow("s", None);
    let writer = tokio::spawn({
        let b = b.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let mut ids = Vec::new();
            for n in 1..4 {
                ids.push(b.append("s", &msg(n)).await);
            }
            ids
        }
    });
    let next = soon("event 1", new.next()).await.unwrap();
    let ids = writer.await.unwrap();
    assert_eq!(next, (ids[0].clone(), msg(1)));
    for (n, id) in ids.iter().enumerate().skip(1) {
        assert_eq!(
            soon("a later event", new.next()).await,
            Some((id.clone(), msg(n + 1)))
        );
    }
    for (n, id) in ids.iter().enumerate() {
        assert_eq!(
            soon("a later event", all.next()).await,
            Some((id.clone(), msg(n + 1)))
        );
    }
    // After a given event: those after it.
    let mut after = b.follow("s", Some(&ids[1]));
    assert_eq!(
        soon("event 3", after.next()).await,
        Some((ids[2].clone(), msg(3)))
    );
    // An id of another stream follows nothing.
    assert_eq!(
        soon("the end", b.follow("t", Some(&ids[0])).next()).await,
        None
    );
}

/// How many clients the server has.
async fn clients(server: &RedisServer) -> usize {
    let client = redis::Client::open(server.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let list: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query_async(&mut conn)
        .await
        .unwrap();
    list.lines().count() - 1 // not this one
}

#[tokio::test]
async fn redis_follow_stops_when_dropped_or_when_the_store_is() {
    let server = RedisServer::start();
    let a = RedisStore::connect(server.url()).await.unwrap();
    let alone = clients(&server).await;
    // A follower reads on a connection of its own, closed soon after the follower is dropped
    // in the middle of a blocking read.
    let mut events = a.follow("s", None);
    let pending = tokio::time::timeout(Duration::from_millis(300), events.next()).await;
    assert!(pending.is_err(), "no events yet");
    assert_eq!(clients(&server).await, alone + 1);
    drop(events);
    soon("the follower's connection to close", async {
        while clients(&server).await > alone {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    // And every follower ends with its store.
    let mut events = a.follow("s", None);
    drop(a);
    assert_eq!(soon("the end", events.next()).await, None);
}

fn answer(n: i64) -> Answer {
    Answer {
        session: "s".into(),
        id: RequestId::Number(n),
        outcome: if n % 2 == 0 {
            Ok(json!({"action": "accept", "n": n}))
        } else {
            Err(ErrorObject::new(ErrorCode::INVALID_PARAMS, "declined"))
        },
    }
}

#[tokio::test]
async fn redis_relay_forwards_answers_to_the_replica_that_asked() {
    let server = RedisServer::start();
    let (a, b) = two_stores(&server).await;
    for node in [a.node(), b.node()] {
        assert_eq!(node.len(), 8, "{node}");
        assert!(node.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')));
    }
    assert_ne!(a.node(), b.node());

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut answers = b.answers();
    tokio::spawn(async move {
        while let Some(answer) = answers.next().await {
            let _ = tx.send(answer);
        }
    });
    // The subscription starts with the first poll: until then, forwarding fails.
    soon("B's subscription", async {
        while a.forward(b.node(), &answer(0)).await.is_err() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert_eq!(soon("answer 0", rx.recv()).await, Some(answer(0)));

    // Something that is not an answer on B's channel is skipped.
    let client = redis::Client::open(server.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let _: i64 = redis::cmd("PUBLISH")
        .arg(format!("turret:answers:{}", b.node()))
        .arg("not json")
        .query_async(&mut conn)
        .await
        .unwrap();
    a.forward(b.node(), &answer(1)).await.unwrap();
    assert_eq!(soon("answer 1", rx.recv()).await, Some(answer(1)));

    let err = a.forward("0badc0de", &answer(2)).await.unwrap_err();
    assert!(err.to_string().contains("0badc0de"), "{err}");

    // The answers end with their store, and then nothing reaches B any more.
    let b_node = b.node().to_owned();
    drop(b);
    assert_eq!(soon("the end of the answers", rx.recv()).await, None);
    soon("B's channel to close", async {
        while a.forward(&b_node, &answer(3)).await.is_ok() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn redis_liveness_follows_the_heartbeat() {
    let server = RedisServer::start();
    let connect = || {
        RedisStore::builder(server.url())
            .heartbeat(Duration::from_millis(100))
            .node_ttl(Duration::from_millis(300))
            .connect()
    };
    let a = connect().await.unwrap();
    let b = connect().await.unwrap();
    assert!(a.is_live(b.node()).await);
    assert!(b.is_live(a.node()).await);
    assert!(!a.is_live("deadbeef").await);
    // The sign of life is a key with the node ttl: it lapses if the heartbeat stops.
    let client = redis::Client::open(server.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let ttl: i64 = redis::cmd("PTTL")
        .arg(format!("turret:node:{}", a.node()))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!((1..=300).contains(&ttl), "{ttl}");
    // Still alive well past the ttl: the heartbeat renews it.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(a.is_live(b.node()).await);

    let gone = b.node().to_owned();
    drop(b);
    soon("the dropped store's death", async {
        while a.is_live(&gone).await {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn redis_connect_errors_say_what_failed() {
    let err = RedisStore::connect("not a url").await.unwrap_err();
    assert!(err.to_string().contains("invalid Redis URL"), "{err}");
    let err = RedisStore::builder("redis://127.0.0.1:1")
        .heartbeat(Duration::from_secs(3))
        .connect()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("node ttl"), "{err}");
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = RedisStore::connect(format!("redis://127.0.0.1:{closed}"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("connecting to Redis"), "{err}");
}

#[tokio::test]
async fn redis_follow_answers_and_heartbeat_survive_a_redis_restart() {
    let mut server = RedisServer::start();
    let (a, b) = two_stores(&server).await;
    let mut events = a.follow("s", Some("s_0"));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut answers = a.answers();
    tokio::spawn(async move {
        while let Some(answer) = answers.next().await {
            let _ = tx.send(answer);
        }
    });
    let forwarded = |n| {
        let b = b.clone();
        let to = a.node().to_owned();
        async move {
            while b.forward(&to, &answer(n)).await.is_err() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    soon("A's subscription", forwarded(0)).await;
    assert_eq!(soon("answer 0", rx.recv()).await, Some(answer(0)));
    let id = b.append("s", &msg(0)).await;
    assert_eq!(soon("event 0", events.next()).await, Some((id, msg(0))));

    server.restart(); // empty: Redis keeps nothing here

    let id = soon("an append after the restart", async {
        loop {
            let id = b.append("s", &msg(1)).await;
            if !id.ends_with("_unstored") {
                break id;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert_eq!(soon("event 1", events.next()).await, Some((id, msg(1))));
    soon("A's new subscription", forwarded(1)).await;
    assert_eq!(soon("answer 1", rx.recv()).await, Some(answer(1)));
    soon("B's next heartbeat", async {
        while !a.is_live(b.node()).await {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
}
