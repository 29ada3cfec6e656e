//! What a run does next, decided from its counts alone: send a waiting section while there is
//! a place, take the next project when nothing waits, wait for a request to finish, or stop.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A place is free and a section waits for one.
    SendQueued,
    /// A place is free, nothing waits, and a project has not been taken yet.
    TakeMember,
    /// Every place is taken, or nothing is left to start: wait for a request to finish.
    AwaitOne,
    /// Nothing in flight and nothing left.
    Finish,
}

/// `in_flight` requests of at most `jobs`, `queued` sections waiting, and whether projects are
/// left to take. Projects are taken only when their sections can go, so a portfolio of a
/// thousand holds a few at a time.
pub fn next_step(in_flight: usize, jobs: usize, queued: usize, members_left: bool) -> Step {
    if in_flight < jobs.max(1) {
        if queued > 0 {
            return Step::SendQueued;
        }
        if members_left {
            return Step::TakeMember;
        }
    }
    if in_flight > 0 {
        Step::AwaitOne
    } else {
        Step::Finish
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_state_has_its_step() {
        use Step::*;
        let cases = [
            // in flight, jobs, queued, members left → step
            ((0, 3, 0, true), TakeMember),
            ((0, 3, 2, true), SendQueued),
            ((2, 3, 1, true), SendQueued),
            ((3, 3, 1, true), AwaitOne),
            ((3, 3, 0, true), AwaitOne),
            ((1, 3, 0, false), AwaitOne),
            ((0, 3, 0, false), Finish),
            ((0, 0, 1, false), SendQueued),
            ((1, 0, 1, false), AwaitOne),
        ];
        for ((in_flight, jobs, queued, left), want) in cases {
            assert_eq!(
                next_step(in_flight, jobs, queued, left),
                want,
                "{in_flight} {jobs} {queued} {left}"
            );
        }
    }
}
