//! Which definitions a filter lets through: tags and name patterns.

/// A name pattern: `*` matches any run of characters (`/` included), `?` any one character,
/// everything else itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Glob(Vec<char>);

impl Glob {
    pub(crate) fn new(pattern: &str) -> Self {
        Self(pattern.chars().collect())
    }

    pub(crate) fn matches(&self, text: &str) -> bool {
        let (p, t): (&[char], Vec<char>) = (&self.0, text.chars().collect());
        let (mut pi, mut ti) = (0, 0);
        // Where the last `*` was, and how much of the text it has taken so far.
        let mut star: Option<(usize, usize)> = None;
        while ti < t.len() {
            match p.get(pi) {
                Some('*') => {
                    star = Some((pi, ti));
                    pi += 1;
                }
                Some(&c) if c == '?' || c == t[ti] => {
                    pi += 1;
                    ti += 1;
                }
                _ => match star {
                    // Let the last `*` take one more character and try again.
                    Some((sp, st)) => {
                        pi = sp + 1;
                        ti = st + 1;
                        star = Some((sp, st + 1));
                    }
                    None => return false,
                },
            }
        }
        p[pi..].iter().all(|&c| c == '*')
    }
}

/// Include and exclude rules. An item is visible when no exclude rule matches it and, for
/// each kind of include rule that is set, one matches.
#[derive(Debug, Clone, Default)]
pub(crate) struct Rules {
    pub(crate) include_tags: Vec<String>,
    pub(crate) exclude_tags: Vec<String>,
    pub(crate) include_names: Vec<Glob>,
    pub(crate) exclude_names: Vec<Glob>,
}

impl Rules {
    /// Whether there are no rules at all.
    pub(crate) fn is_empty(&self) -> bool {
        !self.uses_tags() && self.include_names.is_empty() && self.exclude_names.is_empty()
    }

    /// Whether any rule looks at tags (then calls need the definition).
    pub(crate) fn uses_tags(&self) -> bool {
        !self.include_tags.is_empty() || !self.exclude_tags.is_empty()
    }

    /// Whether the name rules let `name` through.
    pub(crate) fn name_allowed(&self, name: &str) -> bool {
        !self.exclude_names.iter().any(|g| g.matches(name))
            && (self.include_names.is_empty() || self.include_names.iter().any(|g| g.matches(name)))
    }

    /// Whether the tag rules let an item with `tags` through.
    pub(crate) fn tags_allowed<'a>(&self, tags: impl Iterator<Item = &'a str>) -> bool {
        let mut included = self.include_tags.is_empty();
        for tag in tags {
            if self.exclude_tags.iter().any(|t| t == tag) {
                return false;
            }
            included |= self.include_tags.iter().any(|t| t == tag);
        }
        included
    }

    /// Whether an item listed as `name` with `tags` is visible.
    pub(crate) fn visible<'a>(&self, name: &str, tags: impl Iterator<Item = &'a str>) -> bool {
        self.name_allowed(name) && self.tags_allowed(tags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        let cases = [
            ("*", "", true),
            ("*", "anything", true),
            ("get_*", "get_user", true),
            ("get_*", "set_user", false),
            ("*_internal", "db_internal", true),
            ("*_internal", "db_internal_x", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("a*b*c", "axxbyyc", true),
            ("a*b*c", "axxbyy", false),
            ("docs://*", "docs://guide/intro", true),
            ("exact", "exact", true),
            ("exact", "exactly", false),
            ("**x", "yx", true),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(
                Glob::new(pattern).matches(text),
                expected,
                "{pattern} ~ {text}"
            );
        }
    }

    #[test]
    fn include_and_exclude() {
        let rules = Rules {
            include_tags: vec!["public".into()],
            exclude_tags: vec!["beta".into()],
            include_names: vec![],
            exclude_names: vec![Glob::new("*_admin")],
        };
        assert!(rules.visible("search", ["public"].into_iter()));
        assert!(!rules.visible("search", ["public", "beta"].into_iter()));
        assert!(!rules.visible("search", [].into_iter()));
        assert!(!rules.visible("user_admin", ["public"].into_iter()));
        assert!(Rules::default().visible("x", [].into_iter()));
    }
}
