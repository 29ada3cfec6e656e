//! Tests of the fake OpenAI-compatible server itself, with raw std TCP clients.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use crate::support::*;
use serde_json::{Value, json};

/// Sends one request with `Connection: close` and returns the open stream.
fn send(
    server: &FakeServer,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> TcpStream {
    send_to(server.addr(), method, path, headers, body)
}

fn send_to(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> TcpStream {
    let mut stream = TcpStream::connect(addr).expect("connect to fake server");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    if !body.is_empty() {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    req.push_str(body);
    stream.write_all(req.as_bytes()).unwrap();
    stream
}

fn post_chat(server: &FakeServer, body: &Value) -> TcpStream {
    send(
        server,
        "POST",
        "/v1/chat/completions",
        &[("Content-Type", "application/json")],
        &body.to_string(),
    )
}

struct Head {
    status: u16,
    headers: Vec<(String, String)>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn read_head(reader: &mut BufReader<TcpStream>) -> Head {
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let status = line
        .split(' ')
        .nth(1)
        .expect("status line")
        .parse()
        .unwrap();
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let (n, v) = l.split_once(':').unwrap();
        headers.push((n.trim().to_string(), v.trim().to_string()));
    }
    Head { status, headers }
}

/// A complete `Content-Length` response.
fn read_json_response(stream: TcpStream) -> (Head, String) {
    let mut reader = BufReader::new(stream);
    let head = read_head(&mut reader);
    let len: usize = head.header("content-length").unwrap().parse().unwrap();
    let mut body = vec![0; len];
    reader.read_exact(&mut body).unwrap();
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "bytes after the body: {rest:?}");
    (head, String::from_utf8(body).unwrap())
}

enum ChunkedEnd {
    /// The `0\r\n\r\n` terminator arrived, then EOF.
    Terminated,
    /// EOF before the terminator.
    Eof,
}

/// Reads a chunked body: each chunk with the instant it arrived.
fn read_chunks(reader: &mut BufReader<TcpStream>) -> (Vec<(Instant, String)>, ChunkedEnd) {
    let mut chunks = Vec::new();
    loop {
        let mut size_line = String::new();
        if reader.read_line(&mut size_line).unwrap() == 0 {
            return (chunks, ChunkedEnd::Eof);
        }
        let at = Instant::now();
        let size = usize::from_str_radix(size_line.trim(), 16).unwrap();
        if size == 0 {
            let mut end = String::new();
            reader.read_line(&mut end).unwrap();
            assert_eq!(end, "\r\n");
            let mut rest = Vec::new();
            reader.read_to_end(&mut rest).unwrap();
            assert!(rest.is_empty());
            return (chunks, ChunkedEnd::Terminated);
        }
        let mut data = vec![0; size + 2];
        reader.read_exact(&mut data).unwrap();
        assert_eq!(&data[size..], b"\r\n");
        data.truncate(size);
        chunks.push((at, String::from_utf8(data).unwrap()));
    }
}

fn chat_body(user: &str, stream: bool) -> Value {
    json!({
        "model": "m",
        "stream": stream,
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": user}
        ]
    })
}

#[test]
fn json_reply_models_and_404() {
    let server = FakeServer::with_replies(vec![Reply::Json {
        status: 429,
        headers: vec![("Retry-After".into(), "3".into())],
        body: r#"{"error":{"message":"slow down"}}"#.into(),
    }]);
    assert!(server.base_url().starts_with("http://127.0.0.1:"));
    assert!(server.base_url().ends_with("/v1"));

    let (head, body) = read_json_response(post_chat(&server, &chat_body("hi", false)));
    assert_eq!(head.status, 429);
    assert_eq!(head.header("retry-after"), Some("3"));
    assert_eq!(head.header("content-type"), Some("application/json"));
    assert_eq!(head.header("connection"), Some("close"));
    assert_eq!(body, r#"{"error":{"message":"slow down"}}"#);

    let (head, body) = read_json_response(send(&server, "GET", "/v1/models", &[], ""));
    assert_eq!(head.status, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["data"][0]["id"], "fake-model");

    let (head, body) = read_json_response(send(&server, "GET", "/v1/nope", &[], ""));
    assert_eq!(head.status, 404);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error"]["message"], "Not found");

    // Only chat requests count; all_requests sees everything.
    assert_eq!(server.count(), 1);
    assert_eq!(server.all_requests().len(), 3);
}

#[test]
fn sse_parts_arrive_with_their_delays() {
    let parts = vec![
        (0, delta("a")),
        (120, "data:{\"no\":\"space\"}\r\n\r\n".to_string()),
        (120, ": keep-alive\n\n".to_string()),
        (0, done()),
    ];
    let server = FakeServer::with_replies(vec![Reply::Sse {
        parts: parts.clone(),
        abort_at_end: false,
    }]);
    let mut reader = BufReader::new(post_chat(&server, &chat_body("hi", true)));
    let head = read_head(&mut reader);
    let head_at = Instant::now();
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-type"), Some("text/event-stream"));
    assert_eq!(head.header("transfer-encoding"), Some("chunked"));

    let (chunks, end) = read_chunks(&mut reader);
    assert!(matches!(end, ChunkedEnd::Terminated));
    let texts: Vec<&str> = chunks.iter().map(|(_, t)| t.as_str()).collect();
    let expected: Vec<&str> = parts.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(texts, expected, "exact bytes, one chunk per part");

    let gap1 = chunks[1].0 - chunks[0].0;
    let gap2 = chunks[2].0 - chunks[1].0;
    let gap3 = chunks[3].0 - chunks[2].0;
    assert!(
        chunks[0].0 - head_at < Duration::from_millis(60),
        "first part is immediate"
    );
    assert!(gap1 >= Duration::from_millis(100), "gap1 {gap1:?}");
    assert!(gap2 >= Duration::from_millis(100), "gap2 {gap2:?}");
    assert!(gap1 < Duration::from_millis(400), "gap1 {gap1:?}");
    assert!(gap3 < Duration::from_millis(60), "gap3 {gap3:?}");

    let rec = &server.requests()[0];
    assert!(
        rec.finished.is_some(),
        "finished is set before the connection closes"
    );
    assert!(rec.duration().unwrap() >= Duration::from_millis(240));
}

#[test]
fn hangup_closes_without_a_byte() {
    let server = FakeServer::with_replies(vec![Reply::Hangup]);
    let mut stream = post_chat(&server, &chat_body("hi", false));
    let mut got = Vec::new();
    // EOF (or a reset) without any data.
    let _ = stream.read_to_end(&mut got);
    assert!(got.is_empty(), "got {:?}", String::from_utf8_lossy(&got));
    assert_eq!(server.count(), 1);
}

#[test]
fn abort_at_end_truncates_the_chunked_body() {
    let server = FakeServer::with_replies(vec![Reply::Sse {
        parts: vec![(0, delta("partial ")), (20, delta("answer"))],
        abort_at_end: true,
    }]);
    let mut reader = BufReader::new(post_chat(&server, &chat_body("hi", true)));
    assert_eq!(read_head(&mut reader).status, 200);
    let (chunks, end) = read_chunks(&mut reader);
    assert_eq!(chunks.len(), 2);
    assert!(
        matches!(end, ChunkedEnd::Eof),
        "no 0-chunk before the close"
    );
}

#[test]
fn delayed_requests_are_served_concurrently() {
    let server = FakeServer::with_replies(vec![Reply::completion("slow").delayed(300)]);
    let addr = server.addr();
    let t0 = Instant::now();
    let clients: Vec<_> = (0..2)
        .map(|i| {
            thread::spawn(move || {
                let body = chat_body(&format!("client {i}"), false).to_string();
                let stream = send_to(addr, "POST", "/v1/chat/completions", &[], &body);
                read_json_response(stream)
            })
        })
        .collect();
    for c in clients {
        let (head, body) = c.join().unwrap();
        assert_eq!(head.status, 200);
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["choices"][0]["message"]["content"], "slow");
    }
    let elapsed = t0.elapsed();
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(
        elapsed < Duration::from_millis(550),
        "not concurrent: {elapsed:?}"
    );

    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let (a, b) = (&reqs[0], &reqs[1]);
    assert!(
        a.started < b.finished.unwrap() && b.started < a.finished.unwrap(),
        "overlap"
    );
}

#[test]
fn requests_record_headers_body_and_call_index() {
    let server = FakeServer::start(|req, i| {
        if i == 0 {
            Reply::error(503, "try later")
        } else {
            Reply::completion(&format!("call {i} for {}", req.user_text()))
        }
    });
    let body = chat_body("first question", false);
    let stream = send(
        &server,
        "POST",
        "/v1/chat/completions?x=1",
        &[
            ("Authorization", "Bearer sk-test"),
            ("X-Custom", "  padded  "),
        ],
        &body.to_string(),
    );
    let (head, resp) = read_json_response(stream);
    assert_eq!(head.status, 503);
    let v: Value = serde_json::from_str(&resp).unwrap();
    assert_eq!(v["error"]["message"], "try later");
    assert_eq!(v["error"]["type"], "server_error");
    assert!(v["error"]["code"].is_null());

    let (head, resp) = read_json_response(post_chat(&server, &chat_body("second", false)));
    assert_eq!(head.status, 200);
    let v: Value = serde_json::from_str(&resp).unwrap();
    assert_eq!(v["choices"][0]["message"]["content"], "call 1 for second");
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    assert_eq!(v["model"], "fake-model");
    assert!(v["usage"]["total_tokens"].as_u64().unwrap() > 0);

    let reqs = server.requests();
    assert_eq!(server.count(), 2);
    let r = &reqs[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/v1/chat/completions?x=1");
    assert_eq!(r.header("AUTHORIZATION"), Some("Bearer sk-test"));
    assert_eq!(r.header("x-custom"), Some("padded"));
    assert!(r.headers.iter().all(|(n, _)| n == &n.to_ascii_lowercase()));
    assert_eq!(r.body, body);
    assert_eq!(r.raw_body, body.to_string());
    assert_eq!(r.user_text(), "first question");
    assert!(r.finished.unwrap() >= r.started);

    // A non-JSON body is kept raw, parsed as Null.
    let (head, _) = read_json_response(send(
        &server,
        "POST",
        "/v1/chat/completions",
        &[],
        "not json",
    ));
    assert_eq!(head.status, 200);
    let r = &server.requests()[2];
    assert_eq!(r.body, Value::Null);
    assert_eq!(r.raw_body, "not json");
}

#[test]
fn echo_streams_or_not_by_the_stream_field() {
    let server = FakeServer::echo();
    let user = "Describe the rollback plan for the database migration in detail";
    let expected = format!(
        "Fake answer about \u{ab}{}\u{bb}. This text is long enough to be streamed in several chunks.",
        &user[..40]
    );

    let mut reader = BufReader::new(post_chat(&server, &chat_body(user, true)));
    assert_eq!(read_head(&mut reader).status, 200);
    let (chunks, end) = read_chunks(&mut reader);
    assert!(matches!(end, ChunkedEnd::Terminated));
    let sse: String = chunks.into_iter().map(|(_, t)| t).collect();
    let mut text = String::new();
    let mut deltas = 0;
    let mut saw_usage = false;
    let mut frames = sse
        .split("\n\n")
        .filter(|f| !f.is_empty())
        .collect::<Vec<_>>();
    assert_eq!(frames.pop(), Some("data: [DONE]"));
    for frame in frames {
        let v: Value = serde_json::from_str(frame.strip_prefix("data: ").unwrap()).unwrap();
        assert_eq!(v["object"], "chat.completion.chunk");
        if let Some(c) = v["choices"][0]["delta"]["content"].as_str() {
            text.push_str(c);
            deltas += 1;
        }
        if v["choices"].as_array().unwrap().is_empty() {
            saw_usage = true;
            assert!(v["usage"]["completion_tokens"].as_u64().unwrap() > 0);
        }
    }
    assert_eq!(text, expected);
    assert!(deltas > 3, "split into several deltas");
    assert!(saw_usage);

    let (head, body) = read_json_response(post_chat(&server, &chat_body(user, false)));
    assert_eq!(head.status, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["choices"][0]["message"]["content"], expected.as_str());
}

#[test]
fn builders_have_the_openai_shape() {
    assert_eq!(sse_chunk(json!({"a": 1})), "data: {\"a\":1}\n\n");
    assert_eq!(done(), "data: [DONE]\n\n");
    let parse = |s: String| -> Value {
        serde_json::from_str(s.strip_prefix("data: ").unwrap().trim_end()).unwrap()
    };
    let d = parse(delta("hé"));
    assert_eq!(d["choices"][0]["delta"]["content"], "hé");
    assert!(d["choices"][0]["finish_reason"].is_null());
    assert_eq!(d["model"], "fake-model");
    let f = parse(finish("length"));
    assert_eq!(f["choices"][0]["finish_reason"], "length");
    assert_eq!(f["choices"][0]["delta"], json!({}));
    let u = parse(usage_chunk(7, 5));
    assert_eq!(u["choices"], json!([]));
    assert_eq!(
        u["usage"],
        json!({"prompt_tokens": 7, "completion_tokens": 5, "total_tokens": 12})
    );
}

#[test]
fn drop_stops_listening() {
    let server = FakeServer::echo();
    let addr = server.addr();
    drop(server);
    assert!(TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err());
}
