//! Separating `<think>…</think>` reasoning from the answer, even when the tags are split across
//! stream chunks.

const OPEN: &str = "<think>";
const CLOSE: &str = "</think>";

/// Feeds pieces of text in order; holds back only a possible partial tag at the end of a piece.
#[derive(Default)]
pub struct ThinkFilter {
    inside: bool,
    pending: String,
}

/// Text split into the answer and the reasoning.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Split {
    pub answer: String,
    pub reasoning: String,
}

impl ThinkFilter {
    /// The answer and reasoning text ready to use from this piece.
    pub fn feed(&mut self, piece: &str) -> Split {
        let mut buf = std::mem::take(&mut self.pending);
        buf.push_str(piece);
        let mut out = Split::default();
        let mut rest = buf.as_str();
        loop {
            let tag = if self.inside { CLOSE } else { OPEN };
            let target = if self.inside {
                &mut out.reasoning
            } else {
                &mut out.answer
            };
            if let Some(i) = rest.find(tag) {
                target.push_str(&rest[..i]);
                rest = &rest[i + tag.len()..];
                self.inside = !self.inside;
                continue;
            }
            let keep = partial_suffix(rest, tag);
            target.push_str(&rest[..rest.len() - keep]);
            self.pending = rest[rest.len() - keep..].to_string();
            return out;
        }
    }

    /// Whatever was held back, once the text has ended.
    pub fn finish(&mut self) -> Split {
        let rest = std::mem::take(&mut self.pending);
        if self.inside {
            Split {
                answer: String::new(),
                reasoning: rest,
            }
        } else {
            Split {
                answer: rest,
                reasoning: String::new(),
            }
        }
    }
}

/// Splits a whole text at once.
pub fn split(text: &str) -> Split {
    let mut filter = ThinkFilter::default();
    let mut out = filter.feed(text);
    let rest = filter.finish();
    out.answer.push_str(&rest.answer);
    out.reasoning.push_str(&rest.reasoning);
    out
}

/// Length of the longest suffix of `buf` that is a proper prefix of `tag`.
fn partial_suffix(buf: &str, tag: &str) -> usize {
    (1..tag.len())
        .rev()
        .find(|&n| {
            buf.len() >= n
                && buf.is_char_boundary(buf.len() - n)
                && tag.starts_with(&buf[buf.len() - n..])
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(answer: &str, reasoning: &str) -> Split {
        Split {
            answer: answer.into(),
            reasoning: reasoning.into(),
        }
    }

    const CASES: &[(&str, &str, &str)] = &[
        ("plain answer", "plain answer", ""),
        ("<think>hmm</think>Answer", "Answer", "hmm"),
        ("A<think>x</think>B<think>y</think>C", "ABC", "xy"),
        ("<think>never closed", "", "never closed"),
        (
            "a < b and <thin but not a tag",
            "a < b and <thin but not a tag",
            "",
        ),
        ("</think>stray close", "</think>stray close", ""),
        ("é<think>ü</think>ö", "éö", "ü"),
        ("", "", ""),
    ];

    #[test]
    fn whole_texts() {
        for (input, answer, reasoning) in CASES {
            assert_eq!(split(input), s(answer, reasoning), "{input:?}");
        }
    }

    /// Every way of cutting each case into pieces gives the same split.
    #[test]
    fn any_chunking_gives_the_same_result() {
        for (input, answer, reasoning) in CASES {
            let bounds: Vec<usize> = (0..=input.len())
                .filter(|i| input.is_char_boundary(*i))
                .collect();
            // All two-cut splits, plus one char at a time.
            let mut cuts: Vec<Vec<usize>> = Vec::new();
            for &a in &bounds {
                for &b in bounds.iter().filter(|b| **b >= a) {
                    cuts.push(vec![a, b]);
                }
            }
            cuts.push(bounds.clone());
            for cut in cuts {
                let mut filter = ThinkFilter::default();
                let mut got = Split::default();
                let mut start = 0;
                for end in cut.iter().copied().chain([input.len()]) {
                    let piece = filter.feed(&input[start..end]);
                    got.answer.push_str(&piece.answer);
                    got.reasoning.push_str(&piece.reasoning);
                    start = end;
                }
                let rest = filter.finish();
                got.answer.push_str(&rest.answer);
                got.reasoning.push_str(&rest.reasoning);
                assert_eq!(got, s(answer, reasoning), "{input:?} cut at {cut:?}");
            }
        }
    }

    #[test]
    fn only_a_possible_tag_is_held_back() {
        let mut f = ThinkFilter::default();
        assert_eq!(f.feed("Hello <th"), s("Hello ", ""));
        assert_eq!(f.feed("ere"), s("<there", ""));
    }
}
