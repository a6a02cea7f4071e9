//! `turret call`: one tool call, its result printed.
//!
//! The words are `[URL] TOOL [KEY=VALUE…]` (the URL only when no command follows `--`); a
//! VALUE that parses as JSON is that JSON (`n=3`, `on=true`, `tags=["a"]`), anything else is
//! a string (`name=Ada`). `--json OBJECT` gives all the arguments at once instead.
//!
//! Exit status: 0 when the tool succeeded, 1 when it ran and reported an error (`isError`),
//! 2 when there was no result: bad arguments on the command line, a server that cannot be
//! reached, or a call the server refused (an unknown tool, invalid arguments).

use std::process::ExitCode;

use serde_json::{Map, Value};
use turret_types::{CallToolResult, ContentBlock, Resource, ResourceContents};

use crate::cli::CallArgs;
use crate::target::{print_stdout, Target};

/// Exit status of a tool that reported an error.
const TOOL_FAILED: u8 = 1;
/// Exit status when there is no result to show.
const NO_RESULT: u8 = 2;

/// A parsed `turret call` command line: whom to call, which tool, with what.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    /// The server.
    pub target: Target,
    /// The tool's name.
    pub tool: String,
    /// The arguments object.
    pub arguments: Map<String, Value>,
}

impl Invocation {
    /// Reads the words, `--json` and the command after `--`. The error says what is wrong
    /// with the command line.
    pub fn parse(args: &CallArgs) -> Result<Self, String> {
        let command = &args.target.command;
        let (url, rest) = if command.is_empty() {
            match args.words.split_first() {
                Some((url, rest)) if !rest.is_empty() => (Some(url.as_str()), rest),
                _ => {
                    return Err("give the server's URL and the tool's name \
                         (or the tool's name, then the server's command after --)"
                        .to_owned())
                }
            }
        } else {
            // `turret call URL TOOL -- CMD` would otherwise call a tool named like the URL.
            if let Some(url) = args.words.first().filter(|w| w.contains("://")) {
                return Err(format!(
                    "give either a URL ({url}) or a command after --, not both"
                ));
            }
            (None, args.words.as_slice())
        };
        let target = Target::from_parts(url, command)?;
        let (tool, pairs) = rest.split_first().ok_or("give the tool's name before --")?;
        let arguments = match &args.json {
            Some(_) if !pairs.is_empty() => {
                return Err(format!(
                    "give the arguments as KEY=VALUE pairs or with --json, not both (got {:?})",
                    pairs[0]
                ))
            }
            Some(json) => json_object(json)?,
            None => key_values(pairs)?,
        };
        Ok(Self {
            target,
            tool: tool.clone(),
            arguments,
        })
    }
}

/// The `--json` argument, which must be an object.
fn json_object(json: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_str(json) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(other) => Err(format!(
            "--json takes a JSON object of arguments, not {}",
            kind(&other)
        )),
        Err(e) => Err(format!("--json is not valid JSON: {e}")),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `KEY=VALUE` pairs, each VALUE taken as JSON when it parses and as a string otherwise.
fn key_values(pairs: &[String]) -> Result<Map<String, Value>, String> {
    let mut arguments = Map::new();
    for pair in pairs {
        let Some((key, value)) = pair.split_once('=') else {
            return Err(format!(
                "{pair:?} is not KEY=VALUE (tool arguments come after the tool's name)"
            ));
        };
        if key.is_empty() {
            return Err(format!("{pair:?} has no KEY before ="));
        }
        let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.into()));
        if arguments.insert(key.to_owned(), value).is_some() {
            return Err(format!("argument {key:?} is given twice"));
        }
    }
    Ok(arguments)
}

/// Runs `turret call`.
pub async fn call_command(args: CallArgs) -> ExitCode {
    let invocation = match Invocation::parse(&args) {
        Ok(invocation) => invocation,
        Err(e) => return fail(&e),
    };
    let connection = match invocation.target.connect(args.connect_timeout).await {
        Ok(connection) => connection,
        Err(e) => return fail(&e),
    };
    let called = connection
        .client()
        .call_tool(
            invocation.tool.as_str(),
            Value::Object(invocation.arguments),
        )
        .await;
    connection.close().await;
    let result = match called {
        Ok(result) => result,
        Err(e) => {
            return fail(&format!(
                "calling {} on {}: {e}",
                invocation.tool, invocation.target
            ))
        }
    };
    let text = if args.raw {
        match serde_json::to_string_pretty(&result) {
            Ok(json) => json + "\n",
            Err(e) => return fail(&format!("cannot print the result as JSON: {e}")),
        }
    } else {
        render(&result)
    };
    if let Err(e) = print_stdout(&text) {
        return fail(&e);
    }
    if result.is_error == Some(true) {
        eprintln!("turret call: {} reported an error", invocation.tool);
        return ExitCode::from(TOOL_FAILED);
    }
    ExitCode::SUCCESS
}

fn fail(message: &str) -> ExitCode {
    eprintln!("turret call: {message}");
    ExitCode::from(NO_RESULT)
}

/// The result as text, one line or more per block, ending with a newline unless empty: text
/// blocks as they are, other blocks summarized, then the structured content as pretty JSON.
///
/// A text block that merely repeats the structured content (servers add one for clients
/// older than structured output) is left out, so the JSON is printed once.
pub fn render(result: &CallToolResult) -> String {
    let structured = result.structured_content.as_ref();
    let mut out = String::new();
    for block in &result.content {
        if let (Some(structured), Some(text)) = (structured, block.as_text()) {
            if serde_json::from_str::<Value>(text).ok().as_ref() == Some(structured) {
                continue;
            }
        }
        out.push_str(&render_block(block));
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    if let Some(structured) = structured {
        // A `Value` always serializes.
        out.push_str(&serde_json::to_string_pretty(structured).unwrap_or_default());
        out.push('\n');
    }
    out
}

fn render_block(block: &ContentBlock) -> String {
    match block {
        ContentBlock::Text(text) => text.text.clone(),
        ContentBlock::Image(media) | ContentBlock::Audio(media) => format!(
            "[{} {}, {}]",
            block.kind(),
            media.mime_type,
            bytes(&media.data)
        ),
        ContentBlock::ResourceLink(link) => format!("[resource link {}]", link_summary(link)),
        ContentBlock::Resource(embedded) => match &embedded.resource {
            ResourceContents::Text(text) => format!(
                "[resource {}{}]\n{}",
                text.uri,
                mime_suffix(text.mime_type.as_deref()),
                text.text
            ),
            ResourceContents::Blob(blob) => format!(
                "[resource {}{}, {}]",
                blob.uri,
                mime_suffix(blob.mime_type.as_deref()),
                bytes(&blob.blob)
            ),
        },
        other => format!("[{} block]", other.kind()),
    }
}

fn link_summary(link: &Resource) -> String {
    let mut summary = link.uri.clone();
    if link.name != link.uri && !link.name.is_empty() {
        summary.push_str(&format!(" ({})", link.name));
    }
    summary.push_str(&mime_suffix(link.mime_type.as_deref()));
    summary
}

fn mime_suffix(mime: Option<&str>) -> String {
    mime.map(|m| format!(" {m}")).unwrap_or_default()
}

/// `67 bytes`: the decoded size of base64 data, counted without decoding it.
fn bytes(base64: &str) -> String {
    let symbols = base64
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b'=')
        .count();
    // Every 4 symbols carry 3 bytes; a tail of 2 or 3 symbols carries 1 or 2.
    let size = symbols / 4 * 3 + (symbols % 4).saturating_sub(1);
    if size == 1 {
        "1 byte".to_owned()
    } else {
        format!("{size} bytes")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::cli::TargetArgs;

    fn call_args(words: &[&str], json: Option<&str>, command: &[&str]) -> CallArgs {
        let strings = |words: &[&str]| words.iter().map(|w| (*w).to_owned()).collect();
        CallArgs {
            words: strings(words),
            json: json.map(str::to_owned),
            raw: false,
            connect_timeout: std::time::Duration::from_secs(1),
            target: TargetArgs {
                command: strings(command),
            },
        }
    }

    fn parse(words: &[&str], json: Option<&str>, command: &[&str]) -> Result<Invocation, String> {
        Invocation::parse(&call_args(words, json, command))
    }

    #[test]
    fn values_are_json_when_they_parse_and_strings_otherwise() {
        let call = parse(
            &[
                "http://h/mcp",
                "t",
                "n=3",
                "on=true",
                "tags=[\"a\"]",
                "name=Ada",
                "quoted=\"7\"",
                "eq=a=b",
                "empty=",
            ],
            None,
            &[],
        )
        .unwrap();
        assert_eq!(call.target, Target::Url("http://h/mcp".into()));
        assert_eq!(call.tool, "t");
        assert_eq!(
            Value::Object(call.arguments),
            json!({"n": 3, "on": true, "tags": ["a"], "name": "Ada", "quoted": "7",
                   "eq": "a=b", "empty": ""})
        );
    }

    #[test]
    fn with_a_command_the_first_word_is_the_tool() {
        let call = parse(&["t", "x=1"], None, &["srv", "--stdio"]).unwrap();
        assert_eq!(
            call.target,
            Target::Command {
                program: "srv".into(),
                args: vec!["--stdio".into()]
            }
        );
        assert_eq!(call.tool, "t");
        assert_eq!(Value::Object(call.arguments), json!({"x": 1}));
    }

    #[test]
    fn json_gives_all_the_arguments() {
        let call = parse(&["http://h/mcp", "t"], Some(r#"{"a": [1, 2]}"#), &[]).unwrap();
        assert_eq!(Value::Object(call.arguments), json!({"a": [1, 2]}));
    }

    #[test]
    fn bad_command_lines_say_what_is_wrong() {
        #[track_caller]
        fn rejected(words: &[&str], json: Option<&str>, command: &[&str], expected: &str) {
            let error = parse(words, json, command).unwrap_err();
            assert!(error.contains(expected), "{words:?}: {error}");
        }
        let url = "http://h/mcp";
        rejected(
            &["t"],
            None,
            &[],
            "give the server's URL and the tool's name",
        );
        rejected(&[url, "t"], None, &["srv"], "not both");
        rejected(&[url, "t", "x"], None, &[], "\"x\" is not KEY=VALUE");
        rejected(&[url, "t", "=1"], None, &[], "has no KEY");
        rejected(&[url, "t", "a=1", "a=2"], None, &[], "given twice");
        rejected(&[url, "t", "a=1"], Some("{}"), &[], "not both");
        rejected(&[url, "t"], Some("[1]"), &[], "not an array");
        rejected(&[url, "t"], Some("{"), &[], "not valid JSON");
    }

    #[test]
    fn blocks_are_printed_or_summarized() {
        let result: CallToolResult = serde_json::from_value(json!({
            "content": [
                {"type": "text", "text": "hello"},
                // 67 bytes: 22 groups of 4 symbols (66 bytes), then 2 symbols and `==`.
                {"type": "image", "mimeType": "image/png", "data": "A".repeat(88) + "AA=="},
                {"type": "audio", "mimeType": "audio/wav", "data": "AAAA"},
                {"type": "resource", "resource":
                    {"uri": "test://r", "mimeType": "text/plain", "text": "inside"}},
                {"type": "resource", "resource": {"uri": "test://b", "blob": "AA=="}},
                {"type": "resource_link", "uri": "test://l", "name": "l", "mimeType": "text/csv"},
                {"type": "tool_use", "id": "1", "name": "x", "input": {}}
            ]
        }))
        .unwrap();
        assert_eq!(
            render(&result),
            "hello\n[image image/png, 67 bytes]\n[audio audio/wav, 3 bytes]\n\
             [resource test://r text/plain]\ninside\n[resource test://b, 1 byte]\n\
             [resource link test://l (l) text/csv]\n[tool_use block]\n"
        );
    }

    #[test]
    fn structured_content_is_printed_once_as_pretty_json() {
        let result: CallToolResult = serde_json::from_value(json!({
            "content": [
                {"type": "text", "text": "{\"sum\": 3}"},
                {"type": "text", "text": "done"}
            ],
            "structuredContent": {"sum": 3}
        }))
        .unwrap();
        assert_eq!(render(&result), "done\n{\n  \"sum\": 3\n}\n");
    }

    #[test]
    fn an_empty_result_prints_nothing() {
        assert_eq!(render(&CallToolResult::default()), "");
    }
}
