//! Built-in endpoint presets: the servers people use most, usable as `--profile NAME`.

/// Used when neither a flag, the environment, the project nor the config names a profile:
/// the local llama.cpp server that `scripts/llm-server start` runs.
pub const DEFAULT_PROFILE: &str = "llamacpp";

pub struct Preset {
    pub name: &'static str,
    pub base_url: &'static str,
    /// `None`: ask the server's `/models` and use the only model it serves.
    pub model: Option<&'static str>,
    pub key_required: bool,
    /// Local servers often generate until their context is full when no limit is sent.
    pub max_tokens: Option<u32>,
}

pub const PRESETS: &[Preset] = &[
    Preset {
        name: "openai",
        base_url: "https://api.openai.com/v1",
        model: Some("gpt-4o-mini"),
        key_required: true,
        max_tokens: None,
    },
    Preset {
        name: "openrouter",
        base_url: "https://openrouter.ai/api/v1",
        model: Some("openai/gpt-4o-mini"),
        key_required: true,
        max_tokens: None,
    },
    Preset {
        name: "ollama",
        base_url: "http://127.0.0.1:11434/v1",
        model: None,
        key_required: false,
        max_tokens: None,
    },
    Preset {
        name: "llamacpp",
        base_url: "http://127.0.0.1:8080/v1",
        model: None,
        key_required: false,
        max_tokens: Some(1024),
    },
    Preset {
        name: "vllm",
        base_url: "http://127.0.0.1:8000/v1",
        model: None,
        key_required: false,
        max_tokens: None,
    },
    Preset {
        name: "lmstudio",
        base_url: "http://127.0.0.1:1234/v1",
        model: None,
        key_required: false,
        max_tokens: None,
    },
];

pub fn find(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

pub fn names() -> Vec<String> {
    PRESETS.iter().map(|p| p.name.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_a_preset_and_names_are_unique() {
        assert!(find(DEFAULT_PROFILE).is_some());
        let mut names = names();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), PRESETS.len());
    }

    #[test]
    fn hosted_presets_need_keys_and_https() {
        for p in PRESETS {
            let local = p.base_url.starts_with("http://127.0.0.1");
            assert_eq!(p.key_required, !local, "{}", p.name);
            assert!(local || p.base_url.starts_with("https://"), "{}", p.name);
        }
    }
}
