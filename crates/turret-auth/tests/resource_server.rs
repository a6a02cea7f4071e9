//! The resource server end to end: a real authorization server's JWKS endpoint and a
//! protected MCP endpoint on 127.0.0.1:0, spoken to with hyper-util over TCP.

mod support;

use std::time::Duration;

use base64::Engine as _;
use http::{Request, StatusCode};
use http_body_util::Full;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use support::*;

/// The AS serving rsa1 and ec1, and the protected server trusting it.
async fn servers() -> (AuthServer, Protected) {
    let auth = AuthServer::start(vec![jwk(RSA1_JWK), jwk(EC1_JWK)]).await;
    let protected = Protected::start(&auth.issuer, &auth.jwks_url, |b| b).await;
    (auth, protected)
}

fn assert_invalid(reply: &Reply, what: &str) {
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{what}: {reply:?}");
    let challenge = reply.header("www-authenticate");
    assert!(
        challenge.starts_with("Bearer ") && challenge.contains(r#"error="invalid_token""#),
        "{what}: {challenge}"
    );
    assert!(
        challenge.contains("resource_metadata="),
        "{what}: {challenge}"
    );
    assert_eq!(reply.json()["error"], "invalid_token", "{what}");
}

#[tokio::test]
async fn no_token_is_challenged_toward_the_metadata_which_names_the_issuer() {
    let (auth, server) = servers().await;
    let client = HttpClient::default();
    let reply = client.initialize(&server.url("/mcp"), None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let metadata_url = format!(
        "http://127.0.0.1:{}/.well-known/oauth-protected-resource/mcp",
        server.addr.port()
    );
    let challenge = reply.header("www-authenticate");
    assert!(
        challenge.contains(&format!(r#"resource_metadata="{metadata_url}""#)),
        "{challenge}"
    );
    assert!(
        challenge.contains(&format!(r#"scope="{SCOPE}""#)),
        "{challenge}"
    );
    assert!(
        !challenge.contains("error="),
        "no error code without a token: {challenge}"
    );

    let metadata = client.get(&metadata_url).await;
    assert_eq!(metadata.status, StatusCode::OK);
    assert_eq!(metadata.header("content-type"), "application/json");
    let json = metadata.json();
    assert_eq!(json["resource"], server.resource);
    assert_eq!(json["authorization_servers"], json!([auth.issuer]));
    assert_eq!(json["bearer_methods_supported"], json!(["header"]));
    assert_eq!(json["scopes_supported"], json!([SCOPE, "admin"]));
    // The bare well-known path too, which clients try second.
    let bare = client
        .get(&server.url("/.well-known/oauth-protected-resource"))
        .await;
    assert_eq!(bare.json(), json);

    // Another scheme is no bearer token; a malformed bearer header is an invalid token.
    let basic = Request::post(server.url("/mcp"))
        .header("authorization", "Basic dXNlcjpwdw==")
        .body(Full::default())
        .unwrap();
    let reply = client.send(basic).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(!reply.header("www-authenticate").contains("error="));
    for bad in [
        &b"Bearer a b c"[..],
        b"Bearer \xff\xfe\xfd",
        "Bearer ".repeat(4000).as_bytes(),
    ] {
        let req = Request::post(server.url("/mcp"))
            .header("authorization", http::HeaderValue::from_bytes(bad).unwrap())
            .body(Full::default())
            .unwrap();
        assert_invalid(&client.send(req).await, "malformed header");
    }
}

#[tokio::test]
async fn tokens_that_fail_a_check_are_refused_with_401() {
    let (auth, server) = servers().await;
    let client = HttpClient::default();
    let url = server.url("/mcp");
    let good = claims(&auth.issuer, &server.resource, "alice");
    let signed = |claims: &Value| sign(Algorithm::RS256, RSA1, Some("rsa1"), claims);

    let mut other_audience = good.clone();
    other_audience["aud"] = json!(["http://127.0.0.1:1/other"]);
    let mut expired = good.clone();
    expired["exp"] = json!(now() - 3600);
    let mut wrong_issuer = good.clone();
    wrong_issuer["iss"] = json!("http://127.0.0.1:1");
    let mut no_exp = good.clone();
    no_exp.as_object_mut().unwrap().remove("exp");
    let mut not_yet = good.clone();
    not_yet["nbf"] = json!(now() + 3600);

    let tampered = {
        // The payload of a valid token swapped for one naming another subject.
        let token = signed(&good);
        let parts: Vec<&str> = token.split('.').collect();
        let mut evil = good.clone();
        evil["sub"] = json!("mallory");
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(serde_json::to_vec(&evil).unwrap());
        format!("{}.{payload}.{}", parts[0], parts[2])
    };
    let alg_none = {
        let b64 = |v: Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(&v).unwrap())
        };
        format!(
            "{}.{}.",
            b64(json!({"alg": "none", "typ": "JWT", "kid": "rsa1"})),
            b64(good.clone())
        )
    };
    let hs256_with_public_key = {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("rsa1".into());
        let key = EncodingKey::from_secret(RSA1_PUB).unwrap();
        jsonwebtoken::encode(&header, &good, &key).unwrap()
    };
    let unknown_signer = sign(Algorithm::RS256, RSA2, Some("rsa1"), &good);

    let cases = [
        (
            "another audience",
            signed(&other_audience),
            "not meant for this resource",
        ),
        ("expired", signed(&expired), "expired"),
        ("wrong issuer", signed(&wrong_issuer), "issuer"),
        ("no exp", signed(&no_exp), "exp"),
        ("not valid yet", signed(&not_yet), "not valid yet"),
        ("tampered signature", tampered, "signature"),
        ("alg none", alg_none, ""),
        (
            "HS256 with the public key",
            hs256_with_public_key,
            "algorithm",
        ),
        (
            "signed by another key under a known kid",
            unknown_signer,
            "signature",
        ),
        ("garbage", "abc.def.ghi".to_owned(), "malformed"),
    ];
    for (what, token, reason) in cases {
        let reply = client.initialize(&url, Some(&token)).await;
        assert_invalid(&reply, what);
        let description = reply.json()["error_description"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(description.contains(reason), "{what}: {description}");
    }
    // The control: the same claims, untouched, pass.
    let reply = client.initialize(&url, Some(&signed(&good))).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
}

#[tokio::test]
async fn a_token_without_the_endpoint_scope_gets_403_naming_it() {
    let (auth, server) = servers().await;
    let client = HttpClient::default();
    let mut narrow = claims(&auth.issuer, &server.resource, "bob");
    narrow["scope"] = json!("other");
    let token = sign(Algorithm::RS256, RSA1, Some("rsa1"), &narrow);
    let reply = client.initialize(&server.url("/mcp"), Some(&token)).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let challenge = reply.header("www-authenticate");
    assert!(
        challenge.contains(r#"error="insufficient_scope""#),
        "{challenge}"
    );
    assert!(
        challenge.contains(&format!(r#"scope="{SCOPE}""#)),
        "{challenge}"
    );
    assert!(challenge.contains("resource_metadata="), "{challenge}");
    assert_eq!(reply.json()["error"], "insufficient_scope");
    assert_eq!(reply.json()["scope"], SCOPE);

    // `scp` as an array counts too.
    narrow.as_object_mut().unwrap().remove("scope");
    narrow["scp"] = json!([SCOPE]);
    let token = sign(Algorithm::RS256, RSA1, Some("rsa1"), &narrow);
    let reply = client.initialize(&server.url("/mcp"), Some(&token)).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
}

#[tokio::test]
async fn a_valid_token_reaches_the_tool_which_sees_the_subject() {
    let (auth, server) = servers().await;
    let client = HttpClient::default();
    let url = server.url("/mcp");
    for (alg, pem, kid, subject) in [
        (Algorithm::RS256, RSA1, Some("rsa1"), "alice"),
        (Algorithm::ES256, EC1, Some("ec1"), "carol"),
        // Without a kid, every key fitting the algorithm is tried.
        (Algorithm::RS256, RSA1, None, "dave"),
    ] {
        let token = sign(
            alg,
            pem,
            kid,
            &claims(&auth.issuer, &server.resource, subject),
        );
        let reply = client.call_tool(&url, &token, "whoami").await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        let result = &reply.json()["result"];
        assert_ne!(result["isError"], json!(true), "{result}");
        assert_eq!(result["content"][0]["text"], subject, "{result}");
    }
}

#[tokio::test]
async fn a_tool_needing_a_scope_is_hidden_and_refused_without_it() {
    let (auth, server) = servers().await;
    let client = HttpClient::default();
    let url = server.url("/mcp");
    let token = sign(
        Algorithm::RS256,
        RSA1,
        Some("rsa1"),
        &claims(&auth.issuer, &server.resource, "alice"),
    );
    let reply = client.call_tool(&url, &token, "admin").await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let error = &reply.json()["error"];
    assert_eq!(error["code"], -32602, "{error}");
    assert_eq!(error["data"]["error"], "insufficient_scope", "{error}");
    assert_eq!(error["data"]["scope"], "admin", "{error}");

    let mut admin = claims(&auth.issuer, &server.resource, "root");
    admin["scope"] = json!(format!("{SCOPE} admin"));
    let admin = sign(Algorithm::RS256, RSA1, Some("rsa1"), &admin);
    let reply = client.call_tool(&url, &admin, "admin").await;
    assert_eq!(reply.json()["result"]["content"][0]["text"], "admin done");

    // tools/list: `admin` only for the admin.
    for (token, expected) in [(&token, vec!["whoami"]), (&admin, vec!["admin", "whoami"])] {
        let init = client.initialize(&url, Some(token)).await;
        let session = init.header("mcp-session-id").to_owned();
        let headers = [
            ("mcp-session-id", session.as_str()),
            ("mcp-protocol-version", "2025-06-18"),
        ];
        let list = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/list", "params": {}});
        let reply = client.post(&url, Some(token), &headers, &list).await;
        let mut names: Vec<String> = reply.json()["result"]["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .collect();
        names.sort();
        assert_eq!(names, expected);
    }
}

#[tokio::test]
async fn a_rotated_key_is_fetched_on_its_unknown_kid_at_most_once_per_interval() {
    let auth = AuthServer::start(vec![jwk(RSA1_JWK)]).await;
    let interval = Duration::from_secs(2);
    let server = Protected::start(&auth.issuer, &auth.jwks_url, |b| {
        b.min_refresh_interval(interval)
    })
    .await;
    let client = HttpClient::default();
    let url = server.url("/mcp");
    let token = |pem: &[u8], kid: &str| {
        sign(
            Algorithm::RS256,
            pem,
            Some(kid),
            &claims(&auth.issuer, &server.resource, "alice"),
        )
    };
    let started = tokio::time::Instant::now();
    let reply = client.initialize(&url, Some(&token(RSA1, "rsa1"))).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(auth.fetches(), 1);

    // Random kids: refused, and within one interval at most one more fetch.
    for i in 0..20 {
        let reply = client
            .initialize(&url, Some(&token(RSA1, &format!("random-{i}"))))
            .await;
        assert_invalid(&reply, "random kid");
    }
    // One more fetch per interval that passed is allowed (a loaded machine may need more than
    // one interval for the loop); normally the loop fits in one, so no more fetches at all.
    let intervals = (started.elapsed().as_millis() / interval.as_millis()) as usize;
    assert!(
        auth.fetches() <= 1 + intervals,
        "random kids made the AS be fetched {} times in {intervals} interval(s)",
        auth.fetches()
    );
    let fetches = auth.fetches();

    // The AS rotates to rsa2: once the interval has passed, its kid is fetched and accepted.
    auth.set_keys(vec![jwk(RSA2_JWK)]);
    tokio::time::sleep(interval).await;
    let reply = client.initialize(&url, Some(&token(RSA2, "rsa2"))).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(auth.fetches(), fetches + 1);
    // Known now: no further fetch.
    let reply = client.initialize(&url, Some(&token(RSA2, "rsa2"))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(auth.fetches(), fetches + 1);
    // rsa1 was withdrawn by the rotation.
    let reply = client.initialize(&url, Some(&token(RSA1, "rsa1"))).await;
    assert_invalid(&reply, "withdrawn key");
}

#[tokio::test]
async fn the_jwks_endpoint_down_answers_503() {
    let issuer = "http://127.0.0.1:9";
    let server = Protected::start(issuer, &dead_url().await, |b| {
        b.fetch_timeout(Duration::from_secs(2))
    })
    .await;
    let client = HttpClient::default();
    let token = sign(
        Algorithm::RS256,
        RSA1,
        Some("rsa1"),
        &claims(issuer, &server.resource, "alice"),
    );
    for _ in 0..2 {
        let reply = client.initialize(&server.url("/mcp"), Some(&token)).await;
        assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "{reply:?}");
        assert_eq!(reply.header("retry-after"), "5");
        assert_eq!(reply.json()["error"], "temporarily_unavailable");
        assert!(
            !String::from_utf8_lossy(&reply.body).contains("127.0.0.1"),
            "the body names no internal address"
        );
    }
    // Still no panic: the server keeps answering.
    let reply = client.initialize(&server.url("/mcp"), None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}
