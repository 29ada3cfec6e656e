//! The run store: `.plan-ai/` next to the project file. One JSON file per section, written
//! atomically the moment that section finishes, so a failure or Ctrl-C never loses finished
//! work and a finished section is never paid for twice. Also remembers the drafts it wrote, so
//! it never overwrites one a person has edited since.

use crate::client::{Answer, ThinkFilter, Usage};
use crate::config::Endpoint;
use crate::error::{Error, Result, write_atomic};
use crate::templates::{FilledPrompt, Message};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

pub const DIR: &str = ".plan-ai";
const FORMAT: u32 = 1;

/// What was asked: the prompt as sent and the settings that shape the answer. Never the key.
/// Two requests with equal records would be asked the same question the same way.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RequestRecord {
    pub messages: Vec<Message>,
    pub profile: Option<String>,
    pub base_url: Option<String>,
    /// The configured model; `None` means "the server's only model".
    pub model: Option<String>,
    pub temperature: Option<f64>,
    pub max_tokens: Option<u32>,
}

impl RequestRecord {
    pub fn new(filled: &FilledPrompt, ep: &Endpoint) -> Self {
        RequestRecord {
            messages: filled.messages.clone(),
            profile: Some(ep.profile.clone()),
            base_url: Some(ep.base_url.clone()),
            model: ep.model.clone(),
            temperature: ep.temperature,
            max_tokens: ep.max_tokens,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredSection {
    pub format: u32,
    pub section: String,
    pub title: String,
    /// "endpoint" or "pasted".
    pub source: String,
    pub request: RequestRecord,
    pub answer: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
    /// The model the server said answered.
    pub model: Option<String>,
    pub usage: Option<Usage>,
    pub finish_reason: Option<String>,
    pub created_at: String,
    pub elapsed_ms: Option<u64>,
    pub first_token_ms: Option<u64>,
    pub attempts: Option<u32>,
}

impl StoredSection {
    /// `configured` is the endpoint as resolved from settings, before any model discovery:
    /// the record keeps the model as configured, so deciding reuse never needs the server.
    pub fn from_answer(filled: &FilledPrompt, configured: &Endpoint, a: &Answer) -> Self {
        StoredSection {
            format: FORMAT,
            section: filled.section.clone(),
            title: filled.title.clone(),
            source: "endpoint".into(),
            request: RequestRecord::new(filled, configured),
            answer: a.text.clone(),
            reasoning: a.reasoning.clone(),
            model: Some(a.model.clone()),
            usage: a.usage.clone(),
            finish_reason: Some(a.finish_reason.clone()),
            created_at: now_rfc3339(),
            elapsed_ms: Some(a.elapsed.as_millis() as u64),
            first_token_ms: a.first_token.map(|t| t.as_millis() as u64),
            attempts: Some(a.attempts),
        }
    }

    pub fn from_paste(filled: &FilledPrompt, text: &str) -> Self {
        let mut filter = ThinkFilter::default();
        let (mut answer, mut reasoning) = filter.feed(text);
        let (rest, thought) = filter.finish();
        answer.push_str(&rest);
        reasoning.push_str(&thought);
        StoredSection {
            format: FORMAT,
            section: filled.section.clone(),
            title: filled.title.clone(),
            source: "pasted".into(),
            request: RequestRecord {
                messages: filled.messages.clone(),
                profile: None,
                base_url: None,
                model: None,
                temperature: None,
                max_tokens: None,
            },
            answer: answer.trim().to_string(),
            reasoning: Some(reasoning).filter(|r| !r.trim().is_empty()),
            model: None,
            usage: None,
            finish_reason: None,
            created_at: now_rfc3339(),
            elapsed_ms: None,
            first_token_ms: None,
            attempts: None,
        }
    }

    /// Whether this stored answer answers `filled` as `ep` would ask it. A pasted answer is
    /// current while its prompt is: it was chosen by a person, whatever the endpoint.
    pub fn is_current(&self, filled: &FilledPrompt, ep: Option<&Endpoint>) -> bool {
        if self.request.messages != filled.messages {
            return false;
        }
        match (self.source.as_str(), ep) {
            ("pasted", _) => true,
            (_, Some(ep)) => self.request == RequestRecord::new(filled, ep),
            (_, None) => true,
        }
    }
}

pub struct Store {
    dir: PathBuf,
}

impl Store {
    pub fn new(project_dir: &Path) -> Store {
        Store {
            dir: project_dir.join(DIR),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn section_path(&self, id: &str) -> PathBuf {
        self.dir.join("sections").join(format!("{id}.json"))
    }

    pub fn save(&self, s: &StoredSection) -> Result<PathBuf> {
        let path = self.section_path(&s.section);
        let json = serde_json::to_string_pretty(s).map_err(|e| Error::Other(e.to_string()))?;
        write_atomic(&path, json.as_bytes())?;
        Ok(path)
    }

    /// The stored result for `id`. A file that cannot be read as one is reported and ignored:
    /// the section is then simply requested again.
    pub fn load(&self, id: &str) -> Option<StoredSection> {
        let path = self.section_path(id);
        let text = std::fs::read_to_string(&path).ok()?;
        match serde_json::from_str::<StoredSection>(&text) {
            Ok(s) if s.section == id => Some(s),
            _ => {
                eprintln!(
                    "warning: ignoring {}: not a plan-ai section record",
                    path.display()
                );
                None
            }
        }
    }

    fn drafts_path(&self) -> PathBuf {
        self.dir.join("drafts.json")
    }

    /// Writes the draft atomically. Refuses to replace a file that plan-ai did not write or
    /// that changed since it did, unless `force`.
    pub fn write_draft(&self, path: &Path, markdown: &str, force: bool) -> Result<()> {
        let key = std::path::absolute(path)
            .unwrap_or_else(|_| path.to_path_buf())
            .display()
            .to_string();
        let mut written: BTreeMap<String, String> = std::fs::read_to_string(self.drafts_path())
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        if path.is_dir() {
            return Err(Error::Usage(format!(
                "{} is a folder; give a file name with -o",
                path.display()
            )));
        }
        if !force && let Ok(existing) = std::fs::read(path) {
            let ours = written
                .get(&key)
                .is_some_and(|h| *h == fingerprint(&existing));
            if !ours && existing != markdown.as_bytes() {
                return Err(Error::Other(format!(
                    "{} exists and was edited since plan-ai wrote it (or plan-ai did not write it); refusing to overwrite it.\nPass --force to replace it, or -o OTHER.md to write the draft elsewhere.",
                    path.display()
                )));
            }
        }
        write_atomic(path, markdown.as_bytes())?;
        written.insert(key, fingerprint(markdown.as_bytes()));
        let json =
            serde_json::to_string_pretty(&written).map_err(|e| Error::Other(e.to_string()))?;
        write_atomic(&self.drafts_path(), json.as_bytes())
    }
}

/// FNV-1a, 64-bit: stable across Rust versions (std's hasher is not), and collisions do not
/// matter for "did someone edit this file".
fn fingerprint(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}-{}", bytes.len())
}

/// Days since 1970-01-01 to (year, month, day), Howard Hinnant's civil-from-days.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z.rem_euclid(146097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + if m <= 2 { 1 } else { 0 }, m, d)
}

pub fn now_rfc3339() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (y, m, d) = civil_from_days(secs.div_euclid(86400));
    let t = secs.rem_euclid(86400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        t / 3600,
        t % 3600 / 60,
        t % 60
    )
}

pub fn today_iso() -> String {
    now_rfc3339()[..10].to_string()
}
