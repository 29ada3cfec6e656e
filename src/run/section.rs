//! One section's request, start to finish: prose as asked, or structure by the fallback ladder
//! (`json_schema`, then `json_object` with the schema, then the schema in the prompt), decided
//! by what the server answers. Every answer is checked; a bad one is re-asked once with what
//! was wrong, and kept as prose (marked unstructured) if it is still wrong.

use crate::chat::{Answer, ChatRequest, Message};
use crate::error::{EndpointError, Error, Hint, Result};
use crate::llm::{Client, Notice, Notify, Sink};
use crate::project::people::{Found, Guard};
use crate::project::{Privacy, Project};
use crate::prompts::FilledPrompt;
use crate::sections::{Rung, Structure, Structured, table};
use serde_json::Value;

/// A section ready to request: its filled prompt, and the structure it asks for (if any).
#[derive(Debug, Clone)]
pub struct Planned {
    pub filled: FilledPrompt,
    pub structure: Option<Structure>,
}

impl Planned {
    pub fn id(&self) -> &str {
        &self.filled.section
    }
}

/// How one section is asked.
pub struct Job<'a> {
    pub filled: &'a FilledPrompt,
    /// `None`: prose.
    pub structure: Option<&'a Structure>,
    pub project: &'a Project,
    /// What the request may carry of the people: every message passes [`outgoing`].
    pub privacy: Privacy,
    pub stream: bool,
    /// Where the ladder starts: remembered for this endpoint and model, else `json_schema`.
    pub start: Rung,
    /// The user set `max_tokens`: a cut-off answer is then an error, not re-asked with more.
    pub max_tokens_explicit: bool,
}

/// What came back, checked.
#[derive(Debug)]
pub struct Generated {
    /// The last answer (its usage is that request's).
    pub answer: Answer,
    /// The validated JSON and its typed form.
    pub structured: Option<(Value, Structured)>,
    /// The way of asking that worked.
    pub rung: Option<Rung>,
    /// Why a section meant to be structured is kept as prose.
    pub unstructured: Option<String>,
    /// Requests sent, adaptations and retries aside.
    pub requests: u32,
}

impl Generated {
    /// The answer as text for people: the structured answer as Markdown tables, or the prose.
    pub fn text(&self) -> String {
        match &self.structured {
            Some((_, s)) => table::to_markdown(s),
            None => self.answer.text.clone(),
        }
    }
}

/// The messages for a way of asking: the article's prompt as the user message, unchanged, and
/// the JSON instruction in a system message (added to the section's own, if any).
pub fn structured_messages(
    filled: &FilledPrompt,
    structure: &Structure,
    rung: Rung,
) -> Vec<Message> {
    let instruction = structure.instruction(rung);
    let mut messages = filled.messages.clone();
    match messages
        .iter_mut()
        .find(|m| m.role == crate::chat::Role::System)
    {
        Some(system) => system.content = format!("{}\n\n{instruction}", system.content),
        None => messages.insert(0, Message::system(instruction)),
    }
    messages
}

/// The one way out: every message a request carries (a first answer's, the structured
/// re-ask quoting the previous answer, a revision's conversation and feedback, a Batch API
/// line) passes the outgoing guard here. Kept local, a request that names someone is refused;
/// pseudonymised, each name, part of one, title, champion and contact is replaced; shared, it
/// goes as written. The JSON schema (`format`) is built from the project's groups and roles:
/// a name there could not be replaced without changing the answer's keys, so unless people
/// are shared such a request is refused, pseudonymised or not.
pub fn outgoing(
    messages: &[Message],
    format: Option<&Value>,
    section: &str,
    project: &Project,
    privacy: Privacy,
) -> Result<Vec<Message>> {
    let guard = Guard::new(project, privacy);
    let messages = crate::prompts::guarded(&guard, section, messages.to_vec(), project)?;
    if privacy == Privacy::Shared {
        return Ok(messages);
    }
    let schema = format.map(Value::to_string).unwrap_or_default();
    let mut hits = guard.register.scan(&schema).into_iter();
    if let Some(hit) = hits.find(|h| h.found != Found::Title) {
        let field = crate::project::people::names_in_group_fields(project)
            .into_iter()
            .find(|(_, h)| h.text == hit.text)
            .map(|(path, _)| path);
        return Err(Error::PersonInRequest {
            section: section.to_string(),
            field,
            found: hit.found.as_str(),
            person: hit.person,
            in_schema: true,
        });
    }
    Ok(messages)
}

pub async fn request(
    client: &Client,
    job: &Job<'_>,
    sink: &mut dyn Sink,
    notify: Notify<'_>,
) -> Result<Generated> {
    let Some(structure) = job.structure else {
        let messages = job.outgoing(&job.filled.messages, None)?;
        let req = ChatRequest::new(&messages, job.stream);
        let answer = client.chat(&req, sink, notify).await?;
        if answer.text.trim().is_empty() && !answer.finish_reason.is_cut_off() {
            return Err(only_reasoning(client));
        }
        return Ok(Generated {
            answer,
            structured: None,
            rung: None,
            unstructured: None,
            requests: 1,
        });
    };
    Ladder {
        client,
        job,
        structure,
        rung: job.start,
        max_tokens: (!job.max_tokens_explicit)
            .then_some(structure.budget)
            .flatten(),
        requests: 0,
        followup: None,
        raised_limit: false,
    }
    .run(sink, notify)
    .await
}

impl Job<'_> {
    /// `messages` as this job may send them: see [`outgoing`].
    fn outgoing(&self, messages: &[Message], format: Option<&Value>) -> Result<Vec<Message>> {
        outgoing(
            messages,
            format,
            &self.filled.section,
            self.project,
            self.privacy,
        )
    }
}

struct Ladder<'a> {
    client: &'a Client,
    job: &'a Job<'a>,
    structure: &'a Structure,
    rung: Rung,
    max_tokens: Option<u32>,
    requests: u32,
    /// The previous answer and what was wrong with it, for the one re-ask.
    followup: Option<(String, Vec<String>)>,
    raised_limit: bool,
}

impl Ladder<'_> {
    async fn run(mut self, sink: &mut dyn Sink, notify: Notify<'_>) -> Result<Generated> {
        loop {
            let mut messages = structured_messages(self.job.filled, self.structure, self.rung);
            if let Some((previous, problems)) = &self.followup {
                messages.push(Message {
                    role: crate::chat::Role::Assistant,
                    content: previous.clone(),
                });
                messages.push(Message::user(format!(
                    "That JSON does not fit what was asked:\n- {}\nSend the whole corrected JSON object, and nothing else.",
                    problems.join("\n- ")
                )));
            }
            let format = self.structure.response_format(self.rung);
            let messages = self.job.outgoing(&messages, format.as_ref())?;
            let req = ChatRequest {
                messages: &messages,
                stream: self.job.stream,
                response_format: format.as_ref(),
                max_tokens: self.max_tokens,
            };
            self.requests += 1;
            let answer = match self.client.chat(&req, sink, notify).await {
                Err(Error::Endpoint(e)) if e.format_rejected => {
                    let Some(next) = self.rung.next() else {
                        return Err(Error::Endpoint(e));
                    };
                    notify(Notice::FormatRejected {
                        rejected: rung_name(self.rung),
                        next: rung_name(next),
                    });
                    self.rung = next;
                    continue;
                }
                other => other?,
            };
            if answer.finish_reason.is_cut_off() {
                self.cut_off(&answer, notify)?;
                continue;
            }
            // Some servers put the JSON in the reasoning and leave the answer empty.
            let text = if answer.text.trim().is_empty() {
                answer.reasoning.clone().unwrap_or_default()
            } else {
                answer.text.clone()
            };
            match self.structure.check_text(&text, self.job.project) {
                Ok(checked) => {
                    return Ok(Generated {
                        answer,
                        structured: Some(checked),
                        rung: Some(self.rung),
                        unstructured: None,
                        requests: self.requests,
                    });
                }
                Err(problems) if self.followup.is_none() => {
                    notify(Notice::Reasking {
                        why: problems.first().cloned().unwrap_or_default(),
                    });
                    self.followup = Some((text, problems));
                }
                Err(problems) => {
                    if text.trim().is_empty() {
                        return Err(only_reasoning(self.client));
                    }
                    return Ok(Generated {
                        answer,
                        structured: None,
                        rung: None,
                        unstructured: Some(problems.join("; ")),
                        requests: self.requests,
                    });
                }
            }
        }
    }

    /// A JSON answer cut off at the token limit cannot be used: ask once more with twice the
    /// room, unless the user chose the limit.
    fn cut_off(&mut self, answer: &Answer, notify: Notify<'_>) -> Result<()> {
        let limit = self
            .max_tokens
            .or(self.client.endpoint().request.max_tokens);
        if self.raised_limit || self.job.max_tokens_explicit {
            let t = &self.client.endpoint().transport;
            return Err(EndpointError {
                action: format!("POST {}", t.chat_url()),
                reason: format!(
                    "the JSON answer for `{}` was cut off at the token limit{} (finish_reason \"length\")",
                    self.job.filled.section,
                    limit.map(|l| format!(" of {l}")).unwrap_or_default()
                ),
                attempts: self.requests,
                after_partial_output: false,
                hint: Some(Hint::RaiseMaxTokens),
                format_rejected: false,
            }
            .into());
        }
        let raised = limit.unwrap_or(2048).saturating_mul(2);
        notify(Notice::Reasking {
            why: format!(
                "the JSON was cut off at {} tokens ({} characters arrived); asking with room for {raised}",
                limit.map_or("the server's".to_string(), |l| l.to_string()),
                answer.text.len()
            ),
        });
        self.max_tokens = Some(raised);
        self.raised_limit = true;
        Ok(())
    }
}

fn rung_name(rung: Rung) -> &'static str {
    match rung {
        Rung::JsonSchema => "response_format json_schema",
        Rung::JsonObject => "response_format json_object with a schema",
        Rung::Prompted => "the schema in the prompt",
    }
}

fn only_reasoning(client: &Client) -> Error {
    EndpointError {
        action: format!("POST {}", client.endpoint().transport.chat_url()),
        reason: "the model sent only reasoning, no answer".to_string(),
        attempts: 1,
        after_partial_output: false,
        hint: None,
        format_rejected: false,
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sections::Kind;

    #[test]
    fn the_article_prompt_stays_the_user_message_and_the_instruction_goes_first() {
        let filled = FilledPrompt {
            section: "metrics".into(),
            title: "Success metrics".into(),
            messages: vec![Message::user("The article's prompt.")],
        };
        let p = Project::default();
        let s = Structure::built_in(Kind::Metrics, &p);
        let m = structured_messages(&filled, &s, Rung::JsonObject);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].role, crate::chat::Role::System);
        assert!(m[0].content.contains("JSON"));
        assert_eq!(m[1], filled.messages[0]);
        // A section's own system message keeps its words, the instruction after them.
        let mut own = filled.clone();
        own.messages.insert(0, Message::system("Be brief."));
        let m = structured_messages(&own, &s, Rung::Prompted);
        assert_eq!(m.len(), 2);
        assert!(
            m[0].content
                .starts_with("Be brief.\n\nGive your answer as one JSON object")
        );
        assert!(m[0].content.contains("```json"));
    }

    #[test]
    fn every_message_and_the_schema_pass_the_outgoing_guard() {
        let p: Project = toml::from_str(
            "[[stakeholders]]\nname = \"Derek Holloway\"\ntitle = \"Regional Sales Manager, North\"\ngroup = \"managers\"\ninfluence = \"high\"\ninterest = \"high\"\nstance = \"resistant\"\n",
        )
        .unwrap();
        let messages = [
            Message::user("Plan the rollout."),
            Message {
                role: crate::chat::Role::Assistant,
                content: "Ask S01 first.".into(),
            },
            Message::user("Derek Holloway will not move; write to derek@x.org"),
        ];
        let send = |privacy, format: Option<&Value>| outgoing(&messages, format, "s", &p, privacy);
        // Local: refused, naming the stakeholder.
        let e = send(Privacy::Local, None).unwrap_err();
        assert!(
            matches!(&e, Error::PersonInRequest { person: Some(n), in_schema: false, .. } if n == "Derek Holloway"),
            "{e:?}"
        );
        // Pseudonymised: replaced in every message, the model's own included.
        let sent = send(Privacy::Pseudonymised, None).unwrap();
        assert_eq!(sent[1].content, "Ask S01 first.");
        assert_eq!(
            sent[2].content,
            "S01 will not move; write to [e-mail removed]"
        );
        // A name in the schema (a group's) cannot be replaced: refused unless shared.
        let schema = serde_json::json!({"properties": {"Holloway's team": {}}});
        let e = send(Privacy::Pseudonymised, Some(&schema)).unwrap_err();
        assert!(
            matches!(
                e,
                Error::PersonInRequest {
                    in_schema: true,
                    ..
                }
            ),
            "{e:?}"
        );
        // A title in our own descriptions is a role, not a name.
        let roles = serde_json::json!({"description": "regional sales manager, north"});
        assert!(send(Privacy::Pseudonymised, Some(&roles)).is_ok());
        // Shared: as written.
        let shared = send(Privacy::Shared, Some(&schema)).unwrap();
        assert_eq!(shared[2].content, messages[2].content);
    }
}
