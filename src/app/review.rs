//! `review`: the stored plan checked against what practitioners check, as a scorecard or JSON,
//! with no request and no endpoint.

use super::Ctx;
use crate::cli::ReviewArgs;
use crate::error::{Result, exit};
use crate::plan::Plan;
use crate::plan::review::{Facts, Review};
use crate::project::Privacy;
use crate::run::workspace::Workspace;
use crate::term::scorecard;

pub fn review(cx: &Ctx, args: &ReviewArgs) -> Result<i32> {
    let ws = cx.open()?;
    let filled = ws.fill_all()?;
    let store = crate::run::Store::peek(&ws.loaded.path);
    // Structure only to read stored JSON back, as `render` does. The scorecard and the JSON
    // are the terminal's and scripts': English, whatever the plan's language (the plan's own
    // Review section is in it).
    let plan = Plan::assemble(&ws.loaded.project, &ws.planned(&filled, false), &store)
        .with_people(ws.privacy);
    let review = Review::of(&plan, &facts(&ws));
    if args.json {
        cx.ui.result(&review.to_json())?;
    } else {
        cx.ui
            .result(&scorecard::render(&review, cx.ui.color_stdout()))?;
    }
    Ok(match args.fail_under {
        Some(bar) if review.score < bar => exit::BELOW_BAR,
        _ => exit::OK,
    })
}

/// What the review knows besides the plan: whether prompts carried the people (as names or
/// pseudonyms, which the plan turns back into names on purpose), and when the project file
/// last changed.
pub fn facts(ws: &Workspace) -> Facts {
    Facts {
        people_shared: ws.privacy != Privacy::Local,
        project_changed: std::fs::metadata(&ws.loaded.path)
            .and_then(|m| m.modified())
            .ok(),
    }
}
