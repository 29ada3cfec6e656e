//! The change load as a terminal table: groups down, periods across, each cell's score
//! coloured green, amber or red, or, without colour, marked (`+` amber, `!` red), so the
//! levels stay readable; then the collisions and the projects behind them.

use super::{Tone, paint};
use crate::plan::load::{By, Heat, Heatmap};
use std::fmt::Write as _;

/// A cell: the score right-aligned and its marker.
const CELL: usize = 5;

pub fn render(map: &Heatmap, color: bool) -> String {
    let mut out = String::new();
    if map.starts.is_empty() || map.groups.is_empty() {
        out.push_str("no change lands on any group in this range\n");
        return out;
    }
    let name_width = map
        .groups
        .iter()
        .map(|g| g.group.chars().count())
        .max()
        .unwrap_or(5)
        .clamp(5, 32);
    let labels: Vec<(String, String)> = map
        .starts
        .iter()
        .map(|s| {
            let l = map.by.label(*s);
            let (year, rest) = l.split_once('-').unwrap_or((&l, ""));
            (year.to_string(), rest.to_string())
        })
        .collect();
    // The year over its first period, the period under it.
    let mut years = format!("{:name_width$}", "");
    let mut heads = format!("{:name_width$}", "group");
    for (i, (year, rest)) in labels.iter().enumerate() {
        let first = i == 0 || labels[i - 1].0 != *year;
        let _ = write!(years, " {:>CELL$}", if first { year.as_str() } else { "" });
        let _ = write!(heads, " {rest:>CELL$}");
    }
    let _ = writeln!(out, "{}\n{}", years.trim_end(), heads.trim_end());
    for g in &map.groups {
        let name = crate::text::snippet(&g.group, name_width);
        let _ = write!(out, "{name:<name_width$}");
        for cell in &g.cells {
            let heat = map.heat(cell);
            let marker = match (color, heat) {
                (true, _) | (false, Heat::Green) => " ",
                (false, Heat::Amber) => "+",
                (false, Heat::Red) => "!",
            };
            let text = format!("{:>width$}{marker}", cell.score, width = CELL - 1);
            let tone = match heat {
                Heat::Green => Tone::Good,
                Heat::Amber => Tone::Warn,
                Heat::Red => Tone::Bad,
            };
            let _ = write!(out, " {}", paint(&text, tone, color && cell.score > 0));
        }
        out.push('\n');
    }
    let t = map.thresholds;
    let period = match map.by {
        By::Week => "group-week",
        By::Month => "group-month",
    };
    let _ = writeln!(
        out,
        "\namber (+) at {} or more a {period}, red (!) at {} or more",
        t.amber, t.red
    );
    let collisions = map.collisions();
    if !collisions.is_empty() {
        out.push_str("\ncollisions:\n");
    }
    for c in collisions {
        let who = map.behind(c.shares);
        let _ = writeln!(
            out,
            "  {} {}: {} ({}): {}",
            c.group,
            c.period,
            c.score,
            c.heat.as_str(),
            who.join("; ")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::load::{GroupImpact, ProjectLoad, Settings, heatmap};
    use crate::project::Level;
    use crate::text::days_from_civil;

    #[test]
    fn without_colour_each_level_keeps_a_marker() {
        let p = ProjectLoad {
            name: "Ward app".into(),
            launch: Some(days_from_civil(2027, 3, 1)),
            milestones: vec![],
            groups: vec![GroupImpact {
                name: "Ward managers".into(),
                impact: Level::High,
                stated: true,
                from: None,
                to: None,
            }],
        };
        let map = heatmap(&[p], &Settings::default(), By::Week, None, None);
        let plain = render(&map, false);
        assert!(plain.contains("  20!"), "{plain}");
        assert!(plain.contains("  10+"), "{plain}");
        assert!(
            plain.contains("Ward managers 2027-W09: 20 (red): Ward app (high, go-live)"),
            "{plain}"
        );
        assert!(!plain.contains('\u{1b}'));
        let coloured = render(&map, true);
        assert!(coloured.contains("\u{1b}[31m"), "{coloured}");
    }
}
