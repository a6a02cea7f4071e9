//! The variable names of an RFC 6570 URI template, to bind them to parameters at compile
//! time.

/// The variables of `template` in order, or a message saying why it is malformed.
///
/// `{id}`, `{+path}`, `{?q,page}`, `{id*}` and `{name:3}` name `id`, `path`, `q`, `page`,
/// `id` and `name`: the operator, the explode marker and the prefix length are not part of
/// the name.
pub(crate) fn variables(template: &str) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or_else(|| {
            format!(
                "`{{` at byte {} is never closed",
                template.len() - rest.len() + open
            )
        })?;
        let expression = &after[..close];
        let list = expression.trim_start_matches(['+', '#', '.', '/', ';', '?', '&']);
        for spec in list.split(',') {
            let name = spec
                .split(':')
                .next()
                .unwrap_or_default()
                .trim_end_matches('*');
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!("`{{{expression}}}` does not name a variable"));
            }
            names.push(name.to_owned());
        }
        rest = &after[close + 1..];
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::variables;

    #[test]
    fn names_without_operators_or_modifiers() {
        assert_eq!(variables("a://config").unwrap(), Vec::<String>::new());
        assert_eq!(
            variables("test://template/{id}/data{?q,page}{+path}{list*}{name:3}").unwrap(),
            ["id", "q", "page", "path", "list", "name"]
        );
        assert!(variables("x://{id").is_err());
        assert!(variables("x://{}").is_err());
    }
}
