//! The plan's tables as CSV files, one per table, for SharePoint lists, Planner and Jira:
//! UTF-8 with a byte-order mark (so Excel reads the encoding), RFC 4180 quoting, CRLF lines.
//! A list in a cell is its items joined with "; " (one line per record for the importers).
//! A cell a spreadsheet would take for a formula (`=`, `+`, `-`, `@`, tab, CR first) is
//! written with a leading `'`, as OWASP advises for CSV injection: shown, never run.
//!
//! Headers and enum values are in the plan's language, as in every format; file names stay
//! the sections' ids (`stakeholders.csv`), which scripts and import mappings name, and dates
//! stay ISO 8601, which every importer reads.

use super::{Part, marking};
use crate::error::{Error, Result};
use crate::plan::Plan;
use crate::sections::table::{Table, headers, list_items};
use crate::sections::{Kind, communication, engagement, metrics, resistance};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// `(file name, bytes)` for each table, in reading order.
pub fn render(plan: &Plan, part: &Part) -> Result<Vec<(String, Vec<u8>)>> {
    files(tables(plan, part))
}

fn files(tables: Vec<(&str, Table)>) -> Result<Vec<(String, Vec<u8>)>> {
    tables
        .into_iter()
        .map(|(name, table)| Ok((format!("{name}.csv"), write(&table)?)))
        .collect()
}

/// A table whose headers are the catalog's texts for `columns` (keys) in the plan's language.
fn table(plan: &Plan, columns: &[&str], rows: Vec<Vec<String>>) -> Table {
    Table {
        caption: None,
        columns: headers(columns, &plan.language),
        rows,
    }
}

/// The register (each stakeholder's code first when `coded`).
fn register(plan: &Plan, coded: bool) -> Table {
    let codes = engagement::codes(&plan.project);
    let mut columns = vec!["column.code"][..usize::from(coded)].to_vec();
    columns.extend(crate::plan::REGISTER_COLUMNS);
    let rows = (plan.project.stakeholders.iter().zip(codes))
        .map(|(s, code)| {
            let row = crate::plan::register_row(s, &plan.language).to_vec();
            [vec![code][..usize::from(coded)].to_vec(), row].concat()
        })
        .collect();
    table(plan, &columns, rows)
}

/// The engagement plan: its table, or every stakeholder with empty cells to fill in.
fn engagement_table(plan: &Plan) -> Table {
    let structured = plan.structured(Kind::Engagement);
    structured
        .and_then(|s| s.tables_in(&plan.language).into_iter().next())
        .unwrap_or_else(|| {
            let empty = |name: &String| {
                let cells = engagement::COLUMNS[1..].iter().map(|_| String::new());
                std::iter::once(name.clone()).chain(cells).collect()
            };
            let names = plan.project.stakeholders.iter().map(|s| &s.name);
            table(plan, engagement::COLUMNS, names.map(empty).collect())
        })
}

/// The confidential annex's tables: the register with codes, the engagement plan and the
/// champions, and a `CONFIDENTIAL.txt` that says what the folder is (a CSV file has no
/// place for a marking).
pub fn render_annex(plan: &Plan) -> Result<Vec<(String, Vec<u8>)>> {
    let mut tables = vec![("stakeholders", register(plan, plan.people.allows_people()))];
    if plan.built_in(Kind::Engagement).is_some() {
        tables.push(("engagement", engagement_table(plan)));
    }
    let champions = (plan.project.champions.iter())
        .map(|c| {
            let opt = |v: &Option<String>| v.clone().unwrap_or_default();
            vec![c.name.clone(), opt(&c.group), opt(&c.why)]
        })
        .collect();
    let columns = ["column.champion", "column.group", "column.why_them"];
    tables.push(("champions", table(plan, &columns, champions)));
    let name = (plan.project.project.name.as_deref()).unwrap_or_else(|| plan.t("plan.the_project"));
    let notice = format!(
        "{}\r\n\r\n{}\r\n",
        marking(plan),
        plan.language
            .format("annex.csv_notice", &[("project", name)])
    );
    let mut out = vec![("CONFIDENTIAL.txt".to_string(), notice.into_bytes())];
    out.extend(files(tables)?);
    Ok(out)
}

/// The plan's tables by name: the register (and the engagement plan when it is asked for),
/// the change by role, milestones, and the three structured sections (their header alone
/// when a section has no structured answer yet, and for the matrix one row per group to fill
/// in). A main part's leave the named tables to its annex.
pub fn tables(plan: &Plan, part: &Part) -> Vec<(&'static str, Table)> {
    let p = &plan.project;
    let roles = table(
        plan,
        &["column.role", "column.people", "column.what_changes"],
        p.roles
            .iter()
            .map(|r| {
                vec![
                    r.name.clone(),
                    r.headcount.map(|n| n.to_string()).unwrap_or_default(),
                    r.what_changes.clone().unwrap_or_default(),
                ]
            })
            .collect(),
    );
    let milestones = table(
        plan,
        &["column.milestone", "column.date"],
        p.milestones
            .iter()
            .map(|m| {
                vec![
                    m.name.clone(),
                    m.date.map(|d| d.to_string()).unwrap_or_default(),
                ]
            })
            .collect(),
    );
    let structured = |kind: Kind| {
        plan.structured(kind)
            .and_then(|s| s.tables_in(&plan.language).into_iter().next())
    };
    let communication = structured(Kind::Communication).unwrap_or_else(|| {
        let mut columns = vec!["column.audience"];
        columns.extend(communication::COLUMNS.iter().map(|(_, h)| *h));
        let rows = communication::audiences(p)
            .into_iter()
            .map(|g| {
                std::iter::once(g)
                    .chain(communication::COLUMNS.iter().map(|_| String::new()))
                    .collect()
            })
            .collect();
        table(plan, &columns, rows)
    });
    let empty = |columns| table(plan, columns, Vec::new());
    let resistance = structured(Kind::Resistance).unwrap_or_else(|| empty(resistance::COLUMNS));
    let metrics = structured(Kind::Metrics).unwrap_or_else(|| empty(metrics::COLUMNS));
    let mut tables = Vec::new();
    if !matches!(part, Part::Main { .. }) {
        tables.push(("stakeholders", register(plan, false)));
        if plan.built_in(Kind::Engagement).is_some() {
            tables.push(("engagement", engagement_table(plan)));
        }
    }
    tables.extend([
        ("roles", roles),
        ("milestones", milestones),
        ("communication", communication),
        ("resistance", resistance),
        ("metrics", metrics),
    ]);
    if plan.review.is_some() {
        let rows = (plan.review_rows().into_iter())
            .map(|(_, r)| r.to_vec())
            .collect();
        tables.push(("review", table(plan, &crate::plan::REVIEW_COLUMNS, rows)));
    }
    tables
}

/// One table as CSV bytes.
pub fn write(table: &Table) -> Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(BOM.to_vec());
    let err = |e: csv::Error| Error::Other(format!("cannot write CSV: {e}"));
    w.write_record(table.columns.iter().map(|c| inert(c).into_owned()))
        .map_err(err)?;
    for row in &table.rows {
        let row = row
            .iter()
            .map(|c| list_items(c).map_or_else(|| c.clone(), |i| i.join("; ")));
        w.write_record(row.map(|c| inert(&c).into_owned()))
            .map_err(err)?;
    }
    w.into_inner()
        .map_err(|e| Error::Other(format!("cannot write CSV: {e}")))
}

/// A cell no spreadsheet runs as a formula: one that starts like one gets a leading `'`
/// (Excel and LibreOffice hide it and show the rest as text).
fn inert(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        true => format!("'{cell}").into(),
        false => cell.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_4180_with_a_bom() {
        let t = Table {
            caption: None,
            columns: vec!["A".into(), "B".into()],
            rows: vec![
                vec!["plain".into(), "with, comma".into()],
                vec!["quote \"here\"".into(), "two\nlines".into()],
                vec!["emoji 👍".into(), "שלום".into()],
                vec!["• one\n• two".into(), "• one alone".into()],
            ],
        };
        let bytes = write(&t).unwrap();
        assert!(bytes.starts_with(BOM));
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        assert_eq!(
            text,
            "A,B\r\nplain,\"with, comma\"\r\n\"quote \"\"here\"\"\",\"two\nlines\"\r\nemoji 👍,שלום\r\none; two,• one alone\r\n"
        );
        // Read back by the same RFC's rules.
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> = r.records().map(|r| r.unwrap()).collect();
        assert_eq!(&rows[1][1], "two\nlines");
    }

    #[test]
    fn cells_that_start_like_formulas_are_shown_not_run() {
        let cases = [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "'=HYPERLINK(\"http://x\",\"y\")",
            ),
            ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("a = b", "a = b"),
            ("email@example.com", "email@example.com"),
            ("", ""),
        ];
        for (cell, want) in cases {
            assert_eq!(inert(cell), want, "{cell:?}");
        }
        let t = Table {
            caption: None,
            columns: vec!["=A".into()],
            rows: vec![vec!["=1+1".into()]],
        };
        let text = String::from_utf8(write(&t).unwrap()[3..].to_vec()).unwrap();
        assert_eq!(text, "'=A\r\n'=1+1\r\n");
    }
}
