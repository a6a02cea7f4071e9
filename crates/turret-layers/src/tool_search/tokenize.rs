//! Text to index terms: words split the way tool names and API docs are written, lowercased,
//! common English words dropped, API abbreviations spelled out, stemmed.

use std::borrow::Cow;

use rust_stemmers::{Algorithm, Stemmer};

/// How far past a `<` a closing `>` is looked for: an HTML tag is short, a `<` in prose
/// ("a < b") is not a tag and must not swallow the text after it.
const MAX_TAG: usize = 80;

/// Calls `f` with each word of `text`, lowercased: runs of letters and digits, split again at
/// camelCase humps (`PostCustomers`, `HTMLParser` → `html`, `parser`), so names written with
/// `_`, `-`, `/`, `.` or in camelCase give the same words as prose. HTML tags and URLs (API
/// descriptions are full of both) are skipped; one-character words carry nothing and are
/// dropped.
pub(crate) fn words(text: &str, mut f: impl FnMut(&str)) {
    let mut word = String::new();
    let mut prev: Option<char> = None;
    let mut flush = |word: &mut String, prev: &mut Option<char>| {
        if word.chars().nth(1).is_some() {
            f(word);
        }
        word.clear();
        *prev = None;
    };
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let rest = &text[i..];
        if c == '<' && rest[1..].starts_with(|n: char| n.is_ascii_alphabetic() || n == '/') {
            if let Some(end) = rest[..floor_boundary(rest, MAX_TAG)].find('>') {
                flush(&mut word, &mut prev);
                while chars.peek().is_some_and(|&(j, _)| j <= i + end) {
                    chars.next();
                }
                continue;
            }
        }
        if word.is_empty() && (rest.starts_with("http://") || rest.starts_with("https://")) {
            while chars
                .peek()
                .is_some_and(|&(_, n)| !n.is_whitespace() && !matches!(n, ')' | ']' | '"' | '>'))
            {
                chars.next();
            }
            continue;
        }
        if !c.is_alphanumeric() {
            flush(&mut word, &mut prev);
            continue;
        }
        let upper = c.is_uppercase();
        if let (Some(p), true) = (prev, upper) {
            if p.is_lowercase()
                || p.is_ascii_digit()
                || (p.is_uppercase() && chars.peek().is_some_and(|&(_, n)| n.is_lowercase()))
            {
                flush(&mut word, &mut prev);
            }
        }
        if c.is_ascii() {
            word.push(c.to_ascii_lowercase());
        } else {
            word.extend(c.to_lowercase());
        }
        prev = Some(c);
    }
    flush(&mut word, &mut prev);
}

/// The largest char boundary of `s` at or before `i`.
pub(crate) fn floor_boundary(s: &str, mut i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Words too common in English to tell tools apart. Kept small: verbs such as `get`, `list`,
/// `set` and words such as `all` and `new` do tell tools apart and stay.
const STOP_WORDS: &[&str] = &[
    "a", "about", "after", "again", "already", "also", "am", "an", "and", "any", "are", "as", "at",
    "be", "been", "before", "being", "but", "by", "can", "could", "did", "do", "does", "doing",
    "done", "for", "from", "had", "has", "have", "having", "he", "her", "here", "him", "his",
    "how", "i", "if", "in", "into", "is", "it", "its", "just", "let", "me", "might", "mine",
    "more", "most", "must", "my", "myself", "need", "of", "off", "on", "once", "only", "onto",
    "or", "other", "our", "ours", "out", "over", "please", "same", "she", "should", "so", "some",
    "such", "than", "that", "the", "their", "them", "then", "there", "these", "they", "this",
    "those", "through", "to", "too", "up", "us", "use", "used", "using", "very", "via", "want",
    "was", "we", "were", "what", "whats", "when", "where", "which", "while", "who", "whom",
    "whose", "why", "will", "with", "would", "you", "your", "yours",
];

/// Whether `word` (lowercased) is a stop word.
pub(crate) fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.binary_search(&word).is_ok()
}

/// Abbreviations API names use for words their docs spell out (`repos/list` documented as
/// "Lists repositories"; `PR` for pull request). Spelled out on both sides, index and query,
/// since they mean exactly the same.
fn spelled_out(word: &str) -> Option<&'static [&'static str]> {
    Some(match word {
        "repo" | "repos" => &["repository"],
        "org" | "orgs" => &["organization"],
        "pr" | "prs" => &["pull", "request"],
        "config" | "configs" => &["configuration"],
        "env" | "envs" => &["environment"],
        "info" => &["information"],
        "stats" => &["statistics"],
        "auth" => &["authentication"],
        "dir" => &["directory"],
        "msg" => &["message"],
        _ => return None,
    })
}

/// Turns words into terms: abbreviations spelled out, then stemmed or not.
pub(crate) struct Analyzer {
    stemmer: Option<Stemmer>,
}

impl Analyzer {
    pub(crate) fn new(stemming: bool) -> Self {
        Self {
            stemmer: stemming.then(|| Stemmer::create(Algorithm::English)),
        }
    }

    /// The term of one word (already lowercased, spelled out).
    ///
    /// Snowball strips an agent noun's `-er` where the rest is a word (`customer` →
    /// `custom`, `container` → `contain`): in API vocabulary those are different things, so
    /// the `-er` is kept (`customers` → `customer`).
    pub(crate) fn term<'a>(&self, word: &'a str) -> Cow<'a, str> {
        let Some(stemmer) = &self.stemmer else {
            return Cow::Borrowed(word);
        };
        let stem = stemmer.stem(word);
        let singular = word.strip_suffix('s').unwrap_or(word);
        match singular.strip_suffix("er") {
            Some(base) if base == stem => Cow::Owned(format!("{stem}er")),
            _ => stem,
        }
    }

    /// Calls `f` with the terms of one word: none for a stop word, one or more otherwise.
    pub(crate) fn word_terms(&self, word: &str, mut f: impl FnMut(&str)) {
        if is_stop_word(word) {
            return;
        }
        match spelled_out(word) {
            Some(parts) => parts.iter().for_each(|p| f(&self.term(p))),
            None => f(&self.term(word)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        words(text, |w| out.push(w.to_owned()));
        out
    }

    #[test]
    fn names_split_into_words() {
        assert_eq!(
            all("PostCustomersCustomerTaxIds"),
            ["post", "customers", "customer", "tax", "ids"]
        );
        assert_eq!(all("repos/list-for-org"), ["repos", "list", "for", "org"]);
        assert_eq!(all("github_pulls_list"), ["github", "pulls", "list"]);
        assert_eq!(all("HTMLParser v2Api"), ["html", "parser", "v2", "api"]);
    }

    #[test]
    fn markup_and_urls_are_skipped() {
        assert_eq!(
            all("<p>Lists <a href=\"/docs/x\">charges</a>.</p> See https://x.io/a_b (docs)"),
            ["lists", "charges", "see", "docs"]
        );
        assert_eq!(all("a < b and c"), ["and"]);
        let unclosed = format!("<b{}", "’".repeat(40));
        assert!(all(&unclosed).is_empty());
    }

    #[test]
    fn stop_words_are_sorted_for_the_binary_search() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(is_stop_word("the") && !is_stop_word("list"));
    }

    #[test]
    fn terms_are_stemmed_and_spelled_out() {
        let a = Analyzer::new(true);
        let mut out = Vec::new();
        for w in [
            "the",
            "repos",
            "creates",
            "PR",
            "customers",
            "customer",
            "custom",
        ] {
            a.word_terms(&w.to_lowercase(), |t| out.push(t.to_owned()));
        }
        assert_eq!(
            out,
            [
                "repositori",
                "creat",
                "pull",
                "request",
                "customer",
                "customer",
                "custom"
            ]
        );
    }
}
