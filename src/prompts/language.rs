//! Prompts in the plan's language: the instruction that asks a model for answers in it, and
//! the template environment of a template written for it (`prompts/de/resistance.md`).
//!
//! The article's prompts stay word for word in English; for any other language one system
//! text is added, which names the language in English and in itself and keeps JSON keys and
//! enum values as they are (they are checked against the schema). With English nothing
//! changes.

use super::FilledPrompt;
use crate::chat::{Message, Role};
use crate::i18n::Language;
use minijinja::Environment;

/// How the instruction starts: `prompt` shows it, and a person pasting into a chat tool sees it.
pub const MARK: &str = "Answer language:";

/// The instruction for `lang`, or none for English.
pub fn instruction(lang: &Language) -> Option<String> {
    if lang.is_english() {
        return None;
    }
    let name = lang.display_name();
    Some(format!(
        "{MARK} {name}. Write every text value of your answer in {name}. Keep JSON keys, and values chosen from a fixed list (enum values, the project's role and group names), exactly as the request gives them."
    ))
}

impl FilledPrompt {
    /// The prompt asking for answers in `lang`: the instruction follows the section's own
    /// system message, or is the system message. English: the prompt as it is.
    pub fn in_language(mut self, lang: &Language) -> FilledPrompt {
        let Some(text) = instruction(lang) else {
            return self;
        };
        match self.messages.iter_mut().find(|m| m.role == Role::System) {
            Some(system) => system.content = format!("{}\n\n{text}", system.content),
            None => self.messages.insert(0, Message::system(text)),
        }
        self
    }
}

/// The template environment for text written in `lang`: the prompts' filters, with
/// `long_date`, `list`, `number`, `term` and `t` in that language (`list_en` stays English).
pub fn environment_in(lang: &Language) -> Environment<'static> {
    let mut env = super::environment();
    crate::i18n::template::install(&mut env, lang);
    env
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Available, Shipped};

    fn filled(messages: Vec<Message>) -> FilledPrompt {
        FilledPrompt {
            section: "metrics".into(),
            title: "Success metrics".into(),
            messages,
        }
    }

    #[test]
    fn english_changes_nothing() {
        let f = filled(vec![Message::user("The article's prompt.")]);
        for tag in ["en", "en-GB", "en-US"] {
            let en = Available::default().resolve(Some(tag), "t").unwrap();
            assert_eq!(f.clone().in_language(&en), f, "{tag}");
        }
    }

    #[test]
    fn the_instruction_names_the_language_twice_and_keeps_keys_and_enums() {
        let de = Language::shipped(Shipped::De);
        let f = filled(vec![Message::user("The article's prompt.")]).in_language(&de);
        assert_eq!(f.messages.len(), 2);
        assert_eq!(f.messages[0].role, Role::System);
        let text = &f.messages[0].content;
        assert!(
            text.starts_with("Answer language: German (Deutsch)."),
            "{text}"
        );
        assert!(text.contains("every text value of your answer in German (Deutsch)"));
        assert!(text.contains("Keep JSON keys") && text.contains("enum values"));
        assert_eq!(f.messages[1], Message::user("The article's prompt."));
        assert!(f.paste_text().starts_with(MARK));
        // A section's own system message keeps its words, the instruction after them.
        let own = filled(vec![Message::system("Be brief."), Message::user("P")]);
        let f = own.in_language(&Language::shipped(Shipped::Fr));
        assert_eq!(f.messages.len(), 2);
        assert!(
            f.messages[0]
                .content
                .starts_with("Be brief.\n\nAnswer language: French (français).")
        );
    }

    #[test]
    fn a_template_for_a_language_writes_its_dates_and_lists() {
        let env = environment_in(&Language::shipped(Shipped::Es));
        let cases = [
            ("{{ '2027-03-08' | long_date }}", "8 de marzo de 2027"),
            (
                "{{ ['Ventas', 'Ingeniería'] | listing }}",
                "Ventas e Ingeniería",
            ),
            ("{{ ['a', 'b'] | list_en }}", "a and b"),
        ];
        for (tmpl, want) in cases {
            assert_eq!(env.render_str(tmpl, ()).unwrap(), want, "{tmpl}");
        }
    }
}
