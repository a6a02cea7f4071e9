//! `turret inspect`: a server's primitives as tables or JSON.
//!
//! [`Inventory::fetch`] gathers what the server offers; [`Inventory::to_text`] lays it out
//! for people (one line per item, descriptions cut to their first line) and the JSON form
//! (`--json`) keeps the full definitions for programs.

use std::process::ExitCode;

use serde::Serialize;
use turret_core::{Client, McpError};
use turret_types::{
    ErrorCode, Implementation, Prompt, ProtocolVersion, Resource, ResourceTemplate, Tool,
};

use crate::cli::InspectArgs;
use crate::target::{print_stdout, Target};

/// Descriptions in tables are cut to this many characters.
const DESCRIPTION_WIDTH: usize = 70;

/// What a server offers, as `--json` prints it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Inventory {
    /// The negotiated protocol revision.
    pub protocol_version: ProtocolVersion,
    /// The server's name and version.
    pub server_info: Implementation,
    /// The server's instructions, if it gave any (`null` otherwise).
    pub instructions: Option<String>,
    /// Its tools.
    pub tools: Vec<Tool>,
    /// Its resources.
    pub resources: Vec<Resource>,
    /// Its resource templates.
    pub resource_templates: Vec<ResourceTemplate>,
    /// Its prompts.
    pub prompts: Vec<Prompt>,
}

/// An empty list when the server has no such method: a server lacking a capability (or
/// advertising `resources` without templates, as many do) has nothing of that kind to show.
fn or_empty<T>(listed: Result<Vec<T>, McpError>, method: &str) -> Result<Vec<T>, McpError> {
    match listed {
        Err(e) if e.code() == ErrorCode::METHOD_NOT_FOUND => {
            tracing::debug!(%method, error = %e, "the server does not list these");
            Ok(Vec::new())
        }
        other => other,
    }
}

impl Inventory {
    /// Lists everything the server declares a capability for (following pagination); the
    /// lists of undeclared capabilities are left empty without asking.
    pub async fn fetch(client: &Client) -> Result<Self, McpError> {
        let capabilities = client.server_capabilities();
        let tools = match capabilities.tools {
            Some(_) => or_empty(client.list_tools().await, "tools/list")?,
            None => Vec::new(),
        };
        let (resources, resource_templates) = match capabilities.resources {
            Some(_) => (
                or_empty(client.list_resources().await, "resources/list")?,
                or_empty(
                    client.list_resource_templates().await,
                    "resources/templates/list",
                )?,
            ),
            None => (Vec::new(), Vec::new()),
        };
        let prompts = match capabilities.prompts {
            Some(_) => or_empty(client.list_prompts().await, "prompts/list")?,
            None => Vec::new(),
        };
        Ok(Self {
            protocol_version: client.protocol_version(),
            server_info: client.server_info().clone(),
            instructions: client.instructions().map(str::to_owned),
            tools,
            resources,
            resource_templates,
            prompts,
        })
    }

    /// The readable form: server, protocol and instructions, then one table per kind.
    pub fn to_text(&self) -> String {
        let info = &self.server_info;
        let mut out = format!("Server:    {} {}", info.name, info.version);
        if let Some(title) = info.title.as_deref().filter(|t| *t != info.name) {
            out.push_str(&format!(" ({title})"));
        }
        out.push_str(&format!("\nProtocol:  {}\n", self.protocol_version));
        if let Some(instructions) = self.instructions.as_deref().map(str::trim) {
            if !instructions.is_empty() {
                out.push_str("\nInstructions:\n");
                for line in instructions.lines() {
                    out.push_str(format!("  {line}").trim_end());
                    out.push('\n');
                }
            }
        }
        section(
            &mut out,
            "Tools",
            &["NAME", "DESCRIPTION"],
            self.tools
                .iter()
                .map(|t| vec![t.name.clone(), one_line(t.description.as_deref())])
                .collect(),
        );
        section(
            &mut out,
            "Resources",
            &["URI", "NAME", "MIME"],
            self.resources
                .iter()
                .map(|r| {
                    let mime = r.mime_type.clone().unwrap_or_default();
                    vec![r.uri.clone(), r.name.clone(), mime]
                })
                .collect(),
        );
        section(
            &mut out,
            "Resource templates",
            &["URI TEMPLATE", "NAME"],
            self.resource_templates
                .iter()
                .map(|t| vec![t.uri_template.clone(), t.name.clone()])
                .collect(),
        );
        section(
            &mut out,
            "Prompts",
            &["NAME", "ARGUMENTS", "DESCRIPTION"],
            self.prompts
                .iter()
                .map(|p| {
                    let description = one_line(p.description.as_deref());
                    vec![p.name.clone(), prompt_arguments(p), description]
                })
                .collect(),
        );
        if self.prompts.iter().any(has_required_argument) {
            out.push_str("  (* required argument)\n");
        }
        out
    }
}

fn has_required_argument(prompt: &Prompt) -> bool {
    prompt
        .arguments
        .iter()
        .flatten()
        .any(|a| a.required == Some(true))
}

/// `topic*, style`: the names, required ones marked with `*`.
fn prompt_arguments(prompt: &Prompt) -> String {
    let names: Vec<String> = prompt
        .arguments
        .iter()
        .flatten()
        .map(|a| {
            let mark = if a.required == Some(true) { "*" } else { "" };
            format!("{}{mark}", a.name)
        })
        .collect();
    names.join(", ")
}

/// The first non-blank line of `text`, cut to [`DESCRIPTION_WIDTH`] characters; `…` marks
/// anything left out (a cut, or further lines).
fn one_line(text: Option<&str>) -> String {
    let mut lines = text
        .unwrap_or("")
        .lines()
        .map(str::trim)
        .skip_while(|l| l.is_empty());
    let first = lines.next().unwrap_or("");
    let more = lines.any(|l| !l.is_empty());
    if first.chars().count() > DESCRIPTION_WIDTH {
        let cut: String = first.chars().take(DESCRIPTION_WIDTH - 1).collect();
        format!("{}…", cut.trim_end())
    } else if more {
        format!("{first} …")
    } else {
        first.to_owned()
    }
}

/// Appends `Title (N)` and the rows under `headers`, each column as wide as its widest cell,
/// or `Title (0): none`.
fn section(out: &mut String, title: &str, headers: &[&str], rows: Vec<Vec<String>>) {
    out.push('\n');
    if rows.is_empty() {
        out.push_str(&format!("{title} (0): none\n"));
        return;
    }
    out.push_str(&format!("{title} ({}):\n", rows.len()));
    let header: Vec<String> = headers.iter().map(|h| (*h).to_owned()).collect();
    let widths: Vec<usize> = (0..headers.len())
        .map(|column| {
            std::iter::once(&header)
                .chain(&rows)
                .map(|row| row[column].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (cell, width) in row.iter().zip(&widths) {
            line.push_str(&format!("  {cell:<width$}"));
        }
        // The last column is padded too; trailing blanks are noise (and break snapshots).
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

/// Runs `turret inspect`.
pub async fn inspect_command(args: InspectArgs) -> ExitCode {
    let target = match Target::from_parts(args.url.as_deref(), &args.target.command) {
        Ok(target) => target,
        Err(e) => return fail(&e),
    };
    let connection = match target.connect(args.connect_timeout).await {
        Ok(connection) => connection,
        Err(e) => return fail(&e),
    };
    let fetched = Inventory::fetch(connection.client()).await;
    connection.close().await;
    let inventory = match fetched {
        Ok(inventory) => inventory,
        Err(e) => return fail(&format!("listing what {target} offers: {e}")),
    };
    let text = if args.json {
        match serde_json::to_string_pretty(&inventory) {
            Ok(json) => json + "\n",
            Err(e) => return fail(&format!("cannot print the listing as JSON: {e}")),
        }
    } else {
        inventory.to_text()
    };
    match print_stdout(&text) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("turret inspect: {message}");
    ExitCode::from(2)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn inventory() -> Inventory {
        let prompt: Prompt = serde_json::from_value(json!({
            "name": "greet",
            "description": "Greets\nsomeone",
            "arguments": [{"name": "who", "required": true}, {"name": "tone"}]
        }))
        .unwrap();
        let tool: Tool = serde_json::from_value(json!({
            "name": "add",
            "description": "x".repeat(100),
            "inputSchema": {"type": "object"}
        }))
        .unwrap();
        Inventory {
            protocol_version: ProtocolVersion::V2025_06_18,
            server_info: Implementation::new("demo", "1.2.3"),
            instructions: Some("Use add.\n\nThen greet.".into()),
            tools: vec![tool],
            resources: vec![],
            resource_templates: vec![],
            prompts: vec![prompt],
        }
    }

    #[test]
    fn tables_cut_descriptions_and_mark_required_arguments() {
        let long = format!("{}…", "x".repeat(DESCRIPTION_WIDTH - 1));
        let expected = format!(
            "Server:    demo 1.2.3\nProtocol:  2025-06-18\n\nInstructions:\n  Use add.\n\n  Then greet.\n\n\
             Tools (1):\n  NAME  DESCRIPTION\n  add   {long}\n\n\
             Resources (0): none\n\nResource templates (0): none\n\n\
             Prompts (1):\n  NAME   ARGUMENTS   DESCRIPTION\n  greet  who*, tone  Greets …\n\
             \x20 (* required argument)\n"
        );
        assert_eq!(inventory().to_text(), expected);
    }

    #[test]
    fn json_has_every_section_with_full_definitions() {
        let json = serde_json::to_value(inventory()).unwrap();
        assert_eq!(json["protocolVersion"], "2025-06-18");
        assert_eq!(
            json["serverInfo"],
            json!({"name": "demo", "version": "1.2.3"})
        );
        assert_eq!(json["instructions"], "Use add.\n\nThen greet.");
        assert_eq!(json["tools"][0]["description"], "x".repeat(100));
        assert_eq!(json["tools"][0]["inputSchema"], json!({"type": "object"}));
        assert_eq!(json["resources"], json!([]));
        assert_eq!(json["resourceTemplates"], json!([]));
        assert_eq!(json["prompts"][0]["arguments"][0]["required"], true);
    }

    #[test]
    fn one_line_skips_blank_lines_and_marks_what_it_leaves_out() {
        assert_eq!(one_line(None), "");
        assert_eq!(one_line(Some("\n  Adds.  \n")), "Adds.");
        assert_eq!(one_line(Some("Adds.\nMore.")), "Adds. …");
        let cut = one_line(Some(&"é".repeat(80)));
        assert_eq!(cut.chars().count(), DESCRIPTION_WIDTH);
        assert!(cut.ends_with('…'));
    }
}
