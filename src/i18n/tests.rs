use super::*;

#[test]
fn every_shipped_catalog_parses_and_has_exactly_englishs_keys() {
    let english = Catalog::parse(Shipped::En.source()).expect("en.toml parses");
    assert!(english.len() > 200, "{} keys", english.len());
    for s in Shipped::ALL {
        let c = Catalog::parse(s.source()).unwrap_or_else(|e| panic!("{}.toml: {e}", s.tag()));
        assert_eq!(
            c.missing(&english),
            Vec::<String>::new(),
            "{}.toml lacks keys",
            s.tag()
        );
        assert_eq!(
            c.unknown(&english),
            Vec::<String>::new(),
            "{}.toml has keys English lacks",
            s.tag()
        );
    }
}

#[test]
fn every_translation_keeps_englishs_placeholders_and_plural_shape() {
    let english = Shipped::En.catalog();
    for s in Shipped::ALL {
        let c = s.catalog();
        for key in english.keys() {
            let (en, ours) = (english.get(key).unwrap(), c.get(key).unwrap());
            assert_eq!(
                ours.placeholders(),
                en.placeholders(),
                "{}.toml `{key}`: placeholders",
                s.tag()
            );
            assert_eq!(
                matches!(ours, Message::Plural(_)),
                matches!(en, Message::Plural(_)),
                "{}.toml `{key}`: plural forms or text, as English",
                s.tag()
            );
            assert!(
                !ours.form("other").trim().is_empty(),
                "{}.toml `{key}` is empty",
                s.tag()
            );
        }
    }
}

#[test]
fn every_plural_message_has_the_forms_its_language_uses() {
    let english = Shipped::En.catalog();
    for s in Shipped::ALL {
        let lang = Language::shipped(s);
        let c = s.catalog();
        for key in english.keys() {
            let Some(Message::Plural(forms)) = c.get(key) else {
                continue;
            };
            // French and Spanish "many" (a million *de* projets) falls back to `other` where
            // no "de" is wanted.
            for n in [0, 1, 2, 3, 5, 11, 21, 101] {
                let form = format::plural_form(n, &lang.0.locale);
                assert!(
                    forms.contains_key(form),
                    "{}.toml `{key}` lacks `{form}` (for {n})",
                    s.tag()
                );
            }
        }
    }
}

#[test]
fn sheet_names_are_names_excel_takes() {
    for s in Shipped::ALL {
        let c = s.catalog();
        for key in c.keys().filter(|k| k.starts_with("sheet.")) {
            let name = c.get(key).unwrap().form("other");
            assert!(
                name.chars().count() <= 31 && !name.contains([':', '\\', '/', '?', '*', '[', ']']),
                "{}.toml `{key}` = {name:?}",
                s.tag()
            );
        }
    }
}

#[test]
fn the_annex_marking_fits_the_middle_of_an_excel_header() {
    // Excel's header and footer show at most 40 characters of it; longer is cut with "…".
    for s in Shipped::ALL {
        let marking = s.catalog().get("annex.marking").unwrap().form("other");
        assert!(
            marking.chars().count() <= 40,
            "{}.toml: {marking:?}",
            s.tag()
        );
    }
}

#[test]
fn translations_differ_from_english_where_words_differ() {
    // A catalog copied from English and never translated would pass the key checks.
    let english = Shipped::En.catalog();
    for s in Shipped::ALL.into_iter().filter(|s| *s != Shipped::En) {
        let c = s.catalog();
        let same: Vec<&str> = (english.keys())
            .filter(|k| c.get(k) == english.get(k))
            .collect();
        assert!(
            same.len() * 10 < english.len(),
            "{}.toml: {} of {} messages are English's: {same:?}",
            s.tag(),
            same.len(),
            english.len()
        );
    }
}

fn lang(tag: &str) -> Language {
    Available::default().resolve(Some(tag), "test").unwrap()
}

#[test]
fn long_dates_in_each_language() {
    let cases = [
        ("en", "2027-03-08", "8 March 2027"),
        ("en", "2027-03-01", "1 March 2027"),
        ("de", "2027-03-08", "8. März 2027"),
        ("fr", "2027-03-08", "8 mars 2027"),
        ("es", "2027-03-08", "8 de marzo de 2027"),
        ("nl", "2027-03-08", "8 maart 2027"),
        ("en-US", "2027-03-08", "March 8, 2027"),
        ("de-AT", "2027-01-08", "8. Jänner 2027"),
        ("de", "2026-12-31T10:00:00Z", "31. Dezember 2026"),
    ];
    for (tag, iso, want) in cases {
        assert_eq!(
            lang(tag).long_date(iso).as_deref(),
            Some(want),
            "{tag} {iso}"
        );
    }
    for bad in ["2027-02-30", "2027-13-01", "27-01-01", "soon", ""] {
        assert_eq!(lang("de").long_date(bad), None, "{bad}");
        assert_eq!(long_date(bad, &lang("de")), bad);
    }
}

#[test]
fn the_english_date_is_the_one_prompts_have_always_used() {
    for iso in ["2027-03-01", "2026-12-31", "2028-02-29", "2027-07-04"] {
        assert_eq!(
            Language::english().long_date(iso),
            crate::text::long_date(iso),
            "{iso}"
        );
    }
}

#[test]
fn lists_in_each_language() {
    let cases: &[(&str, &[&str], &str)] = &[
        ("en", &["A", "B", "C"], "A, B and C"),
        ("en", &["A", "B"], "A and B"),
        ("en-US", &["A", "B", "C"], "A, B, and C"),
        ("de", &["A", "B", "C"], "A, B und C"),
        ("fr", &["A", "B", "C"], "A, B et C"),
        ("es", &["A", "B", "C"], "A, B y C"),
        (
            "es",
            &["España", "Francia", "Italia"],
            "España, Francia e Italia",
        ),
        ("es", &["agua", "historia"], "agua e historia"),
        ("es", &["agua", "hierro"], "agua y hierro"),
        ("es", &["agua", "hielo"], "agua y hielo"),
        ("nl", &["A", "B", "C"], "A, B en C"),
        ("de", &["A"], "A"),
        ("de", &[], ""),
    ];
    for (tag, items, want) in cases {
        assert_eq!(list(items, &lang(tag)), *want, "{tag} {items:?}");
    }
    for items in [&["A"][..], &["A", "B"], &["A, Inc.", "B", "C"]] {
        assert_eq!(Language::english().list(items), crate::text::list_en(items));
    }
}

#[test]
fn numbers_and_plurals_in_each_language() {
    let numbers = [
        ("en", 12345, "12,345"),
        ("de", 12345, "12.345"),
        ("fr", 12345, "12\u{202f}345"),
        ("es", 12345, "12.345"),
        ("nl", 12345, "12.345"),
        ("de", 7, "7"),
    ];
    for (tag, n, want) in numbers {
        assert_eq!(lang(tag).number(n), want, "{tag} {n}");
    }
    let separators = [
        ("en", ('.', ',')),
        ("de", (',', '.')),
        ("fr", (',', '\u{202f}')),
        ("es", (',', '.')),
        ("nl", (',', '.')),
    ];
    for (tag, want) in separators {
        assert_eq!(lang(tag).separators(), want, "{tag}");
    }
    let plurals = [
        ("en", 1, "1 project"),
        ("en", 3, "3 projects"),
        ("de", 1, "1 Projekt"),
        ("de", 0, "0 Projekte"),
        ("fr", 0, "0 projet"),
        ("fr", 1_000_000, "1\u{202f}000\u{202f}000 de projets"),
        ("es", 2, "2 proyectos"),
        ("nl", 1, "1 project"),
        ("nl", 2, "2 projecten"),
    ];
    for (tag, n, want) in plurals {
        assert_eq!(
            lang(tag).plural("portfolio.projects", n, &[]),
            want,
            "{tag} {n}"
        );
    }
}

#[test]
fn messages_fall_back_to_english_and_fill_placeholders() {
    let de = lang("de");
    assert_eq!(de.t("heading.stakeholders"), "Stakeholder-Analyse");
    assert_eq!(de.t("heading.resistance"), "Widerstandsmanagement");
    assert_eq!(
        de.format("plan.page_of", &[("page", "2"), ("pages", "9")]),
        "Seite 2 von 9"
    );
    assert_eq!(de.t("no.such.key"), "no.such.key");
    let user = Catalog::parse("[heading]\nabout = \"Über diesen Entwurf\"").unwrap();
    let mine = Language::build("de".into(), "de".parse().unwrap(), vec![Arc::new(user)]);
    assert_eq!(mine.t("heading.about"), "Über diesen Entwurf");
    assert_eq!(mine.t("heading.stakeholders"), "Stakeholder-Analyse");
    let pt = Catalog::parse("[heading]\nabout = \"Sobre este rascunho\"").unwrap();
    let pt = Language::build("pt".into(), "pt".parse().unwrap(), vec![Arc::new(pt)]);
    assert_eq!(pt.t("heading.about"), "Sobre este rascunho");
    assert_eq!(pt.t("heading.review"), "Review");
    assert_eq!(pt.display_name(), "pt");
    assert_eq!(
        pt.long_date("2027-03-08").as_deref(),
        Some("8 de março de 2027")
    );
}

#[test]
fn names_in_english_and_in_the_language() {
    let cases = [
        ("en", "English"),
        ("de", "German (Deutsch)"),
        ("fr", "French (français)"),
        ("es", "Spanish (español)"),
        ("nl", "Dutch (Nederlands)"),
        ("de-AT", "German (Deutsch)"),
    ];
    for (tag, want) in cases {
        assert_eq!(lang(tag).display_name(), want, "{tag}");
    }
}

#[test]
fn tags_are_canonical_and_fall_back_to_their_language() {
    let cases = [
        ("de", "de"),
        ("DE", "de"),
        ("de-at", "de-AT"),
        ("de_CH", "de-CH"),
        (" fr ", "fr"),
        ("es-419", "es-419"),
        ("nl-BE", "nl-BE"),
        ("en-gb", "en-GB"),
    ];
    for (asked, tag) in cases {
        let l = lang(asked);
        assert_eq!(l.tag(), tag, "{asked}");
    }
    assert!(lang("de-AT").t("heading.about").starts_with("Zu diesem"));
    assert!(lang("en-US").is_english() && !lang("de").is_english());
    assert_eq!(
        fallbacks(&"zh-Hant-TW".parse().unwrap()),
        ["zh-Hant-TW", "zh-TW", "zh-Hant", "zh"]
    );
}

#[test]
fn an_unknown_language_lists_the_available_ones_and_guesses() {
    let cases = [
        ("pt", None),
        ("german", Some("de")),
        ("Deutsch", Some("de")),
        ("Francais", Some("fr")),
        ("espanol", Some("es")),
        ("germn", Some("de")),
        ("dutsch", Some("nl")),
        ("en_", Some("en")),
        ("", None),
        ("not a tag!", None),
    ];
    for (asked, want) in cases {
        let e = Available::default()
            .resolve(Some(asked), "`[project] language` in p.toml")
            .unwrap_err();
        assert_eq!(e.exit_code(), crate::error::exit::DATA, "{asked}");
        let Error::UnknownLanguage { suggestion, .. } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(suggestion.as_deref(), want, "{asked}");
        let text = e.to_string();
        assert!(
            text.contains("available languages: en (English), de (German, Deutsch), fr (French, français), es (Spanish, español), nl (Dutch, Nederlands)"),
            "{text}"
        );
        assert!(
            text.starts_with("`[project] language` in p.toml names language"),
            "{text}"
        );
    }
}

#[test]
fn user_catalogs_add_and_override_languages_from_the_prompt_folders() {
    let low = tempfile::tempdir().unwrap();
    let high = tempfile::tempdir().unwrap();
    let write = |dir: &Path, name: &str, text: &str| {
        std::fs::create_dir_all(dir.join("i18n")).unwrap();
        std::fs::write(dir.join("i18n").join(name), text).unwrap();
    };
    write(
        low.path(),
        "pt.toml",
        "[language]\nenglish = \"Portuguese\"\nnative = \"português\"\n[heading]\nabout = \"Sobre\"\nreview = \"Revisão\"\n",
    );
    write(
        high.path(),
        "pt.toml",
        "[heading]\nabout = \"Sobre este rascunho\"\nabuot = \"typo\"\n",
    );
    write(
        high.path(),
        "de.toml",
        "[heading]\nabout = \"Über diesen Entwurf \\u001b[2J\"\n[plan]\ntitle = \"Plan für {projekt}\"\n",
    );
    write(high.path(), "notes.txt", "not a catalog");
    let dirs = [low.path().to_path_buf(), high.path().to_path_buf()];
    let available = Available::load(&dirs).unwrap();
    assert_eq!(available.tags(), ["en", "de", "fr", "es", "nl", "pt"]);
    let pt = available.resolve(Some("pt-BR"), "--language").unwrap();
    assert_eq!(pt.tag(), "pt-BR");
    assert_eq!(pt.t("heading.about"), "Sobre este rascunho");
    assert_eq!(pt.t("heading.review"), "Revisão");
    assert_eq!(pt.t("heading.change"), "The change");
    assert_eq!(pt.display_name(), "Portuguese (português)");
    let de = available.resolve(Some("de"), "--language").unwrap();
    assert_eq!(
        de.t("heading.about"),
        "Über diesen Entwurf ",
        "escape codes dropped"
    );
    assert_eq!(de.t("heading.review"), "Prüfung");
    let catalogs: Vec<&UserCatalog> = available.user_catalogs().collect();
    let (de, pt) = (catalogs[0], catalogs[1]);
    assert_eq!(pt.files.len(), 2);
    assert!(de.missing().is_empty(), "a German override lacks nothing");
    assert!(pt.missing().contains(&"heading.change".to_string()));
    assert!(!pt.missing().contains(&"heading.about".to_string()));
    assert_eq!(
        pt.unknown(),
        [(
            "heading.abuot".to_string(),
            Some("heading.about".to_string())
        )]
    );
    assert_eq!(
        de.stray_placeholders(),
        [("plan.title".to_string(), "projekt".to_string())]
    );
}

#[test]
fn a_broken_user_catalog_is_bad_data_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("i18n")).unwrap();
    let cases = [
        ("de.toml", "[heading\nabout = 1", "de.toml: "),
        ("de.toml", "about = 1", "a message is text"),
        (
            "Deutsch!.toml",
            "",
            "a catalog's file name is its language's tag",
        ),
    ];
    for (name, text, want) in cases {
        let file = dir.path().join("i18n").join(name);
        std::fs::write(&file, text).unwrap();
        let e = Available::load(&[dir.path().to_path_buf()]).unwrap_err();
        assert_eq!(e.exit_code(), crate::error::exit::DATA);
        assert!(e.to_string().contains(want), "{name}: {e}");
        std::fs::remove_file(file).unwrap();
    }
}

#[test]
fn template_filters_write_in_the_language() {
    let mut env = minijinja::Environment::new();
    template::install(&mut env, &lang("de"));
    let cases = [
        ("{{ '2027-03-08' | long_date }}", "8. März 2027"),
        ("{{ 'soon' | long_date }}", "soon"),
        ("{{ ['A', 'B', 'C'] | listing }}", "A, B und C"),
        // minijinja's own `list` stays: a sequence made a list.
        ("{{ ['A', 'B'] | select('ne', 'A') | list | length }}", "1"),
        ("{{ 12345 | number }}", "12.345"),
        ("{{ 'resistant' | term('stance') }}", "ablehnend"),
        (
            "{{ 'speed of adoption' | term('dimension') }}",
            "Adoptionsgeschwindigkeit",
        ),
        ("{{ 'odd' | term('stance') }}", "odd"),
        ("{{ t('heading.review') }}", "Prüfung"),
        ("{{ t('plan.page_of', page=1, pages=2) }}", "Seite 1 von 2"),
        ("{{ t('portfolio.projects', n=2) }}", "2 Projekte"),
    ];
    for (tmpl, want) in cases {
        assert_eq!(env.render_str(tmpl, ()).unwrap(), want, "{tmpl}");
    }
}
