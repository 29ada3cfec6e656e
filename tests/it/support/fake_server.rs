//! An in-process, OpenAI-compatible HTTP/1.1 server for integration tests.
//!
//! - Listens on `127.0.0.1:0` (hermetic), one OS thread per connection, so
//!   concurrent requests really are served concurrently.
//! - Hand-parses HTTP/1.1: request line, headers (case-insensitive), body by
//!   `Content-Length` (a chunked request body is also accepted).
//! - Every response carries `Connection: close`; the connection is closed after
//!   each reply (no keep-alive).
//! - `POST …/chat/completions` is answered by the test's handler, which can
//!   produce complete replies, chunked SSE streams with per-part delays,
//!   truncated streams, latency and hang-ups.
//! - `GET …/models` returns a fixed model list; anything else gets a 404 JSON
//!   error.
//!
//! Uses only `std::net` and `std::thread` (no async runtime).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Model id used by every builder and by `GET /models`.
pub const FAKE_MODEL: &str = "fake-model";
/// `id` of every completion and chunk built here.
pub const FAKE_ID: &str = "chatcmpl-fake";
/// `created` of every completion and chunk built here (fixed: deterministic).
pub const FAKE_CREATED: u64 = 1_700_000_000;
/// `prompt_tokens` reported by `Reply::stream_text` and `Reply::completion`.
pub const FAKE_PROMPT_TOKENS: u64 = 10;

/// How long a connection may sit idle while the server reads its request.
const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest accepted request head (request line + headers).
const MAX_HEAD_BYTES: usize = 64 * 1024;

type Handler = dyn Fn(&Recorded, usize) -> Reply + Send + Sync + 'static;

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    /// The request target as sent, query string included (e.g. `/v1/chat/completions`).
    pub path: String,
    /// Header names lower-cased, values trimmed, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body parsed as JSON; `Value::Null` if it is not JSON.
    pub body: Value,
    pub raw_body: String,
    /// When the request was fully read.
    pub started: Instant,
    /// When the response was fully written (set after the reply is done, just
    /// before the connection is closed; so once a client has seen EOF it is set).
    pub finished: Option<Instant>,
}

impl Recorded {
    /// First header with this name, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The content of every `role: "user"` message, joined with `"\n"`.
    /// Content given as an array of parts contributes its `text` parts.
    pub fn user_text(&self) -> String {
        let Some(messages) = self.body.get("messages").and_then(Value::as_array) else {
            return String::new();
        };
        messages
            .iter()
            .filter(|m| m.get("role").and_then(Value::as_str) == Some("user"))
            .map(|m| match m.get("content") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Array(parts)) => parts
                    .iter()
                    .filter_map(|p| p.get("text").and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join(""),
                _ => String::new(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Whether the request body asked for a streamed answer (`"stream": true`).
    pub fn wants_stream(&self) -> bool {
        self.body.get("stream").and_then(Value::as_bool) == Some(true)
    }

    /// How long the server took from having read the request to having written
    /// the reply (`None` while the reply is still being written).
    pub fn duration(&self) -> Option<Duration> {
        self.finished.map(|f| f.duration_since(self.started))
    }
}

/// What the server does with one chat-completions request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// A complete response with `Content-Length`. `Content-Type` defaults to
    /// `application/json`; any header given here replaces the server's own
    /// header of the same name (so a wrong `Content-Length` can be faked too).
    Json {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// 200 `text/event-stream` with `Transfer-Encoding: chunked`. The head is
    /// written at once; then each part is written as one chunk and flushed after
    /// sleeping its delay (ms). The bytes are exactly the ones given (an empty
    /// part only sleeps: a zero-length chunk would end the body). After the last
    /// part the body is ended properly (`0\r\n\r\n`) unless `abort_at_end`, in
    /// which case the TCP connection is just closed mid-body.
    Sse {
        parts: Vec<(u64, String)>,
        abort_at_end: bool,
    },
    /// Like `Sse`, but cut short the way llama-cpp-python's server cuts a stream when another
    /// request arrives (its default `interrupt_requests`): before each part, if `epoch` has
    /// moved past `mine`, a bare `data: [DONE]` ends the body, with no `finish_reason`.
    Interruptible {
        parts: Vec<(u64, String)>,
        epoch: Arc<AtomicUsize>,
        mine: usize,
    },
    /// Sleep (ms), then reply.
    Delayed(u64, Box<Reply>),
    /// Close the connection without writing anything.
    Hangup,
}

impl Reply {
    /// Role chunk, then `text` in deltas of `words_per_chunk` words each (a word
    /// keeps its trailing whitespace, so the deltas concatenate to exactly
    /// `text`), `finish("stop")`, a usage chunk, `[DONE]`. Each delta waits
    /// `delay_ms` before being sent; the other parts are sent immediately.
    pub fn stream_text(text: &str, words_per_chunk: usize, delay_ms: u64) -> Reply {
        let words = split_words(text);
        let mut parts = vec![(0, role_chunk())];
        for group in words.chunks(words_per_chunk.max(1)) {
            parts.push((delay_ms, delta(&group.concat())));
        }
        parts.push((0, finish("stop")));
        parts.push((0, usage_chunk(FAKE_PROMPT_TOKENS, words.len() as u64)));
        parts.push((0, done()));
        Reply::Sse {
            parts,
            abort_at_end: false,
        }
    }

    /// A 200 non-streamed `chat.completion` with `finish_reason: "stop"` and usage.
    pub fn completion(text: &str) -> Reply {
        let completion_tokens = split_words(text).len() as u64;
        let body = json!({
            "id": FAKE_ID,
            "object": "chat.completion",
            "created": FAKE_CREATED,
            "model": FAKE_MODEL,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "logprobs": null,
                "finish_reason": "stop"
            }],
            "usage": usage_json(FAKE_PROMPT_TOKENS, completion_tokens)
        });
        Reply::json(200, body)
    }

    /// An OpenAI-shaped error: `{"error":{"message":..,"type":..,"code":null}}`,
    /// with `type` derived from the status (see [`error_type`]).
    pub fn error(status: u16, message: &str) -> Reply {
        Reply::json(status, error_body(status, message))
    }

    /// A complete JSON response with this status and body.
    pub fn json(status: u16, body: Value) -> Reply {
        Reply::Json {
            status,
            headers: Vec::new(),
            body: body.to_string(),
        }
    }

    /// An SSE stream of these parts, all sent without delay, ended properly.
    pub fn sse(parts: Vec<String>) -> Reply {
        Reply::Sse {
            parts: parts.into_iter().map(|p| (0, p)).collect(),
            abort_at_end: false,
        }
    }

    /// Adds a response header (only meaningful for `Json`; for `Delayed` it is
    /// applied to the inner reply; otherwise ignored).
    pub fn with_header(self, name: &str, value: &str) -> Reply {
        match self {
            Reply::Json {
                status,
                mut headers,
                body,
            } => {
                headers.push((name.to_string(), value.to_string()));
                Reply::Json {
                    status,
                    headers,
                    body,
                }
            }
            Reply::Delayed(ms, inner) => {
                Reply::Delayed(ms, Box::new(inner.with_header(name, value)))
            }
            other => other,
        }
    }

    /// This reply after `ms` milliseconds.
    pub fn delayed(self, ms: u64) -> Reply {
        Reply::Delayed(ms, Box::new(self))
    }
}

/// `data: {json}\n\n`
pub fn sse_chunk(json: Value) -> String {
    format!("data: {json}\n\n")
}

/// A `chat.completion.chunk` frame with `choices[0].delta.content = content`.
pub fn delta(content: &str) -> String {
    chunk_frame(json!({"content": content}), Value::Null)
}

/// The first frame of an OpenAI stream: `delta: {"role":"assistant","content":""}`.
pub fn role_chunk() -> String {
    chunk_frame(json!({"role": "assistant", "content": ""}), Value::Null)
}

/// A chunk frame with an empty delta and this `finish_reason`.
pub fn finish(reason: &str) -> String {
    chunk_frame(json!({}), Value::String(reason.to_string()))
}

/// A chunk frame with `"choices": []` and a usage object (as sent with
/// `stream_options.include_usage`).
pub fn usage_chunk(prompt: u64, completion: u64) -> String {
    sse_chunk(json!({
        "id": FAKE_ID,
        "object": "chat.completion.chunk",
        "created": FAKE_CREATED,
        "model": FAKE_MODEL,
        "choices": [],
        "usage": usage_json(prompt, completion)
    }))
}

/// `data: [DONE]\n\n`
pub fn done() -> String {
    "data: [DONE]\n\n".to_string()
}

/// The text [`answer_for`] answers with: it quotes the first 40 characters of
/// the request's user text.
pub fn answer_text(req: &Recorded) -> String {
    let snippet: String = req.user_text().chars().take(40).collect();
    format!(
        "Fake answer about \u{ab}{snippet}\u{bb}. This text is long enough to be streamed in several chunks."
    )
}

/// Streams ([`Reply::stream_text`], 3 words per chunk, no delay) when the
/// request body has `"stream": true`, else a [`Reply::completion`]; the text is
/// [`answer_text`].
pub fn answer_for(req: &Recorded) -> Reply {
    let text = answer_text(req);
    if req.wants_stream() {
        Reply::stream_text(&text, 3, 0)
    } else {
        Reply::completion(&text)
    }
}

/// OpenAI-style error `type` for a status: 400/404/409/422 →
/// `invalid_request_error`, 401 → `authentication_error`, 403 →
/// `permission_error`, 429 → `rate_limit_error`, 5xx → `server_error`, else
/// `api_error`.
pub fn error_type(status: u16) -> &'static str {
    match status {
        400 | 404 | 409 | 422 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        429 => "rate_limit_error",
        500..=599 => "server_error",
        _ => "api_error",
    }
}

fn error_body(status: u16, message: &str) -> Value {
    json!({"error": {"message": message, "type": error_type(status), "code": null}})
}

fn usage_json(prompt: u64, completion: u64) -> Value {
    json!({
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion
    })
}

fn chunk_frame(delta: Value, finish_reason: Value) -> String {
    sse_chunk(json!({
        "id": FAKE_ID,
        "object": "chat.completion.chunk",
        "created": FAKE_CREATED,
        "model": FAKE_MODEL,
        "choices": [{
            "index": 0,
            "delta": delta,
            "logprobs": null,
            "finish_reason": finish_reason
        }]
    }))
}

/// Splits into words that keep their trailing whitespace (leading whitespace
/// stays with the first word), so the pieces concatenate to `text`.
fn split_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_trailing_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            in_trailing_space = !current.trim().is_empty();
        } else if in_trailing_space {
            words.push(std::mem::take(&mut current));
            in_trailing_space = false;
        }
        current.push(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Answers requests other than chat completions and the model list (e.g. a Batch API).
type ApiHandler = dyn Fn(&Recorded) -> Option<Reply> + Send + Sync + 'static;

struct Shared {
    handler: Box<Handler>,
    api: Option<Box<ApiHandler>>,
    /// Every request received (all paths), in arrival order.
    all: Mutex<Vec<Recorded>>,
    stop: AtomicBool,
}

impl Shared {
    fn all(&self) -> MutexGuard<'_, Vec<Recorded>> {
        self.all.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The test server. Dropping it stops accepting connections (best effort;
/// connections already being served finish on their own detached threads).
pub struct FakeServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl FakeServer {
    /// Serves each `POST …/chat/completions` with `handler(&request, call_index)`
    /// (`call_index` counts chat-completions requests from 0, in arrival order).
    /// `GET …/models` returns `{"object":"list","data":[{"id":"fake-model","object":"model"}]}`;
    /// anything else gets a 404 JSON error. A panicking handler yields a 500.
    pub fn start(
        handler: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static,
    ) -> FakeServer {
        FakeServer::start_with_api(handler, None)
    }

    /// As [`FakeServer::start`], and `api` answers the other paths it knows (`None`: 404).
    pub fn with_api(
        handler: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static,
        api: impl Fn(&Recorded) -> Option<Reply> + Send + Sync + 'static,
    ) -> FakeServer {
        FakeServer::start_with_api(handler, Some(Box::new(api)))
    }

    fn start_with_api(
        handler: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static,
        api: Option<Box<ApiHandler>>,
    ) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("fake server: bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("fake server: local_addr");
        let shared = Arc::new(Shared {
            handler: Box::new(handler),
            api,
            all: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        });
        let acceptor_shared = Arc::clone(&shared);
        let acceptor = thread::Builder::new()
            .name(format!("fake-server-{}", addr.port()))
            .spawn(move || accept_loop(listener, acceptor_shared))
            .expect("fake server: spawn acceptor");
        FakeServer {
            addr,
            shared,
            acceptor: Some(acceptor),
        }
    }

    /// Replies taken in order; the last one repeats forever. Panics if empty.
    pub fn with_replies(replies: Vec<Reply>) -> FakeServer {
        assert!(
            !replies.is_empty(),
            "FakeServer::with_replies needs at least one reply"
        );
        FakeServer::start(move |_, i| replies[i.min(replies.len() - 1)].clone())
    }

    /// Answers every chat request with [`answer_for`].
    pub fn echo() -> FakeServer {
        FakeServer::start(|r, _| answer_for(r))
    }

    /// `http://127.0.0.1:PORT/v1`
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every chat-completions request so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared
            .all()
            .iter()
            .filter(|r| is_chat(r))
            .cloned()
            .collect()
    }

    /// Every request so far (any method and path), in arrival order.
    pub fn all_requests(&self) -> Vec<Recorded> {
        self.shared.all().clone()
    }

    /// Number of chat-completions requests so far.
    pub fn count(&self) -> usize {
        self.shared.all().iter().filter(|r| is_chat(r)).count()
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Unblock `accept` so the acceptor sees the flag and drops the listener.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(handle) = self.acceptor.take() {
            let _ = handle.join();
        }
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let conn_shared = Arc::clone(&shared);
        let spawned = thread::Builder::new()
            .name("fake-server-conn".to_string())
            .spawn(move || serve_connection(stream, &conn_shared));
        if spawned.is_err() {
            // Out of threads: the connection is dropped (the client sees a reset).
            continue;
        }
    }
}

fn route(path: &str) -> &str {
    path.split('?').next().unwrap_or(path)
}

fn is_chat(r: &Recorded) -> bool {
    r.method == "POST" && route(&r.path).ends_with("/chat/completions")
}

fn serve_connection(mut stream: TcpStream, shared: &Shared) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(READ_TIMEOUT));
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);

    let request = match read_request(&mut reader) {
        Ok(Some(r)) => r,
        Ok(None) => return, // connected and closed without a request (e.g. Drop's wake-up)
        Err(msg) => {
            let body = error_body(400, &msg).to_string();
            let _ = write_json(&mut stream, 400, &[], &body);
            let _ = stream.shutdown(Shutdown::Write);
            return;
        }
    };

    // Record, and take the chat call index under the same lock so they agree.
    let (slot, call_index) = {
        let mut all = shared.all();
        let call_index = all.iter().filter(|r| is_chat(r)).count();
        all.push(request.clone());
        (all.len() - 1, call_index)
    };

    let reply = if is_chat(&request) {
        match catch_unwind(AssertUnwindSafe(|| (shared.handler)(&request, call_index))) {
            Ok(reply) => reply,
            Err(_) => Reply::error(500, "fake server: the test's handler panicked"),
        }
    } else if request.method == "GET" && route(&request.path).ends_with("/models") {
        Reply::json(
            200,
            json!({"object": "list", "data": [{"id": FAKE_MODEL, "object": "model"}]}),
        )
    } else if let Some(reply) = shared.api.as_ref().and_then(|api| api(&request)) {
        reply
    } else {
        Reply::json(
            404,
            json!({"error": {"message": "Not found", "type": "invalid_request_error"}}),
        )
    };

    // Write errors mean the client went away: nothing more to do either way.
    let _ = write_reply(&mut stream, reply);

    shared.all()[slot].finished = Some(Instant::now());
    // Dropping `stream` (and the reader's clone) closes the connection.
}

/// Reads one request. `Ok(None)`: the peer closed before sending anything.
fn read_request(reader: &mut BufReader<TcpStream>) -> Result<Option<Recorded>, String> {
    let mut head_bytes = 0usize;
    let mut line = String::new();

    // Request line (tolerate leading empty lines, as RFC 9112 allows).
    let request_line = loop {
        line.clear();
        let n = read_line(reader, &mut line, &mut head_bytes)?;
        if n == 0 {
            return Ok(None);
        }
        let trimmed = line.trim_end_matches(['\r', '\n']);
        if !trimmed.is_empty() {
            break trimmed.to_string();
        }
    };
    let mut pieces = request_line.split(' ');
    let (Some(method), Some(path), Some(version)) = (pieces.next(), pieces.next(), pieces.next())
    else {
        return Err(format!("malformed request line: {request_line:?}"));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(format!("unsupported protocol version: {version:?}"));
    }
    let (method, path) = (method.to_string(), path.to_string());

    let mut headers = Vec::new();
    loop {
        line.clear();
        if read_line(reader, &mut line, &mut head_bytes)? == 0 {
            return Err("connection closed inside the request head".to_string());
        }
        let trimmed = line.trim_end_matches(['\r', '\n']);
        if trimmed.is_empty() {
            break;
        }
        let Some((name, value)) = trimmed.split_once(':') else {
            return Err(format!("malformed header line: {trimmed:?}"));
        };
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }

    let find = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let chunked =
        find("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let body_bytes = if chunked {
        read_chunked_body(reader)?
    } else if let Some(len) = find("content-length") {
        let len: usize = len
            .parse()
            .map_err(|_| format!("bad content-length: {len:?}"))?;
        let mut body = vec![0u8; len];
        reader
            .read_exact(&mut body)
            .map_err(|e| format!("reading a {len}-byte body: {e}"))?;
        body
    } else {
        Vec::new()
    };

    let raw_body = String::from_utf8_lossy(&body_bytes).into_owned();
    let body = serde_json::from_str(&raw_body).unwrap_or(Value::Null);
    Ok(Some(Recorded {
        method,
        path,
        headers,
        body,
        raw_body,
        started: Instant::now(),
        finished: None,
    }))
}

fn read_line(
    reader: &mut BufReader<TcpStream>,
    line: &mut String,
    head_bytes: &mut usize,
) -> Result<usize, String> {
    let mut buf = Vec::new();
    let n = reader
        .by_ref()
        .take((MAX_HEAD_BYTES + 1 - (*head_bytes).min(MAX_HEAD_BYTES)) as u64)
        .read_until(b'\n', &mut buf)
        .map_err(|e| format!("reading the request head: {e}"))?;
    *head_bytes += n;
    if *head_bytes > MAX_HEAD_BYTES {
        return Err("request head too large".to_string());
    }
    line.push_str(&String::from_utf8_lossy(&buf));
    Ok(n)
}

fn read_chunked_body(reader: &mut BufReader<TcpStream>) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let mut size_line = String::new();
        reader
            .read_line(&mut size_line)
            .map_err(|e| format!("reading a chunk size: {e}"))?;
        let size_str = size_line.trim().split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_str, 16)
            .map_err(|_| format!("bad chunk size: {size_line:?}"))?;
        if size == 0 {
            // Trailers, up to the empty line.
            loop {
                let mut trailer = String::new();
                let n = reader
                    .read_line(&mut trailer)
                    .map_err(|e| format!("reading trailers: {e}"))?;
                if n == 0 || trailer.trim().is_empty() {
                    return Ok(body);
                }
            }
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader
            .read_exact(&mut body[start..])
            .map_err(|e| format!("reading a chunk: {e}"))?;
        let mut crlf = [0u8; 2];
        reader
            .read_exact(&mut crlf)
            .map_err(|e| format!("reading a chunk end: {e}"))?;
    }
}

fn write_reply(stream: &mut TcpStream, reply: Reply) -> std::io::Result<()> {
    match reply {
        Reply::Json {
            status,
            headers,
            body,
        } => write_json(stream, status, &headers, &body),
        Reply::Sse {
            parts,
            abort_at_end,
        } => write_sse(stream, &parts, abort_at_end),
        Reply::Interruptible { parts, epoch, mine } => {
            let cut = || epoch.load(Ordering::SeqCst) != mine;
            write_sse_until(stream, &parts, &cut)
        }
        Reply::Delayed(ms, inner) => {
            thread::sleep(Duration::from_millis(ms));
            write_reply(stream, *inner)
        }
        Reply::Hangup => Ok(()),
    }
}

fn write_json(
    stream: &mut TcpStream,
    status: u16,
    extra: &[(String, String)],
    body: &str,
) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason_phrase(status));
    let has = |name: &str| extra.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    if !has("content-type") {
        head.push_str("Content-Type: application/json\r\n");
    }
    if !has("content-length") {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    if !has("connection") {
        head.push_str("Connection: close\r\n");
    }
    for (name, value) in extra {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    stream.write_all(&bytes)?;
    stream.flush()
}

fn write_sse(
    stream: &mut TcpStream,
    parts: &[(u64, String)],
    abort_at_end: bool,
) -> std::io::Result<()> {
    let head = "HTTP/1.1 200 OK\r\n\
                Content-Type: text/event-stream\r\n\
                Cache-Control: no-cache\r\n\
                Transfer-Encoding: chunked\r\n\
                Connection: close\r\n\r\n";
    stream.write_all(head.as_bytes())?;
    stream.flush()?;
    for (delay_ms, part) in parts {
        if *delay_ms > 0 {
            thread::sleep(Duration::from_millis(*delay_ms));
        }
        if part.is_empty() {
            continue;
        }
        let mut chunk = format!("{:x}\r\n", part.len()).into_bytes();
        chunk.extend_from_slice(part.as_bytes());
        chunk.extend_from_slice(b"\r\n");
        stream.write_all(&chunk)?;
        stream.flush()?;
    }
    if !abort_at_end {
        stream.write_all(b"0\r\n\r\n")?;
        stream.flush()?;
    }
    Ok(())
}

/// An SSE body, streamed part by part, that ends with a bare `[DONE]` as soon as `cut()` says
/// so.
fn write_sse_until(
    stream: &mut TcpStream,
    parts: &[(u64, String)],
    cut: &dyn Fn() -> bool,
) -> std::io::Result<()> {
    write_sse(stream, &[], true)?;
    let chunk = |stream: &mut TcpStream, part: &str| {
        let mut bytes = format!("{:x}\r\n", part.len()).into_bytes();
        bytes.extend_from_slice(part.as_bytes());
        bytes.extend_from_slice(b"\r\n");
        stream.write_all(&bytes).and_then(|_| stream.flush())
    };
    for (delay_ms, part) in parts {
        if *delay_ms > 0 {
            thread::sleep(Duration::from_millis(*delay_ms));
        }
        if cut() {
            chunk(stream, &done())?;
            break;
        }
        chunk(stream, part)?;
    }
    stream.write_all(b"0\r\n\r\n")?;
    stream.flush()
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Payload Too Large",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}
