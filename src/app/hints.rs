//! The hints that name a command: lower layers report what went wrong as data, and this is
//! where the command that helps is named, with this project's `-p FILE` when it needs one.

use super::project_flag;
use crate::endpoint::keys::{ENV_KEY, KeyStatus};
use crate::error::Error;
use crate::text::shell_word;
use std::path::Path;

/// The next step for an error, when a command is it.
pub fn for_error(e: &Error) -> Option<String> {
    match e {
        Error::ProjectNotFound(path) => Some(format!(
            "create one with `plan-ai init {}`, or point at one with -p FILE (examples are in examples/)",
            shell_word(&path.display().to_string())
        )),
        Error::KeyNeeded {
            profile,
            chosen_by_project,
            env_var,
        } => {
            let p = shell_word(profile);
            Some(if *chosen_by_project {
                format!(
                    "store one with `plan-ai key set --profile {p}`, or pass --profile {p} to confirm the choice so {env_var} may be sent"
                )
            } else {
                format!("store one with `plan-ai key set --profile {p}`, or set {env_var}")
            })
        }
        Error::PersonInRequest {
            field,
            in_schema: true,
            ..
        } => Some(format!(
            "rename {} so it names no one: it is a key of the answer's JSON",
            field.as_deref().unwrap_or("the group or role")
        )),
        Error::PersonInRequest { field, .. } => Some(format!(
            "rephrase {} without the name, or choose --people pseudonymised (names go out as S01, S02…, put back on this machine; `plan-ai check` lists every field that names someone)",
            field.as_deref().unwrap_or("what you wrote")
        )),
        Error::HeldBack {
            no_register: false,
            ..
        } => Some(
            "choose --people pseudonymised (names go out as S01, S02… and are put back on this machine), or set [privacy] people = \"pseudonymised\" in the project file".into(),
        ),
        _ => None,
    }
}

/// A stored answer made from an earlier prompt, and how to refresh it.
pub fn stale(section: &str, project: &Path) -> String {
    format!(
        "the stored answer for `{section}` was made from a different prompt (the project file or template changed); `plan-ai draft{}` refreshes it",
        project_flag(project)
    )
}

/// A section with no stored answer to revise, edit or compare, and the commands that give it one.
pub fn no_answer(section: &str, project: &Path) -> Error {
    let (s, p) = (shell_word(section), project_flag(project));
    Error::Incomplete(format!(
        "`{section}` has no stored answer yet; generate it with `plan-ai run {s}{p}` (or `plan-ai draft{p}`), or store one from a chat tool with `plan-ai paste {s}{p}`"
    ))
}

/// Where a profile's key would come from, in words (never the key).
pub fn key_status(profile: &str, status: &KeyStatus) -> String {
    match status {
        KeyStatus::Environment { also_stored } => format!(
            "profile `{profile}`: key from the environment ({ENV_KEY}), which takes precedence{}",
            also_stored
                .map(|store| format!("; a key is also stored in {store}"))
                .unwrap_or_default()
        ),
        KeyStatus::Stored(store) => format!("profile `{profile}`: key stored in {store}"),
        KeyStatus::NoKey => format!(
            "profile `{profile}`: no key (none stored, {ENV_KEY} not set); requests send no Authorization header.\nStore one with `plan-ai key set --profile {}`.",
            shell_word(profile)
        ),
        KeyStatus::Unavailable(why) => format!("profile `{profile}`: no key; {why}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_name_the_command_that_helps() {
        let p = Path::new("crm.toml");
        let missing = Error::ProjectNotFound("my p.toml".into());
        assert_eq!(
            for_error(&missing).unwrap(),
            "create one with `plan-ai init 'my p.toml'`, or point at one with -p FILE (examples are in examples/)"
        );
        let key = |chosen_by_project| Error::KeyNeeded {
            profile: "work".into(),
            chosen_by_project,
            env_var: ENV_KEY,
        };
        assert!(
            for_error(&key(false))
                .unwrap()
                .ends_with("or set PLAN_AI_API_KEY")
        );
        assert!(
            for_error(&key(true))
                .unwrap()
                .contains("pass --profile work to confirm")
        );
        assert_eq!(for_error(&Error::Usage("x".into())), None);
        let person = Error::PersonInRequest {
            section: "communication".into(),
            field: Some("project.description".into()),
            found: "the name",
            person: Some("Ann Day".into()),
            in_schema: false,
        };
        assert!(for_error(&person).unwrap().starts_with(
            "rephrase project.description without the name, or choose --people pseudonymised"
        ));
        let held = Error::HeldBack {
            section: "engagement".into(),
            no_register: false,
        };
        assert!(
            for_error(&held)
                .unwrap()
                .starts_with("choose --people pseudonymised")
        );
        assert_eq!(
            stale("metrics", p),
            "the stored answer for `metrics` was made from a different prompt (the project file or template changed); `plan-ai draft -p crm.toml` refreshes it"
        );
    }

    #[test]
    fn key_status_never_needs_the_key() {
        let cases = [
            (
                KeyStatus::Environment {
                    also_stored: Some("the kernel keyring"),
                },
                "key from the environment (PLAN_AI_API_KEY), which takes precedence; a key is also stored in the kernel keyring",
            ),
            (
                KeyStatus::Stored("GNOME Keyring"),
                "key stored in GNOME Keyring",
            ),
            (KeyStatus::NoKey, "`plan-ai key set --profile 'my p'`"),
        ];
        for (status, want) in cases {
            let text = key_status("my p", &status);
            assert!(text.contains(want), "{text}");
        }
    }
}
