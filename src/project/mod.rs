//! The project data file: reading it, validating it, and the typed result.
//!
//! Only a file that passes [`validate`] is deserialized into [`Project`], so every problem is
//! reported at once, with its line and column.

mod model;
pub mod people;
pub mod validate;
mod warnings;

pub use model::*;

use crate::error::{Error, Result};
use crate::text::line_col;
use std::path::{Path, PathBuf};

/// A project file is a few KB; anything past this is a wrong file, not a big project.
pub const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024;

/// Person-level top-level keys, which prompts only see on opt-in.
pub const PERSON_LEVEL: &[&str] = &["stakeholders", "champions"];

/// A loaded, schema-valid project and what was noticed about it.
#[derive(Debug)]
pub struct Loaded {
    pub path: PathBuf,
    pub project: Project,
    pub warnings: Vec<String>,
}

impl Loaded {
    /// The folder the project file lives in: home of its `prompts/`, `.plan-ai/` and `plan.md`.
    pub fn dir(&self) -> PathBuf {
        crate::fs::parent_dir(&self.path)
    }
}

pub fn load(path: &Path) -> Result<Loaded> {
    let text = read_text(path)?;
    parse(path, &text)
}

/// Validates and types the text of a project file; `path` is only for messages.
pub fn parse(path: &Path, text: &str) -> Result<Loaded> {
    let problems = validate::problems(text);
    if !problems.is_empty() {
        return Err(Error::Data(validate::describe_problems(
            path, text, &problems,
        )));
    }
    // Validation accepted every key and type, so serde cannot fail here; if it ever does, its
    // own located message is still the right thing to show.
    let project: Project =
        toml::from_str(text).map_err(|e| Error::Data(format!("{}: {e}", path.display())))?;
    let project = normalize(project);
    let warnings = warnings::weak_spots(&project);
    Ok(Loaded {
        path: path.to_path_buf(),
        project,
        warnings,
    })
}

fn read_text(path: &Path) -> Result<String> {
    let meta = std::fs::metadata(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::ProjectNotFound(path.to_path_buf())
        } else {
            Error::file("read project file", path, e)
        }
    })?;
    if meta.is_dir() {
        return Err(Error::Data(format!(
            "{} is a folder; give the project file itself, e.g. -p {}",
            path.display(),
            path.join("plan-ai.toml").display()
        )));
    }
    if !meta.is_file() {
        return Err(Error::Data(format!(
            "{} is not a regular file (a FIFO, device or socket); give the project file itself",
            path.display()
        )));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_big(path, meta.len()));
    }
    // Opened as a regular file only (never blocking on a FIFO put there since), and bounded.
    let bytes = crate::fs::read_regular(path, MAX_FILE_BYTES)
        .map_err(|e| Error::file("read project file", path, e))?
        .ok_or_else(|| too_big_unknown(path))?;
    String::from_utf8(bytes).map_err(|e| {
        let good = e.utf8_error().valid_up_to();
        let (line, col) = line_col(&String::from_utf8_lossy(&e.as_bytes()[..good]), good);
        Error::Data(format!(
            "{}:{line}:{col}: the file is not valid UTF-8 (byte {good}); save it as UTF-8",
            path.display()
        ))
    })
}

fn too_big_unknown(path: &Path) -> Error {
    Error::Data(format!(
        "{} is longer than {MAX_FILE_BYTES} bytes; a project file is a few kilobytes. Is this the right file?",
        path.display(),
    ))
}

fn too_big(path: &Path, len: u64) -> Error {
    Error::Data(format!(
        "{} is {len} bytes; a project file is a few kilobytes (limit {MAX_FILE_BYTES} bytes). Is this the right file?",
        path.display(),
    ))
}

/// A way to edit the project's text, field by field.
pub trait EditText {
    fn text(&mut self, s: &mut String);
    fn optional(&mut self, s: &mut Option<String>);
    fn list(&mut self, v: &mut Vec<String>);
}

/// Hands every group-level text of the project (each field that is not a person's, the
/// project's version aside) to `e`.
pub fn edit_group_level(p: &mut Project, e: &mut dyn EditText) {
    let i = &mut p.project;
    for o in [
        &mut i.name,
        &mut i.system,
        &mut i.department,
        &mut i.company_type,
        &mut i.description,
        &mut i.primary_purpose,
        &mut i.sponsor,
        &mut i.owner,
    ] {
        e.optional(o);
    }
    e.list(&mut i.replaced_tools);
    e.list(&mut i.workarounds);
    for r in &mut p.roles {
        e.text(&mut r.name);
        e.optional(&mut r.what_changes);
    }
    for g in &mut p.groups {
        e.text(&mut g.name);
        e.optional(&mut g.concerns);
        e.list(&mut g.preferred_channels);
    }
    for m in &mut p.milestones {
        e.text(&mut m.name);
    }
    e.list(&mut p.feedback.channels);
    e.optional(&mut p.feedback.cadence);
    e.optional(&mut p.feedback.anonymous_channel);
    let ops = &mut p.operations;
    for list in [
        &mut ops.processes_to_change,
        &mut ops.reports_retired,
        &mut ops.new_workflows,
    ] {
        e.list(list);
    }
}

/// Trims strings: an empty one becomes missing, and an empty list entry is dropped.
struct Trim;

impl EditText for Trim {
    fn text(&mut self, s: &mut String) {
        *s = s.trim().to_string();
    }
    fn optional(&mut self, s: &mut Option<String>) {
        if let Some(v) = s {
            let t = v.trim();
            *s = (!t.is_empty()).then(|| t.to_string());
        }
    }
    fn list(&mut self, v: &mut Vec<String>) {
        v.iter_mut().for_each(|s| *s = s.trim().to_string());
        v.retain(|s| !s.is_empty());
    }
}

/// Trims every string, so "  " counts as empty and stray spaces never reach a prompt.
fn normalize(mut p: Project) -> Project {
    edit_group_level(&mut p, &mut Trim);
    let t = &mut Trim;
    t.optional(&mut p.project.version);
    t.optional(&mut p.project.language);
    for st in &mut p.stakeholders {
        for v in [&mut st.name, &mut st.title, &mut st.group] {
            t.text(v);
        }
        t.optional(&mut st.notes);
    }
    for c in &mut p.champions {
        t.text(&mut c.name);
        t.optional(&mut c.group);
        t.optional(&mut c.why);
    }
    t.optional(&mut p.endpoint.profile);
    t.optional(&mut p.endpoint.request.model);
    p.roles.retain(|r| !r.name.is_empty());
    p.groups.retain(|g| !g.name.is_empty());
    p
}

/// The project as the templates see it: project-, group- and role-level data, and person-level
/// data as `privacy` allows: none, pseudonymised (see [`pseudonymised_people`]) or as written.
/// Dates are plain `YYYY-MM-DD` strings.
pub fn template_context(p: &Project, privacy: Privacy) -> serde_json::Value {
    let mut v = serde_json::to_value(p).unwrap_or_default();
    if let Some(obj) = v.as_object_mut() {
        obj.remove("endpoint");
        obj.remove("privacy");
        obj.remove("output");
        if let Some(launch) = p.project.launch_date.as_ref() {
            obj["project"]["launch_date"] = serde_json::Value::String(launch.to_string());
        }
        for m in obj
            .get_mut("milestones")
            .and_then(|m| m.as_array_mut())
            .into_iter()
            .flatten()
        {
            // toml serializes a date as a one-key table; templates want the text.
            if let Some(d) = m
                .get("date")
                .and_then(|d| d.as_object())
                .and_then(|d| d.values().next())
                .cloned()
            {
                m["date"] = d;
            }
        }
        match privacy {
            Privacy::Local => {
                for key in PERSON_LEVEL {
                    obj.remove(*key);
                }
            }
            Privacy::Pseudonymised => {
                let (stakeholders, champions) = pseudonymised_people(p);
                obj.insert("stakeholders".into(), stakeholders);
                obj.insert("champions".into(), champions);
            }
            Privacy::Shared => {
                // The same codes a pseudonymised prompt uses, next to the names.
                for (i, s) in obj
                    .get_mut("stakeholders")
                    .and_then(|s| s.as_array_mut())
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    s["id"] = serde_json::Value::String(people::pseudonym(i));
                }
            }
        }
    }
    v
}

/// The register and champions as a pseudonymised request carries them: each stakeholder as
/// their pseudonym (`name` and `id`: S01, S02, … in register order) with group, influence,
/// interest, stance and notes (names, titles and contacts in them replaced); no titles (the
/// group stands in). A champion in the register is their pseudonym, anyone else `[person]`.
pub fn pseudonymised_people(p: &Project) -> (serde_json::Value, serde_json::Value) {
    use serde_json::json;
    let register = people::Register::of(p);
    let stakeholders = p
        .stakeholders
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let id = people::pseudonym(i);
            json!({
                "id": id,
                "name": id,
                "group": register.pseudonymise(&s.group),
                "influence": s.influence,
                "interest": s.interest,
                "stance": s.stance,
                "notes": s.notes.as_deref().map(|n| register.pseudonymise(n)),
            })
        })
        .collect();
    let champions = p
        .champions
        .iter()
        .map(|c| {
            json!({
                "name": register.pseudonymise(&c.name),
                "group": c.group.as_deref().map(|g| register.pseudonymise(g)),
                "why": c.why.as_deref().map(|w| register.pseudonymise(w)),
            })
        })
        .collect();
    (
        serde_json::Value::Array(stakeholders),
        serde_json::Value::Array(champions),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_trimmed_and_blank_entries_dropped() {
        let text = "[project]\nname = \"  CRM  \"\nsystem = \"   \"\nreplaced_tools = [\" a \", \"\"]\n[[roles]]\nname = \" \"\n[[roles]]\nname = \"reps \"\n[endpoint]\nmodel = \" \"\n";
        let p = parse(Path::new("p.toml"), text).unwrap().project;
        assert_eq!(p.project.name.as_deref(), Some("CRM"));
        assert_eq!(p.project.system, None);
        assert_eq!(p.project.replaced_tools, ["a"]);
        assert_eq!(p.roles.len(), 1);
        assert_eq!(p.roles[0].name, "reps");
        assert_eq!(p.endpoint.request.model, None);
    }

    #[test]
    fn the_template_context_has_plain_dates_and_no_people_without_opt_in() {
        let text = "[project]\nlaunch_date = 2027-03-01\n[[milestones]]\nname = \"UAT\"\ndate = 2027-02-01\n[[stakeholders]]\nname=\"Ann\"\ntitle=\"CFO\"\ngroup=\"x\"\ninfluence=\"high\"\ninterest=\"low\"\nstance=\"resistant\"\n[endpoint]\nmodel=\"m\"\n";
        let p = parse(Path::new("p.toml"), text).unwrap().project;
        let ctx = template_context(&p, Privacy::Local);
        assert_eq!(ctx["project"]["launch_date"], "2027-03-01");
        assert_eq!(ctx["milestones"][0]["date"], "2027-02-01");
        assert!(ctx.get("stakeholders").is_none());
        assert!(ctx.get("endpoint").is_none());
        let shared = template_context(&p, Privacy::Shared);
        assert_eq!(shared["stakeholders"][0]["influence"], "high");
        assert_eq!(shared["stakeholders"][0]["id"], "S01");
        assert_eq!(shared["stakeholders"][0]["name"], "Ann");
        assert_eq!(shared["stakeholders"][0]["stance"], "resistant");
    }

    #[test]
    fn endpoint_preferences_read_their_request_settings() {
        let text = "[endpoint]\nprofile = \"openai\"\nmodel = \"gpt-4o\"\ntemperature = 1\nmax_tokens = 900\n";
        let prefs = parse(Path::new("p.toml"), text).unwrap().project.endpoint;
        assert_eq!(prefs.profile.as_deref(), Some("openai"));
        assert_eq!(prefs.request.model.as_deref(), Some("gpt-4o"));
        assert_eq!(prefs.request.temperature, Some(1.0));
        assert_eq!(prefs.request.max_tokens, Some(900));
    }
}
