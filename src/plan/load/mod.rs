//! Change load across a portfolio: which stakeholder groups get hit by too many rollouts at once.
//! The rule is ChangePlan's published one: per group and period, sum each project's impact on
//! that group with weights (High 10, Medium 5, Low 1 by default), and colour the sum by a
//! threshold table. A project's impact on a group lands from 6 weeks before its go-live to 8
//! weeks after (ISO weeks), or between the group's `impact_from` and `impact_to`; a period that
//! holds the project's go-live or one of its milestones counts double. Group names are compared
//! ignoring case, spacing and punctuation, and aliases in `portfolio.toml` merge others.

pub mod groups;
pub mod settings;

use crate::project::{Level, Project, day_of};
use crate::text::{civil_from_days, days_from_civil, iso_week, iso_week_monday};
use groups::Identity;
use serde::Serialize;
pub use settings::{Settings, Thresholds};

/// Weeks before go-live the default window starts, and after it ends.
pub const WEEKS_BEFORE: i64 = 6;
pub const WEEKS_AFTER: i64 = 8;

/// What the change load needs of one project: small, so a thousand of them stay small.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectLoad {
    pub name: String,
    pub launch: Option<i64>,
    /// Days that hold a milestone (the go-live is `launch`).
    pub milestones: Vec<i64>,
    pub groups: Vec<GroupImpact>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GroupImpact {
    pub name: String,
    pub impact: Level,
    /// The project file says the impact (a portfolio warns when it does not).
    pub stated: bool,
    pub from: Option<i64>,
    pub to: Option<i64>,
}

impl ProjectLoad {
    pub fn of(p: &Project, fallback_name: &str) -> ProjectLoad {
        // Names are shown in every format: escape codes and line breaks go at once.
        let clean = |s: &str| crate::sanitize::strip_controls(s).replace('\n', " ");
        let name = p.project.name.as_deref().filter(|n| !n.trim().is_empty());
        ProjectLoad {
            name: clean(name.unwrap_or(fallback_name)),
            launch: p.project.launch_date.and_then(day_of),
            milestones: p
                .milestones
                .iter()
                .filter_map(|m| m.date.and_then(day_of))
                .collect(),
            groups: p
                .groups
                .iter()
                .map(|g| GroupImpact {
                    name: clean(&g.name),
                    impact: g.impact.unwrap_or(Level::Medium),
                    stated: g.impact.is_some(),
                    from: g.impact_from.and_then(day_of),
                    to: g.impact_to.and_then(day_of),
                })
                .collect(),
        }
    }

    /// The days the change lands on `g`: its own dates, else the window around go-live; `None`
    /// when neither says (no launch date).
    pub fn window(&self, g: &GroupImpact) -> Option<(i64, i64)> {
        let around = self.launch.map(|l| {
            let monday = l - crate::text::weekday(l);
            (monday - 7 * WEEKS_BEFORE, monday + 7 * WEEKS_AFTER + 6)
        });
        let from = g.from.or(around.map(|a| a.0))?;
        let to = g.to.or(around.map(|a| a.1))?;
        Some((from.min(to), from.max(to)))
    }
}

/// The periods of the heatmap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    /// ISO weeks, `2027-W10`.
    Week,
    /// Calendar months, `2027-03` (a project counts once in every month its window touches).
    Month,
}

/// Why a project counts in a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// The period holds its go-live: counts double.
    GoLive,
    /// The period holds one of its milestones: counts double.
    Milestone,
    /// The period is inside the window.
    Window,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::GoLive => "go-live",
            Reason::Milestone => "milestone",
            Reason::Window => "window",
        }
    }
}

/// A group-period's colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Heat {
    Green,
    Amber,
    Red,
}

impl Heat {
    pub fn of(score: u32, t: Thresholds) -> Heat {
        match score {
            s if s >= t.red => Heat::Red,
            s if s >= t.amber => Heat::Amber,
            _ => Heat::Green,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Heat::Green => "green",
            Heat::Amber => "amber",
            Heat::Red => "red",
        }
    }
}

/// One project's share of a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Share {
    /// Index into [`Heatmap::projects`].
    pub project: u32,
    pub impact: Level,
    pub reason: Reason,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cell {
    pub score: u32,
    pub shares: Vec<Share>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GroupRow {
    pub group: String,
    /// The other names it goes by in the projects (and the settings).
    pub aliases: Vec<String>,
    pub cells: Vec<Cell>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Heatmap {
    pub by: By,
    /// The first day of each period.
    pub starts: Vec<i64>,
    pub thresholds: Thresholds,
    pub weights: settings::Weights,
    pub projects: Vec<String>,
    pub groups: Vec<GroupRow>,
    /// Groups found in one project only whose name looks like another group's.
    pub possible_aliases: Vec<(String, String)>,
    /// Projects with a group the load cannot place: no launch date and no impact dates.
    pub unplaced: Vec<String>,
    /// Projects with groups that do not say their impact (taken as medium).
    pub unstated: Vec<String>,
}

impl By {
    /// The period holding `day`, as its first day.
    fn start(self, day: i64) -> i64 {
        match self {
            By::Week => day - crate::text::weekday(day),
            By::Month => {
                let (y, m, _) = civil_from_days(day);
                days_from_civil(y, m, 1)
            }
        }
    }

    /// The first day of the period after the one starting at `start`.
    fn next(self, start: i64) -> i64 {
        match self {
            By::Week => start + 7,
            By::Month => {
                let (y, m, _) = civil_from_days(start);
                let (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                days_from_civil(y, m, 1)
            }
        }
    }

    /// `2027-W10` or `2027-03`.
    pub fn label(self, start: i64) -> String {
        match self {
            By::Week => {
                let (y, w) = iso_week(start);
                format!("{y}-W{w:02}")
            }
            By::Month => {
                let (y, m, _) = civil_from_days(start);
                format!("{y}-{m:02}")
            }
        }
    }
}

/// The heatmap of `projects` by `by`, over `from`..=`to` when given (else every window's span).
pub fn heatmap(
    projects: &[ProjectLoad],
    settings: &Settings,
    by: By,
    from: Option<i64>,
    to: Option<i64>,
) -> Heatmap {
    let windows: Vec<(i64, i64)> = projects
        .iter()
        .flat_map(|p| p.groups.iter().filter_map(|g| p.window(g)))
        .collect();
    let first = from.or(windows.iter().map(|w| w.0).min());
    let last = to.or(windows.iter().map(|w| w.1).max());
    let mut starts = Vec::new();
    if let (Some(first), Some(last)) = (first, last) {
        let mut s = by.start(first);
        while s <= last && starts.len() < 10_000 {
            starts.push(s);
            s = by.next(s);
        }
    }
    let period = |day: i64| -> Option<usize> {
        let s = by.start(day);
        starts.binary_search(&s).ok()
    };
    let mut identity = Identity::new(settings);
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    let (mut unplaced, mut unstated) = (Vec::new(), Vec::new());
    for (pi, p) in projects.iter().enumerate() {
        let marks: Vec<(usize, Reason)> = p
            .launch
            .iter()
            .map(|d| (*d, Reason::GoLive))
            .chain(p.milestones.iter().map(|d| (*d, Reason::Milestone)))
            .filter_map(|(d, r)| Some((period(d)?, r)))
            .collect();
        for g in &p.groups {
            if !g.stated && !unstated.contains(&p.name) {
                unstated.push(p.name.clone());
            }
            let Some((wf, wt)) = p.window(g) else {
                if !unplaced.contains(&p.name) {
                    unplaced.push(p.name.clone());
                }
                continue;
            };
            let row = identity.row(&g.name, pi);
            if rows.len() <= row {
                rows.resize_with(row + 1, || vec![Cell::default(); starts.len()]);
            }
            let weight = settings.weights.of(g.impact);
            let (Some(a), Some(b)) = (
                period(wf.max(*starts.first().unwrap_or(&wf))),
                period(wt.min(last.unwrap_or(wt))),
            ) else {
                continue;
            };
            for (i, cell) in rows[row].iter_mut().enumerate().take(b + 1).skip(a) {
                // A go-live beats a milestone as the reason.
                let reason = marks
                    .iter()
                    .filter(|(at, _)| *at == i)
                    .map(|(_, r)| *r)
                    .min_by_key(|r| *r != Reason::GoLive)
                    .unwrap_or(Reason::Window);
                let double = if reason == Reason::Window { 1 } else { 2 };
                cell.score += weight * double;
                cell.shares.push(Share {
                    project: pi as u32,
                    impact: g.impact,
                    reason,
                });
            }
        }
    }
    let (names, possible_aliases) = identity.finish();
    let groups = names
        .into_iter()
        .zip(rows.into_iter().chain(std::iter::repeat_with(Vec::new)))
        .map(|((group, aliases), cells)| GroupRow {
            group,
            aliases,
            cells: if cells.is_empty() {
                vec![Cell::default(); starts.len()]
            } else {
                cells
            },
        })
        .collect();
    let mut map = Heatmap {
        by,
        starts,
        thresholds: settings.thresholds,
        weights: settings.weights,
        projects: projects.iter().map(|p| p.name.clone()).collect(),
        groups,
        possible_aliases,
        unplaced,
        unstated,
    };
    map.groups.sort_by_key(|g| g.group.to_lowercase());
    map
}

/// An amber or red group-period.
#[derive(Debug, Clone, PartialEq)]
pub struct Collision<'a> {
    pub group: &'a str,
    pub period: String,
    pub score: u32,
    pub heat: Heat,
    pub shares: &'a [Share],
}

impl Heatmap {
    pub fn heat(&self, cell: &Cell) -> Heat {
        Heat::of(cell.score, self.thresholds)
    }

    pub fn labels(&self) -> Vec<String> {
        self.starts.iter().map(|s| self.by.label(*s)).collect()
    }

    /// Every amber or red cell, group by group, in time order.
    pub fn collisions(&self) -> Vec<Collision<'_>> {
        let mut out = Vec::new();
        for g in &self.groups {
            for (i, cell) in g.cells.iter().enumerate() {
                let heat = self.heat(cell);
                if heat > Heat::Green {
                    out.push(Collision {
                        group: &g.group,
                        period: self.by.label(self.starts[i]),
                        score: cell.score,
                        heat,
                        shares: &cell.shares,
                    });
                }
            }
        }
        out
    }

    /// The projects behind a cell, each once.
    pub fn names(&self, shares: &[Share]) -> Vec<&str> {
        let mut names: Vec<&str> = shares
            .iter()
            .map(|s| self.projects[s.project as usize].as_str())
            .collect();
        names.dedup();
        names
    }

    /// The JSON scripts rely on (see the README).
    pub fn to_json(&self) -> String {
        let mut out = serde_json::to_string_pretty(&self.json_view()).unwrap_or_default();
        out.push('\n');
        out
    }

    /// The JSON shape of `portfolio load --format json`, serialized as it is walked,
    /// borrowing the map: for a thousand projects it is tens of megabytes, and a tree of
    /// values built first took ten times that.
    pub fn json_view(&self) -> impl Serialize + '_ {
        JsonMap {
            periods: self.labels(),
            thresholds: self.thresholds,
            groups: GroupsView(self),
            collisions: self
                .collisions()
                .iter()
                .map(|c| JsonCollision {
                    group: c.group,
                    period: c.period.clone(),
                    score: c.score,
                    projects: self.names(c.shares),
                })
                .collect(),
        }
    }

    /// One row per group and period: group, period, score, level, projects.
    pub fn csv_rows(&self) -> Vec<Vec<String>> {
        let mut rows = Vec::new();
        for g in &self.groups {
            for (c, s) in g.cells.iter().zip(&self.starts) {
                rows.push(vec![
                    g.group.clone(),
                    self.by.label(*s),
                    c.score.to_string(),
                    self.heat(c).as_str().to_string(),
                    self.names(&c.shares).join("; "),
                ]);
            }
        }
        rows
    }

    /// Who is behind a cell, for a reader: "Ward rota app (high, go-live)".
    pub fn behind(&self, shares: &[Share]) -> Vec<String> {
        shares
            .iter()
            .map(|s| {
                format!(
                    "{} ({}, {})",
                    self.projects[s.project as usize],
                    s.impact.as_str(),
                    s.reason.as_str()
                )
            })
            .collect()
    }

    /// For each group of project `me` (an index into the loads the map was made from), the
    /// other projects whose change lands on the same group in a period where `me`'s does, with
    /// their go-live weeks: what a plan says under "Other changes landing on these groups".
    /// At most [`OTHERS_SHOWN`] per group, the go-lives nearest `me`'s first; the rest are
    /// counted (a plan in a portfolio of a thousand names a few, not 999).
    pub fn others_for(&self, me: usize, loads: &[ProjectLoad]) -> Vec<OtherChanges> {
        let Some(mine) = loads.get(me) else {
            return Vec::new();
        };
        let launch = |i: usize| loads.get(i).and_then(|p| p.launch);
        // Nearest go-live first; none last; then by name, so the pick is stable.
        let distance = |i: usize| match (launch(i), mine.launch) {
            (Some(theirs), Some(own)) => (theirs - own).abs(),
            (Some(_), None) => 0,
            (None, _) => i64::MAX,
        };
        let mut seen = vec![false; self.projects.len()];
        let mut out: Vec<OtherChanges> = Vec::new();
        for g in &mine.groups {
            let key = groups::key(&g.name);
            let Some(row) = self.groups.iter().find(|r| {
                groups::key(&r.group) == key || r.aliases.iter().any(|a| groups::key(a) == key)
            }) else {
                continue;
            };
            if out.iter().any(|o| o.group == row.group) {
                continue;
            }
            seen.iter_mut().for_each(|s| *s = false);
            let mut others: Vec<usize> = Vec::new();
            let overlapping = row
                .cells
                .iter()
                .filter(|c| c.shares.iter().any(|s| s.project as usize == me));
            for share in overlapping.flat_map(|c| &c.shares) {
                let i = share.project as usize;
                if i != me && !std::mem::replace(&mut seen[i], true) {
                    others.push(i);
                }
            }
            if others.is_empty() {
                continue;
            }
            let key = |&i: &usize| (distance(i), &self.projects[i]);
            let shown = others.len().min(OTHERS_SHOWN);
            if shown < others.len() {
                others.select_nth_unstable_by(shown - 1, |a, b| key(a).cmp(&key(b)));
            }
            let more = others.len() - shown;
            others.truncate(shown);
            others.sort_by(|a, b| key(a).cmp(&key(b)));
            out.push(OtherChanges {
                group: row.group.clone(),
                projects: (others.into_iter())
                    .map(|i| OtherChange {
                        project: self.projects[i].clone(),
                        go_live: launch(i).map(|l| By::Week.label(l)),
                    })
                    .collect(),
                more,
            });
        }
        out
    }
}

/// How many other projects a plan names per group; the rest are counted.
pub const OTHERS_SHOWN: usize = 8;

/// `portfolio load --format json`, in the documented order: periods, thresholds, groups,
/// collisions.
#[derive(Serialize)]
struct JsonMap<'a> {
    periods: Vec<String>,
    thresholds: Thresholds,
    groups: GroupsView<'a>,
    collisions: Vec<JsonCollision<'a>>,
}

#[derive(Serialize)]
struct JsonGroup<'a> {
    group: &'a str,
    aliases: &'a [String],
    cells: CellsView<'a>,
}

#[derive(Serialize)]
struct JsonCell<'a> {
    period: String,
    score: u32,
    level: Heat,
    projects: SharesView<'a>,
}

#[derive(Serialize)]
struct JsonShare<'a> {
    project: &'a str,
    impact: &'static str,
    reason: Reason,
}

#[derive(Serialize)]
struct JsonCollision<'a> {
    group: &'a str,
    period: String,
    score: u32,
    projects: Vec<&'a str>,
}

/// The groups, each cell and share serialized as it is reached.
struct GroupsView<'a>(&'a Heatmap);
struct CellsView<'a>(&'a Heatmap, &'a GroupRow);
struct SharesView<'a>(&'a Heatmap, &'a [Share]);

impl Serialize for GroupsView<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let map = self.0;
        s.collect_seq(map.groups.iter().map(|g| JsonGroup {
            group: &g.group,
            aliases: &g.aliases,
            cells: CellsView(map, g),
        }))
    }
}

impl Serialize for CellsView<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let map = self.0;
        s.collect_seq(
            self.1
                .cells
                .iter()
                .zip(&map.starts)
                .map(|(c, start)| JsonCell {
                    period: map.by.label(*start),
                    score: c.score,
                    level: map.heat(c),
                    projects: SharesView(map, &c.shares),
                }),
        )
    }
}

impl Serialize for SharesView<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let map = self.0;
        s.collect_seq(self.1.iter().map(|sh| JsonShare {
            project: &map.projects[sh.project as usize],
            impact: sh.impact.as_str(),
            reason: sh.reason,
        }))
    }
}

/// The other projects landing on one of a plan's groups while its own change does.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OtherChanges {
    /// The group as the portfolio names it.
    pub group: String,
    /// The nearest, at most [`OTHERS_SHOWN`].
    pub projects: Vec<OtherChange>,
    /// How many more land on the group at the same time.
    pub more: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OtherChange {
    pub project: String,
    /// The ISO week of its go-live (`2027-W10`), when it has a launch date.
    pub go_live: Option<String>,
}

/// The day `week` (`2027-W10`), `month` (`2027-03`) or date (`2027-03-01`) starts on.
pub fn parse_day(text: &str) -> Option<i64> {
    let t = text.trim();
    if let Some((y, w)) = t.split_once("-W").or_else(|| t.split_once("-w")) {
        let (y, w) = (y.parse::<i64>().ok()?, w.parse::<u32>().ok()?);
        return (1..=53).contains(&w).then(|| iso_week_monday(y, w));
    }
    let parts: Vec<&str> = t.split('-').collect();
    let num = |s: &str| s.parse::<i64>().ok();
    match parts.as_slice() {
        [y, m] if y.len() == 4 => {
            let (y, m) = (num(y)?, num(m)? as u32);
            (1..=12).contains(&m).then(|| days_from_civil(y, m, 1))
        }
        [y, m, d] if y.len() == 4 => {
            let (y, m, d) = (num(y)?, num(m)? as u32, num(d)? as u32);
            let valid = (1..=12).contains(&m) && (1..=31).contains(&d);
            valid.then(|| days_from_civil(y, m, d))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests;
