//! An OpenAI-style Batch API for the in-process server: file upload and content, batch create
//! and get, with statuses going validating → in_progress → completed over successive polls,
//! output lines in reverse order (the order is not guaranteed), lines failing on purpose, and
//! batches that expire.

use super::dialects::fill_schema;
use super::fake_server::{FAKE_MODEL, Recorded, Reply};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Default)]
pub struct FakeBatches {
    state: Mutex<State>,
    behaviour: Mutex<Behaviour>,
}

/// How the fake batches behave.
#[derive(Default, Clone)]
pub struct Behaviour {
    /// A line whose custom_id contains this fails (in the error file).
    pub fail_containing: Option<String>,
    /// Batches expire instead of completing.
    pub expire: bool,
    /// Polls a batch needs before it completes (0: completes at once).
    pub polls_to_complete: u32,
    /// The message of a failed line (default: "fake: this line failed").
    pub fail_message: Option<String>,
    /// Appended to the id of batches created.
    pub id_suffix: Option<String>,
    /// The status every poll reports, instead of the usual ones.
    pub status: Option<String>,
    /// Answers padded to this many bytes.
    pub answer_bytes: Option<usize>,
    /// Lines of this many bytes, for no request, added to every output file.
    pub filler_lines: Option<(usize, usize)>,
}

#[derive(Default)]
struct State {
    files: HashMap<String, Vec<u8>>,
    batches: HashMap<String, Batch>,
    next: u32,
    /// Batches whose status the server fails to give (a 500, every time).
    failing: Vec<String>,
}

struct Batch {
    input_file_id: String,
    polls: u32,
    output: Option<(Option<String>, Option<String>)>,
}

impl FakeBatches {
    pub fn new(behaviour: Behaviour) -> FakeBatches {
        FakeBatches {
            state: Mutex::default(),
            behaviour: Mutex::new(behaviour),
        }
    }

    /// Changes how batches created from now on behave.
    pub fn set_behaviour(&self, behaviour: Behaviour) {
        *self.behaviour.lock().unwrap_or_else(|e| e.into_inner()) = behaviour;
    }

    fn behaviour(&self) -> Behaviour {
        self.behaviour
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// How many files were uploaded (one per batch submitted).
    pub fn uploads(&self) -> usize {
        self.state()
            .files
            .keys()
            .filter(|k| k.starts_with("file-in"))
            .count()
    }

    /// The lines of the last uploaded file.
    pub fn last_upload(&self) -> Vec<Value> {
        let s = self.state();
        let last = s
            .files
            .keys()
            .filter(|k| k.starts_with("file-in"))
            .max_by_key(|k| k.trim_start_matches("file-in-").parse::<u32>().unwrap_or(0));
        last.map(|id| {
            String::from_utf8_lossy(&s.files[id])
                .lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect()
        })
        .unwrap_or_default()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Requests the batch endpoints got, and the lines of every uploaded file.
    pub fn uploaded_lines(&self) -> Vec<Value> {
        let s = self.state();
        let mut ids: Vec<&String> = s
            .files
            .keys()
            .filter(|k| k.starts_with("file-in"))
            .collect();
        ids.sort();
        ids.iter()
            .flat_map(|id| {
                String::from_utf8_lossy(&s.files[*id])
                    .lines()
                    .filter_map(|l| serde_json::from_str(l).ok())
                    .collect::<Vec<Value>>()
            })
            .collect()
    }

    pub fn batch_count(&self) -> usize {
        self.state().batches.len()
    }

    /// Forgets every batch, as a server does after a while: polling one is a 404.
    pub fn forget(&self, id: &str) {
        self.state().batches.remove(id);
    }

    /// Makes asking about batch `id` fail with a 500 from now on.
    pub fn fail(&self, id: &str) {
        self.state().failing.push(id.to_string());
    }

    /// The server answers about every batch again.
    pub fn state_clear_failing(&self) {
        self.state().failing.clear();
    }

    /// Answers the Batch API's paths; `None` for anything else.
    pub fn handle(&self, req: &Recorded) -> Option<Reply> {
        let path = req.path.split('?').next().unwrap_or_default();
        let rest = path.strip_prefix("/v1/")?;
        let parts: Vec<&str> = rest.split('/').collect();
        match (req.method.as_str(), parts.as_slice()) {
            ("POST", ["files"]) => Some(self.upload(req)),
            ("GET", ["files", id, "content"]) => Some(match self.state().files.get(*id) {
                Some(bytes) => Reply::Json {
                    status: 200,
                    headers: vec![("Content-Type".into(), "application/jsonl".into())],
                    body: String::from_utf8_lossy(bytes).into_owned(),
                },
                None => Reply::error(404, "no such file"),
            }),
            ("POST", ["batches"]) => Some(self.create(req)),
            ("GET", ["batches", id]) => Some(self.get(id)),
            _ => None,
        }
    }

    fn upload(&self, req: &Recorded) -> Reply {
        let body = &req.raw_body;
        let Some(ct) = req
            .header("content-type")
            .filter(|c| c.starts_with("multipart/form-data"))
        else {
            return Reply::error(400, "expected multipart/form-data");
        };
        let boundary = ct.split("boundary=").nth(1).unwrap_or_default();
        if !body.contains("name=\"purpose\"\r\n\r\nbatch\r\n") {
            return Reply::error(400, "purpose must be batch");
        }
        let Some(start) = body
            .find("filename=")
            .and_then(|i| body[i..].find("\r\n\r\n").map(|j| i + j + 4))
        else {
            return Reply::error(400, "no file part");
        };
        let end = body[start..]
            .find(&format!("\r\n--{boundary}--"))
            .map(|i| start + i)
            .unwrap_or(body.len());
        let mut s = self.state();
        s.next += 1;
        let id = format!("file-in-{}", s.next);
        s.files
            .insert(id.clone(), body.as_bytes()[start..end].to_vec());
        Reply::json(200, json!({"id": id, "object": "file", "purpose": "batch"}))
    }

    fn create(&self, req: &Recorded) -> Reply {
        let Some(input) = req.body["input_file_id"].as_str() else {
            return Reply::error(400, "input_file_id required");
        };
        if req.body["completion_window"] != "24h" {
            return Reply::error(400, "completion_window must be 24h");
        }
        let mut s = self.state();
        if !s.files.contains_key(input) {
            return Reply::error(404, "no such input file");
        }
        s.next += 1;
        let id = format!(
            "batch_{}{}",
            s.next,
            self.behaviour().id_suffix.unwrap_or_default()
        );
        s.batches.insert(
            id.clone(),
            Batch {
                input_file_id: input.to_string(),
                polls: 0,
                output: None,
            },
        );
        Reply::json(
            200,
            json!({"id": id, "object": "batch", "status": "validating"}),
        )
    }

    fn get(&self, id: &str) -> Reply {
        let mut s = self.state();
        if s.failing.iter().any(|f| f == id) {
            return Reply::error(500, "internal error");
        }
        let Some(b) = s.batches.get_mut(id) else {
            return Reply::error(404, "no such batch");
        };
        b.polls += 1;
        let polls = b.polls;
        let input = b.input_file_id.clone();
        let total = s.files[&input]
            .split(|c| *c == b'\n')
            .filter(|l| !l.is_empty())
            .count();
        if let Some(status) = self.behaviour().status {
            return Reply::json(200, json!({"id": id, "status": status}));
        }
        if polls <= self.behaviour().polls_to_complete {
            let status = if polls == 1 {
                "validating"
            } else {
                "in_progress"
            };
            return Reply::json(
                200,
                json!({"id": id, "status": status,
                "request_counts": {"total": total, "completed": 0, "failed": 0}}),
            );
        }
        if self.behaviour().expire {
            return Reply::json(
                200,
                json!({"id": id, "status": "expired", "output_file_id": null, "error_file_id": null}),
            );
        }
        if s.batches[id].output.is_none() {
            let files = self.results(&mut s, &input);
            s.batches.get_mut(id).unwrap().output = Some(files);
        }
        let (out, err) = s.batches[id].output.clone().unwrap();
        Reply::json(
            200,
            json!({"id": id, "status": "completed", "output_file_id": out, "error_file_id": err,
            "request_counts": {"total": total, "completed": total, "failed": 0}}),
        )
    }

    /// The output and error files of a batch: an answer per line, in reverse order.
    fn results(&self, s: &mut State, input: &str) -> (Option<String>, Option<String>) {
        let lines: Vec<Value> = String::from_utf8_lossy(&s.files[input])
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        let (mut out, mut err) = (String::new(), String::new());
        let behaviour = self.behaviour();
        if let Some((count, bytes)) = behaviour.filler_lines {
            let body = json!({"choices": [{"message": {"content": "f".repeat(bytes)}}]});
            for n in 0..count {
                out.push_str(&json!({"custom_id": format!("filler-{n}"), "response": {"status_code": 200, "body": body}}).to_string());
                out.push('\n');
            }
        }
        for line in lines.iter().rev() {
            let custom_id = line["custom_id"].as_str().unwrap_or_default();
            if self
                .behaviour()
                .fail_containing
                .as_deref()
                .is_some_and(|f| custom_id.contains(f))
            {
                // The request failed (a 500), or the line itself (an error object, as for
                // an expired line).
                let line = match &behaviour.fail_message {
                    None => {
                        json!({"id": "r", "custom_id": custom_id, "response": {"status_code": 500,
                        "body": {"error": {"message": "fake: this line failed"}}}, "error": null})
                    }
                    Some(message) => json!({"id": "r", "custom_id": custom_id, "response": null,
                        "error": {"code": "fake", "message": message}}),
                };
                err.push_str(&line.to_string());
                err.push('\n');
                continue;
            }
            let schema = line["body"].pointer("/response_format/json_schema/schema");
            let mut content = match schema {
                Some(s) => fill_schema(s, &format!("batch answer for {custom_id}")).to_string(),
                None => format!("Batch prose for {custom_id}."),
            };
            if let Some(n) = behaviour.answer_bytes {
                content.push_str(&" padding".repeat(n / 8));
            }
            let body = json!({"id": "chatcmpl-b", "object": "chat.completion", "model": FAKE_MODEL,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30}});
            out.push_str(&json!({"id": "r", "custom_id": custom_id, "response": {"status_code": 200, "body": body}, "error": null}).to_string());
            out.push('\n');
        }
        let save = |text: String, s: &mut State| -> Option<String> {
            if text.is_empty() {
                return None;
            }
            s.next += 1;
            let id = format!("file-out-{}", s.next);
            s.files.insert(id.clone(), text.into_bytes());
            Some(id)
        };
        let out_id = save(out, s);
        let err_id = save(err, s);
        (out_id, err_id)
    }
}
