//! The run store's tests.

use super::*;
use crate::project::Project;
use crate::run::record::tests::filled;

#[test]
fn fingerprints_are_stable_and_tell_files_apart() {
    assert_eq!(fingerprint(b""), "cbf29ce484222325-0");
    assert_eq!(fingerprint(b"a"), "af63dc4c8601ec8c-1");
    assert_ne!(fingerprint(b"ab"), fingerprint(b"ba"));
}

#[test]
fn save_load_and_unreadable_records() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert!(store.load("metrics").unwrap().is_none());
    let s = StoredSection::from_paste(&filled("p"), "answer", None, &Project::default()).unwrap();
    store.save(&s).unwrap();
    assert_eq!(store.load("metrics").unwrap().unwrap().answer, "answer");
    std::fs::write(dir.path().join(".plan-ai/sections/metrics.json"), "{}").unwrap();
    let mut notes = Vec::new();
    assert!(store.load_or_note("metrics", &mut notes).is_none());
    assert!(
        notes[0].contains("not a plan-ai section record"),
        "{notes:?}"
    );
}

#[test]
fn section_ids_from_state_files_never_become_paths() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let bad = [
        "../../../../outside/pwn",
        "a/b",
        "..",
        "",
        "Metrics",
        "x.json",
    ];
    let mut record =
        StoredSection::from_paste(&filled("p"), "answer", None, &Project::default()).unwrap();
    for id in bad {
        record.section = id.into();
        assert!(store.save(&record).is_err(), "{id:?}");
        assert!(store.load(id).unwrap().is_none(), "{id:?}");
    }
    let pending = r#"{"custom_id": "x", "messages": [], "structure": null, "failed": null}"#;
    let state = format!(
        r#"{{"batch_id": "b", "base_url": "u", "model": "m", "submitted_at": "t", "sections": {{"metrics": {pending}, "../../../../outside/pwn": {pending}}}}}"#
    );
    std::fs::create_dir_all(dir.path().join(".plan-ai")).unwrap();
    std::fs::write(dir.path().join(".plan-ai/batch.json"), state).unwrap();
    let state = store.batch_state().unwrap();
    assert_eq!(state.sections.keys().collect::<Vec<_>>(), ["metrics"]);
    assert_eq!(state.ignored, ["../../../../outside/pwn"]);
    std::fs::write(
        dir.path().join(".plan-ai/failures.json"),
        r#"{"metrics": "x", "../up": "y"}"#,
    )
    .unwrap();
    assert_eq!(store.failures().keys().collect::<Vec<_>>(), ["metrics"]);
    assert!(!dir.path().join("outside").exists());
}

#[test]
fn forgetting_a_batch_frees_its_sections() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert!(store.forget_batch().unwrap().is_none());
    let pending = PendingSection {
        custom_id: "p-1::metrics".into(),
        messages: vec![],
        structure: None,
        failed: None,
    };
    let state = BatchState {
        batch_id: Some("batch_gone".into()),
        sections: BTreeMap::from([("metrics".to_string(), pending)]),
        ..BatchState::default()
    };
    assert_eq!(store.batch_state_unreadable(), None, "none there");
    store.save_batch_state(&state).unwrap();
    assert_eq!(store.batch_state_unreadable(), None, "read");
    assert_eq!(
        super::super::batch_api::in_flight(store.batch_state().as_ref()),
        ["metrics"]
    );
    let forgotten = store.forget_batch().unwrap().unwrap();
    assert_eq!(forgotten.batch_id.as_deref(), Some("batch_gone"));
    assert_eq!(forgotten.sections.keys().collect::<Vec<_>>(), ["metrics"]);
    assert!(store.batch_state().is_none());
    assert!(super::super::batch_api::in_flight(store.batch_state().as_ref()).is_empty());
    // An unreadable one goes too.
    std::fs::write(dir.path().join(".plan-ai/batch.json"), "not json").unwrap();
    let why = store.batch_state_unreadable().unwrap();
    assert!(why.starts_with("not a batch record"), "{why}");
    assert!(store.forget_batch().unwrap().is_none());
    assert!(!dir.path().join(".plan-ai/batch.json").exists());
}

#[test]
fn rungs_are_remembered_per_endpoint_and_model() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.remembered_rung("http://h/v1 m"), None);
    store
        .remember_rung("http://h/v1 m", Rung::JsonObject)
        .unwrap();
    store
        .remember_rung("http://h/v1 other", Rung::JsonSchema)
        .unwrap();
    assert_eq!(
        store.remembered_rung("http://h/v1 m"),
        Some(Rung::JsonObject)
    );
    assert_eq!(
        store.remembered_rung("http://h/v1 other"),
        Some(Rung::JsonSchema)
    );
}

#[test]
fn each_project_file_has_its_own_store_and_plan() {
    let cases = [
        ("plan-ai.toml", ".plan-ai", "plan"),
        ("dir/plan-ai.toml", ".plan-ai", "dir/plan"),
        ("crm.toml", ".plan-ai/projects/crm", "crm.plan"),
        ("p/erp.v2.toml", ".plan-ai/projects/erp.v2", "p/erp.v2.plan"),
        (
            "Plan für 2027.toml",
            ".plan-ai/projects/Plan für 2027",
            "Plan für 2027.plan",
        ),
    ];
    for (file, store, plan) in cases {
        assert_eq!(
            Store::relative_dir(Path::new(file)),
            PathBuf::from(store),
            "{file}"
        );
        let want = if file.contains('/') {
            PathBuf::from(plan)
        } else {
            Path::new(".").join(plan)
        };
        assert_eq!(default_plan_base(Path::new(file)), want, "{file}");
    }
}

#[test]
fn distinct_project_files_never_share_a_store() {
    #[cfg(unix)]
    let not_utf8 = {
        use std::os::unix::ffi::OsStrExt;
        std::ffi::OsStr::from_bytes(b"caf\xe9.toml").to_os_string()
    };
    #[cfg(not(unix))]
    let not_utf8 = std::ffi::OsString::from("caf\u{e9}.toml");
    let names: Vec<std::ffi::OsString> = [
        "plan-ai.toml",
        "...toml",
        "..toml",
        ".toml",
        "crm.toml",
        "crm",
        "crm~x.toml",
        "a/b.toml",
        "a\\b.toml",
        "a\nb.toml",
        "a\u{1b}[2Jb.toml",
        "crm.TOML",
        ".hidden.toml",
        "crm.toml.toml",
    ]
    .iter()
    .map(|n| n.into())
    .chain([not_utf8])
    .collect();
    let mut stores = std::collections::BTreeSet::new();
    for name in &names {
        let file = Path::new("/p").join(name);
        let dir = Store::relative_dir(&file);
        // One folder under the store, with no way out of it.
        let store = dir.strip_prefix(".plan-ai").unwrap();
        assert!(
            store
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_))),
            "{name:?}: {dir:?}"
        );
        assert!(stores.insert(dir.clone()), "{name:?} shares {dir:?}");
        let shown = dir.to_string_lossy();
        assert!(!shown.contains(['\n', '\x1b']), "{name:?}: {shown:?}");
    }
    // The usual names keep their stores.
    assert_eq!(project_stem(Path::new("crm.toml")).unwrap(), "crm");
    assert!(
        project_stem(Path::new("...toml"))
            .unwrap()
            .starts_with("toml~")
    );
    #[cfg(unix)]
    {
        let e = Store::for_project(&Path::new("/tmp").join(names.last().unwrap()));
        assert_eq!(e.err().unwrap().exit_code(), crate::error::exit::DATA);
    }
}

#[test]
fn a_new_store_adopts_the_shared_stores_answers_for_its_prompts() {
    let dir = tempfile::tempdir().unwrap();
    let legacy = Store::open(dir.path()).unwrap();
    legacy
        .save(
            &StoredSection::from_paste(&filled("mine"), "old answer", None, &Project::default())
                .unwrap(),
        )
        .unwrap();
    let own = Store::for_project(&dir.path().join("crm.toml")).unwrap();
    assert_eq!(
        own.adopt_from(&legacy, &[filled("other prompt")]).unwrap(),
        0
    );
    assert_eq!(own.adopt_from(&legacy, &[filled("mine")]).unwrap(), 1);
    assert_eq!(own.load("metrics").unwrap().unwrap().answer, "old answer");
    // Once it has answers of its own, it adopts nothing more.
    assert_eq!(own.adopt_from(&legacy, &[filled("mine")]).unwrap(), 0);
}

#[cfg(unix)]
#[test]
fn a_symlinked_store_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), dir.path().join(DIR)).unwrap();
    let e = Store::open(dir.path()).err().unwrap();
    assert!(e.to_string().contains("is a symbolic link"), "{e}");
}

#[test]
fn concurrent_draft_writers_keep_every_entry() {
    let dir = tempfile::tempdir().unwrap();
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let root = dir.path().to_path_buf();
            std::thread::spawn(move || {
                let store = Store::open(&root).unwrap();
                for round in 0..5 {
                    let path = root.join(format!("plan-{i}.md"));
                    store
                        .write_draft(&path, format!("v{round}").as_bytes(), false)
                        .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let text = std::fs::read_to_string(dir.path().join(DIR).join("drafts.json")).unwrap();
    let written: BTreeMap<String, String> = serde_json::from_str(&text).unwrap();
    assert_eq!(written.len(), 8, "{text}");
}

#[test]
fn drafts_are_not_clobbered() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let path = dir.path().join("plan.md");
    store.write_draft(&path, b"v1", false).unwrap();
    store.write_draft(&path, b"v2", false).unwrap();
    std::fs::write(&path, "edited by hand").unwrap();
    let e = store.write_draft(&path, b"v3", false).unwrap_err();
    assert_eq!(e.exit_code(), crate::error::exit::FAILURE);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "edited by hand");
    store.write_draft(&path, b"v3", true).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "v3");
}

#[test]
fn one_request_at_a_time_is_remembered_per_endpoint_and_model() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert!(!store.remembered_one_at_a_time("http://h/v1 m"));
    store.remember_one_at_a_time("http://h/v1 m").unwrap();
    store.remember_one_at_a_time("http://h/v1 m").unwrap();
    assert!(store.remembered_one_at_a_time("http://h/v1 m"));
    assert!(!store.remembered_one_at_a_time("http://h/v1 other"));
}
