//! The inverted index over a set of tool definitions.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;
use turret_core::types::Tool;

use super::rank::{idf, Field, Ranking, FIELDS};
use super::tokenize::{floor_boundary, is_stop_word, words, Analyzer};

/// A fast hasher for the build's word and term maps (short strings, hundreds of thousands of
/// lookups; not exposed to input that could be chosen to collide, beyond slowing one build).
#[derive(Default, Clone, Copy)]
pub(crate) struct FastHash(u64);

impl std::hash::Hasher for FastHash {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word))
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FastHash>>;

/// A tool's weighted, length-normalised frequency of one term (see [`rank`](super::rank)).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Posting {
    pub(crate) doc: u32,
    pub(crate) tf: f32,
}

/// Parts of a name shorter than this are not split off: too many short strings are words.
const MIN_PART: usize = 3;
/// The first sentence of a description ends by here at the latest.
const MAX_LEAD: usize = 240;

/// A searchable index of tool definitions: build it once per set of tools, search it many
/// times. [`ToolSearchLayer`](super::ToolSearchLayer) keeps one per set of tools a caller can
/// see; it is public to measure and to search a catalog without a service.
///
/// ```
/// use std::sync::Arc;
/// use turret_core::types::Tool;
/// use turret_layers::tool_search::{Ranking, ToolIndex};
///
/// let tool = |name: &str, description: &str| {
///     let mut t = Tool::default();
///     t.name = name.into();
///     t.description = Some(description.into());
///     Arc::new(t)
/// };
/// let index = ToolIndex::new(
///     [
///         tool("issues_create", "Creates an issue in a repository."),
///         tool("pulls_merge", "Merges a pull request."),
///     ],
///     Ranking::default(),
/// );
/// let hits = index.search("open a new ticket in a repo", 5);
/// assert_eq!(hits[0].tool().name, "issues_create");
/// assert!(index.search("book a flight", 5).first().is_none_or(|h| h.score() < 0.2));
/// ```
pub struct ToolIndex {
    pub(crate) tools: Vec<Arc<Tool>>,
    by_name: HashMap<String, u32>,
    pub(crate) terms: FastMap<Box<str>, u32>,
    /// Every term's postings, term after term, each in tool order: term `t`'s are
    /// `postings[offsets[t]..offsets[t + 1]]` (one allocation for all).
    postings: Vec<Posting>,
    offsets: Vec<u32>,
    pub(crate) idf: Vec<f32>,
    /// What an absent term weighs: the idf of a term no tool has.
    pub(crate) unknown_idf: f32,
    pub(crate) ranking: Ranking,
    pub(crate) analyzer: Analyzer,
}

impl std::fmt::Debug for ToolIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolIndex")
            .field("tools", &self.tools.len())
            .field("terms", &self.terms.len())
            .field("ranking", &self.ranking)
            .finish_non_exhaustive()
    }
}

/// One tool's term occurrences, by field slot, while building.
#[derive(Default)]
struct Doc {
    hits: Vec<(u32, u8)>,
    lens: [u32; FIELDS],
}

/// What the build shares across tools: terms and the words already analysed.
struct Builder {
    analyzer: Analyzer,
    ranking: Ranking,
    terms: FastMap<Box<str>, u32>,
    /// Terms of each word seen, so each distinct word is stemmed once.
    seen: FastMap<Box<str>, Box<[u32]>>,
}

impl Builder {
    fn word_ids(&mut self, word: &str) -> Box<[u32]> {
        let Self {
            analyzer, terms, ..
        } = self;
        let mut ids = Vec::with_capacity(2);
        analyzer.word_terms(word, |term| {
            let next = u32::try_from(terms.len()).expect("fewer than 2^32 terms");
            let id = match terms.get(term) {
                Some(&id) => id,
                None => *terms.entry(term.into()).or_insert(next),
            };
            ids.push(id);
        });
        ids.into_boxed_slice()
    }

    /// Adds the terms of `word` to `doc` in `slot`, analysing each distinct word once.
    fn add_word(&mut self, doc: &mut Doc, slot: usize, word: &str) {
        let mut push = |ids: &[u32]| {
            doc.hits.extend(ids.iter().map(|&id| (id, slot as u8)));
            doc.lens[slot] += ids.len() as u32;
        };
        match self.seen.get(word) {
            Some(ids) => push(ids),
            None => {
                let ids = self.word_ids(word);
                push(&ids);
                self.seen.insert(word.into(), ids);
            }
        }
    }

    /// Adds the words of `text` to `doc` under `field`.
    fn add(&mut self, doc: &mut Doc, field: Field, text: &str) {
        let (slot, _, _) = self.ranking.slot(field);
        words(text, |w| self.add_word(doc, slot, w));
    }

    /// Adds a description: its first sentence counts in the lead and in the description,
    /// the rest in the description; each word is read once.
    fn add_description(&mut self, doc: &mut Doc, description: &str) {
        let (lead_slot, _, _) = self.ranking.slot(Field::Lead);
        let (slot, _, _) = self.ranking.slot(Field::Description);
        let first = lead(description);
        words(first, |w| {
            self.add_word(doc, lead_slot, w);
            self.add_word(doc, slot, w);
        });
        words(&description[first.len()..], |w| self.add_word(doc, slot, w));
    }

    /// Whether every term of `word` is in the catalog already.
    fn known(&self, word: &str) -> bool {
        if let Some(ids) = self.seen.get(word) {
            return !ids.is_empty() || is_stop_word(word);
        }
        let mut all = true;
        self.analyzer
            .word_terms(word, |t| all &= self.terms.contains_key(t));
        all
    }

    /// Adds a name's words: one the rest of the catalog never uses is split in two where
    /// both halves are known words (`actionslist` → `actions`, `list`), since generated
    /// names often lose the separator between a namespace and a verb.
    fn add_name(&mut self, doc: &mut Doc, name: &str) {
        let mut parts = Vec::new();
        words(name, |w| {
            if self.known(w) || w.len() < 2 * MIN_PART {
                parts.push(w.to_owned());
                return;
            }
            let split = (MIN_PART..=w.len() - MIN_PART)
                .filter(|&i| w.is_char_boundary(i))
                .filter(|&i| self.known(&w[..i]) && self.known(&w[i..]))
                .max_by_key(|&i| i.min(w.len() - i));
            match split {
                Some(i) => parts.extend([w[..i].to_owned(), w[i..].to_owned()]),
                None => parts.push(w.to_owned()),
            }
        });
        let (slot, _, _) = self.ranking.slot(Field::Name);
        for part in parts {
            self.add_word(doc, slot, &part);
        }
    }
}

/// The first sentence of a description.
pub(crate) fn lead(description: &str) -> &str {
    let cut = &description[..floor_boundary(description, MAX_LEAD)];
    let end = [". ", ".\n", "\n\n", "</p>"]
        .iter()
        .filter_map(|s| cut.find(s))
        .min()
        .unwrap_or(cut.len());
    &cut[..end]
}

/// The top-level arguments of a schema: names and descriptions.
fn params(schema: &serde_json::Map<String, Value>) -> impl Iterator<Item = (&str, &str)> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(name, prop)| {
            let description = prop.get("description").and_then(Value::as_str);
            (name.as_str(), description.unwrap_or(""))
        })
}

impl ToolIndex {
    /// Indexes `tools`, ranked by `ranking`.
    pub fn new(tools: impl IntoIterator<Item = Arc<Tool>>, ranking: Ranking) -> Self {
        let tools: Vec<Arc<Tool>> = tools.into_iter().collect();
        let mut b = Builder {
            analyzer: Analyzer::new(ranking.stemming),
            ranking,
            // About what the GitHub and Stripe catalogs need, so the maps rarely regrow.
            terms: FastMap::with_capacity_and_hasher(1 << 14, Default::default()),
            seen: FastMap::with_capacity_and_hasher(1 << 14, Default::default()),
        };
        let mut docs: Vec<Doc> = tools
            .iter()
            .map(|_| Doc {
                hits: Vec::with_capacity(256),
                lens: [0; FIELDS],
            })
            .collect();
        for (tool, doc) in tools.iter().zip(&mut docs) {
            if let Some(title) = &tool.title {
                b.add(doc, Field::Title, title);
            }
            if let Some(description) = &tool.description {
                b.add_description(doc, description);
            }
            for (name, description) in params(&tool.input_schema) {
                b.add(doc, Field::ParamName, name);
                b.add(doc, Field::ParamDescription, description);
            }
        }
        // Names last, so splitting them knows every other word of the catalog.
        for (tool, doc) in tools.iter().zip(&mut docs) {
            b.add_name(doc, &tool.name);
        }
        let (postings, offsets) = postings(&docs, b.terms.len(), ranking);
        let n = tools.len();
        Self {
            by_name: tools
                .iter()
                .enumerate()
                .map(|(i, t)| (t.name.clone(), i as u32))
                .collect(),
            idf: offsets
                .windows(2)
                .map(|w| idf(n, (w[1] - w[0]) as usize))
                .collect(),
            unknown_idf: idf(n, 0),
            postings,
            offsets,
            tools,
            terms: b.terms,
            ranking,
            analyzer: b.analyzer,
        }
    }

    /// How many tools are indexed.
    pub fn len(&self) -> usize {
        self.tools.len()
    }

    /// Whether no tool is indexed.
    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }

    /// The indexed tool called `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<Tool>> {
        self.by_name.get(name).map(|&i| &self.tools[i as usize])
    }

    /// About how many bytes of heap the index holds besides the tool definitions it shares
    /// with the listing (terms, postings, idf, the name lookup), counted from the sizes and
    /// capacities of its parts; for measuring.
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let terms = self.terms.keys().map(|k| k.len()).sum::<usize>()
            + self.terms.capacity() * (size_of::<(Box<str>, u32)>() + 1);
        let postings = self.postings.capacity() * size_of::<Posting>()
            + self.offsets.capacity() * size_of::<u32>();
        let names = self.by_name.keys().map(String::capacity).sum::<usize>()
            + self.by_name.capacity() * (size_of::<(String, u32)>() + 1);
        terms
            + postings
            + names
            + self.idf.capacity() * size_of::<f32>()
            + self.tools.capacity() * size_of::<Arc<Tool>>()
    }

    /// The postings of term `id`.
    pub(crate) fn postings_of(&self, id: u32) -> &[Posting] {
        let id = id as usize;
        &self.postings[self.offsets[id] as usize..self.offsets[id + 1] as usize]
    }

    /// The ranking the index was built with.
    pub fn ranking(&self) -> Ranking {
        self.ranking
    }
}

/// Each term's postings (see [`ToolIndex`]'s fields): per tool, its field counts combined
/// into one weighted, length-normalised frequency.
fn postings(docs: &[Doc], terms: usize, ranking: Ranking) -> (Vec<Posting>, Vec<u32>) {
    let mut avg = [0f32; FIELDS];
    for doc in docs {
        for (a, l) in avg.iter_mut().zip(doc.lens) {
            *a += l as f32;
        }
    }
    let count = docs.len().max(1) as f32;
    avg.iter_mut().for_each(|a| *a = (*a / count).max(1.0));
    let mut norm = [(0f32, 0f32); FIELDS];
    for field in Field::ALL {
        let (slot, w, b) = ranking.slot(field);
        norm[slot] = (w, b);
    }
    // (term, posting) in tool order, then sorted by term with a counting sort, which keeps
    // each term's postings in tool order.
    let mut all: Vec<(u32, Posting)> =
        Vec::with_capacity(docs.iter().map(|d| d.hits.len()).sum::<usize>() / 2);
    let mut df = vec![0u32; terms];
    // Per term of the current tool: its frequency, and the terms touched, to reset.
    let mut tf = vec![0f32; terms];
    let mut touched: Vec<u32> = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        for &(term, slot) in &doc.hits {
            let slot = slot as usize;
            let (w, b) = norm[slot];
            let length = 1.0 - b + b * doc.lens[slot] as f32 / avg[slot];
            let t = &mut tf[term as usize];
            if *t == 0.0 {
                touched.push(term);
            }
            *t += w / length;
        }
        for &term in &touched {
            let tf = std::mem::take(&mut tf[term as usize]);
            df[term as usize] += 1;
            all.push((term, Posting { doc: i as u32, tf }));
        }
        touched.clear();
    }
    let mut offsets = Vec::with_capacity(terms + 1);
    let mut at = 0u32;
    offsets.push(0);
    for d in &df {
        at += d;
        offsets.push(at);
    }
    let mut next: Vec<u32> = offsets[..terms].to_vec();
    let mut postings = vec![Posting { doc: 0, tf: 0.0 }; all.len()];
    for (term, p) in all {
        let slot = &mut next[term as usize];
        postings[*slot as usize] = p;
        *slot += 1;
    }
    (postings, offsets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lead_is_the_first_sentence() {
        assert_eq!(lead("Lists charges. Newest first."), "Lists charges");
        assert_eq!(
            lead("<p>Creates a card.</p><p>More</p>"),
            "<p>Creates a card."
        );
        assert_eq!(lead("No stop"), "No stop");
        assert_eq!(lead(&"é".repeat(300)).len(), 240);
    }
}
