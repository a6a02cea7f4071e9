//! One call's arguments into an `http::Request`.

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONTENT_TYPE, COOKIE};
use http::{HeaderMap, Request};
use http_body_util::Full;
use serde_json::{Map, Value};
use turret_types::JsonObject;

use super::plan::{BodyArgs, BodyPlan, Encoding, ParamArg, Plan, Style};
use super::serialize;
use crate::operation::Location;

/// Why arguments could not become a request: told to the model as a tool error.
pub(crate) type ArgError = String;

/// The boundary of multipart bodies (a value that contains it is refused, below).
const BOUNDARY: &str = "turret-openapi-7f3c9a1e5b";

/// Builds the request for `args`. `base` is the API's base URL (`https://api.x.io/v1`, or
/// empty for an in-process router); `forwarded` are headers copied from the MCP request.
pub(crate) fn build(
    plan: &Plan,
    base: &str,
    args: &JsonObject,
    forwarded: &HeaderMap,
) -> Result<Request<Full<Bytes>>, ArgError> {
    let mut path = String::with_capacity(plan.path.len() + 16);
    let mut rest = plan.path.as_str();
    while let Some(open) = rest.find('{') {
        let close = rest[open..]
            .find('}')
            .map(|c| open + c)
            .ok_or("unbalanced `{` in the path")?;
        path.push_str(&rest[..open]);
        let name = &rest[open + 1..close];
        let param = plan
            .params
            .iter()
            .find(|p| p.location == Location::Path && p.name == name)
            .ok_or_else(|| format!("the path names {name:?} but no path parameter declares it"))?;
        let value = args
            .get(&param.arg)
            .ok_or_else(|| format!("missing required path parameter {:?}", param.arg))?;
        path.push_str(&serialize::path(param, value));
        rest = &rest[close + 1..];
    }
    path.push_str(rest);

    let mut query = Vec::new();
    let mut cookies = Vec::new();
    let mut headers = HeaderMap::new();
    for p in &plan.params {
        let Some(value) = args.get(&p.arg) else {
            continue;
        };
        match p.location {
            Location::Path => {}
            Location::Query => serialize::query(p, value, &mut query),
            Location::Cookie => serialize::cookie(p, value, &mut cookies),
            Location::Header => {
                let text = serialize::header(p, value)?;
                let name = HeaderName::from_bytes(p.name.as_bytes())
                    .map_err(|_| format!("{:?} is not a valid header name", p.name))?;
                let value = HeaderValue::from_bytes(text.as_bytes())
                    .map_err(|_| format!("header {:?} has an invalid value", p.name))?;
                headers.append(name, value);
            }
        }
    }
    if !cookies.is_empty() {
        let value = HeaderValue::from_str(&cookies.join("; ")).map_err(|e| e.to_string())?;
        headers.insert(COOKIE, value);
    }
    for (name, value) in forwarded {
        headers.insert(name, value.clone());
    }

    let mut uri = format!("{}{path}", base.trim_end_matches('/'));
    if !query.is_empty() {
        uri.push(if uri.contains('?') { '&' } else { '?' });
        uri.push_str(&query.join("&"));
    }
    let body = match &plan.body {
        Some(b) => body(b, args)?,
        None => None,
    };
    let mut request = Request::builder().method(plan.method.clone()).uri(&uri);
    if let Some(h) = request.headers_mut() {
        h.extend(headers);
    }
    let (content_type, bytes) = body.unwrap_or_default();
    if !content_type.is_empty() {
        request = request.header(CONTENT_TYPE, content_type);
    }
    request
        .body(Full::new(Bytes::from(bytes)))
        .map_err(|e| format!("cannot build a request for {uri:?}: {e}"))
}

/// The body's content type and bytes, `None` when no body argument was given.
fn body(plan: &BodyPlan, args: &JsonObject) -> Result<Option<(String, Vec<u8>)>, ArgError> {
    let value = match &plan.args {
        BodyArgs::Whole(name) => match args.get(name) {
            Some(v) => v.clone(),
            None => return Ok(None),
        },
        BodyArgs::Properties(names) => {
            let object: Map<String, Value> = names
                .iter()
                .filter_map(|n| Some((n.clone(), args.get(n)?.clone())))
                .collect();
            if object.is_empty() {
                return Ok(None);
            }
            Value::Object(object)
        }
    };
    Ok(Some(match &plan.encoding {
        Encoding::Json => (
            "application/json".into(),
            serde_json::to_vec(&value).map_err(|e| e.to_string())?,
        ),
        Encoding::Form => (
            "application/x-www-form-urlencoded".into(),
            form(plan, &value)?.into_bytes(),
        ),
        Encoding::Multipart => (
            format!("multipart/form-data; boundary={BOUNDARY}"),
            multipart(plan, &value)?,
        ),
        Encoding::Other(media) => (media.clone(), serialize::scalar(&value).into_bytes()),
    }))
}

/// A form body: each field written as a query parameter of its `encoding` style would be
/// (`deepObject` gives Stripe's `metadata[key]=value` and `items[0][price]=…`).
fn form(plan: &BodyPlan, value: &Value) -> Result<String, ArgError> {
    let Value::Object(o) = value else {
        return Err("a form body must be an object".into());
    };
    let mut pairs = Vec::new();
    for (name, v) in o {
        let (style, explode) = plan.field_style(name);
        let field = ParamArg {
            arg: name.clone(),
            name: name.clone(),
            location: Location::Query,
            style,
            explode,
        };
        serialize::query(&field, v, &mut pairs);
    }
    Ok(pairs.join("&"))
}

/// A multipart body: a part per field, an array a part per item, an object one JSON part
/// (OpenAPI's default content type for objects), or with `deepObject` encoding a part
/// per member (`file_link_data[create]`, Stripe's form).
fn multipart(plan: &BodyPlan, value: &Value) -> Result<Vec<u8>, ArgError> {
    let Value::Object(o) = value else {
        return Err("a multipart body must be an object".into());
    };
    let mut parts: Vec<(String, String, bool)> = Vec::new();
    for (name, v) in o {
        match (plan.field_style(name).0, v) {
            (Style::DeepObject, Value::Object(_) | Value::Array(_)) => {
                let mut pairs = Vec::new();
                serialize::deep_pairs(name, v, str::to_owned, &mut pairs);
                parts.extend(pairs.into_iter().map(|(k, v)| (k, v, false)));
            }
            (_, Value::Array(items)) => parts.extend(
                items
                    .iter()
                    .map(|i| (name.clone(), serialize::scalar(i), i.is_object())),
            ),
            (_, other) => parts.push((name.clone(), serialize::scalar(other), other.is_object())),
        }
    }
    let mut out = Vec::new();
    for (k, v, json) in parts {
        if k.contains(['"', '\r', '\n']) || v.contains(BOUNDARY) {
            return Err(format!("multipart field {k:?} cannot be encoded"));
        }
        let content_type = if json {
            "Content-Type: application/json\r\n"
        } else {
            ""
        };
        out.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n{content_type}\r\n{v}\r\n"
            )
            .as_bytes(),
        );
    }
    out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    Ok(out)
}
