//! Searching an index: a query's words become terms with alternatives (synonyms, hints),
//! scored against every tool that has one of them.

use std::cmp::Ordering;
use std::sync::Arc;

use turret_core::types::Tool;

use super::index::ToolIndex;
use super::rank::{saturate, HINT_WEIGHT, SYNONYM_WEIGHT};
use super::synonyms::{hints, synonyms};
use super::tokenize::{is_stop_word, words};

/// A query word's term and the terms that may stand for it, each with what its full match
/// scores; `weight` is what the word counts for in the most a tool could score (0 for a
/// hint, which no tool is required to match).
struct QueryTerm {
    weight: f32,
    alternatives: Vec<(u32, f32)>,
}

impl QueryTerm {
    /// A word with its own term (if any tool has it) and its synonyms' terms: its own term
    /// scores the word's idf, a synonym [`SYNONYM_WEIGHT`] of it (a synonym rarer than the
    /// word must not outscore the word); a word no tool has weighs as the rarest.
    fn word(index: &ToolIndex, own: Option<u32>, synonyms: Vec<u32>) -> Self {
        let weight = own.map_or(index.unknown_idf, |id| index.idf[id as usize]);
        let alternatives = own
            .map(|id| (id, weight))
            .into_iter()
            .chain(synonyms.into_iter().map(|id| (id, SYNONYM_WEIGHT * weight)))
            .collect();
        Self {
            weight,
            alternatives,
        }
    }

    /// A hint: it counts for nothing in the most a tool could score, and a match scores its
    /// own idf times [`HINT_WEIGHT`].
    fn hint(index: &ToolIndex, ids: impl Iterator<Item = u32>) -> Self {
        Self {
            weight: 0.0,
            alternatives: ids
                .map(|id| (id, HINT_WEIGHT * index.idf[id as usize]))
                .collect(),
        }
    }
}

/// One tool found by a search, with its score.
#[derive(Debug, Clone)]
pub struct Hit {
    tool: Arc<Tool>,
    score: f64,
}

impl Hit {
    /// The tool.
    pub fn tool(&self) -> &Tool {
        &self.tool
    }

    /// The tool, shared.
    pub fn tool_arc(&self) -> &Arc<Tool> {
        &self.tool
    }

    /// How well it fits the query, from 0 (nothing in common) to 1 (every word of the query
    /// matched, in the name or over and over): the BM25F score over the most any tool could
    /// score for this query.
    pub fn score(&self) -> f64 {
        self.score
    }
}

impl ToolIndex {
    fn known(&self, term: &str) -> Option<u32> {
        self.terms.get(term).copied()
    }

    /// The terms of a query, without repeats.
    fn query_terms(&self, query: &str) -> Vec<QueryTerm> {
        let mut out: Vec<QueryTerm> = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        words(query, |word| {
            let hinted = hints(word);
            if !hinted.is_empty() {
                if !seen.iter().any(|s| s == word) {
                    seen.push(word.to_owned());
                    let ids = hinted
                        .iter()
                        .filter_map(|h| self.known(&self.analyzer.term(h)));
                    out.push(QueryTerm::hint(self, ids));
                }
                return;
            }
            self.analyzer.word_terms(word, |term| {
                if seen.iter().any(|s| s == term) {
                    return;
                }
                seen.push(term.to_owned());
                let own = self.known(term);
                let mut others: Vec<u32> = Vec::new();
                if self.ranking.synonyms {
                    for synonym in synonyms(word).filter(|s| !is_stop_word(s)) {
                        let id = self.known(&self.analyzer.term(synonym));
                        if let Some(id) = id.filter(|id| own != Some(*id) && !others.contains(id)) {
                            others.push(id);
                        }
                    }
                }
                out.push(QueryTerm::word(self, own, others));
            });
        });
        out
    }

    /// The `limit` tools that fit `query` best, best first, each with its score; tools that
    /// share no term with the query are never returned.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        let terms = self.query_terms(query);
        let most: f32 = terms.iter().map(|t| t.weight).sum();
        if most <= 0.0 || limit == 0 {
            return Vec::new();
        }
        let n = self.tools.len();
        let mut score = vec![0f32; n];
        let mut best = vec![0f32; n];
        let mut touched: Vec<u32> = Vec::new();
        for term in &terms {
            // A tool earns a word once, by its best alternative.
            for &(id, full) in &term.alternatives {
                for p in self.postings_of(id) {
                    let v = full * saturate(p.tf);
                    let b = &mut best[p.doc as usize];
                    if *b == 0.0 {
                        touched.push(p.doc);
                    }
                    if v > *b {
                        *b = v;
                    }
                }
            }
            for &doc in &touched {
                score[doc as usize] += std::mem::take(&mut best[doc as usize]);
            }
            touched.clear();
        }
        let mut ranked: Vec<(f32, u32)> = score
            .iter()
            .enumerate()
            .filter(|(_, s)| **s > 0.0)
            .map(|(i, s)| (*s, i as u32))
            .collect();
        let order = |a: &(f32, u32), b: &(f32, u32)| {
            b.0.partial_cmp(&a.0)
                .unwrap_or(Ordering::Equal)
                .then(a.1.cmp(&b.1))
        };
        if ranked.len() > limit {
            ranked.select_nth_unstable_by(limit - 1, order);
            ranked.truncate(limit);
        }
        ranked.sort_unstable_by(order);
        ranked
            .into_iter()
            .map(|(s, i)| Hit {
                tool: self.tools[i as usize].clone(),
                score: f64::from((s / most).min(1.0)),
            })
            .collect()
    }
}
