//! The inverted index over a set of tool definitions.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;
use turret_core::types::Tool;

use super::rank::{idf, Field, Ranking, FIELDS};
use super::tokenize::{floor_boundary, words, Analyzer};

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
    pub(crate) terms: HashMap<Box<str>, u32>,
    pub(crate) postings: Vec<Box<[Posting]>>,
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
    terms: HashMap<Box<str>, u32>,
    /// Terms of each word seen, so each distinct word is stemmed once.
    seen: HashMap<Box<str>, Box<[u32]>>,
}

impl Builder {
    fn term_id(&mut self, term: &str) -> u32 {
        if let Some(&id) = self.terms.get(term) {
            return id;
        }
        let id = u32::try_from(self.terms.len()).expect("fewer than 2^32 terms");
        self.terms.insert(term.into(), id);
        id
    }

    fn word_ids(&mut self, word: &str) -> Box<[u32]> {
        let mut ids = Vec::new();
        let analyzer = &self.analyzer;
        let mut found = Vec::new();
        analyzer.word_terms(word, |t| found.push(t.to_owned()));
        for t in found {
            ids.push(self.term_id(&t));
        }
        ids.into()
    }

    /// Adds the words of `text` to `doc` under `field`.
    fn add(&mut self, doc: &mut Doc, field: Field, text: &str) {
        let (slot, _, _) = self.ranking.slot(field);
        words(text, |w| {
            let ids = match self.seen.get(w) {
                Some(ids) => ids.clone(),
                None => {
                    let ids = self.word_ids(w);
                    self.seen.insert(w.into(), ids.clone());
                    ids
                }
            };
            for id in ids.iter() {
                doc.hits.push((*id, slot as u8));
                doc.lens[slot] += 1;
            }
        });
    }

    /// Adds a name's words: one the rest of the catalog never uses is split in two where
    /// both halves are known words (`actionslist` → `actions`, `list`), since generated
    /// names often lose the separator between a namespace and a verb.
    fn add_name(&mut self, doc: &mut Doc, name: &str) {
        let mut parts = Vec::new();
        words(name, |w| {
            let known = |b: &Self, w: &str| {
                let mut all = true;
                b.analyzer.word_terms(w, |t| all &= b.terms.contains_key(t));
                all
            };
            if known(self, w) || w.len() < 2 * MIN_PART {
                parts.push(w.to_owned());
                return;
            }
            let split = (MIN_PART..=w.len() - MIN_PART)
                .filter(|&i| w.is_char_boundary(i))
                .filter(|&i| known(self, &w[..i]) && known(self, &w[i..]))
                .max_by_key(|&i| i.min(w.len() - i));
            match split {
                Some(i) => parts.extend([w[..i].to_owned(), w[i..].to_owned()]),
                None => parts.push(w.to_owned()),
            }
        });
        let (slot, _, _) = self.ranking.slot(Field::Name);
        for part in parts {
            for id in self.word_ids(&part).iter() {
                doc.hits.push((*id, slot as u8));
                doc.lens[slot] += 1;
            }
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
            terms: HashMap::new(),
            seen: HashMap::new(),
        };
        let mut docs: Vec<Doc> = tools.iter().map(|_| Doc::default()).collect();
        for (tool, doc) in tools.iter().zip(&mut docs) {
            if let Some(title) = &tool.title {
                b.add(doc, Field::Title, title);
            }
            if let Some(description) = &tool.description {
                b.add(doc, Field::Lead, lead(description));
                b.add(doc, Field::Description, description);
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
        let postings = postings(&docs, b.terms.len(), ranking);
        let n = tools.len();
        Self {
            by_name: tools
                .iter()
                .enumerate()
                .map(|(i, t)| (t.name.clone(), i as u32))
                .collect(),
            idf: postings.iter().map(|p| idf(n, p.len())).collect(),
            unknown_idf: idf(n, 0),
            postings,
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

    /// The ranking the index was built with.
    pub fn ranking(&self) -> Ranking {
        self.ranking
    }
}

/// Each term's postings: per tool, its field counts combined into one weighted,
/// length-normalised frequency.
fn postings(docs: &[Doc], terms: usize, ranking: Ranking) -> Vec<Box<[Posting]>> {
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
    let mut out: Vec<Vec<Posting>> = vec![Vec::new(); terms];
    let mut tf: HashMap<u32, f32> = HashMap::new();
    for (i, doc) in docs.iter().enumerate() {
        tf.clear();
        for &(term, slot) in &doc.hits {
            let slot = slot as usize;
            let (w, b) = norm[slot];
            let length = 1.0 - b + b * doc.lens[slot] as f32 / avg[slot];
            *tf.entry(term).or_default() += w / length;
        }
        for (&term, &tf) in &tf {
            out[term as usize].push(Posting { doc: i as u32, tf });
        }
    }
    out.into_iter().map(Vec::into_boxed_slice).collect()
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
