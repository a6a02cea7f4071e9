//! The ranking: BM25F, BM25 over fields weighted by what they say about a tool.
//!
//! A term's frequency in a tool is the sum over fields of its count in the field times the
//! field's weight, each normalised by the field's length against that field's average
//! (parameter `b`). The score of a tool is, over the query's terms, `idf · tf / (k1 + tf)`.
//! Divided by the sum of the query terms' idf (the most any tool could score, matching every
//! term without bound), it falls in 0..=1 whatever the query: the share of what the query
//! asks that the tool covers, rarer words counting more. A query word no tool uses counts as
//! the rarest, so a query about something the catalog does not do scores low against every
//! tool, which is what lets the search say that nothing fits.

/// The parts of a tool definition the index reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    /// The name, split into words.
    Name,
    /// The title.
    Title,
    /// The description's first sentence: what the tool does, before the details.
    Lead,
    /// The whole description.
    Description,
    /// The names of the top-level arguments.
    ParamName,
    /// The descriptions of the top-level arguments.
    ParamDescription,
}

/// How many fields there are.
pub(crate) const FIELDS: usize = 6;

impl Field {
    pub(crate) const ALL: [Self; FIELDS] = [
        Self::Name,
        Self::Title,
        Self::Lead,
        Self::Description,
        Self::ParamName,
        Self::ParamDescription,
    ];

    /// Weight and length normalisation `b`. Names and titles are short and say what the
    /// tool is: a match there counts most, and a name made of little but the query's words
    /// (`repos_delete` for "delete a repository") beats a longer one that also has them. Descriptions are long
    /// and wander (auth notes, links): a match counts once, normalised by length. Parameters
    /// say what a tool takes, which queries mention less often than what it does.
    fn weight_b(self) -> (f32, f32) {
        match self {
            Self::Name => (5.0, 0.75),
            Self::Title => (2.5, 0.3),
            Self::Lead => (1.5, 0.5),
            Self::Description => (1.0, 0.75),
            Self::ParamName => (0.5, 0.5),
            Self::ParamDescription => (0.2, 0.75),
        }
    }
}

/// BM25's saturation: how fast repeated matches stop adding.
pub(crate) const K1: f32 = 1.2;
/// What a synonym's match is worth against the query's own word.
pub(crate) const SYNONYM_WEIGHT: f32 = 0.6;
/// What a hint's match ("my" for the authenticated user) is worth, against a query word.
pub(crate) const HINT_WEIGHT: f32 = 0.3;

/// How tools are ranked. The default is the best measured (see the crate's tool-search
/// evaluation): BM25F with stemming and synonyms. The switches exist to measure each part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Ranking {
    pub(crate) fields: bool,
    pub(crate) stemming: bool,
    pub(crate) synonyms: bool,
}

impl Default for Ranking {
    fn default() -> Self {
        Self {
            fields: true,
            stemming: true,
            synonyms: true,
        }
    }
}

impl Ranking {
    /// BM25F with stemming and synonyms.
    pub fn new() -> Self {
        Self::default()
    }

    /// Weighs fields (BM25F, the default), or reads the whole definition as one text
    /// (plain BM25).
    pub fn field_weights(mut self, on: bool) -> Self {
        self.fields = on;
        self
    }

    /// Stems words (English Snowball), so "creates" matches "create" (default on).
    pub fn stemming(mut self, on: bool) -> Self {
        self.stemming = on;
        self
    }

    /// Lets query words match their synonyms ("remove" finds "delete"; default on).
    pub fn synonyms(mut self, on: bool) -> Self {
        self.synonyms = on;
        self
    }

    /// The slot a field's counts go to, and its weight and `b`: one slot for all when
    /// fields are not weighed.
    pub(crate) fn slot(self, field: Field) -> (usize, f32, f32) {
        if self.fields {
            let (w, b) = field.weight_b();
            (field as usize, w, b)
        } else {
            (0, 1.0, 0.75)
        }
    }
}

/// Inverse document frequency of a term in `df` of `n` tools (BM25's, never negative).
pub(crate) fn idf(n: usize, df: usize) -> f32 {
    let (n, df) = (n as f32, df as f32);
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

/// The share of a term's idf a tool earns with this (weighted, normalised) frequency.
pub(crate) fn saturate(tf: f32) -> f32 {
    tf / (K1 + tf)
}
