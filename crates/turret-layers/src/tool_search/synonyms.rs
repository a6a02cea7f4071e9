//! The words a query may use for what an API calls otherwise. Applied to queries only: a
//! query word also matches its synonyms, at a discount, so a tool that uses the query's own
//! word still ranks first.
//!
//! The table is general API and CRUD vocabulary, the words REST APIs, their docs and people
//! use interchangeably for the same operation or object; nothing in it comes from a
//! particular API's naming or from the evaluation queries.

/// Words that stand for one another in either direction.
const GROUPS: &[&[&str]] = &[
    // CRUD verbs: APIs pick one of each set, people use any.
    &["delete", "remove", "destroy", "erase", "discard"],
    &["create", "add", "make", "insert"],
    &[
        "get", "retrieve", "fetch", "read", "show", "view", "lookup", "see",
    ],
    &["list", "enumerate", "browse"],
    &["update", "edit", "modify", "change", "alter"],
    &["search", "find", "query", "lookup"],
    &["cancel", "stop", "abort", "terminate", "halt"],
    &["start", "begin", "launch", "run", "trigger", "execute"],
    &["send", "deliver", "dispatch"],
    &["approve", "accept", "allow"],
    &["decline", "reject", "deny", "refuse"],
    &["verify", "validate", "confirm"],
    &["download", "export"],
    &["upload", "import"],
    &["copy", "duplicate", "clone", "fork"],
    &["star", "favorite", "favourite", "bookmark"],
    &["block", "ban"],
    &["watch", "follow", "subscribe"],
    &["fail", "failure", "failed", "error"],
    // Objects under more than one name.
    &["issue", "ticket", "bug"],
    &["charge", "payment"],
    &["customer", "client", "buyer", "purchaser"],
    &["user", "member", "person", "people", "account"],
    &["subscription", "subscribe", "plan"],
    &["money", "funds", "fund", "cash"],
    &["invoice", "bill"],
    &["price", "cost", "pricing"],
    &["discount", "coupon", "promotion", "promo"],
    &["refund", "reimburse", "reimbursement"],
    &["payout", "withdrawal", "withdraw"],
    &["transfer", "move"],
    &["file", "document", "attachment"],
    &["comment", "reply", "remark"],
    &["label", "tag"],
    &["email", "mail"],
    &["webhook", "hook", "callback"],
    &["organization", "company"],
    &["statistics", "metrics", "analytics", "insights"],
    &["token", "credential"],
];

/// Words that suggest others without being suggested by them: "new" and "open" (a ticket)
/// mean create, but a tool that creates is not about what is new or open.
const ONE_WAY: &[(&str, &[&str])] = &[
    ("new", &["create"]),
    ("open", &["create"]),
    ("all", &["list"]),
    ("show", &["list"]),
];

/// Words that hint at a scope rather than name a thing: "my" or "me" is the authenticated
/// (current) user of an API. They add to a tool's score but are not required of it, so a
/// query is not judged unanswerable for them.
const HINTS: &[(&str, &[&str])] = &[
    ("my", &["authenticated", "current"]),
    ("me", &["authenticated", "current"]),
    ("mine", &["authenticated", "current"]),
    ("myself", &["authenticated", "current"]),
    ("i", &["authenticated", "current"]),
];

/// The synonyms of `word` (lowercased, not stemmed).
pub(crate) fn synonyms(word: &str) -> impl Iterator<Item = &'static str> + '_ {
    let grouped = GROUPS
        .iter()
        .filter(move |g| g.contains(&word))
        .flat_map(move |g| g.iter().copied().filter(move |w| *w != word));
    let one_way = ONE_WAY
        .iter()
        .filter(move |(w, _)| *w == word)
        .flat_map(|(_, to)| to.iter().copied());
    grouped.chain(one_way)
}

/// The scope words `word` hints at (see [`HINTS`]).
pub(crate) fn hints(word: &str) -> &'static [&'static str] {
    HINTS
        .iter()
        .find(|(w, _)| *w == word)
        .map_or(&[], |(_, to)| to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_go_both_ways_and_one_way_does_not() {
        assert!(synonyms("remove").any(|w| w == "delete"));
        assert!(synonyms("delete").any(|w| w == "remove"));
        assert!(synonyms("new").any(|w| w == "create"));
        assert!(!synonyms("create").any(|w| w == "new"));
        assert!(!synonyms("delete").any(|w| w == "delete"));
        assert_eq!(hints("my"), ["authenticated", "current"]);
        assert!(hints("repository").is_empty());
    }
}
