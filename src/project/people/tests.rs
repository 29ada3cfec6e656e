//! The register, the guard and re-identification, on the examples and on people made to
//! collide with ordinary words.

use super::*;
use crate::project::{Champion, Stakeholder};

fn example(name: &str) -> Project {
    let text = match name {
        "crm" => include_str!("../../../examples/crm-manufacturer.toml"),
        _ => include_str!("../../../examples/erp-finance.toml"),
    };
    crate::project::parse(std::path::Path::new("p.toml"), text)
        .unwrap()
        .project
}

fn person(name: &str, title: &str) -> Stakeholder {
    Stakeholder {
        name: name.into(),
        title: title.into(),
        group: "g".into(),
        ..Stakeholder::default()
    }
}

fn project(people: &[(&str, &str)], champions: &[&str]) -> Project {
    Project {
        stakeholders: people.iter().map(|(n, t)| person(n, t)).collect(),
        champions: champions
            .iter()
            .map(|c| Champion {
                name: c.to_string(),
                group: None,
                why: None,
            })
            .collect(),
        ..Project::default()
    }
}

#[test]
fn name_parts_match_whole_words_as_written() {
    let r = Register::of(&project(
        &[("Anna Quist", "Buyer"), ("Aisha Rahman", "Manager, South")],
        &[],
    ));
    let found = |text: &str| r.scan(text).into_iter().map(|h| h.text).collect::<Vec<_>>();
    assert_eq!(found("ask Quistorp"), Vec::<String>::new());
    assert_eq!(found("ask Quist"), ["Quist"]);
    assert_eq!(found("Rahman's region"), ["Rahman"]);
    assert_eq!(found("ask aisha rahman today"), ["Aisha Rahman"]);
    assert_eq!(found("the buyer said"), ["Buyer"]);
    assert_eq!(found("Manager, South"), ["Manager, South"]);
    assert!(found("nothing here, 2027-03-01, 1,200 quotes").is_empty());
}

#[test]
fn pseudonyms_replace_names_parts_titles_champions_and_contacts() {
    let p = project(
        &[
            ("Dr. Femi Adeyemi", "Clinic Manager, Riverside"),
            ("Will May", "Buyer"),
        ],
        &["Femi Adeyemi", "Jess Morgan"],
    );
    let r = Register::of(&p);
    let cases = [
        ("sponsored by Dr. Femi Adeyemi", "sponsored by S01"),
        ("ask Dr. Adeyemi", "ask Dr. S01"),
        ("Adeyemi's clinic", "S01's clinic"),
        ("the Clinic Manager, Riverside asks", "the S01 asks"),
        ("Jess Morgan and Morgan", "[person] and [person]"),
        ("Will May will go in May", "S02 will go in S02"),
        (
            "write to femi.adeyemi@clinic.example.org now",
            "write to [e-mail removed] now",
        ),
        (
            "call +44 20 7946 0958 or 020 7946 0958",
            "call [phone removed] or [phone removed]",
        ),
        (
            "launch 2027-03-01, 42 reps, 1,200 quotes",
            "launch 2027-03-01, 42 reps, 1,200 quotes",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(r.pseudonymise(text), want, "{text}");
    }
    // "May" as written is a name part; "may" lower-case is a verb and stays.
    assert_eq!(r.pseudonymise("we may ask"), "we may ask");
    // A document for wider reading keeps titles (roles) and takes out names and contacts.
    assert_eq!(
        r.pseudonymise_names("the Buyer asks Femi Adeyemi (femi@x.org) and Jess"),
        "the Buyer asks S01 ([e-mail removed]) and [person]"
    );
}

#[test]
fn pseudonyms_go_back_to_names_without_mixing_s1_and_s10() {
    let people: Vec<(String, String)> = (1..=11)
        .map(|i| (format!("Person {i}"), format!("T{i}")))
        .collect();
    let refs: Vec<(&str, &str)> = people
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let r = Register::of(&project(&refs, &[]));
    assert_eq!(
        r.reidentify("S01, S10 and S11; S100 and XS01 stay"),
        "Person 1, Person 10 and Person 11; S100 and XS01 stay"
    );
    assert_eq!(r.name_of("S03"), Some("Person 3"));
}

#[test]
fn the_guard_refuses_replaces_or_passes_by_mode() {
    let p = project(&[("Derek Holloway", "Regional Sales Manager, North")], &[]);
    let text = "the North workbook Derek Holloway built";
    let local = Guard::new(&p, Privacy::Local).outgoing(text).unwrap_err();
    assert_eq!(local.found, Found::Name);
    assert_eq!(local.person.as_deref(), Some("Derek Holloway"));
    let pseudo = Guard::new(&p, Privacy::Pseudonymised)
        .outgoing(text)
        .unwrap();
    assert_eq!(pseudo, "the North workbook S01 built");
    let shared = Guard::new(&p, Privacy::Shared).outgoing(text).unwrap();
    assert_eq!(shared, text);
    assert_eq!(
        Guard::new(&p, Privacy::Local)
            .outgoing("no one here")
            .unwrap(),
        "no one here"
    );
}

#[test]
fn the_examples_send_no_one_in_their_group_level_fields() {
    for name in ["crm", "erp"] {
        let p = example(name);
        assert_eq!(names_in_group_fields(&p), Vec::new(), "{name}");
    }
    let mut p = example("erp");
    p.project.description = Some("the finance system, sponsored by Dr. Adeyemi".into());
    let found = names_in_group_fields(&p);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "project.description");
    assert_eq!(found[0].1.person.as_deref(), Some("Dr. Femi Adeyemi"));
}

#[test]
fn escape_codes_and_line_breaks_in_names_are_not_part_of_them() {
    let r = Register::of(&project(
        &[("Eve\u{1b}]0;pwned\u{7}\nStone", "Head\u{1b}[31m of Audit")],
        &["Eve Stone"],
    ));
    assert_eq!(r.name_of("S01"), Some("Eve Stone"));
    assert_eq!(
        r.pseudonymise("Eve Stone and Eve, Head of Audit"),
        "S01 and S01, S01"
    );
    assert_eq!(r.reidentify("S01"), "Eve Stone");
}

/// The hand scan finds exactly what the pattern it replaces found, on hand-picked cases and on
/// many strings made of the characters that matter.
#[test]
fn phones_are_what_the_pattern_found() {
    let pattern = regex_lite::Regex::new(r"\+?\(?\d[\d ().-]{6,}\d").unwrap();
    let by_pattern = |text: &str| -> Vec<(usize, usize)> {
        pattern
            .find_iter(text)
            .filter(|m| (9..=15).contains(&m.as_str().chars().filter(char::is_ascii_digit).count()))
            .map(|m| (m.start(), m.end()))
            .collect()
    };
    let mut cases: Vec<String> = [
        "call +44 20 7946 0958 or 020 7946 0958",
        "launch 2027-03-01, 42 reps, 1,200 quotes",
        "(+44) 161 496 0000",
        "+(0161) 496-0000.",
        "1234567 12345678 123456789 1234567890123456",
        "ab+9 9 9 9 9 9 9 9 9-",
        "Zürich 0 4 4 5 5 5 6 6 7 7 €",
        "",
        "+",
        "((((1",
    ]
    .map(String::from)
    .to_vec();
    // A small generator (no dependency): digits mostly, and the characters around numbers.
    let alphabet: Vec<char> = "0123456789012345678901234 +().-aé".chars().collect();
    let mut seed: u64 = 0x9e3779b97f4a7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..3000 {
        let len = next() % 40;
        let s: String = (0..len)
            .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
            .collect();
        cases.push(s);
    }
    for text in &cases {
        assert_eq!(phones(text), by_pattern(text), "{text:?}");
    }
    let found = cases.iter().filter(|t| !by_pattern(t).is_empty()).count();
    assert!(
        found > 100,
        "only {found} strings hold a number: the cases prove little"
    );
}
